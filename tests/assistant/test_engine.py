"""The engine: stream and answer, context, windows, citations and errors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from applylens.assistant.engine import AnswerCancelled, Assistant, split_deltas
from applylens.assistant.schemas import STREAM_EVENTS, ChatAnswer, ChatFilters
from applylens.errors import BackendUnavailable, QuerySyntaxError
from applylens.mail.model import Message
from applylens.state import connect_state
from applylens.store.sqlite import SQLiteStore

from .conftest import NOW, OWNER, ask

Box = dict[str, Message]


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """Drop the measured times, which differ between two runs."""
    answer = dict(answer)
    answer.pop("timing_ms")
    answer["search"] = {k: v for k, v in answer["search"].items() if k != "took_ms"}
    return answer


QUESTIONS = [
    "summarize this week",
    "find the offer from Hooli",
    "clean up promos older than a month unless they're from Acme",
    "unsubscribe from lists I never open",
    "any scams?",
    "who do I need to follow up with?",
    "add my interviews to my calendar",
    "what do I need to do before Friday?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_stream_same_answer_as_answer(
    assistant: Assistant, mailbox: Box, question: str
) -> None:
    request = ask(question)

    events = list(assistant.stream(request, OWNER))
    streamed = next(data for name, data in events if name == "answer")
    answered = assistant.answer(request, OWNER).model_dump(mode="json")
    assert _comparable(streamed) == _comparable(answered)


def test_stream_event_order(assistant: Assistant, mailbox: Box) -> None:
    names = [name for name, _ in assistant.stream(ask("summarize this week"), OWNER)]

    deltas = names.count("delta")
    assert names[:3] == ["intent", "tool", "citations"]
    assert names[3 : 3 + deltas] == ["delta"] * deltas
    assert names[3 + deltas :] == ["answer", "actions"]
    assert set(names) <= set(STREAM_EVENTS)


def test_stream_deltas_rebuild_answer(assistant: Assistant, mailbox: Box) -> None:
    events = list(assistant.stream(ask("summarize this week"), OWNER))

    text = "".join(data["text"] for name, data in events if name == "delta")
    answer = next(data for name, data in events if name == "answer")
    assert sum(1 for name, _ in events if name == "delta") > 2
    assert text == answer["answer"]


def test_stream_tool_event_counts(assistant: Assistant, mailbox: Box) -> None:
    events = dict(assistant.stream(ask("unsubscribe from lists I never open"), OWNER))

    assert events["tool"]["tool"] == "unsubscribe"
    assert events["tool"]["actions"] == len(events["actions"]["actions"])
    assert events["tool"]["matches"] > 0


def test_stream_cancel_stops(assistant: Assistant, mailbox: Box) -> None:
    cancel = threading.Event()
    names = []
    for name, _data in assistant.stream(ask("summarize this week"), OWNER, cancel):
        names.append(name)
        cancel.set()

    assert names == ["intent"]


def test_stream_cancel_between_deltas(assistant: Assistant, mailbox: Box) -> None:
    cancel = threading.Event()
    names = []
    for name, _data in assistant.stream(ask("summarize this week"), OWNER, cancel):
        names.append(name)
        if name == "delta":
            cancel.set()

    assert names[-1] == "delta"
    assert "answer" not in names


def test_answer_cancelled_raises(assistant: Assistant, mailbox: Box) -> None:
    cancel = threading.Event()
    cancel.set()

    with pytest.raises(AnswerCancelled):
        assistant.answer(ask("summarize this week"), OWNER, cancel)


def test_context_follow_up_reuses_intent(assistant: Assistant, mailbox: Box) -> None:
    request = ask("find interviews from Acme", "and from Globex?")

    answer = assistant.answer(request, OWNER)
    assert answer.intent == "find"
    assert [c.id for c in answer.citations] == [mailbox["globex_interview"].doc_id]
    assert "continues the previous question" in answer.intent_explanation


def test_context_new_intent_wins(assistant: Assistant, mailbox: Box) -> None:
    request = ask("find interviews from Acme", "now summarize this week")

    assert assistant.answer(request, OWNER).intent == "summarize"


def test_context_fallback_alone_is_find(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("and from Globex?"), OWNER)

    assert answer.intent == "find"


def test_context_never_reuses_into_remember(assistant: Assistant, mailbox: Box) -> None:
    request = ask("find promos", "remember to keep mail from shopmart.com")

    assistant.answer(request, OWNER)
    assert [e.value for e in assistant.list_exceptions(OWNER)] == ["shopmart.com"]


def test_window_from_request(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("find recruiters", window_days=7), OWNER)

    assert answer.window.requested_days == 7
    assert answer.window.effective_days == 7
    assert {c.id for c in answer.citations} == {
        mailbox["sam_outreach"].doc_id,
        mailbox["kim_outreach"].doc_id,
    }


def test_window_phrase_overrides_request(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(
        ask("find recruiters in the last 2 weeks", window_days=3), OWNER
    )

    assert answer.window.requested_days == 14
    assert len(answer.citations) == 4


def test_window_retention_note(
    tmp_path: Path, mailbox: Box, store: SQLiteStore
) -> None:
    state = connect_state(tmp_path / "retention-state.db")
    assistant = Assistant(store, state, retention_days=20, now=lambda: NOW)

    answer = assistant.answer(ask("find interviews", window_days=60), OWNER)
    state.close()
    assert answer.window.effective_days == 20
    assert answer.window.note is not None
    assert "older than 20 days is not kept" in answer.window.note
    assert mailbox["old_interview"].doc_id not in {c.id for c in answer.citations}


def test_window_no_note_within_retention(
    assistant_factory: Callable[..., Assistant], mailbox: Box
) -> None:
    assistant = assistant_factory(retention_days=90)

    answer = assistant.answer(ask("find interviews", window_days=30), OWNER)
    assert answer.window.note is None


def test_filters_labels_apply(assistant: Assistant, mailbox: Box) -> None:
    request = ask("summarize the last 2 weeks")
    request.filters = ChatFilters(labels=["offer"])

    answer = assistant.answer(request, OWNER)
    assert [c.id for c in answer.citations] == [mailbox["hooli_offer"].doc_id]


def test_search_stats_filled(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("find the offer from Hooli"), OWNER)

    assert answer.search.backend == "sqlite"
    assert answer.search.total_hits == 1
    assert answer.search.returned == 1
    assert answer.search.took_ms >= 0


def test_timing_reported(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("summarize this week"), OWNER)

    assert set(answer.timing_ms) == {"plan", "tool", "total"}
    assert answer.timing_ms["total"] >= answer.timing_ms["tool"]


def test_citations_capped_by_max_results(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("summarize the last month", max_results=3), OWNER)

    assert len(answer.citations) == 3


def test_owner_case_insensitive(assistant: Assistant, mailbox: Box) -> None:
    lower = assistant.answer(ask("find the offer from Hooli"), OWNER)
    upper = assistant.answer(ask("find the offer from Hooli"), OWNER.upper())

    assert [c.id for c in upper.citations] == [c.id for c in lower.citations]


def test_other_owner_sees_nothing(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("find the offer from Hooli"), "someone-else")

    assert answer.citations == []
    assert answer.items == []


def test_backend_outage_raises(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    backend = SQLiteStore(blocked, retention_days=0)
    state = connect_state(tmp_path / "outage-state.db")
    assistant = Assistant(backend, state, now=lambda: NOW)

    with pytest.raises(BackendUnavailable):
        assistant.answer(ask("find interviews"), OWNER)
    state.close()


def test_backend_outage_in_stream_raises(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    backend = SQLiteStore(blocked, retention_days=0)
    state = connect_state(tmp_path / "outage-state.db")
    assistant = Assistant(backend, state, now=lambda: NOW)

    stream = assistant.stream(ask("find interviews"), OWNER)
    assert next(stream)[0] == "intent"
    with pytest.raises(BackendUnavailable):
        next(stream)
    state.close()


def test_request_without_user_turn_rejected(assistant: Assistant) -> None:
    request = ask("hello")
    request.messages[0].role = "assistant"

    with pytest.raises(ValueError, match="no user message"):
        assistant.answer(request, OWNER)


def test_answer_is_valid_model(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("summarize this week"), OWNER)

    assert ChatAnswer.model_validate_json(answer.model_dump_json()) == answer


@pytest.mark.parametrize(
    "text", ["", "one", "a few words here", "line one\nline two\n\n" + "word " * 60]
)
def test_split_deltas_round_trip(text: str) -> None:
    assert "".join(split_deltas(text, size=20)) == text


def test_window_filter_after_noted(assistant: Assistant, mailbox: Box) -> None:
    request = ask("find recruiters")
    request.filters = ChatFilters(after=NOW - timedelta(days=7))

    answer = assistant.answer(request, OWNER)
    assert answer.window.note == "The filters start the window at 2026-11-27."
    assert mailbox["lee_outreach"].doc_id not in {c.id for c in answer.citations}


def test_filters_unknown_label_rejected(assistant: Assistant, mailbox: Box) -> None:
    request = ask("summarize this week")
    request.filters = ChatFilters(labels=["interviewz"])

    with pytest.raises(QuerySyntaxError, match="unknown label 'interviewz'"):
        assistant.answer(request, OWNER)


def test_filters_label_spelling_normalised(assistant: Assistant, mailbox: Box) -> None:
    request = ask("summarize the last 2 weeks")
    request.filters = ChatFilters(labels=["Recruiter Outreach"])

    answer = assistant.answer(request, OWNER)
    assert answer.citations
    assert all("recruiter_outreach" in c.labels for c in answer.citations)


def test_window_note_absent_for_assistant_chosen_window(
    tmp_path: Path, mailbox: Box, store: SQLiteStore
) -> None:
    state = connect_state(tmp_path / "retention-state.db")
    assistant = Assistant(store, state, retention_days=60, now=lambda: NOW)

    answer = assistant.answer(ask("clean up promos older than a week"), OWNER)
    state.close()

    assert answer.window.requested_days == 365
    assert answer.window.note is None
