"""The assistant: from a chat request to a cited answer with proposed actions.

`Assistant.stream` does the work step by step and yields one event per step
(the event names of `schemas.STREAM_EVENTS` without the API's own "ready" and
"done"); `Assistant.answer` consumes the same stream, so both return the same
answer. Backend errors (BackendUnavailable, QuerySyntaxError) propagate: an
outage is never reported as "no emails found".
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from applylens.assistant.actions import (
    ActionStore,
    ExceptionStore,
    UnsubscribeSender,
    record_only_sender,
)
from applylens.assistant.intents import (
    IntentPlan,
    describe_exclusions,
    detect_intent,
)
from applylens.assistant.schemas import (
    ChatAnswer,
    ChatRequest,
    Citation,
    ProposedAction,
    SearchStats,
    WindowInfo,
)
from applylens.assistant.senders import SenderException
from applylens.assistant.tools import TOOLS
from applylens.assistant.tools.base import Cancelled, ToolContext, ToolResult
from applylens.errors import QuerySyntaxError
from applylens.mail.model import Message
from applylens.store.base import SearchBackend
from applylens.store.query import LABELS, normalize_label

logger = logging.getLogger(__name__)

# Tools that read the last year of mail by default, because what they look
# for is old mail: a 30-day window would hide everything "older than a month".
_WHOLE_MAILBOX_INTENTS = frozenset({"clean", "unsubscribe"})
_CONTINUATION = re.compile(
    r"^\s*(?:and|also|what about|how about|same for|ok(?:ay)? and|now|plus|then)\b"
)
_DELTA_SIZE = 80

StreamEvent = tuple[str, dict[str, Any]]


class AnswerCancelled(Exception):
    """`answer` was cancelled before the answer was complete."""


class Assistant:
    """Answer chat requests over one search backend, with state per owner."""

    def __init__(
        self,
        backend: SearchBackend,
        state: sqlite3.Connection,
        *,
        owner_addresses: Sequence[str] = (),
        retention_days: int = 0,
        now: Callable[[], datetime] | None = None,
        unsubscribe_sender: UnsubscribeSender = record_only_sender,
    ):
        self.backend = backend
        self.owner_addresses = frozenset(a.strip().lower() for a in owner_addresses)
        self.retention_days = retention_days
        self._now = now or (lambda: datetime.now(UTC))
        self.actions = ActionStore(
            state, backend, unsubscribe_sender=unsubscribe_sender
        )
        self.exceptions = ExceptionStore(state)

    def answer(
        self,
        request: ChatRequest,
        owner: str,
        cancel: threading.Event | None = None,
    ) -> ChatAnswer:
        """Answer a request; raise AnswerCancelled when `cancel` is set first."""
        answer: ChatAnswer | None = None
        try:
            for event, data in self._events(request, owner, cancel):
                if event == "answer" and isinstance(data, ChatAnswer):
                    answer = data
        except Cancelled:
            logger.info("answer for %s cancelled", owner)
        if answer is None:
            raise AnswerCancelled("the answer was cancelled before it was complete")
        return answer

    def stream(
        self,
        request: ChatRequest,
        owner: str,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        """Yield ("intent" | "tool" | "citations" | "delta" | "answer" |
        "actions", data) events; stop without error as soon as `cancel` is set."""
        try:
            for event, data in self._events(request, owner, cancel):
                if isinstance(data, ChatAnswer):
                    yield event, data.model_dump(mode="json")
                else:
                    yield event, data
        except Cancelled:
            logger.info("answer for %s cancelled", owner)

    def _events(
        self, request: ChatRequest, owner: str, cancel: threading.Event | None
    ) -> Iterator[tuple[str, dict[str, Any] | ChatAnswer]]:
        """Do the work of `stream`, yielding the answer as a model so that
        `answer` need not convert it to JSON and back."""
        started = time.perf_counter()
        owner = owner.strip().lower()
        now = self._now()
        _check(cancel)
        # Read in the reader's zone, "today" and "this week" start at the
        # reader's midnight.
        plan = self.plan(request, now.astimezone(request.zone))
        yield "intent", _intent_event(plan)

        _check(cancel)
        context = self._context(request, owner, plan, now, cancel)
        planned = time.perf_counter()
        result = self._run_tool(context)
        actions = self._store_proposals(owner, result)
        tool_done = time.perf_counter()
        yield (
            "tool",
            {
                "tool": plan.intent,
                "matches": len(result.messages),
                "actions": len(actions),
            },
        )

        _check(cancel)
        citations = _citations(result.messages, request.max_results)
        yield "citations", {"citations": [c.model_dump(mode="json") for c in citations]}
        for chunk in split_deltas(result.answer):
            _check(cancel)
            yield "delta", {"text": chunk}

        answer = ChatAnswer(
            intent=plan.intent,
            intent_explanation=plan.explanation,
            answer=result.answer,
            items=result.items,
            actions=actions,
            citations=citations,
            search=SearchStats(
                total_hits=context.tally.total_hits,
                returned=context.tally.returned,
                took_ms=round(context.tally.took_ms, 3),
                backend=self.backend.name,
            ),
            window=self._window_info(request, plan, context),
            timing_ms={
                "plan": _ms(started, planned),
                "tool": _ms(planned, tool_done),
                "total": _ms(started, time.perf_counter()),
            },
        )
        _check(cancel)
        yield "answer", answer
        yield "actions", {"actions": [a.model_dump(mode="json") for a in actions]}
        logger.info(
            "answered %s for %s: %d matches, %d actions in %.1f ms",
            plan.intent,
            owner,
            len(result.messages),
            len(actions),
            answer.timing_ms["total"],
        )

    def plan(self, request: ChatRequest, now: datetime) -> IntentPlan:
        """Detect the intent of the last user turn, reusing the intent of the
        previous question when the last one only continues it ("and from
        Google?")."""
        questions = [turn.content for turn in request.messages if turn.role == "user"]
        if not questions:
            raise ValueError(
                "the request has no user message; add one with role 'user'"
            )
        plan = detect_intent(questions[-1], now=now)
        if len(questions) < 2 or not _continues(questions[-1], plan):
            return plan
        previous = detect_intent(questions[-2], now=now)
        return _merge_with_previous(plan, previous)

    def _context(
        self,
        request: ChatRequest,
        owner: str,
        plan: IntentPlan,
        now: datetime,
        cancel: threading.Event | None,
    ) -> ToolContext:
        window_days = _requested_days(request, plan)
        if self.retention_days > 0:
            window_days = min(window_days, self.retention_days)
        before = plan.before
        if plan.min_age_days is not None and plan.intent != "clean":
            # "newsletters older than a month" asks for mail before that age.
            cutoff = now - timedelta(days=plan.min_age_days)
            before = cutoff if before is None else min(before, cutoff)
        archived = self.actions.archived_ids(owner)
        return ToolContext(
            backend=self.backend,
            owner=owner,
            plan=plan,
            request=request,
            now=now,
            window_days=window_days,
            after=plan.after,
            before=before,
            owner_addresses=self._addresses_of(owner),
            exceptions=self._exceptions_for(owner, plan),
            is_archived=archived.__contains__,
            has_archived=bool(archived),
            cancel=cancel,
            filter_labels=filter_labels(request),
        )

    def _run_tool(self, context: ToolContext) -> ToolResult:
        remember = context.plan.remember
        if remember is None:
            return TOOLS[context.plan.intent](context)
        if remember.forget:
            return self._forget(context.owner, remember.exception)
        learned = self.exceptions.add_exception(context.owner, remember.exception)
        return ToolResult(
            answer=(
                f"I will remember to keep mail from {learned.description}: "
                "clean and unsubscribe will leave it alone. You can list and "
                "remove learned exceptions at any time."
            )
        )

    def _forget(self, owner: str, target: SenderException) -> ToolResult:
        learned = self.exceptions.list(owner)
        matching = [
            e for e in learned if (e.kind, e.value) == (target.kind, target.value)
        ]
        for exception in matching:
            assert exception.id is not None
            self.exceptions.remove(owner, exception.id)
        if not matching:
            known = ", ".join(e.description for e in learned) or "none"
            return ToolResult(
                answer=(
                    f"No learned exception matches {target.description}. "
                    f"The learned exceptions are: {known}."
                )
            )
        return ToolResult(
            answer=(
                f"I forgot the exception for {target.description}: clean and "
                "unsubscribe may propose its mail again."
            )
        )

    def _store_proposals(self, owner: str, result: ToolResult) -> list[ProposedAction]:
        return [
            self.actions.propose(owner, p.kind, p.title, p.email_ids, p.params)
            for p in result.proposals
        ]

    def _window_info(
        self, request: ChatRequest, plan: IntentPlan, context: ToolContext
    ) -> WindowInfo:
        requested = _requested_days(request, plan)
        effective_after = context.tally.effective_after or (
            context.after or context.now - timedelta(days=context.window_days)
        )
        note = None
        # The whole year that clean and unsubscribe look at is the assistant's
        # choice, not the person's, so only a window they asked for gets a note.
        asked = (
            plan.window_days if plan.window_days is not None else request.window_days
        )
        if self.retention_days > 0 and asked > self.retention_days:
            note = (
                f"Mail older than {self.retention_days} days is not kept, so this "
                f"answer covers the last {self.retention_days} days, not {asked}."
            )
        if plan.window_note:
            note = f"{note} {plan.window_note}." if note else f"{plan.window_note}."
        window_start = context.now - timedelta(days=context.window_days)
        filter_after = request.filters.after
        if filter_after is not None and filter_after > window_start:
            narrowed = f"The filters start the window at {filter_after:%Y-%m-%d}."
            note = f"{note} {narrowed}" if note else narrowed
        return WindowInfo(
            requested_days=requested,
            effective_days=context.window_days,
            effective_after=effective_after,
            note=note,
        )

    def _addresses_of(self, owner: str) -> frozenset[str]:
        if "@" in owner:
            return self.owner_addresses | {owner}
        return self.owner_addresses

    def _exceptions_for(self, owner: str, plan: IntentPlan) -> list[SenderException]:
        return [*plan.exceptions, *self.exceptions.list(owner)]

    # The calls the API exposes next to the chat.

    def list_actions(
        self, owner: str, status: str | None = None
    ) -> list[ProposedAction]:
        return self.actions.list_actions(owner, status)

    def approve_action(self, owner: str, action_id: str) -> ProposedAction:
        return self.actions.approve(owner, action_id)

    def reject_action(self, owner: str, action_id: str) -> ProposedAction:
        return self.actions.reject(owner, action_id)

    def list_exceptions(self, owner: str) -> list[SenderException]:
        return self.exceptions.list(owner)

    def add_exception(self, owner: str, text: str) -> SenderException:
        return self.exceptions.add(owner, text)

    def remove_exception(self, owner: str, exception_id: int) -> None:
        self.exceptions.remove(owner, exception_id)


def _requested_days(request: ChatRequest, plan: IntentPlan) -> int:
    """Return the window of a question: the one its words name, else the
    request's, except that questions about old mail look at the whole year."""
    if plan.window_days is not None:
        return plan.window_days
    looks_back = plan.intent in _WHOLE_MAILBOX_INTENTS or plan.min_age_days is not None
    return 365 if looks_back else request.window_days


def filter_labels(request: ChatRequest) -> frozenset[str]:
    """Return the request's label filter as known labels; raise
    QuerySyntaxError (a 400 in the API) naming an unknown one."""
    labels = set()
    for value in request.filters.labels:
        label = normalize_label(value)
        if label is None:
            raise QuerySyntaxError(
                f"unknown label {value!r} in filters.labels: use one of "
                f"{', '.join(LABELS)}",
                query=value,
            )
        labels.add(label)
    return frozenset(labels)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 3)


