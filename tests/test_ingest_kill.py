"""An import killed with SIGKILL, or stopped by SIGTERM or Ctrl-C, resumes to
exactly the messages of a clean run."""

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


CORPUS_FOLDERS = ("enron-inboxes", "spamassassin")


@pytest.fixture
def corpus_paths(corpora: Path) -> list[Path]:
    return [corpora / name for name in CORPUS_FOLDERS]


@pytest.fixture(scope="module")
def clean_keys(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The keys an uninterrupted import of the corpora stores."""
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    store = SQLiteStore(db)
    try:
        paths = [corpora / name for name in CORPUS_FOLDERS]
        import_paths(paths, store, owner="me", batch_size=BATCH_SIZE)
    finally:
        store.close()
    return stored_keys(db)


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
    corpus_paths: list[Path],
    clean_keys: list[str],
    tmp_path: Path,
    started: list[psutil.Process],
) -> None:
    expected = clean_keys

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


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_import_signalled_stops_cleanly_and_resumes(
    corpus_paths: list[Path],
    clean_keys: list[str],
    tmp_path: Path,
    started: list[psutil.Process],
    signum: signal.Signals,
) -> None:
    # The signal goes to the whole process group, as Ctrl-C or `kill -- -PID`
    # do, so the parsing workers receive it too.
    db = tmp_path / "signalled.db"
    env = environment(tmp_path)
    process = subprocess.Popen(
        [*import_command(corpus_paths, db), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    parent = psutil.Process(process.pid)
    started.append(parent)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while stored_count(db) < BATCH_SIZE and process.poll() is None:
        assert time.monotonic() < deadline, "no batch was committed in time"
        time.sleep(0.05)
    workers = parent.children(recursive=True)
    started.extend(workers)
    assert process.poll() is None, "the import finished before it was signalled"
    assert workers, "the import started no parsing workers"

    os.killpg(process.pid, signum)
    _, stderr = process.communicate(timeout=30)
    _, alive = psutil.wait_procs(workers, timeout=10)

    assert process.returncode == 128 + signum
    assert b"Import stopped" in stderr
    assert b"Traceback" not in stderr
    assert alive == []
    rerun = subprocess.run(
        import_command(corpus_paths, db),
        env=env,
        capture_output=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr.decode(errors="replace")
    assert stored_keys(db) == clean_keys
