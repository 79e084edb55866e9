"""Prometheus metrics of the API and the assistant, and the `/metrics` endpoint.

One `Metrics` object owns every metric. Tests build their own on a fresh
`CollectorRegistry`; the running process uses `get_metrics()`. When
`PROMETHEUS_MULTIPROC_DIR` is set (several gunicorn workers), prometheus_client
writes each worker's values to memory-mapped files in that directory and a
scrape merges them with `MultiProcessCollector`, so the totals are the same
whichever worker serves the scrape.

The import and retention counters are the exception: imports and
`applylens retention apply` run in processes that are never scraped, so
`RunTotalsCollector` sums their records in the state database at each scrape
(see `applylens.observability.runlog`).

Label values always come from closed sets (route templates, window buckets,
outcome names), never from what a client sends.
"""

from __future__ import annotations

import hmac
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route

from applylens.assistant.schemas import INTENTS
from applylens.config import Settings, get_settings
from applylens.errors import ConfigError
from applylens.observability.runlog import IMPORT_OUTCOMES, RunLog

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METRICS_PATH = "/metrics"
UNMATCHED_PATH = "unmatched"

WINDOW_BUCKETS = ("7", "30", "60", "90+")
SEARCH_BACKENDS = ("sqlite", "elasticsearch")
CHAT_PATHS = ("/api/chat", "/api/chat/stream")
HEARTBEAT_PAGES = ("chat", "search", "actions", "settings")
# One assistant intent handles each question, and its name is the tool label.
ASSISTANT_TOOLS: tuple[str, ...] = INTENTS

# Series that the dashboard and the alert rules query are created at zero.
# Prometheus takes the first sample of a new series as its starting value. A
# series that first appears at 1 shows no increase in rate() until it changes
# again, so the first 503 of a canary would go unseen.
KNOWN_REQUEST_SERIES = (
    ("POST", "/api/chat", "200"),
    ("POST", "/api/chat", "429"),
    ("GET", "/api/chat/stream", "200"),
    ("GET", "/api/chat/stream", "429"),
    ("GET", "/api/chat/stream", "503"),
)

HTTP_DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
SEARCH_DURATION_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


def window_bucket(days: int) -> str:
    """Map a question's window in days to its bucket label: 7, 30, 60 or 90+."""
    if days < 1:
        raise ValueError(f"window_days must be at least 1, got {days!r}")
    if days <= 7:
        return "7"
    if days <= 30:
        return "30"
    if days <= 60:
        return "60"
    return "90+"


IMPORT_MESSAGES_HELP = "Messages seen by imports, by outcome."
RETENTION_PURGED_HELP = (
    "Messages deleted because they were older than the retention period."
)
_UNREADABLE_STATE_LOG_INTERVAL = 60.0


