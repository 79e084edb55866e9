"""Request and answer models of the chat assistant.

The API returns these as JSON, both from `POST /api/chat` and, event by event,
from the stream; the web page reads the same shapes.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

Intent = Literal[
    "summarize", "find", "clean", "unsubscribe", "flag", "follow_up", "calendar", "task"
]
INTENTS: tuple[Intent, ...] = (
    "summarize",
    "find",
    "clean",
    "unsubscribe",
    "flag",
    "follow_up",
    "calendar",
    "task",
)


class ChatTurn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=8000)


class ChatFilters(BaseModel):
    labels: list[str] = Field(default_factory=list)
    sender_domain: str | None = None
    after: datetime | None = None
    before: datetime | None = None

    @field_validator("after", "before")
    @classmethod
    def _assume_utc(cls, value: datetime | None) -> datetime | None:
        # A date or time without a zone is read as UTC, the zone every stored
        # date is in, so that it can be compared with them.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _after_before_order(self) -> ChatFilters:
        if self.after and self.before and self.after >= self.before:
            raise ValueError(
                f"filters.after ({self.after.isoformat()}) must be earlier than "
                f"filters.before ({self.before.isoformat()})"
            )
        return self


class ChatRequest(BaseModel):
    messages: list[ChatTurn] = Field(min_length=1)
    window_days: int = Field(default=30, ge=1, le=365)
    filters: ChatFilters = Field(default_factory=ChatFilters)
    max_results: int = Field(default=20, ge=1, le=100)
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description=(
            "IANA name of the reader's time zone, such as Europe/Paris. Answers "
            "give dates and times in it, and 'today' or 'this week' start at its "
            "midnight. Without it, UTC."
        ),
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            read_zone(value)
        return value

    @property
    def zone(self) -> tzinfo:
        return read_zone(self.time_zone) if self.time_zone else UTC


def read_zone(name: str) -> tzinfo:
    """Return the time zone of IANA name `name`; raise ValueError naming it
    when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, ZoneInfoNotFoundError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Paris"
        ) from None


class Citation(BaseModel):
    """An email an answer used."""

    id: str
    thread_id: str
    subject: str
    sender: str
    sender_name: str = ""
    date: datetime
    labels: list[str]


class AnswerItem(BaseModel):
    """One structured line of an answer: a group, a match, an event or a task."""

    kind: str
    title: str
    detail: str = ""
    email_ids: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class ProposedAction(BaseModel):
    """A change the assistant proposes; nothing happens until it is approved."""

    id: str
    kind: Literal[
        "archive", "unsubscribe", "flag", "reply", "calendar", "task", "label"
    ]
    title: str
    email_ids: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    status: Literal["proposed", "approved", "rejected"] = "proposed"
    created_at: datetime | None = None


class SearchStats(BaseModel):
    total_hits: int
    returned: int
    took_ms: float
    backend: str


class WindowInfo(BaseModel):
    requested_days: int
    effective_days: int
    effective_after: datetime | None = None
    note: str | None = None
    """Set when retention or the filters made part of the window empty."""


class ChatAnswer(BaseModel):
    intent: Intent
    intent_explanation: str
    answer: str
    items: list[AnswerItem] = Field(default_factory=list)
    actions: list[ProposedAction] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    search: SearchStats
    window: WindowInfo
    timing_ms: dict[str, float] = Field(default_factory=dict)


# The Server-Sent Events of GET /api/chat/stream, in the order they are sent.
# `delta` repeats; `error` replaces the rest when the work fails.
STREAM_EVENTS = (
    "ready",
    "intent",
    "tool",
    "citations",
    "delta",
    "answer",
    "actions",
    "done",
)
