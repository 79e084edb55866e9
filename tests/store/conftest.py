"""Fixtures of the store tests: a fresh SQLite store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from applylens.store.sqlite import SQLiteStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "applylens.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteStore]:
    backend = SQLiteStore(db_path)
    yield backend
    backend.close()
