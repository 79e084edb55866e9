"""The context every tool receives and the result it returns."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Generic, TypeVar

from applylens.assistant.intents import IntentPlan, describe_exclusions
from applylens.assistant.schemas import AnswerItem, ChatRequest
from applylens.assistant.senders import SenderException
from applylens.mail.model import Message
from applylens.store.base import SearchBackend, SearchRequest, SearchResult

# Labels of mail about the job search itself, as opposed to bulk mail.
JOB_LABELS = (
    "interview",
    "offer",
    "assessment",
    "scheduling",
    "application_receipt",
    "recruiter_outreach",
    "rejection",
    "needs_reply",
)
BULK_LABELS = frozenset({"newsletter", "promo"})
# Mail providers whose domain does not identify the sender's company.
PERSONAL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "aol.com",
        "fastmail.com",
        "example.com",
        "example.org",
        "example.net",
        "example.fr",
    }
)

# Searches that collect a window's mail for a tool read at most this many
# messages, so that one question costs a bounded amount of work however big
# the mailbox is. The answer states when a count covers only part of the total.
SCAN_LIMIT = 300


class Cancelled(Exception):
    """The caller cancelled the work (the client of a stream went away)."""


@dataclass(slots=True)
class Proposal:
    """An action a tool proposes, before it is stored and given an id."""

    kind: str
    title: str
    email_ids: list[str]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolResult:
    answer: str
    items: list[AnswerItem] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    """The messages the answer used, most relevant first; they become citations."""


@dataclass(slots=True)
class Scan:
    """The messages one search returned, and how many matched in all."""

    messages: list[Message]
    total: int
    """The matching messages after the context's filters. It is exact when
    `exact` is True. Otherwise it is an estimate, because the backend counted
    the messages past the limit with mail that the filters would drop."""
    exact: bool

    @property
    def complete(self) -> bool:
        """Whether `messages` contains every matching message."""
        return self.exact and self.total == len(self.messages)

    @property
    def about(self) -> str:
        """Format the total for an answer: "39", or "about 1200" for an estimate."""
        return str(self.total) if self.exact else f"about {self.total}"


@dataclass(slots=True)
class SearchTally:
    """The search statistics of one answer, summed over its searches."""

    total_hits: int = 0
    returned: int = 0
    took_ms: float = 0.0
    effective_after: datetime | None = None


@dataclass(slots=True)
class ToolContext:
    """The question, its plan and the owner's mail, as given to one tool."""

    backend: SearchBackend
    owner: str
    plan: IntentPlan
    request: ChatRequest
    now: datetime
    window_days: int
    after: datetime | None
    before: datetime | None
    owner_addresses: frozenset[str]
    exceptions: list[SenderException]
    is_archived: Callable[[str], bool]
    cancel: threading.Event | None = None
    tally: SearchTally = field(default_factory=SearchTally)
    filter_labels: frozenset[str] = frozenset()
    """The request's label filter, normalised: a message needs one of them."""
    has_archived: bool = True
    """Whether the owner has archived mail, which searches return and the
    context leaves out; False lets a backend's count be the exact total."""

    @property
    def period(self) -> str:
        """Name the searched period for an answer: "in the last 30 days", or
        "from Thu 01 Oct 2026 to Sat 31 Oct 2026" when the question gave an
        end date."""
        if self.after is not None and self.before is not None:
            first = format_date(self.after, self.zone)
            last = format_date(self.before - timedelta(microseconds=1), self.zone)
            return f"on {first}" if first == last else f"from {first} to {last}"
        return f"in the last {self.window_days} days"

    @property
    def sender_domain(self) -> str | None:
        """The request's sender domain filter as searched ("example.org"), or None."""
        domain = self.request.filters.sender_domain
        if domain is None or not domain.strip():
            return None
        return domain.strip().lstrip("@").rstrip(".").lower()

    @property
    def senders(self) -> str:
        """Name the senders searched for an answer: " from example.org" with a
        sender domain filter, "" without one."""
        domain = self.sender_domain
        return f" from {domain}" if domain else ""

    @property
    def scope(self) -> str:
        """Name what was searched for an answer: the period, after the senders
        when the request filters them ("from example.org in the last 30 days")."""
        return f"{self.senders} {self.period}".strip()

    @property
    def exclusion_note(self) -> str:
        """Return the sentence that names the mail the question leaves out,
        or "" when it leaves out none."""
        excluded = describe_exclusions(self.plan.exclusions)
        if not excluded:
            return ""
        return f"Left out: {excluded}."

    @property
    def zone(self) -> tzinfo:
        """The reader's time zone, in which answers give dates and times."""
        return self.request.zone

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled

    def search(
        self,
        query: str = "",
        *,
        labels: Sequence[str] = (),
        limit: int = SCAN_LIMIT,
        sort: str = "date",
        sender: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        use_window: bool = True,
        include_archived: bool = False,
        with_text: bool = True,
    ) -> list[Message]:
        """Search the owner's mail within the window and the request's filters,
        leaving out archived messages, and count the search in the tally.
        With `with_text` False the messages come without their text, which
        makes a scan of hundreds of messages faster.

        A message matches when it has any one of `labels`; backends combine
        labels with AND, so each label is searched on its own.
        """
        return self.scan(
            query,
            labels=labels,
            limit=limit,
            sort=sort,
            sender=sender,
            after=after,
            before=before,
            use_window=use_window,
            include_archived=include_archived,
            with_text=with_text,
        ).messages

    def scan(
        self,
        query: str = "",
        *,
        labels: Sequence[str] = (),
        limit: int = SCAN_LIMIT,
        sort: str = "date",
        sender: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        use_window: bool = True,
        include_archived: bool = False,
        with_text: bool = True,
        tally: bool = True,
    ) -> Scan:
        """Search as `search` does, and also return how many messages matched
        in all.

        With `tally` False, the search adds only its time to the tally, which
        is how a search run just to count the matches is kept out of the
        answer's hit counts.
        """
        merged: dict[str, Message] = {}
        unread = 0
        labels = self._searched_labels(labels)
        if labels is None:
            return Scan([], 0, exact=True)
        each_label: list[str | None] = [*labels] or [None]
        # Each label gets a share of the limit, so that a search over several
        # labels reads about `limit` messages in all.
        per_label = (
            limit if len(each_label) == 1 else max(limit // len(each_label), 100)
        )
        for label in each_label:
            self.check_cancel()
            request = self._search_request(
                query, [label] if label else [], per_label, sort, sender, use_window
            )
            request.after = _latest(request.after, after)
            request.before = _earliest(request.before, before)
            request.with_text = with_text
            result = self.backend.search(request)
            if tally:
                self._count(result)
            else:
                self.tally.took_ms += result.took_ms
            unread += max(0, result.total - len(result.hits))
            for hit in result.hits:
                merged.setdefault(hit.message.doc_id, hit.message)
        messages = [m for m in merged.values() if self._passes_filters(m)]
        if not include_archived:
            messages = [m for m in messages if not self.is_archived(m.doc_id)]
        if len(labels) > 1 and sort == "date":
            messages.sort(key=lambda m: m.date, reverse=True)
        # The backend counts what it did not return before the filters, so
        # its count is exact only when no filter can drop a message and one
        # search ran, because a message with several labels matches each.
        exact = unread == 0 or (
            len(each_label) == 1
            and not self.filters_drop_mail(include_archived=include_archived)
        )
        return Scan(messages[:limit], len(messages) + unread, exact=exact)

    def search_hits(
        self, query: str, *, labels: Sequence[str], limit: int, sort: str = "relevance"
    ) -> SearchResult:
        """Run one search and return its hits with their matched fields."""
        self.check_cancel()
        searched = self._searched_labels(labels)
        if searched is not None and len(searched) > 1:
            # The backends combine labels with AND, and this search returns one
            # ranked list, so the label filter is applied to its hits instead.
            searched = list(labels)
        request = self._search_request(
            query, searched if searched is not None else labels, limit, sort, None, True
        )
        result = self.backend.search(request)
        self._count(result)
        result.hits = [
            hit
            for hit in result.hits
            if self._passes_filters(hit.message)
            and not self.is_archived(hit.message.doc_id)
        ]
        return result

    def _searched_labels(self, labels: Sequence[str]) -> list[str] | None:
        """Return the labels to request from the backend: the tool's own,
        narrowed to the request's label filter, or that filter alone when the
        tool names none. None means that no message can pass the filter.

        Filtering in the backend, rather than filtering its hits, keeps the
        label filter from emptying a page of hits that other mail filled.
        """
        requested = self.filter_labels
        if not requested:
            return list(labels)
        if not labels:
            return sorted(requested)
        narrowed = [label for label in labels if label in requested]
        return narrowed or None

    def is_owner_address(self, address: str) -> bool:
        return address.lower() in self.owner_addresses

    def excepted_by(self, message: Message) -> SenderException | None:
        return next((e for e in self.exceptions if e.matches(message)), None)

    def _search_request(
        self,
        query: str,
        labels: Sequence[str],
        limit: int,
        sort: str,
        sender: str | None,
        use_window: bool,
    ) -> SearchRequest:
        filters = self.request.filters
        return SearchRequest(
            owner=self.owner,
            query=query,
            window_days=self.window_days if use_window else None,
            labels=list(labels),
            sender=sender,
            sender_domain=filters.sender_domain,
            after=_latest(self.after if use_window else None, filters.after),
            before=_earliest(self.before if use_window else None, filters.before),
            limit=limit,
            sort="date" if sort == "date" else "relevance",
            now=self.now,
        )

    def _count(self, result: SearchResult) -> None:
        self.tally.total_hits += result.total
        self.tally.returned += len(result.hits)
        self.tally.took_ms += result.took_ms
        if result.effective_after is not None:
            current = self.tally.effective_after
            if current is None or result.effective_after > current:
                self.tally.effective_after = result.effective_after

    def filters_drop_mail(self, *, include_archived: bool = False) -> bool:
        """Tell whether the filters after a search may drop some of its hits."""
        plan = self.plan
        return bool(
            (self.has_archived and not include_archived)
            or plan.excluded_labels
            or plan.excluded_senders
        )

    def _passes_filters(self, message: Message) -> bool:
        """Tell whether a message passes the request's label filter and is
        not mail the question excludes by label or sender."""
        requested = self.filter_labels
        if requested and not any(label in requested for label in message.labels):
            return False
        # NOTE: excluded labels are dropped here, after the search, because a
        # search request cannot exclude a label. Past the scan limit the total
        # is then an estimate ("about N").
        excluded = self.plan.excluded_labels
        if any(label in excluded for label in message.labels):
            return False
        if self.is_owner_address(message.sender):
            # The owner's own mail is not from a sender the question excludes,
            # even when it names the company ("Re: interview with Acme").
            return True
        return not any(sender.matches(message) for sender in self.plan.excluded_senders)

    def age_days(self, message: Message) -> float:
        return (self.now - message.date) / timedelta(days=1)


def _latest(left: datetime | None, right: datetime | None) -> datetime | None:
    if left is None or right is None:
        return left or right
    return max(left, right)


def _earliest(left: datetime | None, right: datetime | None) -> datetime | None:
    if left is None or right is None:
        return left or right
    return min(left, right)


def sender_label(message: Message) -> str:
    """Return "Name <address>" or the bare address."""
    if message.sender_name:
        return f"{message.sender_name} <{message.sender}>"
    return message.sender


def company_of(message: Message) -> str:
    """Return the company a message is about: the classifier's, else the
    sender's domain without its top-level part."""
    if message.company:
        return message.company
    if message.sender_domain.lower() in PERSONAL_DOMAINS:
        return message.sender_name or message.sender
    parts = message.sender_domain.lower().split(".")
    generic = {"mail", "email", "news", "jobs", "careers", "notifications", "noreply"}
    meaningful = [part for part in parts[:-1] if part not in generic]
    return (meaningful[-1] if meaningful else message.sender_domain).capitalize()


def format_date(moment: datetime, zone: tzinfo = UTC) -> str:
    """Format the day of `moment` in `zone`: "Tue 03 Mar 2026"."""
    return moment.astimezone(zone).strftime("%a %d %b %Y")


def format_datetime(moment: datetime, zone: tzinfo = UTC) -> str:
    """Format `moment` in `zone` with the zone's abbreviation:
    "Tue 03 Mar 2026 14:00 CET"."""
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z").strip()


def describe_labels(labels: Sequence[str]) -> str:
    """Return labels as words: "interview or offer"."""
    return " or ".join(label.replace("_", " ") for label in labels)


def unread_note(scan: Scan, description: str) -> str:
    """Return the sentence stating that a scan by date read only part of the
    matching mail ("Only the 300 newest of about 1200 promo messages were
    read."), or "" when it read all of it."""
    if scan.complete:
        return ""
    newest = len(scan.messages)
    return f"Only the {newest} newest of {scan.about} {description} were read."


def unread_exception_notes(ctx: ToolContext) -> list[str]:
    """Return one sentence per part of an "unless" clause from which no sender
    could be read, so that the answer names the mail it could not keep."""
    return [
        f"No sender could be read from {part!r}, so no mail was kept for it: "
        "name a sender, an address, a domain such as acme.com, or 'my bank'."
        for part in ctx.plan.unread_exceptions
    ]


def count_noun(count: int, singular: str, plural: str | None = None) -> str:
    """Return "1 message" or "3 messages"."""
    word = singular if count == 1 else plural or f"{singular}s"
    return f"{count} {word}"


_T = TypeVar("_T")


class MessageMemo(Generic[_T]):
    """A bounded, thread-safe cache of what a tool read from a message.

    The same mail is read again by each question, and reading dates and
    requests from text costs more than the search. The key contains everything
    the result depends on, so an edited or relabelled message is read again.
    """

    def __init__(self, size: int = 20_000):
        self._size = size
        self._items: OrderedDict[tuple[object, ...], _T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, message: Message, read: Callable[[Message], _T]) -> _T:
        key = (
            message.doc_id,
            message.date,
            message.subject,
            len(message.text),
            tuple(message.labels),
            message.company,
            message.role,
        )
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = read(message)
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return value
