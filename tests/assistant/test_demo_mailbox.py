"""The assistant on the generated demo mailbox, imported through the real
parser, classifier and SQLite store."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import icalendar
import pytest

from applylens.assistant.engine import Assistant
from applylens.assistant.schemas import ChatAnswer
from applylens.assistant.senders import SenderException
from applylens.demo import EXPECTED_KINDS_NAME, OWNER_ADDRESSES, generate_mailbox
from applylens.ingest import import_paths
from applylens.state import connect_state
from applylens.store.sqlite import SQLiteStore

from .conftest import NOW, ask

DEMO_OWNER = "local"
DEMO_COUNT = 1500


@dataclass
class Demo:
    store: SQLiteStore
    state: sqlite3.Connection
    expected: dict[str, dict[str, str]]

    def assistant(self) -> Assistant:
        return Assistant(
            self.store, self.state, owner_addresses=OWNER_ADDRESSES, now=lambda: NOW
        )

    def answer(self, question: str, **options: Any) -> ChatAnswer:
        return self.assistant().answer(ask(question, **options), DEMO_OWNER)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("demo")
    generated = generate_mailbox(root / "mail", count=DEMO_COUNT, now=NOW)
    store = SQLiteStore(root / "mail.db", retention_days=0)
    report = import_paths(
        [generated.mailbox],
        store,
        owner=DEMO_OWNER,
        owner_addresses=OWNER_ADDRESSES,
        retention_days=0,
        now=NOW,
        workers=1,
    )
    assert report.indexed == DEMO_COUNT
    with (root / "mail" / EXPECTED_KINDS_NAME).open(encoding="utf-8") as kinds:
        expected = {
            row["message_id"].strip("<>"): row
            for row in csv.DictReader(kinds, delimiter="\t")
        }
    state = connect_state(root / "state.db")
    yield Demo(store, state, expected)
    state.close()
    store.close()


def test_demo_summary_interview_first(demo: Demo) -> None:
    answer = demo.answer("summarize this week")

    assert answer.items[0].kind == "interview"
    assert answer.items[0].data["start"] > NOW.isoformat()


def test_demo_calendar_upcoming_interviews(demo: Demo) -> None:
    answer = demo.answer("add my upcoming interviews to my calendar")

    interviews = [i for i in answer.items if i.data["kind"] == "interview"]
    assert len(interviews) >= 3
    assert all(i.data["start"] > NOW.isoformat() for i in answer.items)


def test_demo_calendar_ics_parses(demo: Demo) -> None:
    answer = demo.answer("add my upcoming interviews to my calendar")

    action = next(a for a in answer.actions if a.kind == "calendar")
    parsed = icalendar.Calendar.from_ical(str(action.params["ics"]))
    assert len(list(parsed.walk("VEVENT"))) == len(answer.items)


def test_demo_follow_up_finds_awaiting(demo: Demo) -> None:
    answer = demo.answer("who do I need to follow up with?")

    found = set()
    for item in answer.items:
        message = demo.store.get_message(DEMO_OWNER, item.email_ids[0])
        found.add((message.message_id or "").strip("<>"))
    awaiting = {
        (m.message_id or "").strip("<>")
        for m in demo.store.iter_messages(DEMO_OWNER)
        if demo.expected[(m.message_id or "").strip("<>")]["awaiting_reply"] == "1"
        and timedelta(days=3) <= NOW - m.date <= timedelta(days=30)
    }
    assert awaiting
    assert awaiting <= found
    # The rest are mostly rejections the classifier labels as personal mail.
    assert len(awaiting) / len(found) >= 0.6


def test_demo_clean_keeps_bank(demo: Demo) -> None:
    answer = demo.answer(
        "clean up promos and newsletters older than a month unless they’re from my bank"
    )

    bank = SenderException("category", "bank")
    assert answer.actions
    for action in answer.actions:
        for doc_id in action.email_ids:
            assert not bank.matches(demo.store.get_message(DEMO_OWNER, doc_id))


def test_demo_flag_gives_reasons(demo: Demo) -> None:
    answer = demo.answer("any phishing in the last 3 months?")

    assert answer.items
    assert all(item.data["risk_reasons"] for item in answer.items)


def test_demo_find_interviews_cited(demo: Demo) -> None:
    answer = demo.answer("find interviews from the last 2 weeks")

    assert answer.citations
    assert all("interview" in c.labels for c in answer.citations)


def test_demo_stream_same_as_answer(demo: Demo) -> None:
    request = ask("summarize the last 2 weeks")
    assistant = demo.assistant()

    streamed = next(
        data for name, data in assistant.stream(request, DEMO_OWNER) if name == "answer"
    )
    answered = assistant.answer(request, DEMO_OWNER).model_dump(mode="json")
    for answer in (streamed, answered):
        answer.pop("timing_ms")
        answer["search"].pop("took_ms")
    assert streamed == answered


def test_demo_retention_note(demo: Demo) -> None:
    assistant = Assistant(demo.store, demo.state, retention_days=90, now=lambda: NOW)

    answer = assistant.answer(ask("summarize the last 180 days"), DEMO_OWNER)
    assert answer.window.effective_days == 90
    assert answer.window.note == (
        "Mail older than 90 days is not kept, so this answer covers the last "
        "90 days, not 180."
    )
