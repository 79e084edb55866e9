"""Fast matching of many regular-expression phrases against one text.

Python's ``re`` scans quickly only for a pattern that starts with a literal.
A leading ``\\b`` or an alternation makes it try every position, which costs
tens of microseconds per pattern on an ordinary message. A `PhraseSet`
therefore reads, for each alternative, the literal text every match starts
with (its head). The heads of every phrase set go into one Aho-Corasick
automaton, which finds all their occurrences in a text in a single pass; a
pattern is then tried only where one of its heads occurs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

import ahocorasick

_LITERAL_CHARS: Final = re.compile(r"[\w \-',!%/:#@&;<>=\"]")
_QUANTIFIERS: Final = frozenset("?*{")
_MIN_WORD_HEAD: Final = 2

_Candidates = dict[int, list[tuple[int, re.Pattern[str]]]]


class _HeadIndex:
    """The heads of every phrase set, and the automaton that finds them."""

    def __init__(self) -> None:
        self.sets = 0
        self.generation = 0
        self._heads: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        self._automaton: ahocorasick.Automaton | None = None

    def new_set(self) -> int:
        self.sets += 1
        return self.sets

    def add(self, head: str, set_id: int, pattern: re.Pattern[str]) -> None:
        self._heads.setdefault(head, []).append((set_id, pattern))
        self._automaton = None
        self.generation += 1

    def candidates(self, text: str) -> _Candidates:
        """Return, per phrase set, (position, pattern) for every place in
        `text` where one of the set's heads starts, in text order."""
        found: _Candidates = defaultdict(list)
        if not self._heads:
            return found
        automaton = self._automaton
        if automaton is None:
            automaton = self._automaton = self._build()
        for end, (length, entries) in automaton.iter(text):
            start = end - length + 1
            for set_id, pattern in entries:
                found[set_id].append((start, pattern))
        return found

    def _build(self) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        for head, entries in self._heads.items():
            automaton.add_word(head, (len(head), tuple(entries)))
        automaton.make_automaton()
        return automaton


_INDEX: Final = _HeadIndex()


@dataclass(slots=True)
class IndexedText:
    """A text with the places where phrase heads occur in it, found once and
    shared by all the phrase sets that search it."""

    text: str
    _candidates: _Candidates | None = field(default=None, repr=False)
    _generation: int = field(default=-1, repr=False)

    def candidates(self, set_id: int) -> list[tuple[int, re.Pattern[str]]]:
        if self._candidates is None or self._generation != _INDEX.generation:
            self._candidates = _INDEX.candidates(self.text)
            self._generation = _INDEX.generation
        return self._candidates.get(set_id, [])


class PhraseSet:
    """Alternative patterns searched as one: `search` returns a match of any
    of them, or None."""

    def __init__(self, *patterns: str) -> None:
        self.patterns = patterns
        self._id = _INDEX.new_set()
        self._unanchored: list[re.Pattern[str]] = []
        for pattern in patterns:
            self._add(pattern)

    def _add(self, pattern: str) -> None:
        compiled = re.compile(pattern)
        heads = literal_heads(pattern)
        if not heads:
            self._unanchored.append(compiled)
        for head in dict.fromkeys(heads):
            _INDEX.add(head, self._id, compiled)

    def search(self, text: str | IndexedText) -> re.Match[str] | None:
        """Return the first match that `finditer` would yield, or None."""
        # The same loop as finditer without a generator, which would cost
        # more than the loop on most texts.
        indexed = text if isinstance(text, IndexedText) else IndexedText(text)
        raw = indexed.text
        for position, pattern in indexed.candidates(self._id):
            match = pattern.match(raw, position)
            if match is not None:
                return match
        for pattern in self._unanchored:
            match = pattern.search(raw)
            if match is not None:
                return match
        return None

    def finditer(self, text: str | IndexedText) -> Iterator[re.Match[str]]:
        """Yield the matches of the patterns with a head in text order, then
        those of the patterns without one."""
        indexed = text if isinstance(text, IndexedText) else IndexedText(text)
        raw = indexed.text
        for position, pattern in indexed.candidates(self._id):
            match = pattern.match(raw, position)
            if match is not None:
                yield match
        for pattern in self._unanchored:
            yield from pattern.finditer(raw)


