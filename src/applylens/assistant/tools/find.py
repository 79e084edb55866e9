"""Find: the matching mail, each with the reason it matched."""

from __future__ import annotations

from applylens.assistant.schemas import AnswerItem
from applylens.assistant.tools.base import (
    ToolContext,
    ToolResult,
    count_noun,
    describe_labels,
    format_date,
    sender_label,
)
from applylens.store.base import SearchHit


def find(ctx: ToolContext) -> ToolResult:
    plan = ctx.plan
    if plan.unsearchable and not (plan.query or plan.labels or ctx.filter_labels):
        # Listing the newest mail instead would look like a search result.
        parts = " ".join(plan.unsearchable)
        return ToolResult(
            answer=f"There is nothing to search for in {parts!r}: the search index "
            "holds words and numbers, not symbols. Name a word, a sender or a kind "
            "of mail, such as interviews or offers."
        )
    limit = ctx.request.max_results
    hits = _search(ctx, plan.query, plan.labels, limit)
    relaxed = False
    if not hits and len(plan.query_terms) > 1 and not plan.phrases:
        # Every word must match, which is often too strict for a chat question
        # ("offer letter from initech"); retry with each word on its own.
        relaxed = True
        for term in plan.query_terms:
            hits.extend(_search(ctx, term, plan.labels, limit))
        hits = _unique(hits)[:limit]
    if not hits:
        return ToolResult(answer=_nothing_found(ctx))

    items = [_item(ctx, hit) for hit in hits]
    lines = [_headline(ctx, len(hits), relaxed)]
    lines.extend(f"- {item.title} ({item.detail})" for item in items)
    return ToolResult(
        answer="\n".join(lines), items=items, messages=[hit.message for hit in hits]
    )


def _search(
    ctx: ToolContext, query: str, labels: list[str], limit: int
) -> list[SearchHit]:
    hits: list[SearchHit] = []
    each_label: list[str | None] = [*labels] or [None]
    for label in each_label:
        result = ctx.search_hits(
            query,
            labels=[label] if label else [],
            limit=limit,
            sort="relevance" if query else "date",
        )
        hits.extend(result.hits)
    if len(labels) > 1:
        hits.sort(key=lambda hit: hit.message.date, reverse=True)
    return _unique(hits)[:limit]


def _unique(hits: list[SearchHit]) -> list[SearchHit]:
    seen: set[str] = set()
    unique = []
    for hit in hits:
        if hit.message.doc_id not in seen:
            seen.add(hit.message.doc_id)
            unique.append(hit)
    return unique


def _item(ctx: ToolContext, hit: SearchHit) -> AnswerItem:
    message = hit.message
    reason = match_reason(ctx, hit)
    return AnswerItem(
        kind="match",
        title=message.subject or "(no subject)",
        detail=(
            f"{sender_label(message)}, {format_date(message.date, ctx.zone)}; {reason}"
        ),
        email_ids=[message.doc_id],
        data={
            "reason": reason,
            "matched_fields": list(hit.matched_fields),
            "labels": list(message.labels),
            "score": hit.score,
            "snippet": hit.snippet,
        },
    )


def match_reason(ctx: ToolContext, hit: SearchHit) -> str:
    """Say why a hit matched: the fields its words were found in, and the
    label or sender the question asked for."""
    plan = ctx.plan
    parts = []
    fields = [f for f in hit.matched_fields if f != "label"]
    words = ", ".join(repr(w) for w in [*plan.phrases, *plan.query_terms])
    if fields and words:
        parts.append(f"{words} found in {', '.join(fields)}")
    wanted = [label for label in plan.labels if label in hit.message.labels]
    if wanted:
        parts.append(f"labelled {describe_labels(wanted)}")
    if not parts:
        parts.append(f"received {ctx.period}")
    return "; ".join(parts)


def _headline(ctx: ToolContext, count: int, relaxed: bool) -> str:
    what = _what(ctx)
    found = count_noun(count, "message")
    headline = f"Found {found}{what} {ctx.period}."
    if relaxed:
        headline += " No message matched every word, so these match some of them."
    return headline


def _what(ctx: ToolContext) -> str:
    plan = ctx.plan
    parts = []
    if plan.labels:
        parts.append(f" labelled {describe_labels(plan.labels)}")
    words = [*(f'"{p}"' for p in plan.phrases), *plan.query_terms]
    if words:
        parts.append(f" matching {' '.join(words)}")
    return "".join(parts)


def _nothing_found(ctx: ToolContext) -> str:
    return f"No messages{_what(ctx)} {ctx.period}."
