"""The search query language shared by every backend, and its parsed form.

Users type free text, so the language is small and forgiving:

- plain words must all match (AND), ``"quoted phrases"`` match in order;
- ``from:``, ``to:`` and ``subject:`` take a word or a quoted phrase, and a
  value of several words (``from:jane.doe@acme.com``) matches as a phrase;
- ``label:`` takes one label of `LABELS` (hyphens, spaces and case are ignored);
- ``after:YYYY-MM-DD`` (inclusive) and ``before:YYYY-MM-DD`` (exclusive) bound
  the received date in UTC, ``newer_than:7d`` keeps recent mail and
  ``older_than:30d`` older mail (units d, w, m = 30 days, y = 365 days);
- a leading ``-`` excludes a word, phrase or field term;
- a word that ends with ``*`` (``interv*``, ``subject:recruit*``) matches every
  word that starts with it;
- Chinese characters and Japanese kana are one token each, as their writing
  puts no space between words, and a run of them as typed matches as a phrase:
  面接 finds 二次面接のご案内.

An unknown ``foo:bar`` prefix is read as the words "foo bar", except a filter
of other mail tools (``is:unread``, ``has:attachment``) or a misspelt one
(``lable:offer``), which is an error. Punctuation and the operators of the
full-text engine (``(``, ``NEAR``, ``^``) are plain text, while ``OR`` and a
``*`` inside a word are errors. Backends build their engine's query from the
tokens of `text_tokens`, never from the raw text, so no input can inject engine
syntax. What cannot be read
raises `QuerySyntaxError` with a message that names the bad part.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Literal

from applylens.errors import QuerySyntaxError

TermField = Literal["any", "from", "to", "subject"]

LABELS: tuple[str, ...] = (
    "application_receipt",
    "interview",
    "assessment",
    "offer",
    "rejection",
    "recruiter_outreach",
    "scheduling",
    "newsletter",
    "promo",
    "suspicious",
    "needs_reply",
    "personal",
)

_FIELD_PREFIXES: dict[str, TermField] = {
    "from": "from",
    "to": "to",
    "subject": "subject",
}
_FILTER_PREFIXES = ("label", "after", "before", "newer_than", "older_than")
_KNOWN_PREFIXES = (*_FIELD_PREFIXES, *_FILTER_PREFIXES)
# Filters of other mail search tools. Typed with a value they are meant as a
# filter, which this language does not have, so they are rejected rather than
# searched as words.
_FOREIGN_PREFIXES = frozenset(
    {
        "is", "has", "bcc", "filename", "category", "larger", "smaller",
        "deliveredto", "rfc822msgid", "newer", "older",
    }
)  # fmt: skip
# in: is also a word ("meet in:person"), so only the folders of other tools'
# in: filter are rejected.
_FOREIGN_FOLDERS = frozenset(
    {"inbox", "sent", "drafts", "trash", "spam", "anywhere", "archive", "snoozed"}
)
# Known filters long enough that a name one edit away is a typing mistake
# rather than a word: "lable" is label mistyped, "form" may well be a form.
_TYPO_CHECKED = tuple(name for name in _KNOWN_PREFIXES if len(name) >= 5)
# A * between letters, which only matches as the last character of a word.
_INNER_STAR_RE = re.compile(r"[^\W_]\*+[^\W_]")
_PREFIX_RE = re.compile(r"([A-Za-z_-]+):")
_DATE_RE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_AGE_RE = re.compile(r"(\d+)([a-zA-Z])")
_AGE_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
# Ages beyond this are typing mistakes, and would overflow datetime arithmetic.
_MAX_AGE_DAYS = 365 * 200


@dataclass(frozen=True)
class Term:
    """One word or phrase to match; `text` is the value as typed, without prefix."""

    text: str
    field: TermField
    phrase: bool
    negated: bool
    prefix: bool = False
    """True for a word typed with a final ``*``: it matches longer words too."""

    # Cached because planning and describing one search read them many times.
    @cached_property
    def tokens(self) -> list[str]:
        return text_tokens(self.text)

    @cached_property
    def word_forms(self) -> list[tuple[str, ...]]:
        """Return, per word, the forms that match it: the word with its
        singular added for a plain plural word, the word alone otherwise.

        Phrases and `from:` values match as typed; a plain word such as
        "interviews" also finds "interview", and "companies" finds "company".
        A word of several tokens (Chinese or Japanese text, see `text_words`)
        is one form with its tokens separated by spaces, to match as a phrase.
        """
        if self.phrase or self.field == "from":
            return [(token,) for token in self.tokens]
        return [
            number_forms(word[0]) if len(word) == 1 else (" ".join(word),)
            for word in text_words(self.text)
        ]


@dataclass(frozen=True)
class ParsedQuery:
    """A query as terms (all combined with AND) and date and label filters.

    `after` is inclusive and `before` exclusive, both UTC. `newer_than` and
    `older_than` are kept as ages because they are relative to the time of
    the search.
    """

    terms: tuple[Term, ...] = ()
    labels: tuple[str, ...] = ()
    after: datetime | None = None
    before: datetime | None = None
    newer_than: timedelta | None = None
    older_than: timedelta | None = None

    @property
    def positive_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def negated_terms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negated)

    @property
    def has_text(self) -> bool:
        return bool(self.terms)

    def window_start(self, now: datetime) -> datetime | None:
        """Return the earliest received date allowed by `after` and `newer_than`."""
        starts = [d for d in (self.after, self._newer_than_start(now)) if d]
        return max(starts) if starts else None

    def _newer_than_start(self, now: datetime) -> datetime | None:
        return now - self.newer_than if self.newer_than is not None else None

    def window_end(self, now: datetime) -> datetime | None:
        """Return the received date that `before` and `older_than` keep mail
        under, or None."""
        ends = [self.before]
        if self.older_than is not None:
            ends.append(now - self.older_than)
        known = [end for end in ends if end is not None]
        return min(known) if known else None


def number_forms(token: str) -> tuple[str, ...]:
    """Return `token` and, for an English plural, its singular.

    A light rule set rather than a stemmer, so that both backends, which index
    the same tokens, match the same messages: "ies" becomes "y" and a final
    "s" (not "ss", "us" or "is") drops. A singular is not widened to its
    plural: the plural is often the rarer word, and its higher weight would
    rank mail that merely mentions it above mail about the typed word.
    """
    if len(token) < 4 or not token.isalpha():
        return (token,)
    if token.endswith("ies") and len(token) > 4:
        return (token, token[:-3] + "y")
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return (token, token[:-1])
    return (token,)


# Letters, digits and private-use characters, the characters SQLite's unicode61
# tokenizer keeps in words (categories L*, N* and Co), as one pattern: it
# splits text the same way as testing each character's category, faster.
WORD_RE = re.compile(
    r"(?:[^\W_]|[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd])+"
)
# Chinese characters (the unified ideographs, their extensions and the
# compatibility block) and Japanese kana, full and half width.
CJK_CHARS = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff66-\uff9f\U00020000-\U0003134f"
)
CJK_RE = re.compile(f"[{CJK_CHARS}]")
_CJK_SPLIT_RE = re.compile(f"[{CJK_CHARS}]|[^{CJK_CHARS}]+")
# Compatibility forms that NFKC maps to the usual letters: Latin ligatures
# (ﬁ), full-width Latin letters and digits (Ｐｙｔｈｏｎ), half-width katakana
# (ｶﾀｶﾅ) and mathematical letters (𝐅𝐑𝐄𝐄).
COMPAT_CHARS = (
    "\ufb00-\ufb06\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uff9f"
    "\U0001d400-\U0001d7ff"
)
_COMPAT_RE = re.compile(f"[{COMPAT_CHARS}]")
# Text with any of these characters splits into other tokens than unicode61's.
RETOKENIZED_CHARS = CJK_CHARS + COMPAT_CHARS
RETOKENIZED_RE = re.compile(f"[{RETOKENIZED_CHARS}]")


def text_words(text: str) -> list[tuple[str, ...]]:
    """Split text into words as typed, each as the tokens a full-text index
    matches, lowercased.

    Letters, digits and private-use characters form words and everything else
    separates them, so a token never contains engine syntax. A Chinese
    character or a kana is a token of its own, so 面接の案内 is one word of five
    tokens and "Python面接" one of three. Compatibility forms become the usual
    letters (NFKC), so "ﬁle" gives "file" and "Ｐｙｔｈｏｎ" gives "python".
    """
    words: list[tuple[str, ...]] = []
    for found in WORD_RE.findall(text):
        parts = [found]
        if _COMPAT_RE.search(found):
            parts = WORD_RE.findall(unicodedata.normalize("NFKC", found))
        for part in parts:
            word = part.lower()
            if CJK_RE.search(word) is None:
                words.append((word,))
            else:
                words.append(tuple(_CJK_SPLIT_RE.findall(word)))
    return words


def text_tokens(text: str) -> list[str]:
    """Split text into the tokens a full-text index matches (see `text_words`)."""
    if RETOKENIZED_RE.search(text) is None:
        return [word.lower() for word in WORD_RE.findall(text)]
    return [token for word in text_words(text) for token in word]


def normalize_label(value: str) -> str | None:
    """Return the label `value` names (case, hyphens and spaces ignored), or None."""
    candidate = re.sub(r"[\s-]+", "_", value.strip().lower())
    return candidate if candidate in LABELS else None


# Longer input is a paste by mistake, and each word costs the index a lookup.
MAX_QUERY_CHARS = 2000
# Words and phrases one search combines. Every term is another list for the
# index to read: a query of a thousand common words took seven seconds.
MAX_QUERY_TERMS = 64


def parse_query(text: str, *, now: datetime | None = None) -> ParsedQuery:
    """Parse a query typed by a user; raise QuerySyntaxError naming what is wrong.

    `now` (default: the current UTC time) checks that a `newer_than:` age can be
    subtracted from it.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"the query is {len(text)} characters long, more than the "
            f"{MAX_QUERY_CHARS} allowed: shorten it",
            query=text[:80],
        )
    now = as_utc(now) if now is not None else datetime.now(UTC)
    builder = _QueryBuilder(text, now)
    for token in _scan(text):
        builder.add(token)
    return builder.build()


