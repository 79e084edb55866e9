"""`applylens grafana push` against a mock of Grafana's dashboard API.

Grafana itself cannot run here, so `MockGrafanaServer` is a small HTTP server
on 127.0.0.1 that records each request and returns a configured reply.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from applylens.cli.grafana import grafana_group
from applylens.observability.dashboard import build_dashboard
from applylens.observability.grafana import GrafanaError, push_dashboard
from support.live import free_port

SUCCESS_REPLY = {
    "id": 7,
    "uid": "applylens-assistant-windows",
    "url": "/d/applylens-assistant-windows/applylens-assistant-window-buckets",
    "status": "success",
    "version": 3,
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class MockGrafanaServer:
    """A mock of Grafana's HTTP API that replies `status` with `reply`."""

    status: int = 200
    reply: bytes = json.dumps(SUCCESS_REPLY).encode()
    requests: list[RecordedRequest] = field(default_factory=list)

    def start(self) -> None:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                mock.requests.append(
                    RecordedRequest(
                        "POST",
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(length),
                    )
                )
                self.send_response(mock.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(mock.reply)))
                self.end_headers()
                self.wfile.write(mock.reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


@pytest.fixture
def grafana() -> Iterator[MockGrafanaServer]:
    server = MockGrafanaServer()
    server.start()
    yield server
    server.stop()


def push(url: str, *extra: str) -> Any:
    arguments = ["push", "--url", url, "--token", "glsa_test_token", *extra]
    return CliRunner().invoke(grafana_group, arguments)


def test_push_sends_dashboard_import_request(grafana: MockGrafanaServer) -> None:
    result = push(grafana.url, "--folder-uid", "applylens")

    assert result.exit_code == 0, result.output
    assert len(grafana.requests) == 1
    request = grafana.requests[0]
    assert request.method == "POST"
    assert request.path == "/api/dashboards/db"
    assert request.headers["authorization"] == "Bearer glsa_test_token"
    assert request.headers["content-type"] == "application/json"


def test_push_body_overwrites_into_folder(grafana: MockGrafanaServer) -> None:
    push(grafana.url, "--folder-uid", "applylens")

    body = grafana.requests[0].json()
    assert body["overwrite"] is True
    assert body["folderUid"] == "applylens"
    assert body["dashboard"] == build_dashboard()
    assert body["dashboard"]["id"] is None


def test_push_without_folder_omits_folder_uid(grafana: MockGrafanaServer) -> None:
    push(grafana.url)

    assert "folderUid" not in grafana.requests[0].json()


def test_push_trailing_slash_url_keeps_path(grafana: MockGrafanaServer) -> None:
    push(grafana.url + "/")

    assert grafana.requests[0].path == "/api/dashboards/db"


def test_push_success_prints_dashboard_url(grafana: MockGrafanaServer) -> None:
    result = push(grafana.url)

    expected = grafana.url + SUCCESS_REPLY["url"]
    assert "imported dashboard applylens-assistant-windows version 3" in result.output
    assert expected in result.output


def test_push_file_option_sends_that_file(
    grafana: MockGrafanaServer, tmp_path: Path
) -> None:
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps({"uid": "custom-board", "id": None, "panels": []}))

    result = push(grafana.url, "--file", str(custom))

    assert result.exit_code == 0, result.output
    assert grafana.requests[0].json()["dashboard"]["uid"] == "custom-board"


def test_push_file_without_uid_rejected(
    grafana: MockGrafanaServer, tmp_path: Path
) -> None:
    custom = tmp_path / "custom.json"
    custom.write_text("[]")

    result = push(grafana.url, "--file", str(custom))

    assert result.exit_code == 1
    assert "has no 'uid'" in result.output
    assert grafana.requests == []


def test_push_unauthorized_explains_token(grafana: MockGrafanaServer) -> None:
    grafana.status = 401
    grafana.reply = json.dumps({"message": "invalid API key"}).encode()

    result = push(grafana.url)

    assert result.exit_code == 1
    assert "rejected the token (401 invalid API key)" in result.output
    assert "--token" in result.output


def test_push_forbidden_explains_permission(grafana: MockGrafanaServer) -> None:
    grafana.status = 403
    grafana.reply = json.dumps({"message": "Access denied"}).encode()

    result = push(grafana.url)

    assert result.exit_code == 1
    assert "denied the import (403 Access denied)" in result.output


def test_push_server_error_names_status(grafana: MockGrafanaServer) -> None:
    grafana.status = 500
    grafana.reply = b"internal failure"

    result = push(grafana.url)

    assert result.exit_code == 1
    assert "failed the import (500 internal failure)" in result.output


def test_push_connection_refused_names_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"

    result = push(url)

    assert result.exit_code == 1
    assert f"cannot connect to Grafana at {url}" in result.output
    assert "Traceback" not in result.output


def test_push_invalid_url_rejected() -> None:
    with pytest.raises(GrafanaError, match="'grafana.local:3000' is invalid"):
        push_dashboard("grafana.local:3000", "token", {"uid": "x"})


def test_push_token_read_from_environment(grafana: MockGrafanaServer) -> None:
    result = CliRunner().invoke(
        grafana_group,
        ["push", "--url", grafana.url],
        env={"GRAFANA_TOKEN": "from-env"},
    )

    assert result.exit_code == 0, result.output
    assert grafana.requests[0].headers["authorization"] == "Bearer from-env"
