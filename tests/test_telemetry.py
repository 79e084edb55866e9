"""Run records of imports and retention purges in the state database, the
counters `/metrics` sums from them, and the server's shared purge schedule."""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from prometheus_client import CollectorRegistry
from tests.store.synthetic import make_message

from applylens.cli.main import cli
from applylens.config import get_settings
from applylens.errors import BackendUnavailable
from applylens.ingest import ImportReport, import_paths
from applylens.mail.model import Message
from applylens.observability.metrics import Metrics
from applylens.observability.runlog import RetentionRun, RunLog
from applylens.retention.shared import SharedRetentionScheduler
from applylens.store.base import AddStats, SearchBackend
from applylens.store.sqlite import SQLiteStore

NOW = datetime.now(UTC)
NOTMUCH = "notmuch-corpora/test/corpora"
BROKEN_MESSAGE = "mime4j/core/src/test/resources/testmsgs/malformedHeader-noheader.msg"


class DiskFullStore(SQLiteStore):
    """A real SQLite store whose writes fail the way a full disk makes them."""

    def add_messages(self, messages: Iterable[Message]) -> AddStats:
        raise sqlite3.OperationalError("database or disk is full")


@pytest.fixture
def run_log(tmp_path: Path) -> RunLog:
    return RunLog(tmp_path / "data" / "state.db")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    backend = SQLiteStore(tmp_path / "data" / "applylens.db")
    yield backend
    backend.close()


def corpus_sources(corpora: Path) -> list[Path]:
    return [corpora / BROKEN_MESSAGE, corpora / NOTMUCH / "duplicate"]


