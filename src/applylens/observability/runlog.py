"""The record of every import and retention run, kept in the state database.

Imports and `applylens retention apply` run in their own processes, which
Prometheus never scrapes, so each run appends one row here and `/metrics` sums
the rows at scrape time. Rows are only ever appended, so the totals never go
down. The table `retention_schedule` contains one row: the time the API last
started a scheduled purge, which lets one worker process claim each run.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from applylens.state import connect_state

if TYPE_CHECKING:
    from applylens.ingest import ImportReport

logger = logging.getLogger(__name__)

IMPORT_OUTCOMES = ("indexed", "duplicate", "skipped", "failed")
IMPORT_STATUSES = ("completed", "failed", "interrupted")
RETENTION_TRIGGERS = ("command", "schedule")
MAX_SOURCES_LISTED = 3
"""Source paths named in a run's `sources` column. The rest are counted."""
READ_TIMEOUT_SECONDS = 2.0
"""How long a scrape waits for a locked state database before it gives up."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS import_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    owner TEXT NOT NULL,
    sources TEXT NOT NULL,
    status TEXT NOT NULL,
    read INTEGER NOT NULL,
    indexed INTEGER NOT NULL,
    duplicate INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    outside_retention INTEGER NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS retention_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    backend TEXT NOT NULL,
    retention_days INTEGER NOT NULL,
    cutoff TEXT NOT NULL,
    purged INTEGER NOT NULL,
    trigger TEXT NOT NULL,
    holder TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS retention_schedule (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_started_at REAL NOT NULL,
    holder TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """One purge of the mail received before `cutoff`."""

    backend: str
    retention_days: int
    cutoff: datetime
    purged: int
    trigger: str
    holder: str
    started_at: datetime


def process_holder() -> str:
    """Return the host name and process id that a run record names."""
    return f"{socket.gethostname()}:{os.getpid()}"


def summarize_sources(paths: Sequence[Path]) -> str:
    """Return the first few source paths, and how many more there were."""
    listed = ", ".join(str(path) for path in paths[:MAX_SOURCES_LISTED])
    hidden = len(paths) - MAX_SOURCES_LISTED
    return f"{listed} and {hidden} more" if hidden > 0 else listed


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class RunLog:
    """Appends run records to the state database at `path` and sums them.

    Each call opens its own short-lived connection, so one RunLog is safe to
    use from several threads and processes. A failed write is logged and not
    raised: a finished import or purge must not end in an error only because
    its record could not be stored.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        conn = connect_state(self.path)
        conn.executescript(SCHEMA)
        return conn

    def record_import(
        self,
        owner: str,
        sources: Sequence[Path],
        report: ImportReport,
        *,
        status: str,
        started_at: datetime,
        error: str | None = None,
    ) -> bool:
        """Append one import run and return False if the write failed."""
        if status not in IMPORT_STATUSES:
            raise ValueError(
                f"import status must be one of {IMPORT_STATUSES}, got {status!r}"
            )
        row = (
            _timestamp(started_at),
            _timestamp(datetime.now(UTC)),
            owner,
            summarize_sources(sources),
            status,
            report.read,
            report.indexed,
            report.duplicates,
            len(report.skipped),
            report.failed,
            report.outside_retention,
            error,
        )
        return self._append(
            "INSERT INTO import_runs (started_at, finished_at, owner, sources, "
            "status, read, indexed, duplicate, skipped, failed, outside_retention, "
            "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
            "import run",
        )

    def record_retention(self, run: RetentionRun) -> bool:
        """Append one retention run and return False if the write failed."""
        if run.trigger not in RETENTION_TRIGGERS:
            raise ValueError(
                f"retention trigger must be one of {RETENTION_TRIGGERS}, "
                f"got {run.trigger!r}"
            )
        row = (
            _timestamp(run.started_at),
            _timestamp(datetime.now(UTC)),
            run.backend,
            run.retention_days,
            _timestamp(run.cutoff),
            run.purged,
            run.trigger,
            run.holder,
        )
        return self._append(
            "INSERT INTO retention_runs (started_at, finished_at, backend, "
            "retention_days, cutoff, purged, trigger, holder) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
            "retention run",
        )

    def _append(self, sql: str, row: tuple[object, ...], what: str) -> bool:
        try:
            conn = self._connect()
            try:
                with conn:
                    conn.execute(sql, row)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            logger.error("recording the %s in %s failed: %s", what, self.path, exc)
            return False
        return True

    def claim_scheduled_purge(
        self, holder: str, min_gap_seconds: float, now: float | None = None
    ) -> bool:
        """Claim the next scheduled purge for `holder`, unless one started less
        than `min_gap_seconds` ago (Unix time, shared by every process).

        The check and the update run in one `BEGIN IMMEDIATE` transaction, so
        of several processes that try at the same moment exactly one wins.
        """
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            # The time is read under the lock: read before it, a process that
            # waited for the lock would compare an older time with a newer row.
            moment = time.time() if now is None else now
            row = conn.execute(
                "SELECT last_started_at FROM retention_schedule WHERE id = 1"
            ).fetchone()
            # A last start far in the future means the clock was set back, so
            # that row cannot block the schedule until the clock catches up.
            if row is not None and abs(moment - row[0]) < min_gap_seconds:
                conn.rollback()
                return False
            conn.execute(
                "INSERT OR REPLACE INTO retention_schedule (id, last_started_at, "
                "holder) VALUES (1, ?, ?)",
                (moment, holder),
            )
            conn.commit()
            return True
        finally:
            conn.close()

    def import_totals(self) -> dict[str, int]:
        """Return the messages of every recorded import, by outcome."""
        row = self._read(
            "SELECT TOTAL(indexed), TOTAL(duplicate), TOTAL(skipped), "
            "TOTAL(failed) FROM import_runs"
        )
        values = row[0] if row else (0, 0, 0, 0)
        return {
            outcome: int(value)
            for outcome, value in zip(IMPORT_OUTCOMES, values, strict=True)
        }

    def retention_totals(self) -> dict[str, int]:
        """Return the messages every recorded purge deleted, by backend name."""
        rows = self._read(
            "SELECT backend, TOTAL(purged) FROM retention_runs GROUP BY backend"
        )
        return {str(backend): int(purged) for backend, purged in rows}

    def _read(self, sql: str) -> list[tuple[Any, ...]]:
        """Run a query without creating anything: a missing file or table
        contains no runs. Other sqlite3 errors propagate."""
        if not self.path.is_file():
            return []
        conn = sqlite3.connect(self.path, timeout=READ_TIMEOUT_SECONDS)
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()
