"""Latency, streaming overhead and throughput of the chat API.

For each mailbox (the demo mailbox, then a generated 100,000-message one) the
benchmark imports it with `applylens demo` into a fresh temporary data folder,
starts `applylens serve --workers 2` on a free loopback port, and measures:

- p50 and p99 of `POST /api/chat` over a fixed set of questions;
- time to the first stream event (`ready`) and to the first answer text
  (`delta`) of `GET /api/chat/stream` for the same questions;
- total stream time divided by `POST /api/chat` time, the same questions
  asked alternately in the same run, each question's time being its median
  over the rounds (target at most 1.1);
- sustained requests per second of `POST /api/chat` while p99 stays under
  100 ms (target at least 300), from an open-loop load generator in this
  process: requests are sent at a fixed rate whether or not earlier ones
  have finished, and each latency counts from the planned send time, so a
  stalled server cannot hide its queueing delay.

The load generator shares the machine's cores with the server, as a load
generator on loopback does. Targets that are missed print MISSED; the exit
code stays 0 so that a slow run still reports every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
APPLYLENS = REPO / ".venv" / "bin" / "applylens"
TARGET_STREAM_RATIO = 1.1
TARGET_RPS = 300.0
P99_LIMIT_MS = 100.0

# One question per tool; latency and the stream ratio are measured over these.
QUESTIONS = (
    "find interviews",
    "summarize my job search this week",
    "any offers in the last 2 weeks?",
    "what needs a reply?",
    "clean up promos older than 30 days unless they're from Acme",
    "unsubscribe me from newsletters I never read",
    "flag anything suspicious",
    "put my interviews on the calendar",
    "what tasks do I have from recruiters?",
    "find mail from greenhouse",
)
# Lookups of a few matches, the most common kind of question, and the load
# mix whose throughput is compared with the target. Some find nothing.
FIND_QUESTIONS = (
    "find interviews",
    "find mail from greenhouse",
    "find assessments",
    "find rejections",
    "find recruiter messages",
    "find mail about python",
    "find offers",
)
LOAD_MIXES = {"find": FIND_QUESTIONS, "all tools": QUESTIONS}

# Seconds to a stream's first event, to its first delta, and to its end.
StreamTimes = tuple[float, float, float]


@dataclass(slots=True)
class Percentiles:
    p50_ms: float
    p99_ms: float
    samples: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Percentiles:
        ordered = sorted(seconds)
        if not ordered:
            return cls(float("nan"), float("nan"), 0)
        p99_index = min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))
        return cls(
            statistics.median(ordered) * 1000, ordered[p99_index] * 1000, len(ordered)
        )


@dataclass(slots=True)
class RateStep:
    target_rps: float
    achieved_rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int

    @property
    def is_sustained(self) -> bool:
        return (
            self.errors == 0
            and self.p99_ms < P99_LIMIT_MS
            and self.achieved_rps >= 0.95 * self.target_rps
        )


@dataclass(slots=True)
class MailboxResult:
    name: str
    messages: int
    chat: Percentiles
    first_event: Percentiles
    first_delta: Percentiles
    stream_total_seconds: float
    chat_total_seconds: float
    cpu_ms_per_request: dict[str, float] = field(default_factory=dict)
    steps: dict[str, list[RateStep]] = field(default_factory=dict)

    @property
    def stream_ratio(self) -> float:
        return self.stream_total_seconds / self.chat_total_seconds

    def sustained_rps(self, mix: str) -> float:
        """Return the highest achieved rate of the steps that, with every
        slower step before them, kept p99 under the limit."""
        sustained = 0.0
        for step in self.steps.get(mix, []):
            if not step.is_sustained:
                break
            sustained = step.achieved_rps
        return sustained


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bench_env(data_dir: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("APPLYLENS_", "CHAT_STREAMING_"))
    }
    env.update(
        APPLYLENS_DATA_DIR=str(data_dir),
        APPLYLENS_RETENTION_DAYS="0",
        # The benchmark measures the server, not the limiter's 429s.
        APPLYLENS_RATE_LIMIT="1000000/second",
    )
    return env


def import_mailbox(data_dir: Path, count: int | None) -> int:
    command = [str(APPLYLENS), "demo"]
    if count is not None:
        command += ["--count", str(count)]
    started = time.perf_counter()
    result = subprocess.run(
        command, env=bench_env(data_dir), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"applylens demo failed:\n{result.stdout}\n{result.stderr}")
    manifest = json.loads((data_dir / "demo.json").read_text(encoding="utf-8"))
    messages = int(manifest["count"])
    seconds = time.perf_counter() - started
    print(f"  imported {messages} messages in {seconds:.0f} s", flush=True)
    return messages


@contextmanager
def running_server(
    data_dir: Path, workers: int
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            *(str(APPLYLENS), "serve", "--port", str(port)),
            *("--workers", str(workers), "--log-level", "warning"),
        ],
        env=bench_env(data_dir),
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"applylens serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"applylens serve at {url} was not ready within 60 s")


def chat_body(question: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": question}], "window_days": 30}


def time_chat(client: httpx.Client, question: str) -> float:
    started = time.perf_counter()
    response = client.post("/api/chat", json=chat_body(question))
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def time_stream(client: httpx.Client, question: str) -> StreamTimes:
    """Return seconds to the first event, to the first delta, and to the end."""
    first_event: float | None = None
    first_delta: float | None = None
    params: dict[str, str | int] = {"q": question, "window_days": 30}
    started = time.perf_counter()
    with client.stream("GET", "/api/chat/stream", params=params) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("event: "):
                continue
            now = time.perf_counter() - started
            if first_event is None:
                first_event = now
            if line == "event: delta" and first_delta is None:
                first_delta = now
            if line == "event: error":
                raise RuntimeError(f"the stream for {question!r} sent an error")
    total = time.perf_counter() - started
    if first_event is None or first_delta is None:
        raise RuntimeError(f"the stream for {question!r} sent no answer text")
    return first_event, first_delta, total


def total_of_medians(seconds: Sequence[float]) -> float:
    """Sum each question's median time. `seconds` is in the order that
    `measure_latency` asks, every question once per round. A median per
    question keeps one sample slowed by other work on the machine from
    tipping the stream/chat ratio."""
    count = len(QUESTIONS)
    return sum(statistics.median(seconds[q::count]) for q in range(count))


def measure_latency(url: str, rounds: int) -> tuple[list[float], list[StreamTimes]]:
    chat: list[float] = []
    streams: list[StreamTimes] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for question in QUESTIONS:
            time_chat(client, question)
            time_stream(client, question)
        for round_number in range(rounds):
            for question in QUESTIONS:
                # Alternate which goes first so neither always gets the
                # warmer cache.
                if round_number % 2:
                    streams.append(time_stream(client, question))
                    chat.append(time_chat(client, question))
                else:
                    chat.append(time_chat(client, question))
                    streams.append(time_stream(client, question))
    return chat, streams


class RawConnection:
    """One keep-alive HTTP/1.1 connection with just enough parsing for JSON
    responses; far cheaper per request than a full client library."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    async def send(self, request: bytes) -> int:
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status


