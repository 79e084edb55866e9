"""An import killed with SIGKILL resumes to exactly the messages of a clean run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from applylens.ingest import import_paths
from applylens.store.sqlite import SQLiteStore

APPLYLENS = Path(sys.executable).with_name("applylens")
BATCH_SIZE = 200
START_TIMEOUT_SECONDS = 300
RUN_TIMEOUT_SECONDS = 600


@pytest.fixture
def corpus_paths(corpora: Path) -> list[Path]:
    return [corpora / "enron-inboxes", corpora / "spamassassin"]


@pytest.fixture
def started() -> Iterator[list[psutil.Process]]:
    """Processes started by a test; any still alive at the end are killed."""
    processes: list[psutil.Process] = []
    yield processes
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(processes, timeout=10)


def import_command(paths: list[Path], db: Path) -> list[str]:
    return [
        str(APPLYLENS),
        "import",
        *map(str, paths),
        "--db",
        str(db),
        "--owner",
        "me",
        "--batch-size",
        str(BATCH_SIZE),
    ]


def stored_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
    except sqlite3.Error:
        return 0


def stored_keys(db: Path) -> list[str]:
    store = SQLiteStore(db)
    try:
        return sorted(message.key for message in store.iter_messages("me"))
    finally:
        store.close()


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLYLENS_")}
    env["APPLYLENS_DATA_DIR"] = str(tmp_path / "data")
    return env


@pytest.mark.slow
def test_import_killed_midway_resumes_to_clean_result(
    corpus_paths: list[Path], tmp_path: Path, started: list[psutil.Process]
) -> None:
    clean_db = tmp_path / "clean.db"
    clean = SQLiteStore(clean_db)
    try:
        import_paths(corpus_paths, clean, owner="me", batch_size=BATCH_SIZE)
    finally:
        clean.close()
    expected = stored_keys(clean_db)

    killed_db = tmp_path / "killed.db"
    env = environment(tmp_path)
    with (tmp_path / "killed.log").open("wb") as log:
        process = subprocess.Popen(
            import_command(corpus_paths, killed_db),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    parent = psutil.Process(process.pid)
    started.append(parent)

    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while stored_count(killed_db) < 2 * BATCH_SIZE and process.poll() is None:
        assert time.monotonic() < deadline, "no batch was committed in time"
        time.sleep(0.05)
    started.extend(parent.children(recursive=True))
    assert process.poll() is None, "the import finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    psutil.wait_procs(started[1:], timeout=30)

    committed = stored_count(killed_db)
    assert 0 < committed < len(expected)

    rerun = subprocess.run(
        import_command(corpus_paths, killed_db),
        env=env,
        capture_output=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr.decode(errors="replace")
    resumed = stored_keys(killed_db)
    assert len(resumed) == len(set(resumed))
    assert resumed == expected
