"""The parsed form of one email, shared by every other module."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DateSource = Literal["date", "received", "file", "import"]


@dataclass(slots=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(slots=True)
class Unsubscribe:
    """List-Unsubscribe targets (RFC 2369), with the RFC 8058 one-click flag."""

    mailto: str | None = None
    url: str | None = None
    one_click: bool = False


@dataclass(slots=True)
class Message:
    """One message of one owner, as parsed, classified and stored.

    `key` identifies the message within its owner's mailbox: the Message-ID
    when there is one, else ``sha256:<hex>`` of the raw bytes. `doc_id` is a
    short stable hash of (owner, key) that every backend uses as its id.
    """

    owner: str
    key: str
    message_id: str | None
    subject: str
    sender: str
    sender_name: str
    sender_domain: str
    date: datetime
    date_source: DateSource
    thread_id: str = ""
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    reply_to: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    unsubscribe: Unsubscribe | None = None
    # List-Id (RFC 2919) and Precedence header values, "" when absent; the
    # classifier reads them as signs of bulk mail.
    list_id: str = ""
    precedence: str = ""
    gmail_labels: list[str] = field(default_factory=list)
    gmail_thread_id: str | None = None
    maildir_flags: str = ""
    raw_size: int = 0
    content_hash: str = ""
    source: str = ""
    parse_defects: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    risk_score: int = 0
    risk_reasons: list[str] = field(default_factory=list)
    company: str | None = None
    role: str | None = None

    @property
    def doc_id(self) -> str:
        return make_doc_id(self.owner, self.key)

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc]

    @property
    def is_seen(self) -> bool:
        return "S" in self.maildir_flags or (
            bool(self.gmail_labels) and "Unread" not in self.gmail_labels
        )

    @property
    def is_replied(self) -> bool:
        return "R" in self.maildir_flags


@functools.lru_cache(maxsize=65536)
def make_doc_id(owner: str, key: str) -> str:
    """Return the backend-independent id of (owner, key): 20 hex digits.

    Cached, because the assistant's tools ask for the ids of the same few
    hundred messages many times per answer."""
    digest = hashlib.sha256(f"{owner.lower()}\x00{key}".encode())
    return digest.hexdigest()[:20]
