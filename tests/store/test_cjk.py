"""Searching Chinese and Japanese mail, whose words have no spaces between them,
and text in compatibility forms (ligatures, full-width and half-width letters)."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from applylens.mail.model import Message
from applylens.mail.parse import parse_message
from applylens.store.base import SearchRequest, SearchResult
from applylens.store.matching import compile_field_patterns
from applylens.store.query import parse_query, text_tokens, text_words
from applylens.store.sqlite import SCHEMA_VERSION, SQLiteStore

from .synthetic import NOW, check_index, make_message

# Real Japanese mail from the SpamAssassin corpus: two business messages and an
# advertisement, plus a plain English one.
CJK_FILES = {
    "subject": "hard-ham-1/00039.b2b936a8501444b213f61f9ff193b480.txt",
    "ticket": "hard-ham-1/00042.5b7f2a0e87c853e8c8e13d556c1320d2.txt",
    "advert": "spam-1/00327.7f21bc8575786a0e00341a6407b9f286.txt",
    "english": "easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt",
}


@pytest.fixture(scope="module")
def japanese_mail(corpora: Path) -> dict[str, Message]:
    folder = corpora / "spamassassin"
    return {
        name: parse_message(
            (folder / path).read_bytes(),
            owner="alice",
            source=path,
            file_mtime=None,
            now=NOW,
        )
        for name, path in CJK_FILES.items()
    }


@pytest.fixture
def filled(store: SQLiteStore, japanese_mail: dict[str, Message]) -> SQLiteStore:
    store.add_messages(japanese_mail.values())
    return store


def _names(result: SearchResult, mail: dict[str, Message]) -> set[str]:
    by_key = {message.key: name for name, message in mail.items()}
    return {by_key[hit.message.key] for hit in result.hits}


def _search(store: SQLiteStore, query: str) -> SearchResult:
    return store.search(SearchRequest(owner="alice", query=query, now=NOW))


def test_text_words_split_cjk_characters_one_token_each() -> None:
    assert text_words("二次面接のご案内 Python面接 한국어 Café") == [
        ("二", "次", "面", "接", "の", "ご", "案", "内"),
        ("python", "面", "接"),
        ("한국어",),
        ("café",),
    ]
    assert text_tokens("カタカナ, 漢字") == ["カ", "タ", "カ", "ナ", "漢", "字"]


def test_text_tokens_normalize_compatibility_forms() -> None:
    assert text_tokens("ﬁle Ｐｙｔｈｏｎ面接 ｶﾞｲﾄﾞ 𝐅𝐑𝐄𝐄 １２月") == [
        "file",
        "python",
        "面",
        "接",
        "ガ",
        "イ",
        "ド",
        "free",
        "12",
        "月",
    ]


def test_cjk_run_is_one_phrase_word() -> None:
    term = parse_query("面接").terms[0]

    assert term.tokens == ["面", "接"]
    assert term.word_forms == [("面 接",)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A word inside a longer run of the subject.
        ("件名", {"subject"}),
        ("サブジェクト", {"subject"}),
        ('"日本語の件名"', {"subject"}),
        ("subject:件名", {"subject"}),
        # Body text, and a word that sits between Latin letters.
        ("化学", {"ticket"}),
        ("エンジニアリング", {"ticket"}),
        ("livelink", {"ticket"}),
        ("出会い", {"advert"}),
        ("出会い*", {"advert"}),
        ("subject:広告", {"advert"}),
        # Sender names.
        ("from:伊東", {"subject"}),
        # A Chinese character alone, and words that are not there.
        ("様", {"subject", "ticket"}),
        ("面接", set()),
        ("件名 化学", set()),
        ('"件名 化学"', set()),
    ],
)
def test_search_finds_words_inside_cjk_runs(
    filled: SQLiteStore,
    japanese_mail: dict[str, Message],
    query: str,
    expected: set[str],
) -> None:
    assert _names(_search(filled, query), japanese_mail) == expected


def test_negated_cjk_word_excludes_mail(
    filled: SQLiteStore, japanese_mail: dict[str, Message]
) -> None:
    assert _names(_search(filled, "-件名"), japanese_mail) == {
        "ticket",
        "advert",
        "english",
    }


def test_cjk_hits_report_matched_fields_and_snippet(filled: SQLiteStore) -> None:
    hit = _search(filled, "化学").hits[0]

    assert hit.matched_fields == ["subject", "body"]
    assert "化学" in hit.snippet


def test_phrase_of_separate_runs_needs_them_adjacent(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<a@x>", text="二次面接の日程をご連絡します"),
            make_message("<b@x>", text="面接日程の調整"),
        ]
    )

    assert [h.message.key for h in _search(store, '"面接 日程"').hits] == ["<b@x>"]
    assert len(_search(store, "面接 日程").hits) == 2


@pytest.mark.parametrize(
    ("query", "text", "matches"),
    [
        ("面接", "二次面接のご案内", True),
        ("python", "大python面接", True),
        ("python", "pythonic", False),
        ("面接", "面会", False),
        ('"面接 日程"', "面接、日程", True),
        ('"python 面接"', "Python 面接", True),
    ],
)
def test_body_patterns_follow_the_index_tokens(
    query: str, text: str, matches: bool
) -> None:
    patterns = compile_field_patterns(parse_query(query).terms)

    assert (patterns["body"].search(text) is not None) is matches


def test_index_stays_whole_after_relabel_and_purge(
    db_path: Path, japanese_mail: dict[str, Message]
) -> None:
    store = SQLiteStore(db_path)
    store.add_messages(japanese_mail.values())
    store.set_labels("alice", japanese_mail["ticket"].doc_id, ["interview"])
    removed = store.purge_older_than(datetime(2002, 9, 1, tzinfo=NOW.tzinfo))
    store.close()

    check_index(db_path)
    assert removed > 0


# Schema 2 had no `split_tokens` column, and indexed the fields as they are.
_SCHEMA_2_TEXT = """
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP VIEW message_text;
CREATE VIEW message_text (id, subject, sender, body, recipients, facets) AS
    SELECT id, subject, sender_name || ' ' || sender, body,
    to_json || ' ' || cc_json, facets FROM messages;
