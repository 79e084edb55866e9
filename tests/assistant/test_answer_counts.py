"""The counts answers state (the real total next to what they list) and the
request filters they name, on a real SQLite store."""

from __future__ import annotations

import importlib

import pytest

from applylens.assistant.engine import Assistant
from applylens.assistant.schemas import ChatAnswer, ChatFilters
from applylens.mail.model import Message
from applylens.store.sqlite import SQLiteStore

from .conftest import OWNER, ask, make_message

Box = dict[str, Message]

# The tools package exports each tool function under its module's name, so
# the modules are read from the import system.
find_module = importlib.import_module("applylens.assistant.tools.find")
summarize_module = importlib.import_module("applylens.assistant.tools.summarize")
clean_module = importlib.import_module("applylens.assistant.tools.clean")


def run(assistant: Assistant, question: str, **options: object) -> ChatAnswer:
    return assistant.answer(ask(question, **options), OWNER)


def add_mail(store: SQLiteStore, count: int, label: str, subject: str) -> None:
    store.add_messages(
        make_message(
            subject=f"{subject} {index}",
            sender=f"person{index}@{label}.example",
            days_ago=1 + index % 25,
            labels=[label],
        )
        for index in range(count)
    )


# Totals next to the listed matches


def test_find_states_total_and_shown(assistant: Assistant, store: SQLiteStore) -> None:
    add_mail(store, 39, "interview", "Interview round")

    answer = run(assistant, "find interviews")

    assert answer.search.total_hits == 39
    assert len(answer.citations) == 20
    assert answer.answer.startswith(
        "Found 39 messages labelled interview in the last 30 days; "
        "here are the 20 newest."
    )


def test_find_two_labels_states_union(assistant: Assistant, store: SQLiteStore) -> None:
    add_mail(store, 39, "interview", "Interview round")
    add_mail(store, 37, "offer", "Offer letter")

    answer = run(assistant, "find interviews and offers")

    assert answer.search.total_hits == 76
    assert answer.answer.startswith(
        "Found 76 messages labelled interview or offer in the last 30 days; "
        "here are 20 of them, newest first."
    )


def test_find_words_states_most_relevant(
    assistant: Assistant, store: SQLiteStore
) -> None:
    add_mail(store, 39, "interview", "Kubernetes interview round")

    answer = run(assistant, "find kubernetes", max_results=10)

    assert len(answer.citations) == 10
    assert answer.answer.startswith(
        "Found 39 messages matching kubernetes in the last 30 days; "
        "here are the 10 most relevant."
    )


def archive_newest(assistant: Assistant, count: int) -> None:
    newest = run(assistant, "find interviews", max_results=count)
    ids = [citation.id for citation in newest.citations]
    action = assistant.actions.propose(OWNER, "archive", "Archive", ids, {})
    assistant.approve_action(OWNER, action.id)


def test_find_total_leaves_out_archived(
    assistant: Assistant, store: SQLiteStore
) -> None:
    add_mail(store, 25, "interview", "Interview round")
    archive_newest(assistant, 2)

    answer = run(assistant, "find interviews", max_results=5)

    assert answer.answer.startswith("Found 23 messages labelled interview")


