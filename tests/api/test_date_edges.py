"""Chat and search filters with dates at the ends of the calendar."""

from __future__ import annotations

import pytest

from .conftest import RunningApi

EDGE_FILTERS = [
    pytest.param({"after": "9999-12-31T23:59:59-14:00"}, id="after-last-day"),
    pytest.param({"before": "0001-01-01T00:00:00+14:00"}, id="before-first-day"),
    pytest.param(
        {"after": "0001-01-01T00:00:00+14:00", "before": "9999-12-31T23:59:59-14:00"},
        id="whole-calendar",
    ),
]
QUESTIONS = [
    "summarise my interviews",
    "find the interview invitation from Acme",
    "clean up promos older than a month",
    "who haven't I replied to?",
]


@pytest.mark.parametrize("filters", EDGE_FILTERS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_chat_calendar_edge_dates_answer(
    api: RunningApi, question: str, filters: dict[str, str]
) -> None:
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={
                "messages": [{"role": "user", "content": question}],
                "filters": filters,
            },
        )

    assert response.status_code == 200, response.text


def test_chat_whole_calendar_filter_keeps_matches(api: RunningApi) -> None:
    filters = {
        "after": "0001-01-01T00:00:00+14:00",
        "before": "9999-12-31T23:59:59-14:00",
    }
    question = "find the interview invitation from Acme"
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={
                "messages": [{"role": "user", "content": question}],
                "filters": filters,
            },
        )

    assert response.json()["search"]["total_hits"] >= 1


def test_chat_after_last_day_finds_nothing(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={
                "messages": [{"role": "user", "content": "find interview"}],
                "filters": {"after": "9999-12-31T23:59:59-14:00"},
            },
        )

    assert response.json()["search"]["total_hits"] == 0
