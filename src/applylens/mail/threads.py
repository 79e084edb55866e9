"""Assign thread ids from References / In-Reply-To and Gmail's X-GM-THRID.

A message with no stored ancestor gets a thread id derived from the root of
its References (or its parent, or itself). Every message that names the same
root therefore lands in the same thread even when the root never arrives,
and a root that arrives after its replies gets the id they already share.
The remaining cases (a reply that names only its direct parent, a parent
that itself has ancestors, In-Reply-To loops) are joined by merging thread
ids: in memory for the current import, and in the store through
`SearchBackend.merge_threads` for threads written earlier.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Sequence

from applylens.mail.model import Message
from applylens.store.base import SearchBackend

logger = logging.getLogger(__name__)

GMAIL_PREFIX = "gmail:"


def root_thread_id(message_id: str) -> str:
    """Return the thread id of a thread whose root is `message_id`."""
    return hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def ancestors_of(message: Message) -> list[str]:
    """Return the Message-IDs a message replies to, root first, without itself."""
    ancestors = list(message.references)
    if message.in_reply_to and message.in_reply_to not in ancestors:
        ancestors.append(message.in_reply_to)
    return [found for found in ancestors if found != message.message_id]


class ThreadLinks:
    """Thread ids of Message-IDs, stored or only referenced, kept across imports.

    A reply can name ancestors that are not stored (yet). Remembering which
    thread such a missing message was given lets it join that thread when it
    arrives in a later import, also when its own References disagree with
    the reply's. The table lives in the state database, so it serves every
    search backend.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.executescript(_LINKS_SCHEMA)

    def lookup(self, owner: str, message_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        ids = list(message_ids)
        for start in range(0, len(ids), _SQL_CHUNK):
            chunk = ids[start : start + _SQL_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self.conn.execute(
                "SELECT message_id, thread_id FROM thread_links "
                f"WHERE owner = ? AND message_id IN ({marks})",
                (owner.lower(), *chunk),
            ).fetchall()
            found.update({row[0]: row[1] for row in rows})
        return found

    def update(
        self, owner: str, merges: dict[str, list[str]], links: dict[str, str]
    ) -> None:
        """Apply thread merges and record new links, in one transaction."""
        owner_key = owner.lower()
        with self.conn:
            for into, olds in merges.items():
                marks = ", ".join("?" * len(olds))
                self.conn.execute(
                    "UPDATE thread_links SET thread_id = ? "
                    f"WHERE owner = ? AND thread_id IN ({marks})",
                    (into, owner_key, *olds),
                )
            self.conn.executemany(
                "INSERT OR REPLACE INTO thread_links (owner, message_id, thread_id) "
                "VALUES (?, ?, ?)",
                [(owner_key, found, thread) for found, thread in links.items()],
            )


_SQL_CHUNK = 500
_LINKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS thread_links (
    owner TEXT NOT NULL,
    message_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    PRIMARY KEY (owner, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thread_links_by_thread ON thread_links (owner, thread_id);
"""


class ThreadResolver:
    """Gives thread ids to the messages of one import, batch by batch.

    `store_has_messages` is True when the owner had mail stored before this
    import started. Only then can a thread outside this import need merging,
    so an import into an empty store makes no extra store calls. Without
    `links`, threads are complete within one import, and across imports
    wherever the References headers agree.
    """

    def __init__(
        self,
        backend: SearchBackend,
        owner: str,
        *,
        store_has_messages: bool,
        links: ThreadLinks | None = None,
    ) -> None:
        self.backend = backend
        self.owner = owner
        self.store_has_messages = store_has_messages
        self.links = links
        self._thread_of: dict[str, str] = {}
        self._parent: dict[str, str] = {}
        self._written: set[str] = set()
        self._pending_merges: set[str] = set()
        self._touched: set[str] = set()
        self.merged_in_store = 0

    def assign(self, messages: Sequence[Message]) -> None:
        """Set `thread_id` on each message and queue the merges it implies."""
        if self.store_has_messages:
            self._load_known(messages)
        for message in messages:
            self._assign_one(message)
        for message in messages:
            message.thread_id = self._find(message.thread_id)

    def flush_merges(self) -> None:
        """Apply queued merges to threads already stored, and save the links.

        This runs before the batch is written, and the merges are idempotent,
        so an import killed between the two steps repeats them on resume.
        """
        targets: dict[str, list[str]] = {}
        for old in self._pending_merges:
            new = self._find(old)
            if new != old:
                targets.setdefault(new, []).append(old)
        self._pending_merges.clear()
        for new, olds in targets.items():
            olds.sort()
            self.merged_in_store += self.backend.merge_threads(
                self.owner, olds, into=new
            )
            self._written.difference_update(olds)
            self._written.add(new)
        if self.links is not None:
            # NOTE: the links live in another database than the messages, so
            # a kill between the store merges above and this update can leave
            # a resumed import splitting one thread in two. Message keys are
            # not affected.
            touched = {
                found: self._find(self._thread_of[found]) for found in self._touched
            }
            self.links.update(self.owner, targets, touched)
        self._touched.clear()

    def mark_written(self, messages: Sequence[Message]) -> None:
        self._written.update(message.thread_id for message in messages)

    def _load_known(self, messages: Sequence[Message]) -> None:
        missing = sorted(
            {
                found
                for message in messages
                for found in _ids_of(message)
                if found not in self._thread_of
            }
        )
        if not missing:
            return
        sources = [self.backend.thread_ids_for(self.owner, missing)]
        if self.links is not None:
            sources.append(self.links.lookup(self.owner, missing))
        for source in sources:
            for found, thread_id in source.items():
                if found in self._thread_of:
                    self._union(thread_id, self._thread_of[found])
                else:
                    self._thread_of[found] = thread_id

    def _assign_one(self, message: Message) -> None:
        ancestors = ancestors_of(message)
        ids = _ids_of(message)
        known = [self._find(self._thread_of[i]) for i in ids if i in self._thread_of]
        if message.gmail_thread_id:
            thread_id = GMAIL_PREFIX + message.gmail_thread_id
        elif known:
            thread_id = known[0]
        else:
            thread_id = root_thread_id(ancestors[0] if ancestors else _own_id(message))

        # Replies that arrived earlier may carry a thread id derived from any
        # ancestor of this message, or from this message itself.
        related = {*known, *(root_thread_id(i) for i in ids)}
        for other in related:
            self._union(other, thread_id)

        message.thread_id = self._find(thread_id)
        for found in ids:
            self._thread_of.setdefault(found, message.thread_id)
        self._touched.update(ids)

    def _find(self, thread_id: str) -> str:
        root = thread_id
        while root in self._parent:
            root = self._parent[root]
        while thread_id != root:
            self._parent[thread_id], thread_id = root, self._parent[thread_id]
        return root

    def _union(self, other: str, into: str) -> None:
        old, new = self._find(other), self._find(into)
        if old == new:
            return
        self._parent[old] = new
        if self.store_has_messages or old in self._written:
            self._pending_merges.add(old)


def _ids_of(message: Message) -> list[str]:
    """Return the ancestors of a message followed by its own Message-ID."""
    ids = ancestors_of(message)
    if message.message_id:
        ids.append(message.message_id)
    return ids


def _own_id(message: Message) -> str:
    return message.message_id or message.key
