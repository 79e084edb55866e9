"""Open the search backend that the settings choose."""

from __future__ import annotations

from applylens.config import Settings
from applylens.store.base import SearchBackend
from applylens.store.sqlite import DEFAULT_MMAP_BYTES, SQLiteStore


def open_backend(settings: Settings, *, bulk_load: bool = False) -> SearchBackend:
    """Return the backend of `settings.backend`, not yet connected.

    The SQLite store opens its file on first use, and both backends raise
    BackendUnavailable from `check()` or the first call when they cannot serve.
    `bulk_load` tunes the store for an import rather than for searches.
    """
    if settings.backend == "sqlite":
        return SQLiteStore(
            settings.sqlite_path,
            retention_days=settings.retention_days,
            mmap_bytes=0 if bulk_load else DEFAULT_MMAP_BYTES,
        )
    if settings.backend == "elasticsearch":
        # Imported here so that the embedded default never loads the client.
        from applylens.store.elasticsearch import ElasticsearchStore

        return ElasticsearchStore.from_settings(settings)
    raise ValueError(
        f"unknown backend {settings.backend!r}: set APPLYLENS_BACKEND to sqlite "
        "or elasticsearch"
    )
