"""Chat questions with search syntax, request filters and sender exceptions in
any script, through POST /api/chat and POST /api/exceptions."""

from __future__ import annotations

import pytest

from .conftest import RunningApi


def ask(api: RunningApi, question: str, **extra: object) -> dict:
    with api.client() as client:
        response = client.post(
            "/api/chat",
            json={"messages": [{"role": "user", "content": question}], **extra},
        )
    assert response.status_code == 200, response.text
    return response.json()


def cited_subjects(answer: dict) -> list[str]:
    return [citation["subject"] for citation in answer["citations"]]


INTERVIEW = "Interview invitation: Backend Engineer at Acme"


def test_chat_excluded_word_leaves_out_mail(api: RunningApi) -> None:
    answer = ask(api, "find interview -backend")

    assert INTERVIEW not in cited_subjects(answer)
    assert "matching backend" not in answer["answer"]
    assert 'Left out: mail that mentions "backend".' in answer["answer"]


def test_chat_excluded_label_leaves_out_label(api: RunningApi) -> None:
    answer = ask(api, "find -interview")

    subjects = cited_subjects(answer)
    assert INTERVIEW not in subjects
    assert "Your application to Globex was received" in subjects
    assert "labelled interview" in answer["intent_explanation"]


def test_chat_prefix_word_matches(api: RunningApi) -> None:
    answer = ask(api, "search interv*")

    assert INTERVIEW in cited_subjects(answer)
    assert answer["search"]["total_hits"] >= 1


def test_chat_answer_names_sender_domain(api: RunningApi) -> None:
    answer = ask(
        api,
        "find application receipts",
        window_days=365,
        filters={"sender_domain": "example.org"},
    )

    assert answer["answer"] == (
        "No messages labelled application receipt from example.org in the last "
        "365 days."
    )


@pytest.mark.parametrize("sender", ["伊東 仁", "山田太郎", "김민수", "José Núñez"])
def test_exception_name_in_any_script_is_201(api: RunningApi, sender: str) -> None:
    with api.client() as client:
        response = client.post("/api/exceptions", json={"sender": sender})
        listed = client.get("/api/exceptions").json()

    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "name"
    assert response.json()["text"] == sender
    assert sender in [e["text"] for e in listed["exceptions"]]
