"""Fixtures of the assistant tests: a real SQLite store filled with mail built
here, a state database and a fixed clock."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from applylens.assistant.engine import Assistant
from applylens.assistant.schemas import ChatRequest, ChatTurn
from applylens.mail.model import Message, Unsubscribe
from applylens.state import connect_state
from applylens.store.sqlite import SQLiteStore

# A Friday afternoon, so that "before Friday" and "this week" are easy to check.
NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
OWNER = "jordan"
OWNER_ADDRESS = "jordan.lee@example.com"

_counter = itertools.count(1)


def make_message(
    *,
    owner: str = OWNER,
    subject: str = "Hello",
    sender: str = "someone@example.org",
    sender_name: str = "",
    days_ago: float = 1.0,
    text: str = "",
    labels: list[str] | None = None,
    thread_id: str = "",
    flags: str = "",
    unsubscribe: Unsubscribe | None = None,
    to: list[str] | None = None,
    **extra: Any,
) -> Message:
    number = next(_counter)
    message_id = f"<m{number}@{sender.split('@')[-1]}>"
    return Message(
        owner=owner,
        key=message_id,
        message_id=message_id,
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        sender_domain=sender.split("@")[-1],
        date=NOW - timedelta(days=days_ago),
        date_source="date",
        thread_id=thread_id or f"t{number}",
        to=to if to is not None else [OWNER_ADDRESS],
        text=text,
        labels=labels or [],
        maildir_flags=flags,
        unsubscribe=unsubscribe,
        **extra,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    backend = SQLiteStore(tmp_path / "mail.db", retention_days=0)
    yield backend
    backend.close()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect_state(tmp_path / "state.db")
    yield connection
    connection.close()


@pytest.fixture
def assistant_factory(
    store: SQLiteStore, state: sqlite3.Connection
) -> Callable[..., Assistant]:
    def build(**options: Any) -> Assistant:
        options.setdefault("owner_addresses", [OWNER_ADDRESS])
        return Assistant(store, state, now=lambda: NOW, **options)

    return build


@pytest.fixture
def assistant(assistant_factory: Callable[..., Assistant]) -> Assistant:
    return assistant_factory()


def ask(*questions: str, **options: Any) -> ChatRequest:
    """Build a request whose last user turn is the last question."""
    turns = []
    for question in questions:
        if turns:
            turns.append(ChatTurn(role="assistant", content="(earlier answer)"))
        turns.append(ChatTurn(role="user", content=question))
    return ChatRequest(messages=turns, **options)


def build_mailbox(owner: str = OWNER) -> dict[str, Message]:
    """Return a small job-search mailbox, by name, dated relative to NOW."""
    one_click = Unsubscribe(
        mailto="mailto:leave@shopmart.com",
        url="https://shopmart.com/unsubscribe/abc",
        one_click=True,
    )
    me = OWNER_ADDRESS
    box = {
        "acme_slots": make_message(
            owner=owner,
            subject="Scheduling your onsite interview with Acme",
            sender="rita@acme.com",
            sender_name="Rita Alvarez",
            days_ago=5,
            thread_id="t-acme",
            labels=["scheduling"],
            company="Acme",
            text="Would any of these times work for you?\n"
            "- Tuesday, December 8 at 2:00 PM PT\n"
            "- Wednesday, December 9 at 11:00 AM PT",
        ),
        "acme_pick": make_message(
            owner=owner,
            subject="Re: Scheduling your onsite interview with Acme",
            sender=me,
            days_ago=4,
            thread_id="t-acme",
            to=["rita@acme.com"],
            text="Tuesday, December 8 at 2:00 PM PT works well for me.",
        ),
        "acme_interview": make_message(
            owner=owner,
            subject="Confirmed: onsite interview with Acme on Tuesday, December 8",
            sender="rita@acme.com",
            sender_name="Rita Alvarez",
            days_ago=2,
            thread_id="t-acme",
            labels=["interview"],
            company="Acme",
            role="Backend Engineer",
            flags="S",
            text="You're confirmed! Your onsite interview is scheduled for Tuesday, "
            "December 8 at 2:00 PM PT. It is a 60-minute session. Join by video: "
            "https://meet.acme.com/abc123",
        ),
        "globex_interview": make_message(
            owner=owner,
            subject="Interview invitation: video interview at Globex",
            sender="hr@globex.com",
            sender_name="Greta Hansen",
            days_ago=1,
            labels=["interview"],
            company="Globex",
            flags="RS",
            text="We would like to invite you to a video interview on Wednesday 9 "
            "December at 10:00 CET.",
        ),
        "old_interview": make_message(
            owner=owner,
            subject="Phone screen with Vandelay",
            sender="art@vandelay.com",
            days_ago=25,
            labels=["interview"],
            company="Vandelay",
            flags="RS",
            text="Talk to you on Monday, November 16 at 3:00 PM ET.",
        ),
        "initech_assessment": make_message(
            owner=owner,
            subject="Action required: complete your Initech coding assessment",
            sender="assess@codesignal.example",
            sender_name="CodeSignal for Initech",
            days_ago=1,
            labels=["assessment"],
            company="Initech",
            flags="S",
            text="Please complete the coding assessment on CodeSignal. It takes about "
            "90 minutes.\n\nDeadline: Monday, December 7 at 11:59 PM ET. The link "
            "expires after the deadline.",
        ),
        "hooli_offer": make_message(
            owner=owner,
            subject="Your offer from Hooli",
            sender="gavin@hooli.com",
            sender_name="Gavin Belson",
            days_ago=2,
            labels=["offer"],
            company="Hooli",
            flags="S",
            text="I'm delighted to offer you the position. Please review it and let "
            "us know your decision by Thursday, December 10.",
        ),
        "umbrella_rejection": make_message(
            owner=owner,
            subject="Your application to Umbrella",
            sender="jobs@umbrella.example",
            days_ago=5,
            labels=["rejection"],
            text="We decided to move forward with other candidates.",
        ),
        "sam_outreach": make_message(
            owner=owner,
            subject="Quick chat about a platform role?",
            sender="sam@talentco.io",
            sender_name="Sam Carter",
            days_ago=6,
            thread_id="t-sam",
            labels=["recruiter_outreach"],
            flags="S",
            text="Could you send me your CV? I think you'd be a great fit.",
        ),
        "lee_outreach": make_message(
            owner=owner,
            subject="Data role at HireFast",
            sender="lee@hirefast.io",
            sender_name="Lee Park",
            days_ago=8,
            thread_id="t-lee",
            labels=["recruiter_outreach"],
            flags="S",
            text="Are you open to new roles?",
        ),
        "lee_answer": make_message(
            owner=owner,
            subject="Re: Data role at HireFast",
            sender=me,
            days_ago=7,
            thread_id="t-lee",
            to=["lee@hirefast.io"],
            text="Thanks, not right now.",
        ),
        "kim_outreach": make_message(
            owner=owner,
            subject="Frontend contract",
            sender="kim@staffing.example",
            sender_name="Kim Lo",
            days_ago=1,
            labels=["recruiter_outreach"],
            text="Interested in a contract?",
        ),
        "receipt": make_message(
            owner=owner,
            subject="Thanks for applying to Stark Industries",
            sender="no-reply@greenhouse.io",
            days_ago=10,
            labels=["application_receipt"],
            text="We received your application.",
        ),
        "mom": make_message(
            owner=owner,
            subject="Dinner Saturday?",
            sender="mom@family.example",
            sender_name="Mom",
            days_ago=4,
            labels=["personal"],
            flags="S",
            text="Are you coming on Saturday?",
        ),
        "shop_old": make_message(
            owner=owner,
            subject="Weekend deals",
            sender="deals@shopmart.com",
            sender_name="ShopMart",
            days_ago=40,
            labels=["promo"],
            unsubscribe=one_click,
        ),
        "shop_older": make_message(
            owner=owner,
            subject="Flash sale",
            sender="deals@shopmart.com",
            sender_name="ShopMart",
            days_ago=50,
            labels=["promo"],
            unsubscribe=one_click,
        ),
        "shop_recent": make_message(
            owner=owner,
            subject="New arrivals",
            sender="deals@shopmart.com",
            sender_name="ShopMart",
            days_ago=5,
            labels=["promo"],
            unsubscribe=one_click,
        ),
        "acme_promo": make_message(
            owner=owner,
            subject="Acme swag store: 20% off",
            sender="store@acme.com",
            sender_name="Acme Store",
            days_ago=45,
            labels=["promo"],
            unsubscribe=Unsubscribe(mailto="mailto:unsubscribe@acme.com"),
        ),
        "globex_news": make_message(
            owner=owner,
            subject="Globex engineering newsletter",
            sender="news@globex.com",
            sender_name="Globex",
            days_ago=60,
            labels=["newsletter"],
            unsubscribe=Unsubscribe(url="https://globex.com/newsletter/leave"),
        ),
        "bank_promo": make_message(
            owner=owner,
            subject="Earn more with a savings account",
            sender="offers@chase.com",
            sender_name="Chase",
            days_ago=35,
            labels=["promo"],
            unsubscribe=Unsubscribe(mailto="mailto:optout@chase.com"),
        ),
        "medium_digest": make_message(
            owner=owner,
            subject="Your daily digest",
            sender="noreply@medium.com",
            sender_name="Medium Daily Digest",
            days_ago=38,
            labels=["newsletter"],
            flags="S",
            unsubscribe=Unsubscribe(url="https://medium.com/unsub", one_click=True),
        ),
        "devnews": make_message(
            owner=owner,
            subject="DevNews weekly",
            sender="weekly@devnews.io",
            sender_name="DevNews",
            days_ago=70,
            labels=["newsletter"],
            unsubscribe=Unsubscribe(
                mailto="mailto:leave@devnews.io", url="http://devnews.io/leave"
            ),
        ),
        "runners_news": make_message(
            owner=owner,
            subject="Runners club monthly",
            sender="club@runners.example",
            sender_name="Runners Club",
            days_ago=33,
            labels=["newsletter"],
            unsubscribe=Unsubscribe(mailto="mailto:leave@runners.example"),
        ),
        "runners_sent": make_message(
            owner=owner,
            subject="Joining the Sunday run",
            sender=me,
            days_ago=90,
            to=["club@runners.example"],
            text="Count me in.",
        ),
        "paypal_phish": make_message(
            owner=owner,
            subject="Verify your account now",
            sender="security@paypa1.com",
            sender_name="PayPal",
            days_ago=3,
            labels=["suspicious"],
            risk_score=85,
            risk_reasons=[
                "lookalike domain paypa1.com (paypal.com)",
                "asks for a password",
            ],
            text="Your account is locked. Log in within 24 hours.",
        ),
        "fake_recruiter": make_message(
            owner=owner,
            subject="Job offer: pay the equipment fee today",
            sender="hr@acme-careers.co",
            days_ago=9,
            labels=["suspicious", "recruiter_outreach"],
            risk_score=70,
            risk_reasons=["asks for money", "reply-to differs from sender"],
        ),
        "risky_unlabelled": make_message(
            owner=owner,
            subject="Invoice overdue",
            sender="billing@micros0ft.com",
            days_ago=12,
            risk_score=55,
            risk_reasons=["lookalike domain micros0ft.com (microsoft.com)"],
        ),
    }
    return box


@pytest.fixture
def mailbox(store: SQLiteStore) -> dict[str, Message]:
    box = build_mailbox()
    stats = store.add_messages(box.values())
    assert stats.indexed == len(box)
    return box
