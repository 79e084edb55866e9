"""`ElasticsearchStore` against a real Elasticsearch, and its parity with the
SQLite store over the same real mail."""

from __future__ import annotations

import dataclasses
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from applylens.cli.es import es_group
from applylens.errors import BackendNotReady, BackendUnavailable, NotFound
from applylens.mail.model import Message
from applylens.store.base import SearchRequest, SearchResult
from applylens.store.elasticsearch import (
    ElasticsearchStore,
    fold,
    message_to_document,
    open_client,
)
from applylens.store.sqlite import SQLiteStore

pytestmark = pytest.mark.elasticsearch

ALIAS = "gmail_emails"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(es_url: str) -> ElasticsearchStore:
    result = CliRunner().invoke(es_group, ["setup-ilm", "--without-ilm"])
    assert result.exit_code == 0, result.output
    backend = ElasticsearchStore(open_client(es_url), url=es_url)
    yield backend
    backend.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _recent(messages: list[Message], ages_in_days: list[int]) -> list[Message]:
    return [
        dataclasses.replace(m, date=NOW - timedelta(days=age))
        for m, age in zip(messages, ages_in_days, strict=True)
    ]


# Readiness and errors


def test_check_missing_alias_names_setup_ilm(es_url: str) -> None:
    backend = ElasticsearchStore(open_client(es_url), url=es_url)

    with pytest.raises(BackendNotReady, match="applylens es setup-ilm"):
        backend.check()


def test_check_plain_index_names_migrate(es_url: str, es_client: Elasticsearch) -> None:
    es_client.indices.create(index=ALIAS)
    backend = ElasticsearchStore(open_client(es_url), url=es_url)

    with pytest.raises(BackendNotReady, match="applylens es migrate"):
        backend.check()


