"""The dashboard shows data: Debian's Prometheus scrapes a live `applylens serve`
over the demo mailbox, and every panel's expressions return the values the
test traffic implies.

Rates in the panels use 5-minute windows while the traffic lasts under a
minute, so a rate times 300 is compared with the count sent. Prometheus
extrapolates a little past the first and last samples, which the tolerances
below allow for. Ratios of series from the same scrape are exact.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from applylens.observability.dashboard import panel_expressions
from applylens.observability.metrics import window_bucket
from support.live import (
    PrometheusClient,
    Service,
    product_env,
    run_cli,
    start_api,
    start_prometheus,
)

from .observability_support import DASHBOARD_FILE

pytestmark = [pytest.mark.services, pytest.mark.slow]

JOB = "applylens-api"
RATE_WINDOW_SECONDS = 300
ADMIN_TOKEN = "live-test-admin"
# Ten chat requests are allowed per minute: the scenario's eight POSTs, one
# stream and one fallback POST. The next chat requests get 429.
RATE_LIMIT = "10/minute"
HIT_QUESTION = "find emails about interviews"
MISS_QUESTION = "find emails about zqxjvk quasarmarmalade"
WINDOWS = (7, 30, 60, 90)
HEARTBEATS = 4
CHAT_OPENS = 2

DASHBOARD = json.loads(DASHBOARD_FILE.read_text())
PANELS = panel_expressions(DASHBOARD)


@dataclass
class Exchange:
    route: str
    window_days: int
    status: int
    has_hits: bool | None = None


@dataclass
class Ledger:
    """What the scenario sent and what the API returned."""

    exchanges: list[Exchange] = field(default_factory=list)
    heartbeats: int = 0
    chat_opens: int = 0
    canary_seen_at: float = 0.0

    def answered(self) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if exchange.status == 200]

    def questions(self, bucket: str, has_hits: bool | None = None) -> int:
        return sum(
            1
            for exchange in self.answered()
            if window_bucket(exchange.window_days) == bucket
            and (has_hits is None or exchange.has_hits is has_hits)
        )

    def requests(self, route: str, status: int | None = None) -> int:
        return sum(
            1
            for exchange in self.exchanges
            if exchange.route == route and status in (None, exchange.status)
        )


def stream_answer(text: str) -> dict[str, Any] | None:
    for block in text.split("\n\n"):
        lines = block.splitlines()
        if "event: answer" in lines:
            data = [
                line[len("data: ") :] for line in lines if line.startswith("data: ")
            ]
            answer: dict[str, Any] = json.loads("".join(data))
            return answer
    return None


class ChatClient:
    def __init__(self, base_url: str, ledger: Ledger) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.ledger = ledger

    def ask(self, question: str, window_days: int) -> Exchange:
        body = {
            "messages": [{"role": "user", "content": question}],
            "window_days": window_days,
        }
        response = self.http.post("/api/chat", json=body)
        exchange = Exchange("/api/chat", window_days, response.status_code)
        if response.status_code == 200:
            exchange.has_hits = response.json()["search"]["total_hits"] > 0
        self.ledger.exchanges.append(exchange)
        return exchange

    def stream(
        self, question: str, window_days: int
    ) -> tuple[Exchange, httpx.Response]:
        params = {"q": question, "window_days": window_days}
        response = self.http.get("/api/chat/stream", params=params)
        exchange = Exchange("/api/chat/stream", window_days, response.status_code)
        if response.status_code == 200:
            answer = stream_answer(response.text)
            assert answer is not None, f"no answer event in {response.text[:2000]}"
            exchange.has_hits = answer["search"]["total_hits"] > 0
        self.ledger.exchanges.append(exchange)
        return exchange, response

    def set_streaming(self, enabled: bool) -> None:
        response = self.http.put(
            "/api/admin/flags/chat_streaming",
            json={"enabled": enabled},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["enabled"] is enabled, response.text

    def visit_page(self) -> None:
        for _ in range(CHAT_OPENS):
            assert self.http.post("/api/ux/chat/opened").status_code == 204
            self.ledger.chat_opens += 1
        for _ in range(HEARTBEATS):
            response = self.http.post("/api/ux/heartbeat", json={"page": "chat"})
            assert response.status_code == 204, response.text
            self.ledger.heartbeats += 1


def send_questions(client: ChatClient, prometheus: PrometheusClient) -> None:
    """Send the ten questions: eight POSTs over every window, with and without
    hits, one stream, and one stream with streaming off, asked again by POST
    as the web page's fallback does."""
    for window_days in WINDOWS:
        assert client.ask(HIT_QUESTION, window_days).status == 200
        assert client.ask(MISS_QUESTION, window_days).status == 200

    exchange, _ = client.stream(HIT_QUESTION, 30)
    assert exchange.status == 200

    client.set_streaming(False)
    exchange, response = client.stream(HIT_QUESTION, 7)
    assert exchange.status == 503, response.text
    assert response.headers.get("x-chat-streaming-disabled") == "1"
    assert client.ask(HIT_QUESTION, 7).status == 200
    # Prometheus must see the flag at 0, as it would during a real canary, or
    # the 503 would look unplanned to the alert rule.
    prometheus.wait_for_scrapes(JOB, after=time.time(), count=2)
    client.ledger.canary_seen_at = time.time()
    client.set_streaming(True)


