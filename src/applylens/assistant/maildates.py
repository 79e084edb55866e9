"""Dates and times written in mail text: interview slots and deadlines.

Mail writes dates as "Tuesday, March 3 at 2:00 PM PT", "Tue, Mar 3, 2:00pm PT", "3 March
at 14:00 CET", "2026-03-03 14:00" or "by Friday". A date without a year is the
first such day on or after the day the mail was sent. A time without a zone is
read in UTC. A date without a time gets `default_time`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from applylens.assistant.timephrases import month_index, weekday_index

ZONES = {
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "central": "America/Chicago",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "eastern": "America/New_York",
    "uk time": "Europe/London",
    "bst": "Europe/London",
    "gmt": "Europe/London",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "utc": "UTC",
}

_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?"  # noqa: E501
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_TIME = (
    r"(?:(?:at|@|from|,)\s*)?(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)"
    r"|(?:(?:at|@|from|,)\s*)?(\d{1,2}):(\d{2})(?!\d)"
)
_ZONE = r"(uk time|pacific|eastern|central|cest|cet|bst|gmt|utc|[pmce][sd]?t)\b"
_DATE = re.compile(
    rf"\b(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH})(?:,?\s+(\d{{4}}))?"
    rf"(?:\s*(?:{_TIME}))?(?:\s*(?:-|–|to)\s*(?:{_TIME}))?(?:\s*{_ZONE})?",
    re.IGNORECASE,
)
_ISO = re.compile(
    rf"\b(\d{{4}})-(\d{{2}})-(\d{{2}})(?:[ t](\d{{2}}):(\d{{2}}))?(?:\s*{_ZONE})?",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    rf"\b(?:(tomorrow|today)|(?:this|next|on)\s+({_WEEKDAY}))(?:\s*(?:{_TIME}))?"
    rf"(?:\s*{_ZONE})?",
    re.IGNORECASE,
)


@dataclass(slots=True)
class FoundDate:
    """One date or time read from mail text."""

    start: datetime
    end: datetime | None
    has_time: bool
    text: str
    position: int
    day: date
    """The calendar day as written, in the mail's own time zone."""


def find_dates(
    text: str, sent: datetime, *, default_time: tuple[int, int] = (9, 0)
) -> list[FoundDate]:
    """Return every date written in `text`, in the order they appear."""
    found: list[FoundDate] = []
    for match in _DATE.finditer(text):
        parsed = _from_date_match(match, sent, default_time)
        if parsed is not None:
            found.append(parsed)
    for match in _ISO.finditer(text):
        parsed = _from_iso_match(match, sent, default_time)
        if parsed is not None:
            found.append(parsed)
    for match in _RELATIVE.finditer(text):
        if any(f.position <= match.start() < f.position + len(f.text) for f in found):
            continue
        parsed = _from_relative_match(match, sent, default_time)
        if parsed is not None:
            found.append(parsed)
    return sorted(found, key=lambda item: item.position)


def _zone(label: str | None) -> tzinfo:
    if not label:
        return UTC
    name = ZONES.get(label.lower())
    if name is None:
        return UTC
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return UTC


def _clock(groups: tuple[str | None, ...]) -> tuple[int, int] | None:
    """Read (hour, minute) from the five groups of one _TIME."""
    hour12, minute12, suffix, hour24, minute24 = groups
    if hour12 is not None and suffix is not None:
        hour = int(hour12) % 12
        if suffix.lower().startswith("p"):
            hour += 12
        return hour, int(minute12 or 0)
    if hour24 is not None and minute24 is not None:
        hour, minute = int(hour24), int(minute24)
        if hour < 24 and minute < 60:
            return hour, minute
    return None


def _build(
    year: int, month: int, day: int, clock: tuple[int, int], zone: tzinfo
) -> datetime | None:
    try:
        local = datetime(year, month, day, clock[0], clock[1], tzinfo=zone)
    except ValueError:
        return None
    return local.astimezone(UTC)


def _year_for(month: int, day: int, sent: datetime) -> int:
    """Return the year of the first (month, day) on or after the sent date."""
    sent_day = sent.date()
    try:
        candidate = sent_day.replace(month=month, day=day)
    except ValueError:
        return sent.year
    return sent.year if candidate >= sent_day - timedelta(days=1) else sent.year + 1


def _from_date_match(
    match: re.Match[str], sent: datetime, default_time: tuple[int, int]
) -> FoundDate | None:
    groups = match.groups()
    month_name = groups[0] or groups[3]
    day = int(groups[1] or groups[2])
    month = month_index(month_name.lower())
    year = int(groups[4]) if groups[4] else _year_for(month, day, sent)
    start_clock = _clock(groups[5:10])
    end_clock = _clock(groups[10:15])
    zone = _zone(groups[15])
    start = _build(year, month, day, start_clock or default_time, zone)
    if start is None:
        return None
    end = _build(year, month, day, end_clock, zone) if end_clock else None
    if end is not None and start_clock is None:
        start, end = end, None
    return FoundDate(
        start,
        end,
        start_clock is not None,
        match.group(0),
        match.start(),
        date(year, month, day),
    )


def _from_iso_match(
    match: re.Match[str], sent: datetime, default_time: tuple[int, int]
) -> FoundDate | None:
    year, month, day, hour, minute, zone_label = match.groups()
    clock = (int(hour), int(minute)) if hour and minute else None
    if clock is not None and (clock[0] > 23 or clock[1] > 59):
        clock = None
    start = _build(
        int(year), int(month), int(day), clock or default_time, _zone(zone_label)
    )
    if start is None:
        return None
    written = date(int(year), int(month), int(day))
    return FoundDate(
        start, None, clock is not None, match.group(0), match.start(), written
    )


def _from_relative_match(
    match: re.Match[str], sent: datetime, default_time: tuple[int, int]
) -> FoundDate | None:
    word, weekday = match.group(1), match.group(2)
    base = sent.date()
    if word:
        days = 1 if word.lower() == "tomorrow" else 0
    else:
        days = (weekday_index(weekday.lower()) - base.weekday()) % 7 or 7
    clock = _clock(match.groups()[2:7])
    day = base + timedelta(days=days)
    start = _build(
        day.year,
        day.month,
        day.day,
        clock or default_time,
        _zone(match.groups()[7]),
    )
    if start is None:
        return None
    return FoundDate(start, None, clock is not None, match.group(0), match.start(), day)


_QUOTE_HEADER = re.compile(
    r"^(?:On .{4,200}wrote:|-{2,}\s*Original Message\s*-{2,}|From: .+)$",
    re.IGNORECASE | re.MULTILINE,
)


def unquoted(text: str) -> str:
    """Return a reply's own text: quoted lines ("> ...") and everything from
    an "On ... wrote:" or "Original Message" line on are left out, so that
    dates of earlier messages are not read again."""
    header = _QUOTE_HEADER.search(text)
    if header is not None:
        text = text[: header.start()]
    return "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith(">")
    )
