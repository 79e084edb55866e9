"""GET /api/emails/{id}, /api/search, /api/stats, health, readiness, the page,
the usage reports, and the errors when the search backend fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from applylens.config import Settings
from applylens.mail.model import make_doc_id
from applylens.store.sqlite import SQLiteStore

from .conftest import ApiFactory, RunningApi, free_port, read_events, sample_messages

NEWSLETTER_ID = make_doc_id("local", "<news-1@weekly.example>")


def test_email_html_is_sanitised(api: RunningApi) -> None:
    with api.client() as client:
        email = client.get(f"/api/emails/{NEWSLETTER_ID}").json()
    html = email["html"]

    assert "<script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "<img" not in html
    assert 'href="https://weekly.example/read"' in html


def test_email_returns_fields_the_page_shows(api: RunningApi) -> None:
    with api.client() as client:
        email = client.get(f"/api/emails/{NEWSLETTER_ID}").json()

    assert email["subject"] == "This week in tech: ten tips"
    assert email["sender"] == "news@weekly.example"
    assert email["labels"] == ["newsletter"]
    assert email["unsubscribe"]["one_click"] is True


def test_email_unknown_id_is_404(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get("/api/emails/0000000000")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_search_finds_by_word(api: RunningApi) -> None:
    with api.client() as client:
        body = client.get("/api/search", params={"q": "interview"}).json()

    assert body["total"] == 1
    assert body["hits"][0]["subject"].startswith("Interview invitation")


def test_search_label_and_days_filter(api: RunningApi) -> None:
    with api.client() as client:
        recent = client.get("/api/search", params={"label": "newsletter", "days": 30})
        older = client.get("/api/search", params={"label": "newsletter", "days": 60})

    assert recent.json()["total"] == 0
    assert older.json()["total"] == 1


@pytest.mark.parametrize(
    "query",
    [
        pytest.param('"unclosed', id="open-quote"),
        pytest.param("label:nosuch", id="unknown-label"),
        pytest.param("after:2024-13-99", id="bad-date"),
    ],
)
def test_search_malformed_query_is_400_saying_why(api: RunningApi, query: str) -> None:
    with api.client() as client:
        response = client.get("/api/search", params={"q": query})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_query"
    assert response.json()["detail"]


def test_stats_counts_owner_messages(api: RunningApi) -> None:
    with api.client() as client:
        body = client.get("/api/stats").json()

    assert body["messages"] == 3


def test_healthz_is_ok(api: RunningApi) -> None:
    with api.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_ready_with_working_backend(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get("/readyz")

    assert response.status_code == 200


def test_docs_page_is_served(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get("/docs")

    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_web_page_is_served_at_root(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_heartbeat_counts_known_page(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post("/api/ux/heartbeat", json={"page": "search"})

    assert response.status_code == 204
    assert api.metric("ux_heartbeat_total", {"page": "search"}) == 1


def test_heartbeat_unknown_page_is_422(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post("/api/ux/heartbeat", json={"page": "<script>"})

    assert response.status_code == 422


def test_chat_opened_and_fallback_are_counted(api: RunningApi) -> None:
    with api.client() as client:
        client.post("/api/ux/chat/opened")
        client.post("/api/ux/chat/fallback")

    assert api.metric("ux_chat_opened_total") == 1
    assert api.metric("applylens_chat_fallbacks_total") == 1


@pytest.fixture
def corrupt_store(tmp_path: Path) -> SQLiteStore:
    """A store whose file is overwritten with garbage after it was created."""
    path = tmp_path / "broken.db"
    seeded = SQLiteStore(path)
    seeded.add_messages(sample_messages("local"))
    seeded.close()
    path.write_bytes(b"this is not a database file" * 200)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return SQLiteStore(path)


def test_chat_backend_failure_is_503_naming_backend(
    start_api: ApiFactory, corrupt_store: SQLiteStore
) -> None:
    api = start_api(corrupt_store)
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={"messages": [{"role": "user", "content": "find interviews"}]},
        )

    assert response.status_code == 503
    assert response.json()["backend"] == "sqlite"
    assert "no emails" not in response.text.lower()


def test_stream_backend_failure_sends_error_event(
    start_api: ApiFactory, corrupt_store: SQLiteStore
) -> None:
    api = start_api(corrupt_store)
    with api.client() as client:
        response = client.get("/api/chat/stream", params={"q": "find interviews"})
    events = read_events(response)
    names = [event["event"] for event in events]

    assert names[0] == "ready"
    assert names[-1] == "error"
    assert "sqlite" in events[-1]["data"]["message"]
    assert "answer" not in names


def test_search_backend_failure_is_503(
    start_api: ApiFactory, corrupt_store: SQLiteStore
) -> None:
    api = start_api(corrupt_store)
    with api.client() as client:
        response = client.get("/api/search", params={"q": "interview"})

    assert response.status_code == 503
    assert response.json()["backend"] == "sqlite"


def test_readyz_names_failed_backend(
    start_api: ApiFactory, corrupt_store: SQLiteStore
) -> None:
    api = start_api(corrupt_store)
    with api.client() as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["backend"] == "sqlite"
    assert "broken.db" in response.json()["detail"]


@pytest.fixture
def closed_port_settings(settings: Settings) -> Settings:
    """Settings of an Elasticsearch backend at a loopback port nothing listens on."""
    return settings.model_copy(
        update={"backend": "elasticsearch", "es_url": f"http://127.0.0.1:{free_port()}"}
    )


def test_chat_elasticsearch_down_is_503_naming_it(
    start_api: ApiFactory, closed_port_settings: Settings
) -> None:
    api = start_api(None, app_settings=closed_port_settings)
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={"messages": [{"role": "user", "content": "find interviews"}]},
        )

    assert response.status_code == 503
    assert response.json()["backend"] == "elasticsearch"
    assert "APPLYLENS_ES_URL" in response.json()["detail"]


def test_stream_elasticsearch_down_sends_error_event(
    start_api: ApiFactory, closed_port_settings: Settings
) -> None:
    api = start_api(None, app_settings=closed_port_settings)
    with api.client() as client:
        response = client.get("/api/chat/stream", params={"q": "find interviews"})
    last = read_events(response)[-1]

    assert last["event"] == "error"
    assert last["data"]["backend"] == "elasticsearch"


def test_readyz_names_elasticsearch_when_down(
    start_api: ApiFactory, closed_port_settings: Settings
) -> None:
    api = start_api(None, app_settings=closed_port_settings)
    with api.client() as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["backend"] == "elasticsearch"
