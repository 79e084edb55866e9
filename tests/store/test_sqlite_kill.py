"""An import killed with SIGKILL loses no committed batch, and a rerun completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from applylens.store.base import SearchRequest
from applylens.store.sqlite import SQLiteStore

from .synthetic import generate_messages

REPO_ROOT = Path(__file__).resolve().parents[2]
TOTAL = 6000
BATCH = 200

WRITER = f"""
import sys
from pathlib import Path
from applylens.store.sqlite import SQLiteStore
from tests.store.synthetic import generate_messages

store = SQLiteStore(Path(sys.argv[1]))
messages = list(generate_messages({TOTAL}))
for start in range(0, len(messages), {BATCH}):
    store.add_messages(messages[start : start + {BATCH}])
    print(start + {BATCH}, flush=True)
"""


@pytest.mark.slow
def test_add_messages_killed_writer_rerun_stores_each_once(tmp_path: Path) -> None:
    db_path = tmp_path / "killed.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        first_line = writer.stdout.readline()
        assert first_line.strip() == str(BATCH), writer.stderr.read()
        # Kill mid-way through a later batch.
        time.sleep(0.05)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=60)
        writer.stdout.close()
        writer.stderr.close()

    conn = sqlite3.connect(db_path)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    # Raises when the index structure is damaged.
    conn.execute("INSERT INTO message_fts (message_fts) VALUES ('integrity-check')")
    index_matches_rows = conn.execute(
        "SELECT (SELECT count(*) FROM message_fts_docsize) = "
        "(SELECT count(*) FROM messages)"
    ).fetchone()[0]
    conn.close()
    store = SQLiteStore(db_path)
    committed = store.count()
    rerun = store.add_messages(generate_messages(TOTAL))
    final = store.count()
    searchable = store.search(SearchRequest(owner="alice", query="alice", limit=0))
    store.close()

    assert integrity == "ok"
    assert index_matches_rows == 1
    assert committed % BATCH == 0
    assert BATCH <= committed < TOTAL
    assert rerun.duplicates == committed
    assert final == TOTAL
    assert searchable.total == TOTAL
