"""Task: requests in the mail ("please complete", "send us", "by Friday") as
a task list with due dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from applylens.assistant.maildates import find_dates, unquoted
from applylens.assistant.schemas import AnswerItem
from applylens.assistant.timephrases import parse_number
from applylens.assistant.tools.base import (
    SCAN_LIMIT,
    MessageMemo,
    Proposal,
    ToolContext,
    ToolResult,
    company_of,
    count_noun,
    format_datetime,
    unread_note,
)
from applylens.mail.model import Message

TASK_LABELS = (
    "assessment",
    "interview",
    "scheduling",
    "offer",
    "needs_reply",
    "recruiter_outreach",
    "application_receipt",
)
_REQUEST = re.compile(
    r"\b(?:please\s+(?:complete|send|submit|fill (?:out|in)|sign|return|upload|"
    r"confirm|review|let (?:us|me) know|reply|respond|share|provide|schedule|book|"
    r"pick|choose|select|finish|take|bring|prepare|forward|update)"
    r"|send (?:us|me|over)|could you (?:please\s+)?(?:send|share|complete|confirm|"
    r"provide|sign|fill)|can you (?:please\s+)?(?:send|share|complete|confirm|provide)"
    r"|we(?:'d| would) (?:need|like you to)|(?<!if )you (?:will )?need to|must be "
    r"(?:completed|finished|submitted|returned)|action required|complete (?:an?|the|"
    r"your) [^.]{0,60}?(?:assessment|test|challenge|exercise|questionnaire|form)"
    r"|would any of these times work|let us know your decision|"
    r"reply (?:by|before)|respond (?:by|before)|deadline:)",
    re.IGNORECASE,
)
_WITHIN = re.compile(
    r"\bwithin\s+(\d{1,3}|a|an|one|two|three|four|five|six|seven|ten|fourteen)\s+"
    r"(hour|day|business day|week)s?\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n{2,}|\n(?=\s*[-*•])")
_DUE_CUE = re.compile(r"\b(?:by|before|due|deadline|until|no later than)\b", re.I)
_MAX_TASKS = 40
_TASK_MEMO: MessageMemo[list[tuple[str, datetime | None, str, date | None]]] = (
    MessageMemo()
)
# A request whose due date passed this long ago is counted, not listed.
_OVERDUE_GRACE = timedelta(days=1)


@dataclass(slots=True)
class MailTask:
    title: str
    due: datetime | None
    message: Message
    sentence: str
    due_day: date | None = None
    """The due day as the mail wrote it, in the mail's own time zone."""


@dataclass(slots=True)
class _Due:
    moment: datetime
    has_time: bool
    day: date


def task(ctx: ToolContext) -> ToolResult:
    labels = [label for label in ctx.plan.labels if label in TASK_LABELS]
    excluded = ctx.plan.excluded_labels
    labels = labels or [label for label in TASK_LABELS if label not in excluded]
    # With every task label excluded, the context's filters drop all mail.
    labels = labels or list(TASK_LABELS)
    scan = ctx.scan(ctx.plan.query, labels=labels, limit=SCAN_LIMIT, sort="date")
    found = [
        t
        for m in scan.messages
        if not ctx.is_owner_address(m.sender)
        for t in _tasks_of(m)
    ]
    found = _unanswered(ctx, found)
    open_tasks, overdue = _open_tasks(ctx, found)
    if ctx.plan.deadline is not None:
        deadline = ctx.plan.deadline
        open_tasks = [
            t
            for t in open_tasks
            if t.due_day is not None and t.due_day <= deadline.date()
        ]
    open_tasks.sort(key=lambda t: (t.due is None, t.due or ctx.now))
    total = len(open_tasks)
    open_tasks = open_tasks[:_MAX_TASKS]

    items = [_item(t, ctx.zone) for t in open_tasks]
    proposals = [_proposal(t) for t in open_tasks]
    answer = _answer(ctx, open_tasks, total, overdue)
    notes = [unread_note(scan, "messages"), ctx.exclusion_note]
    if any(notes):
        answer += "\n" + " ".join(note for note in notes if note)
    return ToolResult(
        answer=answer,
        items=items,
        proposals=proposals,
        messages=[t.message for t in open_tasks],
    )


def _tasks_of(message: Message) -> list[MailTask]:
    # The cache keeps tasks without their message, so that it does not hold
    # every message body alive.
    facts = _TASK_MEMO.get(
        message,
        lambda m: [(t.title, t.due, t.sentence, t.due_day) for t in read_tasks(m)],
    )
    return [
        MailTask(title, due, message, sentence, day)
        for title, due, sentence, day in facts
    ]


