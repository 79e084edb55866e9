"""Calendar: interviews and deadlines read from mail, offered as an .ics file."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from applylens.assistant.schemas import AnswerItem
from applylens.assistant.timephrases import start_of_day
from applylens.assistant.tools.base import (
    SCAN_LIMIT,
    Proposal,
    ToolContext,
    ToolResult,
    count_noun,
    format_datetime,
    unread_note,
)
from applylens.assistant.tools.events import (
    EVENT_LABELS,
    MailEvent,
    build_ics,
    read_events,
)

# Invitations arrive days or weeks before the interview, so the mail searched
# reaches back at least this far even when the question asks about "this week".
MIN_LOOKBACK_DAYS = 30
# The soonest events are offered. A longer list is cut, and the answer states
# how many events were left out.
MAX_EVENTS = 50


def calendar(ctx: ToolContext) -> ToolResult:
    lookback = max(ctx.window_days, MIN_LOOKBACK_DAYS)
    excluded = ctx.plan.excluded_labels
    # With every event label excluded, the context's filters drop all mail.
    labels = [label for label in EVENT_LABELS if label not in excluded]
    scan = ctx.scan(
        ctx.plan.query,
        labels=labels or EVENT_LABELS,
        limit=SCAN_LIMIT,
        sort="date",
        use_window=False,
        after=ctx.now - timedelta(days=lookback),
    )
    messages = scan.messages
    start, end = event_period(ctx)
    events = [
        e for e in read_events(messages, ctx.owner_addresses) if start <= e.start < end
    ]
    if ctx.plan.deadline is not None:
        # Compare the day the mail wrote, so that "by Monday" keeps a deadline
        # of Monday 11:59 PM ET even though that is Tuesday in UTC.
        last_day = ctx.plan.deadline.date()
        events = [e for e in events if e.day is None or e.day <= last_day]
    events = _drop_settled_slots(events)
    events.sort(key=lambda e: e.start)
    more = len(events) - MAX_EVENTS
    events = events[:MAX_EVENTS]

    items = [_item(event, ctx.zone) for event in events]
    proposals = []
    if events:
        proposals.append(
            Proposal(
                kind="calendar",
                title=f"Add {count_noun(len(events), 'event')} to your calendar",
                email_ids=sorted({e.message.doc_id for e in events}),
                params={
                    "events": [e.to_json() for e in events],
                    "ics": build_ics(events).decode(),
                    "filename": "applylens-events.ics",
                },
            )
        )
    answer = _answer(ctx, events, more)
    notes = [unread_note(scan, "invitations and scheduling messages")]
    notes.append(ctx.exclusion_note)
    if any(notes):
        answer += "\n" + " ".join(note for note in notes if note)
    return ToolResult(
        answer=answer,
        items=items,
        proposals=proposals,
        messages=[e.message for e in events],
    )


def event_period(ctx: ToolContext) -> tuple[datetime, datetime]:
    """Return the span the events must start in: from today on by default, up
    to the deadline when one is named, or the named period ("this week")."""
    plan = ctx.plan
    today = start_of_day(ctx.now)
    if plan.deadline is not None:
        return ctx.now, plan.deadline + timedelta(days=1)
    if plan.window_phrase and plan.after is not None:
        length = timedelta(
            days=7 if "week" in plan.window_phrase else plan.window_days or 1
        )
        if "month" in plan.window_phrase:
            length = timedelta(days=31)
        return plan.after, plan.before or plan.after + length
    if plan.window_days is not None:
        return ctx.now - timedelta(days=plan.window_days), ctx.now
    return today, datetime.max.replace(tzinfo=ctx.now.tzinfo)


def _drop_settled_slots(events: list[MailEvent]) -> list[MailEvent]:
    """Leave out proposed slots of a thread that already has an interview."""
    settled = {e.message.thread_id for e in events if e.kind == "interview"}
    return [e for e in events if e.kind != "slot" or e.message.thread_id not in settled]


def _item(event: MailEvent, zone: tzinfo) -> AnswerItem:
    return AnswerItem(
        kind="event",
        title=event.summary,
        detail=format_datetime(event.start, zone)
        + (" (tentative)" if event.kind == "slot" else ""),
        email_ids=[event.message.doc_id],
        data=event.to_json(),
    )


def _answer(ctx: ToolContext, events: list[MailEvent], more: int) -> str:
    zone = ctx.zone
    if not events:
        return (
            f"No upcoming interviews or deadlines were found in your mail{ctx.senders}."
        )
    lines = [
        f"{count_noun(len(events), 'event')} read from your mail. Download them "
        "as an .ics file from the proposal, and approve it to save them in "
        "ApplyLens:"
    ]
    for event in events:
        tentative = " (proposed slot)" if event.kind == "slot" else ""
        lines.append(
            f"- {format_datetime(event.start, zone)}: {event.summary}{tentative}"
        )
    if more > 0:
        verb = "is" if more == 1 else "are"
        lines.append(f"{count_noun(more, 'later event')} {verb} left out.")
    return "\n".join(lines)
