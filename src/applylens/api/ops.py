"""Operational routes: health, readiness, usage reports from the page, and the
admin switch for chat streaming."""

from __future__ import annotations

import logging
import sqlite3
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from applylens.api.context import AppContext
from applylens.api.deps import Context, CurrentOwner, require_admin
from applylens.api.flags import CHAT_STREAMING, write_flag
from applylens.errors import BackendNotReady, BackendUnavailable

logger = logging.getLogger(__name__)

router = APIRouter()

UxPage = Literal["chat", "search", "actions", "settings"]


@router.get("/healthz", tags=["ops"])
async def healthz() -> dict[str, str]:
    """Report that the process is alive; it checks no dependency."""
    return {"status": "ok"}


def _check_backend(context: AppContext) -> dict[str, Any] | None:
    try:
        backend = context.backend()
        backend.check()
    except (BackendUnavailable, BackendNotReady) as exc:
        name = getattr(exc, "backend", None) or context.settings.backend
        return {"component": "search backend", "backend": name, "detail": str(exc)}
    return None


def _check_state(context: AppContext) -> dict[str, Any] | None:
    try:
        context.state_conn().execute("SELECT 1").fetchone()
    except sqlite3.Error as exc:
        return {
            "component": "state database",
            "backend": "sqlite",
            "detail": f"state database at {context.settings.state_path} failed: "
            f"{exc} (set APPLYLENS_DATA_DIR to change it)",
        }
    return None


@router.get("/readyz", tags=["ops"])
async def readyz(context: Context) -> JSONResponse:
    """Report whether searches can run; a 503 names the component that failed."""

    def work() -> list[dict[str, Any]]:
        failures = [_check_backend(context), _check_state(context)]
        return [failure for failure in failures if failure is not None]

    failures = await run_in_threadpool(work)
    if failures:
        first = failures[0]
        body = {
            "status": "unavailable",
            "backend": first["backend"],
            "detail": first["detail"],
            "failures": failures,
        }
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse({"status": "ready", "backend": context.settings.backend})


class Heartbeat(BaseModel):
    page: UxPage


@router.post("/api/ux/heartbeat", status_code=204, tags=["ux"])
async def ux_heartbeat(body: Heartbeat, context: Context, owner: CurrentOwner) -> None:
    """Count a heartbeat of a visible page (every 30 seconds)."""
    context.metrics.record_heartbeat(body.page)


@router.post("/api/ux/chat/opened", status_code=204, tags=["ux"])
async def ux_chat_opened(context: Context, owner: CurrentOwner) -> None:
    """Count one opening of the chat page."""
    context.metrics.record_chat_opened()


@router.post("/api/ux/chat/fallback", status_code=204, tags=["ux"])
async def ux_chat_fallback(context: Context, owner: CurrentOwner) -> None:
    """Count one fallback of the page from the stream to POST /api/chat."""
    context.metrics.record_fallback()


class FlagUpdate(BaseModel):
    enabled: bool


AdminActor = Annotated[str, Depends(require_admin)]


@router.get("/api/admin/flags/chat_streaming", tags=["admin"])
async def get_streaming_flag(context: Context, actor: AdminActor) -> dict[str, Any]:
    """Show the chat streaming switch as this process sees it."""
    state = await run_in_threadpool(context.streaming.state)
    return {**state.as_dict(), "percent": context.settings.chat_streaming_percent}


@router.put("/api/admin/flags/chat_streaming", tags=["admin"])
async def put_streaming_flag(
    body: FlagUpdate, context: Context, actor: AdminActor
) -> dict[str, Any]:
    """Switch chat streaming on or off for every process within seconds."""
    settings = context.settings
    await run_in_threadpool(
        write_flag, settings.state_path, CHAT_STREAMING, body.enabled, actor
    )
    context.streaming.invalidate()
    state = await run_in_threadpool(context.streaming.state)
    return {**state.as_dict(), "percent": settings.chat_streaming_percent}
