"""Import throughput, search latency, memory and index size against mu and notmuch.

Every run builds a fresh maildir per corpus in a temporary folder. It imports
the maildir with `applylens import`, `mu index` (Debian's maildir-utils) and
`notmuch new`, one after the other on the same files. On the generated mailbox
it then times the same queries with ApplyLens's SQLite store and with
notmuch's Python bindings, both in this process. A missed target prints
MISSED, and the exit code stays 0 so that a slow run still reports every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from applylens.demo import generate_mailbox  # noqa: E402
from queries import BENCH_NOW, QUERIES  # noqa: E402

CORPORA = Path(os.environ.get("APPLYLENS_CORPORA", REPO.parent / "shared" / "corpora"))
APPLYLENS = REPO / ".venv" / "bin" / "applylens"
TARGET_MU_RATIO = 1.2
TARGET_P50_FRACTION = 0.5
TARGET_P99_MS = 20.0
TARGET_PEAK_MB = 300.0
RSS_SAMPLE_SECONDS = 0.05
OWNER = "bench"


@dataclass(slots=True)
class ToolRun:
    tool: str
    seconds: float
    messages: int
    peak: MemoryPeak
    index_bytes: int
    returncode: int
    output_tail: str = ""

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


@dataclass(slots=True)
class CorpusResult:
    corpus: str
    messages: int
    raw_bytes: int
    runs: dict[str, ToolRun] = field(default_factory=dict)


@dataclass(slots=True)
class LatencyResult:
    engine: str
    samples_ms: list[float]
    hits: dict[str, int]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


# ---------------------------------------------------------------- mailboxes


def build_corpus_maildir(name: str, target: Path) -> Path:
    """Copy a corpus into a new maildir under `target` and return its path.

    Corpus files that begin with an mbox "From " envelope line (all of
    SpamAssassin) lose that line, because a maildir file contains the message
    alone and mu and notmuch would otherwise read the line as a header.
    """
    sources = _corpus_files(name)
    maildir = target / "mail"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for index, source in enumerate(sources):
        data = source.read_bytes()
        if data.startswith(b"From "):
            data = data.split(b"\n", 1)[1] if b"\n" in data else b""
        (maildir / "cur" / f"{index:07d}.bench:2,S").write_bytes(data)
    return maildir


def _corpus_files(name: str) -> list[Path]:
    roots = {
        "enron": CORPORA / "enron-inboxes" / "maildir",
        "spamassassin": CORPORA / "spamassassin",
    }
    if name not in roots:
        raise SystemExit(
            f"unknown corpus {name!r}: use enron, spamassassin or generated"
        )
    root = roots[name]
    if not root.is_dir():
        raise SystemExit(f"corpus {name!r} is missing at {root}; set APPLYLENS_CORPORA")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".md")


def build_generated_maildir(count: int, target: Path) -> Path:
    report = generate_mailbox(target / "generated", seed=1, count=count, now=BENCH_NOW)
    return report.mailbox


def mailbox_stats(maildir: Path) -> tuple[int, int]:
    """Return (messages, bytes), reading every file once so that each tool
    starts from the same warm page cache."""
    count = size = 0
    for path in maildir.glob("*/*"):
        size += len(path.read_bytes())
        count += 1
    return count, size


# ---------------------------------------------------------------- tool runs


def run_measured(
    command: Sequence[str], env: dict[str, str] | None = None
) -> tuple[float, MemoryPeak, int, str]:
    """Run `command` and return (seconds, peak memory, return code, output)."""
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        peak = _sample_memory_until_exit(process)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode(errors="replace")
    return seconds, peak, process.returncode, output


@dataclass(slots=True)
class MemoryPeak:
    """The largest memory of a process tree, in MB, sampled every 50 ms.

    `pss` sums the proportional set size over the process and all its
    descendants, so parsing workers count and a page shared after a fork is
    split between its users instead of counted once per process. `anonymous`
    is the part of it that is not a mapped file: without SQLite's memory-mapped
    reads of the database file, which the kernel can drop at any time.
    """

    pss: float = 0.0
    anonymous: float = 0.0


def _sample_memory_until_exit(process: subprocess.Popen[bytes]) -> MemoryPeak:
    peak = MemoryPeak()
    try:
        root = psutil.Process(process.pid)
        while process.poll() is None:
            pss, anonymous = _tree_memory(root)
            peak.pss = max(peak.pss, pss / 2**20)
            peak.anonymous = max(peak.anonymous, anonymous / 2**20)
            time.sleep(RSS_SAMPLE_SECONDS)
    except psutil.NoSuchProcess:
        pass
    process.wait()
    return peak


def _tree_memory(root: psutil.Process) -> tuple[int, int]:
    pss = anonymous = 0
    for proc in [root, *root.children(recursive=True)]:
        fields = _smaps_rollup(proc.pid)
        pss += fields.get("Pss", 0)
        anonymous += fields.get("Pss_Anon", 0)
    return pss, anonymous


def _smaps_rollup(pid: int) -> dict[str, int]:
    """Return the byte counts of /proc/PID/smaps_rollup (Linux 4.14 and later)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.splitlines()[1:]:
        name, _, value = line.partition(":")
        number = value.split()
        if number and number[0].isdigit():
            fields[name] = int(number[0]) * 1024
    return fields


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_applylens(maildir: Path, workdir: Path, messages: int) -> ToolRun:
    data_dir = workdir / "applylens"
    env = {
        **os.environ,
        "APPLYLENS_DATA_DIR": str(data_dir),
        "APPLYLENS_OWNER": OWNER,
        "APPLYLENS_RETENTION_DAYS": "0",
    }
    env.pop("APPLYLENS_DB", None)
    seconds, peak, code, output = run_measured(
        [str(APPLYLENS), "import", str(maildir)], env
    )
    index = folder_bytes(data_dir)
    return ToolRun("applylens", seconds, messages, peak, index, code, output[-600:])


