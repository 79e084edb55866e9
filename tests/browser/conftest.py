"""A real `applylens serve` over the demo mailbox, and Debian's Chromium
driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.live import product_env, run_cli, start_api

CHROMIUM = "/usr/bin/chromium"
# Flags that keep Chromium from reaching out to the network at start, which
# this machine refuses, and that let it run as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE_SUBJECT = '<img src=x onerror="window.__xss=1"> Interview at Hostile Corp'


def write_hostile_message(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "hostile.eml"
    path.write_bytes(
        (
            "From: Mallory <mallory@hostile.example>\r\n"
            "To: alex.rivera@example.com\r\n"
            f"Subject: {HOSTILE_SUBJECT}\r\n"
            "Message-ID: <hostile-1@hostile.example>\r\n"
            "Date: " + _recent_date() + "\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: text/html; charset="utf-8"\r\n'
            "\r\n"
            "<p>Hostile Corp would like to interview you.</p>"
            '<img src=x onerror="window.__xss=2"><script>window.__xss=3</script>\r\n'
        ).encode()
    )
    return path


def _recent_date() -> str:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    return format_datetime(datetime.now(UTC) - timedelta(days=1))


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("browser-data")
    env = product_env(data_dir)
    run_cli(env, "demo")
    extra = write_hostile_message(data_dir / "extra-mail")
    run_cli(env, "import", str(extra))
    return data_dir


@dataclass
class LiveServer:
    base_url: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def set_streaming(self, state: str) -> None:
        run_cli(self.env, "flags", "set", "chat_streaming", state)


def _serve(data_dir: Path, log_dir: Path, **settings: str) -> Iterator[LiveServer]:
    service, base_url = start_api(data_dir, log_dir, **settings)
    try:
        yield LiveServer(base_url, data_dir, product_env(data_dir, **settings))
    finally:
        service.stop()


@pytest.fixture(scope="module")
def live_server(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    yield from _serve(demo_data_dir, tmp_path_factory.mktemp("serve-logs"))


@pytest.fixture(scope="module")
def limited_server(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    yield from _serve(
        demo_data_dir,
        tmp_path_factory.mktemp("limited-logs"),
        APPLYLENS_RATE_LIMIT="2/minute",
    )


@pytest.fixture(scope="module")
def slow_server(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    yield from _serve(
        demo_data_dir,
        tmp_path_factory.mktemp("slow-logs"),
        APPLYLENS_STREAM_DELTA_DELAY_MS="400",
    )


# Module scope, not session: Playwright's synchronous API keeps an asyncio
# loop running in the main thread until it stops, which would break later
# tests that start a loop of their own.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Debian's Chromium is missing at {CHROMIUM}; run scripts/bootstrap.sh test"
        )
    with playwright_sync.sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()
