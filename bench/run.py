"""Run ApplyLens's benchmarks: `.venv/bin/python bench/run.py core --help`.

Subcommands:
  core      import throughput, search latency, memory and index size against
            mu and notmuch (bench/core_bench.py)
  profile   cProfile of one in-process import, to see where its time goes
            (bench/profile_import.py)
  classify  precision and recall of the classifier on labelled corpora
            (bench/classify_bench.py)
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SUBCOMMANDS = {
    "core": "core_bench.py",
    "profile": "profile_import.py",
    "classify": "classify_bench.py",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBCOMMANDS:
        print(__doc__)
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    script = BENCH / SUBCOMMANDS[argv[0]]
    if not script.is_file():
        print(f"{script} is missing", file=sys.stderr)
        return 2
    sys.argv = [f"bench/run.py {argv[0]}", *argv[1:]]
    sys.path.insert(0, str(BENCH))
    runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
