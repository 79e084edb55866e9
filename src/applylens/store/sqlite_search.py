"""Translation of a `SearchRequest` into SQL and FTS5 queries for `SQLiteStore`.

Every FTS5 expression is built from `text_tokens`, each token inside double
quotes, so operators or punctuation in the user's text are never FTS5 syntax.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from applylens.errors import QuerySyntaxError
from applylens.store.base import SearchRequest
from applylens.store.matching import compile_field_patterns
from applylens.store.query import (
    LABELS,
    ParsedQuery,
    Term,
    as_utc,
    normalize_label,
    parse_query,
    text_tokens,
)

# bm25() weights of the FTS5 columns subject, sender, body, recipients and facets.
_WEIGHTS = "4.0, 2.0, 1.0, 0.5, 0.0"
_FIELD_COLUMNS = {
    "any": "{subject sender body}",
    "from": "sender",
    "to": "recipients",
    "subject": "subject",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CountStarter = Callable[["SearchPlan"], Callable[[], int]]
"""Starts counting a plan's matches and returns a call that waits for the total."""

ROW_ID_SLOTS = 1024
"""Row ids per microsecond of received date, as `row_id_base` explains."""
_MAX_ROW_DATE_US = (2**63 - 1) // ROW_ID_SLOTS - ROW_ID_SLOTS

# Relevance ranks the newest RANK_WINDOW matches only, because bm25() takes
# time for each match it scores and a common word matches most of a mailbox.
# The total still counts every match. At 100,000 messages, the median search
# took 1.49 ms with a window of 500 and 1.25 ms with 300.
# NOTE: an older match outside the window appears only when paging past
# RANK_WINDOW hits, with sort="date" or with a date filter, however high its score.
RANK_WINDOW = 300


