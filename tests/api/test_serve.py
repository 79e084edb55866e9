"""`applylens serve` as a real process: one uvicorn process, or gunicorn with
two workers that all see a flag change made with `applylens flags set`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from applylens.store.sqlite import SQLiteStore

from .conftest import free_port, sample_messages

APPLYLENS = Path(sys.executable).with_name("applylens")


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("APPLYLENS_", "CHAT_STREAMING_"))
    }
    env["APPLYLENS_DATA_DIR"] = str(data_dir)
    env["APPLYLENS_RETENTION_DAYS"] = "0"
    return env


def start_serve(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    # A file rather than a pipe, so a chatty server never blocks on a full pipe.
    with (data_dir / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [str(APPLYLENS), "serve", "--port", str(port), "--workers", str(workers)],
            env=cli_env(data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = server_log(data_dir)
            pytest.fail(f"applylens serve exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(process)
    pytest.fail("applylens serve was not ready within 30 s")


def server_log(data_dir: Path) -> str:
    return (data_dir / "serve.log").read_text(errors="replace")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers, whose process group it leads."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "serve-data"
    store = SQLiteStore(directory / "applylens.db")
    store.add_messages(sample_messages("local"))
    store.close()
    return directory


@pytest.fixture
def gunicorn_api(data_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    process, url = start_serve(data_dir, workers=2)
    yield url, process
    stop(process)


def flags_set(data_dir: Path, value: str) -> None:
    result = subprocess.run(
        [str(APPLYLENS), "flags", "set", "chat_streaming", value],
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def stream_statuses(url: str, count: int) -> list[int]:
    # A new connection per request, so that both workers get requests.
    statuses = []
    for _ in range(count):
        with httpx.Client(base_url=url, timeout=10) as client:
            response = client.get("/api/chat/stream", params={"q": "summarize"})
            statuses.append(response.status_code)
    return statuses


def seconds_until_all(url: str, status: int, timeout: float = 10) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if set(stream_statuses(url, 6)) == {status}:
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"the workers did not all answer {status} within {timeout} s")


@pytest.mark.slow
def test_serve_single_process_answers_chat(data_dir: Path) -> None:
    process, url = start_serve(data_dir, workers=1)
    try:
        response = httpx.post(
            f"{url}/api/chat",
            json={"messages": [{"role": "user", "content": "find interviews"}]},
            timeout=30,
        )
    finally:
        stop(process)
    output = server_log(data_dir)

    assert response.status_code == 200, output
    assert "flag chat_streaming is on" in output


@pytest.mark.slow
def test_serve_workers_see_flag_flip_within_two_seconds(
    gunicorn_api: tuple[str, subprocess.Popen[bytes]], data_dir: Path
) -> None:
    url, _ = gunicorn_api
    assert set(stream_statuses(url, 4)) == {200}

    flags_set(data_dir, "off")
    seconds_to_off = seconds_until_all(url, 503)
    flags_set(data_dir, "on")
    seconds_to_on = seconds_until_all(url, 200)

    assert seconds_to_off < 2
    assert seconds_to_on < 2


@pytest.mark.slow
def test_serve_workers_log_flag_change(data_dir: Path) -> None:
    process, url = start_serve(data_dir, workers=2)
    try:
        flags_set(data_dir, "off")
        seconds_until_all(url, 503)
    finally:
        stop(process)
    output = server_log(data_dir)

    assert "flag changed: chat_streaming is off" in output
    assert "updated by cli:" in output


@pytest.mark.slow
def test_serve_workers_count_metrics_together(
    gunicorn_api: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, _ = gunicorn_api
    for _ in range(20):
        with httpx.Client(base_url=url) as client:
            client.get("/healthz")
    metrics = httpx.get(f"{url}/metrics", timeout=10).text
    line = next(
        line
        for line in metrics.splitlines()
        if line.startswith("applylens_http_requests_total")
        and 'path="/healthz"' in line
    )

    assert float(line.rsplit(" ", 1)[1]) >= 20


def test_serve_public_host_single_user_rejected(data_dir: Path) -> None:
    result = subprocess.run(
        [str(APPLYLENS), "serve", "--host", "0.0.0.0"],
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "APPLYLENS_MULTI_USER" in result.stderr
