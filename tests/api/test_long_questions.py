"""Questions near the longest a chat message may be."""

from __future__ import annotations

import pytest

from .conftest import RunningApi

LONG_QUESTIONS = [
    pytest.param("find interview " + "acme backend engineer " * 300, id="many-words"),
    pytest.param("find " + "x" * 5000, id="one-long-word"),
    pytest.param('find "' + "acme offer " * 400 + '"', id="long-quoted-phrase"),
    pytest.param("summarise my interviews " + "面接" * 1500, id="long-cjk-run"),
]


@pytest.mark.parametrize("question", LONG_QUESTIONS)
def test_chat_long_question_answers(api: RunningApi, question: str) -> None:
    assert len(question) <= 8000
    with api.client() as client:
        response = client.post(
            "/api/chat", json={"messages": [{"role": "user", "content": question}]}
        )

    assert response.status_code == 200, response.text[:300]
    assert response.json()["answer"]
