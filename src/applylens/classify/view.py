"""The normalised form of a message that every classification rule reads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from applylens.classify.domains import domain_of
from applylens.classify.phrases import IndexedText
from applylens.mail.model import Message

# Rules read only the start of long bodies, so that one huge message cannot
# slow an import down. Job and scam wording sits near the top.
MAX_BODY_CHARS: Final = 12_000
MAX_HTML_CHARS: Final = 60_000
MAX_LINKS: Final = 40

_BULK_PRECEDENCE: Final = frozenset({"bulk", "list", "junk"})
_TYPOGRAPHY: Final = (
    ("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
    ("\xa0", " "), ("\u202f", " "), ("\u2013", "-"), ("\u2014", "-"),
    ("\ufeff", ""), ("\u200b", ""),
)  # fmt: skip
_SPACE_RUN: Final = re.compile(r" {2,}")
# Start of the quoted part of a reply: "On <date>, X wrote:", the French
# "Le <date>, X a écrit :", Outlook's separator, or a line opening with ">".
_QUOTE_START: Final = re.compile(
    r"^(?:on .{0,200}wrote:|le .{0,200}a \u00e9crit ?:|-{3,} ?original message ?-{3,}"
    r"|-{3,} ?message d'origine ?-{3,}|from: .+\nsent: |de ?: .+\nenvoy\u00e9 ?: |>)",
    re.MULTILINE,
)
_ANCHOR: Final = re.compile(
    r"<a\s[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.*?)</a\s*>", re.I | re.S
)
_TAG: Final = re.compile(r"<[^>]+>")
_URL: Final = re.compile(r"https?://[^\s\"'<>()]+", re.I)


@dataclass(slots=True)
class MailView:
    """One message reduced to what the rules need, text already normalised.

    `body` is lower-case with typographic quotes folded to ASCII; `fresh` is
    the part of it above any quoted reply. `all_text` and `fresh_text` are
    the lower-case subject joined to each, indexed for phrase search. `text`
    keeps the original case for reading company and role names.
    """

    subject: str
    text: str
    body: str
    fresh: str
    sender: str = ""
    sender_name: str = ""
    sender_domain: str = ""
    reply_to: str = ""
    recipients: list[str] = field(default_factory=list)
    html: str = ""
    is_bulk_by_headers: bool = False
    has_unsubscribe: bool = False
    is_reply: bool = False
    is_replied: bool = False
    owner_addresses: tuple[str, ...] = ()
    has_headers: bool = True

    all_text: IndexedText = field(init=False)
    fresh_text: IndexedText = field(init=False)

    def __post_init__(self) -> None:
        subject = self.subject.lower()
        self.all_text = IndexedText(subject + "\n" + self.body)
        if len(self.fresh) == len(self.body):
            self.fresh_text = self.all_text
        else:
            self.fresh_text = IndexedText(subject + "\n" + self.fresh)

    @property
    def subject_lower(self) -> str:
        return self.subject.lower()

    @property
    def addressed_to_owner(self) -> bool:
        """True when an owner address is a recipient, or none is known."""
        if not self.owner_addresses:
            return True
        return any(r.lower() in self.owner_addresses for r in self.recipients)

    @property
    def sent_by_owner(self) -> bool:
        return self.sender.lower() in self.owner_addresses

    def links(self) -> list[tuple[str, str]]:
        """Return (href, visible text) of the first MAX_LINKS HTML links, then
        of the first MAX_LINKS bare URLs of the text with an empty visible
        text."""
        found = []
        for index, match in enumerate(_ANCHOR.finditer(self.html)):
            if index == MAX_LINKS:
                break
            found.append((match.group(1), _TAG.sub("", match.group(2)).strip()))
        for index, match in enumerate(_URL.finditer(self.text)):
            if index == MAX_LINKS:
                break
            found.append((match.group(0), ""))
        return found


def normalise(text: str, limit: int = MAX_BODY_CHARS) -> str:
    """Return `text` cut to `limit` characters with typography folded to ASCII
    and runs of blanks collapsed; line breaks are kept."""
    text = text[:limit]
    if not text.isascii():
        # str.replace per character beats str.translate with a mapping,
        # which looks every character up in a dict.
        for typographic, plain in _TYPOGRAPHY:
            if typographic in text:
                text = text.replace(typographic, plain)
    # Plain str.replace and a literal-led pattern, because a character class
    # of blanks would make the regular expression stop at every space.
    for blank in "\t\r\f\v":
        if blank in text:
            text = text.replace(blank, " ")
    return _SPACE_RUN.sub(" ", text) if "  " in text else text


def fresh_part(body: str) -> str:
    """Return the text above the first quoted-reply marker of `body`."""
    match = _QUOTE_START.search(body)
    return body[: match.start()] if match else body


def view_of_message(message: Message, owner_addresses: Sequence[str] = ()) -> MailView:
    text = normalise(message.text)
    body = text.lower()
    precedence = message.precedence.strip().lower()
    return MailView(
        subject=normalise(message.subject, 1000),
        text=text,
        body=body,
        fresh=fresh_part(body),
        sender=message.sender,
        sender_name=message.sender_name,
        sender_domain=(message.sender_domain or domain_of(message.sender)).lower(),
        reply_to=message.reply_to or "",
        recipients=message.recipients,
        html=(message.html or "")[:MAX_HTML_CHARS],
        is_bulk_by_headers=bool(message.list_id) or precedence in _BULK_PRECEDENCE,
        has_unsubscribe=message.unsubscribe is not None,
        is_reply=bool(message.in_reply_to or message.references),
        is_replied=message.is_replied,
        owner_addresses=tuple(a.lower() for a in owner_addresses),
    )


def view_of_text(subject: str, body: str, sender: str = "") -> MailView:
    """Build a view from a subject, a plain-text body and an optional sender
    (``Name <addr>`` or a bare address), for datasets without headers."""
    name, _, address = sender.rpartition("<")
    if not _:
        name, address = "", sender
    address = address.strip().rstrip(">").strip()
    text = normalise(body)
    lowered = text.lower()
    return MailView(
        subject=normalise(subject, 1000),
        text=text,
        body=lowered,
        fresh=fresh_part(lowered),
        sender=address,
        sender_name=name.strip().strip('"'),
        sender_domain=domain_of(address),
        has_headers=False,
    )
