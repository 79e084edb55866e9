"""The SQLite file that keeps per-owner state next to any search backend:
proposed actions, learned exceptions, users and runtime flags.

It is a separate file from the embedded search store so that the same state
serves the Elasticsearch backend too. Several processes may share it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from applylens.store.wal import use_wal

# Seconds a connection waits for another process's lock before failing.
BUSY_TIMEOUT_SECONDS = 10


def connect_state(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the state database at `path`.

    WAL mode lets several API worker processes read while one writes, and the
    busy timeout makes a writer wait for another instead of failing at once.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        use_wal(conn, BUSY_TIMEOUT_SECONDS)
    except BaseException:
        conn.close()
        raise
    conn.execute("PRAGMA foreign_keys=ON")
    return conn
