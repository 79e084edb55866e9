"""Replies that keep Message-ID, In-Reply-To and References consistent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from applylens.demo.context import StoryContext
from applylens.demo.mime import Address, MailSpec


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def quote(parent: MailSpec) -> str:
    """Return the parent's text as a mail client quotes it below a reply."""
    name, address = parent.sender
    text = parent.text or ""
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    # A numeric stamp keeps the bytes independent of the process locale.
    stamp = f"{parent.date:%Y-%m-%d %H:%M}"
    return f"On {stamp}, {name} <{address}> wrote:\n{quoted}\n"


def make_reply(
    ctx: StoryContext,
    parent: MailSpec,
    *,
    kind: str,
    sender: Address,
    date: datetime,
    paragraphs: Sequence[str],
    domain: str,
    quote_parent: bool = True,
) -> MailSpec:
    """Return a plain-text reply to `parent`, threaded under it."""
    body = "\n\n".join(paragraphs) + "\n"
    if quote_parent and parent.text:
        body += "\n" + quote(parent)
    return MailSpec(
        kind=kind,
        sender=sender,
        to=[parent.reply_to or parent.sender],
        subject=reply_subject(parent.subject),
        date=date,
        message_id=ctx.message_id(domain),
        text=body,
        in_reply_to=parent.message_id,
        references=[*parent.references, parent.message_id],
        charset=parent.charset,
        encoding="quoted-printable" if parent.charset == "utf-8" else "8bit",
        company=parent.company,
        role=parent.role,
    )