def import_rows(run_log: RunLog) -> list[sqlite3.Row]:
    conn = sqlite3.connect(run_log.path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM import_runs ORDER BY id").fetchall()
    finally:
        conn.close()


def retention_rows(run_log: RunLog) -> list[sqlite3.Row]:
    conn = sqlite3.connect(run_log.path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM retention_runs ORDER BY id").fetchall()
    finally:
        conn.close()


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def retention_run(purged: int, backend: str = "sqlite") -> RetentionRun:
    return RetentionRun(
        backend=backend,
        retention_days=90,
        cutoff=NOW - timedelta(days=90),
        purged=purged,
        trigger="command",
        holder="test:1",
        started_at=NOW,
    )


def add_aged(store: SQLiteStore, *ages_in_days: int) -> None:
    store.add_messages(
        make_message(f"<{days}d@x>", date=NOW - timedelta(days=days))
        for days in ages_in_days
    )


def scheduler_for(
    store: SearchBackend, run_log: RunLog, holder: str, days: int = 90
) -> SharedRetentionScheduler:
    return SharedRetentionScheduler(
        lambda: store, run_log, days, interval_seconds=3600, holder=holder
    )


# Import runs


def test_import_run_recorded_with_counts(
    corpora: Path, store: SQLiteStore, run_log: RunLog
) -> None:
    report = import_paths(
        corpus_sources(corpora), store, owner="me", now=NOW, run_log=run_log
    )

    (row,) = import_rows(run_log)
    assert row["status"] == "completed"
    assert row["owner"] == "me"
    assert row["indexed"] == report.indexed
    assert row["duplicate"] == report.duplicates
    assert row["skipped"] == len(report.skipped) == 1
    assert row["failed"] == 0
    assert BROKEN_MESSAGE in row["sources"]


def test_import_totals_sum_every_run(
    corpora: Path, store: SQLiteStore, run_log: RunLog
) -> None:
    first = import_paths(
        corpus_sources(corpora), store, owner="me", now=NOW, run_log=run_log
    )
    second = import_paths(
        corpus_sources(corpora), store, owner="me", now=NOW, run_log=run_log
    )

    totals = run_log.import_totals()
    assert second.indexed == 0
    assert totals["indexed"] == first.indexed
    assert totals["duplicate"] == first.duplicates + second.duplicates
    assert totals["skipped"] == 2
    assert totals["failed"] == 0


def test_import_failed_write_recorded_as_failed(
    corpora: Path, tmp_path: Path, run_log: RunLog
) -> None:
    broken = DiskFullStore(tmp_path / "full.db")
    try:
        with pytest.raises(sqlite3.OperationalError, match="disk is full"):
            import_paths(
                corpus_sources(corpora), broken, owner="me", now=NOW, run_log=run_log
            )
    finally:
        broken.close()

    (row,) = import_rows(run_log)
    assert row["status"] == "failed"
    assert row["indexed"] == 0
    assert row["failed"] > 0
    assert row["read"] == row["duplicate"] + row["skipped"] + row["failed"]
    assert "disk is full" in row["error"]


def test_import_without_run_log_records_nothing(
    corpora: Path, store: SQLiteStore, run_log: RunLog
) -> None:
    import_paths(corpus_sources(corpora), store, owner="me", now=NOW)

    assert not run_log.path.exists()


def test_run_log_unknown_status_raises(run_log: RunLog) -> None:
    with pytest.raises(ValueError, match="'lost'"):
        run_log.record_import("me", [], ImportReport(), status="lost", started_at=NOW)


def test_run_log_unknown_trigger_raises(run_log: RunLog) -> None:
    bad = dataclasses.replace(retention_run(1), trigger="cron")

    with pytest.raises(ValueError, match="'cron'"):
        run_log.record_retention(bad)


def test_run_log_unwritable_state_logs_and_returns_false(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A directory where the database file should be cannot be opened.
    (tmp_path / "state.db").mkdir()
    run_log = RunLog(tmp_path / "state.db")

    assert run_log.record_retention(retention_run(3)) is False
    assert "recording the retention run" in caplog.text


# Counters at /metrics


def test_run_totals_counters_read_state_db(
    corpora: Path, store: SQLiteStore, run_log: RunLog
) -> None:
    report = import_paths(
        corpus_sources(corpora), store, owner="me", now=NOW, run_log=run_log
    )
    run_log.record_retention(retention_run(4))
    run_log.record_retention(retention_run(2, backend="elasticsearch"))
    metrics = Metrics(registry=CollectorRegistry(), state_path=run_log.path)

    indexed = sample(metrics, "applylens_import_messages_total", outcome="indexed")
    skipped = sample(metrics, "applylens_import_messages_total", outcome="skipped")
    assert indexed == report.indexed
    assert skipped == 1
    sqlite_purged = sample(
        metrics, "applylens_retention_purged_messages_total", backend="sqlite"
    )
    es_purged = sample(
        metrics, "applylens_retention_purged_messages_total", backend="elasticsearch"
    )
    assert sqlite_purged == 4
    assert es_purged == 2


def test_run_totals_counters_follow_new_runs(run_log: RunLog) -> None:
    metrics = Metrics(registry=CollectorRegistry(), state_path=run_log.path)
    name = "applylens_retention_purged_messages_total"
    before = sample(metrics, name, backend="sqlite")

    run_log.record_retention(retention_run(5))

    assert before == 0
    assert sample(metrics, name, backend="sqlite") == 5


def test_run_totals_unknown_backend_not_exported(run_log: RunLog) -> None:
    run_log.record_retention(retention_run(7, backend="opensearch"))
    metrics = Metrics(registry=CollectorRegistry(), state_path=run_log.path)

    name = "applylens_retention_purged_messages_total"
    assert sample(metrics, name, backend="opensearch") is None
    assert sample(metrics, name, backend="sqlite") == 0


def test_run_totals_corrupt_state_leaves_counters_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state.db"
    state.write_bytes(b"this is not a SQLite database" * 100)
    metrics = Metrics(registry=CollectorRegistry(), state_path=state)

    indexed = sample(metrics, "applylens_import_messages_total", outcome="indexed")
    assert indexed is None
    assert "totals left out" in caplog.text
    # The other metrics are still exported.
    assert sample(metrics, "ux_chat_opened_total") == 0


MULTIPROCESS_SCRAPE = """
import sys
from pathlib import Path
from applylens.observability.metrics import Metrics, render_metrics
from prometheus_client import REGISTRY
metrics = Metrics(registry=REGISTRY, state_path=Path(sys.argv[1]))
sys.stdout.write(render_metrics(metrics)[0].decode())
"""


def test_render_metrics_multiprocess_reads_totals_once(
    tmp_path: Path, run_log: RunLog
) -> None:
    run_log.record_retention(retention_run(6))
    directory = tmp_path / "multiproc"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    scrapes = []
    # Each process writes its own metric files, as gunicorn workers do.
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_SCRAPE, str(run_log.path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        scrapes.append(result.stdout)

    series = 'applylens_retention_purged_messages_total{backend="sqlite"}'
    assert f"{series} 6.0" in scrapes[0]
    assert f"{series} 6.0" in scrapes[1]
    assert scrapes[1].count(series) == 1


# The shared purge schedule


def test_claim_scheduled_purge_within_gap_rejected(run_log: RunLog) -> None:
    assert run_log.claim_scheduled_purge("a:1", 60, now=1000.0) is True
    assert run_log.claim_scheduled_purge("b:2", 60, now=1030.0) is False
    assert run_log.claim_scheduled_purge("b:2", 60, now=1061.0) is True


def test_claim_scheduled_purge_clock_set_back_claims(run_log: RunLog) -> None:
    run_log.claim_scheduled_purge("a:1", 60, now=5000.0)

    assert run_log.claim_scheduled_purge("b:2", 60, now=100.0) is True


def test_claim_scheduled_purge_concurrent_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    RunLog(path).import_totals()
    barrier = threading.Barrier(6)
    results: list[bool] = []

    def claim(index: int) -> None:
        barrier.wait(timeout=30)
        results.append(RunLog(path).claim_scheduled_purge(f"t:{index}", 60))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 6
    assert results.count(True) == 1


def test_shared_scheduler_purges_and_records(
    store: SQLiteStore, run_log: RunLog, caplog: pytest.LogCaptureFixture
) -> None:
    add_aged(store, 1, 91, 400)
    caplog.set_level(logging.INFO, logger="applylens.retention.purge")

    purged = scheduler_for(store, run_log, "worker:1").run_once()

    assert purged == 2
    assert store.count() == 1
    (row,) = retention_rows(run_log)
    assert row["trigger"] == "schedule"
    assert row["purged"] == 2
    assert row["backend"] == "sqlite"
    assert row["holder"] == "worker:1"
    assert "purged 2 messages" in caplog.text


def test_shared_scheduler_second_worker_skips(
    store: SQLiteStore, run_log: RunLog
) -> None:
    add_aged(store, 200)
    first = scheduler_for(store, run_log, "worker:1")
    second = scheduler_for(store, run_log, "worker:2")

    assert first.run_once() == 1
    assert second.run_once() is None
    assert len(retention_rows(run_log)) == 1
    assert run_log.retention_totals() == {"sqlite": 1}


def test_shared_scheduler_zero_days_does_not_start(
    store: SQLiteStore, run_log: RunLog
) -> None:
    scheduler = scheduler_for(store, run_log, "worker:1", days=0)

    scheduler.start()

    assert not scheduler.is_running
    assert scheduler.run_once() is None


def test_shared_scheduler_runs_at_start_and_stops(
    store: SQLiteStore, run_log: RunLog
) -> None:
    add_aged(store, 300)
    scheduler = scheduler_for(store, run_log, "worker:1")

    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while not run_log.retention_totals() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.stop(timeout=30)

    assert not scheduler.is_running
    assert scheduler.purges == 1
    assert run_log.retention_totals() == {"sqlite": 1}


def test_shared_scheduler_unavailable_backend_logged(
    tmp_path: Path, run_log: RunLog, caplog: pytest.LogCaptureFixture
) -> None:
    def open_backend() -> SearchBackend:
        raise BackendUnavailable("sqlite", str(tmp_path), "APPLYLENS_DB", "locked")

    scheduler = SharedRetentionScheduler(
        open_backend, run_log, 90, interval_seconds=60, holder="worker:1"
    )

    assert scheduler.run_once() is None
    assert "locked" in (scheduler.last_error or "")
    assert "scheduled retention purge failed" in caplog.text
    assert run_log.retention_totals() == {}


# The commands that record runs


def invoke_cli(args: list[str], data_dir: Path) -> Result:
    get_settings.cache_clear()
    env = {"APPLYLENS_DATA_DIR": str(data_dir)}
    try:
        return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def test_demo_command_records_import_run(tmp_path: Path) -> None:
    result = invoke_cli(["demo", "--count", "40"], tmp_path)

    assert result.exit_code == 0, result.output
    totals = RunLog(tmp_path / "state.db").import_totals()
    assert totals["indexed"] == 40


def test_retention_command_records_purge(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "applylens.db")
    try:
        add_aged(store, 5, 120, 300)
    finally:
        store.close()

    result = invoke_cli(["retention", "apply", "--days", "90"], tmp_path)

    assert result.exit_code == 0, result.output
    assert "Purged 2 messages" in result.output
    run_log = RunLog(tmp_path / "state.db")
    assert run_log.retention_totals() == {"sqlite": 2}
    (row,) = retention_rows(run_log)
    assert row["trigger"] == "command"
    assert row["retention_days"] == 90


def test_retention_dry_run_records_nothing(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "applylens.db")
    try:
        add_aged(store, 300)
    finally:
        store.close()

    result = invoke_cli(["retention", "apply", "--dry-run"], tmp_path)

    assert result.exit_code == 0, result.output
    assert RunLog(tmp_path / "state.db").retention_totals() == {}
