"""`applylens drill` against services that are not there: each failed step
says what failed, the rest of its feature is skipped, and the exit code is 1."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.live import APPLYLENS, free_port, product_env


def run_drill(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [APPLYLENS, "drill", *args],
        env=product_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_drill_without_elasticsearch_fails_ilm(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_drill(tmp_path, "--only", "ilm", "--es-url", url)
    assert result.returncode == 1, result.stdout + result.stderr
    first, *rest = result.stdout.splitlines()[:6]
    assert first.startswith("FAIL  ilm feature"), first
    assert url in first, first
    assert all(line.startswith("SKIP  ilm ") for line in rest), rest


def test_drill_without_api_fails_dashboard(tmp_path: Path) -> None:
    api_url = f"http://127.0.0.1:{free_port()}"
    prometheus_url = f"http://127.0.0.1:{free_port()}"
    result = run_drill(
        tmp_path,
        "--only",
        "dashboard",
        "--api-url",
        api_url,
        "--prometheus-url",
        prometheus_url,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL  dashboard questions"), lines
    assert "ConnectError" in lines[0], lines[0]
    assert lines[1].startswith("SKIP  dashboard rate-limit"), lines
    assert lines[2].startswith("SKIP  dashboard panels"), lines
    assert lines[3].startswith("drill: 0 of 3 steps passed"), lines


def test_drill_rejects_unknown_feature(tmp_path: Path) -> None:
    result = run_drill(tmp_path, "--only", "grafana")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'grafana' is not one of" in result.stderr, result.stderr
