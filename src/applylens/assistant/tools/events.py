"""Interviews and deadlines read from mail, and their iCalendar form."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar

from applylens.assistant.maildates import FoundDate, find_dates, unquoted
from applylens.assistant.tools.base import MessageMemo, company_of
from applylens.mail.model import Message

EVENT_LABELS = ("interview", "scheduling", "assessment", "offer")
INTERVIEW_MINUTES = 45

_EVENT_MEMO: MessageMemo[list[MailEvent]] = MessageMemo()
_DEADLINE_CUE = re.compile(
    r"(?:deadline|due|by|before|no later than|expires?|until|complete (?:it )?by)"
    r"[:\s]*(?:the\s+)?(?:end of (?:the\s+)?day\s+)?(?:on\s+)?$",
    re.IGNORECASE,
)
_SLOT_CUE = re.compile(r"(?:^|\n)\s*[-*•]\s*$")
# A message that offers times to choose from: each time in it is a proposed
# slot, not an agreed interview.
_OFFERS_SLOTS = re.compile(
    r"would any of these times|which of these times|the following times|"
    r"these slots|let me know (?:which|what) (?:time|slot)|send me a few windows",
    re.IGNORECASE,
)
_LINK = re.compile(r"https://[^\s<>\"')]+")
_MINUTES = re.compile(r"(\d{2,3})[- ]minute", re.IGNORECASE)
_HOURS = re.compile(r"\b(one|two|three|\d)\s+hours?\b", re.IGNORECASE)
_HOUR_WORDS = {"one": 1, "two": 2, "three": 3}


@dataclass(slots=True)
class MailEvent:
    """An interview, a proposed slot or a deadline read from one message."""

    kind: str
    """"interview", "slot" (a time offered, not yet agreed) or "deadline"."""
    summary: str
    start: datetime
    end: datetime | None
    message: Message
    source_text: str
    link: str | None = None
    has_time: bool = True
    day: date | None = None
    """The day as the mail wrote it, in the mail's own time zone."""

    @property
    def uid(self) -> str:
        digest = hashlib.sha256(
            f"{self.message.doc_id}|{self.kind}|{self.start.isoformat()}".encode()
        )
        return f"{digest.hexdigest()[:24]}@applylens"

    def to_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "kind": self.kind,
            "summary": self.summary,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "email_id": self.message.doc_id,
            "source_text": self.source_text,
            "link": self.link,
            "description": (
                f"From: {self.message.sender}\nSubject: {self.message.subject}"
            ),
        }


def read_events(
    messages: Iterable[Message], owner_addresses: frozenset[str]
) -> list[MailEvent]:
    """Return the events of every message, skipping mail the owner sent."""
    events: list[MailEvent] = []
    for message in messages:
        if message.sender.lower() in owner_addresses:
            continue
        if not any(label in EVENT_LABELS for label in message.labels):
            continue
        events.extend(_events_of(message))
    return _dedupe(_latest_per_thread(events))


def _latest_per_thread(events: list[MailEvent]) -> list[MailEvent]:
    """Keep the interviews of the newest message of each thread that names
    one, because a later message reschedules or confirms an earlier one."""
    newest: dict[str, datetime] = {}
    for event in events:
        if event.kind == "interview" and event.message.thread_id:
            thread = event.message.thread_id
            newest[thread] = max(
                newest.get(thread, event.message.date), event.message.date
            )
    return [
        e
        for e in events
        if e.kind != "interview"
        or not e.message.thread_id
        or e.message.date == newest[e.message.thread_id]
    ]


def _events_of(message: Message) -> list[MailEvent]:
    # The cache keeps events without their message, so that it does not hold
    # every message body alive.
    cached = _EVENT_MEMO.get(
        message, lambda m: [_replace_message(e, None) for e in _read_events_of(m)]
    )
    return [_replace_message(e, message) for e in cached]


def _replace_message(event: MailEvent, message: Message | None) -> MailEvent:
    copy = dataclasses.replace(event)
    copy.message = message  # type: ignore[assignment]
    return copy


