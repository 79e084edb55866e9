"""Retention: purging old mail once, on a schedule, and from the command line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.store.synthetic import make_message

from applylens.cli.main import cli
from applylens.retention import apply_retention, cutoff_for
from applylens.store.sqlite import SQLiteStore

NOW = datetime.now(UTC)


def add_aged(store: SQLiteStore, *ages_in_days: int) -> None:
    store.add_messages(
        make_message(f"<{days}d@x>", date=NOW - timedelta(days=days))
        for days in ages_in_days
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    backend = SQLiteStore(tmp_path / "data" / "applylens.db")
    yield backend
    backend.close()


def test_cutoff_for_zero_days_keeps_everything() -> None:
    assert cutoff_for(0, NOW) is None


def test_cutoff_for_days_subtracts_from_now() -> None:
    assert cutoff_for(90, NOW) == NOW - timedelta(days=90)


def test_cutoff_for_negative_days_raises() -> None:
    with pytest.raises(ValueError, match="-1"):
        cutoff_for(-1)


def test_apply_retention_purges_older_and_logs_count(
    store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    add_aged(store, 1, 89, 91, 400)
    caplog.set_level(logging.INFO, logger="applylens.retention.purge")

    purged = apply_retention(store, 90, now=NOW)

    assert purged == 2
    assert sorted(m.key for m in store.iter_messages("alice")) == ["<1d@x>", "<89d@x>"]
    assert "purged 2 messages" in caplog.text


def test_apply_retention_zero_days_deletes_nothing(store: SQLiteStore) -> None:
    add_aged(store, 1, 4000)

    assert apply_retention(store, 0, now=NOW) == 0
    assert store.count() == 2


def test_apply_retention_purges_every_owner(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<a@x>", owner="alice", date=NOW - timedelta(days=100)),
            make_message("<b@x>", owner="bob", date=NOW - timedelta(days=100)),
        ]
    )

    assert apply_retention(store, 90, now=NOW) == 2


def test_apply_retention_reports_to_listener(store: SQLiteStore) -> None:
    add_aged(store, 200)
    reports: list[tuple[str, int]] = []

    apply_retention(store, 90, now=NOW, on_purge=lambda *report: reports.append(report))

    assert reports == [("sqlite", 1)]


# Command line


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("APPLYLENS_DB", str(path))
    backend = SQLiteStore(path)
    add_aged(backend, 1, 30, 120, 500)
    backend.close()
    return path


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_cli_retention_apply_purges_and_prints_count(cli_db: Path) -> None:
    code, output = run_cli("retention", "apply")

    assert code == 0, output
    assert "Purged 2 messages" in output
    assert "2 remain" in output
    assert SQLiteStore(cli_db).count() == 2


def test_cli_retention_apply_dry_run_deletes_nothing(cli_db: Path) -> None:
    code, output = run_cli("retention", "apply", "--dry-run", "--days", "10")

    assert code == 0, output
    assert "Would purge 3 of 4 messages" in output
    assert SQLiteStore(cli_db).count() == 4


def test_cli_retention_apply_days_zero_keeps_all(cli_db: Path) -> None:
    code, output = run_cli("retention", "apply", "--days", "0")

    assert code == 0, output
    assert "nothing to purge" in output
    assert SQLiteStore(cli_db).count() == 4


def test_cli_retention_env_days_is_default(
    cli_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLYLENS_RETENTION_DAYS", "1000")

    code, output = run_cli("retention", "apply")

    assert code == 0, output
    assert "Purged 0 messages" in output


def test_cli_retention_days_beyond_limit_rejected(cli_db: Path) -> None:
    code, output = run_cli("retention", "apply", "--dry-run", "--days", "99999999999")

    assert code == 2
    assert "0<=x<=36500" in output
    assert SQLiteStore(cli_db).count() == 4


def test_retention_setting_beyond_limit_one_line(cli_db: Path) -> None:
    # Days beyond the limit once overflowed Python's dates with a traceback.
    command = [str(Path(sys.executable).with_name("applylens")), "retention", "status"]
    environment = {**os.environ, "APPLYLENS_RETENTION_DAYS": "1000000"}
    result = subprocess.run(command, env=environment, capture_output=True, text=True)

    assert result.returncode == 2
    assert "APPLYLENS_RETENTION_DAYS='1000000'" in result.stderr
    assert "less than or equal to 36500" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_retention_status_counts_outside_period(cli_db: Path) -> None:
    code, output = run_cli("retention", "status")

    assert code == 0, output
    assert "Retention: 90 days" in output
    assert "Messages stored: 4" in output
    assert ": 2 (hidden from searches" in output


def test_cli_retention_corrupt_db_exits_with_message(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database\n" * 500)

    code, output = run_cli("retention", "apply", "--db", str(corrupt))

    assert code == 1
    assert "unavailable" in output
    assert "APPLYLENS_DB" in output
