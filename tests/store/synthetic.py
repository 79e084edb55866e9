"""Synthetic messages for store tests and latency measurements."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from applylens.mail.model import Attachment, Message, Unsubscribe
from applylens.store.query import LABELS

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

_COMPANIES = [
    ("Acme Robotics", "greenhouse.io"),
    ("Globex", "lever.co"),
    ("Initech", "myworkday.com"),
    ("Umbrella Health", "ashbyhq.com"),
    ("Hooli", "smartrecruiters.com"),
    ("Stark Industries", "icims.com"),
    ("Wayne Logistics", "jobvite.com"),
    ("Cyberdyne", "linkedin.com"),
]
_ROLES = ["Backend Engineer", "Data Analyst", "Product Manager", "SRE", "Designer"]
_SUBJECTS = [
    "Thank you for applying to {company}",
    "Interview invitation: {role} at {company}",
    "Your {role} application at {company}",
    "Online assessment for the {role} role",
    "Offer letter from {company}",
    "Update on your application to {company}",
    "Weekly newsletter: jobs in {role}",
    "Limited time promo for premium job alerts",
    "Re: lunch on Friday?",
    "Coffee chat about {role} opportunities",
]
_WORDS = (
    "team schedule interview availability calendar position candidate salary "
    "benefits remote hybrid office onboarding start date manager recruiter "
    "thanks regards resume portfolio experience python kubernetes analytics "
    "unfortunately decided move forward other candidates wish luck search "
    "pleased offer compensation equity deadline assessment coding challenge "
    "hackerrank codility minutes complete link newsletter unsubscribe deals "
    "café résumé naïve über señor straße"
).split()


def _word(rng: random.Random) -> str:
    """Return a word with a long-tailed frequency, like the words of real mail."""
    if rng.random() < 0.15:
        return rng.choice(_WORDS)
    rank = int(rng.paretovariate(0.6)) % len(_FILLER)
    return _FILLER[rank]


def _filler_words(count: int) -> list[str]:
    rng = random.Random(0)
    letters = "abcdefghijklmnoprstuvy"
    return ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(count)]


_FILLER = _filler_words(20000)


def make_message(
    key: str,
    *,
    owner: str = "alice",
    subject: str = "Hello",
    text: str = "Body text",
    sender: str = "jane@example.com",
    sender_name: str = "Jane Example",
    date: datetime = NOW,
    labels: list[str] | None = None,
    thread_id: str = "",
    message_id: str | None = None,
    to: list[str] | None = None,
) -> Message:
    return Message(
        owner=owner,
        key=key,
        message_id=message_id if message_id is not None else key,
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        sender_domain=sender.rsplit("@", 1)[-1].lower(),
        date=date,
        date_source="date",
        thread_id=thread_id or key,
        to=to if to is not None else ["alice@home.example"],
        text=text,
        labels=list(labels or []),
    )


def generate_messages(
    count: int, *, owner: str = "alice", seed: int = 7, now: datetime = NOW
) -> Iterator[Message]:
    """Yield `count` varied messages spread over the 365 days before `now`."""
    rng = random.Random(seed)
    for index in range(count):
        company, domain = rng.choice(_COMPANIES)
        role = rng.choice(_ROLES)
        subject = rng.choice(_SUBJECTS).format(company=company, role=role)
        words = [_word(rng) for _ in range(rng.randint(40, 250))]
        body = f"Hi Alice, {company} {role}. " + " ".join(words)
        user = rng.choice(["jobs", "no-reply", "talent", "careers", "sam.lee"])
        message = make_message(
            f"<{index}.{seed}@synthetic.example>",
            owner=owner,
            subject=subject,
            text=body,
            sender=f"{user}@{domain}",
            sender_name=f"{company} Recruiting",
            date=now - timedelta(seconds=rng.randint(0, 365 * 86400)),
            labels=rng.sample(LABELS, k=rng.randint(0, 2)),
            thread_id=f"t{index // 3}",
        )
        if index % 10 == 0:
            message.attachments = [Attachment("resume.pdf", "application/pdf", 1234)]
            message.unsubscribe = Unsubscribe(
                url="https://example.com/u", one_click=True
            )
        yield message


def check_index(db_path: Path) -> None:
    """Run FTS5's integrity check, which compares the index with the rows."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute(
            "INSERT INTO message_fts (message_fts, rank) VALUES ('integrity-check', 1)"
        )
    finally:
        conn.close()
