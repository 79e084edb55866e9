"""Debian's nginx with the project's configuration in front of a live
`applylens serve`: events stream through one by one, limits hold per client.

Each test's client connects from its own loopback address (127.0.0.0/8 all
reaches the local host), so nginx reports a different client address for each
and each has a budget of its own under the per-client limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from applylens.cli.drill import read_events
from deploy.stack import start_nginx
from support.live import product_env, run_cli, start_api

pytestmark = [pytest.mark.services, pytest.mark.slow]

DELTA_DELAY_MS = 150
RATE_LIMIT = 5
QUESTION = "find emails about interviews"
CHAT_BODY = {"messages": [{"role": "user", "content": QUESTION}], "window_days": 90}


@pytest.fixture(scope="module")
def proxy_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("nginx-live")
    data_dir = root / "data"
    run_cli(product_env(data_dir), "demo", "--count", "200")
    api, api_url = start_api(
        data_dir,
        root,
        APPLYLENS_TRUSTED_PROXIES="127.0.0.1",
        APPLYLENS_STREAM_DELTA_DELAY_MS=str(DELTA_DELAY_MS),
        APPLYLENS_RATE_LIMIT=f"{RATE_LIMIT}/minute",
    )
    nginx_dir = root / "nginx"
    nginx_dir.mkdir()
    try:
        nginx, url = start_nginx(nginx_dir, api_url)
    except BaseException:
        api.stop()
        raise
    try:
        yield url
    finally:
        nginx.stop()
        api.stop()


def client_from(address: str, base_url: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, transport=transport, timeout=60)


def stream_through(proxy_url: str) -> tuple[httpx.Headers, list[tuple[str, float]]]:
    with client_from("127.0.0.10", proxy_url) as client:
        started = time.perf_counter()
        params = {"q": QUESTION, "window_days": 90}
        headers = {"Accept-Encoding": "gzip"}
        with client.stream(
            "GET", "/api/chat/stream", params=params, headers=headers
        ) as response:
            assert response.status_code == 200, response.read()
            events = list(read_events(response.iter_lines(), started))
            return response.headers, events


@pytest.fixture(scope="module")
def streamed(proxy_url: str) -> tuple[httpx.Headers, list[tuple[str, float]]]:
    return stream_through(proxy_url)


def delta_times(events: list[tuple[str, float]]) -> list[float]:
    return [at for name, at in events if name == "delta"]


def test_proxy_stream_has_several_deltas(streamed: tuple) -> None:
    _, events = streamed
    assert len(delta_times(events)) >= 4, events


def test_proxy_stream_deltas_arrive_one_by_one(streamed: tuple) -> None:
    _, events = streamed
    times = delta_times(events)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    # The API pauses 150 ms after each delta. A buffering proxy would hand
    # them over together at the end, with gaps near zero. A third of the
    # pause is a generous floor for a loaded machine.
    spaced = [gap for gap in gaps if gap > DELTA_DELAY_MS / 3000]
    assert len(spaced) >= len(gaps) * 0.8, f"gaps between deltas: {gaps}"


def test_proxy_stream_first_event_comes_before_the_end(streamed: tuple) -> None:
    _, events = streamed
    first, last = events[0][1], events[-1][1]
    deltas = len(delta_times(events))
    assert last - first > deltas * DELTA_DELAY_MS / 1000 * 0.5, events


def test_proxy_stream_is_not_compressed(streamed: tuple) -> None:
    headers, _ = streamed
    assert headers.get("content-encoding", "identity") == "identity", headers


def test_proxy_stream_passes_accel_buffering_header(streamed: tuple) -> None:
    headers, _ = streamed
    assert headers.get("x-accel-buffering") == "no", headers


def test_proxy_stream_passes_cache_control(streamed: tuple) -> None:
    headers, _ = streamed
    assert headers.get("cache-control") == "no-cache", headers


def test_proxy_stream_is_event_stream(streamed: tuple) -> None:
    headers, _ = streamed
    assert headers["content-type"].startswith("text/event-stream"), headers


def exhaust_limit(client: httpx.Client) -> None:
    for _ in range(RATE_LIMIT):
        response = client.post("/api/chat", json=CHAT_BODY)
        assert response.status_code == 200, response.text


def test_proxy_over_limit_returns_429(proxy_url: str) -> None:
    with client_from("127.0.0.2", proxy_url) as client:
        exhaust_limit(client)
        response = client.post("/api/chat", json=CHAT_BODY)
    assert response.status_code == 429, response.text


def test_proxy_429_carries_retry_after(proxy_url: str) -> None:
    with client_from("127.0.0.3", proxy_url) as client:
        exhaust_limit(client)
        response = client.post("/api/chat", json=CHAT_BODY)
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1, response.headers


@pytest.mark.parametrize(
    ("client_address", "forwarded_for"),
    [
        pytest.param("127.0.1.1", "203.0.113.7", id="public-address"),
        pytest.param("127.0.1.2", "127.0.0.99", id="loopback-address"),
        pytest.param("127.0.1.3", "198.51.100.1, 10.0.0.8", id="chain"),
        pytest.param("127.0.1.4", "unknown", id="garbage"),
    ],
)
def test_proxy_spoofed_forwarded_for_keeps_limit(
    proxy_url: str, client_address: str, forwarded_for: str
) -> None:
    with client_from(client_address, proxy_url) as client:
        exhaust_limit(client)
        response = client.post(
            "/api/chat", json=CHAT_BODY, headers={"X-Forwarded-For": forwarded_for}
        )
    assert response.status_code == 429, response.text


def test_proxy_spoofed_forwarded_for_spends_no_other_budget(proxy_url: str) -> None:
    victim = "127.0.2.2"
    with client_from("127.0.2.1", proxy_url) as attacker:
        for _ in range(RATE_LIMIT * 2):
            attacker.post(
                "/api/chat", json=CHAT_BODY, headers={"X-Forwarded-For": victim}
            )
    with client_from(victim, proxy_url) as client:
        response = client.post("/api/chat", json=CHAT_BODY)
    assert response.status_code == 200, response.text


def test_proxy_hides_metrics(proxy_url: str) -> None:
    response = httpx.get(proxy_url + "/metrics", timeout=10)
    assert response.status_code == 404, response.text


def test_proxy_forwards_health(proxy_url: str) -> None:
    response = httpx.get(proxy_url + "/healthz", timeout=10)
    assert response.status_code == 200, response.text
