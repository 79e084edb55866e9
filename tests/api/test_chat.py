"""POST /api/chat, GET /api/chat/stream and GET /api/chat/intents."""

from __future__ import annotations

import pytest

from applylens.assistant.schemas import INTENTS

from .conftest import RunningApi, read_events


def ask(api: RunningApi, question: str, **extra: object) -> dict:
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={"messages": [{"role": "user", "content": question}], **extra},
        )
    assert response.status_code == 200, response.text
    return response.json()


def test_chat_find_question_cites_matching_message(api: RunningApi) -> None:
    answer = ask(api, "find the interview invitation from Acme")

    subjects = [citation["subject"] for citation in answer["citations"]]
    assert "Interview invitation: Backend Engineer at Acme" in subjects
    assert answer["search"]["backend"] == "sqlite"
    assert answer["search"]["total_hits"] >= 1


def test_chat_answer_reports_intent_and_window(api: RunningApi) -> None:
    answer = ask(api, "summarize my job search", window_days=7)

    assert answer["intent"] == "summarize"
    assert answer["intent_explanation"]
    assert answer["window"]["requested_days"] == 7


def test_chat_window_out_of_range_is_422(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={"messages": [{"role": "user", "content": "hi"}], "window_days": 400},
        )

    assert response.status_code == 422


@pytest.mark.parametrize(
    "after",
    [
        pytest.param("2026-11-01T00:00:00", id="time-without-zone"),
        pytest.param("2026-11-01", id="date-only"),
    ],
)
def test_chat_filter_date_without_zone_read_as_utc(api: RunningApi, after: str) -> None:
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={
                "messages": [{"role": "user", "content": "find interview"}],
                "filters": {"after": after},
            },
        )

    assert response.status_code == 200, response.text


def test_chat_filter_after_later_than_before_is_422(api: RunningApi) -> None:
    filters = {"after": "2026-12-01T00:00:00Z", "before": "2026-11-01T00:00:00Z"}
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={"messages": [{"role": "user", "content": "hi"}], "filters": filters},
        )

    assert response.status_code == 422
    assert "must be earlier than" in response.text