def _intent_event(plan: IntentPlan) -> dict[str, Any]:
    return {
        "intent": plan.intent,
        "explanation": plan.explanation,
        "window_days": plan.window_days,
        "labels": plan.labels,
        "query": plan.query,
        "exceptions": [e.description for e in plan.exceptions],
    }


def _continues(question: str, plan: IntentPlan) -> bool:
    from applylens.assistant.intents import normalize

    if plan.remember is not None:
        return False
    if _CONTINUATION.search(normalize(question)):
        return plan.is_fallback or plan.intent == "find" and not plan.keywords
    return plan.is_fallback and len(question.split()) <= 4


def _merge_with_previous(plan: IntentPlan, previous: IntentPlan) -> IntentPlan:
    """Answer a continuation with the previous question's intent and labels,
    and this question's own words, window and exceptions where it has them."""
    plan.intent = previous.intent
    plan.is_fallback = previous.is_fallback
    plan.explanation = (
        f"{previous.intent.replace('_', '-')}: this continues the previous "
        f"question ({previous.explanation})"
    )
    plan.labels = plan.labels or previous.labels
    if plan.window_days is None:
        plan.window_days = previous.window_days
        plan.after, plan.before = previous.after, previous.before
    plan.deadline = plan.deadline or previous.deadline
    plan.min_age_days = plan.min_age_days or previous.min_age_days
    plan.follow_up_days = plan.follow_up_days or previous.follow_up_days
    plan.exceptions = plan.exceptions or previous.exceptions
    if not plan.query_terms and not plan.phrases:
        plan.query_terms, plan.phrases = previous.query_terms, previous.phrases
    if plan.exclusions:
        plan.explanation += f"; left out: {describe_exclusions(plan.exclusions)}"
    else:
        plan.exclusions = previous.exclusions
    return plan


def _citations(messages: list[Message], limit: int) -> list[Citation]:
    seen: set[str] = set()
    citations = []
    for message in messages:
        if message.doc_id in seen:
            continue
        seen.add(message.doc_id)
        citations.append(
            Citation(
                id=message.doc_id,
                thread_id=message.thread_id,
                subject=message.subject,
                sender=message.sender,
                sender_name=message.sender_name,
                date=message.date,
                labels=list(message.labels),
            )
        )
        if len(citations) >= limit:
            break
    return citations


def split_deltas(text: str, size: int = _DELTA_SIZE) -> list[str]:
    """Split an answer into stream chunks of about `size` characters at word
    boundaries; joined, the chunks give the text back exactly."""
    chunks: list[str] = []
    current = ""
    for piece in re.findall(r"\S+\s*|\s+", text):
        if current and len(current) + len(piece) > size:
            chunks.append(current)
            current = ""
        current += piece
    if current:
        chunks.append(current)
    return chunks
