"""Import a dashboard into Grafana through its HTTP API.

The dashboard goes to `POST /api/dashboards/db` with `overwrite: true`, so a
second push replaces the first by uid instead of failing on the name.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from applylens.errors import ApplyLensError

logger = logging.getLogger(__name__)

IMPORT_PATH = "/api/dashboards/db"


class GrafanaError(ApplyLensError):
    """Grafana could not be reached or rejected the dashboard."""


def build_import_payload(
    dashboard: dict[str, Any], folder_uid: str | None
) -> dict[str, Any]:
    """Build the request body; without a folder uid Grafana puts the
    dashboard at the root level (General), even when it was in a folder."""
    payload: dict[str, Any] = {
        "dashboard": dashboard,
        "overwrite": True,
        "message": "Imported by applylens grafana push",
    }
    if folder_uid:
        payload["folderUid"] = folder_uid
    return payload


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(body)[:200]


def _raise_for_status(url: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _error_detail(response)
    if status == 401:
        raise GrafanaError(
            f"Grafana at {url} rejected the token (401 {detail}); pass a valid "
            "service account token with --token"
        )
    if status == 403:
        raise GrafanaError(
            f"Grafana at {url} denied the import (403 {detail}); the token needs "
            "permission to write dashboards in the folder"
        )
    raise GrafanaError(f"Grafana at {url} failed the import ({status} {detail})")


def push_dashboard(
    url: str,
    token: str,
    dashboard: dict[str, Any],
    folder_uid: str | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Import `dashboard` into the Grafana at `url` and return Grafana's reply
    (uid, url, version)."""
    base_url = url.rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise GrafanaError(
            f"Grafana URL {url!r} is invalid; expected http:// or https://"
        )
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    payload = build_import_payload(dashboard, folder_uid)
    try:
        response = httpx.post(
            base_url + IMPORT_PATH, json=payload, headers=headers, timeout=timeout
        )
    except httpx.TimeoutException as exc:
        raise GrafanaError(
            f"Grafana at {base_url} did not respond within {timeout:g} seconds; "
            "check --url"
        ) from exc
    except httpx.HTTPError as exc:
        raise GrafanaError(
            f"cannot connect to Grafana at {base_url} ({exc}); check --url and "
            "that Grafana is running"
        ) from exc

    _raise_for_status(base_url, response)
    try:
        reply: dict[str, Any] = response.json()
    except ValueError as exc:
        raise GrafanaError(
            f"Grafana at {base_url} returned {response.status_code} without a JSON "
            "body; check that --url points at Grafana itself"
        ) from exc
    logger.info(
        "grafana: imported dashboard %s into %s, version %s",
        reply.get("uid"),
        base_url,
        reply.get("version"),
    )
    return reply
