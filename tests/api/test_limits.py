"""Rate limits on the chat endpoints, client addresses behind trusted proxies,
and the Redis storage that several processes share."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from applylens.api import create_app
from applylens.api.ratelimit import (
    ChatRateLimiter,
    client_address,
    parse_trusted_proxies,
)
from applylens.config import Settings
from applylens.errors import ConfigError
from applylens.observability.metrics import Metrics
from applylens.store.sqlite import SQLiteStore

from .conftest import ApiFactory, free_port

QUESTION = {"messages": [{"role": "user", "content": "summarize"}]}


def limited(settings: Settings, rate: str = "2/minute", **extra: object) -> Settings:
    return settings.model_copy(update={"rate_limit": rate, **extra})


def test_chat_over_limit_is_429_with_retry_after(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited(settings))
    with api.client() as client:
        statuses = [
            client.post("/api/chat", json=QUESTION).status_code for _ in range(3)
        ]
        response = client.post("/api/chat", json=QUESTION)

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["retry_after"] == int(response.headers["retry-after"])


def test_stream_over_limit_is_429(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited(settings, "1/minute"))
    with api.client() as client:
        first = client.get("/api/chat/stream", params={"q": "summarize"})
        second = client.get("/api/chat/stream", params={"q": "summarize"})

    assert first.status_code == 200
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) >= 1


def test_rate_limited_requests_are_counted(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited(settings, "1/minute"))
    with api.client() as client:
        client.post("/api/chat", json=QUESTION)
        client.post("/api/chat", json=QUESTION)

    labels = {"path": "/api/chat"}
    assert api.metric("applylens_rate_limited_total", labels) == 1


def test_spoofed_forwarded_for_does_not_reset_limit(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited(settings, "1/minute"))
    with api.client() as client:
        client.post("/api/chat", json=QUESTION)
        response = client.post(
            "/api/chat", json=QUESTION, headers={"X-Forwarded-For": "203.0.113.9"}
        )

    assert response.status_code == 429


def test_trusted_proxy_gives_each_client_its_own_limit(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    trusted = limited(settings, "1/minute", trusted_proxies="127.0.0.1")
    api = start_api(store, app_settings=trusted)
    with api.client() as client:
        first = client.post(
            "/api/chat", json=QUESTION, headers={"X-Forwarded-For": "203.0.113.1"}
        )
        other = client.post(
            "/api/chat", json=QUESTION, headers={"X-Forwarded-For": "203.0.113.2"}
        )
        again = client.post(
            "/api/chat", json=QUESTION, headers={"X-Forwarded-For": "203.0.113.1"}
        )

    assert first.status_code == 200
    assert other.status_code == 200
    assert again.status_code == 429


def test_client_address_ignores_header_from_untrusted_peer() -> None:
    trusted = parse_trusted_proxies("10.0.0.0/8")

    assert client_address("198.51.100.7", "203.0.113.1", trusted) == "198.51.100.7"


def test_client_address_takes_rightmost_untrusted_entry() -> None:
    trusted = parse_trusted_proxies("10.0.0.0/8, 192.0.2.1")
    header = "6.6.6.6, 203.0.113.5, 192.0.2.1"

    assert client_address("10.1.2.3", header, trusted) == "203.0.113.5"


def test_client_address_all_trusted_uses_leftmost() -> None:
    trusted = parse_trusted_proxies("10.0.0.0/8")

    assert client_address("10.0.0.1", "10.0.0.2, 10.0.0.3", trusted) == "10.0.0.2"


def test_trusted_proxies_invalid_entry_is_named() -> None:
    with pytest.raises(ConfigError, match="'not-an-ip'"):
        parse_trusted_proxies("10.0.0.1, not-an-ip")


def test_rate_limit_invalid_rate_is_named() -> None:
    with pytest.raises(ConfigError, match="'lots'"):
        ChatRateLimiter("lots")


@pytest.mark.parametrize("rate", ["0/minute", "0 per second", "00/hour"])
def test_settings_reject_zero_rate_limit(
    monkeypatch: pytest.MonkeyPatch, rate: str
) -> None:
    monkeypatch.setenv("APPLYLENS_RATE_LIMIT", rate)

    with pytest.raises(ValidationError) as raised:
        Settings()

    message = str(raised.value)
    assert f"invalid APPLYLENS_RATE_LIMIT {rate!r}" in message
    assert "at least 1" in message
    assert "'60/minute'" in message


def test_settings_reject_negative_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLYLENS_RATE_LIMIT", "-5/minute")

    with pytest.raises(
        ValidationError, match="invalid APPLYLENS_RATE_LIMIT '-5/minute'"
    ):
        Settings()


def test_settings_accept_positive_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLYLENS_RATE_LIMIT", "10/second")

    assert Settings().rate_limit == "10/second"


@pytest.mark.parametrize("rate", ["1/0minute", "1 per 0 second", "5/00 minutes"])
def test_settings_reject_zero_periods(
    monkeypatch: pytest.MonkeyPatch, rate: str
) -> None:
    monkeypatch.setenv("APPLYLENS_RATE_LIMIT", rate)

    with pytest.raises(ValidationError) as raised:
        Settings()

    message = str(raised.value)
    assert f"invalid APPLYLENS_RATE_LIMIT {rate!r}" in message
    assert "number of periods must be at least 1" in message
    assert "'60/minute'" in message


@pytest.mark.parametrize(
    "rate", ["100/minute;0/second", "100/minute, 5/second", "5/minute|50/hour"]
)
def test_settings_reject_several_rates(
    monkeypatch: pytest.MonkeyPatch, rate: str
) -> None:
    monkeypatch.setenv("APPLYLENS_RATE_LIMIT", rate)

    with pytest.raises(ValidationError) as raised:
        Settings()

    message = str(raised.value)
    assert f"invalid APPLYLENS_RATE_LIMIT {rate!r}" in message
    assert "expected one rate, but found 2" in message
    assert "'60/minute'" in message


def test_settings_reject_period_over_max_days(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPLYLENS_RATE_LIMIT", "1/36501days")

    with pytest.raises(ValidationError) as raised:
        Settings()

    message = str(raised.value)
    assert "invalid APPLYLENS_RATE_LIMIT '1/36501days'" in message
    assert "at most 36500 days" in message


@pytest.mark.parametrize("rate", ["10/2minutes", "5 per hour", "1/36500days"])
def test_settings_accept_period_count(
    monkeypatch: pytest.MonkeyPatch, rate: str
) -> None:
    monkeypatch.setenv("APPLYLENS_RATE_LIMIT", rate)

    assert Settings().rate_limit == rate


def test_rate_limiter_rejects_several_rates() -> None:
    with pytest.raises(ConfigError, match="'100/minute;0/second'.*one rate"):
        ChatRateLimiter("100/minute;0/second")


def test_app_rejects_zero_periods(store: SQLiteStore, settings: Settings) -> None:
    # model_copy skips validation, so the limiter must check the rate again.
    with pytest.raises(ConfigError, match="'1/0minute'.*periods must be at least 1"):
        create_app(
            limited(settings, "1/0minute"),
            backend=store,
            metrics=Metrics(CollectorRegistry()),
        )


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:notaport", "redis://127.0.0.1:99999/0", "notaurl"]
)
def test_rate_limiter_rejects_invalid_redis_url(url: str) -> None:
    expected = re.escape(f"invalid APPLYLENS_REDIS_URL '{url}'")
    with pytest.raises(ConfigError, match=expected):
        ChatRateLimiter("2/minute", url)


def test_rate_limiter_hides_redis_password() -> None:
    with pytest.raises(ConfigError) as raised:
        ChatRateLimiter("2/minute", "redis://:s3cret@127.0.0.1:notaport")

    assert "s3cret" not in str(raised.value)
    assert "'redis://:***@127.0.0.1:notaport'" in str(raised.value)


def test_rate_limiter_rejects_zero_rate() -> None:
    with pytest.raises(ConfigError, match="'0/minute'.*at least 1"):
        ChatRateLimiter("0/minute")


def test_app_rejects_zero_rate_limit(store: SQLiteStore, settings: Settings) -> None:
    # model_copy skips validation, so the limiter must check the rate again.
    with pytest.raises(ConfigError, match="APPLYLENS_RATE_LIMIT '0/minute'"):
        create_app(
            limited(settings, "0/minute"),
            backend=store,
            metrics=Metrics(CollectorRegistry()),
        )


def test_high_rate_limit_never_rejects(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited(settings, "1000000/second"))
    with api.client() as client:
        statuses = [
            client.post("/api/chat", json=QUESTION).status_code for _ in range(10)
        ]

    assert statuses == [200] * 10


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server did not listen on port {port} within 10 s")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing; install Debian's redis-server")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_redis_limit_is_shared_between_limiters(redis_url: str) -> None:
    first = ChatRateLimiter("2/minute", redis_url)
    second = ChatRateLimiter("2/minute", redis_url)

    decisions = [
        first.hit("k").allowed,
        second.hit("k").allowed,
        first.hit("k").allowed,
    ]

    assert decisions == [True, True, False]


def test_redis_limit_shared_across_servers(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings, redis_url: str
) -> None:
    shared = limited(settings, "2/minute", redis_url=redis_url)
    one = start_api(store, app_settings=shared)
    two = start_api(store, app_settings=shared)
    with one.client() as client_one, two.client() as client_two:
        statuses = [
            client_one.post("/api/chat", json=QUESTION).status_code,
            client_two.post("/api/chat", json=QUESTION).status_code,
            client_one.post("/api/chat", json=QUESTION).status_code,
        ]

    assert statuses == [200, 200, 429]
