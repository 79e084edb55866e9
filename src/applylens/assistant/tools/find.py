"""Find: the matching mail, each with the reason it matched."""

from __future__ import annotations

from dataclasses import dataclass

from applylens.assistant.schemas import AnswerItem
from applylens.assistant.tools.base import (
    SCAN_LIMIT,
    ToolContext,
    ToolResult,
    count_noun,
    describe_labels,
    format_date,
    sender_label,
)
from applylens.store.base import SearchHit


@dataclass(slots=True)
class _Found:
    """The hits of one or more searches, and whether they are every match."""

    hits: list[SearchHit]
    complete: bool
    total: int | None = None
    """The exact number of matches when the backend's count gives it: one
    search ran and no filter of the context can drop its hits."""


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
    queries = [plan.query]
    found = _search(ctx, plan.query, plan.labels, limit)
    relaxed = False
    if not found.hits and len(plan.query_terms) > 1 and not plan.phrases:
        # Every word must match, which is often too strict for a chat question
        # ("offer letter from initech"); retry with each word on its own.
        relaxed = True
        excluded = plan.exclusion_query
        queries = [f"{term} {excluded}".strip() for term in plan.query_terms]
        found = _search_each(ctx, queries, plan.labels, limit)
    if not found.hits:
        return ToolResult(answer=_nothing_found(ctx))

    total, exact = _total(ctx, found, queries)
    hits = found.hits[:limit]
    items = [_item(ctx, hit) for hit in hits]
    lines = [_headline(ctx, len(hits), total, exact, relaxed)]
    lines.extend(f"- {item.title} ({item.detail})" for item in items)
    return ToolResult(
        answer="\n".join(lines), items=items, messages=[hit.message for hit in hits]
    )


def _search(ctx: ToolContext, query: str, labels: list[str], limit: int) -> _Found:
    """Search each label on its own and merge the hits, newest first when
    there are several labels. The hits are not cut to `limit`."""
    hits: list[SearchHit] = []
    complete = True
    total = 0
    each_label: list[str | None] = [*labels] or [None]
    for label in each_label:
        result = ctx.search_hits(
            query,
            labels=[label] if label else [],
            limit=limit,
            sort="relevance" if ctx.plan.has_positive_terms else "date",
        )
        # The backend's total counts the hits the context filtered out, so a
        # search is complete only when it returned and kept every match.
        complete = complete and result.total == len(result.hits)
        total += result.total
        hits.extend(result.hits)
    if len(labels) > 1:
        hits.sort(key=lambda hit: hit.message.date, reverse=True)
    counted = len(each_label) == 1 and not ctx.filters_drop_mail()
    return _Found(_unique(hits), complete, total if counted else None)


def _search_each(
    ctx: ToolContext, queries: list[str], labels: list[str], limit: int
) -> _Found:
    """Search each query on its own and merge the hits."""
    searches = [_search(ctx, query, labels, limit) for query in queries]
    return _Found(
        _unique([hit for found in searches for hit in found.hits]),
        all(found.complete for found in searches),
    )


def _total(ctx: ToolContext, found: _Found, queries: list[str]) -> tuple[int, bool]:
    """Return how many messages match in all, and whether that is exact."""
    if found.complete:
        return len(found.hits), True
    if found.total is not None:
        return found.total, True
    total, exact = _count_matches(ctx, queries, ctx.plan.labels)
    return max(total, len(found.hits)), exact


def _count_matches(
    ctx: ToolContext, queries: list[str], labels: list[str]
) -> tuple[int, bool]:
    """Count the messages that match any of `queries` with any of `labels`,
    after the context's filters; return the count and whether it is exact.

    Each query is read by date without the text, up to `SCAN_LIMIT` messages.
    Past that, the backend's count of the rest is added, which makes the
    count an estimate.
    """
    seen: set[str] = set()
    unread = 0
    for query in queries:
        scan = ctx.scan(
            query, labels=labels, limit=SCAN_LIMIT, with_text=False, tally=False
        )
        seen.update(message.doc_id for message in scan.messages)
        unread += scan.total - len(scan.messages)
    return len(seen) + unread, unread == 0


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


def _headline(
    ctx: ToolContext, listed: int, total: int, exact: bool, relaxed: bool
) -> str:
    found = count_noun(total, "message")
    if not exact:
        found = f"about {found}"
    headline = f"Found {found}{_what(ctx)} {ctx.scope}"
    if total > listed:
        headline += f"; here are {_listed_order(ctx, listed)}"
    headline += "."
    if relaxed:
        headline += " No message matched every word, so these match some of them."
    if ctx.exclusion_note:
        headline += f" {ctx.exclusion_note}"
    return headline


def _listed_order(ctx: ToolContext, listed: int) -> str:
    """Name the matches the answer lists, in the order `_search` gives them."""
    if len(ctx.plan.labels) > 1:
        return f"{listed} of them, newest first"
    if ctx.plan.has_positive_terms:
        return f"the {listed} most relevant"
    return f"the {listed} newest"


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
    answer = f"No messages{_what(ctx)} {ctx.scope}."
    if ctx.exclusion_note:
        answer += f" {ctx.exclusion_note}"
    return answer
