"""`applylens drill` against a local copy of the production stack: a real
Elasticsearch, `applylens serve` with two workers in multi-user mode over it,
Redis for the shared rate limit, Prometheus with the production scrape
configuration and token, and nginx with the project's configuration in front.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.guide import promql_expressions, read_guide
from deploy.stack import (
    load_fetch_elasticsearch,
    start_nginx,
    start_prometheus_prod,
    start_redis,
    wait_for_healthy_scrape,
)
from support.live import APPLYLENS, Service, product_env, run_cli, start_api

pytestmark = [pytest.mark.services, pytest.mark.elasticsearch, pytest.mark.slow]

ADMIN_TOKEN = "drill-admin-token"
METRICS_TOKEN = "drill-metrics-token"
JOB = "applylens-api"
ES_VERSION = load_fetch_elasticsearch().PINNED_VERSIONS[0]
STEPS = (
    "ilm feature",
    "ilm setup-ilm",
    "ilm verify",
    "ilm rollover",
    "ilm rollback",
    "ilm restore",
    "dashboard questions",
    "canary stream",
    "canary switch-off",
    "canary while-off",
    "canary switch-on",
    "canary stream-again",
    "canary latency",
    "dashboard rate-limit",
    "dashboard panels",
)


@dataclass
class Stack:
    data_dir: Path
    env: dict[str, str]
    api_url: str
    proxy_url: str
    prometheus_url: str
    es_url: str
    user_token: str
    second_token: str


@pytest.fixture(scope="module")
def es_url() -> Iterator[str]:
    node = load_fetch_elasticsearch().LocalNode(ES_VERSION)
    try:
        url = node.start()
    except (RuntimeError, TimeoutError) as exc:
        pytest.fail(f"Elasticsearch {ES_VERSION} did not start: {exc}")
    try:
        yield url
    finally:
        node.stop()


@pytest.fixture(scope="module")
def stack(es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("drill-stack")
    data_dir = root / "data"
    settings = {
        "APPLYLENS_BACKEND": "elasticsearch",
        "APPLYLENS_ES_URL": es_url,
        "APPLYLENS_MULTI_USER": "true",
        "APPLYLENS_ADMIN_TOKEN": ADMIN_TOKEN,
        "APPLYLENS_METRICS_TOKEN": METRICS_TOKEN,
        "APPLYLENS_TRUSTED_PROXIES": "127.0.0.1",
        "APPLYLENS_RATE_LIMIT": "60/minute",
        # No retention purge, which would delete the demo's older mail while
        # the drill compares message counts.
        "APPLYLENS_RETENTION_DAYS": "0",
    }
    env = product_env(data_dir, **settings)
    run_cli(env, "es", "setup-ilm", "--without-ilm")
    run_cli(env, "demo", "--count", "300")
    # The demo mailbox belongs to the owner "local"; this user is that owner.
    user_token = run_cli(env, "users", "add", "local").strip()
    # A second user, with a rate limit of its own, for the second drill run.
    second_token = run_cli(env, "users", "add", "second").strip()

    services: list[Service] = []
    try:
        redis, redis_url = start_redis(_folder(root, "redis"))
        services.append(redis)
        api, api_url = start_api(
            data_dir,
            _folder(root, "api"),
            "--workers",
            "2",
            **settings,
            APPLYLENS_REDIS_URL=redis_url,
        )
        services.append(api)
        target = api_url.removeprefix("http://")
        prometheus, prometheus_url = start_prometheus_prod(
            _folder(root, "prometheus"), target, METRICS_TOKEN
        )
        services.append(prometheus)
        wait_for_healthy_scrape(prometheus_url, JOB)
        nginx, proxy_url = start_nginx(_folder(root, "nginx"), api_url)
        services.append(nginx)
        yield Stack(
            data_dir,
            env,
            api_url,
            proxy_url,
            prometheus_url,
            es_url,
            user_token,
            second_token,
        )
    finally:
        for service in reversed(services):
            service.stop()


def _folder(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def drill_output(stack: Stack) -> str:
    argv = [
        APPLYLENS,
        "drill",
        "--api-url",
        stack.api_url,
        "--proxy-url",
        stack.proxy_url,
        "--prometheus-url",
        stack.prometheus_url,
        "--es-url",
        stack.es_url,
        "--token",
        stack.user_token,
        "--admin-token",
        ADMIN_TOKEN,
        "--scrape-timeout",
        "30",
    ]
    result = subprocess.run(
        argv, env=stack.env, capture_output=True, text=True, timeout=240
    )
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, output
    return result.stdout


@pytest.fixture(scope="module")
def state_database_output(stack: Stack, drill_output: str) -> str:
    """Run the canary steps again without the admin token, so that the drill
    flips the flag in the state database as `applylens flags set` does."""
    env = {k: v for k, v in stack.env.items() if k != "APPLYLENS_ADMIN_TOKEN"}
    argv = [
        APPLYLENS,
        "drill",
        "--only",
        "canary",
        "--api-url",
        stack.api_url,
        "--proxy-url",
        stack.proxy_url,
        "--token",
        stack.second_token,
    ]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, output
    return result.stdout


def step_line(output: str, name: str) -> str:
    for line in output.splitlines():
        if re.match(rf"^\w+\s+{re.escape(name)}\s", line):
            return line
    raise AssertionError(f"no line for step {name!r} in:\n{output}")


@pytest.mark.parametrize("name", STEPS)
def test_drill_step_passes(drill_output: str, name: str) -> None:
    line = step_line(drill_output, name)
    assert line.startswith("PASS "), line


def test_drill_step_lines_carry_times(drill_output: str) -> None:
    for name in STEPS:
        line = step_line(drill_output, name)
        assert re.search(r"\s\d+\.\d\d s\s", line), line


def test_drill_summary_counts_every_step(drill_output: str) -> None:
    assert f"drill: {len(STEPS)} of {len(STEPS)} steps passed" in drill_output


def test_drill_ilm_reports_missing_feature(drill_output: str) -> None:
    line = step_line(drill_output, "ilm feature")
    assert "has no index lifecycle management" in line, line


def test_drill_rollover_creates_second_index(drill_output: str) -> None:
    line = step_line(drill_output, "ilm rollover")
    assert "-> gmail_emails-000002" in line, line


def test_drill_rollback_keeps_mail_searchable(drill_output: str) -> None:
    line = step_line(drill_output, "ilm rollback")
    assert "stay searchable" in line, line


@pytest.mark.parametrize("name", ["canary switch-off", "canary switch-on"])
def test_drill_switch_prints_time_to_effect(drill_output: str, name: str) -> None:
    line = step_line(drill_output, name)
    match = re.search(r"took effect in (\d+\.\d+) s", line)
    assert match, line
    assert "a container restart takes about 30 s (an estimate)" in line, line


def test_drill_switch_within_generous_bound(drill_output: str) -> None:
    # The product's target is 2 s; 10 s leaves room for a loaded machine.
    for name in ("canary switch-off", "canary switch-on"):
        line = step_line(drill_output, name)
        match = re.search(r"took effect in (\d+\.\d+) s", line)
        assert match and float(match.group(1)) < 10, line


def test_drill_latency_compares_both_ways(drill_output: str) -> None:
    line = step_line(drill_output, "canary latency")
    assert re.search(
        r"streamed answer \d+ ms \(first event \d+ ms\) against non-streamed "
        r"\d+ ms, ratio \d+\.\d\d",
        line,
    ), line


def test_drill_panels_all_return_data(drill_output: str) -> None:
    line = step_line(drill_output, "dashboard panels")
    assert "each returned data" in line, line


@pytest.mark.parametrize("expression", promql_expressions(read_guide()))
def test_guide_promql_runs_on_prometheus(
    stack: Stack, drill_output: str, expression: str
) -> None:
    response = httpx.get(
        stack.prometheus_url + "/api/v1/query",
        params={"query": expression},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "success", response.text


@pytest.mark.parametrize("name", ["canary switch-off", "canary switch-on"])
def test_drill_switch_through_state_database(
    state_database_output: str, name: str
) -> None:
    line = step_line(state_database_output, name)
    assert line.startswith("PASS "), line
    assert "through the state database" in line, line


def test_drill_only_canary_runs_canary_steps(state_database_output: str) -> None:
    assert "drill: 6 of 6 steps passed" in state_database_output