class RunTotalsCollector(Collector):
    """The import and retention counters, summed from the run records in the
    state database at each scrape.

    Every label value of the closed sets is reported, at zero before the first
    run. When the database cannot be read, the scrape leaves both counters
    out, so Prometheus never receives a total that fell back to zero.
    """

    def __init__(self, state_path: Path | None = None) -> None:
        self.state_path = state_path
        self._last_error_log = float("-inf")

    def describe(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(
            "applylens_import_messages_total", IMPORT_MESSAGES_HELP, labels=["outcome"]
        )
        yield CounterMetricFamily(
            "applylens_retention_purged_messages_total",
            RETENTION_PURGED_HELP,
            labels=["backend"],
        )

    def collect(self) -> Iterator[CounterMetricFamily]:
        imports: dict[str, int] = {}
        purges: dict[str, int] = {}
        if self.state_path is not None:
            run_log = RunLog(self.state_path)
            try:
                imports = run_log.import_totals()
                purges = run_log.retention_totals()
            except sqlite3.Error as exc:
                self._log_unreadable(exc)
                return
        imported, purged = self.describe()
        for outcome in IMPORT_OUTCOMES:
            imported.add_metric([outcome], imports.get(outcome, 0))
        for backend in SEARCH_BACKENDS:
            purged.add_metric([backend], purges.get(backend, 0))
        yield imported
        yield purged

    def _log_unreadable(self, exc: sqlite3.Error) -> None:
        # Prometheus scrapes again every interval, so one line a minute is enough.
        now = time.monotonic()
        if now - self._last_error_log < _UNREADABLE_STATE_LOG_INTERVAL:
            return
        self._last_error_log = now
        logger.warning(
            "metrics: import and retention totals left out, reading %s failed: %s",
            self.state_path,
            exc,
        )


class Metrics:
    """Every metric the product exports, registered on one registry.

    `state_path` is the state database whose run records feed the import and
    retention counters. Without one, they stay at zero.
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, state_path: Path | None = None
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._create_http_metrics()
        self._create_assistant_metrics()
        self._create_ux_metrics()
        self.run_totals = RunTotalsCollector(state_path)
        self.registry.register(self.run_totals)
        self._initialise_known_series()

    def read_run_totals_from(self, state_path: Path) -> None:
        """Point the import and retention counters at this state database."""
        self.run_totals.state_path = state_path

    def _create_http_metrics(self) -> None:
        self.http_requests = Counter(
            "applylens_http_requests_total",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "path", "status_code"],
            registry=self.registry,
        )
        self.http_request_duration = Histogram(
            "applylens_http_request_duration_seconds",
            "Time to the end of the response, or to the first event of a stream.",
            ["method", "path"],
            buckets=HTTP_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "applylens_rate_limited_total",
            "Requests rejected with 429 by the rate limiter, by route template.",
            ["path"],
            registry=self.registry,
        )

    def _create_assistant_metrics(self) -> None:
        self.tool_queries = Counter(
            "assistant_tool_queries_total",
            "Questions answered, by tool, whether the search found mail, and window.",
            ["tool", "has_hits", "window_bucket"],
            registry=self.registry,
        )
        self.search_duration = Histogram(
            "applylens_search_duration_seconds",
            "Time the search backend took to answer one search.",
            ["backend"],
            buckets=SEARCH_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.chat_streams_active = Gauge(
            "applylens_chat_streams_active",
            "Event streams open right now, summed over live worker processes.",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        # "mostrecent" keeps the value the latest worker wrote, which is the
        # flag's current state; a sum or max over workers would not be.
        self.chat_streaming_enabled = Gauge(
            "applylens_chat_streaming_enabled",
            "1 while chat streaming is switched on, 0 while it is off.",
            multiprocess_mode="mostrecent",
            registry=self.registry,
        )
        self.chat_fallbacks = Counter(
            "applylens_chat_fallbacks_total",
            "Times the chat page fell back from the stream to POST /api/chat.",
            registry=self.registry,
        )

    def _create_ux_metrics(self) -> None:
        self.ux_heartbeats = Counter(
            "ux_heartbeat_total",
            "Heartbeats the web page sends every 30 seconds while visible.",
            ["page"],
            registry=self.registry,
        )
        self.ux_chat_opened = Counter(
            "ux_chat_opened_total",
            "Times a person opened the chat page.",
            registry=self.registry,
        )

    def _initialise_known_series(self) -> None:
        for method, path, status_code in KNOWN_REQUEST_SERIES:
            self.http_requests.labels(method, path, status_code)
        for path in CHAT_PATHS:
            self.rate_limited.labels(path)
        for tool in ASSISTANT_TOOLS:
            self._initialise_tool(tool)
        for backend in SEARCH_BACKENDS:
            self.search_duration.labels(backend)
        for page in HEARTBEAT_PAGES:
            self.ux_heartbeats.labels(page)

    def _initialise_tool(self, tool: str) -> None:
        for has_hits in ("true", "false"):
            for bucket in WINDOW_BUCKETS:
                self.tool_queries.labels(tool, has_hits, bucket)

    def record_tool_query(self, tool: str, has_hits: bool, window_days: int) -> None:
        """Count one question, once per question on either chat endpoint.

        `tool` is the assistant intent that handled the question.
        """
        if tool not in ASSISTANT_TOOLS:
            self._initialise_tool(tool)
        labels = (tool, "true" if has_hits else "false", window_bucket(window_days))
        self.tool_queries.labels(*labels).inc()

    def observe_search(self, backend: str, seconds: float) -> None:
        self.search_duration.labels(backend).observe(seconds)

    def count_request(self, method: str, path: str, status_code: int) -> None:
        self.http_requests.labels(method, path, str(status_code)).inc()

    def observe_request(self, method: str, path: str, seconds: float) -> None:
        self.http_request_duration.labels(method, path).observe(seconds)

    @contextmanager
    def track_stream(self) -> Iterator[None]:
        """Count an event stream as active for the duration of the block."""
        self.chat_streams_active.inc()
        try:
            yield
        finally:
            self.chat_streams_active.dec()

    def set_streaming_enabled(self, enabled: bool) -> None:
        """Publish the streaming flag; call it whenever a process reads the flag,
        so that the latest write is the current state."""
        self.chat_streaming_enabled.set(1 if enabled else 0)

    def record_fallback(self) -> None:
        self.chat_fallbacks.inc()

    def record_rate_limited(self, path: str) -> None:
        self.rate_limited.labels(path).inc()

    def record_heartbeat(self, page: str) -> None:
        self.ux_heartbeats.labels(page).inc()

    def record_chat_opened(self) -> None:
        self.ux_chat_opened.inc()


def multiprocess_dir() -> Path | None:
    """Return the multiprocess directory, or None when one process serves.

    prometheus_client chooses file-backed values when it is first imported, so
    the variable must be set before that. A late setting would leave this
    process's values out of every scrape, so it raises ConfigError.
    """
    raw = os.environ.get(MULTIPROC_DIR_VARIABLE)
    if not raw:
        return None
    directory = Path(raw)
    if values.ValueClass is values.MutexValue:
        raise ConfigError(
            f"{MULTIPROC_DIR_VARIABLE}={raw!r} was set after prometheus_client "
            "was imported; set it in the environment before the process starts"
        )
    if not directory.is_dir():
        raise ConfigError(
            f"{MULTIPROC_DIR_VARIABLE}={raw!r} is not a directory; create it "
            "(empty) before starting the workers"
        )
    return directory


@lru_cache(maxsize=1)
def get_metrics() -> Metrics:
    """Return the process-wide metrics on prometheus_client's default registry.

    In multiprocess mode the default registry is only where the metrics are
    declared, because scrapes read the files of every worker instead.
    """
    directory = multiprocess_dir()
    if directory is not None:
        logger.info("metrics: multiprocess mode in %s", directory)
    return Metrics(registry=REGISTRY)


def mark_worker_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (call it from gunicorn's child_exit)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)


def render_metrics(metrics: Metrics, accept_header: str = "") -> tuple[bytes, str]:
    """Return the exposition body and its content type for one scrape."""
    registry = metrics.registry
    if multiprocess_dir() is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        # The totals come from the state database, which every worker shares,
        # so only the worker serving this scrape reads them: once, not once
        # per worker as values kept in the worker files would be.
        registry.register(metrics.run_totals)
    encoder, content_type = choose_encoder(accept_header)
    return encoder(registry), content_type


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


_REJECTED_SCRAPE_LOG_INTERVAL = 60.0
_last_rejected_scrape_log = float("-inf")


def _log_rejected_scrape(request: Request) -> None:
    # A scraper with a wrong token retries every scrape interval, so one line a
    # minute is enough to notice it without flooding the log.
    global _last_rejected_scrape_log
    now = time.monotonic()
    if now - _last_rejected_scrape_log < _REJECTED_SCRAPE_LOG_INTERVAL:
        return
    _last_rejected_scrape_log = now
    client = request.client.host if request.client else "unknown"
    logger.warning("metrics: rejected a scrape from %s without a valid token", client)


def check_metrics_access(request: Request, settings: Settings) -> Response | None:
    """Return the error response for a scrape that may not read the metrics.

    With one local owner the endpoint is open, as the API listens on 127.0.0.1.
    In multi-user mode it needs `Authorization: Bearer $APPLYLENS_METRICS_TOKEN`
    (401 otherwise), and without a configured token it does not exist (404).
    """
    if not settings.multi_user:
        return None
    if not settings.metrics_token:
        detail = "metrics are disabled in multi-user mode; set APPLYLENS_METRICS_TOKEN"
        return JSONResponse({"detail": detail}, status_code=404)
    token = _bearer_token(request)
    if token is None or not hmac.compare_digest(
        token.encode(), settings.metrics_token.encode()
    ):
        _log_rejected_scrape(request)
        return JSONResponse(
            {"detail": "metrics need Authorization: Bearer <APPLYLENS_METRICS_TOKEN>"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return None


def make_metrics_route(
    settings: Settings | None = None,
    metrics: Metrics | None = None,
    path: str = METRICS_PATH,
) -> Route:
    """Build the `GET /metrics` route; by default over `get_settings()` and
    `get_metrics()`, read at each scrape."""

    async def endpoint(request: Request) -> Response:
        denied = check_metrics_access(request, settings or get_settings())
        if denied is not None:
            return denied
        accept = request.headers.get("accept", "")
        body, content_type = await run_in_threadpool(
            render_metrics, metrics or get_metrics(), accept
        )
        return Response(body, media_type=content_type)

    return Route(path, endpoint, methods=["GET"], include_in_schema=False)


async def metrics_endpoint(request: Request) -> Response:
    """`GET /metrics` over the process-wide settings and metrics."""
    return await make_metrics_route().endpoint(request)


def _route_template(route: BaseRoute, scope: Scope) -> tuple[Match, str, bool]:
    """Match `route` against the request and return the match, the route's
    template, and whether it is a mount of a plain ASGI app (static files)."""
    match, child_scope = route.matches(scope)
    if match is Match.NONE or not isinstance(route, Mount):
        return match, getattr(route, "path_format", UNMATCHED_PATH), False
    if not route.routes:
        return match, route.path + "/", True
    template, static = resolve_route_template(route.routes, {**scope, **child_scope})
    if template == UNMATCHED_PATH:
        # The mounted router returns 404 itself, so later routes never see it.
        return match, template, static
    return match, route.path + template, static


def resolve_route_template(routes: list[BaseRoute], scope: Scope) -> tuple[str, bool]:
    """Return the route template that would serve `scope`, in the order the
    router tries its routes: the first full match, else the first partial one
    (a method the route does not allow), else UNMATCHED_PATH. The flag is
    true when the template belongs to a mounted static app."""
    partial: tuple[str, bool] | None = None
    for route in routes:
        match, template, static = _route_template(route, scope)
        if match is Match.FULL:
            return template, static
        if match is Match.PARTIAL and partial is None:
            partial = (template, static)
    return partial or (UNMATCHED_PATH, False)


class _RequestRecord:
    """The status, stream flag and timing of one request in the middleware."""

    def __init__(self, metrics: Metrics, method: str, template: str, static: bool):
        self.metrics = metrics
        self.method = method
        self.template = template
        self.is_static_mount = static
        self.started = time.perf_counter()
        self.status_code: int | None = None
        self.is_stream = False
        self.is_timed = False

    def response_started(self, message: Message) -> None:
        self.status_code = int(message["status"])
        headers = dict(message.get("headers") or [])
        content_type = headers.get(b"content-type", b"")
        self.is_stream = content_type.startswith(b"text/event-stream")
        # A mounted static app serves every path under its prefix, so its
        # 404s are requests for nothing and share the unmatched label.
        if self.is_static_mount and self.status_code == 404:
            self.template = UNMATCHED_PATH
        self.metrics.count_request(self.method, self.template, self.status_code)
        if self.is_stream:
            self.metrics.chat_streams_active.inc()

    def body_sent(self, message: Message) -> None:
        if self.is_timed:
            return
        first_event = self.is_stream and bool(message.get("body"))
        if first_event or not message.get("more_body", False):
            self.observe()

    def observe(self) -> None:
        self.is_timed = True
        elapsed = time.perf_counter() - self.started
        self.metrics.observe_request(self.method, self.template, elapsed)

    def finish(self, path: str) -> None:
        if self.status_code is None:
            # The app raised before it started a response, so the server sends 500.
            self.status_code = 500
            self.metrics.count_request(self.method, self.template, 500)
        if not self.is_timed:
            self.observe()
        if self.is_stream:
            self.metrics.chat_streams_active.dec()
        elapsed_ms = (time.perf_counter() - self.started) * 1000
        logger.info(
            "%s %s %s %d %.1fms",
            self.method,
            path,
            self.template,
            self.status_code,
            elapsed_ms,
        )


class MetricsMiddleware:
    """ASGI middleware that counts and times every HTTP request by route template.

    It also keeps `applylens_chat_streams_active` for every text/event-stream
    response, so endpoints do not touch that gauge. Scrapes of `metrics_path`
    are neither counted nor logged.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics | None = None,
        metrics_path: str = METRICS_PATH,
    ) -> None:
        self.app = app
        self._metrics = metrics
        self.metrics_path = metrics_path

    @property
    def metrics(self) -> Metrics:
        return self._metrics or get_metrics()

    def _routes(self, scope: Scope) -> list[BaseRoute]:
        for candidate in (scope.get("app"), self.app):
            routes = getattr(candidate, "routes", None)
            if routes is not None:
                return list(routes)
        return []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == self.metrics_path:
            await self.app(scope, receive, send)
            return

        # The router rewrites the scope as it matches, so resolve first.
        template, static = resolve_route_template(self._routes(scope), dict(scope))
        record = _RequestRecord(self.metrics, scope["method"], template, static)

        async def send_with_metrics(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.response_started(message)
            elif message["type"] == "http.response.body":
                record.body_sent(message)
            await send(message)

        try:
            await self.app(scope, receive, send_with_metrics)
        finally:
            record.finish(scope["path"])


class ScrapeLogFilter(logging.Filter):
    """Drop uvicorn access-log lines for scrapes of the metrics endpoint."""

    def __init__(self, metrics_path: str = METRICS_PATH) -> None:
        super().__init__()
        self.metrics_path = metrics_path

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3:
            path = str(args[2]).split("?", 1)[0]
            return path != self.metrics_path
        return True
