"""Read raw messages from mbox files, maildirs, folders and single files.

`iter_raw_messages` works out the format of each path by itself and streams
one message at a time, so memory use does not grow with the size of an mbox.
A path or file that cannot be read becomes a `SourceError` in the stream,
never an exception, so that the rest of an import goes on.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Larger messages are reported as skipped instead of being read into memory."""
_NO_BLOCK = getattr(os, "O_NONBLOCK", 0)

# An mbox separator: "From ", an envelope sender (pipermail writes "a at b"
# with spaces), then an asctime date, where Google Takeout puts a zone before
# the year.
_SEPARATOR_RE = re.compile(
    rb"^From .*?(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +"
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +"
    rb"\d{1,2}:\d\d(?::\d\d)?(?: +\S+)? +\d{4}\b"
)
_ESCAPED_FROM_RE = re.compile(rb"^>+From ")
_NATURAL_RE = re.compile(r"(\d+)")

# Files that mail programs keep next to messages inside a maildir.
_METADATA_NAMES = frozenset(
    {"maildirfolder", "subscriptions", "courierimapuiddb", "courierimapkeywords"}
)
_METADATA_PREFIXES = ("dovecot", "courierimap")
_SKIPPED_DIRECTORIES = frozenset({".notmuch", ".mu", ".git", ".hg", ".svn"})


@dataclass(slots=True, frozen=True)
class RawMessage:
    """The bytes of one message and where they came from.

    `origin` is the file path, with ``#N`` appended for the N-th message of an
    mbox. `maildir_flags` are the letters after ``:2,`` in a maildir name.
    """

    raw: bytes
    origin: str
    file_mtime: datetime | None
    maildir_flags: str = ""


@dataclass(slots=True, frozen=True)
class SourceError:
    """A path or message that could not be read, with the reason."""

    origin: str
    reason: str


SourceItem = RawMessage | SourceError


def iter_raw_messages(paths: Iterable[str | Path]) -> Iterator[SourceItem]:
    """Yield every message found under `paths`, in a stable order."""
    for path in paths:
        yield from _iter_path(Path(path))


def _iter_path(path: Path) -> Iterator[SourceItem]:
    if path.is_dir():
        yield from _iter_directory(path)
    elif path.is_file():
        yield from iter_file(path)
    elif path.exists():
        yield SourceError(str(path), "not a regular file or directory")
    else:
        yield SourceError(str(path), "no such file or directory")


def _iter_directory(root: Path) -> Iterator[SourceItem]:
    """Walk a maildir, nested maildirs or a folder of message files.

    Every regular file is one message or one mbox, except hidden files, the
    metadata files of mail programs and the in-progress deliveries of a
    maildir's tmp/ folder, which are reported as skipped.
    """

    def on_error(exc: OSError) -> None:
        errors.append(SourceError(str(exc.filename or root), _describe(exc)))

    errors: list[SourceError] = []
    for directory, subdirectories, filenames in os.walk(root, onerror=on_error):
        yield from errors
        errors.clear()
        subdirectories[:] = sorted(
            (name for name in subdirectories if _is_mail_directory(directory, name)),
            key=_natural_key,
        )
        is_maildir_tmp = _is_maildir_tmp(Path(directory))
        for filename in sorted(filenames, key=_natural_key):
            if _is_metadata(filename):
                continue
            path = Path(directory) / filename
            if is_maildir_tmp:
                yield SourceError(
                    str(path), "in a maildir tmp/ folder (delivery in progress)"
                )
                continue
            yield from iter_file(path)
    yield from errors


def iter_file(path: Path) -> Iterator[SourceItem]:
    """Yield the messages of one file: an mbox or a single message.

    A file whose first line is an mbox separator is split as an mbox; that
    covers one-message files that start with an envelope line as well.
    """
    origin = str(path)
    try:
        # Opened without blocking and checked after opening: a named pipe in
        # a folder would otherwise wait for a writer forever.
        descriptor = os.open(path, os.O_RDONLY | _NO_BLOCK)
        with open(descriptor, "rb") as stream:
            stat = os.fstat(descriptor)
            if not S_ISREG(stat.st_mode):
                yield SourceError(origin, "not a regular file or directory")
                return
            first_line = stream.readline(4096)
            mtime = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
            if _SEPARATOR_RE.match(first_line):
                yield from _split_mbox(stream, first_line, origin, mtime)
                return
            if stat.st_size > MAX_MESSAGE_BYTES:
                yield SourceError(origin, _too_large(stat.st_size))
                return
            raw = first_line + stream.read()
    except OSError as exc:
        yield SourceError(origin, _describe(exc))
        return
    yield RawMessage(raw, origin, mtime, maildir_flags(path.name))


def _split_mbox(
    stream: Iterable[bytes], first_line: bytes, origin: str, mtime: datetime
) -> Iterator[SourceItem]:
    """Split an mbox on separator lines that follow a blank line.

    A body line that starts with "From " but is not a full separator, or that
    does not follow a blank line, stays in the message. Lines escaped as
    ``>From `` (mboxo) or ``>>From `` (mboxrd) lose one ``>``.
    """
    lines: list[bytes] = [first_line]
    size = len(first_line)
    index = 1
    previous_blank = False
    for line in stream:
        if previous_blank and line.startswith(b"From ") and _SEPARATOR_RE.match(line):
            yield _mbox_message(lines, size, f"{origin}#{index}", mtime)
            index += 1
            lines, size = [line], len(line)
            previous_blank = False
            continue
        previous_blank = line in (b"\n", b"\r\n")
        if line.startswith(b">") and _ESCAPED_FROM_RE.match(line):
            line = line[1:]
        size += len(line)
        if size <= MAX_MESSAGE_BYTES:
            lines.append(line)
    yield _mbox_message(lines, size, f"{origin}#{index}", mtime)


def _mbox_message(
    lines: list[bytes], size: int, origin: str, mtime: datetime
) -> SourceItem:
    if size > MAX_MESSAGE_BYTES:
        return SourceError(origin, _too_large(size))
    # The blank line before a separator belongs to the mbox format, not to
    # the message.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines.pop()
    return RawMessage(b"".join(lines), origin, mtime)


def maildir_flags(filename: str) -> str:
    """Return the flags of a maildir file name (``1234.host:2,RS`` -> ``RS``)."""
    _, separator, flags = filename.rpartition(":2,")
    return flags if separator else ""


def _is_mail_directory(parent: str, name: str) -> bool:
    if name in _SKIPPED_DIRECTORIES:
        return False
    if not name.startswith("."):
        return True
    # Maildir++ keeps subfolders as hidden directories with their own cur/new.
    path = Path(parent) / name
    return (path / "cur").is_dir() or (path / "new").is_dir()


def _is_maildir_tmp(directory: Path) -> bool:
    if directory.name != "tmp":
        return False
    parent = directory.parent
    return (parent / "cur").is_dir() or (parent / "new").is_dir()


def _is_metadata(filename: str) -> bool:
    return (
        filename.startswith(".")
        or filename in _METADATA_NAMES
        or filename.startswith(_METADATA_PREFIXES)
    )


def _natural_key(name: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in _NATURAL_RE.split(name)]


def _describe(exc: OSError) -> str:
    return f"unreadable: {exc.strerror or exc}"


def _too_large(size: int) -> str:
    return f"larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MiB ({size} bytes)"