def test_chat_without_user_turn_is_400(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post(
            "/api/chat", json={"messages": [{"role": "assistant", "content": "hi"}]}
        )

    assert response.status_code == 400
    assert "user" in response.json()["detail"]


def test_chat_counts_one_tool_query(api: RunningApi) -> None:
    ask(api, "find the interview invitation from Acme", window_days=30)

    labels = {"tool": "find", "has_hits": "true", "window_bucket": "30"}
    assert api.metric("assistant_tool_queries_total", labels) == 1


def test_intents_lists_every_intent(api: RunningApi) -> None:
    with api.client() as client:
        body = client.get("/api/chat/intents").json()

    assert [intent["name"] for intent in body["intents"]] == list(INTENTS)


def test_stream_sends_events_in_order(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get(
            "/api/chat/stream", params={"q": "find the interview invitation"}
        )
    names = [event["event"] for event in read_events(response)]

    assert names[:4] == ["ready", "intent", "tool", "citations"]
    assert "delta" in names
    assert names[-3:] == ["answer", "actions", "done"]


def test_stream_unknown_label_is_400_before_streaming(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get(
            "/api/chat/stream", params={"q": "find offers", "label": "bogus"}
        )

    assert response.status_code == 400
    assert "unknown label 'bogus'" in response.json()["detail"]


def test_stream_headers_forbid_caching_and_buffering(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get(
            "/api/chat/stream",
            params={"q": "find the interview invitation"},
            headers={"Accept-Encoding": "gzip"},
        )

    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.headers.get("content-encoding", "identity") == "identity"


def test_stream_gives_every_event_a_distinct_id(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get("/api/chat/stream", params={"q": "summarize"})
    ids = [event.get("id") for event in read_events(response)]

    assert all(ids)
    assert len(set(ids)) == len(ids)


def test_stream_answer_matches_post_answer(api: RunningApi) -> None:
    question = "find the interview invitation from Acme"
    posted = ask(api, question)
    with api.client() as client:
        response = client.get("/api/chat/stream", params={"q": question})
    events = read_events(response)
    streamed = next(e["data"] for e in events if e["event"] == "answer")
    deltas = "".join(e["data"]["text"] for e in events if e["event"] == "delta")

    assert streamed["answer"] == posted["answer"]
    assert deltas == streamed["answer"]


def test_stream_counts_one_tool_query(api: RunningApi) -> None:
    with api.client() as client:
        client.get("/api/chat/stream", params={"q": "summarize", "window_days": 90})

    labels = {"tool": "summarize", "has_hits": "true", "window_bucket": "90+"}
    assert api.metric("assistant_tool_queries_total", labels) == 1


def test_stream_without_question_is_422(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get("/api/chat/stream")

    assert response.status_code == 422


def test_chat_and_stream_use_reader_time_zone(api: RunningApi) -> None:
    question = "add my interviews to my calendar"
    default = ask(api, question)
    posted = ask(api, question, time_zone="Asia/Tokyo")
    with api.client() as client:
        response = client.get(
            "/api/chat/stream", params={"q": question, "time_zone": "Asia/Tokyo"}
        )
    streamed = next(e["data"] for e in read_events(response) if e["event"] == "answer")

    assert " UTC" in default["answer"]
    assert " JST" in posted["answer"]
    assert " UTC" not in posted["answer"]
    assert streamed["answer"] == posted["answer"]


def test_stream_unknown_time_zone_is_400(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get(
            "/api/chat/stream", params={"q": "summarize", "time_zone": "Mars/Base"}
        )

    assert response.status_code == 400
    assert "unknown time zone 'Mars/Base'" in response.json()["detail"]


def test_chat_unknown_time_zone_is_422(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={
                "messages": [{"role": "user", "content": "summarize"}],
                "time_zone": "../../etc/passwd",
            },
        )

    assert response.status_code == 422
    assert "unknown time zone" in response.text


def test_chat_lone_surrogate_is_422(api: RunningApi) -> None:
    # A lone surrogate cannot be encoded as UTF-8, so echoing it back in the
    # error used to fail with a 500.
    body = b'{"messages": [{"role": "user", "content": "find \\ud800"}]}'
    with api.client() as client:
        response = client.post(
            "/api/chat", content=body, headers={"content-type": "application/json"}
        )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "messages", 0, "content"]


def test_chat_long_rejected_value_not_echoed_whole(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={
                "messages": [{"role": "user", "content": "x"}],
                "window_days": "9" * 5000,
            },
        )

    assert response.status_code == 422
    assert len(response.text) < 1000


def test_chat_long_question_is_answered(api: RunningApi) -> None:
    question = "find " + " ".join(f"interview{index}" for index in range(500))
    answer = ask(api, question)

    assert len(question) > 5000
    assert answer["intent"] == "find"
    assert "only the first 32 words are searched" in answer["intent_explanation"]


@pytest.mark.parametrize(
    "sender_domain",
    [
        pytest.param("(((", id="punctuation-only"),
        pytest.param("  @  ", id="at-sign-only"),
    ],
)
def test_stream_invalid_sender_domain_is_400_before_streaming(
    api: RunningApi, sender_domain: str
) -> None:
    with api.client() as client:
        streamed = client.get(
            "/api/chat/stream", params={"q": "x", "sender_domain": sender_domain}
        )
        posted = client.post(
            "/api/chat",
            json={
                "messages": [{"role": "user", "content": "x"}],
                "filters": {"sender_domain": sender_domain},
            },
        )

    assert streamed.status_code == 400
    assert streamed.headers["content-type"] == "application/json"
    assert posted.status_code == 400
    assert streamed.json()["error"] == "invalid_query"
    assert streamed.json()["detail"] == posted.json()["detail"]
    assert "sender_domain filter" in streamed.json()["detail"]


def test_chat_invalid_sender_domain_is_400_without_search(api: RunningApi) -> None:
    # Learning an exception runs no search, so only the check that runs before
    # the assistant validates the filter.
    question = "remember to keep mail from acme.example"
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={
                "messages": [{"role": "user", "content": question}],
                "filters": {"sender_domain": "((("},
            },
        )
        learned = client.get("/api/exceptions").json()

    assert response.status_code == 400
    assert "sender_domain filter '((('" in response.json()["detail"]
    assert learned["exceptions"] == []


def test_stream_valid_sender_domain_streams(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get(
            "/api/chat/stream",
            params={"q": "find interview", "sender_domain": "acme.example"},
        )
    events = read_events(response)
    answer = next(e["data"] for e in events if e["event"] == "answer")

    assert response.status_code == 200
    assert events[-1]["event"] == "done"
    assert answer["citations"]
    assert all(c["sender"].endswith("@acme.example") for c in answer["citations"])
