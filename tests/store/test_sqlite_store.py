"""The embedded SQLite store: storage, owner isolation, filters and failures."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from applylens.config import Settings
from applylens.errors import (
    BackendNotReady,
    BackendUnavailable,
    NotFound,
    QuerySyntaxError,
)
from applylens.mail.model import Attachment, Message, Unsubscribe
from applylens.store.base import SearchBackend, SearchRequest, SearchResult
from applylens.store.factory import open_backend
from applylens.store.sqlite import OPTIMIZE_AFTER, SCHEMA_VERSION, SQLiteStore
from applylens.store.sqlite_search import RANK_WINDOW, ROW_ID_SLOTS

from .synthetic import NOW, check_index, generate_messages, make_message


def search(store: SQLiteStore, query: str = "", **options: object) -> SearchResult:
    options.setdefault("owner", "alice")
    options.setdefault("now", NOW)
    return store.search(SearchRequest(query=query, **options))  # type: ignore[arg-type]


def keys(result: SearchResult) -> list[str]:
    return [hit.message.key for hit in result.hits]


def test_store_implements_search_backend(store: SQLiteStore) -> None:
    assert isinstance(store, SearchBackend)
    assert store.name == "sqlite"


def test_factory_opens_sqlite_store_at_db_path(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "x.db", retention_days=30)

    backend = open_backend(settings)

    assert isinstance(backend, SQLiteStore)
    assert backend.path == tmp_path / "x.db"
    assert backend.retention_days == 30


# Storing


def test_add_messages_round_trips_every_field(store: SQLiteStore) -> None:
    original = make_message("<full@x>", subject="Offer", text="Hello café")
    original.date = datetime(2026, 5, 3, 4, 5, 6, 789012, tzinfo=UTC)
    original.html = "<p>Hello <b>café</b></p>"
    original.attachments = [Attachment("offer.pdf", "application/pdf", 4096)]
    original.unsubscribe = Unsubscribe("u@x", "https://x/u", one_click=True)
    original.cc = ["bob@example.com"]
    original.references = ["<a@x>", "<b@x>"]
    original.in_reply_to = "<b@x>"
    original.reply_to = "other@example.com"
    original.gmail_labels = ["Inbox", "Unread"]
    original.gmail_thread_id = "177"
    original.maildir_flags = "RS"
    original.raw_size = 1234
    original.content_hash = "sha256:ab"
    original.source = "/mail/inbox:5"
    original.parse_defects = ["missing boundary"]
    original.labels = ["offer", "needs_reply"]
    original.risk_score = 12
    original.risk_reasons = ["new domain"]
    original.company = "Acme"
    original.role = "SRE"
    store.add_messages([original])

    loaded = store.get_message("alice", original.doc_id)

    assert loaded == original


def test_search_hit_omits_html(
    store: SQLiteStore,
) -> None:
    original = make_message("<html@x>", subject="Offer", text="Hello there")
    original.html = "<p>Hello <b>there</b></p>"
    store.add_messages([original])

    hit = search(store, "hello").hits[0]

    assert hit.message.html is None
    assert hit.message.text == original.text
    assert store.get_message("alice", original.doc_id).html == original.html


def test_search_without_text_same_hits(store: SQLiteStore) -> None:
    store.add_messages(generate_messages(60))
    full = store.search(SearchRequest(owner="alice", query="interview", limit=50))
    light = store.search(
        SearchRequest(owner="alice", query="interview", limit=50, with_text=False)
    )

    assert [h.message.doc_id for h in light.hits] == [
        h.message.doc_id for h in full.hits
    ]
    assert light.total == full.total > 0
    assert any(h.message.text for h in full.hits)
    assert all(h.message.text == "" and h.snippet == "" for h in light.hits)
    assert [h.message.subject for h in light.hits] == [
        h.message.subject for h in full.hits
    ]


def test_add_messages_same_key_twice_counts_duplicate(store: SQLiteStore) -> None:
    messages = list(generate_messages(30))
    first = store.add_messages(messages)

    second = store.add_messages(messages)

    assert (first.indexed, first.duplicates) == (30, 0)
    assert (second.indexed, second.duplicates) == (0, 30)
    assert store.count("alice") == 30


def test_add_messages_duplicate_within_batch_counts_once(store: SQLiteStore) -> None:
    message = make_message("<same@x>")

    stats = store.add_messages([message, make_message("<same@x>")])

    assert (stats.indexed, stats.duplicates) == (1, 1)


def test_add_messages_failing_batch_stores_nothing(store: SQLiteStore) -> None:
    def batch() -> Iterator[Message]:
        yield from generate_messages(5)
        raise RuntimeError("parser crashed")

    with pytest.raises(RuntimeError):
        store.add_messages(batch())

    assert store.count() == 0
    assert search(store, "interview").total == 0


def test_add_messages_invalid_message_rolls_back_batch(store: SQLiteStore) -> None:
    good = list(generate_messages(3))
    bad = make_message("<bad@x>")
    bad.attachments = [object()]  # type: ignore[list-item]

    with pytest.raises(AttributeError):
        store.add_messages([*good, bad])

    assert store.count() == 0


def test_add_messages_same_instant_overflow_keeps_all(
    store: SQLiteStore,
) -> None:
    count = ROW_ID_SLOTS + 50
    messages = [make_message(f"<same-time-{i}@x>", date=NOW) for i in range(count)]
    later = make_message("<later@x>", date=NOW + timedelta(microseconds=1))

    store.add_messages([later])
    stats = store.add_messages(messages)

    assert stats.indexed == count
    assert store.count() == count + 1


@pytest.mark.parametrize(
    "date",
    [
        pytest.param(datetime(1601, 1, 1, tzinfo=UTC), id="before-1685"),
        pytest.param(datetime(1969, 12, 31, tzinfo=UTC), id="before-epoch"),
        pytest.param(datetime(9999, 12, 31, tzinfo=UTC), id="year-9999"),
    ],
)
def test_add_messages_extreme_date_round_trips(
    store: SQLiteStore, date: datetime
) -> None:
    message = make_message("<old@x>", date=date)
    store.add_messages([message])

    assert store.get_message("alice", message.doc_id).date == date
    assert keys(search(store)) == ["<old@x>"]


def test_contains_finds_stored_key_only(store: SQLiteStore) -> None:
    store.add_messages([make_message("<a@x>")])

    assert store.contains("alice", "<a@x>")
    assert not store.contains("alice", "<b@x>")
    assert not store.contains("bob", "<a@x>")
    assert store.stored_content_hash("alice", "<a@x>") is not None
    assert store.stored_content_hash("alice", "<b@x>") is None
    assert store.stored_content_hash("bob", "<a@x>") is None


# Owners


def test_search_same_message_two_owners_each_sees_own(store: SQLiteStore) -> None:
    store.add_messages([make_message("<k@x>", owner="alice", subject="Offer A")])
    store.add_messages([make_message("<k@x>", owner="bob", subject="Offer B")])

    alice = search(store, "offer", owner="alice")
    bob = search(store, "offer", owner="bob")

    assert [hit.message.subject for hit in alice.hits] == ["Offer A"]
    assert [hit.message.subject for hit in bob.hits] == ["Offer B"]
    assert store.count("alice") == 1
    assert store.count() == 2


def test_search_owner_compared_case_insensitively(store: SQLiteStore) -> None:
    store.add_messages([make_message("<k@x>", owner="Alice@Example.COM")])

    result = search(store, "hello", owner="alice@example.com")

    assert keys(result) == ["<k@x>"]
    assert store.contains("ALICE@example.com", "<k@x>")


def test_search_unknown_owner_returns_nothing(store: SQLiteStore) -> None:
    store.add_messages(generate_messages(10))

    assert search(store, "interview", owner="mallory").total == 0
    assert search(store, "", owner="mallory").total == 0
    assert search(store, "-interview", owner="mallory").total == 0


def test_get_message_other_owner_raises_not_found(store: SQLiteStore) -> None:
    message = make_message("<k@x>", owner="alice")
    store.add_messages([message])

    with pytest.raises(NotFound):
        store.get_message("bob", message.doc_id)


def test_search_two_owners_negated_query_stays_in_owner(store: SQLiteStore) -> None:
    store.add_messages([make_message("<a@x>", owner="alice", text="one")])
    store.add_messages([make_message("<b@x>", owner="bob", text="two")])

    assert keys(search(store, "-zzz", owner="alice")) == ["<a@x>"]


# Text matching


def test_search_phrase_requires_adjacent_words(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<adjacent@x>", text="your offer letter is attached"),
            make_message("<apart@x>", text="the letter about an offer"),
        ]
    )

    assert keys(search(store, '"offer letter"')) == ["<adjacent@x>"]
    assert sorted(keys(search(store, "offer letter"))) == ["<adjacent@x>", "<apart@x>"]


def test_search_plural_word_also_finds_singular(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<one@x>", subject="Interview invitation"),
            make_message("<many@x>", text="Three interviews with two companies"),
            make_message("<firm@x>", text="A company newsletter"),
        ]
    )

    assert sorted(keys(search(store, "interviews"))) == ["<many@x>", "<one@x>"]
    assert sorted(keys(search(store, "interview invitations"))) == ["<one@x>"]
    assert keys(search(store, "interview")) == ["<one@x>"]
    assert sorted(keys(search(store, "companies"))) == ["<firm@x>", "<many@x>"]
    assert keys(search(store, '"interview invitations"')) == []


def test_search_ignores_diacritics_and_case(store: SQLiteStore) -> None:
    store.add_messages([make_message("<k@x>", text="Send your Résumé to the café")])

    assert keys(search(store, "resume CAFE")) == ["<k@x>"]
    assert keys(search(store, "résumé")) == ["<k@x>"]


def test_search_negated_word_excludes(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<a@x>", text="interview on monday"),
            make_message("<b@x>", text="interview promo code"),
        ]
    )

    assert keys(search(store, "interview -promo")) == ["<a@x>"]
    assert keys(search(store, "-promo")) == ["<a@x>"]


def test_search_subject_field_matches_subject_only(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<s@x>", subject="Assessment link", text="hello"),
            make_message("<b@x>", subject="Hello", text="assessment link"),
        ]
    )

    assert keys(search(store, "subject:assessment")) == ["<s@x>"]


@pytest.mark.parametrize(
    "query",
    [
        "from:greenhouse",
        "from:greenhouse.io",
        "from:green",
        "from:jane",
        'from:"Jane Doe"',
    ],
)
def test_search_from_matches_address_name_or_domain(
    store: SQLiteStore, query: str
) -> None:
    store.add_messages(
        [
            make_message("<g@x>", sender="jane@greenhouse.io", sender_name="Jane Doe"),
            make_message("<l@x>", sender="bot@lever.co", sender_name="Lever"),
        ]
    )

    assert keys(search(store, query)) == ["<g@x>"]


def test_search_to_matches_recipients(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<a@x>", to=["alice@home.example"]),
            make_message("<b@x>", to=["team@work.example"]),
        ]
    )

    assert keys(search(store, "to:team@work.example")) == ["<b@x>"]


def test_search_plain_words_skip_recipients(
    store: SQLiteStore,
) -> None:
    store.add_messages([make_message("<a@x>", to=["zebra@home.example"])])

    assert search(store, "zebra").total == 0


def test_search_subject_match_ranks_above_body_match(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<body@x>", subject="Hello", text="about the interview"),
            make_message(
                "<subject@x>",
                subject="Interview invitation",
                text="see below",
                date=NOW - timedelta(days=3),
            ),
        ]
    )

    assert keys(search(store, "interview")) == ["<subject@x>", "<body@x>"]


def test_search_sort_date_orders_newest_first(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<old@x>", subject="Interview", date=NOW - timedelta(days=9)),
            make_message("<new@x>", text="interview", date=NOW - timedelta(days=1)),
        ]
    )

    assert keys(search(store, "interview", sort="date")) == ["<new@x>", "<old@x>"]


def test_search_reports_matched_fields(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message(
                "<k@x>",
                subject="Interview at Acme",
                text="Your interview is on Monday",
                sender="jobs@acme.example",
                labels=["interview"],
            )
        ]
    )

    by_text = search(store, "interview").hits[0]
    by_sender = search(store, "from:acme label:interview").hits[0]

    assert by_text.matched_fields == ["subject", "body"]
    assert by_sender.matched_fields == ["sender", "label"]


def test_search_snippet_shows_matching_words(store: SQLiteStore) -> None:
    filler = " ".join(f"word{i}" for i in range(200))
    store.add_messages(
        [make_message("<k@x>", text=f"{filler} the recruiter called {filler}")]
    )

    snippet = search(store, "recruiter").hits[0].snippet

    assert "recruiter called" in snippet
    assert snippet.startswith("…")
    assert len(snippet.split()) <= 26


def test_search_empty_query_lists_newest_first(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message(f"<{days}@x>", date=NOW - timedelta(days=days))
            for days in (5, 1, 3)
        ]
    )

    result = search(store)

    assert keys(result) == ["<1@x>", "<3@x>", "<5@x>"]
    assert result.total == 3
    assert result.hits[0].snippet == "Body text"


def test_search_paginates_with_limit_and_offset(store: SQLiteStore) -> None:
    store.add_messages(generate_messages(50))
    everything = keys(search(store, "hi", limit=50))

    page = search(store, "hi", limit=10, offset=20)

    assert page.total == 50
    assert keys(page) == everything[20:30]


def test_search_beyond_rank_window_counts_every_match(store: SQLiteStore) -> None:
    store.add_messages(generate_messages(RANK_WINDOW + 300))

    result = search(store, "alice")

    assert result.total == RANK_WINDOW + 300
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)


# Filters


def test_search_label_filter_requires_all_labels(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<both@x>", labels=["interview", "needs_reply"]),
            make_message("<one@x>", labels=["interview"]),
        ]
    )

    both = search(store, "label:interview label:needs-reply")
    by_request = search(store, "hello", labels=["interview", "needs_reply"])

    assert keys(both) == ["<both@x>"]
    assert keys(by_request) == ["<both@x>"]
    assert sorted(keys(search(store, "", labels=["interview"]))) == [
        "<both@x>",
        "<one@x>",
    ]


def test_search_unknown_request_label_raises(store: SQLiteStore) -> None:
    with pytest.raises(QuerySyntaxError, match="'jobs'"):
        search(store, "", labels=["jobs"])


def test_search_window_days_excludes_older(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<recent@x>", date=NOW - timedelta(days=3)),
            make_message("<old@x>", date=NOW - timedelta(days=40)),
        ]
    )

    result = search(store, "hello", window_days=30)

    assert keys(result) == ["<recent@x>"]
    assert result.effective_after == NOW - timedelta(days=30)


def test_search_newer_than_excludes_older(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<recent@x>", date=NOW - timedelta(days=3)),
            make_message("<old@x>", date=NOW - timedelta(days=10)),
        ]
    )

    assert keys(search(store, "newer_than:1w")) == ["<recent@x>"]


def test_search_prefix_matches_longer_words(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<a@x>", subject="Interview on Monday"),
            make_message("<b@x>", subject="Interviewing tips", text="x"),
            make_message("<c@x>", subject="Internal memo", text="y"),
        ]
    )

    assert sorted(keys(search(store, "interv*"))) == ["<a@x>", "<b@x>"]
    assert sorted(keys(search(store, "inter*"))) == ["<a@x>", "<b@x>", "<c@x>"]
    assert keys(search(store, "interv")) == []
    assert search(store, "interv*").hits[0].matched_fields == ["subject"]


def test_search_older_than_excludes_newer(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<recent@x>", date=NOW - timedelta(days=3)),
            make_message("<old@x>", date=NOW - timedelta(days=10)),
        ]
    )

    assert keys(search(store, "older_than:1w")) == ["<old@x>"]
    assert keys(search(store, "newer_than:2w older_than:1w")) == ["<old@x>"]


def test_search_after_inclusive_before_exclusive(store: SQLiteStore) -> None:
    day = datetime(2026, 3, 1, tzinfo=UTC)
    store.add_messages(
        [
            make_message("<start@x>", date=day),
            make_message("<inside@x>", date=day + timedelta(days=1, hours=5)),
            make_message("<end@x>", date=day + timedelta(days=3)),
            make_message("<early@x>", date=day - timedelta(microseconds=1)),
        ]
    )

    by_query = search(store, "after:2026-03-01 before:2026-03-04")
    by_request = search(store, after=day, before=day + timedelta(days=3))

    assert keys(by_query) == ["<inside@x>", "<start@x>"]
    assert keys(by_request) == ["<inside@x>", "<start@x>"]


def test_search_sender_filter_matches_exact_address(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<a@x>", sender="Jane@Acme.example"),
            make_message("<b@x>", sender="jane@acme.example.evil.test"),
        ]
    )

    assert keys(search(store, sender="jane@acme.example")) == ["<a@x>"]


def test_search_sender_domain_includes_subdomains_not_lookalikes(
    store: SQLiteStore,
) -> None:
    store.add_messages(
        [
            make_message("<a@x>", sender="a@greenhouse.io"),
            make_message("<b@x>", sender="b@mail.greenhouse.io"),
            make_message("<c@x>", sender="c@greenhouse.io.evil.test"),
            make_message("<d@x>", sender="d@notgreenhouse.io"),
        ]
    )

    result = search(store, sender_domain="Greenhouse.IO")

    assert sorted(keys(result)) == ["<a@x>", "<b@x>"]
    assert result.total == 2


@pytest.mark.parametrize(
    "value", ["a b", "https://greenhouse.io", "*.greenhouse.io", "greenhouse..io"]
)
def test_search_sender_domain_not_a_domain_is_error(
    store: SQLiteStore, value: str
) -> None:
    with pytest.raises(QuerySyntaxError, match="is not a domain name"):
        search(store, sender_domain=value)


def test_search_sender_domain_final_dot_and_at_accepted(store: SQLiteStore) -> None:
    store.add_messages([make_message("<a@x>", sender="a@greenhouse.io")])

    assert keys(search(store, sender_domain="greenhouse.io.")) == ["<a@x>"]
    assert keys(search(store, sender_domain="@greenhouse.io")) == ["<a@x>"]


def test_search_sender_name_filter_matches_like_from(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<a@x>", sender="a@x.example", sender_name="Sam Lee"),
            make_message("<b@x>", sender="b@x.example", sender_name="Kim Park"),
        ]
    )

    assert keys(search(store, sender="sam")) == ["<a@x>"]


# Retention


def test_search_with_retention_hides_older_mail(db_path: Path) -> None:
    store = SQLiteStore(db_path, retention_days=30)
    store.add_messages(
        [
            make_message("<recent@x>", date=NOW - timedelta(days=29)),
            make_message("<old@x>", date=NOW - timedelta(days=31)),
        ]
    )

    result = search(store, "hello")
    listing = search(store, "")
    store.close()

    assert keys(result) == ["<recent@x>"]
    assert keys(listing) == ["<recent@x>"]
    assert result.effective_after == NOW - timedelta(days=30)


def test_search_retention_overrides_wider_window(db_path: Path) -> None:
    store = SQLiteStore(db_path, retention_days=30)
    store.add_messages([make_message("<old@x>", date=NOW - timedelta(days=40))])

    result = search(store, "", window_days=365, after=NOW - timedelta(days=100))
    store.close()

    assert result.total == 0
    assert result.effective_after == NOW - timedelta(days=30)


def test_purge_older_than_deletes_messages_and_index(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<recent@x>", text="keep me", date=NOW - timedelta(days=1)),
            make_message("<old@x>", text="purge me", date=NOW - timedelta(days=100)),
        ]
    )
    cutoff = NOW - timedelta(days=90)

    assert store.count_older_than(cutoff) == 1
    assert store.purge_older_than(cutoff) == 1
    assert store.count() == 1
    assert search(store, "purge").total == 0
    assert keys(search(store, "me")) == ["<recent@x>"]


def test_purge_older_than_cutoff_is_exclusive(store: SQLiteStore) -> None:
    cutoff = NOW - timedelta(days=90)
    store.add_messages([make_message("<edge@x>", date=cutoff)])

    assert store.purge_older_than(cutoff) == 0
    assert store.purge_older_than(cutoff + timedelta(microseconds=1)) == 1


# Labels and threads


def test_set_labels_updates_label_filter(store: SQLiteStore) -> None:
    message = make_message("<k@x>", labels=["promo"])
    store.add_messages([message])

    store.set_labels("ALICE", message.doc_id, ["offer"])

    assert keys(search(store, "label:offer")) == ["<k@x>"]
    assert keys(search(store, "hello label:offer")) == ["<k@x>"]
    assert search(store, "hello label:promo").total == 0
    assert store.get_message("alice", message.doc_id).labels == ["offer"]


def test_set_labels_unknown_message_raises_not_found(store: SQLiteStore) -> None:
    with pytest.raises(NotFound):
        store.set_labels("alice", "0" * 20, ["offer"])


def test_set_labels_unknown_label_raises(store: SQLiteStore) -> None:
    message = make_message("<k@x>")
    store.add_messages([message])

    with pytest.raises(ValueError, match="'jobs'"):
        store.set_labels("alice", message.doc_id, ["jobs"])


def test_threads_map_merge_and_list_oldest_first(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<a@x>", thread_id="t1", date=NOW - timedelta(days=2)),
            make_message("<b@x>", thread_id="t2", date=NOW - timedelta(days=1)),
            make_message("<c@x>", thread_id="t3", date=NOW - timedelta(days=3)),
        ]
    )

    assert store.thread_ids_for("alice", ["<a@x>", "<b@x>", "<zz@x>"]) == {
        "<a@x>": "t1",
        "<b@x>": "t2",
    }
    assert store.merge_threads("alice", ["t2", "t3", "t1"], into="t1") == 2
    thread = store.get_thread("alice", "t1")
    assert [m.key for m in thread] == ["<c@x>", "<a@x>", "<b@x>"]
    assert store.merge_threads("bob", ["t1"], into="t9") == 0


def test_iter_messages_yields_every_message_of_owner(store: SQLiteStore) -> None:
    store.add_messages(generate_messages(1200))
    store.add_messages([make_message("<b@x>", owner="bob")])
    store.add_messages([make_message("<old@x>", date=datetime(1900, 1, 1, tzinfo=UTC))])

    found = {message.key for message in store.iter_messages("alice")}

    assert len(found) == 1201
    assert "<old@x>" in found
    assert "<b@x>" not in found


# Failures


def test_corrupt_file_raises_backend_unavailable(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database file\n" * 200)
    store = SQLiteStore(db_path)

    with pytest.raises(BackendUnavailable) as caught:
        store.check()

    assert caught.value.backend == "sqlite"
    assert caught.value.setting == "APPLYLENS_DB"
    assert str(db_path) in str(caught.value)
    with pytest.raises(BackendUnavailable):
        search(store, "offer")


def test_directory_path_raises_backend_unavailable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path)

    with pytest.raises(BackendUnavailable, match="directory"):
        store.count()


def test_locked_database_raises_backend_unavailable(db_path: Path) -> None:
    SQLiteStore(db_path).check()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    store = SQLiteStore(db_path, busy_timeout=0.2)
    try:
        with pytest.raises(BackendUnavailable, match="locked"):
            store.add_messages([make_message("<k@x>")])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    store.add_messages([make_message("<k@x>")])

    assert store.count() == 1
    store.close()


def test_newer_schema_raises_backend_not_ready(db_path: Path) -> None:
    from applylens.errors import BackendNotReady

    SQLiteStore(db_path).check()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()

    with pytest.raises(BackendNotReady, match="newer"):
        SQLiteStore(db_path).check()


@pytest.mark.parametrize("sort", ["relevance", "date"])
@pytest.mark.parametrize("query", ["hello", "", "-zzz", "label:offer"])
def test_search_limit_zero_counts_without_hits(
    store: SQLiteStore, query: str, sort: str
) -> None:
    store.add_messages(make_message(f"<{i}@x>", labels=["offer"]) for i in range(7))

    result = search(store, query, limit=0, sort=sort)

    assert result.hits == []
    assert result.total == 7


def test_search_offset_past_end_still_counts(store: SQLiteStore) -> None:
    store.add_messages(make_message(f"<{i}@x>") for i in range(7))

    result = search(store, "hello", offset=50)

    assert result.hits == []
    assert result.total == 7


def test_search_from_domain_matches_whole_words(store: SQLiteStore) -> None:
    store.add_messages(
        [
            make_message("<co@x>", sender="jobs@lever.co"),
            make_message("<com@x>", sender="jobs@lever.com"),
        ]
    )

    assert keys(search(store, "from:lever.co")) == ["<co@x>"]
    assert sorted(keys(search(store, "from:lever"))) == ["<co@x>", "<com@x>"]


def test_index_stays_consistent_after_updates_and_purge(
    store: SQLiteStore, db_path: Path
) -> None:
    messages = list(generate_messages(200))
    store.add_messages(messages)
    for message in messages[:50]:
        store.set_labels("alice", message.doc_id, ["offer", "interview"])
    store.merge_threads("alice", ["t1", "t2"], into="t0")
    cutoff = NOW - timedelta(days=180)
    store.purge_older_than(cutoff)
    labelled_kept = sum(
        1
        for index, message in enumerate(messages)
        if message.date >= cutoff
        and (index < 50 or {"offer", "interview"} <= set(message.labels))
    )

    assert indexed_row_ids(db_path) == stored_row_ids(db_path)
    assert search(store, "hi").total == store.count()
    assert search(store, "label:offer label:interview").total == labelled_kept


def indexed_row_ids(db_path: Path) -> set[int]:
    conn = sqlite3.connect(db_path)
    try:
        # Raises when the index structure is damaged.
        conn.execute("INSERT INTO message_fts (message_fts) VALUES ('integrity-check')")
        return {row[0] for row in conn.execute("SELECT id FROM message_fts_docsize")}
    finally:
        conn.close()


def stored_row_ids(db_path: Path) -> set[int]:
    conn = sqlite3.connect(db_path)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM messages")}
    finally:
        conn.close()


def test_search_large_count_stays_in_owner(store: SQLiteStore) -> None:
    store.add_messages(generate_messages(RANK_WINDOW + 40, owner="alice"))
    store.add_messages(generate_messages(60, owner="bob", seed=8))

    result = search(store, "alice", owner="alice")

    assert result.total == RANK_WINDOW + 40


def test_store_reopens_after_close(store: SQLiteStore) -> None:
    store.add_messages(generate_messages(RANK_WINDOW + 10))
    before = search(store, "alice").total
    store.close()

    after = search(store, "alice").total

    assert before == after == RANK_WINDOW + 10


# Index maintenance


def index_segments(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("SELECT count(DISTINCT segid) FROM message_fts_idx")
        return int(row.fetchone()[0])
    finally:
        conn.close()


def add_in_batches(store: SQLiteStore, messages: list[Message]) -> None:
    # Each transaction writes a segment of its own into the index.
    for start in range(0, len(messages), 100):
        store.add_messages(messages[start : start + 100])


def test_close_after_large_import_merges_segments(
    store: SQLiteStore, db_path: Path
) -> None:
    add_in_batches(store, list(generate_messages(OPTIMIZE_AFTER)))
    segments_before = index_segments(db_path)

    store.close()

    assert segments_before > 1
    assert index_segments(db_path) == 1
    assert search(store, "alice").total == OPTIMIZE_AFTER


def test_close_after_small_import_keeps_segments(
    store: SQLiteStore, db_path: Path
) -> None:
    add_in_batches(store, list(generate_messages(300)))
    segments_before = index_segments(db_path)

    store.close()

    assert segments_before > 1
    assert index_segments(db_path) == segments_before


@pytest.mark.parametrize(
    ("bulk_load", "expected"),
    [pytest.param(True, 0, id="import"), pytest.param(False, 268435456, id="search")],
)
def test_factory_bulk_load_turns_off_memory_map(
    tmp_path: Path, bulk_load: bool, expected: int
) -> None:
    settings = Settings(db_path=tmp_path / "mail.db")
    store = open_backend(settings, bulk_load=bulk_load)
    assert isinstance(store, SQLiteStore)
    try:
        store.count()
        mmap_size = store._connect().execute("PRAGMA mmap_size").fetchone()[0]
    finally:
        store.close()

    assert mmap_size == expected


def test_index_matches_rows_after_add_relabel_and_purge(db_path: Path) -> None:
    store = SQLiteStore(db_path)
    messages = list(generate_messages(300))
    store.add_messages(messages[:150])
    store.add_messages(reversed(messages[150:]))
    first = messages[0]
    store.set_labels(first.owner, first.doc_id, ["offer"])
    removed = store.purge_older_than(NOW - timedelta(days=200))
    store.close()

    check_index(db_path)
    assert 0 < removed < 300
    reopened = SQLiteStore(db_path)
    assert reopened.count() == 300 - removed
    reopened.close()


def test_index_corrupted_by_hand_fails_the_check(db_path: Path) -> None:
    # The check above must be able to fail: a row missing from the index is
    # reported.
    store = SQLiteStore(db_path)
    store.add_messages(generate_messages(20))
    store.close()
    conn = sqlite3.connect(db_path)
    row = conn.execute(
        "SELECT id, subject, sender_name || ' ' || sender, body, "
        "to_json || ' ' || cc_json, facets FROM messages LIMIT 1"
    ).fetchone()
    conn.execute(
        "INSERT INTO message_fts (message_fts, rowid, subject, sender, body, "
        "recipients, facets) VALUES ('delete', ?, ?, ?, ?, ?, ?)",
        row,
    )
    conn.commit()
    conn.close()

    with pytest.raises(sqlite3.DatabaseError):
        check_index(db_path)


def test_other_programs_database_is_left_alone(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE flags (name TEXT PRIMARY KEY, value TEXT)")
    conn.commit()
    conn.close()

    store = SQLiteStore(db_path)
    with pytest.raises(BackendNotReady, match="is not an ApplyLens mail database"):
        store.count()
    store.close()

    conn = sqlite3.connect(db_path)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    assert tables == ["flags", "sqlite_autoindex_flags_1"]
    assert mode == "delete"


def test_empty_file_becomes_store(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"")

    store = SQLiteStore(db_path)
    store.add_messages([make_message("<a@x>")])

    assert store.count() == 1
    store.close()


def test_schema_1_upgrade_indexes_once(db_path: Path) -> None:
    SQLiteStore(db_path).check()
    conn = sqlite3.connect(db_path)
    # Version 1 indexed new rows with this trigger.
    conn.executescript(
        "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
        "INSERT INTO message_fts (rowid, subject, sender, body, recipients, facets) "
        "VALUES (new.id, new.subject, new.sender_name || ' ' || new.sender, "
        "new.body, new.to_json || ' ' || new.cc_json, new.facets); END; "
        "PRAGMA user_version = 1;"
    )
    conn.close()

    store = SQLiteStore(db_path)
    store.add_messages([make_message("<k@x>", subject="Unique zebra")])
    assert search(store, "zebra").total == 1
    store.close()

    conn = sqlite3.connect(db_path)
    triggers = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    assert "messages_fts_insert" not in triggers
    assert version == SCHEMA_VERSION
    check_index(db_path)
