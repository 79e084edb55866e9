"""Fixtures of the classifier tests: a builder of messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from applylens.mail.model import Message

MessageBuilder = Callable[..., Message]


def _build_message(**fields: Any) -> Message:
    sender = fields.pop("sender", "alice@example.org")
    values: dict[str, Any] = {
        "owner": "owner",
        "key": "<test@example.org>",
        "message_id": "test@example.org",
        "subject": "Hello",
        "sender": sender,
        "sender_name": "Alice Martin",
        "sender_domain": sender.rpartition("@")[2],
        "date": datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        "date_source": "date",
        "to": ["me@example.net"],
        "text": "",
    }
    values.update(fields)
    return Message(**values)


@pytest.fixture
def build_message() -> MessageBuilder:
    """Return a function that makes a Message with plausible defaults, which
    its keyword arguments override."""
    return _build_message
