"""`applylens drill`: run the operations guide's checks against a deployment.

The drill exercises the three production features end to end and prints one
line per step with PASS, FAIL or SKIP and the step's time:

- ILM retention: setup, verify, a manual rollover, rollback, and setup again
  so that the cluster ends as it started;
- the assistant dashboard: questions over windows of 7, 30, 60 and 90 days,
  a burst that reaches the rate limit, and every panel query answered by
  Prometheus;
- the streaming canary: streaming switched off and on at run time, with the
  time each switch took to reach the API and the latency of a streamed answer
  against a non-streamed one.

The dashboard's panels are checked last because two of them show what the
other steps cause: the 503s of the canary and the 429s of the burst.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import httpx

from applylens.cli.urls import ES_URL, http_url
from applylens.config import get_settings
from applylens.errors import ApplyLensError

logger = logging.getLogger(__name__)

HIT_QUESTION = "find emails about interviews"
MISS_QUESTION = "find emails about zqxjvk quasarmarmalade"
WINDOWS = (7, 30, 60, 90)
STREAM_PATH = "/api/chat/stream"
CHAT_PATH = "/api/chat"
FLAG_PATH = "/api/admin/flags/chat_streaming"
SWITCH_TARGET_SECONDS = 2.0
# An estimate, not a measurement: stopping the api container, starting it
# with a new CHAT_STREAMING_ENABLED and waiting for its health check.
RESTART_ESTIMATE_SECONDS = 30
POLL_INTERVAL_SECONDS = 0.1
# Every API process re-reads the streaming flag at least once a second, so a
# new state seen for longer than that has reached every worker, not only the
# ones that happened to answer the first polls.
STABLE_SECONDS = 1.5
RATE_LIMIT_MAX_REQUESTS = 1000


class DrillFailure(Exception):
    """A drill step found that the deployment does not behave as the guide describes."""


@dataclass(frozen=True)
class DrillOptions:
    api_url: str
    proxy_url: str | None
    prometheus_url: str
    es_url: str
    es_alias: str
    token: str | None
    admin_token: str | None
    state_path: Path
    job: str
    scrape_timeout: float
    switch_timeout: float
    confirmations: int
    samples: int
    features: tuple[str, ...]
    dashboard_file: Path | None

    @property
    def chat_url(self) -> str:
        """The URL chat traffic goes to: the proxy when there is one."""
        return self.proxy_url or self.api_url


@dataclass
class StepResult:
    name: str
    status: str
    seconds: float
    detail: str


class StepRunner:
    """Run steps, print one line each, and skip the rest of a feature after a
    failed step, because later steps build on what it should have done."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.results: list[StepResult] = []
        self.failed_features: set[str] = set()

    def run(self, name: str, work: Callable[[], str]) -> bool:
        feature = name.split(" ", 1)[0]
        if feature in self.failed_features:
            self._report(
                StepResult(name, "SKIP", 0.0, f"an earlier {feature} step failed")
            )
            return False
        started = time.perf_counter()
        try:
            detail, status = work(), "PASS"
        except (DrillFailure, ApplyLensError) as exc:
            detail, status = str(exc), "FAIL"
        except httpx.HTTPError as exc:
            detail, status = (
                f"{type(exc).__name__} on {_request_url(exc)}: {exc}",
                "FAIL",
            )
        if status == "FAIL":
            self.failed_features.add(feature)
        self._report(StepResult(name, status, time.perf_counter() - started, detail))
        return status == "PASS"

    def _report(self, result: StepResult) -> None:
        self.results.append(result)
        self.echo(
            f"{result.status:<4}  {result.name:<26} {result.seconds:7.2f} s  "
            f"{result.detail}"
        )

    @property
    def all_passed(self) -> bool:
        return all(result.status == "PASS" for result in self.results)


def _request_url(exc: httpx.HTTPError) -> str:
    try:
        return str(exc.request.url)
    except RuntimeError:
        return "an unknown URL"


# HTTP clients


@dataclass
class StreamResult:
    status: int
    headers: httpx.Headers
    events: list[tuple[str, float]] = field(default_factory=list)
    """Each event's name and its arrival, in seconds after the request."""
    body: str = ""
    seconds: float = 0.0

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.events]


