"""Follow-up: threads whose last message came from the other side and has
waited N days (3 unless the question names another number) for the owner's
reply. For a question about who has not got back to the owner: threads that
have waited N days (7 by default) for the other side."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from applylens.assistant.maildates import unquoted
from applylens.assistant.schemas import AnswerItem
from applylens.assistant.tools.base import (
    JOB_LABELS,
    SCAN_LIMIT,
    Proposal,
    Scan,
    ToolContext,
    ToolResult,
    company_of,
    count_noun,
    format_date,
    unread_note,
)
from applylens.mail.model import Message

DEFAULT_DAYS = 3
THEIR_DEFAULT_DAYS = 7
_SETTLED_LABELS = frozenset({"rejection", "offer"})
_PROGRESS_LABELS = ("interview", "assessment", "scheduling", "offer", "rejection")
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
    if ctx.plan.waiting_for == "them":
        return _awaiting_them(ctx)
    days = ctx.plan.follow_up_days or DEFAULT_DAYS
    scan = ctx.scan(ctx.plan.query, labels=_labels(ctx), limit=SCAN_LIMIT, sort="date")
    waiting, threads_cut = _waiting_threads(ctx, scan.messages, days)

    items = []
    proposals = []
    for last, thread in waiting:
        draft = draft_reply(last, thread, ctx.zone)
        proposal = _proposal(last, draft)
        proposals.append(proposal)
        items.append(_item(ctx, last, thread, draft))
    answer = _answer(ctx, waiting, days) + _notes(ctx, scan, threads_cut)
    return ToolResult(
        answer=answer,
        items=items,
        proposals=proposals,
        messages=[last for last, _thread in waiting],
    )


def _labels(ctx: ToolContext) -> list[str]:
    """Return the labels to search: those the question names, else every
    follow-up label the question does not leave out."""
    named = [label for label in ctx.plan.labels if label in FOLLOW_UP_LABELS]
    excluded = ctx.plan.excluded_labels
    searched = [label for label in FOLLOW_UP_LABELS if label not in excluded]
    # With every label excluded, the context's filters drop all mail.
    return named or searched or list(FOLLOW_UP_LABELS)


def _notes(ctx: ToolContext, scan: Scan, threads_cut: bool) -> str:
    """Return the sentences that name the mail left unread and the mail the
    question leaves out, on a line of their own, or ""."""
    notes = [unread_note(scan, "messages")]
    if threads_cut:
        notes.append(f"Only the {MAX_THREADS} newest threads were checked.")
    notes.append(ctx.exclusion_note)
    text = " ".join(note for note in notes if note)
    return f"\n{text}" if text else ""


def _waiting_threads(
    ctx: ToolContext, messages: list[Message], days: int
) -> tuple[list[tuple[Message, list[Message]]], bool]:
    """Return the threads waiting for the owner, oldest first, and whether
    threads past `MAX_THREADS` were left unread."""
    cutoff = ctx.now - timedelta(days=days)
    threads, cut = _distinct_threads(ctx, messages)
    waiting = [
        (thread[-1], thread)
        for thread in threads
        if thread[-1].date <= cutoff and _awaits_owner(ctx, thread[-1])
    ]
    waiting.sort(key=lambda pair: pair[0].date)
    return waiting, cut


def _distinct_threads(
    ctx: ToolContext, messages: list[Message]
) -> tuple[list[list[Message]], bool]:
    """Return the threads of `messages`, each once and at most `MAX_THREADS`,
    and whether threads past that limit were left unread."""
    seen: set[str] = set()
    threads = []
    for message in messages:
        thread_id = message.thread_id or message.doc_id
        if thread_id in seen:
            continue
        if len(seen) >= MAX_THREADS:
            return threads, True
        seen.add(thread_id)
        ctx.check_cancel()
        threads.append(_thread_of(ctx, message))
    return threads, False


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
        return f"No thread {ctx.scope} has waited {days} days or more for your reply."
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


# Threads waiting for the other side


def _awaiting_them(ctx: ToolContext) -> ToolResult:
    days = ctx.plan.follow_up_days or THEIR_DEFAULT_DAYS
    scan = ctx.scan(ctx.plan.query, labels=_labels(ctx), limit=SCAN_LIMIT, sort="date")
    cutoff = ctx.now - timedelta(days=days)
    progress = _company_progress(ctx)
    threads, threads_cut = _distinct_threads(ctx, scan.messages)
    waiting = [
        thread
        for thread in threads
        if thread[-1].date <= cutoff and _awaits_them(ctx, thread, progress)
    ]
    waiting.sort(key=lambda thread: thread[-1].date)

    items = []
    proposals = []
    for thread in waiting:
        contact = _contact(ctx, thread)
        draft = _nudge(thread, contact, ctx.zone) if contact else ""
        if contact:
            proposals.append(_nudge_proposal(thread[-1], contact, draft))
        items.append(_awaiting_item(ctx, thread, contact, draft))
    answer = _awaiting_answer(ctx, waiting, days, len(proposals))
    return ToolResult(
        answer=answer + _notes(ctx, scan, threads_cut),
        items=items,
        proposals=proposals,
        messages=[thread[-1] for thread in waiting],
    )


def _company_progress(ctx: ToolContext) -> dict[str, datetime]:
    """Return, per company, the date of its newest mail that moved an
    application on (an interview, an assessment, an offer or a rejection),
    which often starts a thread of its own rather than replying to the receipt."""
    newest: dict[str, datetime] = {}
    for message in ctx.search(labels=_PROGRESS_LABELS, limit=SCAN_LIMIT, sort="date"):
        company = company_of(message).lower()
        if company not in newest or message.date > newest[company]:
            newest[company] = message.date
    return newest


def _awaits_them(
    ctx: ToolContext, thread: list[Message], progress: dict[str, datetime]
) -> bool:
    """Tell whether the other side owes the thread a reply: the owner wrote
    last, or only an automatic application receipt came back and the company
    has sent nothing about the application since. A rejection or an offer in
    the thread settles it."""
    if any(_SETTLED_LABELS & set(message.labels) for message in thread):
        return False
    last = thread[-1]
    if ctx.is_owner_address(last.sender):
        return True
    if not last.labels or not set(last.labels) <= {"application_receipt"}:
        return False
    moved_on = progress.get(company_of(last).lower())
    return moved_on is None or moved_on <= last.date


def _contact(ctx: ToolContext, thread: list[Message]) -> str | None:
    """Return the address to follow up with: whom the owner last wrote to,
    else the newest sender of the thread that accepts replies."""
    for message in reversed(thread):
        if ctx.is_owner_address(message.sender):
            others = [r for r in message.to if not ctx.is_owner_address(r)]
            if others:
                return others[0]
            continue
        address = message.reply_to or message.sender
        local_part = address.lower().split("@", 1)[0]
        if not any(word in local_part for word in _NO_REPLY_SENDERS):
            return address
    return None


def _nudge(thread: list[Message], contact: str, zone: tzinfo) -> str:
    """Write a short follow-up about the status of the thread."""
    last = thread[-1]
    company = company_of(thread[0])
    role = next((f" for the {m.role} role" for m in thread if m.role), "")
    if "application_receipt" in last.labels:
        body = (
            f"I applied{role} at {company} on {format_date(thread[0].date, zone)} "
            "and wanted to ask about the status of my application. I remain very "
            "interested and am happy to provide anything else you need."
        )
    else:
        body = (
            f"I wanted to follow up on my message of {format_date(last.date, zone)}"
            f"{role}. Is there any news, or anything else you need from me?"
        )
    name = next(
        (
            m.sender_name
            for m in reversed(thread)
            if m.sender.lower() == contact.lower()
        ),
        "",
    )
    first_name = (name or "").split(" ")[0] or "there"
    return f"Hi {first_name},\n\n{body}\n\nBest regards"


def _nudge_proposal(last: Message, contact: str, draft: str) -> Proposal:
    return Proposal(
        kind="reply",
        title=f"Follow up with {contact}: {_subject(last)}",
        email_ids=[last.doc_id],
        params={
            "to": contact,
            "subject": _subject(last),
            "body": draft,
            "thread_id": last.thread_id,
            "in_reply_to": last.message_id,
        },
    )


def _awaiting_item(
    ctx: ToolContext, thread: list[Message], contact: str | None, draft: str
) -> AnswerItem:
    last = thread[-1]
    waited = int(ctx.age_days(last))
    if ctx.is_owner_address(last.sender):
        status = f"you wrote {waited} days ago"
    else:
        status = f"{company_of(last)} sent a receipt {waited} days ago"
    where = f"follow up with {contact}" if contact else "no address accepts replies"
    return AnswerItem(
        kind="awaiting_reply",
        title=last.subject or "(no subject)",
        detail=(
            f"{status} ({format_date(last.date, ctx.zone)}), no answer since; {where}"
        ),
        email_ids=[last.doc_id],
        data={
            "thread_id": last.thread_id,
            "waiting_days": waited,
            "draft": draft,
            "to": contact,
        },
    )


def _awaiting_answer(
    ctx: ToolContext, waiting: list[list[Message]], days: int, drafted: int
) -> str:
    if not waiting:
        return (
            f"No thread {ctx.scope} has waited {days} days or more for an answer "
            "from the other side."
        )
    lines = [
        f"{count_noun(len(waiting), 'thread')} waited {days} days or more for an "
        f"answer from the other side. I drafted {count_noun(drafted, 'follow-up')}, "
        "and nothing is sent until you approve:"
    ]
    for thread in waiting:
        last = thread[-1]
        lines.append(
            f"- {last.subject or '(no subject)'} ({company_of(thread[0])}), "
            f"{int(ctx.age_days(last))} days ago"
        )
    return "\n".join(lines)
