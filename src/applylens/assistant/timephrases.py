"""Time phrases in questions: windows ("this week", "in the last 2 weeks"),
deadlines ("before Friday"), ages ("older than a month") and quiet periods
("haven't replied to in 5 days").

Every function takes text that is already lowercased with straight quotes.
A month counts as 30 days and a year as 365.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "couple of": 2,
    "couple": 2,
    "few": 3,
    "several": 3,
}
UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "fortnight": 14, "month": 30}
UNIT_DAYS["year"] = 365

_NUMBER = r"(\d{1,5}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|couple of|couple|few|several)"  # noqa: E501
_UNIT = r"(hour|day|week|fortnight|month|year)s?"
_WEEKDAY = (
    r"(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?"  # noqa: E501
)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"

_LAST_N = re.compile(
    rf"\b(?:last|past|previous|recent)\s+(?:{_NUMBER}\s+)?{_UNIT}\b(?!\s+old)"
)
_N_AGO_SINCE = re.compile(rf"\bsince\s+{_NUMBER}\s+{_UNIT}\s+ago\b")
_FIXED = {
    "today": 1,
    "tonight": 1,
    "this morning": 1,
    "yesterday": 2,
}
_THIS = re.compile(r"\bthis\s+(week|month|year)\b")
_ISO_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_DATE_RANGE = re.compile(
    rf"\b(?:from|between)\s+{_ISO_DATE}\s+(?:to|and|until|till|through)\s+{_ISO_DATE}\b"
)
_IN_YEAR = re.compile(r"\b(?:in|during|from)\s+((?:19|20)\d{2})\b(?!-)")
_ROLLING_WEEK = re.compile(r"\b(?:my|the)\s+week\b")
_SINCE_WEEKDAY = re.compile(rf"\bsince\s+(?:last\s+)?{_WEEKDAY}\b")
_SINCE_DATE = re.compile(
    rf"\bsince\s+(?:{_MONTH}\s+{_DAY}|{_DAY}\s+(?:of\s+)?{_MONTH}|(\d{{4}})-(\d{{2}})-(\d{{2}}))"
)
_SINCE_MONTH = re.compile(rf"\bsince\s+{_MONTH}\b")
_DEADLINE_WEEKDAY = re.compile(
    rf"\b(?:before|by|until|till|due)\s+(?:next\s+|this\s+)?{_WEEKDAY}\b"
)
_DEADLINE_WORD = re.compile(
    r"\b(?:before|by|until|till|due|for)\s+(?:the\s+)?(tomorrow|tonight|"
    r"end of (?:the\s+)?(?:day|week|month)|next week|the weekend|weekend)\b"
)
_DEADLINE_DATE = re.compile(
    rf"\b(?:before|by|until|till|due)\s+(?:{_MONTH}\s+{_DAY}|{_DAY}\s+(?:of\s+)?{_MONTH}|(\d{{4}})-(\d{{2}})-(\d{{2}}))"
)
_NEXT_SPAN = re.compile(rf"\b(?:next|coming)\s+(?:{_NUMBER}\s+)?{_UNIT}\b")
_MIN_AGE = re.compile(
    rf"\b(?:older\s+than|more\s+than|over|at\s+least)\s+(?:the\s+)?{_NUMBER}?\s*{_UNIT}"
    rf"(?:\s+old)?\b|\b{_NUMBER}\+?\s+{_UNIT}\s+old\b"
)
_QUIET = re.compile(
    rf"\b(?:in|for|within|after|over|in\s+over|for\s+over|more\s+than|longer\s+than|"
    rf"older\s+than|at\s+least)\s+{_NUMBER}\+?\s*{_UNIT}\b(?!\s+ago)"
    rf"|\b{_NUMBER}\+?\s+{_UNIT}\s+(?:or\s+more|and\s+counting|without)"
)


@dataclass(slots=True)
class PhraseWindow:
    """A window named in the question."""

    days: int
    matched: str
    after: datetime | None = None
    before: datetime | None = None
    absolute: bool = False
    """True for a window between two calendar dates, which may lie far back."""


def parse_number(word: str | None) -> int:
    if not word:
        return 1
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS[word]


def span_days(number: str | None, unit: str) -> int:
    return max(1, math.ceil(parse_number(number) * UNIT_DAYS[unit]))


def weekday_index(prefix: str) -> int:
    return next(i for i, name in enumerate(WEEKDAYS) if name.startswith(prefix[:3]))


def month_index(prefix: str) -> int:
    return next(i for i, name in enumerate(MONTHS) if name.startswith(prefix[:3])) + 1


def start_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def days_since(moment: datetime, now: datetime) -> int:
    """Count the calendar days from `moment`'s day to today, both included."""
    return (start_of_day(now) - start_of_day(moment)).days + 1


def parse_window(text: str, now: datetime) -> PhraseWindow | None:
    """Return the window a question names, or None when it names none."""
    for parser in (_parse_range, _parse_relative, _parse_calendar, _parse_since):
        window = parser(text, now)
        if window is not None:
            return window
    return None


def _parse_range(text: str, now: datetime) -> PhraseWindow | None:
    """Read "from 2024-01-01 to 2024-03-31" (both days included) or "in 2023"."""
    match = _DATE_RANGE.search(text)
    if match is not None:
        first = _calendar_day(match.groups()[0:3], now)
        last = _calendar_day(match.groups()[3:6], now)
        if first is None or last is None or last < first:
            return None
        before = last + timedelta(days=1)
    else:
        match = _IN_YEAR.search(text)
        if match is None:
            return None
        year = int(match.group(1))
        first = start_of_day(now).replace(year=year, month=1, day=1)
        before = first.replace(year=year + 1)
    if first > now:
        return None
    days = days_since(first, now)
    return PhraseWindow(days, match.group(0), first, before, absolute=True)


