"""Users of the multi-user mode and their API tokens.

A token is shown once when the user is added; the state database keeps only its
SHA-256 digest. Tokens are 256 random bits, so a fast digest is enough: there
is no low-entropy secret for a slow hash to protect.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from applylens.errors import ConfigError
from applylens.state import connect_state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    token_sha256 TEXT NOT NULL UNIQUE,
    addresses TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
)
"""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_TOKEN_PREFIX = "al_"


@dataclass(frozen=True, slots=True)
class User:
    name: str
    addresses: tuple[str, ...]
    created_at: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute(_SCHEMA)


def _normalise_addresses(addresses: Sequence[str]) -> tuple[str, ...]:
    # Addresses are compared case-insensitively everywhere, so they are
    # stored lower-cased once here.
    cleaned = [a.strip().lower() for a in addresses if a.strip()]
    for address in cleaned:
        if "@" not in address:
            raise ConfigError(
                f"invalid address {address!r}: expected an email address like "
                "name@example.com"
            )
    return tuple(dict.fromkeys(cleaned))


def add_user(
    state_path: Path, name: str, addresses: Sequence[str] = ()
) -> tuple[User, str]:
    """Create user `name` and return it with its new token (shown only once)."""
    if not _NAME.match(name):
        raise ConfigError(
            f"invalid user name {name!r}: use 1 to 64 letters, digits, '.', '_', "
            "'@' or '-', starting with a letter or digit"
        )
    normalised = _normalise_addresses(addresses)
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    conn = connect_state(state_path)
    try:
        _ensure_schema(conn)
        with conn:
            conn.execute(
                "INSERT INTO users (name, token_sha256, addresses, created_at)"
                " VALUES (?, ?, ?, ?)",
                (name, hash_token(token), ",".join(normalised), created_at),
            )
    except sqlite3.IntegrityError as exc:
        raise ConfigError(f"user {name!r} already exists: choose another name") from exc
    finally:
        conn.close()
    return User(name, normalised, created_at), token


def list_users(state_path: Path) -> list[User]:
    conn = connect_state(state_path)
    try:
        _ensure_schema(conn)
        rows = conn.execute(
            "SELECT name, addresses, created_at FROM users ORDER BY name"
        ).fetchall()
    finally:
        conn.close()
    return [_user_from_row(row) for row in rows]


def _user_from_row(row: sqlite3.Row) -> User:
    addresses = tuple(a for a in row["addresses"].split(",") if a)
    return User(row["name"], addresses, row["created_at"])


def find_user_by_token(conn: sqlite3.Connection, token: str) -> User | None:
    """Return the user whose token is `token`, or None.

    The lookup is by digest, so comparing the secret itself never happens and
    its timing reveals nothing about stored tokens.
    """
    _ensure_schema(conn)
    row = conn.execute(
        "SELECT name, addresses, created_at FROM users WHERE token_sha256 = ?",
        (hash_token(token),),
    ).fetchone()
    return None if row is None else _user_from_row(row)
