"""Stream mechanics on a real server: pings while work is slow, cancellation
when the client disconnects, and resuming with Last-Event-ID."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from applylens.api.context import AppContext
from applylens.api.streams import (
    StreamCache,
    StreamRecord,
    answers_request,
    parse_event_id,
    request_digest,
)
from applylens.store.base import SearchRequest, SearchResult
from applylens.store.sqlite import SQLiteStore

from .conftest import ApiFactory, RunningApi, read_events


class SlowSearchBackend:
    """The real SQLite store with every search delayed by `delay` seconds."""

    def __init__(self, store: SQLiteStore, delay: float) -> None:
        self._store = store
        self.delay = delay
        self.searches_started = 0
        self.searches_finished = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def search(self, request: SearchRequest) -> SearchResult:
        with self._lock:
            self.searches_started += 1
        time.sleep(self.delay)
        try:
            return self._store.search(request)
        finally:
            with self._lock:
                self.searches_finished += 1


def context_of(api: RunningApi) -> AppContext:
    context: AppContext = api.app.state.context
    return context


def only_stream(api: RunningApi) -> StreamRecord:
    records = list(context_of(api).streams._records.values())
    assert len(records) == 1, records
    return records[0]


def wait_until(condition: Any, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    pytest.fail(f"{what} did not happen within {timeout} s")


def open_raw_stream(api: RunningApi, question: str) -> socket.socket:
    """Send a stream request on a plain socket and read until `ready` arrives."""
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=10)
    query = urlencode({"q": question})
    sock.sendall(
        f"GET /api/chat/stream?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    received = b""
    while b"event: ready" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"the stream closed before ready: {received!r}")
        received += chunk
    return sock


def test_stream_pings_while_search_is_slow(
    start_api: ApiFactory, store: SQLiteStore
) -> None:
    api = start_api(SlowSearchBackend(store, delay=1.0), ping_interval=0.2)
    with api.client() as client:
        response = client.get("/api/chat/stream", params={"q": "find interviews"})

    assert ": ping" in response.text
    assert read_events(response)[-1]["event"] == "done"


def test_stream_disconnect_cancels_work_within_two_seconds(
    start_api: ApiFactory, store: SQLiteStore
) -> None:
    backend = SlowSearchBackend(store, delay=3.0)
    api = start_api(backend, ping_interval=0.2)
    sock = open_raw_stream(api, "find interviews")
    wait_until(lambda: backend.searches_started >= 1, 10, "the first search")
    record = only_stream(api)

    sock.close()
    seconds = wait_until(record.cancel.is_set, 5, "cancelling the stream")

    assert seconds < 2
    assert not record.finished


def test_stream_disconnect_writes_nothing_more(
    start_api: ApiFactory, store: SQLiteStore
) -> None:
    backend = SlowSearchBackend(store, delay=1.0)
    api = start_api(backend, ping_interval=0.2)
    sock = open_raw_stream(api, "find interviews")
    wait_until(lambda: backend.searches_started >= 1, 10, "the first search")
    record = only_stream(api)
    sock.close()
    wait_until(record.cancel.is_set, 5, "cancelling the stream")
    events_at_cancel = len(record.events)

    wait_until(
        lambda: backend.searches_finished >= backend.searches_started,
        10,
        "the running search to end",
    )
    time.sleep(0.5)

    assert len(record.events) == events_at_cancel
    assert backend.searches_started == 1


def test_stream_disconnect_ends_active_gauge(
    start_api: ApiFactory, store: SQLiteStore
) -> None:
    backend = SlowSearchBackend(store, delay=3.0)
    api = start_api(backend, ping_interval=0.2)
    sock = open_raw_stream(api, "find interviews")
    wait_until(
        lambda: api.metric("applylens_chat_streams_active") == 1, 5, "an open stream"
    )

    sock.close()
    seconds = wait_until(
        lambda: api.metric("applylens_chat_streams_active") == 0,
        5,
        "the gauge to drop",
    )

    assert seconds < 2


def test_resume_finished_stream_replays_rest(api: RunningApi) -> None:
    params = {"q": "find the interview invitation"}
    with api.client() as client:
        first = read_events(client.get("/api/chat/stream", params=params))
        resumed = read_events(
            client.get(
                "/api/chat/stream",
                params={**params, "stream_id": first[0]["data"]["stream_id"]},
                headers={"Last-Event-ID": first[2]["id"]},
            )
        )

    assert resumed == first[3:]


def test_resume_cancelled_stream_reruns_after_last_id(
    start_api: ApiFactory, store: SQLiteStore
) -> None:
    backend = SlowSearchBackend(store, delay=0.5)
    api = start_api(backend, ping_interval=0.2)
    sock = open_raw_stream(api, "find the interview invitation")
    record = only_stream(api)
    sock.close()
    wait_until(record.cancel.is_set, 5, "cancelling the stream")
    last_id = record.event_id(1)

    with api.client() as client:
        resumed = read_events(
            client.get(
                "/api/chat/stream",
                params={"q": "find the interview invitation"},
                headers={"Last-Event-ID": last_id},
            )
        )
    names = [event["event"] for event in resumed]

    assert names[0] == "intent"
    assert names[-1] == "done"
    assert resumed[0]["id"] == record.event_id(2)


def test_resume_id_of_other_question_starts_over(api: RunningApi) -> None:
    with api.client() as client:
        first = read_events(
            client.get(
                "/api/chat/stream", params={"q": "find the interview invitation"}
            )
        )
        other = read_events(
            client.get(
                "/api/chat/stream",
                params={"q": "summarize my job search"},
                headers={"Last-Event-ID": first[2]["id"]},
            )
        )

    assert other[0]["event"] == "ready"
    assert other[0]["data"]["resumed_after"] is None
    assert other[0]["data"]["stream_id"] != first[0]["data"]["stream_id"]
    assert any(event["event"] == "intent" for event in other)


def test_resume_id_with_other_filters_starts_over(api: RunningApi) -> None:
    params = {"q": "find the interview invitation"}
    with api.client() as client:
        first = read_events(client.get("/api/chat/stream", params=params))
        other = read_events(
            client.get(
                "/api/chat/stream",
                params={**params, "window_days": 7},
                headers={"Last-Event-ID": first[2]["id"]},
            )
        )

    assert other[0]["event"] == "ready"
    assert other[0]["data"]["resumed_after"] is None


def test_stream_ids_of_one_request_share_digest() -> None:
    digest = request_digest("alice", '{"q": "find offers"}')
    cache = StreamCache()

    first = cache.new("alice", "find offers", digest=digest)
    second = cache.new("alice", "find offers", digest=digest)

    assert first.stream_id != second.stream_id
    assert answers_request(first.stream_id, digest)
    assert answers_request(second.stream_id, digest)
    assert not answers_request(first.stream_id, request_digest("bob", "{}"))


def test_resume_with_malformed_id_starts_over(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get(
            "/api/chat/stream",
            params={"q": "summarize"},
            headers={"Last-Event-ID": "garbage"},
        )
    names = [event["event"] for event in read_events(response)]

    assert names[0] == "ready"
    assert names[-1] == "done"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0123456789abcdef.3", id="valid"),
        pytest.param(" 0123456789abcdef.3 ", id="padded"),
    ],
)
def test_parse_event_id_reads_valid_id(value: str) -> None:
    assert parse_event_id(value) == ("0123456789abcdef", 3)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("garbage", id="no-dot"),
        pytest.param("0123456789abcdef.x", id="bad-sequence"),
        pytest.param("event: x\ndata: y.1", id="injected-lines"),
        pytest.param("../../etc.1", id="not-hex"),
    ],
)
def test_parse_event_id_rejects_malformed(value: str) -> None:
    assert parse_event_id(value) is None


def test_stream_cache_never_hands_id_to_other_owner() -> None:
    cache = StreamCache()
    alice = cache.new("alice", "find offers")

    bob = cache.new("bob", "find offers", stream_id=alice.stream_id)

    assert bob.stream_id != alice.stream_id
    assert cache.get(alice.stream_id, "alice") is alice
    assert cache.get(alice.stream_id, "bob") is None


def test_stream_cache_evicts_oldest_beyond_max() -> None:
    cache = StreamCache(max_streams=2)
    first = cache.new("alice", "one")
    cache.new("alice", "two")
    cache.new("alice", "three")

    assert cache.get(first.stream_id, "alice") is None
