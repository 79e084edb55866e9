"""Clean: propose archiving promotions and newsletters older than an age,
leaving alone every sender the question or a learned exception names."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from applylens.assistant.schemas import AnswerItem
from applylens.assistant.senders import SenderException
from applylens.assistant.tools.base import (
    JOB_LABELS,
    SCAN_LIMIT,
    Proposal,
    Scan,
    ToolContext,
    ToolResult,
    count_noun,
    describe_labels,
    unread_exception_notes,
    unread_note,
)
from applylens.mail.model import Message

CLEAN_LABELS = ("promo", "newsletter")
DEFAULT_MIN_AGE_DAYS = 30
# One proposal per sender domain keeps approvals granular; past this many
# senders the rest are counted in the answer and proposed on the next ask.
MAX_PROPOSALS = 25


def clean(ctx: ToolContext) -> ToolResult:
    plan = ctx.plan
    min_age = plan.min_age_days or DEFAULT_MIN_AGE_DAYS
    labels = [label for label in plan.labels if label in CLEAN_LABELS]
    labels = labels or [
        label for label in CLEAN_LABELS if label not in plan.excluded_labels
    ]
    if not labels:
        return ToolResult(
            answer="Nothing to clean: clean archives only promo and newsletter "
            "mail, and the question leaves out both."
        )
    cutoff = ctx.now - timedelta(days=min_age)
    scan = ctx.scan(
        plan.exclusion_query,
        labels=labels,
        before=cutoff,
        limit=SCAN_LIMIT,
        sort="date",
        with_text=False,
    )
    messages = scan.messages

    by_domain: dict[str, list[Message]] = defaultdict(list)
    kept: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        reason = _keep_reason(ctx, message)
        if reason is not None:
            kept[reason].append(message)
        else:
            by_domain[message.sender_domain.lower()].append(message)

    ranked = sorted(by_domain.items(), key=lambda item: -len(item[1]))
    proposals = [
        _proposal(domain, group, min_age) for domain, group in ranked[:MAX_PROPOSALS]
    ]
    items = [_sender_item(domain, group) for domain, group in ranked]
    items.extend(_kept_item(reason, group) for reason, group in kept.items())
    answer = _answer(
        ctx,
        labels,
        min_age,
        ranked,
        kept,
        read=None if scan.complete else len(messages),
    )
    notes = _notes(ctx, scan, labels)
    if notes:
        answer += "\n" + "\n".join(notes)
    cited = [m for _domain, group in ranked for m in group[:2]]
    return ToolResult(answer=answer, items=items, proposals=proposals, messages=cited)


def _keep_reason(ctx: ToolContext, message: Message) -> str | None:
    exception = ctx.excepted_by(message)
    if exception is not None:
        return _exception_reason(exception)
    if any(label in JOB_LABELS or label == "personal" for label in message.labels):
        return "job-search or personal mail"
    return None


def _exception_reason(exception: SenderException) -> str:
    source = "a learned exception" if exception.id is not None else "you asked"
    return f"from {exception.description} ({source})"


def _proposal(domain: str, group: list[Message], min_age: int) -> Proposal:
    labels = sorted(
        {label for m in group for label in m.labels if label in CLEAN_LABELS}
    )
    return Proposal(
        kind="archive",
        title=(
            f"Archive {count_noun(len(group), describe_labels(labels) + ' message')}"
            f" from {domain}"
        ),
        email_ids=[m.doc_id for m in group],
        params={
            "sender_domain": domain,
            "senders": sorted({m.sender.lower() for m in group}),
            "labels": labels,
            "min_age_days": min_age,
        },
    )


def _sender_item(domain: str, group: list[Message]) -> AnswerItem:
    newest = max(m.date for m in group)
    return AnswerItem(
        kind="archive",
        title=domain,
        detail=f"{count_noun(len(group), 'message')}, newest {newest:%d %b %Y}",
        email_ids=[m.doc_id for m in group],
        data={"count": len(group), "newest": newest.isoformat()},
    )


def _kept_item(reason: str, group: list[Message]) -> AnswerItem:
    return AnswerItem(
        kind="kept",
        title=f"Kept {count_noun(len(group), 'message')} {reason}",
        detail=", ".join(sorted({m.sender_domain for m in group})[:8]),
        email_ids=[m.doc_id for m in group],
        data={"reason": reason, "count": len(group)},
    )


def _answer(
    ctx: ToolContext,
    labels: list[str],
    min_age: int,
    ranked: list[tuple[str, list[Message]]],
    kept: dict[str, list[Message]],
    *,
    read: int | None,
) -> str:
    """Write the answer text. `read` is how many messages the scan read when
    it read only part of the matching mail, else None."""
    what = describe_labels(labels)
    total = sum(len(group) for _domain, group in ranked)
    if total == 0:
        lines = [
            f"Nothing to clean: no {what} messages{ctx.senders} older than "
            f"{min_age} days."
        ]
    else:
        lines = [
            f"I propose archiving {count_noun(total, what + ' message')}"
            f"{ctx.senders} older than {min_age} days from "
            f"{count_noun(len(ranked), 'sender')}. "
            "Nothing is archived until you approve."
        ]
        lines.extend(f"- {domain}: {len(group)}" for domain, group in ranked[:10])
        if len(ranked) > MAX_PROPOSALS:
            lines.append(
                f"{len(ranked) - MAX_PROPOSALS} more senders are listed but not "
                "proposed yet; ask again after approving these."
            )
    for reason, group in kept.items():
        lines.append(f"Kept {count_noun(len(group), 'message')} {reason}.")
    named = [e for e in ctx.exceptions if e.id is None]
    if named and not any("you asked" in reason for reason in kept):
        names = ", ".join(e.description for e in named)
        if read is None:
            lines.append(f"No old {what} came from {names}, so nothing needed keeping.")
        else:
            lines.append(
                f"None of the {read} old {what} messages read came from {names}, "
                "so none of them needed keeping."
            )
    return "\n".join(lines)


def _notes(ctx: ToolContext, scan: Scan, labels: list[str]) -> list[str]:
    """Say what the proposal may miss: mail past the scan, the mail the
    question leaves out and the exceptions no sender could be read from."""
    notes = []
    unread = unread_note(scan, f"old {describe_labels(labels)} messages")
    if unread:
        notes.append(f"{unread} Approve these and ask again for the rest.")
    if ctx.exclusion_note:
        notes.append(ctx.exclusion_note)
    notes.extend(unread_exception_notes(ctx))
    return notes
