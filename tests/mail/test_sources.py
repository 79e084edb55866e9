"""Finding and splitting messages in mbox files, maildirs and folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from applylens.mail.sources import (
    RawMessage,
    SourceError,
    iter_file,
    iter_raw_messages,
    maildir_flags,
)

PERCEVAL = "perceval-mbox/tests/data"
NOTMUCH = "notmuch-corpora/test/corpora"


def messages(items: list[RawMessage | SourceError]) -> list[RawMessage]:
    return [item for item in items if isinstance(item, RawMessage)]


def errors(items: list[RawMessage | SourceError]) -> list[SourceError]:
    return [item for item in items if isinstance(item, SourceError)]


# mbox


def test_mbox_body_from_line_does_not_split(corpora: Path) -> None:
    # The second message has a body line ">>>From the 2.3M ..." and the file
    # has two real separators.
    items = list(iter_file(corpora / f"{PERCEVAL}/mbox/mbox_complex.mbox"))
    assert len(messages(items)) == 2
    assert errors(items) == []


def test_mbox_mboxrd_escape_loses_one_bracket(corpora: Path) -> None:
    second = messages(list(iter_file(corpora / f"{PERCEVAL}/mbox/mbox_complex.mbox")))[
        1
    ]
    assert b"\n>>From the 2.3M + 17M MO files" in second.raw
    assert b"\n>>>From the 2.3M" not in second.raw


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        pytest.param(f"{PERCEVAL}/mbox/mbox_single.mbox", 1, id="single"),
        pytest.param(f"{PERCEVAL}/mbox/mbox_no_fields.mbox", 6, id="no-fields"),
        pytest.param(f"{PERCEVAL}/mbox/mbox_multipart.mbox", 2, id="multipart"),
        pytest.param(f"{PERCEVAL}/mbox/mbox_unixfrom_encoding.mbox", 1, id="unixfrom"),
        pytest.param(
            f"{PERCEVAL}/pipermail/pipermail_2015_november.mbox", 4, id="pipermail"
        ),
        pytest.param("mime4j/mbox/src/test/resources/test-1/mbox.rlug", 5, id="mime4j"),
    ],
)
def test_mbox_corpus_message_count(corpora: Path, relative: str, expected: int) -> None:
    assert len(messages(list(iter_file(corpora / relative)))) == expected


def test_mbox_constructed_edge_cases(tmp_path: Path) -> None:
    mbox = tmp_path / "edge.mbox"
    mbox.write_bytes(
        b"From alice@example.com Mon Jan  1 10:00:00 2024\n"
        b"From: alice@example.com\nSubject: one\n\n"
        b"From the start of this line it looks like a separator\n"
        b"\n"
        b"From here on, no date, so no separator\n"
        b">From escaped once\n"
        b">>From escaped twice\n"
        b"\n"
        b"From 1698765432109876543@xxx Thu Oct 13 21:04:21 +0000 2022\n"
        b"From: bob@example.com\nSubject: two\n\nbody\n"
        b"From bob@example.com Tue Jan  2 10:00:00 2024\n"
        b"\n"
        b"From carol@example.com Wed Jan  3 10:00:00 2024\n"
        b"From: carol@example.com\nSubject: three\n\nlast\n"
    )
    found = messages(list(iter_file(mbox)))
    assert [item.origin for item in found] == [f"{mbox}#1", f"{mbox}#2", f"{mbox}#3"]
    first, second, third = (item.raw for item in found)
    assert b"\nFrom the start of this line" in first
    assert b"\nFrom here on, no date" in first
    assert b"\nFrom escaped once\n" in first
    assert b"\n>From escaped twice\n" in first
    assert first.endswith(b">From escaped twice\n")
    # A separator-like line right after a body line (no blank line) stays.
    assert b"\nFrom bob@example.com Tue Jan  2" in second
    assert third.endswith(b"last\n")


def test_mbox_crlf_line_endings_split(tmp_path: Path) -> None:
    mbox = tmp_path / "crlf.mbox"
    mbox.write_bytes(
        b"From a@example.com Mon Jan  1 10:00:00 2024\r\n"
        b"From: a@example.com\r\n\r\nx\r\n\r\n"
        b"From b@example.com Mon Jan  1 11:00:00 2024\r\n"
        b"From: b@example.com\r\n\r\ny\r\n"
    )
    found = messages(list(iter_file(mbox)))
    assert len(found) == 2
    assert found[0].raw.endswith(b"x\r\n")


def test_single_message_with_envelope_is_one_message(corpora: Path) -> None:
    path = next((corpora / "spamassassin/easy-ham-1").iterdir())
    found = messages(list(iter_file(path)))
    assert len(found) == 1
    assert found[0].raw.startswith(b"From ")


def test_spamassassin_folder_one_message_per_file(corpora: Path) -> None:
    folder = corpora / "spamassassin/hard-ham-1"
    items = list(iter_raw_messages([folder]))
    assert len(messages(items)) == len(list(folder.iterdir()))
    assert errors(items) == []


# maildir


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        pytest.param("1234.M1P2.host:2,RS", "RS", id="flags"),
        pytest.param("30:2,", "", id="empty"),
        pytest.param("msg-3-3:2,", "", id="notmuch"),
        pytest.param("1532672447.R69.len:2,S", "S", id="seen"),
        pytest.param("plain", "", id="none"),
    ],
)
def test_maildir_flags_from_name(name: str, flags: str) -> None:
    assert maildir_flags(name) == flags


def test_maildir_nested_folders_all_found(corpora: Path) -> None:
    root = corpora / f"{NOTMUCH}/default"
    expected = sum(1 for path in root.rglob("*") if path.is_file())
    items = list(iter_raw_messages([root]))
    assert len(messages(items)) == expected == 53


def test_maildir_flags_carried_on_messages(corpora: Path) -> None:
    found = messages(
        list(iter_raw_messages([corpora / f"{NOTMUCH}/threading/ghost-root"]))
    )
    flagged = [item for item in found if item.maildir_flags == "S"]
    assert len(flagged) == 3


def test_maildir_tmp_reported_and_metadata_ignored(tmp_path: Path) -> None:
    maildir = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    message = b"From: a@example.com\nSubject: x\n\nbody\n"
    (maildir / "cur" / "1.host:2,S").write_bytes(message)
    (maildir / "new" / "2.host").write_bytes(message)
    (maildir / "tmp" / "3.host").write_bytes(message)
    (maildir / "dovecot-uidlist").write_bytes(b"3 V1 N4\n")
    (maildir / ".mbsyncstate").write_bytes(b"state\n")
    (maildir / ".notmuch").mkdir()
    (maildir / ".notmuch" / "xapian").write_bytes(b"binary")
    items = list(iter_raw_messages([maildir]))
    assert sorted(Path(item.origin).name for item in messages(items)) == [
        "1.host:2,S",
        "2.host",
    ]
    assert [Path(item.origin).name for item in errors(items)] == ["3.host"]


def test_maildir_plus_hidden_subfolder_read(tmp_path: Path) -> None:
    maildir = tmp_path / "Mail"
    (maildir / "cur").mkdir(parents=True)
    (maildir / ".Sent" / "cur").mkdir(parents=True)
    (maildir / ".Sent" / "cur" / "1:2,S").write_bytes(b"From: a@example.com\n\nx\n")
    found = messages(list(iter_raw_messages([maildir])))
    assert [item.maildir_flags for item in found] == ["S"]


# errors


def test_missing_path_reported(tmp_path: Path) -> None:
    items = list(iter_raw_messages([tmp_path / "absent"]))
    assert items == [SourceError(str(tmp_path / "absent"), "no such file or directory")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission")
def test_unreadable_file_reported(tmp_path: Path) -> None:
    path = tmp_path / "locked.eml"
    path.write_bytes(b"From: a@example.com\n\nx\n")
    path.chmod(0)
    items = list(iter_raw_messages([tmp_path]))
    assert len(errors(items)) == 1
    assert errors(items)[0].reason.startswith("unreadable")


def test_unreadable_directory_entry_reported(tmp_path: Path) -> None:
    # A dangling symlink cannot be opened even by root.
    (tmp_path / "ok.eml").write_bytes(b"From: a@example.com\n\nx\n")
    (tmp_path / "dangling.eml").symlink_to(tmp_path / "gone.eml")
    items = list(iter_raw_messages([tmp_path]))
    assert len(messages(items)) == 1
    assert [Path(item.origin).name for item in errors(items)] == ["dangling.eml"]


@pytest.mark.timeout(30)
def test_named_pipe_in_folder_reported(tmp_path: Path) -> None:
    # Opening a named pipe for reading waits for a writer unless it is
    # opened without blocking; this test would hang on the old code.
    (tmp_path / "ok.eml").write_bytes(b"From: a@example.com\n\nx\n")
    os.mkfifo(tmp_path / "pipe.eml")
    items = list(iter_raw_messages([tmp_path]))
    assert len(messages(items)) == 1
    assert errors(items) == [
        SourceError(str(tmp_path / "pipe.eml"), "not a regular file or directory")
    ]


def test_mbox_streams_without_reading_whole_file(tmp_path: Path) -> None:
    mbox = tmp_path / "big.mbox"
    with mbox.open("wb") as stream:
        for index in range(2000):
            stream.write(
                f"From a@example.com Mon Jan  1 10:00:00 2024\n"
                f"From: a@example.com\nMessage-ID: <{index}@x>\n\n"
                f"body {index}\n\n".encode()
            )
    iterator = iter_file(mbox)
    first = next(iterator)
    assert isinstance(first, RawMessage)
    assert b"<0@x>" in first.raw
    assert sum(1 for _ in iterator) == 1999


# symbolic links


def test_symlinked_folder_followed(corpora: Path, tmp_path: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    (links / "ext").symlink_to(corpora / "perceval-mbox")
    items = list(iter_raw_messages([links]))
    direct = messages(list(iter_raw_messages([corpora / "perceval-mbox"])))
    assert len(messages(items)) == len(direct) == 22
    assert errors(items) == []
    assert messages(items)[0].origin.startswith(str(links / "ext") + os.sep)


def test_symlinked_file_followed(corpora: Path, tmp_path: Path) -> None:
    target = corpora / f"{PERCEVAL}/mbox/mbox_single.mbox"
    (tmp_path / "single.mbox").symlink_to(target)
    items = list(iter_raw_messages([tmp_path]))
    assert [item.origin for item in messages(items)] == [
        f"{tmp_path / 'single.mbox'}#1"
    ]
    assert errors(items) == []


@pytest.mark.timeout(30)
def test_symlink_to_ancestor_read_once(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    (folder / "inner").mkdir(parents=True)
    (folder / "inner" / "1.eml").write_bytes(b"From: a@example.com\n\nx\n")
    (folder / "inner" / "up").symlink_to(folder)
    (folder / "self").symlink_to(".")
    items = list(iter_raw_messages([folder]))
    assert [item.origin for item in messages(items)] == [
        str(folder / "inner" / "1.eml")
    ]
    assert errors(items) == [
        SourceError(str(folder / "self"), f"already read as {folder}"),
        SourceError(str(folder / "inner" / "up"), f"already read as {folder}"),
    ]


def test_linked_folder_read_under_real_name(tmp_path: Path) -> None:
    (tmp_path / "b-real").mkdir()
    (tmp_path / "b-real" / "1.eml").write_bytes(b"From: a@example.com\n\nx\n")
    (tmp_path / "a-link").symlink_to(tmp_path / "b-real")
    items = list(iter_raw_messages([tmp_path]))
    assert [item.origin for item in messages(items)] == [
        str(tmp_path / "b-real" / "1.eml")
    ]
    assert errors(items) == [
        SourceError(str(tmp_path / "a-link"), f"already read as {tmp_path / 'b-real'}")
    ]


def test_symlink_to_file_in_same_folder_read_once(tmp_path: Path) -> None:
    (tmp_path / "b.eml").write_bytes(b"From: a@example.com\n\nx\n")
    (tmp_path / "a.eml").symlink_to(tmp_path / "b.eml")
    items = list(iter_raw_messages([tmp_path]))
    assert [item.origin for item in messages(items)] == [str(tmp_path / "a.eml")]
    assert errors(items) == [
        SourceError(str(tmp_path / "b.eml"), "already read under another path")
    ]


def test_same_folder_given_twice_read_once(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "1.eml").write_bytes(b"From: a@example.com\n\nx\n")
    items = list(iter_raw_messages([tmp_path, tmp_path / "sub"]))
    assert len(messages(items)) == 1
    assert errors(items) == [
        SourceError(str(tmp_path / "sub"), f"already read as {tmp_path / 'sub'}")
    ]


def test_dangling_symlink_reason_names_target(tmp_path: Path) -> None:
    (tmp_path / "gone").symlink_to(tmp_path / "missing")
    items = list(iter_raw_messages([tmp_path]))
    assert items == [
        SourceError(
            str(tmp_path / "gone"),
            f"dangling symbolic link: its target {tmp_path / 'missing'} does not exist",
        )
    ]


def test_dangling_symlink_given_as_path_reported(tmp_path: Path) -> None:
    (tmp_path / "gone.eml").symlink_to(tmp_path / "missing.eml")
    items = list(iter_raw_messages([tmp_path / "gone.eml"]))
    assert len(items) == 1
    assert isinstance(items[0], SourceError)
    assert items[0].reason.startswith("dangling symbolic link")


@pytest.mark.timeout(30)
def test_symlink_to_named_pipe_reported(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link.eml").symlink_to(tmp_path / "pipe")
    items = list(iter_raw_messages([tmp_path]))
    assert items == [
        SourceError(str(tmp_path / "link.eml"), "not a regular file or directory"),
        SourceError(str(tmp_path / "pipe"), "not a regular file or directory"),
    ]
