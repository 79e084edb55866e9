"""Importing real corpora into the embedded store."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from applylens.ingest import ImportProgress, import_paths, pool_context
from applylens.mail.model import Message
from applylens.store.base import AddStats
from applylens.store.sqlite import SQLiteStore

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
NOTMUCH = "notmuch-corpora/test/corpora"
GOOD_MESSAGE = (
    b"From: a@example.com\nMessage-ID: <%d@example.com>\nSubject: s\n\nbody\n"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    backend = SQLiteStore(tmp_path / "store.db")
    yield backend
    backend.close()


def stored_keys(store: SQLiteStore, owner: str = "me") -> set[str]:
    return {message.key for message in store.iter_messages(owner)}


def test_import_duplicate_message_ids_counted(
    corpora: Path, store: SQLiteStore
) -> None:
    folder = corpora / NOTMUCH / "duplicate"
    report = import_paths([folder], store, owner="me", now=NOW)
    assert report.read == 9
    assert report.indexed == 3
    assert report.duplicates == 6
    assert store.count("me") == 3


def test_import_twice_adds_nothing(corpora: Path, store: SQLiteStore) -> None:
    folder = corpora / NOTMUCH / "default"
    first = import_paths([folder], store, owner="me", now=NOW)
    second = import_paths([folder], store, owner="me", now=NOW)
    assert first.indexed == 52
    assert second.indexed == 0
    assert second.duplicates == second.read == first.read
    assert store.count("me") == 52


def test_import_duplicate_corpus_has_different_content(
    corpora: Path, store: SQLiteStore
) -> None:
    # Each later copy in this notmuch corpus differs from the first in subject or text.
    report = import_paths([corpora / NOTMUCH / "duplicate"], store, owner="me", now=NOW)
    assert report.duplicates == 6
    assert report.different_content == 6
    notice = report.different_content_notice()
    assert notice is not None
    assert notice.startswith(
        "6 of the 6 duplicates have the same Message-ID as another message but "
        "different content"
    )


def test_import_different_content_counted_and_logged(
    tmp_path: Path, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    header = b"From: a@x.org\nMessage-ID: <same@x.org>\nSubject: offer\n\n"
    (folder / "1-first.eml").write_bytes(header + b"first text\n")
    (folder / "2-copy.eml").write_bytes(header + b"first text\n")
    (folder / "3-other.eml").write_bytes(header + b"another text\n")
    with caplog.at_level("WARNING", logger="applylens.ingest"):
        report = import_paths([folder], store, owner="me", now=NOW)
    assert report.read == 3
    assert report.indexed == 1
    assert report.duplicates == 2
    assert report.different_content == 1
    assert [message.text for message in store.iter_messages("me")] == ["first text"]
    warnings = [record.getMessage() for record in caplog.records]
    assert any("3-other.eml has the Message-ID <same@x.org>" in w for w in warnings)
    assert any("1 of the 2 duplicates has" in w for w in warnings)


def test_import_identical_copies_not_different_content(
    tmp_path: Path, store: SQLiteStore
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    for index in range(3):
        (folder / f"{index}.eml").write_bytes(GOOD_MESSAGE % 7)
    report = import_paths([folder], store, owner="me", now=NOW)
    assert report.duplicates == 2
    assert report.different_content == 0
    assert report.different_content_notice() is None


def test_import_stored_duplicate_different_content_counted(
    tmp_path: Path, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    header = b"From: a@x.org\nMessage-ID: <same@x.org>\nSubject: offer\n\n"
    (tmp_path / "first.eml").write_bytes(header + b"first text\n")
    import_paths([tmp_path / "first.eml"], store, owner="me", now=NOW)
    (tmp_path / "other.eml").write_bytes(header + b"another text\n")

    with caplog.at_level(logging.WARNING, logger="applylens.ingest"):
        report = import_paths([tmp_path / "other.eml"], store, owner="me", now=NOW)

    assert report.duplicates == 1
    assert report.different_content == 1
    assert any("already stored" in r.getMessage() for r in caplog.records)


def test_import_stored_identical_copy_plain_duplicate(
    tmp_path: Path, store: SQLiteStore
) -> None:
    raw = b"From: a@x.org\nMessage-ID: <same@x.org>\nSubject: offer\n\nbody\n"
    (tmp_path / "first.eml").write_bytes(raw)
    import_paths([tmp_path / "first.eml"], store, owner="me", now=NOW)
    (tmp_path / "copy.eml").write_bytes(raw)

    report = import_paths([tmp_path / "copy.eml"], store, owner="me", now=NOW)

    assert report.duplicates == 1
    assert report.different_content == 0


def test_import_symlinked_folder_read(corpora: Path, tmp_path: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    (links / "ext").symlink_to(corpora / "perceval-mbox")
    counts = []
    for source in (links, links / "ext"):
        store = SQLiteStore(tmp_path / f"{source.name}.db")
        try:
            report = import_paths([source], store, owner="me", now=NOW)
        finally:
            store.close()
        counts.append((report.read, report.indexed, report.skipped))
    assert counts[0] == counts[1]
    assert counts[0][0] == 22


@pytest.mark.timeout(60)
def test_import_symlink_loop_reported_once(tmp_path: Path, store: SQLiteStore) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(GOOD_MESSAGE % 1)
    (folder / "loop").symlink_to(folder)
    (folder / "gone.eml").symlink_to(tmp_path / "missing.eml")
    updates: list[ImportProgress] = []
    report = import_paths([folder], store, owner="me", now=NOW, progress=updates.append)
    assert report.read == 3
    assert report.indexed == 1
    assert sorted(report.skipped) == [
        (
            str(folder / "gone.eml"),
            f"dangling symbolic link: its target {tmp_path / 'missing.eml'} "
            "does not exist",
        ),
        (str(folder / "loop"), f"already read as {folder}"),
    ]
    assert updates[-1].bytes_total == len(GOOD_MESSAGE % 1)


def test_import_owners_kept_apart(corpora: Path, store: SQLiteStore) -> None:
    folder = corpora / NOTMUCH / "duplicate"
    import_paths([folder], store, owner="me", now=NOW)
    report = import_paths([folder], store, owner="other", now=NOW)
    assert report.indexed == 3
    assert store.count("other") == 3


def test_import_broken_message_reported_rest_imported(
    tmp_path: Path, store: SQLiteStore
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    for index in range(5):
        (folder / f"{index}.eml").write_bytes(GOOD_MESSAGE % index)
    (folder / "2-empty.eml").write_bytes(b"")
    (folder / "3-binary.eml").write_bytes(bytes(range(256)) * 4)
    report = import_paths([folder], store, owner="me", now=NOW)
    assert report.indexed == 5
    assert sorted(Path(origin).name for origin, _ in report.skipped) == [
        "2-empty.eml",
        "3-binary.eml",
    ]
    assert report.read == report.indexed + report.duplicates + len(report.skipped)


def test_import_skip_reason_names_problem(tmp_path: Path, store: SQLiteStore) -> None:
    (tmp_path / "empty.eml").write_bytes(b"")
    report = import_paths([tmp_path / "empty.eml"], store, owner="me", now=NOW)
    assert report.skipped == [(str(tmp_path / "empty.eml"), "the message is empty")]


def test_import_date_fallback_recorded(tmp_path: Path, store: SQLiteStore) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "dated.eml").write_bytes(
        b"From: a@x.org\nDate: Tue, 3 Sep 2002 10:00:00 +0200\n\nx\n"
    )
    (folder / "received.eml").write_bytes(
        b"Received: by mx; Wed, 4 Sep 2002 10:00:00 +0000\nFrom: b@x.org\n"
        b"Date: not a date\n\ny\n"
    )
    undated = folder / "undated.eml"
    undated.write_bytes(b"From: c@x.org\nSubject: no date\n\nz\n")
    mtime = datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC)
    os.utime(undated, (mtime.timestamp(), mtime.timestamp()))
    import_paths([folder], store, owner="me", retention_days=0, now=NOW)
    found = {message.sender: message for message in store.iter_messages("me")}
    assert found["a@x.org"].date_source == "date"
    assert found["a@x.org"].date == datetime(2002, 9, 3, 8, 0, tzinfo=UTC)
    assert found["b@x.org"].date_source == "received"
    assert found["b@x.org"].date == datetime(2002, 9, 4, 10, 0, tzinfo=UTC)
    assert found["c@x.org"].date_source == "file"
    assert found["c@x.org"].date == mtime


def test_import_outside_retention_counted_and_kept(
    tmp_path: Path, store: SQLiteStore
) -> None:
    old = (NOW - timedelta(days=200)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    recent = (NOW - timedelta(days=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    (tmp_path / "old.eml").write_bytes(f"From: a@x.org\nDate: {old}\n\nx\n".encode())
    (tmp_path / "new.eml").write_bytes(f"From: b@x.org\nDate: {recent}\n\ny\n".encode())
    report = import_paths([tmp_path], store, owner="me", retention_days=90, now=NOW)
    assert report.indexed == 2
    assert report.outside_retention == 1
    notice = report.retention_notice()
    assert notice is not None
    assert "APPLYLENS_RETENTION_DAYS=0" in notice


class _RacedStore:
    """A store into which another writer puts each batch just before the
    import does, as a second import of the same mail running at the same time."""

    def __init__(self, store: SQLiteStore, other: SQLiteStore) -> None:
        self._store = store
        self._other = other

    def add_messages(self, messages: Iterable[Message]) -> AddStats:
        batch = list(messages)
        self._other.add_messages(batch)
        return self._store.add_messages(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_import_outside_retention_counts_only_stored(
    tmp_path: Path, store: SQLiteStore
) -> None:
    old = (NOW - timedelta(days=200)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    for index in range(3):
        message = f"From: a@x.org\nDate: {old}\nMessage-ID: <old{index}@x>\n\nx\n"
        (tmp_path / f"old{index}.eml").write_bytes(message.encode())
    other = SQLiteStore(store.path)
    try:
        raced = _RacedStore(store, other)
        report = import_paths([tmp_path], raced, owner="me", retention_days=90, now=NOW)
    finally:
        other.close()

    assert report.indexed == 0
    assert report.duplicates == 3
    assert report.outside_retention == 0
    assert report.retention_notice() is None


def test_import_retention_zero_counts_nothing_outside(
    corpora: Path, store: SQLiteStore
) -> None:
    report = import_paths(
        [corpora / NOTMUCH / "default"], store, owner="me", retention_days=0, now=NOW
    )
    assert report.outside_retention == 0
    assert report.retention_notice() is None


def test_import_classifies_messages(corpora: Path, store: SQLiteStore) -> None:
    import_paths([corpora / "spamassassin/spam-1"], store, owner="me", now=NOW)
    labelled = [m for m in store.iter_messages("me") if m.labels or m.risk_score]
    assert labelled


def test_import_progress_reports_all_messages(
    corpora: Path, store: SQLiteStore
) -> None:
    updates: list[ImportProgress] = []
    report = import_paths(
        [corpora / NOTMUCH / "lkml"],
        store,
        owner="me",
        progress=updates.append,
        now=NOW,
    )
    assert updates
    assert updates[-1].messages_read == report.read
    assert updates[-1].bytes_read <= updates[-1].bytes_total


def test_import_worker_processes_match_in_process(
    corpora: Path, tmp_path: Path
) -> None:
    folder = corpora / "spamassassin/hard-ham-1"
    results = []
    for workers in (1, 2):
        store = SQLiteStore(tmp_path / f"workers-{workers}.db")
        try:
            report = import_paths([folder], store, owner="me", workers=workers, now=NOW)
            keys = stored_keys(store)
            threads = {m.key: m.thread_id for m in store.iter_messages("me")}
        finally:
            store.close()
        results.append((report.read, report.indexed, keys, threads))
    assert results[0] == results[1]


def test_import_with_thread_running_uses_fork_server(
    corpora: Path, tmp_path: Path
) -> None:
    # Forking while another thread runs could copy a lock that thread holds,
    # so the workers then come from a fork server, with the same results.
    folder = corpora / "spamassassin/hard-ham-1"
    expected = SQLiteStore(tmp_path / "in-process.db")
    try:
        import_paths([folder], expected, owner="me", workers=1, now=NOW)
        expected_keys = stored_keys(expected)
    finally:
        expected.close()

    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert pool_context().get_start_method() == "forkserver"
        store = SQLiteStore(tmp_path / "forkserver.db")
        try:
            import_paths([folder], store, owner="me", workers=2, now=NOW)
            keys = stored_keys(store)
        finally:
            store.close()
    finally:
        stop.set()
        other.join()

    assert pool_context().get_start_method() == "fork"
    assert keys == expected_keys
    assert len(keys) > 200


def test_import_mbox_and_maildir_mixed(corpora: Path, store: SQLiteStore) -> None:
    paths = [
        corpora / "perceval-mbox/tests/data/mbox/mbox_complex.mbox",
        corpora / "ponymail-foal/test/resources",
        corpora / NOTMUCH / "threading",
    ]
    report = import_paths(paths, store, owner="me", now=NOW)
    assert report.read == report.indexed + report.duplicates + len(report.skipped)
    assert report.indexed >= 2 + 12 + 12


@pytest.mark.slow
def test_import_whole_corpora_accounts_for_every_message(
    corpora: Path, store: SQLiteStore
) -> None:
    paths = [
        corpora / "spamassassin",
        corpora / "enron-inboxes",
        corpora / "mime-flanker",
        corpora / "mime-stalwart",
        corpora / "mime4j",
        corpora / "mime-mailparser-spamscope",
    ]
    report = import_paths(paths, store, owner="me", now=NOW)
    files = sum(1 for path in paths for f in path.rglob("*") if f.is_file())
    assert report.read >= files
    assert report.read == report.indexed + report.duplicates + len(report.skipped)
    assert store.count("me") == report.indexed
    # Only the license files and the few non-mail files are skipped.
    assert len(report.skipped) < 30, report.skipped
