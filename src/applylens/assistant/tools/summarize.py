"""Summarize: the window's mail grouped by label and company, with what needs
attention next (upcoming interviews first)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from applylens.assistant.schemas import AnswerItem
from applylens.assistant.tools.base import (
    SCAN_LIMIT,
    Scan,
    ToolContext,
    ToolResult,
    company_of,
    count_noun,
    format_date,
    format_datetime,
)
from applylens.assistant.tools.events import EVENT_LABELS, read_events, upcoming
from applylens.mail.model import Message

# The order groups are listed in: the job search first, bulk mail last.
LABEL_ORDER = (
    "offer",
    "interview",
    "assessment",
    "scheduling",
    "needs_reply",
    "recruiter_outreach",
    "application_receipt",
    "rejection",
    "personal",
    "suspicious",
    "newsletter",
    "promo",
)
LABEL_NAMES = {
    "offer": "Offers",
    "interview": "Interviews",
    "assessment": "Assessments",
    "scheduling": "Scheduling",
    "needs_reply": "Needs a reply",
    "recruiter_outreach": "Recruiter outreach",
    "application_receipt": "Application receipts",
    "rejection": "Rejections",
    "personal": "Personal",
    "suspicious": "Suspicious",
    "newsletter": "Newsletters",
    "promo": "Promotions",
    "other": "Other",
}
_ATTENTION_LIMIT = 8
# Upcoming interviews are read from invitations up to this many days old,
# whatever the window of the summary.
EVENT_LOOKBACK_DAYS = 30


@dataclass(slots=True)
class LabelGroup:
    label: str
    messages: list[Message] = field(default_factory=list)
    companies: Counter[str] = field(default_factory=Counter)

    @property
    def first(self) -> datetime:
        return min(m.date for m in self.messages)

    @property
    def last(self) -> datetime:
        return max(m.date for m in self.messages)


def summarize(ctx: ToolContext) -> ToolResult:
    plan = ctx.plan
    scan = ctx.scan(
        plan.query, labels=plan.labels, limit=SCAN_LIMIT, sort="date", with_text=False
    )
    messages = scan.messages
    if not messages:
        return _summarize_empty_window(ctx)
    groups = group_by_label(messages)
    attention, attention_messages = _attention(ctx, messages, _event_mail(ctx))
    group_items = [_group_item(group, ctx.zone) for group in groups]

    lines = [_headline(ctx, scan)]
    if attention:
        lines.append("Needs attention next:")
        lines.extend(f"- {item.title}: {item.detail}" for item in attention)
    lines.append("By label:")
    lines.extend(f"- {item.title}: {item.detail}" for item in group_items)
    cited = [*attention_messages, *(m for group in groups for m in group.messages[:3])]
    return ToolResult(
        answer="\n".join(lines), items=[*attention, *group_items], messages=cited
    )


def _summarize_empty_window(ctx: ToolContext) -> ToolResult:
    """Say that the window contains no matching mail, but still list upcoming
    interviews and deadlines: their invitations often arrived earlier."""
    names = [LABEL_NAMES.get(label, label).lower() for label in ctx.plan.labels]
    what = " or ".join(names) or "mail"
    headline = f"No new {what} {ctx.scope}."
    if ctx.exclusion_note:
        headline += f" {ctx.exclusion_note}"
    attention, used = _attention(ctx, [], _event_mail(ctx))
    if not attention:
        return ToolResult(answer=headline)
    lines = [headline, "Coming up, from earlier mail:"]
    lines.extend(f"- {item.title}: {item.detail}" for item in attention)
    return ToolResult(answer="\n".join(lines), items=attention, messages=used)


def group_by_label(messages: list[Message]) -> list[LabelGroup]:
    """Group messages by label (a message with several labels is in each);
    mail without a label goes to "other"."""
    groups: dict[str, LabelGroup] = {}
    for message in messages:
        for label in message.labels or ["other"]:
            group = groups.setdefault(label, LabelGroup(label))
            group.messages.append(message)
            group.companies[company_of(message)] += 1
    rank = {label: i for i, label in enumerate((*LABEL_ORDER, "other"))}
    return sorted(groups.values(), key=lambda g: rank.get(g.label, len(rank)))


def _headline(ctx: ToolContext, scan: Scan) -> str:
    messages = scan.messages
    first = min(m.date for m in messages)
    last = max(m.date for m in messages)
    headline = (
        f"{count_noun(len(messages), 'message')} {ctx.scope} "
        f"({format_date(first, ctx.zone)} to {format_date(last, ctx.zone)})."
    )
    if scan.total > len(messages):
        headline += (
            f" The counts cover the {len(messages)} most recent of {scan.about}."
        )
    if ctx.exclusion_note:
        headline += f" {ctx.exclusion_note}"
    return headline


def _group_item(group: LabelGroup, zone: tzinfo) -> AnswerItem:
    top = ", ".join(
        f"{name} ({count})" for name, count in group.companies.most_common(5)
    )
    detail = (
        f"{len(group.messages)} from {count_noun(len(group.companies), 'sender')}, "
        f"{format_date(group.first, zone)} to {format_date(group.last, zone)}; {top}"
    )
    return AnswerItem(
        kind="group",
        title=LABEL_NAMES.get(group.label, group.label),
        detail=detail,
        email_ids=[m.doc_id for m in group.messages[:20]],
        data={
            "label": group.label,
            "count": len(group.messages),
            "companies": dict(group.companies.most_common(10)),
            "first": group.first.isoformat(),
            "last": group.last.isoformat(),
        },
    )


def _event_mail(ctx: ToolContext) -> list[Message]:
    """Return the mail that may name an upcoming interview or deadline; an
    invitation often arrived before the window being summarized."""
    lookback = max(ctx.window_days, EVENT_LOOKBACK_DAYS)
    return ctx.search(
        labels=EVENT_LABELS,
        limit=SCAN_LIMIT,
        sort="date",
        use_window=False,
        after=ctx.now - timedelta(days=lookback),
    )


def _attention(
    ctx: ToolContext, messages: list[Message], event_mail: list[Message]
) -> tuple[list[AnswerItem], list[Message]]:
    """List upcoming interviews first, then deadlines, offers and mail that
    needs a reply."""
    items: list[AnswerItem] = []
    used: list[Message] = []
    for event in upcoming(read_events(event_mail, ctx.owner_addresses), ctx.now):
        if event.kind == "slot":
            continue
        items.append(
            AnswerItem(
                kind=event.kind,
                title=event.summary,
                detail=format_datetime(event.start, ctx.zone),
                email_ids=[event.message.doc_id],
                data=event.to_json(),
            )
        )
        used.append(event.message)
    for message in messages:
        if len(items) >= _ATTENTION_LIMIT:
            break
        if message.doc_id in {m.doc_id for m in used} or not _needs_reply(ctx, message):
            continue
        items.append(
            AnswerItem(
                kind="reply",
                title=f"Reply to {message.sender_name or company_of(message)}",
                detail=f"{message.subject} ({format_date(message.date, ctx.zone)})",
                email_ids=[message.doc_id],
            )
        )
        used.append(message)
    return items[:_ATTENTION_LIMIT], used[:_ATTENTION_LIMIT]


def _needs_reply(ctx: ToolContext, message: Message) -> bool:
    wanted = {"needs_reply", "offer"}
    return (
        bool(wanted & set(message.labels))
        and not message.is_replied
        and not ctx.is_owner_address(message.sender)
    )