def _read_events_of(message: Message) -> list[MailEvent]:
    body = unquoted(message.text)
    text = f"{message.subject}\n{body}"
    company = company_of(message)
    link = next(iter(_LINK.findall(body)), None)
    events = []
    for found in find_dates(text, message.date, default_time=(23, 59)):
        kind = _kind_of(message, text, found)
        if kind is None:
            continue
        events.append(
            MailEvent(
                kind=kind,
                summary=_summary(kind, message, company),
                start=found.start,
                end=_end_of(kind, found, body, message.text),
                message=message,
                source_text=found.text,
                link=link if kind != "deadline" else None,
                has_time=found.has_time,
                day=found.day,
            )
        )
    # "by Monday, December 7" and "Deadline: Monday, December 7 at 11:59 PM ET"
    # often name the same deadline; the one with a time is the precise one.
    if any(e.kind == "deadline" and e.has_time for e in events):
        events = [e for e in events if e.kind != "deadline" or e.has_time]
    return events


def _kind_of(message: Message, text: str, found: FoundDate) -> str | None:
    before = text[max(0, found.position - 40) : found.position]
    if _DEADLINE_CUE.search(before):
        return "deadline"
    if not found.has_time:
        return None
    if _SLOT_CUE.search(before) or _OFFERS_SLOTS.search(text):
        return "slot"
    if "interview" in message.labels or "scheduling" in message.labels:
        return "interview"
    return None


def _summary(kind: str, message: Message, company: str) -> str:
    role = f" ({message.role})" if message.role else ""
    if kind == "deadline":
        what = "assessment" if "assessment" in message.labels else "reply"
        if "offer" in message.labels:
            what = "offer decision"
        return f"Deadline: {company} {what}{role}"
    if kind == "slot":
        return f"Proposed interview slot: {company}{role}"
    return f"Interview: {company}{role}"


def _end_of(kind: str, found: FoundDate, body: str, text: str) -> datetime | None:
    """Return the end of an event found in `body`, the message's own text.

    A confirmation often leaves the length to the invitation it quotes, so the
    whole `text`, quotes included, is read when the body names none.
    """
    if kind == "deadline":
        return None
    if found.end is not None and found.end > found.start:
        return found.end
    duration = _duration(body) or _duration(text)
    return found.start + (duration or timedelta(minutes=INTERVIEW_MINUTES))


def _duration(text: str) -> timedelta | None:
    minutes = _MINUTES.search(text)
    if minutes:
        return timedelta(minutes=int(minutes.group(1)))
    hours = _HOURS.search(text)
    if hours:
        word = hours.group(1).lower()
        return timedelta(hours=_HOUR_WORDS.get(word) or int(word))
    return None


def _dedupe(events: list[MailEvent]) -> list[MailEvent]:
    """Keep one event per (company, kind, start): a confirmation repeats the
    time its thread already gave."""
    seen: set[tuple[str, str, datetime]] = set()
    unique = []
    for event in sorted(events, key=lambda e: (e.start, -e.message.date.timestamp())):
        key = (event.summary, event.kind, event.start)
        if key in seen:
            continue
        seen.add(key)
        unique.append(event)
    return unique


def upcoming(events: Sequence[MailEvent], now: datetime) -> list[MailEvent]:
    """Return the events that have not started yet, soonest first, interviews
    before slots and deadlines at the same time."""
    order = {"interview": 0, "deadline": 1, "slot": 2}
    ahead = [event for event in events if event.start >= now]
    return sorted(ahead, key=lambda e: (order[e.kind] > 0, e.start, order[e.kind]))


def build_ics(events: Iterable[MailEvent | Mapping[str, Any]]) -> bytes:
    """Return an iCalendar (RFC 5545) file of the events, given as MailEvent
    objects or as the dictionaries of `MailEvent.to_json`."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//ApplyLens//assistant//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    stamp = datetime.now(UTC).replace(microsecond=0)
    for event in events:
        data = event.to_json() if isinstance(event, MailEvent) else dict(event)
        calendar.add_component(_ics_event(data, stamp))
    return calendar.to_ical()


def _ics_event(data: dict[str, Any], stamp: datetime) -> icalendar.Event:
    start = _as_datetime(data["start"])
    end = _as_datetime(data["end"]) if data.get("end") else start
    entry = icalendar.Event()
    entry.add("uid", str(data["uid"]))
    entry.add("dtstamp", stamp)
    entry.add("summary", str(data["summary"]))
    entry.add("dtstart", start)
    # A deadline is a moment, so it becomes a zero-length event at that time.
    entry.add("dtend", end)
    description = [str(data.get("description") or "")]
    if data.get("source_text"):
        description.append(f"Read from the mail: {data['source_text']}")
    entry.add("description", "\n".join(line for line in description if line))
    if data.get("link"):
        entry.add("location", str(data["link"]))
        entry.add("url", str(data["link"]))
    if data.get("kind") == "slot":
        entry.add("status", "TENTATIVE")
    return entry


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