def _calendar_day(parts: tuple[str, ...], now: datetime) -> datetime | None:
    """Return the start of day YYYY, MM, DD in `now`'s zone, or None."""
    try:
        return datetime(int(parts[0]), int(parts[1]), int(parts[2]), tzinfo=now.tzinfo)
    except ValueError:
        return None


def _parse_relative(text: str, now: datetime) -> PhraseWindow | None:
    match = _N_AGO_SINCE.search(text) or _LAST_N.search(text)
    if match is None:
        rolling = _ROLLING_WEEK.search(text)
        return PhraseWindow(7, rolling.group(0)) if rolling else None
    return PhraseWindow(span_days(match.group(1), match.group(2)), match.group(0))


def _parse_calendar(text: str, now: datetime) -> PhraseWindow | None:
    today = start_of_day(now)
    for phrase, days in _FIXED.items():
        if re.search(rf"\b{phrase}\b", text):
            if phrase == "yesterday":
                after = today - timedelta(days=1)
                return PhraseWindow(days, phrase, after=after, before=today)
            return PhraseWindow(days, phrase, after=today)
    match = _THIS.search(text)
    if match is None:
        return None
    unit = match.group(1)
    if unit == "week":
        after = today - timedelta(days=today.weekday())
    elif unit == "month":
        after = today.replace(day=1)
    else:
        after = today.replace(month=1, day=1)
    return PhraseWindow(days_since(after, now), match.group(0), after=after)


def _parse_since(text: str, now: datetime) -> PhraseWindow | None:
    today = start_of_day(now)
    match = _SINCE_WEEKDAY.search(text)
    if match is not None:
        back = (today.weekday() - weekday_index(match.group(1))) % 7
        if "last" in match.group(0) and back == 0:
            back = 7
        after = today - timedelta(days=back)
        return PhraseWindow(days_since(after, now), match.group(0), after=after)
    match = _SINCE_DATE.search(text)
    if match is not None:
        since = _date_from_groups(match.groups(), now, prefer="past")
        if since is not None and since <= now:
            return PhraseWindow(days_since(since, now), match.group(0), after=since)
    match = _SINCE_MONTH.search(text)
    if match is not None:
        month = month_index(match.group(1))
        year = now.year if month <= now.month else now.year - 1
        after = today.replace(year=year, month=month, day=1)
        return PhraseWindow(days_since(after, now), match.group(0), after=after)
    return None


def parse_deadline(text: str, now: datetime) -> tuple[datetime, str] | None:
    """Return the end of the day a "before Friday"-style phrase names, with the
    phrase, or None. A weekday means its next occurrence after today."""
    today = start_of_day(now)
    match = _DEADLINE_WEEKDAY.search(text)
    if match is not None:
        ahead = (weekday_index(match.group(1)) - today.weekday()) % 7 or 7
        if "next" in match.group(0) and ahead < 7:
            ahead += 7
        return _end_of(today + timedelta(days=ahead)), match.group(0)
    match = _NEXT_SPAN.search(text)
    if match is not None:
        days = span_days(match.group(1), match.group(2))
        return _end_of(today + timedelta(days=days)), match.group(0)
    match = _DEADLINE_WORD.search(text)
    if match is not None:
        return _deadline_word(match.group(1), today), match.group(0)
    match = _DEADLINE_DATE.search(text)
    if match is not None:
        day = _date_from_groups(match.groups(), now, prefer="future")
        if day is not None:
            return _end_of(day), match.group(0)
    return None


def _deadline_word(word: str, today: datetime) -> datetime:
    if word in ("tomorrow",):
        return _end_of(today + timedelta(days=1))
    if word == "tonight" or word.endswith("day"):
        return _end_of(today)
    if word.endswith("month"):
        next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return next_month - timedelta(microseconds=1)
    if word == "next week":
        return _end_of(today + timedelta(days=13 - today.weekday()))
    # "end of week" and "the weekend" both mean the coming Sunday night.
    return _end_of(today + timedelta(days=6 - today.weekday()))


def _end_of(day: datetime) -> datetime:
    return start_of_day(day) + timedelta(days=1) - timedelta(microseconds=1)


def _date_from_groups(
    groups: tuple[str | None, ...], now: datetime, *, prefer: str
) -> datetime | None:
    """Build a date from (month, day | day, month | y, m, d) regex groups."""
    month_a, day_a, day_b, month_b, year, month_num, day_num = groups
    try:
        if year:
            return now.replace(
                year=int(year),
                month=int(month_num or 1),
                day=int(day_num or 1),
                hour=0,
                minute=0,
                second=0,
                microsecond=0,
            )
        month = month_index(month_a or month_b or "")
        day = int(day_a or day_b or 1)
        candidate = start_of_day(now).replace(month=month, day=day)
    except (ValueError, StopIteration):
        return None
    if prefer == "past" and candidate > now:
        candidate = candidate.replace(year=now.year - 1)
    if prefer == "future" and candidate < start_of_day(now):
        candidate = candidate.replace(year=now.year + 1)
    return candidate


def parse_min_age(text: str) -> tuple[int, str] | None:
    """Return the minimum age in days of "older than a month"-style phrases."""
    match = _MIN_AGE.search(text)
    if match is None:
        return None
    if match.group(2):
        return span_days(match.group(1), match.group(2)), match.group(0)
    return span_days(match.group(3), match.group(4)), match.group(0)


def parse_quiet_days(text: str) -> tuple[int, str] | None:
    """Return N of "haven't replied to in N days"-style phrases."""
    match = _QUIET.search(text)
    if match is None:
        return None
    if match.group(2):
        return span_days(match.group(1), match.group(2)), match.group(0)
    return span_days(match.group(3), match.group(4)), match.group(0)
