"""The Prometheus configuration and alert rules, checked and unit-tested with
Debian's promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from support.live import PROMETHEUS_DIR

from .observability_support import (
    exported_metric_names,
    metric_names_in,
)

RULES_FILE = PROMETHEUS_DIR / "applylens-rules.yml"
RULES_TEST_FILE = PROMETHEUS_DIR / "applylens-rules.test.yml"
CONFIG_FILE = PROMETHEUS_DIR / "prometheus.yml"


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool") or "/usr/bin/promtool"
    if not Path(path).is_file():
        pytest.fail("promtool is missing; install Debian's prometheus package")
    return path


def run_promtool(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def load_rules() -> list[dict[str, object]]:
    document = yaml.safe_load(RULES_FILE.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_rules_file_passes_promtool_check(promtool: str) -> None:
    result = run_promtool(promtool, "check", "rules", RULES_FILE.name)

    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_unit_tests_pass(promtool: str) -> None:
    result = run_promtool(promtool, "test", "rules", RULES_TEST_FILE.name)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rules_unit_tests_detect_wrong_expectation(
    promtool: str, tmp_path: Path
) -> None:
    shutil.copy(RULES_FILE, tmp_path / RULES_FILE.name)
    broken = RULES_TEST_FILE.read_text().replace("0.20 requests", "0.30 requests")
    (tmp_path / RULES_TEST_FILE.name).write_text(broken)

    result = subprocess.run(
        [promtool, "test", "rules", RULES_TEST_FILE.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0, result.stdout
    assert "ChatRateLimitedSustained" in result.stdout + result.stderr


def test_prometheus_config_passes_promtool_check(promtool: str) -> None:
    result = run_promtool(promtool, "check", "config", CONFIG_FILE.name)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout + result.stderr


def test_rules_cover_each_required_alert() -> None:
    alerts = {rule["alert"] for rule in load_rules()}

    required = {
        "ChatRateLimitedSustained",
        "ChatStreamUnplanned503",
        "AssistantHitRatioLow",
        "SearchLatencyP95High",
        "ImportFailures",
    }
    assert required <= alerts


def test_rules_each_alert_tested_firing_and_silent() -> None:
    cases = yaml.safe_load(RULES_TEST_FILE.read_text())["tests"]
    firing: set[str] = set()
    silent: set[str] = set()
    for case in cases:
        for check in case["alert_rule_test"]:
            target = firing if check["exp_alerts"] else silent
            target.add(check["alertname"])

    alerts = {str(rule["alert"]) for rule in load_rules()}
    assert alerts - firing == set(), "alerts without a firing case"
    assert alerts - silent == set(), "alerts without a not-firing case"


def test_rules_read_only_exported_metrics() -> None:
    exported = exported_metric_names()

    for rule in load_rules():
        unknown = metric_names_in(str(rule["expr"])) - exported
        assert unknown == set(), f"{rule['alert']} reads unknown metrics {unknown}"
