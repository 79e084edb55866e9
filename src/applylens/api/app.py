"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from applylens import __version__
from applylens.api import actions, chat, mail, ops
from applylens.api.body_limit import BodySizeLimitMiddleware
from applylens.api.context import AppContext
from applylens.api.problems import install_problem_handlers
from applylens.config import Settings, get_settings
from applylens.observability.metrics import (
    Metrics,
    MetricsMiddleware,
    get_metrics,
    make_metrics_route,
)
from applylens.retention.shared import start_retention_schedule
from applylens.store.base import SearchBackend

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"


def create_app(
    settings: Settings | None = None,
    *,
    backend: SearchBackend | None = None,
    metrics: Metrics | None = None,
    ping_interval: float = 15.0,
    flag_ttl: float = 1.0,
    now: Callable[[], datetime] | None = None,
) -> FastAPI:
    """Build the API over `settings` (default: the environment).

    `backend` replaces the one the settings name (the app then leaves closing
    it to the caller); `metrics` replaces the process-wide metrics, so tests
    can read a registry of their own. `ping_interval` is the seconds between
    `: ping` comments of a stream waiting for work, and `flag_ttl` how long a
    read of the streaming flag is reused.
    """
    settings = settings or get_settings()
    metrics = metrics or get_metrics()
    metrics.read_run_totals_from(settings.state_path)
    context = AppContext(
        settings,
        backend=backend,
        metrics=metrics,
        ping_interval=ping_interval,
        flag_ttl=flag_ttl,
        now=now,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher = asyncio.create_task(_watch_flag(context, flag_ttl))
        retention = start_retention_schedule(settings, context.backend)
        logger.info(
            "API ready: owner mode %s, backend %s, rate limit %s (%s)",
            "multi-user" if settings.multi_user else f"single-user {settings.owner!r}",
            settings.backend,
            settings.rate_limit,
            context.limiter.storage_uri,
        )
        try:
            yield
        finally:
            await run_in_threadpool(retention.stop)
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            context.close()

    app = FastAPI(
        title="ApplyLens",
        version=__version__,
        description="Chat, search and proposed actions over an imported mailbox.",
        lifespan=lifespan,
    )
    app.state.context = context
    install_problem_handlers(app)
    # The routes are added to the app's own router, not through
    # include_router: FastAPI 0.163 wraps included routers in one opaque
    # route, and the metrics middleware could then not see route templates.
    for router in (chat.router, mail.router, actions.router, ops.router):
        app.router.routes.extend(router.routes)
    app.router.routes.append(make_metrics_route(settings, metrics))
    _mount_static(app)
    # Added first, so that it runs inside the metrics middleware and its 413
    # responses are counted like any other.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


async def _watch_flag(context: AppContext, interval: float) -> None:
    """Re-read the streaming flag every `interval` seconds, so that its gauge
    and the log follow a change even while no stream is requested."""
    while True:
        await run_in_threadpool(context.streaming.state)
        await asyncio.sleep(interval)


def _mount_static(app: FastAPI) -> None:
    if not (STATIC_DIR / "index.html").is_file():
        logger.warning(
            "the web page is missing from %s; serving the API only", STATIC_DIR
        )
        return
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="web")