@dataclass
class SearchPlan:
    """One search with its query parsed and its filters combined.

    The Elasticsearch backend builds its queries from the same plan, so both
    backends read a request the same way.
    """

    owner: str
    terms: tuple[Term, ...]
    effective_after: datetime | None
    before: datetime | None
    labels: list[str]
    sender_address: str | None
    sender_domain: str | None
    limit: int
    offset: int
    sort: str
    with_text: bool = True

    @property
    def is_empty(self) -> bool:
        """Whether the date bounds exclude everything, so no SQL needs to run."""
        return bool(
            self.effective_after and self.before and self.effective_after >= self.before
        )

    @cached_property
    def field_patterns(self) -> dict[str, re.Pattern[str]]:
        """Patterns that find the terms in each field of a hit."""
        return compile_field_patterns(self.terms)

    @property
    def label_mask(self) -> int:
        return label_mask(self.labels)

    @property
    def has_label_filter(self) -> bool:
        return bool(self.labels)

    @property
    def uses_fts(self) -> bool:
        # A label token's list in the index is shorter than the owner's rows
        # that a label_mask test would scan, so label filters use the index.
        return bool(
            self.terms or self.labels or self.sender_address or self.sender_domain
        )

    @property
    def has_positive_terms(self) -> bool:
        return any(not term.negated for term in self.terms)

    @property
    def row_id_range(self) -> tuple[int, int]:
        low = -(2**63)
        high = 2**63 - 1
        if self.effective_after:
            low = row_id_base(to_micros(self.effective_after))
        if self.before:
            high = row_id_base(to_micros(self.before))
        return low, high

    @property
    def match(self) -> str:
        """The FTS5 expression of the terms, owner, labels and sender."""
        return self.match_expression(with_owner=True)

    def match_expression(self, *, with_owner: bool) -> str:
        """Return the FTS5 expression, without the owner unless `with_owner`."""
        parts = [f'facets : "{token}"' for token in label_tokens(self.labels)]
        for value in (self.sender_address, self.sender_domain):
            if value:
                parts.append(_phrase_expression("sender", text_tokens(value)))
        parts += [_term_expression(t) for t in self.terms if not t.negated]
        if with_owner or not parts:
            # NOT needs a left side, and the owner's token matches all its mail.
            parts.insert(0, f'facets : "{owner_token(self.owner)}"')
        expression = " AND ".join(f"({part})" for part in parts)
        negated = [_term_expression(t) for t in self.terms if t.negated]
        if negated:
            alternatives = " OR ".join(f"({part})" for part in negated)
            expression = f"({expression}) NOT ({alternatives})"
        return expression

    def execute(
        self,
        conn: sqlite3.Connection,
        *,
        single_owner: bool = False,
        start_count: CountStarter | None = None,
    ) -> tuple[list[tuple[int, float]], int]:
        """Return the (row id, score) of the requested page and the total count.

        With `single_owner`, the caller has checked in the same transaction
        that the file contains no other owner's mail, so the owner filter can go.
        `start_count`, when given, counts the matches on another connection
        while this one ranks them.
        """
        rows, total = self.execute_page(
            conn, single_owner=single_owner, start_count=start_count
        )
        return rows, total()

    def execute_page(
        self,
        conn: sqlite3.Connection,
        *,
        single_owner: bool = False,
        start_count: CountStarter | None = None,
    ) -> tuple[list[tuple[int, float]], Callable[[], int]]:
        """Like `execute`, with the total as a call that waits for the count.

        The caller can read the page's messages while the count runs, then
        call it in the same transaction.
        """
        if self.uses_fts:
            match = self.match_expression(with_owner=not single_owner)
            return self._search_index(conn, match, start_count)
        rows, total = self._list_by_date(conn)
        return rows, lambda: total

    def count_statement(self, *, single_owner: bool) -> tuple[str, tuple[object, ...]]:
        """Return the SQL and parameters that count the matches in the index."""
        match = self.match_expression(with_owner=not single_owner)
        source, where, bound = self._index_query(match)
        return f"SELECT count(*) FROM {source} WHERE {where}", bound

    def _exact_filters(self) -> tuple[list[str], list[object]]:
        filters: list[str] = []
        params: list[object] = []
        if self.sender_address:
            filters.append("lower(m.sender) = ?")
            params.append(self.sender_address)
        if self.sender_domain:
            # The domain itself or any subdomain of it.
            filters.append(
                "(m.sender_domain = ? OR m.sender_domain LIKE ? ESCAPE '\\')"
            )
            params += [self.sender_domain, "%." + _escape_like(self.sender_domain)]
        return filters, params

    def _index_query(self, match: str) -> tuple[str, str, tuple[object, ...]]:
        """Return the FROM source, WHERE clause and parameters of an index search."""
        filters, params = self._exact_filters()
        source = "message_fts"
        if filters:
            # The index only narrows the sender down to its words, so the join
            # compares the exact address or domain.
            source += " CROSS JOIN messages AS m ON m.id = message_fts.rowid"
        conditions = [
            "message_fts MATCH ?",
            "message_fts.rowid >= ?",
            "message_fts.rowid < ?",
            *filters,
        ]
        return source, " AND ".join(conditions), (match, *self.row_id_range, *params)

    def _search_index(
        self,
        conn: sqlite3.Connection,
        match: str,
        start_count: CountStarter | None,
    ) -> tuple[list[tuple[int, float]], Callable[[], int]]:
        source, where, bound = self._index_query(match)
        count_sql = f"SELECT count(*) FROM {source} WHERE {where}"

        def count() -> int:
            return int(conn.execute(count_sql, bound).fetchone()[0])

        score = "0.0"
        if self.has_positive_terms:
            score = f"-bm25(message_fts, {_WEIGHTS})"
        newest = (
            f"SELECT message_fts.rowid AS id, {score} AS score FROM {source} "
            f"WHERE {where} ORDER BY message_fts.rowid DESC"
        )

        if self.sort == "date" or not self.has_positive_terms:
            rows = conn.execute(
                f"{newest} LIMIT ? OFFSET ?", (*bound, self.limit, self.offset)
            ).fetchall()
            total = _page_total(conn, rows, self.limit, self.offset, count_sql, bound)
            return rows, lambda: total

        if self.limit == 0:
            return [], count
        # Counting reads every match again, so it starts before the ranking
        # when another connection can run it at the same time.
        pending_count = start_count(self) if start_count else None
        window = max(RANK_WINDOW, self.offset + self.limit)
        rows = conn.execute(
            f"SELECT id, score FROM ({newest} LIMIT ?) "
            "ORDER BY score DESC, id DESC LIMIT ? OFFSET ?",
            (*bound, window, self.limit, self.offset),
        ).fetchall()
        end = self.offset + len(rows)
        # A page that ends before both the limit and the window holds the last
        # match, so its end is the total. Counting the window's rows in SQL
        # instead costs more than waiting for the count, which runs meanwhile.
        if end < window and (0 < len(rows) < self.limit or not end):
            return rows, lambda: end
        return rows, pending_count or count

    def _list_by_date(
        self, conn: sqlite3.Connection
    ) -> tuple[list[tuple[int, float]], int]:
        filters = ["m.owner = ?", "m.id >= ?", "m.id < ?"]
        params: list[object] = [_sql_text(self.owner), *self.row_id_range]
        mask = self.label_mask
        if mask:
            filters.append("(m.label_mask & ?) = ?")
            params += [mask, mask]
        where = " AND ".join(filters)
        rows = conn.execute(
            f"SELECT m.id FROM messages AS m WHERE {where} "
            "ORDER BY m.id DESC LIMIT ? OFFSET ?",
            (*params, self.limit, self.offset),
        ).fetchall()
        count_sql = f"SELECT count(*) FROM messages AS m WHERE {where}"
        total = _page_total(conn, rows, self.limit, self.offset, count_sql, params)
        return [(row[0], 0.0) for row in rows], total


