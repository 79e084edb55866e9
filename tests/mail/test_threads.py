"""Thread ids from References, In-Reply-To and X-GM-THRID, in any arrival order."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from applylens.ingest import import_paths
from applylens.mail.parse import parse_message
from applylens.mail.threads import ThreadLinks, ThreadResolver
from applylens.state import connect_state
from applylens.store.sqlite import SQLiteStore

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
THREADING = "notmuch-corpora/test/corpora/threading"
GHOST_ROOT_THREADS = [
    {
        "1529425589.M615261P21663.len:2,S",
        "1532672447.R6968667928580738175.len:2,S",
        "1532672447.R3166642290392477575.len:2,S",
    },
    {
        "real-root",
        "child",
        "fake-root",
        "grand-child",
        "grand-child2",
        "great-grand-child",
    },
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    backend = SQLiteStore(tmp_path / "threads.db")
    yield backend
    backend.close()


def threads_by_file(store: SQLiteStore) -> list[set[str]]:
    groups: dict[str, set[str]] = {}
    for message in store.iter_messages("me"):
        groups.setdefault(message.thread_id, set()).add(Path(message.source).name)
    return sorted(groups.values(), key=len)


@pytest.fixture
def links(tmp_path: Path) -> Iterator[ThreadLinks]:
    conn = connect_state(tmp_path / "state.db")
    yield ThreadLinks(conn)
    conn.close()


def import_one_by_one(
    store: SQLiteStore, files: list[Path], links: ThreadLinks | None
) -> None:
    for path in files:
        report = import_paths(
            [path], store, owner="me", retention_days=0, now=NOW, thread_links=links
        )
        assert report.indexed == 1, report.skipped


def test_threads_ghost_root_in_file_order(corpora: Path, store: SQLiteStore) -> None:
    import_paths([corpora / THREADING / "ghost-root"], store, owner="me", now=NOW)
    assert threads_by_file(store) == GHOST_ROOT_THREADS


def test_threads_ghost_root_children_first_separate_imports(
    corpora: Path, store: SQLiteStore, links: ThreadLinks
) -> None:
    # Each import stores one message, so a parent that arrives later must
    # merge threads that are already in the store.
    files = sorted((corpora / THREADING / "ghost-root").iterdir(), reverse=True)
    import_one_by_one(store, files, links)
    assert threads_by_file(store) == GHOST_ROOT_THREADS


def test_threads_consistent_references_need_no_links(
    corpora: Path, store: SQLiteStore
) -> None:
    # Without saved links, later imports still join on the References root.
    folder = corpora / THREADING / "ghost-root"
    names = ["great-grand-child", "grand-child2", "grand-child", "child", "real-root"]
    import_one_by_one(store, [folder / name for name in names], None)
    assert threads_by_file(store) == [set(names)]


def test_threads_ghost_root_any_order_one_batch_each(
    corpora: Path, tmp_path: Path
) -> None:
    files = sorted((corpora / THREADING / "ghost-root").iterdir())
    for number, order in enumerate(
        itertools.islice(itertools.permutations(files), 0, 40, 7)
    ):
        store = SQLiteStore(tmp_path / f"order-{number}.db")
        try:
            import_paths(order, store, owner="me", batch_size=1, now=NOW)
            assert threads_by_file(store) == GHOST_ROOT_THREADS, [p.name for p in order]
        finally:
            store.close()


def test_threads_parent_priority_one_thread(
    corpora: Path, store: SQLiteStore, links: ThreadLinks
) -> None:
    files = sorted((corpora / THREADING / "parent-priority/cur").iterdir())
    import_one_by_one(store, files, links)
    assert threads_by_file(store) == [{"child", "grand-child", "root"}]


def test_threads_in_reply_to_loop_one_thread(corpora: Path, store: SQLiteStore) -> None:
    report = import_paths(
        [corpora / "notmuch-corpora/test/corpora/broken/loop"],
        store,
        owner="me",
        now=NOW,
    )
    assert report.indexed == 2
    assert threads_by_file(store) == [{"loop-12", "loop-21"}]


def test_threads_loop_reversed_separate_imports(
    corpora: Path, store: SQLiteStore
) -> None:
    loop = corpora / "notmuch-corpora/test/corpora/broken/loop"
    import_one_by_one(store, [loop / "loop-21", loop / "loop-12"], None)
    assert threads_by_file(store) == [{"loop-12", "loop-21"}]


def test_threads_reply_naming_only_parent_joins_root(store: SQLiteStore) -> None:
    # The reply names only its parent; the parent, arriving later, names the
    # root. All three end in one thread.
    raws = {
        "reply": b"From: c@x.org\nMessage-ID: <c@x>\nIn-Reply-To: <b@x>\n\nc\n",
        "root": b"From: a@x.org\nMessage-ID: <a@x>\n\na\n",
        "parent": b"From: b@x.org\nMessage-ID: <b@x>\nReferences: <a@x>\n\nb\n",
    }
    for name, raw in raws.items():
        message = parse_message(raw, owner="me", source=name, file_mtime=None, now=NOW)
        resolver = ThreadResolver(store, "me", store_has_messages=store.count("me") > 0)
        resolver.assign([message])
        resolver.flush_merges()
        store.add_messages([message])
    assert threads_by_file(store) == [{"reply", "root", "parent"}]


def test_threads_gmail_thread_id_wins(store: SQLiteStore) -> None:
    raws = [
        b"From: a@x.org\nMessage-ID: <a@x>\nX-GM-THRID: 42\n\na\n",
        b"From: b@x.org\nMessage-ID: <b@x>\nX-GM-THRID: 42\n\nb\n",
        b"From: c@x.org\nMessage-ID: <c@x>\nIn-Reply-To: <b@x>\n\nc\n",
    ]
    messages = [
        parse_message(raw, owner="me", source=str(i), file_mtime=None, now=NOW)
        for i, raw in enumerate(raws)
    ]
    ThreadResolver(store, "me", store_has_messages=False).assign(messages)
    assert {message.thread_id for message in messages} == {"gmail:42"}


def test_threads_unrelated_messages_stay_apart(
    corpora: Path, store: SQLiteStore
) -> None:
    import_paths(
        [corpora / "notmuch-corpora/test/corpora/lkml"], store, owner="me", now=NOW
    )
    thread_count = len({message.thread_id for message in store.iter_messages("me")})
    assert 1 < thread_count < store.count("me")
