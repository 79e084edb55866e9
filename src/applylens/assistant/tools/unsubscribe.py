"""Unsubscribe: propose leaving the mailing lists the owner never reads.

A sender qualifies when none of its messages was opened or replied to and the
owner never wrote to it. The proposal prefers the RFC 8058 one-click POST when
the mail offers it (List-Unsubscribe-Post: List-Unsubscribe=One-Click with an
https URL), then the mailto address, then the plain link. A question that names
senders ("unsubscribe me from Medium") proposes those even if they are read.
"""

from __future__ import annotations

from collections import defaultdict

from applylens.assistant.schemas import AnswerItem
from applylens.assistant.tools.base import (
    SCAN_LIMIT,
    Proposal,
    ToolContext,
    ToolResult,
    count_noun,
    unread_exception_notes,
    unread_note,
)
from applylens.mail.model import Message

LIST_LABELS = ("newsletter", "promo")
MAX_PROPOSALS = 25


def unsubscribe(ctx: ToolContext) -> ToolResult:
    plan = ctx.plan
    named = plan.has_positive_terms
    if named:
        scan = ctx.scan(plan.query, limit=SCAN_LIMIT, sort="date", with_text=False)
    else:
        labels = [label for label in LIST_LABELS if label not in plan.excluded_labels]
        # "unsubscribe from promos" keeps to the kind of list it names.
        named_labels = [label for label in labels if label in plan.labels]
        labels = named_labels or labels
        if not labels:
            return ToolResult(
                answer="No mailing list to unsubscribe from: the question leaves "
                "out both promo and newsletter mail."
            )
        scan = ctx.scan(
            plan.exclusion_query,
            labels=labels,
            limit=SCAN_LIMIT,
            sort="date",
            with_text=False,
        )
    messages = scan.messages
    by_sender: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        if message.unsubscribe is not None or _is_list_mail(message):
            by_sender[message.sender.lower()].append(message)
    written_to = _addresses_owner_wrote_to(ctx)

    proposals: list[Proposal] = []
    items: list[AnswerItem] = []
    skipped: dict[str, list[str]] = defaultdict(list)
    cited: list[Message] = []
    for sender, group in sorted(by_sender.items(), key=lambda item: -len(item[1])):
        reason = _skip_reason(ctx, sender, group, written_to, named)
        if reason is not None:
            skipped[reason].append(sender)
            continue
        proposal = _proposal(sender, group)
        if proposal is None:
            skipped["no unsubscribe link in the mail"].append(sender)
            continue
        items.append(_item(proposal, group))
        if len(proposals) < MAX_PROPOSALS:
            proposals.append(proposal)
            # Only the senders proposed are cited, not the ones kept or skipped.
            cited.append(group[0])
    answer = _answer(ctx, proposals, skipped, named)
    notes = [
        unread_note(scan, "matching messages" if named else "list messages"),
        ctx.exclusion_note,
        *unread_exception_notes(ctx),
    ]
    if any(notes):
        answer += "\n" + "\n".join(note for note in notes if note)
    return ToolResult(answer=answer, items=items, proposals=proposals, messages=cited)


def _is_list_mail(message: Message) -> bool:
    return any(label in LIST_LABELS for label in message.labels)


def _addresses_owner_wrote_to(ctx: ToolContext) -> set[str]:
    """Return every address in the To or Cc of mail the owner sent."""
    recipients: set[str] = set()
    for address in sorted(ctx.owner_addresses):
        for message in ctx.search(
            sender=address,
            limit=SCAN_LIMIT,
            use_window=False,
            include_archived=True,
            with_text=False,
        ):
            recipients.update(r.lower() for r in message.recipients)
    return recipients


def _skip_reason(
    ctx: ToolContext,
    sender: str,
    group: list[Message],
    written_to: set[str],
    named: bool,
) -> str | None:
    exception = ctx.excepted_by(group[0])
    if exception is not None:
        source = "learned exception" if exception.id is not None else "you asked"
        return f"kept: from {exception.description} ({source})"
    if named:
        return None
    if sender in written_to:
        return "you have written to them"
    if any(m.is_replied for m in group):
        return "you replied to them"
    if any(m.is_seen for m in group):
        return "you open their mail"
    return None


def _proposal(sender: str, group: list[Message]) -> Proposal | None:
    newest = max(group, key=lambda m: m.date)
    offered = [
        m for m in sorted(group, key=lambda m: m.date, reverse=True) if m.unsubscribe
    ]
    if not offered:
        return None
    link = offered[0].unsubscribe
    assert link is not None
    one_click = next(
        (m.unsubscribe for m in offered if m.unsubscribe and _one_click_url(m)), None
    )
    if one_click is not None and one_click.url:
        method, target = "one-click", one_click.url
    elif link.mailto:
        method, target = "mailto", link.mailto
    elif link.url:
        method, target = "link", link.url
    else:
        return None
    name = newest.sender_name or sender
    return Proposal(
        kind="unsubscribe",
        title=f"Unsubscribe from {name} ({method})",
        email_ids=[m.doc_id for m in group],
        params={
            "sender": sender,
            "sender_name": newest.sender_name,
            "method": method,
            "target": target,
            "post_body": "List-Unsubscribe=One-Click"
            if method == "one-click"
            else None,
            "messages": len(group),
        },
    )


def _one_click_url(message: Message) -> bool:
    link = message.unsubscribe
    return bool(
        link and link.one_click and link.url and link.url.startswith("https://")
    )


def _item(proposal: Proposal, group: list[Message]) -> AnswerItem:
    params = proposal.params
    return AnswerItem(
        kind="unsubscribe",
        title=str(params["sender_name"] or params["sender"]),
        detail=(
            f"{count_noun(len(group), 'message')}; "
            f"{params['method']}: {params['target']}"
        ),
        email_ids=proposal.email_ids,
        data=dict(params),
    )


def _answer(
    ctx: ToolContext,
    proposals: list[Proposal],
    skipped: dict[str, list[str]],
    named: bool,
) -> str:
    if not proposals:
        lines = [f"No mailing list{ctx.senders} qualifies for an unsubscribe."]
    else:
        if named:
            targets = f"{count_noun(len(proposals), 'sender')} you named"
        else:
            targets = f"{count_noun(len(proposals), 'list')} you never open or reply to"
        lines = [
            f"I propose unsubscribing from {targets}. Nothing is sent until you "
            "approve."
        ]
        lines.extend(f"- {p.params['sender']}: {p.params['method']}" for p in proposals)
    for reason, senders in skipped.items():
        lines.append(f"Skipped {count_noun(len(senders), 'sender')}: {reason}.")
    return "\n".join(lines)
