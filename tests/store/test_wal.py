"""Opening one SQLite file from many connections at the same moment."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from applylens.state import connect_state
from applylens.store.sqlite import SQLiteStore
from applylens.store.wal import use_wal

ROUNDS = 40
OPENERS = 6


def _open_all_at_once(path: Path, open_one) -> list[BaseException]:
    barrier = threading.Barrier(OPENERS)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait(timeout=30)
        try:
            open_one(path)
        except BaseException as exc:  # noqa: BLE001 - collected for the assert
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _state_round_trip(path: Path) -> None:
    conn = connect_state(path)
    conn.execute("CREATE TABLE IF NOT EXISTS notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('x')")
    conn.commit()
    conn.close()


def _store_round_trip(path: Path) -> None:
    store = SQLiteStore(path)
    store.count("owner@example.com")
    store.close()


@pytest.mark.parametrize("open_one", [_state_round_trip, _store_round_trip])
def test_simultaneous_opens_never_report_locked(tmp_path: Path, open_one) -> None:
    # Half the rounds start from no file (creation race), half from a file in
    # WAL mode that every opener closes again (the last closer's checkpoint).
    for round_number in range(ROUNDS):
        path = tmp_path / f"round-{round_number}.db"
        if round_number % 2:
            open_one(path)
        errors = _open_all_at_once(path, open_one)
        assert errors == [], f"round {round_number}: {errors[0]!r}"


def test_use_wal_leaves_file_in_wal_mode(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "a.db")
    use_wal(conn, 1)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_use_wal_accepts_memory_database() -> None:
    conn = sqlite3.connect(":memory:")
    use_wal(conn, 0.1)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "memory"


def test_use_wal_held_file_times_out(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    conn = sqlite3.connect(path, timeout=0.05)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(conn, 0.2)
    holder.execute("ROLLBACK")
    use_wal(conn, 1)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