def _page_total(
    conn: sqlite3.Connection,
    rows: list[tuple[object, ...]],
    limit: int,
    offset: int,
    count_sql: str,
    params: Sequence[object],
) -> int:
    """Return the total count, without a count query when the page is the last."""
    if 0 < len(rows) < limit or (not rows and offset == 0 and limit > 0):
        return offset + len(rows)
    return int(conn.execute(count_sql, params).fetchone()[0])


def plan_search(request: SearchRequest, *, retention_days: int) -> SearchPlan:
    """Parse the request's query and combine it with the request's filters.

    Raises QuerySyntaxError for a malformed query or an invalid filter value.
    """
    now = as_utc(request.now) if request.now else datetime.now(UTC)
    parsed = parse_query(request.query, now=now)
    terms = parsed.terms
    sender_address = None
    sender = _filter_value(request.sender, "sender", request.query)
    if sender and "@" in sender:
        sender_address = sender.lower()
    elif sender:
        phrase = len(text_tokens(sender)) > 1
        terms = (*terms, Term(sender, "from", phrase, False))

    return SearchPlan(
        owner=request.owner.strip().lower(),
        terms=terms,
        effective_after=_effective_after(request, parsed, now, retention_days),
        before=_earliest(request.before, parsed.window_end(now)),
        labels=_request_labels(request, parsed),
        sender_address=sender_address,
        sender_domain=_domain(request.sender_domain, request.query),
        limit=max(0, request.limit),
        offset=max(0, request.offset),
        sort=request.sort,
        with_text=request.with_text,
    )


def _term_expression(term: Term) -> str:
    column = _FIELD_COLUMNS[term.field]
    if term.phrase:
        return _phrase_expression(column, term.tokens)
    tokens = term.tokens
    if term.prefix:
        return f'{column} : ("{_quote(tokens[0])}"*)'
    if term.field == "from" and len(tokens) == 1 and len(tokens[0]) >= 2:
        # A one-word from: value also matches the start of a longer word, so
        # from:green finds greenhouse.io and from:jo finds John. Addresses and
        # domains match whole words, so from:lever.co does not find lever.com.
        return f'{column} : ("{_quote(tokens[0])}"*)'
    inner = " AND ".join(_forms_expression(forms) for forms in term.word_forms)
    return f"{column} : ({inner})"


def _forms_expression(forms: tuple[str, ...]) -> str:
    quoted = [f'"{_quote(form)}"' for form in forms]
    return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"


def _phrase_expression(column: str, tokens: list[str]) -> str:
    phrase = " ".join(_quote(token) for token in tokens)
    return f'{column} : ("{phrase}")'


def _quote(token: str) -> str:
    # text_tokens never yields a double quote; doubling it keeps that true here.
    return token.replace('"', '""')


