"""The embedded search backend: one SQLite file with an FTS5 index.

Messages live once in the `messages` table. The FTS5 table `message_fts` is an
external-content index over the `message_text` view, so the text is stored once.
`add_messages` indexes each new row, and triggers keep the index in step with
every update and delete. Fields with Chinese or Japanese text or compatibility
characters carry a second copy of their tokens, split and normalized as
`text_tokens` does, in the `split_tokens` column, which the view appends.
The `facets` column indexes the owner and the labels as tokens of their own, so
that FTS5 applies the owner and label filters while it reads its index. The
`label_mask` column serves label filters of searches without text.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from applylens.errors import BackendNotReady, BackendUnavailable, NotFound
from applylens.mail.model import Attachment, Message, Unsubscribe, make_doc_id
from applylens.store.base import AddStats, SearchHit, SearchRequest, SearchResult
from applylens.store.matching import describe_hit
from applylens.store.query import RETOKENIZED_CHARS, RETOKENIZED_RE, text_tokens
from applylens.store.sqlite_search import (
    ROW_ID_SLOTS,
    CountStarter,
    SearchPlan,
    from_micros,
    label_mask,
    label_tokens,
    owner_token,
    plan_search,
    row_id_base,
    to_micros,
)
from applylens.store.wal import use_wal

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3
_CHUNK = 500
# Closing a store that stored at least this many messages merges the index into
# one segment. Searches then read each word's list from one place instead of
# merging the lists of every segment that the inserts left. A smaller import
# leaves few segments, which FTS5 merges as it goes: on 3,250 messages the
# merge took 0.09 s and made the median search 0.82 ms instead of 0.93 ms.
OPTIMIZE_AFTER = 10_000
_T = TypeVar("_T")

_FTS_COLUMNS = "subject, sender, body, recipients, facets"


def _fts_values(row: str) -> str:
    """Return the SQL of the indexed values of `row` ("new" or "old").

    `_fts_row` computes the same values in Python; the two must agree, or
    deleting a message would leave its words in the index.
    """
    return (
        f"{row}.subject{_split(row, 0)}, "
        f"{row}.sender_name || ' ' || {row}.sender{_split(row, 1)}, "
        f"{row}.body{_split(row, 2)}, "
        f"{row}.to_json || ' ' || {row}.cc_json{_split(row, 3)}, {row}.facets"
    )


def _split(row: str, index: int) -> str:
    # The tokens of a field that needs them (see `_split_tokens`), after its
    # text; nothing for other fields.
    return f" || coalesce(' ' || json_extract({row}.split_tokens, '$[{index}]'), '')"


def _fts_row(row_id: int, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return the row id and the indexed values of a row of `_to_row`."""
    fields = [row[11], f"{row[9]} {row[8]}", row[12], f"{row[13]} {row[14]}"]
    if row[17] is not None:
        for index, tokens in enumerate(json.loads(row[17])):
            if tokens is not None:
                fields[index] = f"{fields[index]} {tokens}"
    return (row_id, *fields, row[7])


def _split_tokens(fields: Sequence[str]) -> str | None:
    """Return the JSON of the indexed fields' tokens, for fields that contain
    Chinese characters, kana or compatibility characters, or None when none
    does.

    SQLite's unicode61 tokenizer keeps a run of Chinese or Japanese text, which
    has no spaces between words, as one token, so 面接 would not find
    二次面接のご案内. It also keeps "ﬁle" and "Ｐｙｔｈｏｎ" as typed. So such a
    field is indexed a second time as `text_tokens` splits and normalizes it,
    and queries match those tokens. The ranking then counts the field's other
    words twice.
    """
    split: list[str | None] = [
        " ".join(text_tokens(text))
        if not text.isascii() and RETOKENIZED_RE.search(text)
        else None
        for text in fields
    ]
    if all(tokens is None for tokens in split):
        return None
    return json.dumps(split, ensure_ascii=False)


# `add_messages` indexes new rows itself rather than from a trigger. FTS5
# writes its pending terms to disk at every savepoint (its xSavepoint method),
# and a statement that fires a trigger opens one, so each message became an
# index segment of its own: twice the time on 3,250 real messages.
_FTS_INSERT = f"""
INSERT INTO message_fts (rowid, {_FTS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
"""


