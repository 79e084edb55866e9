"""Elasticsearch against the embedded SQLite store on the generated mailbox.

Prints, side by side: indexing throughput, p50 and p99 latency of the 50
benchmark queries, and on-disk size; then the share of messages and bytes the
90-day retention policy removes from a mailbox spanning a year.

    .venv/bin/python bench/es_bench.py [--count 100000] [--es-url URL]

Without --es-url it starts the cached integ-test-zip build of Elasticsearch
8.19.8 (scripts/fetch_elasticsearch.py) on 127.0.0.1 with a 1 GB heap. Both
stores index the same parsed messages, so parsing is not part of the rates.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "bench"))

from applylens.demo import generate_mailbox  # noqa: E402
from applylens.mail.model import Message  # noqa: E402
from applylens.mail.parse import parse_message  # noqa: E402
from applylens.retention.ilm import IlmManager  # noqa: E402
from applylens.store.base import SearchBackend, SearchRequest  # noqa: E402
from applylens.store.elasticsearch import ElasticsearchStore, open_client  # noqa: E402
from applylens.store.sqlite import SQLiteStore  # noqa: E402
from queries import BENCH_NOW, QUERIES  # noqa: E402

OWNER = "bench@example.org"
ROLLOVER_DAYS = 30
DELETE_AFTER_DAYS = 90


@dataclass
class StoreRun:
    name: str
    index_seconds: float = 0.0
    messages: int = 0
    disk_bytes: int = 0
    latencies_ms: list[float] | None = None

    @property
    def rate(self) -> float:
        return self.messages / self.index_seconds if self.index_seconds else 0.0

    def percentile(self, share: float) -> float:
        values = sorted(self.latencies_ms or [0.0])
        return values[min(len(values) - 1, int(share * len(values)))]


def load_fetch_script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "fetch_elasticsearch.py"
    spec = importlib.util.spec_from_file_location("fetch_elasticsearch", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build_messages(count: int, workdir: Path) -> list[Message]:
    report = generate_mailbox(workdir / "mailbox", seed=1, count=count, now=BENCH_NOW)
    files = sorted(p for p in report.mailbox.rglob("*") if p.is_file())
    return [
        parse_message(
            path.read_bytes(),
            owner=OWNER,
            source=str(path),
            file_mtime=None,
            now=BENCH_NOW,
        )
        for path in files
    ]


def index_into(store: SearchBackend, run: StoreRun, messages: list[Message]) -> None:
    started = time.perf_counter()
    stats = store.add_messages(messages)
    run.index_seconds = time.perf_counter() - started
    run.messages = stats.indexed


def time_queries(store: SearchBackend, rounds: int) -> list[float]:
    latencies = []
    for round_number in range(rounds + 1):
        for query in QUERIES:
            request = SearchRequest(owner=OWNER, query=query.applylens, now=BENCH_NOW)
            started = time.perf_counter()
            store.search(request)
            elapsed = (time.perf_counter() - started) * 1000
            # The first round warms caches on both sides and is not counted.
            if round_number:
                latencies.append(elapsed)
    return latencies


def run_sqlite(messages: list[Message], workdir: Path, rounds: int) -> StoreRun:
    path = workdir / "bench.db"
    store = SQLiteStore(path, retention_days=0)
    run = StoreRun("sqlite")
    index_into(store, run, messages)
    run.latencies_ms = time_queries(store, rounds)
    store.close()
    run.disk_bytes = sum(p.stat().st_size for p in workdir.glob("bench.db*"))
    return run


def run_elasticsearch(url: str, messages: list[Message], rounds: int) -> StoreRun:
    client = open_client(url, request_timeout=300)
    client.indices.delete(index="gmail_emails*", ignore_unavailable=True)
    IlmManager(client, url=url, echo=lambda _line: None).setup(with_ilm=False)
    store = ElasticsearchStore(client, url=url, retention_days=0)
    run = StoreRun("elasticsearch")
    index_into(store, run, messages)
    client.indices.flush(index="gmail_emails")
    # One segment per index is what a quiet index converges to, and is the
    # fairest comparison with a vacuumed SQLite file.
    client.indices.forcemerge(index="gmail_emails", max_num_segments=1)
    run.latencies_ms = time_queries(store, rounds)
    stats = client.indices.stats(index="gmail_emails", metric="store")
    run.disk_bytes = int(stats["_all"]["primaries"]["store"]["size_in_bytes"])
    client.close()
    return run


@dataclass(frozen=True)
class RetentionShare:
    messages: int
    removed_messages: int
    raw_bytes: int
    removed_bytes: int


def exact_retention(messages: Sequence[Message], days: int) -> RetentionShare:
    """Return what a cut at exactly `days` before BENCH_NOW removes."""
    cutoff = BENCH_NOW - timedelta(days=days)
    removed = [m for m in messages if m.date < cutoff]
    return RetentionShare(
        len(messages),
        len(removed),
        sum(m.raw_size for m in messages),
        sum(m.raw_size for m in removed),
    )


def policy_retention(messages: Sequence[Message]) -> RetentionShare:
    """Simulate the policy on a mailbox imported as it arrived.

    Each index takes ROLLOVER_DAYS of mail, then rolls over, and is deleted
    DELETE_AFTER_DAYS after its rollover, so whole indices go at once.
    """
    oldest = min(m.date for m in messages)
    removed = []
    for message in messages:
        index = (message.date - oldest) // timedelta(days=ROLLOVER_DAYS)
        rolled_over = oldest + timedelta(days=ROLLOVER_DAYS * (index + 1))
        if rolled_over + timedelta(days=DELETE_AFTER_DAYS) <= BENCH_NOW:
            removed.append(message)
    return RetentionShare(
        len(messages),
        len(removed),
        sum(m.raw_size for m in messages),
        sum(m.raw_size for m in removed),
    )


def print_table(runs: Sequence[StoreRun]) -> None:
    rows: list[tuple[str, Callable[[StoreRun], str]]] = [
        ("messages indexed", lambda r: f"{r.messages}"),
        ("indexing rate (messages/s)", lambda r: f"{r.rate:,.0f}"),
        ("search p50 (ms)", lambda r: f"{r.percentile(0.50):.2f}"),
        ("search p99 (ms)", lambda r: f"{r.percentile(0.99):.2f}"),
        ("on-disk size (MB)", lambda r: f"{r.disk_bytes / 1e6:,.1f}"),
    ]
    print(f"{'':30}" + "".join(f"{run.name:>16}" for run in runs))
    for label, cell in rows:
        print(f"{label:30}" + "".join(f"{cell(run):>16}" for run in runs))


def print_retention(messages: Sequence[Message]) -> None:
    span = max(m.date for m in messages) - min(m.date for m in messages)
    print(
        f"\nretention on a mailbox spanning {span.days} days ({len(messages)} messages)"
    )
    cases = [
        ("cut at exactly 90 days", exact_retention(messages, 90)),
        ("policy: 30-day rollover + delete 90d after", policy_retention(messages)),
        ("cut at exactly 120 days", exact_retention(messages, 120)),
    ]
    for label, share in cases:
        print(
            f"  {label:44} removes {share.removed_messages / share.messages:6.1%} of "
            f"messages ({share.removed_messages}), "
            f"{share.removed_bytes / share.raw_bytes:6.1%} of raw bytes "
            f"({share.removed_bytes / 1e6:,.1f} of {share.raw_bytes / 1e6:,.1f} MB)"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="messages")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of 50 queries")
    parser.add_argument("--es-url", help="use this cluster instead of starting one")
    parser.add_argument("--es-version", default="8.19.8")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="applylens-es-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        messages = build_messages(args.count, workdir)
        print(
            f"generated and parsed {len(messages)} messages in "
            f"{time.perf_counter() - started:.0f}s"
        )
        sqlite_run = run_sqlite(messages, workdir, args.rounds)

        node = None
        url = args.es_url
        if url is None:
            node = load_fetch_script().LocalNode(args.es_version, heap="1g")
            url = node.start()
        try:
            es_run = run_elasticsearch(url, messages, args.rounds)
        finally:
            if node is not None:
                node.stop()

        print_table([sqlite_run, es_run])
        print_retention(messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
