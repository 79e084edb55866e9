"""`applylens demo` end to end: generate, import into the embedded store, search."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from applylens.cli.main import cli
from applylens.config import get_settings
from applylens.demo import DEFAULT_COUNT, OWNER_ADDRESSES
from applylens.store.base import SearchRequest
from applylens.store.sqlite import SQLiteStore


def _invoke(args: list[str], data_dir: Path) -> Result:
    get_settings.cache_clear()
    env = {"APPLYLENS_DATA_DIR": str(data_dir)}
    try:
        return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    data_dir = tmp_path_factory.mktemp("demo-data")
    saved = {
        k: os.environ.pop(k) for k in list(os.environ) if k.startswith("APPLYLENS_")
    }
    try:
        result = _invoke(["demo"], data_dir)
    finally:
        os.environ.update(saved)
    return result, data_dir


@pytest.fixture
def store(demo_run: tuple[Result, Path]) -> Iterator[SQLiteStore]:
    backend = SQLiteStore(demo_run[1] / "applylens.db", retention_days=90)
    yield backend
    backend.close()


def test_demo_command_exits_zero(demo_run: tuple[Result, Path]) -> None:
    result, _ = demo_run
    assert result.exit_code == 0, result.output


def test_demo_command_prints_import_summary(demo_run: tuple[Result, Path]) -> None:
    assert "Import summary" in demo_run[0].output


def test_demo_command_prints_next_steps(demo_run: tuple[Result, Path]) -> None:
    assert "applylens serve" in demo_run[0].output


def test_demo_command_store_holds_every_message(store: SQLiteStore) -> None:
    assert store.count("local") == DEFAULT_COUNT


def test_demo_command_interview_search_hits_last_30_days(store: SQLiteStore) -> None:
    now = datetime.now(UTC)
    result = store.search(
        SearchRequest(owner="local", query="interview", window_days=30, now=now)
    )
    assert result.total > 0
    assert all(hit.message.date >= now - timedelta(days=31) for hit in result.hits)


def test_demo_command_owner_replies_recognised(store: SQLiteStore) -> None:
    result = store.search(SearchRequest(owner="local", labels=["needs_reply"]))
    assert result.total > 0


def test_demo_command_writes_owner_manifest(demo_run: tuple[Result, Path]) -> None:
    manifest = json.loads((demo_run[1] / "demo.json").read_text())
    assert manifest["owner"] == "local"
    assert manifest["addresses"] == list(OWNER_ADDRESSES)


def test_demo_command_twice_adds_no_duplicates(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _invoke(["demo", "--count", "300"], data_dir)
    second = _invoke(["demo", "--count", "300"], data_dir)
    store = SQLiteStore(data_dir / "applylens.db")
    try:
        assert first.exit_code == 0, first.output
        assert second.exit_code == 0, second.output
        assert store.count("local") == 300
    finally:
        store.close()


def test_demo_command_no_import_leaves_no_store(tmp_path: Path) -> None:
    result = _invoke(["demo", "--count", "50", "--no-import"], tmp_path)
    assert result.exit_code == 0, result.output
    assert "applylens import" in result.output
    assert not (tmp_path / "applylens.db").exists()


def test_demo_command_foreign_out_folder_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = _invoke(["demo", "--count", "5", "--out", str(out)], tmp_path)
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert (out / "notes.txt").read_text() == "keep me"


def test_demo_command_fixed_now_reproducible(tmp_path: Path) -> None:
    args = ["demo", "--count", "40", "--no-import", "--now", "2026-02-01T10:00:00"]
    _invoke([*args, "--out", str(tmp_path / "a")], tmp_path)
    _invoke([*args, "--out", str(tmp_path / "b")], tmp_path)
    first = sorted(p.name for p in (tmp_path / "a" / "maildir").glob("*/*"))
    second = sorted(p.name for p in (tmp_path / "b" / "maildir").glob("*/*"))
    assert first == second


def test_cli_help_lists_demo() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "demo" in result.output