# The row id orders messages by received date (see `row_id_base`), so a date
# range is a row id range that FTS5 applies while it reads its index.
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    message_id TEXT,
    thread_id TEXT NOT NULL,
    date_us INTEGER NOT NULL,
    label_mask INTEGER NOT NULL,
    facets TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_domain TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    to_json TEXT NOT NULL,
    cc_json TEXT NOT NULL,
    data TEXT NOT NULL,
    html BLOB,
    split_tokens TEXT
);
-- Every owner that has stored mail, so that a search can tell when the file
-- holds a single mailbox and skip the owner filter.
CREATE TABLE IF NOT EXISTS owners (owner TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_owner_key ON messages (owner, key);
CREATE UNIQUE INDEX IF NOT EXISTS messages_doc_id ON messages (doc_id);
CREATE INDEX IF NOT EXISTS messages_owner_id ON messages (owner, id, label_mask);
CREATE INDEX IF NOT EXISTS messages_owner_thread ON messages (owner, thread_id);
CREATE INDEX IF NOT EXISTS messages_owner_message_id
    ON messages (owner, message_id);

CREATE VIEW IF NOT EXISTS message_text (id, {_FTS_COLUMNS}) AS
    SELECT id, {_fts_values("messages")} FROM messages;

CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5 (
    {_FTS_COLUMNS},
    content = 'message_text', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_fts (message_fts, rowid, {_FTS_COLUMNS})
    VALUES ('delete', old.id, {_fts_values("old")});
END;

CREATE TRIGGER IF NOT EXISTS messages_fts_update
AFTER UPDATE OF subject, sender, sender_name, body, to_json, cc_json, facets,
    split_tokens
ON messages BEGIN
    INSERT INTO message_fts (message_fts, rowid, {_FTS_COLUMNS})
    VALUES ('delete', old.id, {_fts_values("old")});
    INSERT INTO message_fts (rowid, {_FTS_COLUMNS})
    VALUES (new.id, {_fts_values("new")});
END;
"""

# Run before _SCHEMA on a file of schema 1 or 2, which had no `split_tokens`
# column: the
# view and the triggers that index the text are created again by _SCHEMA.
_UPGRADE_BEFORE = """
DROP VIEW IF EXISTS message_text;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
"""
# Run after _SCHEMA on a file of an older schema version. Version 1 indexed
# new rows with a trigger.
_UPGRADE_AFTER = "DROP TRIGGER IF EXISTS messages_fts_insert;"

_INSERT = """
INSERT INTO messages (
    id, owner, key, doc_id, message_id, thread_id, date_us, label_mask, facets,
    sender, sender_name, sender_domain, subject, body, to_json, cc_json, data, html,
    split_tokens
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (owner, key) DO NOTHING
"""

# The recipients and the other fields come as one JSON array, because each
# json.loads call costs about as much as decoding a short list.
_MESSAGE_COLUMNS = (
    "owner, key, message_id, thread_id, date_us, sender, sender_name, "
    "sender_domain, subject, body, "
    "'[' || to_json || ',' || cc_json || ',' || data || ']', html"
)
# Search hits leave the HTML out: reading and inflating it is a large part of a
# search, and hits are shown as text. get_message and get_thread return it.
_HIT_COLUMNS = _MESSAGE_COLUMNS.replace(", html", ", NULL")
# For searches with with_text=False: the same columns with an empty body.
_HIT_COLUMNS_WITHOUT_TEXT = _HIT_COLUMNS.replace(", body,", ", '',")

# These sqlite3 errors come from programming mistakes, so they keep their type.
# Every other one means the file cannot serve requests (locked, corrupt, I/O).
_PROGRAMMING_ERRORS = (
    sqlite3.IntegrityError,
    sqlite3.ProgrammingError,
    sqlite3.InterfaceError,
)


# Searches read the file through a memory map of up to this size, which is
# faster than copying pages. Bulk imports pass 0: they read little, and the
# mapped pages would count towards the importing process's memory.
DEFAULT_MMAP_BYTES = 256 * 1024 * 1024


class SQLiteStore:
    """A `SearchBackend` in one SQLite file, safe to share between threads.

    With `retention_days` > 0, searches never return mail received more than
    that many days before the time of the search. `busy_timeout` is how many
    seconds a call waits for another process's write before it raises
    BackendUnavailable.

    The messages of search hits have no `html` (it is None); `get_message`
    and `get_thread` return every field. `close` merges the index segments
    after an import of OPTIMIZE_AFTER messages or more, which makes later
    searches faster (it took about 1 s for 100,000 messages on two cores).
    """

    name = "sqlite"

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int = 0,
        busy_timeout: float = 10.0,
        mmap_bytes: int = DEFAULT_MMAP_BYTES,
    ) -> None:
        if retention_days < 0:
            raise ValueError(
                f"retention_days must be 0 (keep everything) or more, "
                f"not {retention_days!r}"
            )
        self.path = Path(path)
        self.retention_days = retention_days
        self.busy_timeout = busy_timeout
        self.mmap_bytes = mmap_bytes
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        # A second connection, used by one worker thread only, counts matches
        # while the main connection ranks them. The two overlap on two cores
        # because CPython's sqlite3 module releases the GIL while SQLite runs.
        self._counter: ThreadPoolExecutor | None = None
        self._counter_connection: sqlite3.Connection | None = None
        self._stored = 0

    # Connection handling

    def _run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `work` on the connection, translating SQLite's errors."""
        with self._lock:
            try:
                return work(self._connect())
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `work` in one transaction that is rolled back if anything fails."""

        def transaction(conn: sqlite3.Connection) -> _T:
            conn.execute("BEGIN IMMEDIATE")
            return _finish_transaction(conn, lambda: work(conn))

        return self._run(transaction)

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        if self.path.is_dir():
            raise self._unavailable("the path is a directory, not a database file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unavailable(f"cannot create its folder: {exc}") from exc
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            _prepare(
                conn,
                self.path,
                busy_timeout_ms=int(self.busy_timeout * 1000),
                mmap_bytes=self.mmap_bytes,
            )
        except BaseException:
            conn.close()
            raise
        self._connection = conn
        return conn

    def _translate(self, exc: sqlite3.Error) -> Exception:
        if isinstance(exc, _PROGRAMMING_ERRORS) or str(exc).startswith("fts5:"):
            return exc
        return self._unavailable(str(exc))

    def _unavailable(self, detail: str) -> BackendUnavailable:
        return BackendUnavailable("sqlite", str(self.path), "APPLYLENS_DB", detail)

    def close(self) -> None:
        with self._lock:
            if self._stored >= OPTIMIZE_AFTER and self._connection is not None:
                self._optimize_index()
            if self._counter is not None:
                self._counter.submit(self._close_counter_connection).result()
                self._counter.shutdown(wait=True)
                self._counter = None
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _optimize_index(self) -> None:
        """Merge the index segments into one. A failure is logged, not raised."""
        started = time.perf_counter()
        try:
            self._write(
                lambda conn: conn.execute(
                    "INSERT INTO message_fts (message_fts) VALUES ('optimize')"
                )
            )
        except BackendUnavailable as exc:
            logger.warning("failed to merge the search index of %s: %s", self.path, exc)
            return
        self._stored = 0
        logger.info(
            "merged the search index of %s in %.1f s",
            self.path,
            time.perf_counter() - started,
        )

    def _start_count(self, plan: SearchPlan) -> Callable[[], int]:
        if self._counter is None:
            self._counter = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="applylens-sqlite-count"
            )
        return self._counter.submit(self._count_matches, plan).result

    def _count_matches(self, plan: SearchPlan) -> int:
        """Count the plan's matches on the counting connection (worker thread)."""
        if self._counter_connection is None:
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            _tune(
                conn,
                busy_timeout_ms=int(self.busy_timeout * 1000),
                mmap_bytes=self.mmap_bytes,
            )
            self._counter_connection = conn
        conn = self._counter_connection

        def count() -> int:
            # This connection's snapshot may be newer than the ranking's, so
            # it decides again whether the owner filter can go.
            owners = [
                row[0] for row in conn.execute("SELECT owner FROM owners LIMIT 2")
            ]
            sql, params = plan.count_statement(single_owner=owners == [plan.owner])
            return int(conn.execute(sql, params).fetchone()[0])

        conn.execute("BEGIN")
        return _finish_transaction(conn, count)

    def _close_counter_connection(self) -> None:
        if self._counter_connection is not None:
            self._counter_connection.close()
            self._counter_connection = None

    def check(self) -> None:
        self._fetch_all("SELECT 1 FROM messages LIMIT 1", ())
        self._fetch_all("SELECT rowid FROM message_fts LIMIT 1", ())

    # Writing

    def add_messages(self, messages: Iterable[Message]) -> AddStats:
        # FTS5 also writes its pending terms to disk whenever a row id is lower
        # than the one before, so rows go in by date, which orders row ids.
        rows = sorted(map(_to_row, messages), key=itemgetter(5))

        def insert(conn: sqlite3.Connection) -> AddStats:
            stats = AddStats()
            owners: set[str] = set()
            for row in rows:
                if row[0] not in owners:
                    owners.add(row[0])
                    conn.execute(
                        "INSERT OR IGNORE INTO owners (owner) VALUES (?)", (row[0],)
                    )
                row_id = _free_row_id(conn, row[5])
                if conn.execute(_INSERT, (row_id, *row)).rowcount:
                    conn.execute(_FTS_INSERT, _fts_row(row_id, row))
                    stats.indexed += 1
                    stats.stored_ids.append(row[2])
                else:
                    stats.duplicates += 1
            return stats

        stats = self._write(insert)
        with self._lock:
            self._stored += stats.indexed
        logger.debug(
            "stored %d messages, %d duplicates", stats.indexed, stats.duplicates
        )
        return stats

    def set_labels(self, owner: str, doc_id: str, labels: Sequence[str]) -> None:
        mask = label_mask(labels, strict=True)

        def update(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT id, data FROM messages WHERE doc_id = ? AND owner = ?",
                (doc_id, _owner_key(owner)),
            ).fetchone()
            if row is None:
                raise _not_found(owner, doc_id)
            data = json.loads(row[1])
            data["labels"] = list(dict.fromkeys(labels))
            conn.execute(
                "UPDATE messages SET label_mask = ?, facets = ?, data = ? WHERE id = ?",
                (mask, _facets(owner, labels), _dump_json(data), row[0]),
            )

        self._write(update)

    def merge_threads(self, owner: str, thread_ids: Sequence[str], into: str) -> int:
        sources = [t for t in dict.fromkeys(thread_ids) if t != into]

        def merge(conn: sqlite3.Connection) -> int:
            moved = 0
            for chunk in _batches(sources, _CHUNK):
                marks = ", ".join("?" * len(chunk))
                cursor = conn.execute(
                    "UPDATE messages SET thread_id = ? "
                    f"WHERE owner = ? AND thread_id IN ({marks})",
                    (into, _owner_key(owner), *chunk),
                )
                moved += cursor.rowcount
            return moved

        return self._write(merge) if sources else 0

    def purge_older_than(self, cutoff: datetime) -> int:
        cutoff_us = to_micros(cutoff)
        return self._write(
            lambda conn: (
                conn.execute(
                    "DELETE FROM messages WHERE date_us < ?", (cutoff_us,)
                ).rowcount
            )
        )

    # Reading

    def count_older_than(self, cutoff: datetime) -> int:
        """Return how many messages `purge_older_than(cutoff)` would delete."""
        cutoff_us = to_micros(cutoff)
        row = self._run(
            lambda conn: conn.execute(
                "SELECT count(*) FROM messages WHERE id < ? AND date_us < ?",
                (row_id_base(cutoff_us) + ROW_ID_SLOTS, cutoff_us),
            ).fetchone()
        )
        return int(row[0])

    def contains(self, owner: str, key: str) -> bool:
        row = self._run(
            lambda conn: conn.execute(
                "SELECT 1 FROM messages WHERE owner = ? AND key = ?",
                (_owner_key(owner), key),
            ).fetchone()
        )
        return row is not None

    def stored_content_hash(self, owner: str, key: str) -> str | None:
        row = self._run(
            lambda conn: conn.execute(
                "SELECT json_extract(data, '$.content_hash') FROM messages "
                "WHERE owner = ? AND key = ?",
                (_owner_key(owner), key),
            ).fetchone()
        )
        return None if row is None else row[0] or ""

    def count(self, owner: str | None = None) -> int:
        if owner is None:
            rows = self._fetch_all("SELECT count(*) FROM messages", ())
        else:
            rows = self._fetch_all(
                "SELECT count(*) FROM messages WHERE owner = ?", (_owner_key(owner),)
            )
        return int(rows[0][0])

    def get_message(self, owner: str, doc_id: str) -> Message:
        messages = self._load("doc_id = ? AND owner = ?", (doc_id, _owner_key(owner)))
        if not messages:
            raise _not_found(owner, doc_id)
        return messages[0]

    def get_thread(self, owner: str, thread_id: str) -> list[Message]:
        return self._load(
            "owner = ? AND thread_id = ? ORDER BY date_us, id",
            (_owner_key(owner), thread_id),
        )

    def thread_ids_for(self, owner: str, message_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _batches(dict.fromkeys(message_ids), _CHUNK):
            marks = ", ".join("?" * len(chunk))
            rows = self._fetch_all(
                "SELECT message_id, thread_id FROM messages "
                f"WHERE owner = ? AND message_id IN ({marks})",
                (_owner_key(owner), *chunk),
            )
            found.update({message_id: thread for message_id, thread in rows})
        return found

    def iter_messages(self, owner: str) -> Iterator[Message]:
        # Pages by id so that the lock is not held while the caller works.
        last_id = -(2**63)
        while True:
            rows = self._fetch_all(
                f"SELECT id, {_MESSAGE_COLUMNS} FROM messages "
                "WHERE owner = ? AND id > ? ORDER BY id LIMIT ?",
                (_owner_key(owner), last_id, _CHUNK),
            )
            if not rows:
                return
            last_id = rows[-1][0]
            for row in rows:
                yield _from_row(row[1:])

    def _fetch_all(self, sql: str, params: Sequence[object]) -> list[Any]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall())

    def _load(self, where: str, params: Sequence[object]) -> list[Message]:
        rows = self._run(
            lambda conn: conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {where}", params
            ).fetchall()
        )
        return [_from_row(row) for row in rows]

    # Searching

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        plan = plan_search(request, retention_days=self.retention_days)
        hits: list[SearchHit] = []
        total = 0
        if not plan.is_empty:
            hits, total = self._run(
                lambda conn: _read_snapshot(
                    conn, lambda: _run_plan(conn, plan, self._start_count)
                )
            )
        return SearchResult(
            hits=hits,
            total=total,
            took_ms=(time.perf_counter() - started) * 1000,
            backend=self.name,
            effective_after=plan.effective_after,
        )


def _read_snapshot(conn: sqlite3.Connection, work: Callable[[], _T]) -> _T:
    """Run `work` in one read transaction, so all its statements see one state."""
    conn.execute("BEGIN")
    return _finish_transaction(conn, work)


def _finish_transaction(conn: sqlite3.Connection, work: Callable[[], _T]) -> _T:
    """Run `work` in the open transaction; commit it, or roll back on any error."""
    try:
        result = work()
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _run_plan(
    conn: sqlite3.Connection, plan: SearchPlan, start_count: CountStarter
) -> tuple[list[SearchHit], int]:
    owners = [row[0] for row in conn.execute("SELECT owner FROM owners LIMIT 2")]
    single_owner = owners == [plan.owner]
    ranked, total = plan.execute_page(
        conn, single_owner=single_owner, start_count=start_count
    )
    # The hits are read and described while the other connection counts.
    columns = _HIT_COLUMNS if plan.with_text else _HIT_COLUMNS_WITHOUT_TEXT
    messages = _load_by_ids(conn, [row_id for row_id, _ in ranked], columns)
    hits = []
    for row_id, score in ranked:
        message = messages[row_id]
        matched: list[str] = []
        snippet = ""
        if plan.with_text:
            matched, snippet = describe_hit(
                message, plan.field_patterns, has_label_filter=plan.has_label_filter
            )
        hits.append(SearchHit(message, score, matched, snippet))
    return hits, total()


def _load_by_ids(
    conn: sqlite3.Connection, ids: Sequence[int], columns: str
) -> dict[int, Message]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT id, {columns} FROM messages WHERE id IN ({marks})",
        tuple(ids),
    ).fetchall()
    return {row[0]: _from_row(row[1:]) for row in rows}


# Schema and row conversion


def _tune(conn: sqlite3.Connection, *, busy_timeout_ms: int, mmap_bytes: int) -> None:
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms:d}")
    conn.execute(f"PRAGMA mmap_size = {mmap_bytes:d}")
    conn.execute("PRAGMA cache_size = -32768")


