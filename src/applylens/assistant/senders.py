"""Sender exceptions: the senders that clean and unsubscribe must leave alone.

An exception comes either from the question ("unless they're from Acme and my
bank") or from the owner's learned exceptions ("remember to keep mail from
acme.com"). Both match messages the same way.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from applylens.mail.model import Message
from applylens.store.query import CJK_RE

ExceptionKind = Literal["address", "domain", "name", "category"]

# Words and domain labels that identify a bank. A sender matches the bank
# category when a label of its domain is one of these, or when its display
# name contains "bank" or "credit union".
BANK_DOMAIN_LABELS = frozenset(
    {
        "bank",
        "chase",
        "wellsfargo",
        "citi",
        "citibank",
        "hsbc",
        "barclays",
        "capitalone",
        "bankofamerica",
        "bofa",
        "usbank",
        "pnc",
        "santander",
        "lloyds",
        "lloydsbank",
        "natwest",
        "ing",
        "revolut",
        "monzo",
        "n26",
        "schwab",
        "fidelity",
        "ally",
        "discover",
        "americanexpress",
        "amex",
        "tdbank",
        "rbc",
        "scotiabank",
        "bmo",
        "deutsche-bank",
        "bnpparibas",
        "societegenerale",
        "creditagricole",
        "ubs",
        "credit-suisse",
        "wise",
        "paypal",
        "chime",
        "sofi",
        "navyfederal",
        "truist",
        "citizensbank",
        "firstbank",
        "nationwide",
        "halifax",
        "starlingbank",
    }
)
_BANK_NAME = re.compile(r"\bbank\b|\bcredit union\b|\bbanque\b|\bbanco\b", re.I)
_CATEGORY_WORDS = {
    "bank": "bank",
    "banks": "bank",
    "my bank": "bank",
    "the bank": "bank",
    "my banks": "bank",
}
# Names, addresses and domains may be written in any script: "山田太郎",
# "김민수", "josé@correo.es", "例え.jp".
_ADDRESS = re.compile(r"^[^@\s]+@[\w.-]+\.[^\W\d_]{2,}$")
_DOMAIN = re.compile(r"^(?:[\w-]+\.)+[^\W\d_]{2,}$")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_NOT_ALPHANUMERIC = re.compile(r"[\W_]")
_LEADING_NOISE = re.compile(
    r"^(?:the|my|our|a|an|those|ones|mail|emails?|messages?|from|by)\s+"
)
_FILLER = frozenset(
    "the my our a an those these ones them they it mail email emails message "
    "messages from by".split()
) | {""}
# English filler after a name, and the Japanese and Korean honorifics さん, 様
# and 님 ("山田さん" is the sender 山田).
_TRAILING_NOISE = re.compile(
    r"(?:'s|\s+(?:mail|emails?|messages?|ones|inc|llc)|(?<=[^\W\d_])(?:さん|様|님))$"
)


@dataclass(frozen=True, slots=True)
class SenderException:
    """One sender (or kind of sender) to leave alone."""

    kind: ExceptionKind
    value: str
    text: str = ""
    id: int | None = None
    """The learned exception's row id; None for one named in the question."""

    def matches(self, message: Message) -> bool:
        domain = message.sender_domain.lower()
        if self.kind == "address":
            return message.sender.lower() == self.value
        if self.kind == "domain":
            return domain == self.value or domain.endswith("." + self.value)
        if self.kind == "category":
            return _is_bank(message)
        return _name_matches(self.value, message)

    @property
    def description(self) -> str:
        if self.kind == "category":
            return "your bank"
        return self.text or self.value


_BRACKETED_ADDRESS = re.compile(r"<\s*([^<>\s@]+@[^<>\s@]+)\s*>")
_FROM_PREFIX = re.compile(r"^\s*from\s*:\s*", re.IGNORECASE)


def parse_sender_exception(text: str) -> SenderException | None:
    """Turn a typed name ("Acme", "acme.com", "jo@x.org", "my bank") into an
    exception, or None when nothing usable is left after the filler words.

    A name with an address in angle brackets ("Jo <jo@x.org>") is the address,
    a leading "from:" is dropped, and text with control characters is None.
    """
    if any(unicodedata.category(char) == "Cc" for char in text):
        return None
    bracketed = _BRACKETED_ADDRESS.search(text)
    if bracketed is not None:
        text = bracketed.group(1)
    text = _FROM_PREFIX.sub("", text)
    cleaned = text.strip().strip("\"'“”‘’.,;:!?()").strip()
    lowered = cleaned.lower()
    if lowered in _CATEGORY_WORDS:
        return SenderException("category", _CATEGORY_WORDS[lowered], cleaned)
    while True:
        stripped = _LEADING_NOISE.sub("", lowered)
        stripped = _TRAILING_NOISE.sub("", stripped).strip()
        if stripped == lowered:
            break
        lowered = stripped
    if lowered in _CATEGORY_WORDS:
        return SenderException("category", _CATEGORY_WORDS[lowered], cleaned)
    if lowered in _FILLER or not _LETTER_OR_DIGIT.search(lowered):
        return None
    if _ADDRESS.match(lowered):
        return SenderException("address", lowered, cleaned)
    if lowered.startswith("@"):
        lowered = lowered[1:]
    if _DOMAIN.match(lowered):
        return SenderException("domain", lowered, cleaned)
    return SenderException("name", lowered, cleaned)


def _compact(text: str) -> str:
    """Return the letters and digits of `text`, lowercased and without
    accents, as domains write names: "José Núñez" gives "josenunez"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ALPHANUMERIC.sub("", letters)


@functools.lru_cache(maxsize=256)
def _whole_word(name: str) -> re.Pattern[str]:
    """Return the pattern that finds `name` as whole words. Chinese and
    Japanese write names without spaces ("山田太郎"), so a name in their
    characters matches inside a longer run of them."""
    if CJK_RE.search(name):
        return re.compile(re.escape(name), re.I)
    return re.compile(rf"\b{re.escape(name)}\b", re.I)


def _name_matches(name: str, message: Message) -> bool:
    compact = _compact(name)
    if not compact:
        return False
    domain_labels = message.sender_domain.lower().split(".")
    if any(compact == _compact(label) for label in domain_labels):
        return True
    # Multi-word names ("Acme Robotics") usually appear squashed in domains
    # ("acmerobotics.com"); single short names must match a whole label above
    # so that "ing" does not match "marketing.example".
    if len(compact) >= 5 and compact in _compact(message.sender_domain):
        return True
    pattern = _whole_word(name)
    candidates = (message.sender_name, message.company or "", message.sender)
    return any(pattern.search(candidate) for candidate in candidates)


def _is_bank(message: Message) -> bool:
    labels = re.split(r"[.]", message.sender_domain.lower())
    # The last label is the top-level domain, never a bank name.
    if any(label in BANK_DOMAIN_LABELS for label in labels[:-1]):
        return True
    return bool(_BANK_NAME.search(message.sender_name or ""))