def _request_labels(request: SearchRequest, parsed: ParsedQuery) -> list[str]:
    labels = list(parsed.labels)
    for value in request.labels:
        label = normalize_label(value)
        if label is None:
            raise QuerySyntaxError(
                f"unknown label {value!r}: use one of {', '.join(LABELS)}",
                query=request.query,
            )
        labels.append(label)
    return list(dict.fromkeys(labels))


def _effective_after(
    request: SearchRequest, parsed: ParsedQuery, now: datetime, retention_days: int
) -> datetime | None:
    if request.window_days is not None and request.window_days < 0:
        raise QuerySyntaxError(
            f"the window must be 0 (no limit) or more days, not "
            f"{request.window_days!r}",
            query=request.query,
        )
    starts = [parsed.window_start(now)]
    if request.after:
        starts.append(as_utc(request.after))
    if request.window_days:
        starts.append(_subtract_days(now, request.window_days))
    if retention_days > 0:
        starts.append(_subtract_days(now, retention_days))
    present = [start for start in starts if start is not None]
    return max(present) if present else None


def _earliest(*values: datetime | None) -> datetime | None:
    present = [as_utc(value) for value in values if value is not None]
    return min(present) if present else None


def _subtract_days(now: datetime, days: int) -> datetime:
    try:
        return now - timedelta(days=days)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


# A domain name as a filter value: labels of letters, digits and hyphens (any
# script) joined by dots, with an optional leading @ and final dot.
_DOMAIN_RE = re.compile(r"@?(?:[^\W_](?:[\w-]*[^\W_])?\.)*[^\W_](?:[\w-]*[^\W_])?\.?")


def _domain(value: str | None, query: str) -> str | None:
    domain = _filter_value(value, "sender_domain", query)
    if domain is None:
        return None
    if _DOMAIN_RE.fullmatch(domain) is None:
        raise QuerySyntaxError(
            f"the sender_domain filter {value!r} is not a domain name: give one "
            "such as greenhouse.io, without a scheme, path, spaces or *",
            query=query,
        )
    return domain.lstrip("@").rstrip(".").lower()


def _filter_value(value: str | None, name: str, query: str) -> str | None:
    """Return a sender filter value ready for SQL, or None when it is blank."""
    if value is None or not value.strip():
        return None
    if not text_tokens(value):
        raise QuerySyntaxError(
            f"the {name} filter {value!r} contains no letters or digits to match",
            query=query,
        )
    return _sql_text(value.strip())


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sql_text(value: str) -> str:
    """Return `value` with lone surrogates replaced, which SQLite cannot store."""
    return value.encode("utf-8", "replace").decode("utf-8")


def label_mask(labels: Iterable[str], *, strict: bool = False) -> int:
    """Return the bit mask of `labels`; unknown labels raise when `strict`."""
    mask = 0
    for label in labels:
        if label in _LABEL_BITS:
            mask |= _LABEL_BITS[label]
        elif strict:
            raise ValueError(f"unknown label {label!r}: use one of {', '.join(LABELS)}")
    return mask


_LABEL_BITS = {label: 1 << index for index, label in enumerate(LABELS)}


def to_micros(value: datetime) -> int:
    """Return microseconds since the Unix epoch; a naive datetime counts as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def row_id_base(date_us: int) -> int:
    """Return the first row id of a message received at `date_us`.

    Row ids grow with the received date, so FTS5 reads a date range as a row
    id range and lists by date in its own order. Dates further than about 285
    years from 1970 share the ids of that limit.
    """
    clamped = min(max(date_us, -_MAX_ROW_DATE_US), _MAX_ROW_DATE_US)
    return clamped * ROW_ID_SLOTS


def owner_token(owner: str) -> str:
    """Return the index token of an owner; owners compare case-insensitively."""
    digest = hashlib.sha256(owner.strip().lower().encode("utf-8", "replace"))
    return "o" + digest.hexdigest()[:16]


def label_tokens(labels: Iterable[str]) -> list[str]:
    """Return the index tokens of the known labels among `labels`."""
    return ["l" + label.replace("_", "") for label in labels if label in _LABEL_BITS]