def test_find_total_past_scan_is_estimate(
    assistant: Assistant, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(find_module, "SCAN_LIMIT", 10)
    add_mail(store, 39, "interview", "Interview round")
    archive_newest(assistant, 2)

    answer = run(assistant, "find interviews")

    # The 10 newest are read and 2 of them are archived; the backend counts
    # the other 29 without knowing which of them are archived.
    assert answer.answer.startswith("Found about 37 messages labelled interview")


def test_find_total_past_scan_exact_without_filters(
    assistant: Assistant, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(find_module, "SCAN_LIMIT", 10)
    add_mail(store, 39, "interview", "Interview round")

    answer = run(assistant, "find interviews")

    assert answer.answer.startswith("Found 39 messages labelled interview")


def test_find_all_shown_keeps_short_headline(
    assistant: Assistant, mailbox: Box
) -> None:
    answer = run(assistant, "find interviews")

    assert answer.answer.startswith(
        "Found 3 messages labelled interview in the last 30 days.\n"
    )


def test_summarize_counts_cover_part(
    assistant: Assistant, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summarize_module, "SCAN_LIMIT", 10)
    add_mail(store, 39, "interview", "Interview round")

    answer = run(assistant, "summarize the last 30 days")

    assert "The counts cover the 10 most recent of 39." in answer.answer


def test_clean_says_scan_read_part(
    assistant: Assistant, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clean_module, "SCAN_LIMIT", 5)
    store.add_messages(
        make_message(
            subject=f"Sale {index}",
            sender=f"deals@shop{index}.example",
            days_ago=40 + index,
            labels=["promo"],
        )
        for index in range(12)
    )

    answer = run(assistant, "clean up promos older than a month")

    assert "archiving 5 promo messages" in answer.answer
    assert "Only the 5 newest of 12 old promo messages were read." in answer.answer


def test_task_states_total_and_shown(assistant: Assistant, store: SQLiteStore) -> None:
    store.add_messages(
        make_message(
            subject=f"Assessment {index}",
            sender=f"talent@company{index}.example",
            days_ago=1 + index % 10,
            labels=["assessment"],
            text="Please complete the coding assessment.",
        )
        for index in range(45)
    )

    answer = run(assistant, "what tasks do I have")

    assert answer.answer.startswith(
        "45 requests in your mail; here are the 40 soonest due:"
    )


# The sender domain filter in answers

DOMAIN = ChatFilters(sender_domain="example.org")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param(
            "find application receipts",
            "No messages labelled application receipt from example.org in the "
            "last 30 days.",
            id="find",
        ),
        pytest.param(
            "summarize the last week",
            "No new mail from example.org in the last 7 days.",
            id="summarize",
        ),
        pytest.param("any phishing?", "No suspicious mail from example.org", id="flag"),
        pytest.param(
            "clean up promos older than a month",
            "no promo messages from example.org older than 30 days",
            id="clean",
        ),
        pytest.param(
            "unsubscribe me from newsletters",
            "No mailing list from example.org qualifies",
            id="unsubscribe",
        ),
        pytest.param(
            "what do I need to follow up on",
            "No thread from example.org in the last 30 days",
            id="follow-up",
        ),
        pytest.param(
            "what tasks do I have",
            "No open requests in your mail from example.org",
            id="task",
        ),
        pytest.param(
            "when are my interviews",
            "in your mail from example.org",
            id="calendar",
        ),
    ],
)
def test_answer_names_sender_domain_filter(
    assistant: Assistant, mailbox: Box, question: str, expected: str
) -> None:
    answer = run(assistant, question, filters=DOMAIN)

    assert expected in answer.answer


def test_find_hits_name_sender_domain_filter(
    assistant: Assistant, store: SQLiteStore
) -> None:
    add_mail(store, 3, "interview", "Interview round")

    answer = run(
        assistant,
        "find interviews",
        filters=ChatFilters(sender_domain="interview.example"),
    )

    assert answer.answer.startswith(
        "Found 3 messages labelled interview from interview.example in the last "
        "30 days."
    )


# The request's label filter


def test_label_filter_searched_not_applied_to_page(
    assistant: Assistant, store: SQLiteStore
) -> None:
    # 300 newer messages mention salary without the label, so a filter applied
    # to the first page of hits would leave nothing.
    store.add_messages(
        make_message(
            subject=f"Salary survey {index}", days_ago=1, labels=["newsletter"]
        )
        for index in range(300)
    )
    store.add_messages(
        make_message(
            subject=f"Offer with salary {index}", days_ago=20, labels=["offer"]
        )
        for index in range(11)
    )

    answer = run(
        assistant, "find salary", filters=ChatFilters(labels=["offer"]), window_days=60
    )

    assert answer.search.total_hits == 11
    assert len(answer.citations) == 11
    assert all(c.subject.startswith("Offer with salary") for c in answer.citations)


def test_label_filter_narrows_tool_labels(
    assistant: Assistant, store: SQLiteStore
) -> None:
    store.add_messages(
        make_message(subject=f"Sale {index}", days_ago=45, labels=["promo"])
        for index in range(5)
    )
    store.add_messages(
        make_message(subject=f"Digest {index}", days_ago=45, labels=["newsletter"])
        for index in range(7)
    )

    answer = run(assistant, "clean up", filters=ChatFilters(labels=["promo"]))

    proposal = next(a for a in answer.actions if a.kind == "archive")
    assert len(proposal.email_ids) == 5


def test_label_filter_outside_tool_labels_finds_nothing(
    assistant: Assistant, store: SQLiteStore
) -> None:
    add_mail(store, 4, "promo", "Sale")

    answer = run(assistant, "clean up", filters=ChatFilters(labels=["interview"]))

    assert not any(a.kind == "archive" for a in answer.actions)


def test_clean_exception_note_says_only_read_mail(
    assistant: Assistant, store: SQLiteStore
) -> None:
    store.add_messages(
        make_message(
            subject=f"Digest {index}",
            sender=f"digest{index % 5}@news.example",
            days_ago=40 + index / 100,
            labels=["newsletter"],
        )
        for index in range(320)
    )

    answer = run(assistant, "clean up newsletters older than a month except 山田")

    assert "None of the 300 old newsletter messages read came from 山田" in (
        answer.answer
    )
    assert "No old newsletter came from" not in answer.answer


def test_clean_exception_note_when_all_read(
    assistant: Assistant, store: SQLiteStore
) -> None:
    store.add_messages(
        [make_message(subject="Old digest", days_ago=40, labels=["newsletter"])]
    )

    answer = run(assistant, "clean up newsletters older than a month except 山田")

    assert "No old newsletter came from 山田, so nothing needed keeping." in (
        answer.answer
    )