def read_tasks(message: Message) -> list[MailTask]:
    """Return the request a message makes (one task per message, titled by
    its first request) with the most precise due date the message gives."""
    body = unquoted(message.text or "")
    sentences = [s.strip() for s in _SENTENCE.split(body) if s.strip()]
    sentences.insert(0, message.subject)
    requests = [s for s in sentences if _REQUEST.search(s)]
    if not requests:
        return []
    dues = [due for due in (_due_in(s, message) for s in sentences) if due is not None]
    # A due date with a time of day beats one that only names the day.
    dues.sort(key=lambda due: not due.has_time)
    title_sentence = next((s for s in requests if s != message.subject), requests[0])
    title = _title(title_sentence, message)
    if not dues:
        dues = _meeting_time(body, message)
    if not dues:
        return [MailTask(title, None, message, title_sentence)]
    due = dues[0]
    return [MailTask(title, due.moment, message, title_sentence, due.day)]


def _meeting_time(body: str, message: Message) -> list[_Due]:
    """Return the first meeting time a message names: a request to confirm
    an interview is due by the interview at the latest."""
    timed = [d for d in find_dates(body, message.date) if d.has_time]
    return [_Due(timed[0].start, True, timed[0].day)] if timed else []


def _due_in(sentence: str, message: Message) -> _Due | None:
    """Return the due date a sentence gives, if any."""
    within = _WITHIN.search(sentence)
    if within is not None:
        amount = parse_number(within.group(1).lower())
        unit = within.group(2).lower()
        hours = {"hour": 1, "day": 24, "business day": 24, "week": 24 * 7}[unit]
        moment = message.date + timedelta(hours=amount * hours)
        return _Due(moment, unit == "hour", moment.date())
    if not _DUE_CUE.search(sentence):
        return None
    dates = find_dates(sentence, message.date, default_time=(23, 59))
    if not dates:
        return None
    return _Due(dates[0].start, dates[0].has_time, dates[0].day)


def _unanswered(ctx: ToolContext, tasks: list[MailTask]) -> list[MailTask]:
    """Drop requests the owner already answered: the message is marked
    replied, or the owner wrote in its thread after it."""
    owner_replies: dict[str, list[datetime]] = {}
    kept = []
    for item in tasks:
        message = item.message
        if message.is_replied:
            continue
        thread_id = message.thread_id
        if thread_id and thread_id not in owner_replies:
            ctx.check_cancel()
            thread = ctx.backend.get_thread(ctx.owner, thread_id)
            owner_replies[thread_id] = [
                m.date for m in thread if ctx.is_owner_address(m.sender)
            ]
        if any(date > message.date for date in owner_replies.get(thread_id, [])):
            continue
        kept.append(item)
    return kept


def _title(sentence: str, message: Message) -> str:
    text = re.sub(r"\s+", " ", sentence).strip(" -*•")
    if len(text) > 140:
        text = text[:137].rstrip() + "..."
    return f"{company_of(message)}: {text}"


def _open_tasks(ctx: ToolContext, tasks: list[MailTask]) -> tuple[list[MailTask], int]:
    open_tasks = []
    overdue = 0
    for item in tasks:
        if item.due is not None and item.due < ctx.now - _OVERDUE_GRACE:
            overdue += 1
        else:
            open_tasks.append(item)
    return open_tasks, overdue


def _item(item: MailTask, zone: tzinfo) -> AnswerItem:
    due = format_datetime(item.due, zone) if item.due else "no due date"
    return AnswerItem(
        kind="task",
        title=item.title,
        detail=f"due {due}",
        email_ids=[item.message.doc_id],
        data={
            "due": item.due.isoformat() if item.due else None,
            "sentence": item.sentence,
            "subject": item.message.subject,
        },
    )


def _proposal(item: MailTask) -> Proposal:
    return Proposal(
        kind="task",
        title=item.title,
        email_ids=[item.message.doc_id],
        params={
            "title": item.title,
            "due": item.due.isoformat() if item.due else None,
            "sentence": item.sentence,
        },
    )


def _answer(ctx: ToolContext, tasks: list[MailTask], total: int, overdue: int) -> str:
    if not tasks:
        answer = f"No open requests in your mail {ctx.scope}."
    else:
        found = count_noun(total, "request")
        if total > len(tasks):
            headline = f"{found} in your mail; here are the {len(tasks)} soonest due:"
        else:
            headline = f"{found} in your mail, soonest due first:"
        lines = [headline]
        for item in tasks:
            due = f" (due {format_datetime(item.due, ctx.zone)})" if item.due else ""
            lines.append(f"- {item.title}{due}")
        answer = "\n".join(lines)
    if overdue:
        answer += f"\n{overdue} older requests are past their due date and not listed."
    return answer
