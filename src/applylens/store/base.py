"""The interface every search backend implements, and its request/response types."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from applylens.mail.model import Message


@dataclass(slots=True)
class SearchRequest:
    """One search of one owner's mail.

    `query` uses the query language of `applylens.store.query`. `window_days`
    keeps mail received in the last N days; `after` and `before` bound the
    received date explicitly. Every filter is combined with AND. With
    `with_text` False, hits come without the message text and the snippet,
    for callers that read only the other fields of many messages.
    """

    owner: str
    query: str = ""
    window_days: int | None = None
    labels: Sequence[str] = ()
    sender: str | None = None
    sender_domain: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    limit: int = 20
    offset: int = 0
    sort: Literal["relevance", "date"] = "relevance"
    now: datetime | None = None
    with_text: bool = True


@dataclass(slots=True)
class SearchHit:
    message: Message
    score: float
    matched_fields: list[str] = field(default_factory=list)
    snippet: str = ""


@dataclass(slots=True)
class SearchResult:
    hits: list[SearchHit]
    total: int
    took_ms: float
    backend: str
    effective_after: datetime | None = None
    """The earliest received date searched, after the window and retention."""


@dataclass(slots=True)
class AddStats:
    indexed: int = 0
    duplicates: int = 0
    stored_ids: list[str] = field(default_factory=list)
    """The doc ids of the messages stored by this call, not the duplicates."""


@runtime_checkable
class SearchBackend(Protocol):
    """A store of messages with full-text search, scoped by owner."""

    name: str

    def add_messages(self, messages: Iterable[Message]) -> AddStats:
        """Store messages in one transaction.

        A message whose (owner, key) is already stored counts as a duplicate.
        """
        ...

    def contains(self, owner: str, key: str) -> bool: ...

    def stored_content_hash(self, owner: str, key: str) -> str | None:
        """Return the content hash of the stored message with this key: None
        when none is stored, "" when it was stored without one."""
        ...

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search; raise QuerySyntaxError or BackendUnavailable, never return
        an empty result for either."""
        ...

    def get_message(self, owner: str, doc_id: str) -> Message:
        """Return one message; raise NotFound when the owner has no such id."""
        ...

    def get_thread(self, owner: str, thread_id: str) -> list[Message]:
        """Return a thread's messages, oldest first."""
        ...

    def thread_ids_for(self, owner: str, message_ids: Sequence[str]) -> dict[str, str]:
        """Map the given Message-IDs that are stored to their thread ids."""
        ...

    def merge_threads(self, owner: str, thread_ids: Sequence[str], into: str) -> int:
        """Move every message of `thread_ids` into thread `into`; return the count."""
        ...

    def set_labels(self, owner: str, doc_id: str, labels: Sequence[str]) -> None: ...

    def iter_messages(self, owner: str) -> Iterator[Message]: ...

    def count(self, owner: str | None = None) -> int: ...

    def purge_older_than(self, cutoff: datetime) -> int:
        """Delete every message received before `cutoff`; return how many."""
        ...

    def check(self) -> None:
        """Raise BackendUnavailable (or BackendNotReady) unless searches can run."""
        ...

    def close(self) -> None: ...
