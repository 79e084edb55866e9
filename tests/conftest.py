"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPORA = Path(
    os.environ.get("APPLYLENS_CORPORA", REPO_ROOT.parent / "shared" / "corpora")
)
ARTIFACTS = REPO_ROOT / "artifacts"

_CONFIG_PREFIXES = ("APPLYLENS_", "CHAT_STREAMING_")


@pytest.fixture(autouse=True)
def clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    """Give each test a configuration of its own: no inherited settings, and a
    data directory in its temporary folder."""
    for name in list(os.environ):
        if name.startswith(_CONFIG_PREFIXES) and name != "APPLYLENS_CORPORA":
            monkeypatch.delenv(name)
    monkeypatch.setenv("APPLYLENS_DATA_DIR", str(tmp_path / "data"))
    from applylens.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.fail(f"the public mail corpora are missing at {CORPORA}")
    return CORPORA


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