def raw_chat_request(port: int, question: str) -> bytes:
    body = json.dumps(chat_body(question)).encode()
    head = (
        f"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def run_rate(
    port: int, questions: Sequence[str], rate: float, seconds: float
) -> RateStep:
    loop = asyncio.get_running_loop()
    requests = [raw_chat_request(port, q) for q in questions]
    idle: list[RawConnection] = []
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)

    async def connect() -> RawConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return RawConnection(reader, writer)

    async def send(request: bytes) -> tuple[RawConnection, int]:
        if idle:
            connection = idle.pop()
            try:
                return connection, await connection.send(request)
            except (OSError, asyncio.IncompleteReadError):
                # The server closed this idle keep-alive connection; a real
                # client retries such a request once on a new connection.
                connection.writer.close()
        connection = await connect()
        return connection, await connection.send(request)

    async def one(index: int, planned: float) -> None:
        nonlocal errors
        try:
            connection, status = await send(requests[index % len(requests)])
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            return
        latencies.append(loop.time() - planned)
        if status != 200:
            errors += 1
        idle.append(connection)

    started = loop.time()
    tasks = []
    for index in range(total):
        planned = started + index / rate
        delay = planned - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, planned)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - started
    for connection in idle:
        connection.writer.close()
    summary = Percentiles.of(latencies)
    return RateStep(
        rate, total / elapsed, summary.p50_ms, summary.p99_ms, errors, total
    )


def server_cpu_seconds(pid: int) -> float:
    """Return the CPU time used so far by the server and all its workers."""
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        times = process.cpu_times()
        total += times.user + times.system
    return total


def measure_cpu_per_request(url: str, pid: int, questions: Sequence[str]) -> float:
    """Return the server's CPU milliseconds per POST /api/chat, asked one at a
    time. CPU time, unlike wall time, barely changes with other load on the
    machine, so cores divided by it estimates the capacity of a quiet host."""
    requests = 20 * len(questions)
    with httpx.Client(base_url=url, timeout=60) as client:
        for question in questions:
            time_chat(client, question)
        before = server_cpu_seconds(pid)
        for index in range(requests):
            time_chat(client, questions[index % len(questions)])
        used = server_cpu_seconds(pid) - before
    return used / requests * 1000


