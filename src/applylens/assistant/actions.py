"""Proposed actions and learned exceptions, kept per owner in the state database.

A tool only proposes. Nothing changes in the mailbox until the owner approves
a proposal, and then the change is recorded here. Archived messages are marked
in the state database, because labels are a closed set of classifier labels
and "archived" is not one of them. Unsubscribe requests are recorded and handed
to an injectable sender. Calendar events, drafted replies and tasks are
stored. Flags add the "suspicious" label through the backend.

Every read and write is scoped by the owner, lowercased.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from applylens.assistant.schemas import ProposedAction
from applylens.assistant.senders import SenderException, parse_sender_exception
from applylens.errors import NotFound
from applylens.store.base import SearchBackend

logger = logging.getLogger(__name__)

STATUSES = ("proposed", "approved", "rejected")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assistant_actions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    email_ids TEXT NOT NULL,
    params TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS assistant_actions_owner
    ON assistant_actions (owner, status, created_at);
CREATE INDEX IF NOT EXISTS assistant_actions_fingerprint
    ON assistant_actions (owner, fingerprint, status);
CREATE TABLE IF NOT EXISTS assistant_archived (
    owner TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    archived_at TEXT NOT NULL,
    PRIMARY KEY (owner, doc_id)
);
CREATE TABLE IF NOT EXISTS assistant_records (
    owner TEXT NOT NULL,
    action_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS assistant_records_owner
    ON assistant_records (owner, kind, created_at);
CREATE TABLE IF NOT EXISTS assistant_exceptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (owner, kind, value)
);
"""


@dataclass(slots=True)
class UnsubscribeRequest:
    """One unsubscribe to carry out for an approved action."""

    owner: str
    sender: str
    method: str
    target: str


# Called with each approved unsubscribe; returns a short outcome text. The
# default only records the request, because sending mail or POSTs to other
# hosts is a deployment decision.
UnsubscribeSender = Callable[[UnsubscribeRequest], str]


def record_only_sender(request: UnsubscribeRequest) -> str:
    return f"recorded; {request.method} to {request.target} not sent by this server"


# One lock and one schema check per state connection. The API builds an
# Assistant per request over a connection shared by its threads, so the lock
# must belong to the connection, not to the Assistant. The registry keeps a
# reference to each connection, so that the id of a closed one is never
# reused for another while the entry exists.
_REGISTRY: dict[int, tuple[sqlite3.Connection, threading.RLock]] = {}
_REGISTRY_LOCK = threading.Lock()


def state_lock(state: sqlite3.Connection) -> threading.RLock:
    """Return the lock that serialises this process's use of `state`, creating
    the assistant's tables the first time a connection is seen."""
    with _REGISTRY_LOCK:
        entry = _REGISTRY.get(id(state))
        if entry is not None and entry[0] is state:
            return entry[1]
        lock = threading.RLock()
        # One statement at a time, because executescript() would first commit
        # whatever transaction another user of the connection has open.
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                state.execute(statement)
        _REGISTRY[id(state)] = (state, lock)
        return lock


def _now_text() -> str:
    return datetime.now(UTC).isoformat()


def _key(owner: str) -> str:
    owner = owner.strip().lower()
    if not owner:
        raise ValueError("owner must not be empty; pass the signed-in owner's name")
    return owner


class ExceptionStore:
    """Senders an owner asked to keep: clean and unsubscribe leave them alone."""

    def __init__(self, state: sqlite3.Connection):
        self._state = state
        self._lock = state_lock(state)

    def add(self, owner: str, text: str) -> SenderException:
        """Learn an exception from a typed name, address, domain or "my bank"."""
        exception = parse_sender_exception(text)
        if exception is None:
            raise ValueError(
                f"cannot read a sender from {text!r}; give a name, an address, "
                "a domain such as acme.com, or 'my bank'"
            )
        return self.add_exception(owner, exception)

    def add_exception(self, owner: str, exception: SenderException) -> SenderException:
        owner = _key(owner)
        with self._lock, self._state:
            self._state.execute(
                "INSERT OR IGNORE INTO assistant_exceptions"
                " (owner, kind, value, text, created_at) VALUES (?, ?, ?, ?, ?)",
                (owner, exception.kind, exception.value, exception.text, _now_text()),
            )
            row = self._state.execute(
                "SELECT id FROM assistant_exceptions"
                " WHERE owner = ? AND kind = ? AND value = ?",
                (owner, exception.kind, exception.value),
            ).fetchone()
        logger.info(
            "learned exception %s=%s for %s", exception.kind, exception.value, owner
        )
        return SenderException(exception.kind, exception.value, exception.text, row[0])

    def list(self, owner: str) -> list[SenderException]:
        with self._lock:
            rows = self._state.execute(
                "SELECT id, kind, value, text FROM assistant_exceptions"
                " WHERE owner = ? ORDER BY id",
                (_key(owner),),
            ).fetchall()
        return [SenderException(row[1], row[2], row[3], row[0]) for row in rows]

    def remove(self, owner: str, exception_id: int) -> None:
        with self._lock, self._state:
            cursor = self._state.execute(
                "DELETE FROM assistant_exceptions WHERE owner = ? AND id = ?",
                (_key(owner), exception_id),
            )
        if cursor.rowcount == 0:
            raise NotFound(f"no learned exception {exception_id!r} for this owner")
        logger.info("removed exception %s for %s", exception_id, _key(owner))


