"""Any text a user can type either searches or raises QuerySyntaxError.

A seeded generator builds thousands of queries from fragments of query syntax,
full-text engine operators, punctuation and unusual Unicode, and runs each one
against a real store.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from applylens.errors import QuerySyntaxError
from applylens.store.base import SearchRequest, SearchResult
from applylens.store.query import parse_query
from applylens.store.sqlite import SQLiteStore

from .synthetic import NOW, generate_messages

FRAGMENTS = [
    '"',
    "'",
    "(",
    ")",
    "*",
    "^",
    ":",
    "-",
    "+",
    "{",
    "}",
    "[",
    "]",
    ",",
    ";",
    "\\",
    "/",
    "%",
    "_",
    "@",
    ".",
    "!",
    "?",
    "#",
    "~",
    "`",
    "|",
    "&",
    "<",
    ">",
    "=",
    "$",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\x00",
    "\x1b",
    "\u200b",
    "\u00a0",
    "\u202e",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\U0001f600",
    "é",
    "e\u0301",
    "ß",
    "İ",
    "ﬁ",
    "中文",
    "مرحبا",
    "Ω",
    "²",
    "٣",
    "\ue000",
    "NEAR",
    "NEAR(",
    "AND",
    "OR",
    "NOT",
    "near/3",
    "offer",
    "interview",
    "alice",
    "from:",
    "to:",
    "subject:",
    "label:",
    "after:",
    "before:",
    "newer_than:",
    "newer-than:",
    "foo:",
    "http://",
    "label:offer",
    "label:Needs-Reply",
    "label:nope",
    "after:2024-01-01",
    "before:2026-13-40",
    "after:2026-02-30",
    "newer_than:7d",
    "newer_than:0d",
    "newer_than:99999999999y",
    "-",
    "--",
    '"offer letter"',
    '""',
    "*offer",
    "offer*",
    "0",
    "9" * 30,
    "2024/05/01",
    "subject:(",
    "{subject}:x",
    "rowid",
    "rank",
    "MATCH",
    "'; DROP TABLE x;--",
    "message_fts",
    "facets",
    "o1234abcd",
    "linterview",
]


def hostile_queries(count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        parts = rng.choices(FRAGMENTS, k=rng.randint(1, 12))
        yield "".join(part + (" " if rng.random() < 0.4 else "") for part in parts)


@pytest.fixture(scope="module")
def populated_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path_factory.mktemp("hostile") / "applylens.db")
    store.add_messages(generate_messages(300))
    yield store
    store.close()


def test_parse_query_hostile_text_never_crashes() -> None:
    failures = []
    for text in hostile_queries(20_000, seed=1):
        try:
            parse_query(text, now=NOW)
        except QuerySyntaxError as exc:
            if not str(exc):
                failures.append((text, "empty message"))
        except Exception as exc:  # noqa: BLE001 - the test reports any other error
            failures.append((text, repr(exc)))

    assert failures == []


def test_search_hostile_text_returns_result_or_syntax_error(
    populated_store: SQLiteStore,
) -> None:
    failures = []
    outcomes = {"result": 0, "syntax": 0}
    for text in hostile_queries(4_000, seed=2):
        request = SearchRequest(owner="alice", query=text, now=NOW, limit=5)
        try:
            result = populated_store.search(request)
        except QuerySyntaxError:
            outcomes["syntax"] += 1
            continue
        except Exception as exc:  # noqa: BLE001 - the test reports any other error
            failures.append((text, repr(exc)))
            continue
        if not isinstance(result, SearchResult):
            failures.append((text, f"returned {result!r}"))
        outcomes["result"] += 1

    assert failures == []
    # Both outcomes occur, so the generator exercises both paths.
    assert outcomes["result"] > 500
    assert outcomes["syntax"] > 500


@pytest.mark.parametrize(
    "field",
    ["sender", "sender_domain"],
)
def test_search_hostile_filter_values_never_fail(
    populated_store: SQLiteStore, field: str
) -> None:
    failures = []
    for text in hostile_queries(500, seed=3):
        request = SearchRequest(owner="alice", now=NOW, **{field: text})
        try:
            populated_store.search(request)
        except QuerySyntaxError:
            continue
        except Exception as exc:  # noqa: BLE001 - the test reports any other error
            failures.append((text, repr(exc)))

    assert failures == []


def test_search_hostile_owner_returns_nothing(populated_store: SQLiteStore) -> None:
    owners = [t for t in hostile_queries(200, seed=4) if t.strip().lower() != "alice"]
    for text in owners:
        request = SearchRequest(owner=text or "x", query="interview", now=NOW)

        assert populated_store.search(request).total == 0
