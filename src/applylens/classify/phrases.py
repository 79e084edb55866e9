"""Fast matching of many regular-expression phrases against one text.

Python's ``re`` scans quickly only for a pattern that starts with a literal.
A leading ``\\b`` or an alternation makes it try every position, which costs
tens of microseconds per pattern on an ordinary message. A `PhraseSet`
therefore reads, for each alternative, the literal text every match starts
with. It skips the alternative when the first word of that literal is not
among the words of the text, and otherwise tries the pattern only where the
literal occurs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

_LITERAL_CHARS: Final = re.compile(r"[\w \-',!%/:#@&;<>=\"]")
_QUANTIFIERS: Final = frozenset("?*{")
_MIN_WORD_HEAD: Final = 2
_PUNCTUATION: Final = b"\n\t\r\f\v.,;:!?\"'()[]{}<>/\\|*+=#@&%$~^`-_"
# Byte table that turns ASCII punctuation into blanks. bytes.translate is a
# plain table lookup, many times faster than str.translate with a mapping.
_BYTE_TABLE: Final = bytes(
    0x20 if byte in _PUNCTUATION else byte for byte in range(256)
)


@dataclass(slots=True)
class IndexedText:
    """A text with the set of its words, built once and shared by all the
    phrase sets that search it."""

    text: str
    _words: frozenset[bytes] | None = field(default=None, repr=False)

    @property
    def words(self) -> frozenset[bytes]:
        """The UTF-8 encoded words of the text."""
        if self._words is None:
            encoded = self.text.encode("utf-8", "surrogatepass")
            self._words = frozenset(encoded.translate(_BYTE_TABLE).split())
        return self._words


_Keyed = tuple[str, re.Pattern[str]]


class PhraseSet:
    """Alternative patterns searched as one: `search` returns a match of any
    of them, or None."""

    def __init__(self, *patterns: str) -> None:
        self.patterns = patterns
        self._by_word: dict[bytes, list[_Keyed]] = {}
        self._unkeyed: list[_Keyed] = []
        self._unanchored: list[re.Pattern[str]] = []
        for pattern in patterns:
            self._add(pattern)
        self._words = frozenset(self._by_word)

    def _add(self, pattern: str) -> None:
        compiled = re.compile(pattern)
        heads = literal_heads(pattern)
        if not heads:
            self._unanchored.append(compiled)
        for head in heads:
            word, is_whole = _head_word(pattern, head)
            if is_whole:
                self._by_word.setdefault(word, []).append((head, compiled))
            else:
                self._unkeyed.append((head, compiled))

    def search(self, text: str | IndexedText) -> re.Match[str] | None:
        return next(self.finditer(text), None)

    def finditer(self, text: str | IndexedText) -> Iterator[re.Match[str]]:
        """Yield matches grouped by alternative, not in text order."""
        indexed = text if isinstance(text, IndexedText) else IndexedText(text)
        raw = indexed.text
        for word in self._words & indexed.words:
            for head, pattern in self._by_word[word]:
                yield from _matches_at(raw, head, pattern)
        for head, pattern in self._unkeyed:
            yield from _matches_at(raw, head, pattern)
        for pattern in self._unanchored:
            yield from pattern.finditer(raw)


def _matches_at(
    text: str, head: str, pattern: re.Pattern[str]
) -> Iterator[re.Match[str]]:
    position = text.find(head)
    while position >= 0:
        match = pattern.match(text, position)
        if match is not None:
            yield match
        position = text.find(head, position + 1)


def _head_word(pattern: str, head: str) -> tuple[bytes, bool]:
    """Return the first word of `head` and whether it is a whole word in
    every match, rather than the start of a longer one."""
    encoded = head.encode("utf-8")
    words = encoded.translate(_BYTE_TABLE).split()
    if not words or not head[0].isalnum():
        return b"", False
    first = words[0]
    # The first word is whole when the head goes on with a blank or a
    # punctuation mark after it, or when the pattern ends the word there.
    if len(encoded) > len(first) and _BYTE_TABLE[encoded[len(first)]] == 0x20:
        return first, True
    position = pattern.find(head)
    after = pattern[position + len(head) :] if position >= 0 else ""
    return first, after.startswith((r"\b", " "))


def literal_heads(pattern: str) -> tuple[str, ...]:
    """Return literal strings one of which every match of `pattern` starts
    with, or () when none can be read from it (then the pattern always runs)."""
    branches = _split_top_level(pattern)
    if len(branches) > 1:
        return _union(literal_heads(branch) for branch in branches)
    if pattern.startswith(r"\b"):
        pattern = pattern[2:]
    if not pattern.startswith("(?:"):
        head = _literal_prefix(pattern)
        return (head,) if _is_usable(head) else ()
    inner, rest = _split_group(pattern[3:])
    if inner is None or rest[:1] in _QUANTIFIERS:
        return ()
    tail = _literal_prefix(rest)
    heads = []
    for branch in _split_top_level(inner):
        head = _literal_prefix(branch)
        if branch == head:
            head += tail
        heads.append((head,) if _is_usable(head) else ())
    return _union(heads)


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
    out: list[str] = []
    i = 0
    while i < len(pattern):
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
            break
        out.append(char_out)
    return "".join(out)


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
