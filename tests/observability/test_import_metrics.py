"""Import and retention counters end to end: `applylens import` and
`applylens retention apply` run in their own processes, and a live
`applylens serve` exports what they did at `/metrics`. The server also purges
on its own schedule, once per interval whatever its number of workers."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.live import Service, product_env, run_cli, start_api, wait_until

pytestmark = [pytest.mark.slow]

NOTMUCH = "notmuch-corpora/test/corpora"
SOURCES = (
    "mime4j/core/src/test/resources/testmsgs/malformedHeader-noheader.msg",
    "perceval-mbox/tests/data/mbox/mbox_complex.mbox",
    f"{NOTMUCH}/duplicate",
    f"{NOTMUCH}/threading",
)
INTERVAL_SECONDS = 2
IMPORTED = "applylens_import_messages_total"
PURGED = "applylens_retention_purged_messages_total"


@dataclass
class ImportSummary:
    indexed: int
    duplicates: int
    skipped: int


def summary_count(output: str, row: str) -> int:
    match = re.search(rf"{row}\s*\W\s*(\d+)", output)
    assert match, f"no {row!r} row in the import summary:\n{output}"
    return int(match.group(1))


def import_corpus_files(corpora: Path, data_dir: Path) -> ImportSummary:
    env = product_env(data_dir)
    output = run_cli(env, "import", *(str(corpora / source) for source in SOURCES))
    return ImportSummary(
        indexed=summary_count(output, "indexed"),
        duplicates=summary_count(output, "duplicates"),
        skipped=summary_count(output, "skipped"),
    )


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base_url: str) -> Samples:
    """Return every sample of one scrape, keyed by name and sorted labels."""
    response = httpx.get(base_url + "/metrics", timeout=10)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def imported(samples: Samples) -> dict[str, float]:
    return {
        dict(labels)["outcome"]: value
        for (name, labels), value in samples.items()
        if name == IMPORTED
    }


def purged(samples: Samples) -> dict[str, float]:
    return {
        dict(labels)["backend"]: value
        for (name, labels), value in samples.items()
        if name == PURGED
    }


def scheduled_runs(data_dir: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(data_dir / "state.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(
            "SELECT * FROM retention_runs WHERE trigger = 'schedule' ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


@dataclass
class CommandScenario:
    summary: ImportSummary
    purged_by_command: int
    base_url: str


@pytest.fixture(scope="module")
def commands_then_serve(
    corpora: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CommandScenario]:
    data_dir = tmp_path_factory.mktemp("run-counters-data")
    summary = import_corpus_files(corpora, data_dir)
    output = run_cli(product_env(data_dir), "retention", "apply", "--days", "90")
    match = re.search(r"Purged (\d+) messages", output)
    assert match, output
    # Retention off, so the server's own schedule changes nothing here.
    service, base_url = start_api(
        data_dir,
        tmp_path_factory.mktemp("run-counters-logs"),
        APPLYLENS_RETENTION_DAYS="0",
    )
    try:
        yield CommandScenario(summary, int(match.group(1)), base_url)
    finally:
        service.stop()


def test_import_command_indexed_count_exported(
    commands_then_serve: CommandScenario,
) -> None:
    counts = imported(scrape(commands_then_serve.base_url))

    assert commands_then_serve.summary.indexed > 0
    assert counts["indexed"] == commands_then_serve.summary.indexed


def test_import_command_broken_message_counted_skipped(
    commands_then_serve: CommandScenario,
) -> None:
    counts = imported(scrape(commands_then_serve.base_url))

    assert counts["skipped"] == commands_then_serve.summary.skipped
    assert counts["skipped"] > 0


def test_import_command_duplicates_and_failures_exported(
    commands_then_serve: CommandScenario,
) -> None:
    counts = imported(scrape(commands_then_serve.base_url))

    assert counts["duplicate"] == commands_then_serve.summary.duplicates
    assert counts["failed"] == 0


def test_retention_command_purge_count_exported(
    commands_then_serve: CommandScenario,
) -> None:
    totals = purged(scrape(commands_then_serve.base_url))

    assert commands_then_serve.purged_by_command > 0
    assert totals["sqlite"] == commands_then_serve.purged_by_command
    assert totals["elasticsearch"] == 0


@dataclass
class ScheduleScenario:
    summary: ImportSummary
    expected_purge: int
    data_dir: Path
    service: Service
    base_url: str


@pytest.fixture(scope="module")
def two_workers_scheduling(
    corpora: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScheduleScenario]:
    data_dir = tmp_path_factory.mktemp("schedule-data")
    summary = import_corpus_files(corpora, data_dir)
    env = product_env(data_dir)
    output = run_cli(env, "retention", "apply", "--days", "90", "--dry-run")
    match = re.search(r"Would purge (\d+) of", output)
    assert match, output
    service, base_url = start_api(
        data_dir,
        tmp_path_factory.mktemp("schedule-logs"),
        "--workers",
        "2",
        APPLYLENS_RETENTION_DAYS="90",
        APPLYLENS_RETENTION_INTERVAL_SECONDS=str(INTERVAL_SECONDS),
    )
    try:
        yield ScheduleScenario(
            summary, int(match.group(1)), data_dir, service, base_url
        )
    finally:
        service.stop()


def test_server_schedule_purges_old_mail(
    two_workers_scheduling: ScheduleScenario,
) -> None:
    scenario = two_workers_scheduling

    wait_until(
        lambda: purged(scrape(scenario.base_url))["sqlite"] > 0,
        60,
        "the first scheduled purge",
        scenario.service.log,
    )

    assert scenario.expected_purge > 0
    assert purged(scrape(scenario.base_url))["sqlite"] == scenario.expected_purge
    assert sum(run["purged"] for run in scheduled_runs(scenario.data_dir)) == (
        scenario.expected_purge
    )
    log = scenario.service.output()
    assert f"purged {scenario.expected_purge} messages" in log


def test_server_schedule_two_workers_purge_once_per_interval(
    two_workers_scheduling: ScheduleScenario,
) -> None:
    scenario = two_workers_scheduling
    wait_until(
        lambda: len(scheduled_runs(scenario.data_dir)) >= 1,
        60,
        "the first scheduled purge",
        scenario.service.log,
    )
    runs_before = len(scheduled_runs(scenario.data_dir))
    started = time.monotonic()
    time.sleep(4 * INTERVAL_SECONDS)
    elapsed = time.monotonic() - started

    runs = scheduled_runs(scenario.data_dir)
    window_runs = len(runs) - runs_before
    # Each worker tries every interval, so without the claim there would be
    # two runs per interval (8 here); with it, one per 0.9 intervals at most.
    assert window_runs <= elapsed / (0.9 * INTERVAL_SECONDS) + 1
    assert window_runs >= 1
    assert sum(run["purged"] for run in runs) == scenario.expected_purge


def test_server_schedule_two_workers_totals_not_doubled(
    two_workers_scheduling: ScheduleScenario,
) -> None:
    scenario = two_workers_scheduling
    wait_until(
        lambda: purged(scrape(scenario.base_url))["sqlite"] > 0,
        60,
        "the first scheduled purge",
        scenario.service.log,
    )

    # Fresh connections reach either worker; each must export the same totals.
    for _ in range(6):
        samples = scrape(scenario.base_url)
        assert imported(samples)["indexed"] == scenario.summary.indexed
        assert purged(samples)["sqlite"] == scenario.expected_purge
