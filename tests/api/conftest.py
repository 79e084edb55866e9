"""Fixtures of the API tests: a real SQLite store with a few messages, and the
API served by a real uvicorn server on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from applylens.api import create_app
from applylens.config import Settings
from applylens.mail.model import Message, Unsubscribe
from applylens.observability.metrics import Metrics
from applylens.store.base import SearchBackend
from applylens.store.sqlite import SQLiteStore

NOW = datetime.now(UTC).replace(microsecond=0)


def make_message(
    owner: str,
    key: str,
    subject: str,
    *,
    sender: str = "recruiter@acme.example",
    sender_name: str = "Acme Recruiting",
    days_ago: float = 2,
    labels: tuple[str, ...] = ("interview",),
    text: str = "",
    html: str | None = None,
    thread_id: str | None = None,
    to: tuple[str, ...] = (),
) -> Message:
    domain = sender.rsplit("@", 1)[-1]
    return Message(
        owner=owner,
        key=key,
        message_id=key,
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        sender_domain=domain,
        date=NOW - timedelta(days=days_ago),
        date_source="date",
        thread_id=thread_id or f"thread-{key}",
        to=list(to),
        text=text or subject,
        html=html,
        labels=list(labels),
        unsubscribe=Unsubscribe(url="https://acme.example/unsub", one_click=True)
        if "newsletter" in labels
        else None,
        company="Acme" if "acme" in domain else None,
    )


def sample_messages(owner: str) -> list[Message]:
    return [
        make_message(
            owner,
            "<interview-1@acme.example>",
            "Interview invitation: Backend Engineer at Acme",
            text="We would like to invite you to an interview next Tuesday at 10:00.",
        ),
        make_message(
            owner,
            "<receipt-1@globex.example>",
            "Your application to Globex was received",
            sender="jobs@globex.example",
            sender_name="Globex Careers",
            days_ago=5,
            labels=("application_receipt",),
        ),
        make_message(
            owner,
            "<news-1@weekly.example>",
            "This week in tech: ten tips",
            sender="news@weekly.example",
            sender_name="Tech Weekly",
            days_ago=40,
            labels=("newsletter",),
            html=(
                '<p onclick="steal()">Hello<script>alert(1)</script>'
                '<img src="https://tracker.example/pixel.gif">'
                '<a href="javascript:alert(2)">bad</a>'
                '<a href="https://weekly.example/read">read</a></p>'
            ),
        ),
    ]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", retention_days=0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    backend = SQLiteStore(tmp_path / "mail.db")
    backend.add_messages(sample_messages("local"))
    yield backend
    backend.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningApi:
    app: FastAPI
    url: str
    metrics: Metrics
    port: int

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def metric(self, name: str, labels: dict[str, str] | None = None) -> float:
        value = self.metrics.registry.get_sample_value(name, labels or {})
        return 0.0 if value is None else value


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """Leave signals to pytest: this server runs in a thread."""


def serve_in_thread(app: FastAPI) -> tuple[_ThreadedServer, threading.Thread, int]:
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        proxy_headers=False,
    )
    server = _ThreadedServer(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test API server did not start within 15 s")
        time.sleep(0.02)
    return server, thread, port


ApiFactory = Callable[..., RunningApi]


@pytest.fixture
def start_api(settings: Settings) -> Iterator[ApiFactory]:
    """Start the API with the given backend and options; stopped at teardown."""
    servers: list[tuple[_ThreadedServer, threading.Thread]] = []

    def start(
        backend: SearchBackend | None,
        *,
        app_settings: Settings | None = None,
        **options: Any,
    ) -> RunningApi:
        metrics = Metrics(CollectorRegistry())
        app = create_app(
            app_settings or settings, backend=backend, metrics=metrics, **options
        )
        server, thread, port = serve_in_thread(app)
        servers.append((server, thread))
        return RunningApi(app, f"http://127.0.0.1:{port}", metrics, port)

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def api(start_api: ApiFactory, store: SQLiteStore) -> RunningApi:
    return start_api(store, ping_interval=0.5)


def read_events(response: httpx.Response) -> list[dict[str, Any]]:
    """Parse a whole text/event-stream body into events (comments skipped)."""
    import json

    events: list[dict[str, Any]] = []
    for block in response.text.split("\n\n"):
        event: dict[str, Any] = {}
        for line in block.splitlines():
            if line.startswith(":"):
                continue
            field, _, value = line.partition(": ")
            event[field] = json.loads(value) if field == "data" else value
        if event:
            events.append(event)
    return events
