"""Proposed actions: listing, approving, rejecting, and the calendar download."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from applylens.store.sqlite import SQLiteStore

from .conftest import NOW, ApiFactory, RunningApi, make_message, sample_messages


@pytest.fixture
def calendar_api(start_api: ApiFactory, tmp_path: Path) -> RunningApi:
    store = SQLiteStore(tmp_path / "calendar.db")
    day = (NOW + timedelta(days=5)).strftime("%A, %B %d, %Y")
    store.add_messages(
        [
            *sample_messages("local"),
            make_message(
                "local",
                "<slot-1@acme.example>",
                "Interview scheduled: Backend Engineer at Acme",
                text=f"Your interview is scheduled for {day} at 10:00 AM UTC.",
                labels=("interview", "scheduling"),
            ),
        ]
    )
    return start_api(store)


def ask(client: httpx.Client, question: str) -> dict:
    response = client.post(
        "/api/chat", json={"messages": [{"role": "user", "content": question}]}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_actions_lists_proposals_of_answer(calendar_api: RunningApi) -> None:
    with calendar_api.client() as client:
        answer = ask(client, "put my interviews on the calendar")
        listed = client.get("/api/actions", params={"status": "proposed"}).json()

    assert [a["id"] for a in listed["actions"]] == [a["id"] for a in answer["actions"]]


def test_actions_approve_marks_approved(calendar_api: RunningApi) -> None:
    with calendar_api.client() as client:
        action_id = ask(client, "put my interviews on the calendar")["actions"][0]["id"]
        approved = client.post(f"/api/actions/{action_id}/approve")
        remaining = client.get("/api/actions", params={"status": "proposed"}).json()

    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert remaining["actions"] == []


def test_actions_reject_marks_rejected(calendar_api: RunningApi) -> None:
    with calendar_api.client() as client:
        action_id = ask(client, "put my interviews on the calendar")["actions"][0]["id"]
        rejected = client.post(f"/api/actions/{action_id}/reject")

    assert rejected.json()["status"] == "rejected"


def test_actions_reject_after_approve_is_409(calendar_api: RunningApi) -> None:
    with calendar_api.client() as client:
        action_id = ask(client, "put my interviews on the calendar")["actions"][0]["id"]
        client.post(f"/api/actions/{action_id}/approve")
        rejected = client.post(f"/api/actions/{action_id}/reject")
        again = client.post(f"/api/actions/{action_id}/approve")

    assert rejected.status_code == 409
    assert "already approved" in rejected.json()["detail"]
    assert again.status_code == 200
    assert again.json()["status"] == "approved"


def test_actions_unknown_id_is_404(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post("/api/actions/nope/approve")

    assert response.status_code == 404


def test_actions_bad_status_filter_is_422(api: RunningApi) -> None:
    with api.client() as client:
        response = client.get("/api/actions", params={"status": "done"})

    assert response.status_code == 422


def test_calendar_proposal_downloads_as_ics(calendar_api: RunningApi) -> None:
    with calendar_api.client() as client:
        action_id = ask(client, "put my interviews on the calendar")["actions"][0]["id"]
        response = client.get(f"/api/actions/{action_id}/calendar.ics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.text.startswith("BEGIN:VCALENDAR")
    assert "Acme" in response.text


def test_exception_unreadable_sender_is_400(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post("/api/exceptions", json={"sender": "!!!"})

    assert response.status_code == 400
    assert "'!!!'" in response.json()["detail"]


def test_approved_archive_marks_email_and_hits(
    start_api: ApiFactory, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "promo.db")
    promo = make_message(
        "local",
        "<sale-1@shop.example>",
        "Flash sale: 30% off everything",
        sender="deals@shop.example",
        sender_name="Shop",
        days_ago=20,
        labels=("promo",),
    )
    other = make_message("local", "<interview-9@acme.example>", "Interview at Acme")
    store.add_messages([promo, other])
    api = start_api(store)

    with api.client() as client:
        answer = ask(client, "clean up promos older than a week")
        (action,) = [a for a in answer["actions"] if a["kind"] == "archive"]
        approved = client.post(f"/api/actions/{action['id']}/approve")
        promo_view = client.get(f"/api/emails/{promo.doc_id}").json()
        other_view = client.get(f"/api/emails/{other.doc_id}").json()
        sale_hits = client.get("/api/search", params={"q": "flash sale"}).json()
        interview_hits = client.get("/api/search", params={"q": "acme"}).json()

    assert approved.status_code == 200
    assert promo.doc_id in action["email_ids"]
    assert promo_view["archived"] is True
    assert other_view["archived"] is False
    assert [h["archived"] for h in sale_hits["hits"]] == [True]
    assert [h["archived"] for h in interview_hits["hits"]] == [False]