def test_add_messages_before_setup_creates_no_index(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    backend = ElasticsearchStore(open_client(es_url), url=es_url)

    with pytest.raises(BackendNotReady):
        backend.add_messages(real_messages[:3])

    assert not es_client.indices.exists(index=ALIAS)


def test_search_before_setup_names_setup_ilm(es_url: str, owner: str) -> None:
    backend = ElasticsearchStore(open_client(es_url), url=es_url)

    with pytest.raises(BackendNotReady, match="setup-ilm"):
        backend.search(SearchRequest(owner=owner, query="linux"))


def test_unreachable_cluster_names_url_and_setting(owner: str) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    backend = ElasticsearchStore(open_client(url, request_timeout=5), url=url)

    with pytest.raises(BackendUnavailable) as caught:
        backend.search(SearchRequest(owner=owner, query="linux"))

    assert url in str(caught.value)
    assert "APPLYLENS_ES_URL" in str(caught.value)
    assert caught.value.__cause__ is not None


def test_unreachable_cluster_url_credentials_are_hidden() -> None:
    url = f"http://user:secret@127.0.0.1:{_free_port()}"
    backend = ElasticsearchStore(open_client(url, request_timeout=5), url=url)

    with pytest.raises(BackendUnavailable) as caught:
        backend.check()

    assert "secret" not in str(caught.value)


# Writing and reading


def test_add_messages_twice_counts_duplicates(
    store: ElasticsearchStore, real_messages: list[Message]
) -> None:
    first = store.add_messages(real_messages[:40])

    second = store.add_messages(real_messages[:40])

    assert first.indexed == 40
    assert second.duplicates == 40
    assert store.count() == 40


def test_add_messages_uses_doc_id_as_document_id(
    store: ElasticsearchStore, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    message = real_messages[0]
    store.add_messages([message])

    assert es_client.exists(index="gmail_emails-000001", id=message.doc_id)


def test_get_message_round_trips_fields(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    message = real_messages[3]
    store.add_messages([message])

    loaded = store.get_message(owner, message.doc_id)

    assert loaded.subject == message.subject
    assert loaded.date == message.date
    assert loaded.attachments == message.attachments
    assert loaded.text == message.text


def test_get_message_other_owner_not_found(
    store: ElasticsearchStore, real_messages: list[Message]
) -> None:
    store.add_messages(real_messages[:1])

    with pytest.raises(NotFound):
        store.get_message("mallory@example.org", real_messages[0].doc_id)


def test_search_other_owner_sees_nothing(
    store: ElasticsearchStore, real_messages: list[Message]
) -> None:
    store.add_messages(real_messages[:40])

    result = store.search(SearchRequest(owner="mallory@example.org"))

    assert result.total == 0


def test_search_without_text_same_hits(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    store.add_messages(real_messages[:40])
    request = SearchRequest(owner=owner, limit=40, sort="date")
    full = store.search(request)
    light = store.search(dataclasses.replace(request, with_text=False))

    assert [h.message.doc_id for h in light.hits] == [
        h.message.doc_id for h in full.hits
    ]
    assert any(h.message.text for h in full.hits)
    assert all(h.message.text == "" and h.snippet == "" for h in light.hits)
    assert all(h.message.html is None for h in light.hits)


def test_owner_filter_ignores_case(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    store.add_messages(real_messages[:10])

    assert store.count(owner.upper()) == 10


def test_contains_known_and_unknown_keys(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    store.add_messages(real_messages[:1])

    assert store.contains(owner, real_messages[0].key)
    assert not store.contains(owner, "no-such-key")


def test_stored_content_hash_known_and_unknown_keys(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    store.add_messages(real_messages[:1])
    message = real_messages[0]

    assert store.stored_content_hash(owner, message.key) == message.content_hash
    assert store.stored_content_hash("someone-else", message.key) is None
    assert store.stored_content_hash(owner, "no-such-key") is None


def test_merge_threads_moves_every_message(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    messages = [
        dataclasses.replace(m, thread_id=f"t{i % 3}")
        for i, m in enumerate(real_messages[:9])
    ]
    store.add_messages(messages)

    moved = store.merge_threads(owner, ["t1", "t2"], "t0")

    assert moved == 6
    assert len(store.get_thread(owner, "t0")) == 9


def test_get_thread_oldest_first(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    messages = [dataclasses.replace(m, thread_id="t") for m in real_messages[:5]]
    store.add_messages(messages)

    dates = [m.date for m in store.get_thread(owner, "t")]

    assert dates == sorted(dates)


def test_thread_ids_for_maps_stored_message_ids(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    message = dataclasses.replace(real_messages[0], thread_id="thread-a")
    store.add_messages([message])
    assert message.message_id is not None

    found = store.thread_ids_for(owner, [message.message_id, "<unknown@x>"])

    assert found == {message.message_id: "thread-a"}


def test_iter_messages_yields_every_message(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    store.add_messages(real_messages[:30])

    keys = {m.key for m in store.iter_messages(owner)}

    assert keys == {m.key for m in real_messages[:30]}


def test_purge_older_than_deletes_only_old_mail(
    store: ElasticsearchStore, real_messages: list[Message]
) -> None:
    store.add_messages(_recent(real_messages[:4], [10, 50, 100, 200]))

    purged = store.purge_older_than(NOW - timedelta(days=90))

    assert purged == 2
    assert store.count() == 2


# Retention


def test_search_retention_days_hides_older_mail(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    store.add_messages(_recent(real_messages[:4], [10, 50, 100, 200]))
    store.retention_days = 90

    result = store.search(SearchRequest(owner=owner, now=NOW))

    assert result.total == 2
    assert result.effective_after == NOW - timedelta(days=90)


def test_search_retention_zero_keeps_everything(
    store: ElasticsearchStore, real_messages: list[Message], owner: str
) -> None:
    store.add_messages(_recent(real_messages[:4], [10, 50, 100, 200]))

    result = store.search(SearchRequest(owner=owner, now=NOW))

    assert result.total == 4


def test_from_settings_reads_retention_days(
    es_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from applylens.config import get_settings

    monkeypatch.setenv("APPLYLENS_RETENTION_DAYS", "30")
    get_settings.cache_clear()

    backend = ElasticsearchStore.from_settings(get_settings())

    assert backend.retention_days == 30
    assert backend.url == es_url


# Parity with the SQLite store

PARITY_QUERIES = [
    "razor",
    "linux",
    "spamassassin",
    "perl",
    '"open source"',
    "from:yahoo",
    "subject:sequences",
    "subject:spam -razor",
    "python script",
    "mortgage rates",
    "scripts",
    "companies",
    "viagra",
    "exmh",
    "newsletter unsubscribe",
    "credit card",
    "free money",
    "to:zzzz",
    "label:interview",
    "résumé",
    "after:2002-09-01 linux",
    "older_than:8800d linux",
    "spamass*",
    "subject:sequ*",
    "-linux",
    "件名",
    "エンジニアリング",
    "subject:出会い",
    '"日本語の件名"',
    "from:伊東",
    "出会い*",
    "-広告",
]


@pytest.fixture
def both_stores(
    store: ElasticsearchStore, real_messages: list[Message], tmp_path: Path
) -> tuple[ElasticsearchStore, SQLiteStore]:
    sqlite = SQLiteStore(tmp_path / "parity.db")
    store.add_messages(real_messages)
    sqlite.add_messages(real_messages)
    yield store, sqlite
    sqlite.close()


def _ids(result: SearchResult) -> list[str]:
    return [hit.message.doc_id for hit in result.hits]


def _clear_top(result: SearchResult, k: int) -> set[str]:
    """Return the top ids of a ranking whose scores stand clear of the rest:
    the first k hits, shortened until the k-th score beats the next one by 5%."""
    scores = [hit.score for hit in result.hits]
    while k > 0 and k < len(scores) and scores[k - 1] <= scores[k] * 1.05:
        k -= 1
    return set(_ids(result)[:k])


def test_parity_same_matches(
    both_stores: tuple[ElasticsearchStore, SQLiteStore], owner: str
) -> None:
    es_store, sqlite = both_stores
    differences = []
    for query in PARITY_QUERIES:
        request = SearchRequest(owner=owner, query=query, limit=1000, now=NOW)
        es_ids = set(_ids(es_store.search(request)))
        sqlite_ids = set(_ids(sqlite.search(request)))
        if es_ids != sqlite_ids:
            differences.append((query, len(es_ids), len(sqlite_ids)))

    assert differences == []


# A from: term matches only the short sender field. SQLite's bm25 normalizes
# by the length of the whole message and Lucene's by the length of the field,
# so among messages from the same sender the two rank differently.
TOP_QUERIES = [q for q in PARITY_QUERIES if not q.startswith(("-", "from:"))]


def test_parity_same_clear_top_results(
    both_stores: tuple[ElasticsearchStore, SQLiteStore], owner: str
) -> None:
    es_store, sqlite = both_stores
    differences = []
    for query in TOP_QUERIES:
        request = SearchRequest(owner=owner, query=query, limit=50, now=NOW)
        clear = _clear_top(sqlite.search(request), 3)
        es_top = set(_ids(es_store.search(request))[: len(clear)])
        if es_top != clear:
            differences.append(query)

    assert differences == []


def test_parity_compares_enough_results(
    both_stores: tuple[ElasticsearchStore, SQLiteStore], owner: str
) -> None:
    sqlite = both_stores[1]
    compared = 0
    for query in TOP_QUERIES:
        request = SearchRequest(owner=owner, query=query, limit=50, now=NOW)
        compared += len(_clear_top(sqlite.search(request), 3))

    assert compared >= 20


def test_parity_matched_fields_agree(
    both_stores: tuple[ElasticsearchStore, SQLiteStore], owner: str
) -> None:
    es_store, sqlite = both_stores
    request = SearchRequest(owner=owner, query="razor", limit=5, now=NOW)

    es_fields = {
        h.message.doc_id: h.matched_fields for h in es_store.search(request).hits
    }
    sqlite_fields = {
        h.message.doc_id: h.matched_fields for h in sqlite.search(request).hits
    }

    assert es_fields == sqlite_fields


# Documents


def test_fold_removes_latin_diacritics() -> None:
    assert fold("résumé") == "resume"


def test_document_keeps_tokens_of_subject() -> None:
    message = Message(
        owner="Alice",
        key="k1",
        message_id="k1",
        subject="Entretien: Développeur Python",
        sender="jobs@example.com",
        sender_name="Jobs",
        sender_domain="example.com",
        date=NOW,
        date_source="date",
    )

    document: dict[str, Any] = message_to_document(message)

    assert document["subject_terms"] == "entretien developpeur python"
    assert document["owner"] == "alice"


def test_search_tokens_match_query_tokens_on_real_mail(
    real_messages: list[Message],
) -> None:
    from applylens.store.elasticsearch import search_tokens
    from applylens.store.query import text_tokens

    differing = [
        m.key
        for m in real_messages
        if search_tokens(m.text) != [fold(t) for t in text_tokens(m.text)]
    ]

    assert differing == []
