"""Profile one import in this process with cProfile and print where time goes.

Parsing runs in this process (one worker) so that the profile records it, and the
figures are therefore for a single core. Usage:
  .venv/bin/python bench/run.py profile [--corpus enron] [--count 20000] [--top 30]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from applylens.ingest import import_paths  # noqa: E402
from applylens.store.sqlite import SQLiteStore  # noqa: E402
from core_bench import (  # noqa: E402
    build_corpus_maildir,
    build_generated_maildir,
    mailbox_stats,
)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py profile")
    parser.add_argument(
        "--corpus", default="enron", help="enron, spamassassin or generated"
    )
    parser.add_argument(
        "--count", type=int, default=20_000, help="messages when --corpus generated"
    )
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="applylens-profile-"))
    try:
        if args.corpus == "generated":
            maildir = build_generated_maildir(args.count, workdir)
        else:
            maildir = build_corpus_maildir(args.corpus, workdir)
        messages, _ = mailbox_stats(maildir)
        store = SQLiteStore(workdir / "applylens.db")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        report = import_paths(
            [maildir], store, owner="bench", retention_days=0, workers=1
        )
        profiler.disable()
        seconds = time.perf_counter() - started
        store.close()
        print(
            f"{args.corpus}: {messages} messages, indexed {report.indexed}, "
            f"{seconds:.1f} s under the profiler, {messages / seconds:.0f} msg/s"
        )
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
