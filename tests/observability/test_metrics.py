"""Metrics, the request middleware and the /metrics endpoint, on tiny apps."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles

from applylens.config import Settings
from applylens.errors import ConfigError
from applylens.observability import metrics as metrics_module
from applylens.observability.metrics import (
    Metrics,
    MetricsMiddleware,
    ScrapeLogFilter,
    make_metrics_route,
    multiprocess_dir,
    window_bucket,
)


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(registry=CollectorRegistry())


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def request_count(metrics: Metrics, method: str, path: str, status: str) -> float:
    value = sample(
        metrics,
        "applylens_http_requests_total",
        method=method,
        path=path,
        status_code=status,
    )
    return value or 0.0


def build_app(metrics: Metrics, static_dir: Path, settings: Settings) -> Starlette:
    async def email(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["id"]})

    async def chat(request: Request) -> JSONResponse:
        return JSONResponse({"answer": "ok"})

    async def boom(request: Request) -> JSONResponse:
        raise RuntimeError("endpoint failed")

    async def stream(request: Request) -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield b"event: ready\ndata: {}\n\n"
            timed = sample(
                metrics,
                "applylens_http_request_duration_seconds_count",
                method="GET",
                path="/api/chat/stream",
            )
            active = sample(metrics, "applylens_chat_streams_active")
            yield f"event: probe\ndata: {timed} {active}\n\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    admin = Router(routes=[Route("/users/{name}", chat)])
    routes = [
        Route("/api/emails/{id}", email),
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/chat/stream", stream),
        Route("/api/boom", boom),
        make_metrics_route(settings, metrics),
        Mount("/admin", routes=admin.routes),
        Mount("/", StaticFiles(directory=static_dir, html=True)),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


class Client:
    """A synchronous HTTP client that calls the ASGI app in the test process.

    Starlette's Client warns about httpx in this version, and warnings are
    errors here, so requests go through httpx's ASGI transport instead.
    """

    def __init__(self, app: Starlette) -> None:
        self.transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    def get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return anyio.run(self._request, "GET", url, headers or {})

    def post(self, url: str) -> httpx.Response:
        return anyio.run(self._request, "POST", url, {})

    async def _request(
        self, method: str, url: str, headers: dict[str, str]
    ) -> httpx.Response:
        base_url = "http://testserver"
        async with httpx.AsyncClient(transport=self.transport, base_url=base_url) as c:
            response = await c.request(method, url, headers=headers)
            await response.aread()
            return response


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "static"
    directory.mkdir()
    (directory / "index.html").write_text("<h1>chat</h1>")
    return directory


@pytest.fixture
def client(metrics: Metrics, static_dir: Path) -> Client:
    app = build_app(metrics, static_dir, Settings())
    return Client(app)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        pytest.param(1, "7", id="1"),
        pytest.param(7, "7", id="7"),
        pytest.param(8, "30", id="8"),
        pytest.param(30, "30", id="30"),
        pytest.param(31, "60", id="31"),
        pytest.param(60, "60", id="60"),
        pytest.param(61, "90+", id="61"),
        pytest.param(90, "90+", id="90"),
        pytest.param(365, "90+", id="365"),
    ],
)
def test_window_bucket_days_maps_to_bucket(days: int, bucket: str) -> None:
    assert window_bucket(days) == bucket


def test_window_bucket_zero_days_raises() -> None:
    with pytest.raises(ValueError, match="got 0"):
        window_bucket(0)


def test_record_tool_query_counts_labels(metrics: Metrics) -> None:
    metrics.record_tool_query("find", has_hits=False, window_days=45)

    labels = {"tool": "find", "has_hits": "false", "window_bucket": "60"}
    assert sample(metrics, "assistant_tool_queries_total", **labels) == 1.0


def test_record_tool_query_new_tool_zero_fills(metrics: Metrics) -> None:
    metrics.record_tool_query("digest", has_hits=True, window_days=3)

    labels = {"tool": "digest", "has_hits": "false", "window_bucket": "90+"}
    assert sample(metrics, "assistant_tool_queries_total", **labels) == 0.0


def test_metrics_known_series_exist_at_zero(metrics: Metrics) -> None:
    assert request_count(metrics, "GET", "/api/chat/stream", "503") == 0.0
    rate_limited = sample(metrics, "applylens_rate_limited_total", path="/api/chat")
    assert rate_limited == 0.0
    search = sample(
        metrics, "applylens_search_duration_seconds_count", backend="sqlite"
    )
    assert search == 0.0


def test_metrics_run_totals_without_state_are_zero(metrics: Metrics) -> None:
    failed = sample(metrics, "applylens_import_messages_total", outcome="failed")
    assert failed == 0.0
    purged = sample(
        metrics, "applylens_retention_purged_messages_total", backend="sqlite"
    )
    assert purged == 0.0


def test_set_streaming_enabled_sets_gauge(metrics: Metrics) -> None:
    metrics.set_streaming_enabled(True)
    assert sample(metrics, "applylens_chat_streaming_enabled") == 1.0
    metrics.set_streaming_enabled(False)
    assert sample(metrics, "applylens_chat_streaming_enabled") == 0.0


def test_middleware_path_param_uses_template(client: Client, metrics: Metrics) -> None:
    assert client.get("/api/emails/abc123").status_code == 200

    assert request_count(metrics, "GET", "/api/emails/{id}", "200") == 1.0
    assert request_count(metrics, "GET", "/api/emails/abc123", "200") == 0.0


def test_middleware_unknown_api_path_is_unmatched(
    client: Client, metrics: Metrics
) -> None:
    assert client.get("/api/nothing/here").status_code == 404

    assert request_count(metrics, "GET", "unmatched", "404") == 1.0


def test_middleware_static_file_uses_mount(client: Client, metrics: Metrics) -> None:
    assert client.get("/index.html").status_code == 200

    assert request_count(metrics, "GET", "/", "200") == 1.0


def test_middleware_mounted_router_joins_prefix(
    client: Client, metrics: Metrics
) -> None:
    assert client.get("/admin/users/ann").status_code == 200

    assert request_count(metrics, "GET", "/admin/users/{name}", "200") == 1.0


def test_middleware_wrong_method_keeps_template(
    client: Client, metrics: Metrics
) -> None:
    assert client.post("/admin/users/ann").status_code == 405

    assert request_count(metrics, "POST", "/admin/users/{name}", "405") == 1.0


def test_middleware_path_under_static_root_is_unmatched(
    client: Client, metrics: Metrics
) -> None:
    # The static mount at "/" serves every path the routes before it miss.
    assert client.get("/api/chat").status_code == 404

    assert request_count(metrics, "GET", "unmatched", "404") == 1.0


def test_middleware_failing_endpoint_counts_500(
    client: Client, metrics: Metrics
) -> None:
    assert client.get("/api/boom").status_code == 500

    assert request_count(metrics, "GET", "/api/boom", "500") == 1.0


def test_middleware_stream_timed_at_first_event(client: Client) -> None:
    response = client.get("/api/chat/stream")

    # The probe event reads the histogram count and the active gauge after the
    # first event went out and before the stream ended.
    assert response.status_code == 200
    assert "data: 1.0 1.0" in response.text


def test_middleware_stream_end_clears_active(client: Client, metrics: Metrics) -> None:
    client.get("/api/chat/stream")

    assert sample(metrics, "applylens_chat_streams_active") == 0.0


def test_middleware_scrape_not_counted(client: Client, metrics: Metrics) -> None:
    assert client.get("/metrics").status_code == 200

    assert request_count(metrics, "GET", "/metrics", "200") == 0.0
    assert request_count(metrics, "GET", "unmatched", "200") == 0.0


def test_middleware_request_logged_without_query(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="applylens.observability.metrics"):
        client.get("/api/emails/e1?q=secret")
        client.get("/metrics")

    lines = [record.getMessage() for record in caplog.records]
    assert lines == [lines[0]]
    assert "/api/emails/e1 /api/emails/{id} 200" in lines[0]
    assert "secret" not in lines[0]


def test_metrics_endpoint_single_user_is_open(client: Client, metrics: Metrics) -> None:
    metrics.record_tool_query("find", has_hits=True, window_days=7)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'window_bucket="7"} 1.0' in response.text


def multi_user_client(metrics: Metrics, static_dir: Path, token: str | None) -> Client:
    settings = Settings(multi_user=True, metrics_token=token)
    return Client(build_app(metrics, static_dir, settings))


def test_metrics_endpoint_multi_user_untokened_404(
    metrics: Metrics, static_dir: Path
) -> None:
    client = multi_user_client(metrics, static_dir, None)

    response = client.get("/metrics")

    assert response.status_code == 404
    assert "APPLYLENS_METRICS_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer wrong", id="wrong-token"),
        pytest.param("Basic s3cret", id="wrong-scheme"),
        pytest.param("Bearer ", id="empty"),
    ],
)
def test_metrics_endpoint_multi_user_bad_credentials_is_401(
    metrics: Metrics, static_dir: Path, authorization: str | None
) -> None:
    client = multi_user_client(metrics, static_dir, "s3cret")
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_metrics_endpoint_rejected_scrape_logged_once(
    metrics: Metrics,
    static_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(metrics_module, "_last_rejected_scrape_log", float("-inf"))
    client = multi_user_client(metrics, static_dir, "s3cret")

    with caplog.at_level(logging.WARNING, logger="applylens.observability.metrics"):
        client.get("/metrics", headers={"Authorization": "Bearer wrong"})
        client.get("/metrics", headers={"Authorization": "Bearer wrong"})

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "rejected a scrape" in warnings[0]
    assert "wrong" not in warnings[0]


def test_metrics_endpoint_multi_user_token_is_200(
    metrics: Metrics, static_dir: Path
) -> None:
    client = multi_user_client(metrics, static_dir, "s3cret")

    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})

    assert response.status_code == 200
    assert "applylens_http_requests_total" in response.text


def test_metrics_endpoint_openmetrics_accept_negotiated(client: Client) -> None:
    accept = "application/openmetrics-text;version=1.0.0"

    response = client.get("/metrics", headers={"Accept": accept})

    assert response.headers["content-type"].startswith("application/openmetrics")
    assert response.text.endswith("# EOF\n")


def test_scrape_log_filter_drops_metrics_lines() -> None:
    log_filter = ScrapeLogFilter()

    def access(path: str) -> logging.LogRecord:
        args = ("127.0.0.1:5000", "GET", path, "1.1", 200)
        return logging.LogRecord("uvicorn.access", 20, "", 0, "%s", args, None)

    assert log_filter.filter(access("/metrics")) is False
    assert log_filter.filter(access("/metrics?x=1")) is False
    assert log_filter.filter(access("/api/chat")) is True


def test_multiprocess_dir_set_after_import_raises(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    with pytest.raises(ConfigError, match="before the process starts"):
        multiprocess_dir()


WORKER_SCRIPT = """
import sys
from applylens.observability.metrics import get_metrics
metrics = get_metrics()
for _ in range(int(sys.argv[1])):
    metrics.count_request("POST", "/api/chat", 200)
metrics.set_streaming_enabled(sys.argv[2] == "on")
"""

SCRAPE_SCRIPT = """
import sys
from applylens.observability.metrics import get_metrics, render_metrics
sys.stdout.write(render_metrics(get_metrics())[0].decode())
"""


def run_python(script: str, directory: Path, *args: str) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_render_metrics_multiprocess_sums_workers(tmp_path: Path) -> None:
    run_python(WORKER_SCRIPT, tmp_path, "3", "on")
    run_python(WORKER_SCRIPT, tmp_path, "4", "off")

    exposition = run_python(SCRAPE_SCRIPT, tmp_path)

    series = 'applylens_http_requests_total{method="POST",path="/api/chat",'
    assert series + 'status_code="200"} 7.0' in exposition
    # The second process wrote the flag last, so its "off" is the state.
    assert "applylens_chat_streaming_enabled 0.0" in exposition
