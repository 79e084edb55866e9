"""Sender exceptions written in any script, parsed and matched, and honoured
by clean on a real SQLite store."""

from __future__ import annotations

import pytest

from applylens.assistant.engine import Assistant
from applylens.assistant.intents import detect_intent
from applylens.assistant.senders import parse_sender_exception
from applylens.store.sqlite import SQLiteStore

from .conftest import NOW, OWNER, ask, make_message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("伊東 仁", "伊東 仁", id="japanese-spaced"),
        pytest.param("山田太郎", "山田太郎", id="japanese"),
        pytest.param("김민수", "김민수", id="korean"),
        pytest.param("José Núñez", "josé núñez", id="spanish"),
        pytest.param("Иван Петров", "иван петров", id="russian"),
        pytest.param("山田さん", "山田", id="japanese-honorific"),
    ],
)
def test_parse_name_in_any_script(text: str, value: str) -> None:
    exception = parse_sender_exception(text)

    assert exception is not None
    assert exception.kind == "name"
    assert exception.value == value
    assert exception.text == text


@pytest.mark.parametrize("text", ["😀", "!!!", "the ones"])
def test_parse_without_letters_is_none(text: str) -> None:
    assert parse_sender_exception(text) is None


def test_parse_domain_in_any_script() -> None:
    exception = parse_sender_exception("例え.jp")

    assert exception is not None
    assert exception.kind == "domain"


@pytest.mark.parametrize(
    ("name", "sender_name"),
    [
        pytest.param("山田", "山田太郎", id="family-name-in-run"),
        pytest.param("伊東 仁", "伊東 仁", id="spaced"),
        pytest.param("김민수", "김민수", id="korean"),
    ],
)
def test_name_matches_sender_name(name: str, sender_name: str) -> None:
    exception = parse_sender_exception(name)
    message = make_message(sender="someone@shop.example", sender_name=sender_name)

    assert exception is not None
    assert exception.matches(message)


def test_accented_name_matches_domain() -> None:
    exception = parse_sender_exception("José Núñez")
    message = make_message(sender="hola@josenunez.es")

    assert exception is not None
    assert exception.matches(message)


def test_korean_name_not_matched_inside_other() -> None:
    exception = parse_sender_exception("김민")
    message = make_message(sender="kim@shop.example", sender_name="김민수")

    assert exception is not None
    assert not exception.matches(message)


@pytest.mark.parametrize(
    ("question", "values"),
    [
        pytest.param(
            "clean up promos older than a month unless they are from 山田",
            ["山田"],
            id="japanese",
        ),
        pytest.param(
            "clean up promos unless they're from 김민수 or José Núñez",
            ["김민수", "josé núñez"],
            id="korean-and-spanish",
        ),
        pytest.param(
            "clean up promos unless from 山田さん、伊東",
            ["山田", "伊東"],
            id="japanese-comma",
        ),
    ],
)
def test_unless_clause_reads_any_script(question: str, values: list[str]) -> None:
    plan = detect_intent(question, now=NOW)

    assert plan.intent == "clean"
    assert [e.value for e in plan.exceptions] == values
    assert plan.unread_exceptions == []


def test_clean_keeps_mail_from_japanese_name(
    assistant: Assistant, store: SQLiteStore
) -> None:
    yamada = make_message(
        subject="セールのお知らせ",
        sender="info@shop.example",
        sender_name="山田太郎",
        days_ago=40,
        labels=["promo"],
    )
    other = make_message(
        subject="Flash sale",
        sender="deals@store.example",
        days_ago=40,
        labels=["promo"],
    )
    store.add_messages([yamada, other])

    answer = assistant.answer(
        ask("clean up promos older than a month unless they are from 山田"), OWNER
    )

    archived = {i for a in answer.actions for i in a.email_ids}
    assert yamada.doc_id not in archived
    assert other.doc_id in archived
    assert "Kept 1 message from 山田 (you asked)." in answer.answer


def test_clean_says_unreadable_exception(
    assistant: Assistant, store: SQLiteStore
) -> None:
    store.add_messages(
        [make_message(sender="deals@store.example", days_ago=40, labels=["promo"])]
    )

    answer = assistant.answer(
        ask("clean up promos older than a month unless they are from 😀"), OWNER
    )

    assert "No sender could be read from '😀'" in answer.answer
    assert "'😀'" in answer.intent_explanation


def test_name_with_bracketed_address_is_address() -> None:
    exception = parse_sender_exception("山田太郎 <yamada@example.jp>")

    assert exception is not None
    assert (exception.kind, exception.value) == ("address", "yamada@example.jp")


@pytest.mark.parametrize("text", ["acme\x00", "acme\nbank", "a\tb\x1b[31m"])
def test_control_characters_give_no_sender(text: str) -> None:
    assert parse_sender_exception(text) is None


def test_from_prefix_is_dropped() -> None:
    exception = parse_sender_exception("From: acme.com")

    assert exception is not None
    assert (exception.kind, exception.value) == ("domain", "acme.com")
