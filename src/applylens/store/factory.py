"""Open the search backend that the settings choose."""

from __future__ import annotations

from applylens.config import Settings
from applylens.store.base import SearchBackend
from applylens.store.sqlite import SQLiteStore


def open_backend(settings: Settings) -> SearchBackend:
    """Return the backend of `settings.backend`, not yet connected.

    The SQLite store opens its file on first use, and both backends raise
    BackendUnavailable from `check()` or the first call when they cannot serve.
    """
    if settings.backend == "sqlite":
        return SQLiteStore(settings.sqlite_path, retention_days=settings.retention_days)
    if settings.backend == "elasticsearch":
        # Imported here so that the embedded default never loads the client.
        from applylens.store.elasticsearch import ElasticsearchStore

        return ElasticsearchStore.from_settings(settings)
    raise ValueError(
        f"unknown backend {settings.backend!r}: set APPLYLENS_BACKEND to sqlite "
        "or elasticsearch"
    )