def measure_throughput(
    url: str, questions: Sequence[str], rates: Sequence[float], seconds: float
) -> list[RateStep]:
    port = int(url.rsplit(":", 1)[1])
    steps = []
    for rate in rates:
        step = asyncio.run(run_rate(port, questions, rate, seconds))
        steps.append(step)
        print(
            f"  {rate:6.0f} req/s planned: {step.achieved_rps:6.1f} achieved, "
            f"p50 {step.p50_ms:6.1f} ms, p99 {step.p99_ms:7.1f} ms, "
            f"{step.errors} errors",
            flush=True,
        )
        if step.p99_ms > 10 * P99_LIMIT_MS:
            break  # Far past saturation: higher rates only queue longer.
        time.sleep(1)
    return steps


def bench_mailbox(
    name: str, count: int | None, workdir: Path, args: argparse.Namespace
) -> MailboxResult:
    print(f"{name}:", flush=True)
    data_dir = workdir / name
    messages = import_mailbox(data_dir, count)
    with running_server(data_dir, args.workers) as (url, process):
        chat, streams = measure_latency(url, args.rounds)
        cpu_ms = {
            mix: measure_cpu_per_request(url, process.pid, questions)
            for mix, questions in LOAD_MIXES.items()
        }
        steps = {}
        for mix, questions in LOAD_MIXES.items():
            print(f"  load, {mix} questions:", flush=True)
            steps[mix] = measure_throughput(
                url, questions, args.rates, args.step_seconds
            )
    return MailboxResult(
        name=name,
        messages=messages,
        chat=Percentiles.of(chat),
        first_event=Percentiles.of([s[0] for s in streams]),
        first_delta=Percentiles.of([s[1] for s in streams]),
        stream_total_seconds=total_of_medians([s[2] for s in streams]),
        chat_total_seconds=total_of_medians(chat),
        cpu_ms_per_request=cpu_ms,
        steps=steps,
    )


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_results(
    results: Sequence[MailboxResult], workers: int, load_before: float
) -> None:
    print()
    print(
        f"chat API, applylens serve --workers {workers}, {os.cpu_count()} CPUs, "
        f"1-minute load average {load_before:.1f} before the run and "
        f"{os.getloadavg()[0]:.1f} after it (other work on the machine skews "
        "every figure)"
    )
    header = (
        f"{'mailbox':<10} {'messages':>9} {'chat p50':>9} {'chat p99':>9} "
        f"{'1st event':>10} {'1st delta':>10} {'stream/chat':>12}"
    )
    print(header)
    for r in results:
        ratio_mark = _mark(r.stream_ratio <= TARGET_STREAM_RATIO)
        print(
            f"{r.name:<10} {r.messages:>9} {r.chat.p50_ms:>7.1f}ms "
            f"{r.chat.p99_ms:>7.1f}ms {r.first_event.p50_ms:>8.1f}ms "
            f"{r.first_delta.p50_ms:>8.1f}ms {r.stream_ratio:>6.2f} {ratio_mark}"
        )
        for mix in LOAD_MIXES:
            rps = r.sustained_rps(mix)
            cpu_ms = r.cpu_ms_per_request[mix]
            estimate = (os.cpu_count() or 1) / cpu_ms * 1000
            print(
                f"{'':<10} POST /api/chat, {mix} questions: {rps:.0f} req/s "
                f"sustained with p99 < {P99_LIMIT_MS:.0f} ms "
                f"{_mark(rps >= TARGET_RPS)}; server CPU {cpu_ms:.2f} ms per "
                f"request, so about {estimate:.0f} req/s on idle cores (estimate)"
            )
    print(
        f"targets: stream/chat <= {TARGET_STREAM_RATIO}, >= {TARGET_RPS:.0f} req/s "
        f"with p99 < {P99_LIMIT_MS:.0f} ms; first event and delta are medians"
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large-count", type=int, default=100_000)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rounds", type=int, default=20, help="Times each question is asked."
    )
    parser.add_argument(
        "--rates",
        type=lambda text: [float(x) for x in text.split(",")],
        default=[50, 100, 200, 300, 400, 500, 600],
        help="Comma-separated request rates of the load steps.",
    )
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--keep", action="store_true", help="Keep the data folders.")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="applylens-api-bench-"))
    mailboxes: list[tuple[str, int | None]] = [("demo", None)]
    if not args.skip_large:
        mailboxes.append(("large", args.large_count))
    try:
        results = [bench_mailbox(n, c, workdir, args) for n, c in mailboxes]
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_results(results, args.workers, load_before)
    if args.json:
        payload = [
            {
                **asdict(r),
                "stream_ratio": r.stream_ratio,
                "sustained_rps": {mix: r.sustained_rps(mix) for mix in LOAD_MIXES},
            }
            for r in results
        ]
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
