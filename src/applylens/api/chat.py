"""The chat endpoints: one answer as JSON, or the same work as an event stream."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from applylens.api.context import AppContext, Owner
from applylens.api.deps import Context, CurrentOwner, enforce_chat_limit
from applylens.api.problems import ApiProblem, backend_problem, query_problem
from applylens.api.streams import (
    PING,
    EventStreamResponse,
    StreamRecord,
    answers_request,
    encode_event,
    parse_event_id,
    request_digest,
)
from applylens.assistant.engine import Assistant, filter_labels
from applylens.assistant.schemas import (
    INTENTS,
    ChatAnswer,
    ChatFilters,
    ChatRequest,
    ChatTurn,
    read_zone,
)
from applylens.errors import (
    ApplyLensError,
    BackendNotReady,
    BackendUnavailable,
    QuerySyntaxError,
)
from applylens.store.base import SearchRequest
from applylens.store.sqlite_search import plan_search

logger = logging.getLogger(__name__)

router = APIRouter(tags=["chat"])

STREAM_PATH = "/api/chat/stream"
CHAT_PATH = "/api/chat"
STREAMING_OFF_RETRY_SECONDS = 30
_ASSISTANTS_PER_THREAD = 64

# One event from the assistant's thread, or None when its work has ended.
QueueItem = tuple[str, dict[str, Any]] | None

INTENT_DESCRIPTIONS = {
    "summarize": "Group the window's mail by label and company, with what needs "
    "attention next.",
    "find": "List the messages that match, with the reason each matched.",
    "clean": "Propose archiving promotions and newsletters older than an age, "
    "except the senders you name.",
    "unsubscribe": "Propose unsubscribing from senders you never open or reply to.",
    "flag": "List suspicious mail with the reasons from classification.",
    "follow_up": "Find threads waiting N days for your reply, or for the other "
    "side's (\"who hasn't got back to me?\"), with a draft.",
    "calendar": "Read interview and deadline dates into calendar events (.ics).",
    "task": "Turn requests in the mail into a task list.",
}


def make_assistant(context: AppContext, owner: Owner) -> Assistant:
    """Return this thread's assistant for `owner`'s addresses.

    An assistant is bound to the thread's state connection, so each thread
    keeps its own, and reusing them saves preparing the state schema on
    every request.
    """
    cache: dict[tuple[str, ...], Assistant] = context.thread_cache("assistants")
    assistant = cache.get(owner.addresses)
    if assistant is None:
        if len(cache) >= _ASSISTANTS_PER_THREAD:
            cache.clear()
        assistant = Assistant(
            context.backend(),
            context.state_conn(),
            owner_addresses=owner.addresses,
            retention_days=context.settings.retention_days,
            now=context.now,
        )
        cache[owner.addresses] = assistant
    return assistant


def record_answer(context: AppContext, answer: ChatAnswer | dict[str, Any]) -> None:
    """Count one answered question in the metrics (once per question)."""
    data = answer.model_dump() if isinstance(answer, ChatAnswer) else answer
    search = data.get("search") or {}
    window = data.get("window") or {}
    context.metrics.record_tool_query(
        str(data.get("intent")),
        int(search.get("total_hits") or 0) > 0,
        int(window.get("requested_days") or 30),
    )
    backend = search.get("backend")
    if backend:
        context.metrics.observe_search(backend, float(search.get("took_ms", 0)) / 1000)


@router.get("/api/chat/intents")
async def chat_intents() -> dict[str, list[dict[str, str]]]:
    """List the intents the assistant recognises."""
    return {
        "intents": [
            {"name": name, "description": INTENT_DESCRIPTIONS.get(name, "")}
            for name in INTENTS
        ]
    }


@router.post(CHAT_PATH, response_model=ChatAnswer)
async def chat(
    body: ChatRequest, request: Request, context: Context, owner: CurrentOwner
) -> Response:
    """Answer the last user message of `messages` over the owner's mail."""
    if not any(turn.role == "user" for turn in body.messages):
        raise ApiProblem(
            400,
            "invalid_request",
            "messages has no turn with role 'user'; the last user turn is the question",
        )
    enforce_chat_limit(request, context, owner, CHAT_PATH)
    check_filters(body)

    def work() -> ChatAnswer:
        return make_assistant(context, owner).answer(body, owner.name)

    answer = await run_in_threadpool(work)
    record_answer(context, answer)
    # The answer is already a validated model, so it is serialised once here
    # rather than validated again against the response model.
    return Response(answer.model_dump_json(), media_type="application/json")


