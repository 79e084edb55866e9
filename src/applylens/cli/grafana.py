"""`applylens grafana`: write the assistant dashboard JSON or import it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from applylens.cli.urls import http_url
from applylens.observability.dashboard import DASHBOARD_PATH, render_dashboard
from applylens.observability.grafana import GrafanaError, push_dashboard


@click.group("grafana")
def grafana_group() -> None:
    """Build the assistant dashboard, or import it into Grafana."""


@grafana_group.command("build")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DASHBOARD_PATH,
    show_default=True,
    help="File to write the dashboard JSON to (relative to the current directory).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if the file differs from what the code builds.",
)
def build_command(output: Path, check: bool) -> None:
    """Write the dashboard JSON that the code builds."""
    text = render_dashboard()
    if check:
        _check_current(output, text)
        return

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


def _check_current(output: Path, text: str) -> None:
    if not output.is_file():
        raise click.ClickException(
            f"{output} does not exist; run `applylens grafana build` to create it"
        )
    if output.read_text(encoding="utf-8") != text:
        raise click.ClickException(
            f"{output} differs from the dashboard the code builds; run "
            "`applylens grafana build` and commit the result"
        )
    click.echo(f"{output} is current")


def _load_dashboard(path: Path | None) -> dict[str, Any]:
    if path is None:
        dashboard: dict[str, Any] = json.loads(render_dashboard())
        return dashboard
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(loaded, dict) or "uid" not in loaded:
        raise click.ClickException(f"{path} is not a dashboard: it has no 'uid'")
    return loaded


@grafana_group.command("push")
@click.option(
    "--url",
    type=http_url("Grafana", "http://127.0.0.1:3000"),
    required=True,
    help="Grafana base URL, e.g. http://127.0.0.1:3000.",
)
@click.option(
    "--token",
    required=True,
    envvar="GRAFANA_TOKEN",
    help="Grafana service account token (or set GRAFANA_TOKEN).",
)
@click.option(
    "--folder-uid", default=None, help="Folder to import into (default General)."
)
@click.option(
    "--file",
    "dashboard_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Dashboard JSON to import instead of the one the code builds.",
)
@click.option(
    "--timeout", type=float, default=10.0, show_default=True, help="Seconds to wait."
)
def push_command(
    url: str,
    token: str,
    folder_uid: str | None,
    dashboard_file: Path | None,
    timeout: float,
) -> None:
    """Import the dashboard through Grafana's API, replacing one with its uid."""
    dashboard = _load_dashboard(dashboard_file)
    try:
        reply = push_dashboard(url, token, dashboard, folder_uid, timeout=timeout)
    except GrafanaError as exc:
        raise click.ClickException(str(exc)) from exc
    location = url.rstrip("/") + str(reply.get("url", ""))
    click.echo(
        f"imported dashboard {reply.get('uid')} version {reply.get('version')}: "
        f"{location}"
    )


def register(group: click.Group) -> None:
    group.add_command(grafana_group)