def literal_heads(pattern: str) -> tuple[str, ...]:
    """Return literal strings one of which every match of `pattern` starts
    with, or () when none can be read from it (then the pattern always runs).

    Groups and optional characters are read into longer heads where that is
    cheap ("re-?activate" gives "re-activate" and "reactivate" rather than
    "re"), because a short head such as "re" occurs in most words.
    """
    heads = _starts(pattern)
    if not heads or not all(_is_usable(head) for head in heads):
        return ()
    # A head that starts with another head adds nothing but a second try of
    # the pattern at the same place.
    shortest: list[str] = []
    for head in sorted(set(heads), key=len):
        if not any(head.startswith(shorter) for shorter in shortest):
            shortest.append(head)
    return tuple(sorted(shortest, key=heads.index))


def _starts(pattern: str) -> tuple[str, ...]:
    """Return strings one of which every match of `pattern` starts with; ""
    among them means that some match may start with anything."""
    branches = _split_top_level(pattern)
    if len(branches) > 1:
        return tuple(head for branch in branches for head in _starts(branch))
    if pattern.startswith(r"\b"):
        pattern = pattern[2:]
    head, end = _literal_run(pattern)
    rest = pattern[end:]
    if not rest:
        return (head,)
    if rest[:1] != "(" and rest[1:2] == "?" and _LITERAL_CHARS.fullmatch(rest[0]):
        # One optional character: with it and without it.
        options = _starts(rest[0] + rest[2:]) + _starts(rest[2:])
        if len(options) > _MAX_HEADS_PER_PATTERN:
            return (head,)
        return _joined(head, options)
    if rest.startswith("(?:"):
        inner, after = _split_group(rest[3:])
        if inner is None or after[:1] in "*{+":
            return (head,)
        optional = after[:1] == "?"
        after = after[1:] if optional else after
        alternatives = [branch + after for branch in _split_top_level(inner)]
        if optional:
            alternatives.append(after)
        options = tuple(start for text in alternatives for start in _starts(text))
        if len(options) > _MAX_HEADS_PER_PATTERN:
            # Too many combinations: each alternative's own literal start.
            options = tuple(_literal_run(text)[0] for text in alternatives)
        return _joined(head, options)
    return (head,)


_MAX_HEADS_PER_PATTERN = 64


def _joined(head: str, options: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(head + option for option in options)


def _union(parts: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    heads: list[str] = []
    for part in parts:
        if not part:
            return ()
        heads.extend(part)
    return tuple(heads)


def _is_usable(head: str) -> bool:
    if not head:
        return False
    return len(head) >= _MIN_WORD_HEAD or not head[0].isalnum()


def _literal_prefix(pattern: str) -> str:
    return _literal_run(pattern)[0]


def _literal_run(pattern: str) -> tuple[str, int]:
    """Return the literal text `pattern` starts with and where it ends; a
    character that a quantifier follows is not part of it."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        start = i
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped, width = _escaped(pattern, i)
            if escaped is None:
                break
            char_out, i = escaped, i + width
        elif _LITERAL_CHARS.fullmatch(char):
            char_out, i = char, i + 1
        else:
            break
        if i < len(pattern) and pattern[i] in _QUANTIFIERS:
            i = start
            break
        out.append(char_out)
    return "".join(out), i


def _escaped(pattern: str, index: int) -> tuple[str | None, int]:
    code = pattern[index + 1]
    if code == "u":
        return chr(int(pattern[index + 2 : index + 6], 16)), 6
    if code in r"$.()[]{}?*+|^\/-":
        return code, 2
    return None, 2


def _split_group(text: str) -> tuple[str | None, str]:
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return text[:i], text[i + 1 :]
            depth -= 1
        i += 1
    return None, ""


def _split_top_level(text: str) -> list[str]:
    branches, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(text[start:i])
            start = i + 1
        i += 1
    branches.append(text[start:])
    return branches
