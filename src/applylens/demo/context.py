"""The random source, clock and small helpers that every story uses."""

from __future__ import annotations

import html
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from applylens.demo.catalog import (
    FIRST_NAMES,
    LAST_NAMES,
    OWNER_ADDRESS,
    OWNER_NAME,
    TIMEZONE_LABELS,
)
from applylens.demo.mime import Address

T = TypeVar("T")

OWNER: Address = (OWNER_NAME, OWNER_ADDRESS)
OWNER_FIRST_NAME = OWNER_NAME.split()[0]
_WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
# English month names, fixed here rather than read from the locale so that the
# generated mail is the same on every machine.
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ZONES: dict[str, ZoneInfo] = {}


def zone(name: str) -> ZoneInfo:
    if name not in _ZONES:
        _ZONES[name] = ZoneInfo(name)
    return _ZONES[name]


@dataclass(slots=True)
class StoryContext:
    """The seeded random source and the moment the mailbox is generated at.

    Stories draw every random value from `rng` whatever the dates turn out to
    be, so that the Message-IDs of a seed do not depend on `now`: generating
    again later yields the same messages, shifted in time.
    """

    rng: random.Random
    now: datetime

    def pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def message_id(self, domain: str) -> str:
        bits = self.rng.getrandbits(80)
        return f"<{bits:020x}.demo@{domain}>"

    def token(self, digits: int = 6) -> str:
        return str(self.rng.randrange(10 ** (digits - 1), 10**digits))

    def person(self) -> tuple[str, str]:
        """Return an invented (first name, last name)."""
        return self.pick(FIRST_NAMES), self.pick(LAST_NAMES)

    def random_start(self, days: float = 365.0) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(0, days * 86400))

    def later(
        self, moment: datetime, min_hours: float, max_hours: float, tz: str
    ) -> datetime:
        """Return a time `min_hours`..`max_hours` after `moment`, in zone `tz`."""
        hours = self.rng.uniform(min_hours, max_hours)
        local = (moment + timedelta(hours=hours)).astimezone(zone(tz))
        return _waking_hours(local).replace(microsecond=0)

    def business_slot(
        self, after: datetime, min_days: int, max_days: int, tz: str
    ) -> datetime:
        """Return a weekday time on the hour or half hour, 9:00 to 16:30 local."""
        day = after.astimezone(zone(tz)) + timedelta(
            days=self.rng.randint(min_days, max_days)
        )
        while day.weekday() >= 5:
            day += timedelta(days=1)
        hour = self.rng.randint(9, 16)
        minute = self.pick((0, 0, 30))
        return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _waking_hours(local: datetime) -> datetime:
    """Move a time between 21:00 and 07:00 forward into the next morning,
    spread over 07:00 to 13:59 so that no single hour gets all of the night's
    mail. It never moves backwards, so a reply stays after its parent."""
    if local.hour >= 21:
        return (local + timedelta(days=1)).replace(hour=local.hour - 14)
    if local.hour < 7:
        return local.replace(hour=local.hour + 7)
    return local


def spoken_time(moment: datetime, tz: str, style: int = 0) -> str:
    """Return a meeting time the way people write it, e.g. "Tuesday, March 3
    at 2:00 PM PT"; `style` picks one of three common forms."""
    local = moment.astimezone(zone(tz))
    label = TIMEZONE_LABELS.get(tz, local.tzname() or "UTC")
    weekday, month = _WEEKDAYS[local.weekday()], MONTH_NAMES[local.month - 1]
    hour12 = local.hour % 12 or 12
    suffix = "AM" if local.hour < 12 else "PM"
    if style == 1:
        return (
            f"{weekday[:3]}, {month[:3]} {local.day}, "
            f"{hour12}:{local.minute:02d}{suffix.lower()} {label}"
        )
    if style == 2:
        return f"{weekday} {local.day} {month} at {local:%H:%M} {label}"
    clock = f"{hour12}:{local.minute:02d} {suffix}"
    return f"{weekday}, {month} {local.day} at {clock} {label}"


def spoken_date(moment: datetime, tz: str) -> str:
    local = moment.astimezone(zone(tz))
    return f"{_WEEKDAYS[local.weekday()]}, {MONTH_NAMES[local.month - 1]} {local.day}"


def plain_text(paragraphs: Sequence[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def simple_html(
    paragraphs: Sequence[str], link: tuple[str, str] | None = None, footer: str = ""
) -> str:
    """Return a small HTML body in the table-free style of transactional mail."""
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)
    if link:
        label, url = link
        body += (
            f'<p><a href="{html.escape(url)}" style="background:#1a73e8;'
            f'color:#fff;padding:8px 14px;text-decoration:none">'
            f"{html.escape(label)}</a></p>\n"
        )
    if footer:
        body += f'<p style="color:#777;font-size:12px">{footer}</p>\n'
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        '<body style="font-family:Arial,sans-serif;font-size:14px">\n'
        f"{body}</body></html>\n"
    )
