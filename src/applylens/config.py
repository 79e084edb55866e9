"""Settings read from the environment (and an optional .env file).

Every setting has an environment variable; command-line options override them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

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


def parse_rate_limit(rate: str) -> RateLimitItem:
    """Parse an APPLYLENS_RATE_LIMIT value such as "60/minute".

    Raises ValueError naming the setting when `rate` cannot be parsed or
    allows no request at all.
    """
    # Imported here because importing `limits` takes tens of milliseconds,
    # and most commands never read the rate limit.
    import limits

    try:
        item = limits.parse(rate)
    except ValueError:
        raise ValueError(
            f"invalid APPLYLENS_RATE_LIMIT {rate!r}: expected a rate like "
            f"{RATE_LIMIT_EXAMPLE}"
        ) from None
    if item.amount < 1:
        raise ValueError(
            f"invalid APPLYLENS_RATE_LIMIT {rate!r}: the number of requests must "
            f"be at least 1, as in {RATE_LIMIT_EXAMPLE}. To lift the limit in "
            "practice, set a high rate such as '1000000/second'."
        )
    return item


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
