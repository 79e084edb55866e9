"""Hostile request input on a real server: non-finite JSON numbers, ids and
numbers too large for SQLite, and request bodies over APPLYLENS_MAX_BODY_BYTES."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from applylens.config import Settings
from applylens.store.sqlite import SQLiteStore

from .conftest import ApiFactory, RunningApi, read_events

JSON = {"content-type": "application/json"}
QUESTION = b'{"messages": [{"role": "user", "content": "summarize"}]}'


def post_raw(api: RunningApi, path: str, body: bytes) -> httpx.Response:
    with api.client() as client:
        return client.post(path, content=body, headers=JSON)


@pytest.mark.parametrize(
    ("literal", "echoed"),
    [
        pytest.param("NaN", "NaN", id="nan"),
        pytest.param("Infinity", "Infinity", id="infinity"),
        pytest.param("-Infinity", "-Infinity", id="minus-infinity"),
        pytest.param("1e400", "Infinity", id="overflowing-exponent"),
    ],
)
def test_chat_non_finite_window_is_422(
    api: RunningApi, literal: str, echoed: str
) -> None:
    body = (
        b'{"messages": [{"role": "user", "content": "x"}], "window_days": '
        + literal.encode()
        + b"}"
    )
    response = post_raw(api, "/api/chat", body)

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "window_days"]
    assert error["input"] == echoed


def test_heartbeat_nan_page_is_422(api: RunningApi) -> None:
    response = post_raw(api, "/api/ux/heartbeat", b'{"page": NaN}')

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "page"]
    assert error["input"] == "NaN"


def test_chat_nested_non_finite_values_are_422(api: RunningApi) -> None:
    body = b'{"messages": [{"role": "user", "content": [NaN, -Infinity]}]}'
    response = post_raw(api, "/api/chat", body)

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "messages", 0, "content"]
    assert error["input"] == ["NaN", "-Infinity"]


@pytest.mark.parametrize(
    "exception_id",
    [
        pytest.param("-1", id="negative"),
        pytest.param(str(2**63 - 1), id="largest-sqlite-integer"),
        pytest.param(str(2**63), id="just-over-sqlite-range"),
        pytest.param("99999999999999999999999", id="far-over-sqlite-range"),
        pytest.param(str(-(2**63) - 1), id="just-under-sqlite-range"),
    ],
)
def test_delete_unknown_exception_is_404(api: RunningApi, exception_id: str) -> None:
    with api.client() as client:
        response = client.delete(f"/api/exceptions/{exception_id}")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert exception_id in response.json()["detail"]


def test_delete_exception_still_removes_it(api: RunningApi) -> None:
    with api.client() as client:
        added = client.post("/api/exceptions", json={"sender": "acme.example"})
        deleted = client.delete(f"/api/exceptions/{added.json()['id']}")
        listed = client.get("/api/exceptions").json()

    assert added.status_code == 201
    assert deleted.status_code == 204
    assert listed["exceptions"] == []


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/search", "days"),
        ("/api/search", "limit"),
        ("/api/search", "offset"),
        ("/api/chat/stream", "window_days"),
        ("/api/chat/stream", "max_results"),
    ],
)
def test_query_integer_too_large_is_422(
    api: RunningApi, path: str, parameter: str
) -> None:
    params = {"q": "summarize", parameter: "9" * 30}
    with api.client() as client:
        response = client.get(path, params=params)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", parameter]


def limited_body(settings: Settings, max_body_bytes: int) -> Settings:
    return settings.model_copy(update={"max_body_bytes": max_body_bytes})


def padded_question(size: int) -> bytes:
    """Return a valid chat request of exactly `size` bytes."""
    head = b'{"messages": [{"role": "user", "content": "summarize"}], "pad": "'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def in_chunks(body: bytes, chunk_size: int = 1024) -> Iterator[bytes]:
    """Yield `body` in pieces, so that httpx sends it chunked, without a
    Content-Length."""
    for start in range(0, len(body), chunk_size):
        yield body[start : start + chunk_size]


def assert_body_too_large(response: httpx.Response, max_body_bytes: int) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    problem = response.json()
    assert problem["error"] == "content_too_large"
    assert f"limit of {max_body_bytes} bytes" in problem["detail"]
    assert "APPLYLENS_MAX_BODY_BYTES" in problem["detail"]
    assert problem["max_body_bytes"] == max_body_bytes


def test_body_over_content_length_is_413(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited_body(settings, 4096))
    with api.client() as client:
        response = client.post("/api/chat", content=padded_question(4097), headers=JSON)

    assert_body_too_large(response, 4096)


def test_body_at_limit_is_answered(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited_body(settings, 4096))
    with api.client() as client:
        response = client.post("/api/chat", content=padded_question(4096), headers=JSON)

    assert response.status_code == 200, response.text
    assert response.json()["intent"] == "summarize"


def test_chunked_body_over_limit_is_413(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited_body(settings, 4096))
    body = padded_question(64 * 1024)
    with api.client() as client:
        request = client.build_request(
            "POST", "/api/chat", content=in_chunks(body), headers=JSON
        )
        response = client.send(request)
        # The connection stays usable for the next request.
        after = client.post("/api/chat", content=QUESTION, headers=JSON)

    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    assert_body_too_large(response, 4096)
    assert after.status_code == 200


def test_chunked_body_under_limit_is_answered(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited_body(settings, 4096))
    with api.client() as client:
        request = client.build_request(
            "POST",
            "/api/chat",
            content=in_chunks(padded_question(4000), 100),
            headers=JSON,
        )
        response = client.send(request)

    assert response.status_code == 200, response.text
    assert response.json()["intent"] == "summarize"


def test_default_limit_rejects_two_mebibytes(api: RunningApi) -> None:
    response = post_raw(api, "/api/chat", padded_question(2 * 1024 * 1024))

    assert_body_too_large(response, 1024 * 1024)


def test_body_over_limit_is_counted_as_413(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited_body(settings, 4096))
    with api.client() as client:
        client.post("/api/chat", content=padded_question(8192), headers=JSON)

    labels = {"method": "POST", "path": "/api/chat", "status_code": "413"}
    assert api.metric("applylens_http_requests_total", labels) == 1


def test_stream_unaffected_by_small_body_limit(
    start_api: ApiFactory, store: SQLiteStore, settings: Settings
) -> None:
    api = start_api(store, app_settings=limited_body(settings, 1), ping_interval=0.5)
    with api.client() as client:
        response = client.get("/api/chat/stream", params={"q": "summarize"})
    names = [event["event"] for event in read_events(response)]

    assert response.status_code == 200
    assert names[0] == "ready"
    assert names[-1] == "done"
