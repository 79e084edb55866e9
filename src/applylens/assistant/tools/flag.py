"""Flag: suspicious mail with the reasons the classifier gave for its risk."""

from __future__ import annotations

from datetime import tzinfo

from applylens.assistant.schemas import AnswerItem
from applylens.assistant.tools.base import (
    SCAN_LIMIT,
    Proposal,
    ToolContext,
    ToolResult,
    count_noun,
    format_date,
    sender_label,
    unread_note,
)
from applylens.mail.model import Message

# Mail at or above this risk score is listed even when the classifier did not
# give it the "suspicious" label.
RISK_THRESHOLD = 40
MAX_LISTED = 30


def flag(ctx: ToolContext) -> ToolResult:
    plan = ctx.plan
    named = " ".join([*(f'"{p}"' for p in plan.phrases), *plan.query_terms])
    if plan.has_positive_terms:
        scan = ctx.scan(plan.query, limit=SCAN_LIMIT, sort="date", with_text=False)
        risky = [m for m in scan.messages if _is_risky(m) or m.risk_score > 0]
        checked = unread_note(scan, f"messages matching {named}")
    else:
        labelled = ctx.scan(
            plan.exclusion_query,
            labels=["suspicious"],
            limit=SCAN_LIMIT,
            sort="date",
            with_text=False,
        )
        scanned = ctx.scan(
            plan.exclusion_query, limit=SCAN_LIMIT, sort="date", with_text=False
        )
        risky = _unique(
            [*labelled.messages, *(m for m in scanned.messages if _is_risky(m))]
        )
        unread = [
            unread_note(labelled, "suspicious messages"),
            unread_note(scanned, "messages"),
        ]
        checked = " ".join(note for note in unread if note)
    risky.sort(key=lambda m: (-m.risk_score, -m.date.timestamp()))
    listed = risky[:MAX_LISTED]

    items = [_item(message, ctx.zone) for message in listed]
    proposals = _proposals(listed)
    answer = _answer(ctx, listed, named, len(risky))
    notes = [note for note in (checked, ctx.exclusion_note) if note]
    if notes:
        answer += "\n" + " ".join(notes)
    return ToolResult(
        answer=answer,
        items=items,
        proposals=proposals,
        messages=listed,
    )


def _is_risky(message: Message) -> bool:
    return "suspicious" in message.labels or message.risk_score >= RISK_THRESHOLD


def _unique(messages: list[Message]) -> list[Message]:
    seen: dict[str, Message] = {}
    for message in messages:
        seen.setdefault(message.doc_id, message)
    return list(seen.values())


def _reasons(message: Message) -> list[str]:
    return list(message.risk_reasons) or ["labelled suspicious by the classifier"]


def _item(message: Message, zone: tzinfo) -> AnswerItem:
    reasons = _reasons(message)
    return AnswerItem(
        kind="suspicious",
        title=message.subject or "(no subject)",
        detail=(
            f"{sender_label(message)}, {format_date(message.date, zone)}; risk "
            f"{message.risk_score}/100: {'; '.join(reasons)}"
        ),
        email_ids=[message.doc_id],
        data={
            "risk_score": message.risk_score,
            "risk_reasons": reasons,
            "labels": list(message.labels),
            "reply_to": message.reply_to,
        },
    )


def _proposals(listed: list[Message]) -> list[Proposal]:
    proposals = []
    unlabelled = [m for m in listed if "suspicious" not in m.labels and _is_risky(m)]
    if unlabelled:
        proposals.append(
            Proposal(
                kind="flag",
                title=(
                    f"Label {count_noun(len(unlabelled), 'risky message')}"
                    " as suspicious"
                ),
                email_ids=[m.doc_id for m in unlabelled],
                params={"labels": ["suspicious"]},
            )
        )
    labelled = [m for m in listed if "suspicious" in m.labels]
    if labelled:
        proposals.append(
            Proposal(
                kind="archive",
                title=f"Archive {count_noun(len(labelled), 'suspicious message')}",
                email_ids=[m.doc_id for m in labelled],
                params={"reason": "suspicious"},
            )
        )
    return proposals


def _answer(ctx: ToolContext, listed: list[Message], named: str, total: int) -> str:
    if not listed:
        if named:
            return (
                f"No message matching {named} {ctx.scope} "
                "shows signs of phishing or fraud."
            )
        return f"No suspicious mail {ctx.scope}."
    lines = [
        f"{count_noun(total, 'message')} {ctx.scope} "
        "look suspicious"
        + (f"; the {len(listed)} riskiest:" if total > len(listed) else ":")
    ]
    for message in listed:
        reasons = "; ".join(_reasons(message))
        lines.append(
            f"- {message.subject or '(no subject)'} from {message.sender} "
            f"(risk {message.risk_score}): {reasons}"
        )
    lines.append(
        "Do not click links or reply in these messages until you have checked."
    )
    return "\n".join(lines)