def _prepare(
    conn: sqlite3.Connection, path: Path, *, busy_timeout_ms: int, mmap_bytes: int
) -> None:
    _tune(conn, busy_timeout_ms=busy_timeout_ms, mmap_bytes=mmap_bytes)
    # Checked before anything is written, so that another program's file, or a
    # newer one, is left as it was.
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise BackendNotReady(
            f"the database was created by a newer ApplyLens (schema {version}, "
            f"this version reads {SCHEMA_VERSION}): upgrade ApplyLens or set "
            "APPLYLENS_DB to another file"
        )
    if version == 0:
        _check_not_foreign(conn, path)
    use_wal(conn, busy_timeout_ms / 1000)
    # NORMAL keeps every committed transaction when a process is killed. Only a
    # power loss can drop the last ones, and the file stays consistent.
    conn.execute("PRAGMA synchronous = NORMAL")
    if version < SCHEMA_VERSION:
        _upgrade(conn)


def _check_not_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """Raise BackendNotReady when the file contains tables but not ApplyLens's."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    if tables and "messages" not in tables:
        table_list = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise BackendNotReady(
            f"{path} is not an ApplyLens mail database (it has the tables "
            f"{table_list}): set APPLYLENS_DB or --db to the mail database, or to a "
            "new file"
        )


def _upgrade(conn: sqlite3.Connection) -> None:
    """Create the schema, or bring a file of an older version up to date.

    Another process may be doing the same, so the version is read again once
    this connection holds the write lock.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(messages)")}
            missing_split = bool(columns) and "split_tokens" not in columns
            if missing_split:
                conn.execute("ALTER TABLE messages ADD COLUMN split_tokens TEXT")
                _run_script(conn, _UPGRADE_BEFORE)
            _run_script(conn, _SCHEMA)
            _run_script(conn, _UPGRADE_AFTER)
            if missing_split:
                _index_split_tokens(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # One statement at a time: executescript would commit the open transaction.
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip("; \n"):
                conn.execute(statement)
            statement = ""


def _index_split_tokens(conn: sqlite3.Connection) -> None:
    """Fill `split_tokens` for the stored messages that need it; the update
    trigger indexes the added tokens."""
    glob = f"'*[{RETOKENIZED_CHARS}]*'"
    columns = ("subject", "sender_name", "sender", "body", "to_json", "cc_json")
    rows = conn.execute(
        "SELECT id, subject, sender_name || ' ' || sender, body, "
        "to_json || ' ' || cc_json FROM messages WHERE "
        + " OR ".join(f"{column} GLOB {glob}" for column in columns)
    ).fetchall()
    for row_id, *fields in rows:
        conn.execute(
            "UPDATE messages SET split_tokens = ? WHERE id = ?",
            (_split_tokens(fields), row_id),
        )
    if rows:
        logger.info("indexed the split tokens of %d stored messages", len(rows))


def _free_row_id(conn: sqlite3.Connection, date_us: int) -> int:
    """Return an unused row id for a message received at `date_us`."""
    base = row_id_base(date_us)
    highest = conn.execute(
        "SELECT max(id) FROM messages WHERE id >= ? AND id < ?",
        (base, base + ROW_ID_SLOTS),
    ).fetchone()[0]
    candidate = base if highest is None else highest + 1
    # More than ROW_ID_SLOTS messages at the same microsecond spill into the
    # slots of the next microseconds, which may be taken.
    while (
        candidate >= base + ROW_ID_SLOTS
        and conn.execute("SELECT 1 FROM messages WHERE id = ?", (candidate,)).fetchone()
    ):
        candidate += 1
    return candidate


def _facets(owner: str, labels: Iterable[str]) -> str:
    return " ".join([owner_token(owner), *label_tokens(labels)])


def _owner_key(owner: str) -> str:
    return owner.strip().lower()


def _to_row(message: Message) -> tuple[Any, ...]:
    owner = _owner_key(message.owner)
    to_json = _dump_json(message.to)
    cc_json = _dump_json(message.cc)
    html = None
    if message.html:
        # Level 1 compresses HTML mail twice as fast as the default level 6,
        # for blobs about a tenth larger (measured on SpamAssassin's HTML).
        html = zlib.compress(message.html.encode("utf-8", "surrogatepass"), 1)
    data = {
        "date_source": message.date_source,
        "in_reply_to": message.in_reply_to,
        "references": message.references,
        "reply_to": message.reply_to,
        "attachments": [
            [a.filename, a.content_type, a.size] for a in message.attachments
        ],
        "unsubscribe": _unsubscribe_data(message.unsubscribe),
        "gmail_labels": message.gmail_labels,
        "gmail_thread_id": message.gmail_thread_id,
        "maildir_flags": message.maildir_flags,
        "raw_size": message.raw_size,
        "content_hash": message.content_hash,
        "source": message.source,
        "parse_defects": message.parse_defects,
        "labels": message.labels,
        "risk_score": message.risk_score,
        "risk_reasons": message.risk_reasons,
        "company": message.company,
        "role": message.role,
    }
    return (
        owner,
        message.key,
        make_doc_id(owner, message.key),
        message.message_id,
        message.thread_id,
        to_micros(message.date),
        label_mask(message.labels),
        _facets(owner, message.labels),
        message.sender,
        message.sender_name,
        message.sender_domain.lower(),
        message.subject,
        message.text,
        to_json,
        cc_json,
        # Empty values are left out; reading restores them as the defaults.
        _dump_json({name: value for name, value in data.items() if value}),
        html,
        _split_tokens(
            (
                message.subject,
                f"{message.sender_name} {message.sender}",
                message.text,
                f"{to_json} {cc_json}",
            )
        ),
    )


def _from_row(row: Sequence[Any]) -> Message:
    (owner, key, message_id, thread_id, date_us, sender, sender_name,
     sender_domain, subject, body, json_parts, html) = row  # fmt: skip
    to, cc, data = json.loads(json_parts)
    unsubscribe = data.get("unsubscribe")
    return Message(
        owner=owner,
        key=key,
        message_id=message_id,
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        sender_domain=sender_domain,
        date=from_micros(date_us),
        date_source=data["date_source"],
        thread_id=thread_id,
        in_reply_to=data.get("in_reply_to"),
        references=data.get("references", []),
        reply_to=data.get("reply_to"),
        to=to,
        cc=cc,
        text=body,
        html=zlib.decompress(html).decode("utf-8", "surrogatepass") if html else None,
        attachments=[Attachment(*item) for item in data.get("attachments", [])],
        unsubscribe=Unsubscribe(**unsubscribe) if unsubscribe else None,
        gmail_labels=data.get("gmail_labels", []),
        gmail_thread_id=data.get("gmail_thread_id"),
        maildir_flags=data.get("maildir_flags", ""),
        raw_size=data.get("raw_size", 0),
        content_hash=data.get("content_hash", ""),
        source=data.get("source", ""),
        parse_defects=data.get("parse_defects", []),
        labels=data.get("labels", []),
        risk_score=data.get("risk_score", 0),
        risk_reasons=data.get("risk_reasons", []),
        company=data.get("company"),
        role=data.get("role"),
    )


def _unsubscribe_data(value: Unsubscribe | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"mailto": value.mailto, "url": value.url, "one_click": value.one_click}


def _dump_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _not_found(owner: str, doc_id: str) -> NotFound:
    return NotFound(f"no message {doc_id!r} in the mailbox of {owner!r}")
