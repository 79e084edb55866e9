"""Runtime flags that an operator flips without a restart.

The settings give each flag its start value; an override written to the state
database (by `applylens flags set` or the admin endpoint) wins over it. Every
process re-reads the overrides at most once per `ttl_seconds`, so all API
workers see a change within about that time.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from applylens.config import Settings
from applylens.errors import ConfigError
from applylens.state import connect_state

logger = logging.getLogger(__name__)

CHAT_STREAMING = "chat_streaming"
_READ_BUSY_TIMEOUT_MS = 250
KNOWN_FLAGS = (CHAT_STREAMING,)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS flags (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class FlagState:
    """A flag's effective value and where it came from."""

    name: str
    enabled: bool
    source: str
    """"settings" when no override exists, else "override"."""
    updated_at: str | None = None
    updated_by: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "enabled": self.enabled,
            "source": self.source,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
        }


def parse_switch(value: str) -> bool:
    """Read "on"/"off" (and the usual synonyms) as a boolean."""
    normalised = value.strip().lower()
    if normalised in {"on", "true", "1", "yes", "enabled"}:
        return True
    if normalised in {"off", "false", "0", "no", "disabled"}:
        return False
    raise ConfigError(f"invalid flag value {value!r}: expected 'on' or 'off'")


def _check_name(name: str) -> None:
    if name not in KNOWN_FLAGS:
        raise ConfigError(
            f"unknown flag {name!r}: expected one of {', '.join(KNOWN_FLAGS)}"
        )


def _ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute(_SCHEMA)


def write_flag(state_path: Path, name: str, enabled: bool, updated_by: str) -> None:
    """Store an override of flag `name` that every process picks up."""
    _check_name(name)
    conn = connect_state(state_path)
    try:
        _ensure_schema(conn)
        with conn:
            conn.execute(
                "INSERT INTO flags (name, value, updated_at, updated_by)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (
                    name,
                    "on" if enabled else "off",
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    updated_by,
                ),
            )
    finally:
        conn.close()
    logger.info("flag %s set to %s by %s", name, "on" if enabled else "off", updated_by)


def read_flag(state_path: Path, name: str, default: bool) -> FlagState:
    """Return the flag's override from the state database, else `default`."""
    conn = connect_state(state_path)
    try:
        return read_flag_from(conn, name, default)
    finally:
        conn.close()


def read_flag_from(conn: sqlite3.Connection, name: str, default: bool) -> FlagState:
    _check_name(name)
    _ensure_schema(conn)
    row = conn.execute(
        "SELECT value, updated_at, updated_by FROM flags WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        return FlagState(name, default, "settings")
    return FlagState(
        name,
        row["value"] == "on",
        "override",
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


class StreamingFlag:
    """The chat streaming switch as one process sees it, cached for `ttl_seconds`.

    `on_change` runs (with the new state) the first time a read observes a
    value different from the previous one, including the first read.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        ttl_seconds: float = 1.0,
        on_change: Callable[[FlagState], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._state_path = settings.state_path
        self._default = settings.chat_streaming_enabled
        self._percent = settings.chat_streaming_percent
        self._ttl = ttl_seconds
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: FlagState | None = None
        self._conn: sqlite3.Connection | None = None
        self._read_at = float("-inf")

    def state(self) -> FlagState:
        """Return the current state, reading the state database when stale."""
        now = self._clock()
        if self._cached is not None and now - self._read_at < self._ttl:
            return self._cached
        with self._lock:
            if self._cached is not None and now - self._read_at < self._ttl:
                return self._cached
            fresh = self._read_or_keep()
            self._read_at = now
            previous, self._cached = self._cached, fresh
        if previous is None or previous.enabled != fresh.enabled:
            self._report(fresh, first=previous is None)
        return fresh

    def _connection(self) -> sqlite3.Connection:
        # One connection is kept for the frequent reads. Its short busy
        # timeout bounds how long a read waits for a writer, because reads
        # may run on the event loop.
        if self._conn is None:
            self._conn = connect_state(self._state_path)
            self._conn.execute(f"PRAGMA busy_timeout={_READ_BUSY_TIMEOUT_MS}")
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def invalidate(self) -> None:
        """Make the next read go to the state database."""
        self._read_at = float("-inf")

    def _read_or_keep(self) -> FlagState:
        try:
            return read_flag_from(self._connection(), CHAT_STREAMING, self._default)
        except (sqlite3.Error, OSError) as exc:
            # A locked or unreadable state file, or a data folder that cannot
            # be created, must not flip the switch: the last value seen (or
            # the setting) stays in force.
            logger.warning(
                "could not read flag %s from %s: %s",
                CHAT_STREAMING,
                self._state_path,
                exc,
            )
            return self._cached or FlagState(CHAT_STREAMING, self._default, "settings")

    def _report(self, state: FlagState, *, first: bool) -> None:
        logger.info(
            "%s %s is %s (source %s, updated by %s at %s, percent %d)",
            "flag" if first else "flag changed:",
            state.name,
            "on" if state.enabled else "off",
            state.source,
            state.updated_by or "-",
            state.updated_at or "-",
            self._percent,
        )
        if self._on_change is not None:
            self._on_change(state)

    def enabled(self) -> bool:
        return self.state().enabled

    def enabled_for(self, owner: str) -> bool:
        """Whether `owner` gets streamed answers: the switch and the percentage."""
        if not self.enabled():
            return False
        return owner_bucket(owner) < self._percent


def owner_bucket(owner: str) -> int:
    """Map an owner to a stable bucket 0..99, the same in every process."""
    digest = hashlib.sha256(owner.lower().encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100
