"""Proposed actions and learned exceptions: approval, rejection, owners."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from applylens.assistant.actions import ActionStore, ExceptionStore, UnsubscribeRequest
from applylens.assistant.engine import Assistant
from applylens.assistant.schemas import ProposedAction
from applylens.errors import NotFound
from applylens.mail.model import Message
from applylens.store.sqlite import SQLiteStore

from .conftest import OWNER, ask, build_mailbox

Box = dict[str, Message]
OTHER = "alex"


def first_action(assistant: Assistant, question: str, kind: str) -> ProposedAction:
    answer = assistant.answer(ask(question), OWNER)
    return next(a for a in answer.actions if a.kind == kind)


def test_proposals_listed_as_proposed(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("clean up promos older than a month"), OWNER)

    listed = assistant.list_actions(OWNER, status="proposed")
    assert {a.id for a in listed} == {a.id for a in answer.actions}
    assert all(a.status == "proposed" for a in listed)


def test_same_proposal_reuses_id(assistant: Assistant, mailbox: Box) -> None:
    first = assistant.answer(ask("clean up promos older than a month"), OWNER)
    again = assistant.answer(ask("clean up promos older than a month"), OWNER)

    assert [a.id for a in again.actions] == [a.id for a in first.actions]
    assert len(assistant.list_actions(OWNER)) == len(first.actions)


def test_archive_approve_hides_from_find(assistant: Assistant, mailbox: Box) -> None:
    action = first_action(assistant, "clean up promos older than a month", "archive")

    approved = assistant.approve_action(OWNER, action.id)
    found = assistant.answer(ask("find shopmart promos older than a month"), OWNER)
    assert approved.status == "approved"
    assert set(action.email_ids) <= assistant.actions.archived_ids(OWNER)
    assert not set(action.email_ids) & {c.id for c in found.citations}


def test_archive_approve_hides_from_summarize(
    assistant: Assistant, mailbox: Box
) -> None:
    action = first_action(assistant, "clean up promos older than a month", "archive")
    assistant.approve_action(OWNER, action.id)

    summary = assistant.answer(ask("summarize the last 3 months"), OWNER)
    assert not set(action.email_ids) & {c.id for c in summary.citations}
    ids = {i for item in summary.items for i in item.email_ids}
    assert not set(action.email_ids) & ids


def test_reject_changes_nothing(assistant: Assistant, mailbox: Box) -> None:
    action = first_action(assistant, "clean up promos older than a month", "archive")

    rejected = assistant.reject_action(OWNER, action.id)
    assert rejected.status == "rejected"
    assert assistant.actions.archived_ids(OWNER) == set()


def test_approve_twice_is_noop(assistant: Assistant, mailbox: Box) -> None:
    action = first_action(assistant, "clean up promos older than a month", "archive")

    assistant.approve_action(OWNER, action.id)
    again = assistant.approve_action(OWNER, action.id)
    assert again.status == "approved"


def test_reject_after_approve_keeps_approved(
    assistant: Assistant, mailbox: Box
) -> None:
    action = first_action(assistant, "clean up promos older than a month", "archive")

    assistant.approve_action(OWNER, action.id)
    assert assistant.reject_action(OWNER, action.id).status == "approved"


def test_list_by_status(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("clean up promos older than a month"), OWNER)
    assistant.approve_action(OWNER, answer.actions[0].id)

    approved = assistant.list_actions(OWNER, status="approved")
    assert [a.id for a in approved] == [answer.actions[0].id]


def test_list_unknown_status_rejected(assistant: Assistant) -> None:
    with pytest.raises(ValueError, match="'done' is not one of"):
        assistant.list_actions(OWNER, status="done")


def test_unsubscribe_approve_uses_sender(
    assistant_factory: Callable[..., Assistant], mailbox: Box
) -> None:
    sent: list[UnsubscribeRequest] = []

    def recording_sender(request: UnsubscribeRequest) -> str:
        sent.append(request)
        return "posted"

    assistant = assistant_factory(unsubscribe_sender=recording_sender)
    answer = assistant.answer(ask("unsubscribe from lists I never open"), OWNER)
    action = next(
        a for a in answer.actions if a.params["sender"] == "deals@shopmart.com"
    )
    assert sent == []

    assistant.approve_action(OWNER, action.id)
    assert [(r.method, r.target) for r in sent] == [
        ("one-click", "https://shopmart.com/unsubscribe/abc")
    ]
    records = assistant.actions.records(OWNER, "unsubscribe")
    assert records[0]["outcome"] == "posted"


def test_unsubscribe_default_only_records(assistant: Assistant, mailbox: Box) -> None:
    action = first_action(
        assistant, "unsubscribe from lists I never open", "unsubscribe"
    )

    assistant.approve_action(OWNER, action.id)
    records = assistant.actions.records(OWNER, "unsubscribe")
    assert records[0]["target"] == action.params["target"]
    assert "not sent" in records[0]["outcome"]


def test_reply_approve_stores_draft(assistant: Assistant, mailbox: Box) -> None:
    action = first_action(assistant, "threads I haven't replied to in 5 days", "reply")

    assistant.approve_action(OWNER, action.id)
    drafts = assistant.actions.records(OWNER, "draft")
    assert drafts[0]["to"] == "sam@talentco.io"
    assert drafts[0]["body"] == action.params["body"]


def test_calendar_approve_stores_events(assistant: Assistant, mailbox: Box) -> None:
    action = first_action(assistant, "add my interviews to my calendar", "calendar")

    assistant.approve_action(OWNER, action.id)
    stored = assistant.actions.records(OWNER, "event")
    assert len(stored[0]["events"]) == 4


def test_flag_approve_adds_label(
    assistant: Assistant, mailbox: Box, store: SQLiteStore
) -> None:
    action = first_action(assistant, "flag anything suspicious", "flag")

    assistant.approve_action(OWNER, action.id)
    message = store.get_message(OWNER, mailbox["risky_unlabelled"].doc_id)
    assert "suspicious" in message.labels


def test_flag_proposal_leaves_labels(
    assistant: Assistant, mailbox: Box, store: SQLiteStore
) -> None:
    first_action(assistant, "flag anything suspicious", "flag")

    message = store.get_message(OWNER, mailbox["risky_unlabelled"].doc_id)
    assert message.labels == []


# Owners


@pytest.fixture
def shared_mailbox(store: SQLiteStore, mailbox: Box) -> Box:
    """Give a second owner the same messages (same Message-IDs)."""
    other = build_mailbox(owner=OTHER)
    for name, message in other.items():
        message.key = mailbox[name].key
        message.message_id = mailbox[name].message_id
    store.add_messages(other.values())
    return other


def test_actions_isolated_by_owner(assistant: Assistant, shared_mailbox: Box) -> None:
    mine = assistant.answer(ask("clean up promos older than a month"), OWNER)

    assert assistant.list_actions(OTHER) == []
    with pytest.raises(NotFound):
        assistant.approve_action(OTHER, mine.actions[0].id)
    with pytest.raises(NotFound):
        assistant.reject_action(OTHER, mine.actions[0].id)


def test_archive_isolated_by_owner(assistant: Assistant, shared_mailbox: Box) -> None:
    mine = first_action(assistant, "clean up promos older than a month", "archive")
    assistant.approve_action(OWNER, mine.id)

    theirs = assistant.answer(ask("clean up promos older than a month"), OTHER)
    their_ids = {i for a in theirs.actions for i in a.email_ids}
    assert shared_mailbox["shop_old"].doc_id in their_ids
    assert assistant.actions.archived_ids(OTHER) == set()


def test_same_message_ids_differ_by_owner(shared_mailbox: Box, mailbox: Box) -> None:
    assert shared_mailbox["shop_old"].doc_id != mailbox["shop_old"].doc_id


def test_owner_case_in_actions(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(ask("clean up promos older than a month"), OWNER)

    listed = assistant.list_actions(OWNER.upper())
    assert {a.id for a in listed} == {a.id for a in answer.actions}


# Learned exceptions


def test_remember_learns_exception(assistant: Assistant, mailbox: Box) -> None:
    answer = assistant.answer(
        ask("remember that mail from devnews.io is never promo"), OWNER
    )

    learned = assistant.list_exceptions(OWNER)
    assert [(e.kind, e.value) for e in learned] == [("domain", "devnews.io")]
    assert "devnews.io" in answer.answer
    assert answer.actions == []


def test_learned_exception_honoured_by_clean(
    assistant: Assistant, mailbox: Box
) -> None:
    assistant.answer(ask("remember to keep mail from devnews.io"), OWNER)

    answer = assistant.answer(ask("clean up newsletters older than a month"), OWNER)
    archived = {i for a in answer.actions for i in a.email_ids}
    assert mailbox["devnews"].doc_id not in archived
    assert "learned exception" in answer.answer


def test_learned_exception_honoured_by_unsubscribe(
    assistant: Assistant, mailbox: Box
) -> None:
    assistant.add_exception(OWNER, "my bank")

    answer = assistant.answer(ask("unsubscribe from lists I never open"), OWNER)
    senders = {a.params["sender"] for a in answer.actions}
    assert "offers@chase.com" not in senders


def test_removed_exception_no_longer_kept(assistant: Assistant, mailbox: Box) -> None:
    learned = assistant.add_exception(OWNER, "devnews.io")
    assert learned.id is not None

    assistant.remove_exception(OWNER, learned.id)
    answer = assistant.answer(ask("clean up newsletters older than a month"), OWNER)
    assert mailbox["devnews"].doc_id in {i for a in answer.actions for i in a.email_ids}
    assert assistant.list_exceptions(OWNER) == []


def test_exceptions_isolated_by_owner(
    assistant: Assistant, shared_mailbox: Box
) -> None:
    learned = assistant.add_exception(OWNER, "devnews.io")
    assert learned.id is not None

    theirs = assistant.answer(ask("clean up newsletters older than a month"), OTHER)
    assert assistant.list_exceptions(OTHER) == []
    assert shared_mailbox["devnews"].doc_id in {
        i for a in theirs.actions for i in a.email_ids
    }
    with pytest.raises(NotFound):
        assistant.remove_exception(OTHER, learned.id)


def test_exception_unreadable_rejected(state: sqlite3.Connection) -> None:
    exceptions = ExceptionStore(state)

    with pytest.raises(ValueError, match="cannot read a sender"):
        exceptions.add(OWNER, "  the  ")


def test_exception_added_once(state: sqlite3.Connection) -> None:
    exceptions = ExceptionStore(state)

    first = exceptions.add(OWNER, "Acme.com")
    second = exceptions.add(OWNER.upper(), "acme.com")
    assert first.id == second.id
    assert len(exceptions.list(OWNER)) == 1


def test_action_store_rejects_blank_owner(
    state: sqlite3.Connection, store: SQLiteStore
) -> None:
    actions = ActionStore(state, store)

    with pytest.raises(ValueError, match="owner must not be empty"):
        actions.propose("  ", "archive", "Archive", ["x"])


def test_state_tables_survive_reconnect(
    assistant_factory: Callable[..., Assistant], mailbox: Box
) -> None:
    first = assistant_factory()
    answer = first.answer(ask("clean up promos older than a month"), OWNER)

    second = assistant_factory()
    assert {a.id for a in second.list_actions(OWNER)} == {a.id for a in answer.actions}


def test_forget_removes_exception(assistant: Assistant, mailbox: Box) -> None:
    assistant.answer(ask("remember to keep mail from devnews.io"), OWNER)

    answer = assistant.answer(ask("forget the exception for devnews.io"), OWNER)
    assert assistant.list_exceptions(OWNER) == []
    assert "forgot the exception for devnews.io" in answer.answer


def test_forget_unknown_lists_known(assistant: Assistant, mailbox: Box) -> None:
    assistant.add_exception(OWNER, "my bank")

    answer = assistant.answer(ask("forget acme.com"), OWNER)
    assert "No learned exception matches acme.com" in answer.answer
    assert "your bank" in answer.answer
    assert len(assistant.list_exceptions(OWNER)) == 1