class ActionStore:
    """Proposals per owner, and what approving each kind of proposal does."""

    def __init__(
        self,
        state: sqlite3.Connection,
        backend: SearchBackend,
        *,
        unsubscribe_sender: UnsubscribeSender = record_only_sender,
    ):
        self._state = state
        self._backend = backend
        self._send_unsubscribe = unsubscribe_sender
        self._lock = state_lock(state)

    def propose(
        self,
        owner: str,
        kind: str,
        title: str,
        email_ids: Sequence[str],
        params: dict[str, Any] | None = None,
    ) -> ProposedAction:
        """Store a proposal, or return the open one that proposes the same."""
        owner = _key(owner)
        params = params or {}
        fingerprint = _fingerprint(kind, email_ids, params)
        with self._lock, self._state:
            row = _fetch_one(
                self._state,
                "SELECT * FROM assistant_actions WHERE owner = ? AND fingerprint = ?"
                " AND status = 'proposed'",
                (owner, fingerprint),
            )
            if row is not None:
                return _to_action(row)
            action_id = uuid.uuid4().hex[:16]
            self._state.execute(
                "INSERT INTO assistant_actions (id, owner, kind, title, email_ids,"
                " params, fingerprint, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'proposed', ?)",
                (
                    action_id,
                    owner,
                    kind,
                    title,
                    json.dumps(list(email_ids)),
                    json.dumps(params, default=str),
                    fingerprint,
                    _now_text(),
                ),
            )
            row = self._select(owner, action_id)
        return _to_action(row)

    def list_actions(
        self, owner: str, status: str | None = None
    ) -> list[ProposedAction]:
        if status is not None and status not in STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        sql = "SELECT * FROM assistant_actions WHERE owner = ?"
        args: list[str] = [_key(owner)]
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        with self._lock:
            cursor = self._state.cursor()
            cursor.row_factory = sqlite3.Row
            rows = cursor.execute(sql + " ORDER BY created_at, id", args).fetchall()
        return [_to_action(row) for row in rows]

    def get(self, owner: str, action_id: str) -> ProposedAction:
        with self._lock:
            return _to_action(self._select(_key(owner), action_id))

    def approve(self, owner: str, action_id: str) -> ProposedAction:
        """Apply a proposal and mark it approved; approving twice does nothing.

        The proposal is claimed first with a conditional update, so that two
        processes approving at once apply it only once. When applying fails,
        the proposal goes back to "proposed" and the error propagates.
        """
        owner = _key(owner)
        action = self.get(owner, action_id)
        if action.status != "proposed" or not self._claim(owner, action_id):
            return self.get(owner, action_id)
        try:
            outcome = self._apply(owner, action)
        except Exception:
            self._decide(owner, action_id, "proposed", "")
            logger.exception(
                "applying %s action %s for %s failed", action.kind, action_id, owner
            )
            raise
        self._decide(owner, action_id, "approved", outcome)
        logger.info(
            "approved %s action %s for %s: %s", action.kind, action_id, owner, outcome
        )
        return self.get(owner, action_id)

    def reject(self, owner: str, action_id: str) -> ProposedAction:
        owner = _key(owner)
        action = self.get(owner, action_id)
        if action.status == "proposed" and self._claim(owner, action_id, "rejected"):
            logger.info("rejected %s action %s for %s", action.kind, action_id, owner)
        return self.get(owner, action_id)

    def is_archived(self, owner: str, doc_id: str) -> bool:
        with self._lock:
            row = self._state.execute(
                "SELECT 1 FROM assistant_archived WHERE owner = ? AND doc_id = ?",
                (_key(owner), doc_id),
            ).fetchone()
        return row is not None

    def archived_ids(self, owner: str) -> set[str]:
        with self._lock:
            rows = self._state.execute(
                "SELECT doc_id FROM assistant_archived WHERE owner = ?", (_key(owner),)
            ).fetchall()
        return {row[0] for row in rows}

    def records(self, owner: str, kind: str) -> list[dict[str, Any]]:
        """Return what approvals stored: "unsubscribe", "event", "draft", "task"
        or "flag" records, oldest first."""
        with self._lock:
            rows = self._state.execute(
                "SELECT action_id, body, created_at FROM assistant_records"
                " WHERE owner = ? AND kind = ? ORDER BY rowid",
                (_key(owner), kind),
            ).fetchall()
        return [
            {"action_id": row[0], "created_at": row[2], **json.loads(row[1])}
            for row in rows
        ]

    def _select(self, owner: str, action_id: str) -> sqlite3.Row:
        row = _fetch_one(
            self._state,
            "SELECT * FROM assistant_actions WHERE owner = ? AND id = ?",
            (owner, action_id),
        )
        if row is None:
            raise NotFound(f"no action {action_id!r} for this owner")
        return row

    def _claim(self, owner: str, action_id: str, status: str = "approved") -> bool:
        """Move a proposal out of "proposed"; return False if another caller
        decided it first."""
        with self._lock, self._state:
            cursor = self._state.execute(
                "UPDATE assistant_actions SET status = ?, decided_at = ?"
                " WHERE owner = ? AND id = ? AND status = 'proposed'",
                (status, _now_text(), owner, action_id),
            )
        return cursor.rowcount == 1

    def _decide(self, owner: str, action_id: str, status: str, outcome: str) -> None:
        with self._lock, self._state:
            self._state.execute(
                "UPDATE assistant_actions SET status = ?, decided_at = ?, outcome = ?"
                " WHERE owner = ? AND id = ?",
                (status, _now_text(), outcome, owner, action_id),
            )

    def _apply(self, owner: str, action: ProposedAction) -> str:
        if action.kind == "archive":
            return self._archive(owner, action)
        if action.kind == "unsubscribe":
            return self._unsubscribe(owner, action)
        if action.kind in ("flag", "label"):
            return self._add_labels(owner, action)
        record_kind = {"calendar": "event", "reply": "draft", "task": "task"}[
            action.kind
        ]
        self._record(owner, action.id, record_kind, [action.params])
        return f"stored the {record_kind}"

    def _archive(self, owner: str, action: ProposedAction) -> str:
        now = _now_text()
        with self._lock, self._state:
            self._state.executemany(
                "INSERT OR IGNORE INTO assistant_archived"
                " (owner, doc_id, action_id, archived_at) VALUES (?, ?, ?, ?)",
                [(owner, doc_id, action.id, now) for doc_id in action.email_ids],
            )
        return f"archived {len(action.email_ids)} messages"

    def _unsubscribe(self, owner: str, action: ProposedAction) -> str:
        request = UnsubscribeRequest(
            owner=owner,
            sender=str(action.params.get("sender", "")),
            method=str(action.params.get("method", "")),
            target=str(action.params.get("target", "")),
        )
        outcome = self._send_unsubscribe(request)
        body = {
            "sender": request.sender,
            "method": request.method,
            "target": request.target,
            "outcome": outcome,
        }
        self._record(owner, action.id, "unsubscribe", [body])
        return outcome

    def _add_labels(self, owner: str, action: ProposedAction) -> str:
        added = list(action.params.get("labels", ["suspicious"]))
        for doc_id in action.email_ids:
            message = self._backend.get_message(owner, doc_id)
            labels = [*message.labels, *(x for x in added if x not in message.labels)]
            self._backend.set_labels(owner, doc_id, labels)
        self._record(owner, action.id, "flag", [{"email_ids": action.email_ids}])
        return f"labelled {len(action.email_ids)} messages {', '.join(added)}"

    def _record(
        self, owner: str, action_id: str, kind: str, bodies: Iterable[dict[str, Any]]
    ) -> None:
        now = _now_text()
        with self._lock, self._state:
            self._state.executemany(
                "INSERT INTO assistant_records"
                " (owner, action_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?)",
                [
                    (owner, action_id, kind, json.dumps(b, default=str), now)
                    for b in bodies
                ],
            )


def _fetch_one(
    state: sqlite3.Connection, sql: str, args: Sequence[str]
) -> sqlite3.Row | None:
    # A cursor of its own, so that rows have names whatever row factory the
    # shared connection uses.
    cursor = state.cursor()
    cursor.row_factory = sqlite3.Row
    row: sqlite3.Row | None = cursor.execute(sql, args).fetchone()
    return row


def _fingerprint(kind: str, email_ids: Sequence[str], params: dict[str, Any]) -> str:
    payload = json.dumps(
        [kind, sorted(email_ids), params], sort_keys=True, default=str
    ).encode()
    return hashlib.sha256(payload).hexdigest()[:32]


def _to_action(row: sqlite3.Row) -> ProposedAction:
    return ProposedAction(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        email_ids=json.loads(row["email_ids"]),
        params=json.loads(row["params"]),
        status=row["status"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )
