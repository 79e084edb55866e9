"""Follow-up: threads whose last message came from the other side and has
waited N days (3 unless the question names another number) for the owner's
reply."""

from __future__ import annotations

import re
from datetime import UTC, timedelta, tzinfo

from applylens.assistant.maildates import unquoted
from applylens.assistant.schemas import AnswerItem
from applylens.assistant.tools.base import (
    JOB_LABELS,
    SCAN_LIMIT,
    Proposal,
    ToolContext,
    ToolResult,
    company_of,
    count_noun,
    format_date,
)
from applylens.mail.model import Message

DEFAULT_DAYS = 3
FOLLOW_UP_LABELS = (
    *(label for label in JOB_LABELS if label != "rejection"),
    "personal",
)
# Each candidate thread costs one thread read, so the number read is bounded.
MAX_THREADS = 60
_NO_REPLY_LABELS = frozenset({"newsletter", "promo", "suspicious", "rejection"})
_CONFIRMATION = re.compile(
    r"\b(?:you're|you are|is|are) (?:all )?confirmed\b|^confirmed:", re.IGNORECASE
)
_NO_REPLY_SENDERS = (
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "notifications",
    "notices",
    "alerts",
    "mailer-daemon",
    "bounce",
)


def follow_up(ctx: ToolContext) -> ToolResult:
    days = ctx.plan.follow_up_days or DEFAULT_DAYS
    labels = [label for label in ctx.plan.labels if label in FOLLOW_UP_LABELS]
    messages = ctx.search(
        ctx.plan.query, labels=labels or FOLLOW_UP_LABELS, limit=SCAN_LIMIT, sort="date"
    )
    waiting = _waiting_threads(ctx, messages, days)

    items = []
    proposals = []
    for last, thread in waiting:
        draft = draft_reply(last, thread, ctx.zone)
        proposal = _proposal(last, draft)
        proposals.append(proposal)
        items.append(_item(ctx, last, thread, draft))
    return ToolResult(
        answer=_answer(ctx, waiting, days),
        items=items,
        proposals=proposals,
        messages=[last for last, _thread in waiting],
    )


def _waiting_threads(
    ctx: ToolContext, messages: list[Message], days: int
) -> list[tuple[Message, list[Message]]]:
    cutoff = ctx.now - timedelta(days=days)
    seen: set[str] = set()
    waiting = []
    for message in messages:
        thread_id = message.thread_id or message.doc_id
        if thread_id in seen or len(seen) >= MAX_THREADS:
            continue
        seen.add(thread_id)
        ctx.check_cancel()
        thread = _thread_of(ctx, message)
        last = thread[-1]
        if last.date <= cutoff and _awaits_owner(ctx, last):
            waiting.append((last, thread))
    waiting.sort(key=lambda pair: pair[0].date)
    return waiting


def _thread_of(ctx: ToolContext, message: Message) -> list[Message]:
    if not message.thread_id:
        return [message]
    thread = ctx.backend.get_thread(ctx.owner, message.thread_id)
    thread = [m for m in thread if not ctx.is_archived(m.doc_id)]
    return sorted(thread, key=lambda m: m.date) or [message]


def _awaits_owner(ctx: ToolContext, last: Message) -> bool:
    """Tell whether the newest message of a thread still needs the owner."""
    if ctx.is_owner_address(last.sender) or last.is_replied:
        return False
    if _NO_REPLY_LABELS & set(last.labels):
        return False
    # Receipts from applicant tracking systems are automated, and a
    # confirmation of an agreed time asks for nothing more.
    if set(last.labels) <= {"application_receipt"} and last.labels:
        return False
    if _CONFIRMATION.search(last.subject) or _CONFIRMATION.search(unquoted(last.text)):
        return False
    local_part = last.sender.lower().split("@", 1)[0]
    return not any(word in local_part for word in _NO_REPLY_SENDERS)


def draft_reply(last: Message, thread: list[Message], zone: tzinfo = UTC) -> str:
    """Write a short reply that fits what the other side last sent, with
    dates in `zone`."""
    first_name = (last.sender_name or "").split(" ")[0] or "there"
    company = company_of(last)
    role = f" for the {last.role} role" if last.role else ""
    labels = set(last.labels)
    if "offer" in labels:
        body = (
            f"Thank you very much for the offer{role} at {company}. I am reviewing "
            "the details and will come back to you with my decision shortly. Could "
            "we find a time this week to go over a few questions?"
        )
    elif labels & {"interview", "scheduling"}:
        body = (
            f"Thank you for getting in touch about the interview{role}. I am happy "
            "to confirm; please let me know if anything else is needed before then."
        )
    elif "assessment" in labels:
        body = (
            f"Thank you for sending the assessment{role}. I wanted to confirm that "
            "I received it and will complete it before the deadline."
        )
    elif "recruiter_outreach" in labels:
        body = (
            f"Thank you for reaching out{role}. I would be glad to learn more; "
            "could you share the details of the position and a few times to talk?"
        )
    elif "application_receipt" in labels:
        body = (
            f"I applied{role} at {company} on {format_date(thread[0].date, zone)} and "
            "wanted to follow up on the status of my application. I remain very "
            "interested and am happy to provide anything else you need."
        )
    else:
        body = "Thanks for your message, and sorry for the slow reply."
    return f"Hi {first_name},\n\n{body}\n\nBest regards"


def _subject(last: Message) -> str:
    subject = last.subject or ""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()


def _proposal(last: Message, draft: str) -> Proposal:
    to = last.reply_to or last.sender
    return Proposal(
        kind="reply",
        title=f"Reply to {last.sender_name or last.sender}: {_subject(last)}",
        email_ids=[last.doc_id],
        params={
            "to": to,
            "subject": _subject(last),
            "body": draft,
            "thread_id": last.thread_id,
            "in_reply_to": last.message_id,
        },
    )


def _item(
    ctx: ToolContext, last: Message, thread: list[Message], draft: str
) -> AnswerItem:
    waited = int(ctx.age_days(last))
    return AnswerItem(
        kind="follow_up",
        title=last.subject or "(no subject)",
        detail=f"{last.sender_name or last.sender} wrote {waited} days ago "
        f"({format_date(last.date, ctx.zone)}); "
        f"{count_noun(len(thread), 'message')} in the thread",
        email_ids=[last.doc_id],
        data={
            "thread_id": last.thread_id,
            "waiting_days": waited,
            "draft": draft,
            "to": last.reply_to or last.sender,
        },
    )


def _answer(
    ctx: ToolContext, waiting: list[tuple[Message, list[Message]]], days: int
) -> str:
    if not waiting:
        return (
            f"No thread from the last {ctx.window_days} days has waited {days} days "
            "or more for your reply."
        )
    lines = [
        f"{count_noun(len(waiting), 'thread')} waited {days} days or more for your "
        "reply. I drafted a reply to each, and nothing is sent until you approve:"
    ]
    for last, _thread in waiting:
        lines.append(
            f"- {last.subject or '(no subject)'} from {last.sender_name or last.sender}"
            f", {int(ctx.age_days(last))} days ago"
        )
    return "\n".join(lines)