def read_events(lines: Iterator[str], started: float) -> Iterator[tuple[str, float]]:
    """Yield the name and arrival time of each Server-Sent Event in `lines`.

    An event ends at its blank line; a block of comments alone (`: ping`) is
    no event.
    """
    name: str | None = None
    has_data = False
    for line in lines:
        if line == "":
            if has_data:
                yield name or "message", time.perf_counter() - started
            name, has_data = None, False
        elif line.startswith("event:"):
            name = line[len("event:") :].strip()
        elif line.startswith("data:"):
            has_data = True


class ChatClient:
    """The chat, page and admin requests the drill sends."""

    def __init__(self, options: DrillOptions) -> None:
        headers = {"Authorization": f"Bearer {options.token}"} if options.token else {}
        self.http = httpx.Client(base_url=options.chat_url, headers=headers, timeout=60)
        # Polls go to the API itself on a new connection each time, so that
        # they reach every worker process: through nginx they would reuse its
        # kept-alive upstream connection and so the same worker.
        self.polls = httpx.Client(
            base_url=options.api_url,
            headers=headers,
            timeout=30,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def close(self) -> None:
        self.http.close()
        self.polls.close()

    def ask(self, question: str, window_days: int) -> tuple[int, dict[str, Any]]:
        body = {
            "messages": [{"role": "user", "content": question}],
            "window_days": window_days,
        }
        response = self.http.post(CHAT_PATH, json=body)
        data = response.json() if _is_json(response) else {}
        return response.status_code, data

    def stream(self, question: str, window_days: int = 30) -> StreamResult:
        params: dict[str, str | int] = {"q": question, "window_days": window_days}
        started = time.perf_counter()
        with self.http.stream("GET", STREAM_PATH, params=params) as response:
            result = StreamResult(response.status_code, response.headers)
            if response.status_code == 200:
                result.events = list(read_events(response.iter_lines(), started))
            else:
                result.body = response.read().decode(errors="replace")
        result.seconds = time.perf_counter() - started
        return result

    def stream_status(self, question: str) -> httpx.Response:
        """Open a stream, read only its status and headers, and leave."""
        with self.polls.stream("GET", STREAM_PATH, params={"q": question}) as response:
            return response

    def visit_page(self) -> None:
        """Report a chat page opening and two heartbeats, as the page does."""
        _expect(self.http.post("/api/ux/chat/opened"), 204)
        for _ in range(2):
            _expect(self.http.post("/api/ux/heartbeat", json={"page": "chat"}), 204)


def _is_json(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/json")


def _expect(response: httpx.Response, status: int) -> httpx.Response:
    if response.status_code != status:
        raise DrillFailure(
            f"{response.request.method} {response.request.url.path} returned "
            f"{response.status_code}, expected {status}: {response.text[:300]}"
        )
    return response


class PrometheusClient:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=15)

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = self.http.get("/api/v1/query", params={"query": expr})
        body = response.json() if _is_json(response) else {}
        if response.status_code != 200 or body.get("status") != "success":
            raise DrillFailure(
                f"Prometheus rejected {expr!r}: {response.status_code} "
                f"{response.text[:300]}"
            )
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def latest_scrape(self, job: str) -> float:
        """Return the Unix time of the latest scrape of `job`, 0 before the first."""
        result = self.query(f'timestamp(up{{job="{job}"}})')
        return max((float(series["value"][1]) for series in result), default=0.0)

    def wait_for_scrape(self, job: str, after: float, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.latest_scrape(job) > after:
                return
            time.sleep(0.5)
        raise DrillFailure(
            f"Prometheus did not scrape job {job!r} within {timeout:g} s: check "
            "its targets page and the job name (--job)"
        )

    def close(self) -> None:
        self.http.close()


# The ILM steps


def run_ilm(runner: StepRunner, options: DrillOptions) -> None:
    from applylens.retention.ilm import IlmManager
    from applylens.store.elasticsearch import open_client

    lines: list[str] = []
    client = open_client(options.es_url)
    manager = IlmManager(
        client, url=options.es_url, alias=options.es_alias, echo=lines.append
    )
    steps = IlmSteps(manager, lines)
    try:
        runner.run("ilm feature", steps.guarded(steps.feature))
        runner.run("ilm setup-ilm", steps.guarded(steps.setup))
        runner.run("ilm verify", steps.guarded(steps.verify))
        runner.run("ilm rollover", steps.guarded(steps.rollover))
        runner.run("ilm rollback", steps.guarded(steps.rollback))
        runner.run("ilm restore", steps.guarded(steps.restore))
    finally:
        client.close()


class IlmSteps:
    """The `applylens es` commands, run in this process, one step each."""

    def __init__(self, manager: Any, lines: list[str]) -> None:
        self.manager = manager
        self.client = manager.client
        self.alias: str = manager.alias
        self.lines = lines
        self.with_ilm = True

    def guarded(self, work: Callable[[], str]) -> Callable[[], str]:
        """Wrap `work` so that a failed request to the cluster fails the step."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        from applylens.store.elasticsearch import describe_error

        def run() -> str:
            try:
                return work()
            except (ApiError, TransportError) as exc:
                raise DrillFailure(
                    f"Elasticsearch at {self.manager.url} failed: "
                    f"{describe_error(exc)} (set --es-url or APPLYLENS_ES_URL)"
                ) from exc

        return run

    def _output(self) -> str:
        text = "; ".join(self.lines)
        self.lines.clear()
        return text

    def _count(self) -> int:
        return int(self.client.count(index=self.alias)["count"])

    def feature(self) -> str:
        problem = self.manager.ilm_problem()
        if problem is None:
            return "the cluster has index lifecycle management"
        self.with_ilm = False
        return (
            f"the cluster has no index lifecycle management ({problem}), so the "
            "next steps run as with --without-ilm and retention rests on "
            "APPLYLENS_RETENTION_DAYS and `applylens retention apply`"
        )

    def setup(self) -> str:
        self.manager.setup(with_ilm=self.with_ilm)
        return self._output()

    def verify(self) -> str:
        passed = self.manager.verify(with_ilm=self.with_ilm)
        output = self._output()
        if not passed:
            raise DrillFailure(f"verify found problems: {output}")
        return output

    def rollover(self) -> str:
        before = self.manager.layout().write_indices
        count = self._count()
        self.manager.rollover(force=True)
        output = self._output()
        after = self.manager.layout().write_indices
        if len(after) != 1 or after == before:
            raise DrillFailure(
                f"the write index is {after!r} after the rollover, was {before!r}"
            )
        self._check_count(count)
        return f"{output}; {count} messages still searchable"

    def rollback(self) -> str:
        from applylens.retention.ilm import TEMPLATE_NAME

        count = self._count()
        self.manager.rollback()
        output = self._output()
        if self.client.indices.exists_index_template(name=TEMPLATE_NAME):
            raise DrillFailure(f"template {TEMPLATE_NAME} is still present: {output}")
        self._check_count(count)
        return output

    def _check_count(self, expected: int) -> None:
        self.client.indices.refresh(index=self.alias)
        found = self._count()
        if found != expected:
            # The API's scheduled retention purge is the one other writer
            # that removes mail, so a purge during the step shows up here.
            raise DrillFailure(
                f"the alias {self.alias} held {expected} messages, now {found}: "
                "unless a retention purge ran at the same time, mail was lost; "
                "rerun the drill to tell"
            )

    def restore(self) -> str:
        self.manager.setup(with_ilm=self.with_ilm)
        setup_output = self._output()
        passed = self.manager.verify(with_ilm=self.with_ilm)
        verify_output = self._output()
        if not passed:
            raise DrillFailure(f"verify failed after setting up again: {verify_output}")
        return f"set up again and verify passes: {setup_output}"


# The dashboard steps


class DashboardSteps:
    def __init__(
        self, chat: ChatClient, prometheus: PrometheusClient, options: DrillOptions
    ) -> None:
        self.chat = chat
        self.prometheus = prometheus
        self.options = options

    def questions(self) -> str:
        """Ask over every window twice, with a scrape in between, so that each
        counter increases between two samples and its rate is above zero."""
        answered = with_hits = 0
        for _ in range(2):
            sent_at = time.time()
            for window_days in WINDOWS:
                for question in (HIT_QUESTION, MISS_QUESTION):
                    status, data = self.chat.ask(question, window_days)
                    if status != 200:
                        raise DrillFailure(
                            f"POST {CHAT_PATH} (window {window_days} days) "
                            f"returned {status}: {data}"
                        )
                    answered += 1
                    with_hits += int(data["search"]["total_hits"] > 0)
            streamed = self.chat.stream(HIT_QUESTION)
            if streamed.status != 200 or "done" not in streamed.names:
                raise DrillFailure(f"the stream returned {streamed.status}")
            self.chat.visit_page()
            self.prometheus.wait_for_scrape(
                self.options.job, sent_at, self.options.scrape_timeout
            )
        return (
            f"{answered} questions over windows {', '.join(map(str, WINDOWS))} days "
            f"({with_hits} with hits), 2 streamed, 2 page visits, each round scraped"
        )

    def rate_limit(self) -> str:
        for sent in range(1, RATE_LIMIT_MAX_REQUESTS + 1):
            status, data = self.chat.ask(MISS_QUESTION, 7)
            if status == 429:
                return self._check_429(sent, data)
            if status != 200:
                raise DrillFailure(f"POST {CHAT_PATH} returned {status}: {data}")
        raise DrillFailure(
            f"no 429 after {RATE_LIMIT_MAX_REQUESTS} requests: is "
            "APPLYLENS_RATE_LIMIT set?"
        )

    def _check_429(self, sent: int, data: dict[str, Any]) -> str:
        retry_after = data.get("retry_after")
        if not isinstance(retry_after, int) or retry_after < 1:
            raise DrillFailure(f"the 429 body has no retry_after: {data}")
        return (
            f"429 after {sent} more requests, retry after {retry_after} s; this "
            "client stays limited that long"
        )

    def panels(self) -> str:
        expressions = load_panel_expressions(self.options.dashboard_file)
        deadline = time.monotonic() + self.options.scrape_timeout
        while True:
            empty = [
                f"{title}: {expr}"
                for title, exprs in expressions.items()
                for expr in exprs
                if not self.prometheus.query(expr)
            ]
            if not empty:
                break
            if time.monotonic() > deadline:
                raise DrillFailure(
                    f"{len(empty)} panel queries returned no data after "
                    f"{self.options.scrape_timeout:g} s: {'; '.join(empty)}"
                )
            time.sleep(1)
        total = sum(len(exprs) for exprs in expressions.values())
        return f"{len(expressions)} panels, {total} queries, each returned data"


def load_panel_expressions(path: Path | None) -> dict[str, list[str]]:
    """Return each panel's queries from `path`, or from the dashboard the code
    builds (which a test keeps equal to the committed JSON file)."""
    from applylens.observability.dashboard import panel_expressions, render_dashboard

    text = path.read_text(encoding="utf-8") if path else render_dashboard()
    return panel_expressions(json.loads(text))


# The canary steps


class FlagSwitch:
    """Flip chat streaming through the admin API, or, without an admin token,
    in the state database as `applylens flags set` does."""

    def __init__(self, options: DrillOptions) -> None:
        self.options = options

    @property
    def route(self) -> str:
        if self.options.admin_token:
            return f"PUT {FLAG_PATH}"
        return f"the state database {self.options.state_path}"

    def set(self, enabled: bool) -> None:
        if not self.options.admin_token:
            from applylens.api.flags import CHAT_STREAMING, write_flag

            write_flag(self.options.state_path, CHAT_STREAMING, enabled, "cli:drill")
            return
        response = httpx.put(
            self.options.api_url + FLAG_PATH,
            json={"enabled": enabled},
            headers={"Authorization": f"Bearer {self.options.admin_token}"},
            timeout=30,
        )
        _expect(response, 200)


class CanarySteps:
    def __init__(self, chat: ChatClient, options: DrillOptions) -> None:
        self.chat = chat
        self.options = options
        self.switch = FlagSwitch(options)
        self.switched_off = False

    def streaming_works(self) -> str:
        result = self.chat.stream(HIT_QUESTION)
        if result.status == 503:
            raise DrillFailure(
                "streaming is switched off: switch it on with `applylens flags "
                "set chat_streaming on` before the drill"
            )
        missing = {"ready", "delta", "answer", "done"} - set(result.names)
        if result.status != 200 or missing:
            raise DrillFailure(
                f"the stream returned {result.status} without {sorted(missing)}"
            )
        deltas = result.names.count("delta")
        return f"{len(result.events)} events ({deltas} deltas) in {_ms(result.seconds)}"

    def switch_off(self) -> str:
        seconds = self._switch(False)
        return self._switch_detail("off", seconds)

    def switch_on(self) -> str:
        seconds = self._switch(True)
        return self._switch_detail("on", seconds)

    def _switch(self, enabled: bool) -> float:
        started = time.perf_counter()
        self.switched_off = not enabled
        self.switch.set(enabled)
        return self._wait_for_state(enabled, started)

    def _wait_for_state(self, enabled: bool, started: float) -> float:
        """Poll the stream until the new state has shown in `confirmations`
        responses in a row spanning STABLE_SECONDS, and return the time to the
        first of them: from then on no process served the old state."""
        deadline = started + self.options.switch_timeout
        first_seen: float | None = None
        in_a_row = 0
        while time.perf_counter() < deadline:
            polled_at = time.perf_counter()
            response = self.chat.stream_status(MISS_QUESTION)
            if (response.status_code != 503) == enabled:
                first_seen = polled_at if first_seen is None else first_seen
                in_a_row += 1
                is_stable = polled_at - first_seen >= STABLE_SECONDS
                if in_a_row >= self.options.confirmations and is_stable:
                    return first_seen - started
            else:
                first_seen, in_a_row = None, 0
            time.sleep(POLL_INTERVAL_SECONDS)
        state = "on" if enabled else "off"
        raise DrillFailure(
            f"the stream did not show streaming {state} within "
            f"{self.options.switch_timeout:g} s of the switch through "
            f"{self.switch.route}"
        )

    def _switch_detail(self, state: str, seconds: float) -> str:
        verdict = "within" if seconds < SWITCH_TARGET_SECONDS else "over"
        return (
            f"switched {state} through {self.switch.route}; took effect in "
            f"{seconds:.2f} s ({self.options.confirmations} or more responses in a "
            f"row over {STABLE_SECONDS:g} s), "
            f"{verdict} the {SWITCH_TARGET_SECONDS:g} s target; a container restart "
            f"takes about {RESTART_ESTIMATE_SECONDS} s (an estimate)"
        )

    def while_off(self) -> str:
        result = self.chat.stream(HIT_QUESTION)
        if result.status != 503:
            raise DrillFailure(f"the stream returned {result.status}, expected 503")
        header = result.headers.get("x-chat-streaming-disabled")
        if header != "1":
            raise DrillFailure(f"X-Chat-Streaming-Disabled is {header!r}, expected '1'")
        retry_after = result.headers.get("retry-after")
        if not retry_after:
            raise DrillFailure("the 503 has no Retry-After header")
        status, data = self.chat.ask(HIT_QUESTION, 30)
        if status != 200:
            raise DrillFailure(f"POST {CHAT_PATH} returned {status}: {data}")
        return (
            f"stream 503 with X-Chat-Streaming-Disabled: 1 and Retry-After: "
            f"{retry_after}; POST {CHAT_PATH} answered 200 "
            f"({data['search']['total_hits']} hits)"
        )

    def latency(self) -> str:
        posts, streams, firsts = [], [], []
        for _ in range(self.options.samples):
            started = time.perf_counter()
            status, data = self.chat.ask(HIT_QUESTION, 30)
            posts.append(time.perf_counter() - started)
            if status != 200:
                raise DrillFailure(f"POST {CHAT_PATH} returned {status}: {data}")
            result = self.chat.stream(HIT_QUESTION)
            if result.status != 200 or not result.events:
                raise DrillFailure(f"the stream returned {result.status}")
            streams.append(result.seconds)
            firsts.append(result.events[0][1])
        post, stream = statistics.median(posts), statistics.median(streams)
        return (
            f"median of {self.options.samples}: streamed answer {_ms(stream)} "
            f"(first event {_ms(statistics.median(firsts))}) against non-streamed "
            f"{_ms(post)}, ratio {stream / post:.2f}"
        )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# Running it all


def run_drill(options: DrillOptions, echo: Callable[[str], None]) -> StepRunner:
    runner = StepRunner(echo)
    started = time.perf_counter()
    if "ilm" in options.features:
        run_ilm(runner, options)
    with _clients(options) as (chat, prometheus):
        dashboard = DashboardSteps(chat, prometheus, options)
        if "dashboard" in options.features:
            runner.run("dashboard questions", dashboard.questions)
        if "canary" in options.features:
            run_canary(runner, CanarySteps(chat, options))
        if "dashboard" in options.features:
            runner.run("dashboard rate-limit", dashboard.rate_limit)
            runner.run("dashboard panels", dashboard.panels)
    passed = sum(result.status == "PASS" for result in runner.results)
    echo(
        f"drill: {passed} of {len(runner.results)} steps passed in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return runner


def run_canary(runner: StepRunner, steps: CanarySteps) -> None:
    runner.run("canary stream", steps.streaming_works)
    runner.run("canary switch-off", steps.switch_off)
    runner.run("canary while-off", steps.while_off)
    if steps.switched_off and "canary" in runner.failed_features:
        restore_streaming(runner, steps.switch)
    runner.run("canary switch-on", steps.switch_on)
    runner.run("canary stream-again", steps.streaming_works)
    runner.run("canary latency", steps.latency)


def restore_streaming(runner: StepRunner, switch: FlagSwitch) -> None:
    """Switch streaming on again after a failed canary step, so that the drill
    never leaves it off."""
    try:
        switch.set(True)
    except (DrillFailure, ApplyLensError, httpx.HTTPError) as exc:
        runner.echo(
            f"canary: a step failed and switching streaming on again failed too "
            f"({exc}): run `applylens flags set chat_streaming on`"
        )
        return
    runner.echo("canary: a step failed, so streaming was switched on again")


@contextmanager
def _clients(options: DrillOptions) -> Iterator[tuple[ChatClient, PrometheusClient]]:
    chat = ChatClient(options)
    prometheus = PrometheusClient(options.prometheus_url)
    try:
        yield chat, prometheus
    finally:
        chat.close()
        prometheus.close()


FEATURES = ("ilm", "dashboard", "canary")


@click.command("drill")
@click.option(
    "--api-url",
    type=http_url("API", "http://127.0.0.1:8000"),
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The API itself; the admin switch goes here.",
)
@click.option(
    "--proxy-url",
    type=http_url("proxy", "http://127.0.0.1:8080"),
    help="nginx in front of the API; chat traffic goes through it when given.",
)
@click.option(
    "--prometheus-url",
    type=http_url("Prometheus", "http://127.0.0.1:9090"),
    default="http://127.0.0.1:9090",
    show_default=True,
)
@click.option(
    "--es-url",
    type=ES_URL,
    help="Elasticsearch URL (default APPLYLENS_ES_URL, http://127.0.0.1:9200).",
)
@click.option(
    "--token",
    envvar="APPLYLENS_DRILL_TOKEN",
    help="API token of the user the drill asks as (multi-user mode; "
    "default APPLYLENS_DRILL_TOKEN).",
)
@click.option(
    "--admin-token",
    envvar="APPLYLENS_ADMIN_TOKEN",
    help="Admin token for the streaming switch (default APPLYLENS_ADMIN_TOKEN); "
    "without it the drill writes the switch to this data directory's state "
    "database, as `applylens flags set` does.",
)
@click.option(
    "--job",
    default="applylens-api",
    show_default=True,
    help="Prometheus job that scrapes the API.",
)
@click.option(
    "--scrape-timeout",
    type=click.FloatRange(min=1),
    default=90,
    show_default=True,
    help="Seconds to wait for Prometheus to scrape and panels to show data.",
)
@click.option(
    "--switch-timeout",
    type=click.FloatRange(min=1),
    default=20,
    show_default=True,
    help="Seconds to wait for a streaming switch to take effect.",
)
@click.option(
    "--confirmations",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Responses in a row, each on a new connection, that must show a switch.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Questions asked each way for the latency comparison.",
)
@click.option(
    "--only",
    "features",
    multiple=True,
    type=click.Choice(FEATURES),
    help="Run only this feature's steps (repeatable; default all).",
)
@click.option(
    "--dashboard",
    "dashboard_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Dashboard JSON whose panel queries are checked (default: the "
    "dashboard this version builds).",
)
def drill_command(
    api_url: str,
    proxy_url: str | None,
    prometheus_url: str,
    es_url: str | None,
    token: str | None,
    admin_token: str | None,
    job: str,
    scrape_timeout: float,
    switch_timeout: float,
    confirmations: int,
    samples: int,
    features: tuple[str, ...],
    dashboard_file: Path | None,
) -> None:
    """Run the operations guide's checks against a running deployment."""
    settings = get_settings()
    options = DrillOptions(
        api_url=api_url.rstrip("/"),
        proxy_url=proxy_url.rstrip("/") if proxy_url else None,
        prometheus_url=prometheus_url.rstrip("/"),
        es_url=es_url or settings.es_url,
        es_alias=settings.es_alias,
        token=token,
        admin_token=admin_token or None,
        state_path=settings.state_path,
        job=job,
        scrape_timeout=scrape_timeout,
        switch_timeout=switch_timeout,
        confirmations=confirmations,
        samples=samples,
        features=features or FEATURES,
        dashboard_file=dashboard_file,
    )
    runner = run_drill(options, click.echo)
    if not runner.all_passed:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(drill_command)
