"""Settings read from the environment (and an optional .env file).

Every setting has an environment variable; command-line options override them.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from limits import RateLimitItem


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "applylens"


MAX_DAYS = 36500
"""Maximum period in days that a setting, option or request accepts: 100
years, far beyond any mailbox and well inside the dates Python can hold."""

RATE_LIMIT_EXAMPLE = "'60/minute' or '10/second'"

# One rate in the notation of the `limits` library: an amount, "/" or "per",
# an optional number of periods and a period name, as in "10/2minutes".
_SINGLE_RATE_RE = re.compile(
    r"\s*\d+\s*(?:/|\s*per\s*)\s*(?P<periods>\d*)\s*[a-z]+\s*", re.IGNORECASE
)


def parse_rate_limit(rate: str) -> RateLimitItem:
    """Parse an APPLYLENS_RATE_LIMIT value such as "60/minute".

    Raises ValueError naming the setting when `rate` cannot be parsed, contains
    more than one rate, allows no request at all or has a period of zero or
    of more than MAX_DAYS days.
    """
    # Imported here because importing `limits` takes tens of milliseconds,
    # and most commands never read the rate limit.
    import limits

    prefix = f"invalid APPLYLENS_RATE_LIMIT {rate!r}"
    try:
        items = limits.parse_many(rate)
    except ValueError:
        raise ValueError(
            f"{prefix}: expected a rate like {RATE_LIMIT_EXAMPLE}"
        ) from None
    if len(items) != 1:
        # The chat limiter checks a single rate, so any further rate in the
        # value would be silently ignored.
        raise ValueError(
            f"{prefix}: expected one rate, but found {len(items)} separated by "
            f"',', ';' or '|'. Set a single rate such as {RATE_LIMIT_EXAMPLE}."
        )
    item = items[0]
    if item.amount < 1:
        raise ValueError(
            f"{prefix}: the number of requests must be at least 1, as in "
            f"{RATE_LIMIT_EXAMPLE}. To lift the limit in practice, set a high "
            "rate such as '1000000/second'."
        )
    # `limits` 5.8 reads a period count of 0 ("1/0minute") as 1, so the count
    # is checked on the text.
    match = _SINGLE_RATE_RE.fullmatch(rate)
    if match is not None and match["periods"] and int(match["periods"]) == 0:
        raise ValueError(
            f"{prefix}: the number of periods must be at least 1, as in "
            "'10/2minutes'. Leave it out for one period, as in '60/minute'."
        )
    if item.get_expiry() > MAX_DAYS * 86_400:
        raise ValueError(
            f"{prefix}: the period must be at most {MAX_DAYS} days, as in "
            "'100/day' or '1000/30days'"
        )
    return item


ES_URL_EXAMPLE = "http://127.0.0.1:9200"
REDIS_URL_EXAMPLE = "redis://127.0.0.1:6379/0"
HTTP_SCHEMES = ("http", "https")
# URL schemes of the `limits` storages that use the redis package, the only
# storage client that ApplyLens installs.
REDIS_SCHEMES = ("redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
# Schemes whose URL lists several HOST:PORT entries separated by commas.
_MULTI_HOST_SCHEMES = ("redis+sentinel", "redis+cluster")
_PASSWORD_RE = re.compile(r"(://[^/@:]*:)[^/@]*@")


def redact_url(url: str) -> str:
    """Replace the password of a `user:password@` part of `url` with ***."""
    return _PASSWORD_RE.sub(r"\1***@", url, count=1)


def check_url(url: str, *, name: str, schemes: tuple[str, ...], example: str) -> str:
    """Return `url` unchanged when it has one of `schemes`, a host and either
    no port or a port from 1 to 65535.

    Raises ValueError starting "invalid NAME 'URL':" with the reason and
    `example`, and with any password in the URL replaced by ***.
    """
    problem = _url_problem(url, schemes)
    if problem is not None:
        raise _invalid_url(name, url, problem, example)
    return url


def check_es_url(url: str, name: str = "APPLYLENS_ES_URL") -> str:
    """Check an Elasticsearch URL with `check_url`, and require a port for http://.

    The Elasticsearch client (elastic-transport 8.19) rejects an http:// URL
    without a port and uses 443 for an https:// one.
    """
    check_url(url, name=name, schemes=HTTP_SCHEMES, example=ES_URL_EXAMPLE)
    parts = urlsplit(url)
    if parts.scheme.lower() == "http" and parts.port is None:
        problem = "missing port, which the Elasticsearch client requires for http://"
        raise _invalid_url(name, url, problem, ES_URL_EXAMPLE)
    return url


def check_redis_url(url: str, name: str = "APPLYLENS_REDIS_URL") -> str:
    """Check a URL of the Redis server that stores the rate-limit counts."""
    return check_url(url, name=name, schemes=REDIS_SCHEMES, example=REDIS_URL_EXAMPLE)


def _invalid_url(name: str, url: str, problem: str, example: str) -> ValueError:
    return ValueError(
        f"invalid {name} {redact_url(url)!r}: {problem}; use a URL like {example}"
    )


def _url_problem(url: str, schemes: tuple[str, ...]) -> str | None:
    expected = " or ".join(f"{scheme}://" for scheme in schemes)
    if not url:
        return f"the URL is empty, expected {expected}"
    if any(char.isspace() or not char.isprintable() for char in url):
        return "the URL contains whitespace or control characters"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        # Raised for unbalanced brackets or a bracketed host that is not an
        # IPv6 address.
        return f"the host is invalid ({exc})"
    scheme = parts.scheme.lower()
    if "://" not in url:
        return f"missing scheme, expected {expected}"
    if scheme not in schemes:
        return f"unsupported scheme {scheme}://, expected {expected}"
    if scheme == "redis+unix":
        return None if parts.path else "missing socket path after redis+unix://"
    if scheme in HTTP_SCHEMES and (parts.query or parts.fragment):
        return "a base URL takes no query (?) or fragment (#)"
    locations = parts.netloc.rpartition("@")[2]
    entries = locations.split(",") if scheme in _MULTI_HOST_SCHEMES else [locations]
    for entry in entries:
        problem = _location_problem(entry)
        if problem is not None:
            return problem
    return None


def _location_problem(location: str) -> str | None:
    """Check one HOST[:PORT] of a URL, where HOST may be a bracketed IPv6 address."""
    if location.startswith("["):
        host, bracket, rest = location[1:].partition("]")
        if not bracket:
            return f"missing ']' after the IPv6 address in {location!r}"
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"invalid IPv6 address {host!r}"
        if rest and not rest.startswith(":"):
            return f"unexpected {rest!r} after the IPv6 address [{host}]"
        port = rest[1:]
    else:
        host, _, port = location.partition(":")
    if not host:
        return "missing host"
    if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        return f"the port {port!r} is not a number from 1 to 65535"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="APPLYLENS_", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    db_path: Path | None = Field(
        default=None, validation_alias=AliasChoices("APPLYLENS_DB", "db_path")
    )
    owner: str = "local"
    owner_addresses: str = ""
    backend: Literal["sqlite", "elasticsearch"] = "sqlite"
    es_url: str = "http://127.0.0.1:9200"
    es_alias: str = "gmail_emails"
    retention_days: int = Field(default=90, ge=0, le=MAX_DAYS)
    retention_interval_seconds: int = Field(default=3600, ge=1)

    chat_streaming_enabled: bool = Field(
        default=True,
        validation_alias=AliasChoices(
            "CHAT_STREAMING_ENABLED", "chat_streaming_enabled"
        ),
    )
    chat_streaming_percent: int = Field(
        default=100,
        ge=0,
        le=100,
        validation_alias=AliasChoices(
            "CHAT_STREAMING_PERCENT", "chat_streaming_percent"
        ),
    )
    # Pause after each `delta` event of GET /api/chat/stream, in milliseconds.
    # Zero in production; tests and demos set it to watch a proxy pass events on
    # one by one.
    stream_delta_delay_ms: int = Field(default=0, ge=0, le=10_000)
    rate_limit: str = "60/minute"
    # Maximum size of a request body in bytes. A larger body gets a 413. The
    # chat page sends at most 10 turns of at most 8000 characters each, which
    # is under 500 KB of JSON even when every character is escaped.
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    redis_url: str | None = None
    trusted_proxies: str = ""
    multi_user: bool = False
    admin_token: str | None = None
    metrics_token: str | None = None

    @field_validator("owner")
    @classmethod
    def _owner_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("APPLYLENS_OWNER must not be empty")
        return value

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_valid(cls, value: str) -> str:
        parse_rate_limit(value)
        return value

    @field_validator("es_url")
    @classmethod
    def _es_url_valid(cls, value: str) -> str:
        return check_es_url(value)

    @field_validator("redis_url")
    @classmethod
    def _redis_url_valid(cls, value: str | None) -> str | None:
        # An empty APPLYLENS_REDIS_URL= leaves the counts in process memory,
        # as an unset one does.
        if not value:
            return None
        return check_redis_url(value)

    @property
    def sqlite_path(self) -> Path:
        return self.db_path or self.data_dir / "applylens.db"

    @property
    def state_path(self) -> Path:
        return self.data_dir / "state.db"

    @property
    def owner_address_list(self) -> list[str]:
        return [a.strip().lower() for a in self.owner_addresses.split(",") if a.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
