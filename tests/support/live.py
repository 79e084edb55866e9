"""Processes for the live tests: `applylens serve` and Debian's Prometheus on
127.0.0.1, each stopped by the fixture that started it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO_ROOT / "infra" / "prometheus"
APPLYLENS = str(Path(sys.executable).with_name("applylens"))
PROMETHEUS = "/usr/bin/prometheus"
SCRAPE_INTERVAL_SECONDS = 1
_CONFIG_PREFIXES = ("APPLYLENS_", "CHAT_STREAMING_", "PROMETHEUS_MULTIPROC")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def product_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Return this process's environment without product settings, plus
    `data_dir` and `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_CONFIG_PREFIXES)
    }
    env["APPLYLENS_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def wait_until(
    check: Callable[[], bool], timeout: float, awaited: str, log: Path | None = None
) -> None:
    """Poll `check` every 0.2 seconds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    pytest.fail(f"timed out after {timeout:g} s waiting for {awaited}\n{tail}")


@dataclass
class Service:
    """A process started by a test, with its combined output in `log`."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def assert_running(self) -> None:
        code = self.process.poll()
        assert code is None, f"{self.name} exited with {code}:\n{self.output()[-3000:]}"


def start_service(
    name: str, argv: list[str], env: dict[str, str], log: Path
) -> Service:
    handle = log.open("wb")
    process = subprocess.Popen(
        argv, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=log.parent
    )
    handle.close()
    return Service(name, process, log)


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run_cli(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [APPLYLENS, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"applylens {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def start_api(
    data_dir: Path, log_dir: Path, *args: str, **settings: str
) -> tuple[Service, str]:
    """Start `applylens serve` on a free port and wait until /healthz returns 200."""
    port = free_port()
    env = product_env(data_dir, **settings)
    argv = [APPLYLENS, "serve", "--port", str(port), *args]
    service = start_service("applylens serve", argv, env, log_dir / "serve.log")
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        service.assert_running()
        return http_ok(base_url + "/healthz")

    try:
        wait_until(ready, 90, f"{base_url}/healthz", service.log)
    except BaseException:
        service.stop()
        raise
    return service, base_url


def write_prometheus_config(directory: Path, target: str) -> Path:
    """Write the project's prometheus.yml with `target` as the only API target,
    a short scrape interval, and the rules file by absolute path."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    interval = f"{SCRAPE_INTERVAL_SECONDS}s"
    config["global"]["scrape_interval"] = interval
    config["global"]["evaluation_interval"] = interval
    config["rule_files"] = [
        str(PROMETHEUS_DIR / name) for name in config.get("rule_files", [])
    ]
    (job,) = [
        job for job in config["scrape_configs"] if job["job_name"] == "applylens-api"
    ]
    job["scrape_interval"] = interval
    job["scrape_timeout"] = interval
    job["static_configs"][0]["targets"] = [target]
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


class PrometheusClient:
    """Instant queries through Prometheus's HTTP API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = httpx.get(
            self.base_url + "/api/v1/query", params={"query": expr}, timeout=10
        )
        body = response.json()
        assert response.status_code == 200, f"{expr}: {body}"
        assert body["status"] == "success", f"{expr}: {body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def values(self, expr: str) -> dict[tuple[tuple[str, str], ...], float]:
        """Return each result series' labels (sorted pairs) with its value."""
        return {
            tuple(sorted(series["metric"].items())): float(series["value"][1])
            for series in self.query(expr)
        }

    def latest_scrape(self, job: str) -> float:
        """Return the time of the latest scrape of `job`, or 0 before the first."""
        result = self.query(f'timestamp(up{{job="{job}"}})')
        return float(result[0]["value"][1]) if result else 0.0

    def wait_for_scrapes(self, job: str, after: float, count: int) -> None:
        """Wait until `count` scrapes of `job` started after `after` (Unix time)."""
        target = after + (count - 1) * SCRAPE_INTERVAL_SECONDS
        wait_until(
            lambda: self.latest_scrape(job) > target,
            30 + count * SCRAPE_INTERVAL_SECONDS,
            f"{count} scrapes of {job} after {after}",
        )


def start_prometheus(directory: Path, target: str) -> tuple[Service, PrometheusClient]:
    config = write_prometheus_config(directory, target)
    service, base_url = launch_prometheus(directory, config)
    return service, PrometheusClient(base_url)


def launch_prometheus(directory: Path, config: Path) -> tuple[Service, str]:
    """Start Debian's Prometheus with `config` and wait until it is ready."""
    port = free_port()
    argv = [
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={directory / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1h",
    ]
    service = start_service("prometheus", argv, os.environ.copy(), directory / "log")
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        service.assert_running()
        return http_ok(base_url + "/-/ready")

    try:
        wait_until(ready, 60, f"Prometheus at {base_url}", service.log)
    except BaseException:
        service.stop()
        raise
    return service, base_url