def check_filters(chat_request: ChatRequest) -> None:
    """Raise QuerySyntaxError (a 400) for a filter that a search would reject.

    The assistant checks the sender_domain filter only when its tool searches,
    so without this check an invalid value would fail midway through a stream, or
    not at all for a question that needs no search. Both search backends
    check filter values with `plan_search`, so its message is the one a
    search would raise.
    """
    filter_labels(chat_request)
    filters = chat_request.filters
    plan_search(
        SearchRequest(owner="", sender_domain=filters.sender_domain),
        retention_days=0,
    )


def streaming_disabled_problem() -> ApiProblem:
    return ApiProblem(
        503,
        "chat_streaming_disabled",
        "chat streaming is switched off; send the question to POST /api/chat",
        headers={
            "X-Chat-Streaming-Disabled": "1",
            "Retry-After": str(STREAMING_OFF_RETRY_SECONDS),
            "Cache-Control": "no-store",
        },
        extra={"fallback": CHAT_PATH},
    )


@router.get(
    STREAM_PATH,
    responses={200: {"content": {"text/event-stream": {}}}},
    response_model=None,
)
async def chat_stream(
    request: Request,
    context: Context,
    owner: CurrentOwner,
    q: Annotated[str, Query(min_length=1, max_length=8000)],
    window_days: Annotated[int, Query(ge=1, le=365)] = 30,
    max_results: Annotated[int, Query(ge=1, le=100)] = 20,
    label: Annotated[list[str] | None, Query()] = None,
    sender_domain: str | None = None,
    time_zone: Annotated[str | None, Query(max_length=64)] = None,
    stream_id: str | None = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventStreamResponse:
    """Answer `q` as Server-Sent Events (see the module doc of
    `applylens.api.streams` for ids and resuming with Last-Event-ID)."""
    context.metrics.set_streaming_enabled(context.streaming.enabled())
    if not context.streaming.enabled_for(owner.name):
        raise streaming_disabled_problem()
    enforce_chat_limit(request, context, owner, STREAM_PATH)
    if time_zone:
        try:
            read_zone(time_zone)
        except ValueError as exc:
            raise ApiProblem(400, "invalid_request", f"time_zone: {exc}") from None
    chat_request = ChatRequest(
        messages=[ChatTurn(role="user", content=q)],
        window_days=window_days,
        max_results=max_results,
        filters=ChatFilters(labels=label or [], sender_domain=sender_domain),
        time_zone=time_zone or None,
    )
    # Checked before the stream starts, so that a bad filter is a 400 as on
    # POST /api/chat rather than a 200 followed by an error event.
    check_filters(chat_request)
    resume = parse_event_id(last_event_id)
    if resume is not None and stream_id and resume[0] != stream_id:
        resume = None
    return start_stream(context, owner, chat_request, q, resume)


def start_stream(
    context: AppContext,
    owner: Owner,
    chat_request: ChatRequest,
    question: str,
    resume: tuple[str, int] | None,
) -> EventStreamResponse:
    digest = request_digest(owner.name, chat_request.model_dump_json())
    if resume is not None and not answers_request(resume[0], digest):
        logger.info(
            "Last-Event-ID %s.%d names a stream of another request; "
            "starting a new stream",
            *resume,
        )
        resume = None
    if resume is not None:
        cached = context.streams.get(resume[0], owner.name)
        if cached is not None and cached.finished and cached.question == question:
            logger.info("replaying stream %s after event %d", *resume)
            chunks = replay_events(cached, resume[1])
            return EventStreamResponse(chunks, on_disconnect=lambda: None)
    record = context.streams.new(
        owner.name, question, stream_id=resume[0] if resume else None, digest=digest
    )
    skip_through = resume[1] if resume else 0
    chunks = run_events(context, owner, chat_request, record, skip_through)
    return EventStreamResponse(chunks, on_disconnect=record.cancel.set)


async def replay_events(record: StreamRecord, after: int) -> AsyncIterator[bytes]:
    for sequence, name, data in list(record.events):
        if sequence > after:
            yield encode_event(name, data, record.event_id(sequence))


def _error_event(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, BackendUnavailable | BackendNotReady):
        problem = backend_problem(exc)
    elif isinstance(exc, QuerySyntaxError):
        problem = query_problem(exc)
    elif isinstance(exc, ApplyLensError):
        problem = ApiProblem(400, "invalid_request", str(exc))
    else:
        problem = ApiProblem(
            500,
            "internal_error",
            "the assistant failed with an internal error; the server log has "
            "the details",
        )
    return {
        "message": problem.detail,
        "error": problem.error,
        "status": problem.status,
        **problem.extra,
    }


def produce_events(
    context: AppContext,
    owner: Owner,
    chat_request: ChatRequest,
    cancel: threading.Event,
    emit: Any,
) -> None:
    """Run the assistant (in a worker thread) and pass each event to `emit`."""
    try:
        assistant = make_assistant(context, owner)
        delay = context.settings.stream_delta_delay_ms / 1000
        for name, data in assistant.stream(chat_request, owner.name, cancel):
            if cancel.is_set():
                return
            emit(name, data)
            if name == "delta" and delay and cancel.wait(delay):
                return
    except Exception as exc:
        if not isinstance(exc, ApplyLensError):
            logger.exception("chat stream for %s failed", owner.name)
        else:
            logger.warning("chat stream for %s failed: %s", owner.name, exc)
        emit("error", _error_event(exc))


async def run_events(
    context: AppContext,
    owner: Owner,
    chat_request: ChatRequest,
    record: StreamRecord,
    skip_through: int,
) -> AsyncIterator[bytes]:
    """Yield the stream's encoded events, with a ping while the work is slow.

    The assistant runs in a thread and hands events over through a queue, so
    the event loop keeps serving other requests and can ping and notice a
    disconnect while a search is running.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[QueueItem] = asyncio.Queue()
    cancel = record.cancel

    def put(item: QueueItem) -> None:
        if cancel.is_set():
            return
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:
            cancel.set()  # The loop has closed: the server is shutting down.

    def work() -> None:
        try:
            produce_events(context, owner, chat_request, cancel, put_event)
        finally:
            put(None)

    def put_event(name: str, data: dict[str, Any]) -> None:
        put((name, data))

    sequence = 0

    def encode(name: str, data: dict[str, Any]) -> bytes | None:
        nonlocal sequence
        sequence += 1
        record.events.append((sequence, name, data))
        if sequence <= skip_through:
            return None
        return encode_event(name, data, record.event_id(sequence))

    def encode_batch(batch: list[QueueItem]) -> tuple[bytes, str]:
        """Encode queued events into one body chunk, and return whether the stream
        goes on ("more"), finished ("end") or failed ("error")."""
        parts: list[bytes] = []
        for item in batch:
            if item is None:
                return b"".join(parts), "end"
            name, data = item
            if name == "answer" and skip_through == 0:
                record_answer(context, data)
            chunk = encode(name, data)
            if chunk is not None:
                parts.append(chunk)
            if name == "error":
                return b"".join(parts), "error"
        return b"".join(parts), "more"

    # The worker is not awaited on the way out: after a disconnect it only
    # has to notice `cancel`, and the response must not wait for that.
    loop.run_in_executor(context.stream_executor, work)
    try:
        ready = {"stream_id": record.stream_id, "resumed_after": skip_through or None}
        chunk = encode("ready", ready)
        if chunk is not None:
            yield chunk
        outcome = "more"
        while outcome == "more":
            batch = await _next_batch(queue, context.ping_interval)
            if batch is None:
                yield PING
                continue
            body, outcome = encode_batch(batch)
            if body:
                yield body
        record.finished = True
        if outcome == "end":
            chunk = encode("done", {"stream_id": record.stream_id})
            if chunk is not None:
                yield chunk
    finally:
        cancel.set()


async def _next_batch(
    queue: asyncio.Queue[QueueItem], interval: float
) -> list[QueueItem] | None:
    """Wait up to `interval` seconds for an event, then take every event that
    is already queued, so a burst of deltas goes out in one write. Return
    None when nothing came in time."""
    try:
        first = await asyncio.wait_for(queue.get(), interval)
    except TimeoutError:
        return None
    batch = [first]
    while not queue.empty():
        batch.append(queue.get_nowait())
    return batch
