"""Switching a SQLite file to write-ahead logging when several processes open it.

Setting `journal_mode=WAL` needs a brief exclusive lock. When another
connection is creating the file, or is the last one closing it (and so copies
the log back into it), SQLite was seen to raise "database is locked" at once,
long before its busy timeout. So the file is read first, and a connection that
finds it in WAL mode already changes nothing. The switch itself is retried
until the deadline.
"""

from __future__ import annotations

import random
import sqlite3
import time

# WAL, or a database held in memory, which has no file to log beside.
_FINAL_MODES = frozenset({"wal", "memory"})


def use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Put the file behind `conn` in WAL mode, waiting up to `timeout` seconds.

    Raises the last `sqlite3.OperationalError` when the file stays locked.
    """
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            # A read goes through the busy timeout and loads the header, so the
            # next pragma reports the mode the file is really in.
            conn.execute("PRAGMA schema_version").fetchone()
            mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode in _FINAL_MODES:
                return
            mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
            if mode in _FINAL_MODES:
                return
            # The file is in use in another mode (a reader of a rollback
            # journal): wait for it like for a lock.
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
        else:
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError(
                    "database is locked: could not switch it to WAL mode "
                    f"(left in {mode})"
                )
        time.sleep(pause * (1 + random.random()))
        pause = min(pause * 2, 0.05)