def exceed_rate_limit(client: ChatClient) -> None:
    """Send chat requests until both chat routes have returned a 429."""
    for _ in range(30):
        rejected_posts = client.ledger.requests("/api/chat", 429)
        rejected_streams = client.ledger.requests("/api/chat/stream", 429)
        if rejected_posts and rejected_streams:
            return
        if not rejected_posts:
            client.ask(MISS_QUESTION, 60)
        else:
            client.stream(MISS_QUESTION, 60)
    pytest.fail(f"no 429 after 30 chat requests with limit {RATE_LIMIT}")


@dataclass
class Scenario:
    prometheus: PrometheusClient
    ledger: Ledger
    api: Service


@pytest.fixture(scope="module")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("live-data")
    run_cli(product_env(data_dir), "demo", "--count", "600")
    return data_dir


@pytest.fixture(scope="module")
def scenario(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    logs = tmp_path_factory.mktemp("live-logs")
    api, base_url = start_api(
        demo_data_dir,
        logs,
        APPLYLENS_RATE_LIMIT=RATE_LIMIT,
        APPLYLENS_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    prometheus_service: Service | None = None
    try:
        target = base_url.removeprefix("http://")
        prometheus_service, prometheus = start_prometheus(logs, target)
        # The series must be in Prometheus at zero before the traffic, so that
        # rate() counts every request the traffic adds.
        prometheus.wait_for_scrapes(JOB, after=0, count=2)

        ledger = Ledger()
        client = ChatClient(base_url, ledger)
        try:
            send_questions(client, prometheus)
            exceed_rate_limit(client)
            client.visit_page()
        finally:
            client.http.close()
        api.assert_running()

        prometheus.wait_for_scrapes(JOB, after=time.time(), count=2)
        yield Scenario(prometheus, ledger, api)
    finally:
        if prometheus_service is not None:
            prometheus_service.stop()
        api.stop()


def assert_count(rate: float | None, expected: int, subject: str) -> None:
    """Check a per-second rate over the 5-minute window against a count."""
    assert rate is not None, f"{subject}: no series"
    if expected == 0:
        assert rate == 0, f"{subject}: rate {rate}, expected 0"
        return
    counted = rate * RATE_WINDOW_SECONDS
    assert 0.85 * expected <= counted <= 1.35 * expected, (
        f"{subject}: {counted:.2f} counted, expected {expected}"
    )


def assert_increase(value: float | None, expected: int, subject: str) -> None:
    assert value is not None, f"{subject}: no series"
    assert 0.85 * expected <= value <= 1.35 * expected, (
        f"{subject}: increase {value:.2f}, expected {expected}"
    )


def assert_ratio(value: float | None, expected: float, subject: str) -> None:
    assert value is not None, f"{subject}: no series"
    assert math.isclose(value, expected, rel_tol=0.03, abs_tol=0.005), (
        f"{subject}: {value:.4f}, expected {expected:.4f}"
    )


Values = dict[tuple[tuple[str, str], ...], float]


def by_label(values: Values, name: str) -> dict[str, float]:
    return {dict(labels)[name]: value for labels, value in values.items()}


def only(values: Values) -> float | None:
    assert len(values) <= 1, f"expected one series, got {values}"
    return next(iter(values.values()), None)


def check_queries_by_window(results: list[Values], ledger: Ledger) -> None:
    series = {
        (dict(labels)["window_bucket"], dict(labels)["has_hits"]): value
        for labels, value in results[0].items()
    }
    for bucket in ("7", "30", "60", "90+"):
        for has_hits in (True, False):
            key = (bucket, "true" if has_hits else "false")
            expected = ledger.questions(bucket, has_hits)
            assert_count(series.get(key), expected, f"questions {key}")


def check_zero_hit_ratio(results: list[Values], ledger: Ledger) -> None:
    ratios = by_label(results[0], "window_bucket")
    for bucket in ("7", "30", "60", "90+"):
        total = ledger.questions(bucket)
        expected = ledger.questions(bucket, False) / total
        assert_ratio(ratios.get(bucket), expected, f"zero-hit ratio {bucket}")


def check_hit_ratio(results: list[Values], ledger: Ledger) -> None:
    answered = ledger.answered()
    hits = sum(1 for exchange in answered if exchange.has_hits)
    assert_ratio(only(results[0]), hits / len(answered), "hit ratio")


def check_rate_limited(results: list[Values], ledger: Ledger) -> None:
    per_path = by_label(results[0], "path")
    for path in ("/api/chat", "/api/chat/stream"):
        expected = ledger.requests(path, 429)
        assert_count(per_path.get(path), expected, f"429s on {path}")


def check_search_latency(results: list[Values], ledger: Ledger) -> None:
    p50 = by_label(results[0], "backend").get("sqlite")
    p95 = by_label(results[1], "backend").get("sqlite")
    assert p50 is not None and p95 is not None, f"no sqlite latency: {results}"
    assert 0 < p50 <= p95 <= 10, f"p50 {p50}, p95 {p95}"


def check_active_sessions(results: list[Values], ledger: Ledger) -> None:
    assert only(results[0]) == 0, "every stream has ended"
    pages = only(results[1])
    # Heartbeats per second over 2 minutes, times the 30-second period.
    expected = ledger.heartbeats * 30 / 120
    assert pages is not None, "no heartbeat series"
    assert 0.85 * expected <= pages <= 1.35 * expected, f"visible pages {pages}"


def check_engagement(results: list[Values], ledger: Ledger) -> None:
    assert_increase(only(results[0]), ledger.chat_opens, "chat opens")
    assert_increase(only(results[1]), len(ledger.answered()), "questions")


def check_questions_per_open(results: list[Values], ledger: Ledger) -> None:
    expected = len(ledger.answered()) / ledger.chat_opens
    assert_ratio(only(results[0]), expected, "questions per open")


def check_stream_errors(results: list[Values], ledger: Ledger) -> None:
    expected = ledger.requests("/api/chat/stream", 503)
    assert_count(only(results[0]), expected, "stream 503s")
    assert only(results[1]) == 1, "streaming was switched on again"


def stream_share(ledger: Ledger) -> float:
    return ledger.requests("/api/chat/stream") / ledger.requests("/api/chat")


def check_stream_share(results: list[Values], ledger: Ledger) -> None:
    assert_ratio(only(results[0]), stream_share(ledger), "stream share")


PANEL_CHECKS: dict[str, Callable[[list[Values], Ledger], None]] = {
    "Questions per second by window bucket": check_queries_by_window,
    "Zero-hit ratio by window bucket": check_zero_hit_ratio,
    "Hit ratio, last 15 minutes": check_hit_ratio,
    "429s per second on chat routes": check_rate_limited,
    "Search latency p50 and p95": check_search_latency,
    "Active chat sessions": check_active_sessions,
    "Engagement: chat opens and questions": check_engagement,
    "Questions per chat open": check_questions_per_open,
    "Stream 503s and the streaming flag": check_stream_errors,
    "Streamed against non-streamed chat requests": check_stream_share,
}


def test_scenario_sent_hits_and_misses(scenario: Scenario) -> None:
    answered = scenario.ledger.answered()

    assert any(exchange.has_hits for exchange in answered), "no question had hits"
    assert any(not exchange.has_hits for exchange in answered), "every question hit"
    assert len(answered) >= 10


@pytest.mark.parametrize("title", list(PANELS))
def test_panel_shows_expected_data(scenario: Scenario, title: str) -> None:
    assert title in PANEL_CHECKS, f"panel {title!r} has no expected values here"
    results = []
    for expr in PANELS[title]:
        values = scenario.prometheus.values(expr)
        finite = [value for value in values.values() if math.isfinite(value)]
        assert finite, f"panel {title!r} would show No data for {expr}: {values}"
        results.append(values)

    PANEL_CHECKS[title](results, scenario.ledger)


def test_monitoring_stream_503_rate(scenario: Scenario) -> None:
    expr = (
        'sum(rate(applylens_http_requests_total{status_code="503",'
        'path="/api/chat/stream"}[5m]))'
    )

    rate = only(scenario.prometheus.values(expr))

    assert_count(rate, scenario.ledger.requests("/api/chat/stream", 503), expr)


def test_monitoring_stream_to_post_ratio(scenario: Scenario) -> None:
    expr = (
        'sum(rate(applylens_http_requests_total{path="/api/chat/stream"}[5m]))'
        ' / sum(rate(applylens_http_requests_total{path="/api/chat"}[5m]))'
    )

    ratio = only(scenario.prometheus.values(expr))

    assert_ratio(ratio, stream_share(scenario.ledger), expr)


def test_prometheus_loaded_project_rules(scenario: Scenario) -> None:
    response = httpx.get(scenario.prometheus.base_url + "/api/v1/rules", timeout=10)
    groups = response.json()["data"]["groups"]
    alerts = {rule["name"] for group in groups for rule in group["rules"]}

    assert "ChatStreamUnplanned503" in alerts
    assert all(rule["health"] == "ok" for group in groups for rule in group["rules"]), (
        groups
    )


def rule_last_evaluation(prometheus: PrometheusClient, name: str) -> float:
    response = httpx.get(prometheus.base_url + "/api/v1/rules", timeout=10)
    for group in response.json()["data"]["groups"]:
        for rule in group["rules"]:
            if rule["name"] == name:
                # Prometheus reports nanoseconds, which datetime cannot parse.
                stamp = re.sub(r"\.(\d{6})\d*", r".\1", rule["lastEvaluation"])
                return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    pytest.fail(f"rule {name!r} is not loaded")


def test_canary_503_does_not_fire_alert(scenario: Scenario) -> None:
    # The only 503 came while streaming was off, so it is the planned canary.
    name = "ChatStreamUnplanned503"
    evaluated = rule_last_evaluation(scenario.prometheus, name)
    alerts = scenario.prometheus.query(f'ALERTS{{alertname="{name}"}}')

    assert evaluated > scenario.ledger.canary_seen_at, "rule not evaluated since"
    assert alerts == []


def test_metrics_scrapes_not_counted(scenario: Scenario) -> None:
    values = scenario.prometheus.values(
        'applylens_http_requests_total{path="/metrics"}'
    )

    assert values == {}


def test_metrics_scrapes_not_logged(scenario: Scenario) -> None:
    log = scenario.api.output()

    assert "/api/chat/stream" in log, "the request log is missing"
    assert "/metrics" not in log
