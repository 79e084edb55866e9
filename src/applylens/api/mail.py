"""Routes over the owner's mail: one message, search, message counts."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from applylens.api.chat import make_assistant
from applylens.api.deps import Context, CurrentOwner
from applylens.api.sanitize import sanitize_email_html
from applylens.config import MAX_DAYS
from applylens.mail.model import Message
from applylens.store.base import SearchHit, SearchRequest, SearchResult

router = APIRouter(tags=["mail"])


def message_summary(message: Message) -> dict[str, Any]:
    """Return the fields of a message that a citation or a search hit shows."""
    return {
        "id": message.doc_id,
        "thread_id": message.thread_id,
        "subject": message.subject,
        "sender": message.sender,
        "sender_name": message.sender_name,
        "date": message.date.isoformat(),
        "labels": list(message.labels),
    }


def message_detail(message: Message) -> dict[str, Any]:
    unsubscribe = message.unsubscribe
    return {
        **message_summary(message),
        "message_id": message.message_id,
        "to": list(message.to),
        "cc": list(message.cc),
        "reply_to": message.reply_to,
        "company": message.company,
        "role": message.role,
        "text": message.text,
        "html": sanitize_email_html(message.html) if message.html else None,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments
        ],
        "risk_score": message.risk_score,
        "risk_reasons": list(message.risk_reasons),
        "unsubscribe": None
        if unsubscribe is None
        else {
            "mailto": unsubscribe.mailto,
            "url": unsubscribe.url,
            "one_click": unsubscribe.one_click,
        },
    }


@router.get("/api/emails/{id}")
async def get_email(id: str, context: Context, owner: CurrentOwner) -> dict[str, Any]:
    """Return one of the owner's messages, its HTML sanitised, and whether an
    approved action archived it."""

    def work() -> tuple[Message, bool]:
        message = context.backend().get_message(owner.name, id)
        archived = make_assistant(context, owner).actions.archived_ids(owner.name)
        return message, message.doc_id in archived

    message, archived = await run_in_threadpool(work)
    return {**message_detail(message), "archived": archived}


def _hit_json(hit: SearchHit, archived: bool) -> dict[str, Any]:
    return {
        **message_summary(hit.message),
        "score": hit.score,
        "matched_fields": list(hit.matched_fields),
        "snippet": hit.snippet,
        "archived": archived,
    }


@router.get("/api/search")
async def search(
    context: Context,
    owner: CurrentOwner,
    q: Annotated[str, Query(max_length=2000)] = "",
    days: Annotated[int | None, Query(ge=1, le=MAX_DAYS)] = None,
    label: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    sort: Annotated[str, Query(pattern="^(relevance|date)$")] = "relevance",
) -> dict[str, Any]:
    """Search the owner's mail with the query language of
    `applylens.store.query`; a query that cannot be parsed is a 400.

    Each hit carries whether an approved action archived it. Archived mail still
    matches, because archiving hides it from the assistant's answers only.
    """
    request = SearchRequest(
        owner=owner.name,
        query=q,
        window_days=days,
        labels=tuple(label or ()),
        limit=limit,
        offset=offset,
        sort="date" if sort == "date" else "relevance",
    )

    def work() -> tuple[SearchResult, float, set[str]]:
        started = time.perf_counter()
        result = context.backend().search(request)
        seconds = time.perf_counter() - started
        archived = set()
        if result.hits:
            actions = make_assistant(context, owner).actions
            archived = actions.archived_ids(owner.name)
        return result, seconds, archived

    result, seconds, archived = await run_in_threadpool(work)
    context.metrics.observe_search(result.backend, seconds)
    return {
        "total": result.total,
        "returned": len(result.hits),
        "took_ms": result.took_ms,
        "backend": result.backend,
        "effective_after": result.effective_after.isoformat()
        if result.effective_after
        else None,
        "hits": [_hit_json(hit, hit.message.doc_id in archived) for hit in result.hits],
    }


@router.get("/api/stats")
async def stats(context: Context, owner: CurrentOwner) -> dict[str, Any]:
    """Count the owner's stored messages."""

    def work() -> tuple[int, str]:
        backend = context.backend()
        return backend.count(owner.name), backend.name

    count, backend = await run_in_threadpool(work)
    return {"owner": owner.name, "messages": count, "backend": backend}
