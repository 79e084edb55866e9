"""Settings read from the environment (and an optional .env file).

Every setting has an environment variable; command-line options override them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "applylens"


MAX_DAYS = 36500
"""Maximum period in days that a setting, option or request accepts: 100
years, far beyond any mailbox and well inside the dates Python can hold."""


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