def run_mu(maildir: Path, workdir: Path, messages: int) -> ToolRun:
    home = workdir / "mu"
    init = subprocess.run(
        ["mu", "init", f"--maildir={maildir}", f"--muhome={home}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        return ToolRun(
            "mu", 0.0, messages, MemoryPeak(), 0, init.returncode, init.stderr[-600:]
        )
    seconds, peak, code, output = run_measured(
        ["mu", "index", "--quiet", f"--muhome={home}"]
    )
    return ToolRun(
        "mu", seconds, messages, peak, folder_bytes(home), code, output[-600:]
    )


def notmuch_config(maildir: Path, workdir: Path) -> Path:
    database = workdir / "notmuch-db"
    database.mkdir(parents=True, exist_ok=True)
    config = workdir / "notmuch-config"
    config.write_text(
        "[database]\n"
        f"path={database}\n"
        f"mail_root={maildir}\n"
        "[user]\nname=Bench\nprimary_email=bench@example.com\n"
        "[new]\ntags=inbox;\nignore=\n"
        "[maildir]\nsynchronize_flags=true\n"
    )
    return config


def run_notmuch(maildir: Path, workdir: Path, messages: int) -> ToolRun:
    config = notmuch_config(maildir, workdir)
    env = {**os.environ, "NOTMUCH_CONFIG": str(config)}
    seconds, peak, code, output = run_measured(["notmuch", "new", "--quiet"], env)
    index = folder_bytes(workdir / "notmuch-db")
    return ToolRun("notmuch", seconds, messages, peak, index, code, output[-600:])


TOOLS: dict[str, Callable[[Path, Path, int], ToolRun]] = {
    "applylens": run_applylens,
    "mu": run_mu,
    "notmuch": run_notmuch,
}


def bench_corpus(
    name: str, count: int, tools: Sequence[str], workdir: Path
) -> CorpusResult:
    print(f"[{name}] preparing maildir ...", flush=True)
    if name == "generated":
        maildir = build_generated_maildir(count, workdir)
    else:
        maildir = build_corpus_maildir(name, workdir)
    messages, raw = mailbox_stats(maildir)
    result = CorpusResult(
        name if name != "generated" else f"generated-{messages}", messages, raw
    )
    for tool in tools:
        print(f"[{name}] {tool}: indexing {messages} messages ...", flush=True)
        run = TOOLS[tool](maildir, workdir, messages)
        result.runs[tool] = run
        status = "ok" if run.returncode == 0 else f"FAILED (exit {run.returncode})"
        print(
            f"[{name}] {tool}: {run.seconds:.1f} s, {run.rate:.0f} msg/s, {status}",
            flush=True,
        )
        if run.returncode != 0:
            print(run.output_tail, flush=True)
    return result


# ---------------------------------------------------------------- searches


def time_applylens_searches(data_dir: Path, rounds: int) -> LatencyResult:
    from applylens.config import Settings
    from applylens.store.base import SearchRequest
    from applylens.store.factory import open_backend

    settings = Settings(data_dir=data_dir, owner=OWNER, retention_days=0)
    backend = open_backend(settings)
    try:

        def search(text: str) -> int:
            request = SearchRequest(owner=OWNER, query=text, limit=20, now=BENCH_NOW)
            result = backend.search(request)
            for hit in result.hits:
                _ = hit.message.subject, hit.message.sender
            return result.total

        return _time_queries("applylens-sqlite", search, rounds, lambda q: q.applylens)
    finally:
        backend.close()


def time_notmuch_searches(config: Path, rounds: int) -> LatencyResult:
    import notmuch2

    database = notmuch2.Database(config=str(config))
    newest = notmuch2.Database.SORT.NEWEST_FIRST
    try:

        def search(text: str) -> int:
            # The count matches the total that an ApplyLens result carries.
            total = database.count_messages(text)
            for index, message in enumerate(database.messages(text, sort=newest)):
                if index == 20:
                    break
                _ = message.header("subject"), message.header("from")
            return total

        return _time_queries("notmuch2", search, rounds, lambda q: q.notmuch)
    finally:
        database.close()


def _time_queries(
    engine: str, search: Callable[[str], int], rounds: int, text_of: Callable[..., str]
) -> LatencyResult:
    hits = {q.name: search(text_of(q)) for q in QUERIES}
    samples = []
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            search(text_of(query))
            samples.append((time.perf_counter() - started) * 1000)
    return LatencyResult(engine, samples, hits)


# ---------------------------------------------------------------- report


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_import_table(results: Sequence[CorpusResult]) -> None:
    print("\nImport throughput (messages per second, same maildir, same run)")
    header = (
        f"{'corpus':<20}{'msgs':>8}{'applylens':>11}{'mu':>9}{'notmuch':>9}"
        f"{'al/mu':>8}{'al/nm':>8}  target al/mu >= {TARGET_MU_RATIO}"
    )
    print(header)
    for result in results:
        rates = {tool: run.rate for tool, run in result.runs.items()}
        al, mu, nm = (rates.get(t, 0.0) for t in ("applylens", "mu", "notmuch"))
        mu_ratio = al / mu if mu else float("nan")
        nm_ratio = al / nm if nm else float("nan")
        verdict = _mark(mu_ratio >= TARGET_MU_RATIO) if mu else "n/a"
        print(
            f"{result.corpus:<20}{result.messages:>8}{al:>11.0f}{mu:>9.0f}{nm:>9.0f}"
            f"{mu_ratio:>7.2f}x{nm_ratio:>7.2f}x  {verdict}"
        )


def print_memory_table(results: Sequence[CorpusResult]) -> None:
    print("\nPeak memory of the import (MB, process tree) and index size on disk")
    print(
        f"{'corpus':<20}{'tool':<11}{'PSS':>7}{'anon':>7}{'index MB':>10}"
        f"{'raw MB':>8}{'index/raw':>10}  target PSS < {TARGET_PEAK_MB:.0f} MB"
    )
    for result in results:
        for tool, run in result.runs.items():
            ratio = run.index_bytes / result.raw_bytes if result.raw_bytes else 0.0
            verdict = ""
            if tool == "applylens":
                verdict = _mark(run.peak.pss < TARGET_PEAK_MB)
            print(
                f"{result.corpus:<20}{tool:<11}{run.peak.pss:>7.0f}"
                f"{run.peak.anonymous:>7.0f}{run.index_bytes / 2**20:>10.1f}"
                f"{result.raw_bytes / 2**20:>8.1f}{ratio:>9.2f}x  {verdict}"
            )
    print("PSS counts SQLite's memory-mapped database pages; anon leaves them out.")


def print_latency_table(
    corpus: str, ours: LatencyResult, peer: LatencyResult | None
) -> None:
    print(f"\nSearch latency, {len(QUERIES)} queries x rounds on {corpus} (ms)")
    print(f"{'engine':<18}{'p50':>8}{'p99':>8}{'max':>8}")
    for result in (ours, peer):
        if result is not None:
            print(
                f"{result.engine:<18}{result.p50:>8.2f}{result.p99:>8.2f}"
                f"{max(result.samples_ms):>8.2f}"
            )
    if peer is not None:
        fraction = ours.p50 / peer.p50 if peer.p50 else float("nan")
        print(
            f"p50 ratio applylens/notmuch: {fraction:.2f} "
            f"(target <= {TARGET_P50_FRACTION}) "
            f"{_mark(fraction <= TARGET_P50_FRACTION)}"
        )
    print(
        f"p99 applylens: {ours.p99:.2f} ms (target < {TARGET_P99_MS:.0f} ms) "
        f"{_mark(ours.p99 < TARGET_P99_MS)}"
    )
    empty = sorted(name for name, total in ours.hits.items() if total == 0)
    if empty:
        print(f"queries with no ApplyLens hits: {', '.join(empty)}")


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py core", description=__doc__)
    parser.add_argument(
        "--corpora",
        default="enron,spamassassin,generated",
        help="comma-separated: enron, spamassassin, generated",
    )
    parser.add_argument(
        "--generated-count",
        type=int,
        default=100_000,
        help="messages in the generated mailbox (default 100000)",
    )
    parser.add_argument(
        "--tools",
        default="applylens,mu,notmuch",
        help="comma-separated import tools to compare",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="passes over the 50 queries for the latency figures",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--search-only",
        type=Path,
        metavar="WORKDIR",
        help="only time the searches, on a folder kept by an earlier --keep run "
        "of the generated corpus",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary folders and print where they are",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        raise SystemExit(f"unknown tools {unknown!r}: choose from {sorted(TOOLS)}")
    if args.search_only:
        _bench_searches(CorpusResult("generated", 0, 0), args.search_only, args.rounds)
        return 0
    results: list[CorpusResult] = []
    latencies: dict[str, dict[str, object]] = {}
    for corpus in [c for c in args.corpora.split(",") if c]:
        workdir = Path(tempfile.mkdtemp(prefix=f"applylens-bench-{corpus}-"))
        try:
            result = bench_corpus(corpus, args.generated_count, tools, workdir)
            results.append(result)
            if corpus == "generated":
                latencies[result.corpus] = _bench_searches(result, workdir, args.rounds)
        finally:
            if args.keep:
                print(f"[{corpus}] kept {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    print_import_table(results)
    print_memory_table(results)
    if args.json:
        _write_json(args.json, results, latencies)
    return 0


def _bench_searches(
    result: CorpusResult, workdir: Path, rounds: int
) -> dict[str, object]:
    ours = time_applylens_searches(workdir / "applylens", rounds)
    peer = None
    notmuch_run = result.runs.get("notmuch")
    notmuch_ok = notmuch_run is None or notmuch_run.returncode == 0
    if (workdir / "notmuch-config").is_file() and notmuch_ok:
        peer = time_notmuch_searches(workdir / "notmuch-config", rounds)
    print_latency_table(result.corpus, ours, peer)
    return {
        "applylens": {"p50_ms": ours.p50, "p99_ms": ours.p99, "hits": ours.hits},
        "notmuch": None
        if peer is None
        else {"p50_ms": peer.p50, "p99_ms": peer.p99, "hits": peer.hits},
    }


def _write_json(
    path: Path, results: Sequence[CorpusResult], latencies: dict[str, dict[str, object]]
) -> None:
    data = {
        "corpora": [
            {**asdict(r), "rates": {t: run.rate for t, run in r.runs.items()}}
            for r in results
        ],
        "search": latencies,
    }
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