@dataclass(frozen=True)
class _Token:
    prefix: str | None
    value: str
    quoted: bool
    negated: bool
    position: int
    raw: str


def _scan(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        token, index = _scan_token(text, index)
        tokens.append(token)
    return tokens


def _scan_token(text: str, start: int) -> tuple[_Token, int]:
    index = start
    negated = text[index] == "-" and index + 1 < len(text)
    if negated and not text[index + 1].isspace():
        index += 1
    else:
        negated = False

    prefix = None
    match = _PREFIX_RE.match(text, index)
    if match:
        prefix = match.group(1).lower().replace("-", "_")
        index = match.end()

    if index < len(text) and text[index] == '"':
        end = text.find('"', index + 1)
        if end < 0:
            raise QuerySyntaxError(
                f"unterminated quote at character {index + 1} of {text!r}: "
                'close the phrase with a second "',
                query=text,
                position=index,
            )
        value, quoted, next_index = text[index + 1 : end], True, end + 1
    else:
        end = index
        while end < len(text) and not text[end].isspace():
            end += 1
        value, quoted, next_index = text[index:end], False, end

    token = _Token(prefix, value, quoted, negated, start, text[start:next_index])
    return token, next_index


class _QueryBuilder:
    def __init__(self, text: str, now: datetime) -> None:
        self.text = text
        self.now = now
        self.terms: list[Term] = []
        self.labels: list[str] = []
        self.after: datetime | None = None
        self.before: datetime | None = None
        self.newer_than: timedelta | None = None
        self.older_than: timedelta | None = None
        self.ignored_tokens = 0
        self.operators = 0
        self.negate_next = False

    def add(self, token: _Token) -> None:
        if self._is_operator(token):
            return
        if self.negate_next:
            token = replace(token, negated=not token.negated)
            self.negate_next = False
        prefix = token.prefix
        if prefix in _FILTER_PREFIXES:
            self._add_filter(token)
        elif prefix in _FIELD_PREFIXES:
            self._add_field_term(token, _FIELD_PREFIXES[prefix])
        elif prefix is not None:
            self._check_unknown_prefix(token)
            # An unknown prefix such as "http:" or "re:" is part of the text.
            self._add_term(f"{prefix} {token.value}", "any", token)
        elif _is_prefix(token):
            self._add_prefix_term(token, "any")
        else:
            self._add_term(token.value, "any", token)

    def _is_operator(self, token: _Token) -> bool:
        """Handle the search-engine operators people type out of habit: AND is
        what words do anyway, NOT negates the next word, and OR is rejected
        because every word of a query must match."""
        if token.quoted or token.prefix is not None or token.negated:
            return False
        if token.value == "AND":
            self.operators += 1
            return True
        if token.value == "NOT":
            self.operators += 1
            self.negate_next = True
            return True
        if token.value == "OR":
            raise self._error(
                "OR is not supported because every word of a query must match: "
                "run one search per alternative, or use label: to pick a kind of "
                "mail",
                token,
            )
        return False

    def build(self) -> ParsedQuery:
        if self.negate_next:
            raise self._error(
                "NOT at the end of the query has no word to exclude: put a word "
                "after it, as in 'interview NOT rejection'"
            )
        if self.after and self.before and self.after >= self.before:
            raise self._error(
                f"after:{self.after:%Y-%m-%d} is not earlier than "
                f"before:{self.before:%Y-%m-%d}, so no date can match: "
                "swap or widen the dates"
            )
        if self.newer_than and self.older_than and self.older_than >= self.newer_than:
            raise self._error(
                f"older_than:{self.older_than.days}d with "
                f"newer_than:{self.newer_than.days}d leaves no date that can match: "
                "make the older_than: age smaller than the newer_than: one"
            )
        # A term typed twice matches the same mail, at twice the cost.
        terms = tuple(dict.fromkeys(self.terms))
        if len(terms) > MAX_QUERY_TERMS:
            raise self._error(
                f"the query has {len(terms)} different words and phrases, more "
                f"than the {MAX_QUERY_TERMS} one search can combine: keep the "
                "words that matter most"
            )
        query = ParsedQuery(
            terms=terms,
            labels=tuple(dict.fromkeys(self.labels)),
            after=self.after,
            before=self.before,
            newer_than=self.newer_than,
            older_than=self.older_than,
        )
        if self.operators and query == ParsedQuery():
            raise self._error(
                f"the query {self.text!r} contains only the operators AND or NOT: "
                "add a word to search for, or leave the query empty to list recent "
                "mail"
            )
        if self.ignored_tokens and query == ParsedQuery():
            raise self._error(
                f"the query {self.text!r} contains no letters or digits to search "
                "for: type a word, or leave the query empty to list recent mail"
            )
        return query

    def _check_unknown_prefix(self, token: _Token) -> None:
        """Raise for a filter of another tool or a misspelt filter with a value
        ("lable:offer"), which would otherwise match no mail."""
        prefix = token.prefix or ""
        if not token.value or token.quoted and not token.value.strip():
            return
        known = ", ".join(f"{name}:" for name in _KNOWN_PREFIXES)
        foreign = prefix in _FOREIGN_PREFIXES or (
            prefix == "in" and token.value.lower() in _FOREIGN_FOLDERS
        )
        if foreign:
            raise self._error(
                f"the filter {prefix}: is not supported: use one of {known}",
                token,
            )
        close = [name for name in _TYPO_CHECKED if _one_edit_apart(prefix, name)]
        if close:
            raise self._error(
                f"unknown filter {prefix}:, did you mean {close[0]}:? "
                f"The filters are {known}",
                token,
            )

    def _check_inner_star(self, value: str, token: _Token) -> None:
        if not token.quoted and _INNER_STAR_RE.search(value):
            raise self._error(
                f"{token.raw!r} has a * inside a word: a * matches only at the end "
                "of a word, as in interv*",
                token,
            )

    def _add_term(self, value: str, field: TermField, token: _Token) -> None:
        self._check_inner_star(value, token)
        if not text_tokens(value):
            # Stray punctuation such as "*" or "&" carries nothing to match.
            self.ignored_tokens += 1
            return
        self.terms.append(Term(value, field, token.quoted, token.negated))

    def _add_prefix_term(self, token: _Token, field: TermField) -> None:
        value = token.value[:-1]
        self._check_inner_star(value, token)
        if CJK_RE.search(value) and len(text_words(value)) == 1:
            # Each Chinese character or kana is a token, so the run already
            # matches inside longer text: 面接* means 面接.
            self.terms.append(Term(value, field, False, token.negated))
            return
        tokens = text_tokens(value)
        if len(tokens) != 1 or len(tokens[0]) < _MIN_PREFIX_CHARS:
            raise self._error(
                f"{token.raw!r} is not a word start that can be searched: a final * "
                f"needs one word of at least {_MIN_PREFIX_CHARS} letters before it, "
                "as in interv*",
                token,
            )
        self.terms.append(Term(tokens[0], field, False, token.negated, prefix=True))

    def _add_field_term(self, token: _Token, field: TermField) -> None:
        self._check_inner_star(token.value, token)
        if _is_prefix(token) and field != "from":
            self._add_prefix_term(token, field)
            return
        if not token.value.strip():
            raise self._error(
                f"{token.prefix}: needs a value, for example {token.prefix}:greenhouse "
                f'or {token.prefix}:"Jane Doe"',
                token,
            )
        if not text_tokens(token.value):
            raise self._error(
                f"the value {token.value!r} of {token.prefix}: contains no letters "
                "or digits to match",
                token,
            )
        # A value of several words, such as an address or a domain, matches
        # those words in order: from:lever.co finds lever.co, not co.lever.
        phrase = token.quoted or len(text_tokens(token.value)) > 1
        self.terms.append(Term(token.value, field, phrase, token.negated))

    def _add_filter(self, token: _Token) -> None:
        if token.negated:
            raise self._error(
                f"{token.raw!r} cannot be negated: {token.prefix}: filters can only "
                "include, so remove the leading '-'",
                token,
            )
        if not token.value.strip():
            raise self._error(
                f"{token.prefix}: needs a value, for example "
                f"{_FILTER_EXAMPLES[token.prefix or '']}",
                token,
            )
        if token.prefix == "label":
            self.labels.append(self._parse_label(token))
        elif token.prefix == "after":
            day = self._parse_date(token)
            self.after = max(self.after, day) if self.after else day
        elif token.prefix == "before":
            day = self._parse_date(token)
            self.before = min(self.before, day) if self.before else day
        elif token.prefix == "newer_than":
            age = self._parse_age(token)
            self.newer_than = min(self.newer_than, age) if self.newer_than else age
        else:
            age = self._parse_age(token)
            self.older_than = max(self.older_than, age) if self.older_than else age

    def _parse_label(self, token: _Token) -> str:
        label = normalize_label(token.value)
        if label is None:
            raise self._error(
                f"unknown label {token.value!r}: use one of {', '.join(LABELS)}",
                token,
            )
        return label

    def _parse_date(self, token: _Token) -> datetime:
        match = _DATE_RE.fullmatch(token.value.strip())
        expected = "expected a date as YYYY-MM-DD or YYYY/MM/DD, like 2024-05-31"
        if not match:
            raise self._error(
                f"invalid date {token.value!r} in {token.raw!r}: {expected}", token
            )
        year, month, day = (int(part) for part in match.groups())
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError as exc:
            raise self._error(
                f"invalid date {token.value!r} in {token.raw!r} ({exc}): {expected}",
                token,
            ) from exc

    def _parse_age(self, token: _Token) -> timedelta:
        match = _AGE_RE.fullmatch(token.value.strip())
        unit_days = _AGE_UNIT_DAYS.get(match.group(2).lower()) if match else None
        if match is None or unit_days is None:
            raise self._error(
                f"invalid age {token.value!r} in {token.raw!r}: expected a number "
                "and a unit d (days), w (weeks), m (months) or y (years), like 7d",
                token,
            )
        digits = match.group(1).lstrip("0") or "0"
        days = int(digits) * unit_days if len(digits) <= 9 else _MAX_AGE_DAYS + 1
        if not 0 < days <= _MAX_AGE_DAYS:
            raise self._error(
                f"age {token.value!r} in {token.raw!r} is out of range: use at least "
                f"1d and at most {_MAX_AGE_DAYS // 365}y",
                token,
            )
        age = timedelta(days=days)
        try:
            self.now - age
        except OverflowError as exc:
            raise self._error(
                f"age {token.value!r} in {token.raw!r} reaches before year 1", token
            ) from exc
        return age

    def _error(self, message: str, token: _Token | None = None) -> QuerySyntaxError:
        position = token.position if token else None
        return QuerySyntaxError(message, query=self.text, position=position)


_FILTER_EXAMPLES = {
    "label": "label:interview",
    "after": "after:2024-05-01",
    "before": "before:2024-06-01",
    "newer_than": "newer_than:7d",
    "older_than": "older_than:30d",
}


_MIN_PREFIX_CHARS = 2


def _one_edit_apart(typed: str, name: str) -> bool:
    """Tell whether `typed` is `name` with one character added, removed,
    replaced, or swapped with its neighbour."""
    if typed == name or abs(len(typed) - len(name)) > 1:
        return False
    if len(typed) == len(name):
        differences = [
            i for i, (a, b) in enumerate(zip(typed, name, strict=True)) if a != b
        ]
        if len(differences) == 1:
            return True
        first, *rest = differences
        return (
            rest == [first + 1]
            and typed[first] == name[first + 1]
            and (typed[first + 1] == name[first])
        )
    shorter, longer = sorted((typed, name), key=len)
    return any(
        longer[:index] + longer[index + 1 :] == shorter for index in range(len(longer))
    )


def _is_prefix(token: _Token) -> bool:
    """Tell whether the token is a word typed with a final * ("interv*")."""
    value = token.value
    return not token.quoted and value.endswith("*") and bool(text_tokens(value[:-1]))


def as_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime counts as UTC.

    A time within a day of the calendar's ends has no UTC form when its offset
    points past them (9999-12-31T23:59-14:00), so it becomes the first or last
    representable instant, which keeps its order against every other date.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        end = datetime.max if value.year == datetime.max.year else datetime.min
        return end.replace(tzinfo=UTC)