INSERT INTO message_fts (message_fts) VALUES ('rebuild');
ALTER TABLE messages DROP COLUMN split_tokens;
PRAGMA user_version = 2;
"""


def test_schema_2_upgrade_finds_cjk_words(
    db_path: Path, japanese_mail: dict[str, Message]
) -> None:
    store = SQLiteStore(db_path)
    store.add_messages(japanese_mail.values())
    store.close()
    conn = sqlite3.connect(db_path)
    conn.executescript(_SCHEMA_2_TEXT)
    conn.close()
    old = sqlite3.connect(db_path)
    columns = {row[1] for row in old.execute("PRAGMA table_info(messages)")}
    old.close()
    assert "split_tokens" not in columns

    upgraded = SQLiteStore(db_path)
    found = _names(_search(upgraded, "件名"), japanese_mail)
    upgraded.purge_older_than(datetime(2002, 9, 1, tzinfo=NOW.tzinfo))
    upgraded.close()

    assert found == {"subject"}
    check_index(db_path)
    conn = sqlite3.connect(db_path)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    assert version == SCHEMA_VERSION


def test_only_cjk_fields_carry_split_tokens(
    db_path: Path, japanese_mail: dict[str, Message]
) -> None:
    store = SQLiteStore(db_path)
    store.add_messages(japanese_mail.values())
    store.close()
    conn = sqlite3.connect(db_path)
    rows = dict(conn.execute("SELECT key, split_tokens FROM messages"))
    conn.close()

    assert rows[japanese_mail["english"].key] is None
    split = rows[japanese_mail["subject"].key]
    assert re.search(r"件 名", split)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("file", {"ligature"}),
        ("python", {"full-width"}),
        ("Ｐｙｔｈｏｎ", {"full-width"}),
        ("面接", {"full-width"}),
        ("カタカナ", {"half-width"}),
        ("ｶﾀｶﾅ", {"half-width"}),
        ("12月", {"full-width"}),
        ("free money", {"math"}),
    ],
)
def test_search_matches_compatibility_forms(
    store: SQLiteStore, query: str, expected: set[str]
) -> None:
    mail = {
        "ligature": make_message("<l@x>", text="Please sign the attached ﬁle today"),
        "full-width": make_message(
            "<f@x>", subject="Ｐｙｔｈｏｎ面接のご案内", text="日程は１２月３日です"
        ),
        "half-width": make_message("<h@x>", text="ｶﾀｶﾅで書かれた案内"),
        "math": make_message("<m@x>", subject="𝐅𝐑𝐄𝐄 𝐌𝐎𝐍𝐄𝐘 inside"),
        "plain": make_message("<p@x>", text="Nothing special here"),
    }
    store.add_messages(mail.values())

    assert _names(_search(store, query), mail) == expected
