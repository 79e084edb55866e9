"""Write generated messages to disk as a maildir or an mbox file."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

MailboxFormat = Literal["maildir", "mbox"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


class MailboxWriter(Protocol):
    path: Path

    def write(
        self, raw: bytes, date: datetime, sender: str, flags: str, is_new: bool
    ) -> None: ...

    def close(self) -> None: ...


class MaildirWriter:
    """Write each message as one file of a maildir (cur, new, tmp).

    Unread recent mail goes to new/ without an info suffix, as a delivery
    agent leaves it; everything else goes to cur/ with ``:2,`` and its flags
    in alphabetical order, which is what the maildir specification asks.
    """

    def __init__(self, path: Path, tag: str) -> None:
        self.path = path
        self._tag = tag
        self._sequence = 0
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)

    def write(
        self, raw: bytes, date: datetime, sender: str, flags: str, is_new: bool
    ) -> None:
        self._sequence += 1
        stamp = int(date.timestamp())
        base = f"{stamp}.M{self._sequence:06d}P{self._tag}.applylens-demo"
        if is_new:
            target = self.path / "new" / base
        else:
            target = self.path / "cur" / f"{base}:2,{''.join(sorted(flags))}"
        target.write_bytes(raw)
        # The file time is the delivery time, which importers fall back to
        # when a message has no usable Date header.
        os.utime(target, (stamp, stamp))

    def close(self) -> None:
        return None


class MboxWriter:
    """Append messages to one mbox file in the mboxrd convention: a body line
    that starts with any number of ">" and then "From " gets one more ">"."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("wb")

    def write(
        self, raw: bytes, date: datetime, sender: str, flags: str, is_new: bool
    ) -> None:
        self._file.write(_separator(sender, date))
        for line in raw.splitlines(keepends=True):
            if line.lstrip(b">").startswith(b"From "):
                line = b">" + line
            self._file.write(line)
        if not raw.endswith(b"\n"):
            self._file.write(b"\n")
        self._file.write(b"\n")

    def close(self) -> None:
        self._file.close()


def _separator(sender: str, date: datetime) -> bytes:
    # The asctime form is built by hand because strftime follows the locale.
    moment = date.astimezone(UTC)
    stamp = (
        f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} "
        f"{moment.day:2d} {moment:%H:%M:%S} {moment.year}"
    )
    return f"From {sender} {stamp}\n".encode("ascii", "replace")


def open_writer(root: Path, mailbox_format: MailboxFormat, tag: str) -> MailboxWriter:
    if mailbox_format == "maildir":
        return MaildirWriter(root / "maildir", tag)
    return MboxWriter(root / "inbox.mbox")
