"""Read raw messages from mbox files, maildirs, folders and single files.

`iter_raw_messages` works out the format of each path by itself and streams
one message at a time, so memory use does not grow with the size of an mbox.
A path or file that cannot be read becomes a `SourceError` in the stream,
never an exception, so that the rest of an import goes on.

Symbolic links to files and folders are followed. Each folder and each file
is read once per call, however many links lead to it, so a link to an
ancestor folder cannot make the walk loop.
"""

from __future__ import annotations

import errno
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from os import stat_result
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
    """Yield every message found under `paths`, in a stable order.

    A folder or file reached a second time, through a symbolic link, a hard
    link or a repeated path, is reported as skipped instead of being read
    again.
    """
    seen = _SeenPaths()
    for path in paths:
        yield from _iter_path(Path(path), seen)


class _SeenPaths:
    """The folders and files one walk has read, by device and inode number.

    Each file is kept as one int: about 70 MB for a million files (measured
    with tracemalloc on CPython 3.11). Folders keep their first path, which
    the reason of a repeated folder names.
    """

    def __init__(self) -> None:
        self.folders: dict[tuple[int, int], str] = {}
        self.files: set[int] = set()

    def claim_folder(self, path: Path) -> str | None:
        """Mark the folder at `path` as read, returning its first path if it was."""
        stat = path.stat()
        identity = (stat.st_dev, stat.st_ino)
        first = self.folders.get(identity)
        if first is None:
            self.folders[identity] = str(path)
        return first

    def claim_file(self, stat: stat_result) -> bool:
        """Mark an open file as read, returning False if it already was."""
        if not stat.st_ino:
            # A file system without inode numbers reports 0 for every file, so
            # its files cannot be distinguished and each one counts as new.
            return True
        identity = stat.st_dev << 64 | stat.st_ino
        if identity in self.files:
            return False
        self.files.add(identity)
        return True


def _iter_path(path: Path, seen: _SeenPaths) -> Iterator[SourceItem]:
    if path.is_dir():
        yield from _iter_directory(path, seen)
    elif path.is_file():
        yield from _iter_file(path, seen)
    elif path.is_symlink():
        # Opening it reports why: a dangling link, a loop of links, or a
        # link to something other than a regular file.
        yield from _iter_file(path, seen)
    elif path.exists():
        yield SourceError(str(path), "not a regular file or directory")
    else:
        yield SourceError(str(path), "no such file or directory")


def _iter_directory(root: Path, seen: _SeenPaths) -> Iterator[SourceItem]:
    """Walk a maildir, nested maildirs or a folder of message files.

    Every regular file is one message or one mbox, except hidden files, the
    metadata files of mail programs and the in-progress deliveries of a
    maildir's tmp/ folder, which are reported as skipped. Symbolic links are
    followed into folders not read yet.
    """

    def on_error(exc: OSError) -> None:
        errors.append(SourceError(str(exc.filename or root), _describe(exc)))

    errors: list[SourceError] = []
    try:
        first = seen.claim_folder(root)
    except OSError as exc:
        yield SourceError(str(root), _describe(exc))
        return
    if first is not None:
        yield SourceError(str(root), _repeated_folder(first))
        return
    walk = os.walk(root, onerror=on_error, followlinks=True)
    for directory, subdirectories, filenames in walk:
        yield from errors
        errors.clear()
        unread, repeated = _unread_subdirectories(directory, subdirectories, seen)
        subdirectories[:] = unread
        yield from repeated
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
            yield from _iter_file(path, seen)
    yield from errors


def _unread_subdirectories(
    directory: str, names: list[str], seen: _SeenPaths
) -> tuple[list[str], list[SourceError]]:
    """Split the mail folders among `names` into those not read yet and errors.

    A folder reached again, such as through a symbolic link to an ancestor,
    becomes an error, and so does a folder that cannot be examined.
    """
    candidates = sorted(
        (name for name in names if _is_mail_directory(directory, name)),
        key=_natural_key,
    )
    paths = {name: Path(directory) / name for name in candidates}
    repeated: dict[str, SourceError] = {}
    # Real folders are claimed before the links next to them, so that a
    # folder and a link to it in the same parent are read under the real name.
    for name in sorted(candidates, key=lambda name: paths[name].is_symlink()):
        path = paths[name]
        try:
            first = seen.claim_folder(path)
        except OSError as exc:
            repeated[name] = SourceError(str(path), _describe(exc))
            continue
        if first is not None:
            repeated[name] = SourceError(str(path), _repeated_folder(first))
    unread = [name for name in candidates if name not in repeated]
    return unread, [repeated[name] for name in candidates if name in repeated]


def iter_file(path: Path) -> Iterator[SourceItem]:
    """Yield the messages of one file: an mbox or a single message.

    A file whose first line is an mbox separator is split as an mbox; that
    covers one-message files that start with an envelope line as well.
    """
    return _iter_file(path, None)


def _iter_file(path: Path, seen: _SeenPaths | None) -> Iterator[SourceItem]:
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
            if seen is not None and not seen.claim_file(stat):
                yield SourceError(origin, "already read under another path")
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
        if exc.errno == errno.ENOENT and path.is_symlink():
            yield SourceError(origin, _dangling_link(path))
        else:
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


def _dangling_link(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        return "dangling symbolic link"
    return f"dangling symbolic link: its target {target} does not exist"


def _repeated_folder(first: str) -> str:
    return f"already read as {first}"


def _too_large(size: int) -> str:
    return f"larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MiB ({size} bytes)"
