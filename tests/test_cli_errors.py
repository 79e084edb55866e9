"""The `applylens` command pointed at a missing mail database or an unusable
data folder: one-line errors, no traceback, and no files written by commands
that only read."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from applylens.cli.main import cli

APPLYLENS_BIN = str(Path(sys.executable).with_name("applylens"))

MESSAGE = (
    b"From: Recruiter <jobs@example.com>\n"
    b"Subject: Interview invitation\n"
    b"Date: Thu, 03 Dec 2026 10:00:00 +0000\n"
    b"Message-ID: <interview@example.com>\n\n"
    b"Can we schedule an interview?\n"
)

FILE_TEXT = "a file, not a folder\n"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result: Result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    # CliRunner keeps an uncaught exception here, which would be a traceback.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("Error: "), result.output
    for text in expected:
        assert text in result.output


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "interview.eml").write_bytes(MESSAGE)
    return folder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The data folder that the test environment sets, not created yet."""
    return tmp_path / "data"


# Commands that only read the mail database


READ_ONLY_MAIL_COMMANDS = [
    ("search", "interview"),
    ("retention", "status"),
    ("retention", "apply", "--dry-run"),
]


@pytest.mark.parametrize("command", READ_ONLY_MAIL_COMMANDS, ids=" ".join)
def test_read_only_mistyped_db_fails(command: tuple[str, ...], tmp_path: Path) -> None:
    db = tmp_path / "typo" / "nonexistent" / "x.db"

    result = invoke(*command, "--db", str(db))

    assert_one_line_error(result, f"no mail database at {db}", "applylens import")
    assert "--db" in result.output
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("command", READ_ONLY_MAIL_COMMANDS, ids=" ".join)
def test_read_only_default_db_missing_fails(
    command: tuple[str, ...], data_dir: Path
) -> None:
    result = invoke(*command)

    assert_one_line_error(result, f"no mail database at {data_dir / 'applylens.db'}")
    assert not data_dir.exists()


def test_dry_run_missing_db_prints_no_count(tmp_path: Path) -> None:
    db = tmp_path / "x.db"

    result = invoke("retention", "apply", "--dry-run", "--db", str(db))

    assert "Would purge" not in result.output
    assert not db.exists()


def test_search_relative_typo_db_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = invoke("search", "--db", "typo.db", "interview")

    assert_one_line_error(result, "no mail database at typo.db")
    assert not (tmp_path / "typo.db").exists()


def test_search_existing_db_still_answers(mail_dir: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "mail.db")
    imported = invoke("import", str(mail_dir), "--db", db)

    found = invoke("search", "interview", "--db", db, "--json")

    assert imported.exit_code == 0, imported.output
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["total"] == 1


# Commands that only read the state database


def test_flags_show_missing_data_dir_creates_nothing(data_dir: Path) -> None:
    result = invoke("flags", "show")

    assert result.exit_code == 0, result.output
    assert "chat_streaming: on (from CHAT_STREAMING_ENABLED)" in result.stdout
    assert f"no state database at {data_dir / 'state.db'}" in result.stderr
    assert not data_dir.exists()


def test_flags_show_json_missing_data_dir(data_dir: Path) -> None:
    result = invoke("flags", "show", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["source"] == "settings"
    assert not data_dir.exists()


def test_users_list_missing_data_dir_creates_nothing(data_dir: Path) -> None:
    result = invoke("users", "list")

    assert result.exit_code == 0, result.output
    assert "no users" in result.stdout
    assert f"no state database at {data_dir / 'state.db'}" in result.stderr
    assert not data_dir.exists()


# Commands that write still create what they need


def test_retention_apply_creates_missing_db(tmp_path: Path) -> None:
    db = tmp_path / "new" / "x.db"

    result = invoke("retention", "apply", "--db", str(db))

    assert result.exit_code == 0, result.output
    assert "Purged 0 messages" in result.output
    assert db.is_file()


def test_import_creates_missing_db_and_data_dir(
    mail_dir: Path, tmp_path: Path, data_dir: Path
) -> None:
    db = tmp_path / "new" / "folders" / "mail.db"

    result = invoke("import", str(mail_dir), "--db", str(db))

    assert result.exit_code == 0, result.output
    assert db.is_file()
    assert (data_dir / "state.db").is_file()


def test_flags_set_creates_missing_data_dir(data_dir: Path) -> None:
    result = invoke("flags", "set", "chat_streaming", "off")

    assert result.exit_code == 0, result.output
    assert (data_dir / "state.db").is_file()


# An APPLYLENS_DATA_DIR that is a file, or lies inside one


COMMANDS_USING_DATA_DIR = [
    ("import", "{mail}"),
    ("demo", "--count", "5"),
    ("users", "list"),
    ("users", "add", "bob"),
    ("flags", "show"),
    ("flags", "set", "chat_streaming", "off"),
    ("search", "interview"),
    ("retention", "status"),
    ("retention", "apply"),
    ("retention", "apply", "--dry-run"),
]


@pytest.fixture(params=["file", "inside_file"])
def file_data_dir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Set APPLYLENS_DATA_DIR to a file, or to a path inside a file, and
    return that file."""
    path = tmp_path / "not-a-folder"
    path.write_text(FILE_TEXT)
    data_dir = path if request.param == "file" else path / "data"
    monkeypatch.setenv("APPLYLENS_DATA_DIR", str(data_dir))
    return path


@pytest.mark.parametrize("command", COMMANDS_USING_DATA_DIR, ids=" ".join)
def test_data_dir_file_one_line_error(
    command: tuple[str, ...], file_data_dir: Path, mail_dir: Path
) -> None:
    args = [arg.format(mail=mail_dir) for arg in command]

    result = invoke(*args)

    assert_one_line_error(result, f"data folder {file_data_dir}", "APPLYLENS_DATA_DIR")
    assert file_data_dir.read_text() == FILE_TEXT


def test_demo_out_inside_file_names_option(tmp_path: Path) -> None:
    path = tmp_path / "not-a-folder"
    path.write_text(FILE_TEXT)
    out = path / "demo"

    result = invoke("demo", "--count", "5", "--out", str(out))

    assert_one_line_error(result, f"failed to write the demo mailbox to {out}")
    assert "--out" in result.output
    assert path.read_text() == FILE_TEXT


def test_data_dir_file_with_db_option_searches(
    file_data_dir: Path,
    mail_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Searching reads only the mail database, so --db bypasses the data folder.
    db = tmp_path / "mail.db"
    unusable = os.environ["APPLYLENS_DATA_DIR"]
    monkeypatch.setenv("APPLYLENS_DATA_DIR", str(tmp_path / "data"))
    imported = invoke("import", str(mail_dir), "--db", str(db))
    monkeypatch.setenv("APPLYLENS_DATA_DIR", unusable)

    result = invoke("search", "interview", "--db", str(db), "--json")

    assert imported.exit_code == 0, imported.output

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 1


# A state database that SQLite cannot open or read


STATE_COMMANDS = [
    ("import", "{mail}", "--db", "{db}"),
    ("users", "list"),
    ("users", "add", "bob"),
    ("flags", "show"),
    ("flags", "set", "chat_streaming", "off"),
]


@pytest.mark.parametrize("command", STATE_COMMANDS, ids=" ".join)
def test_state_db_unopenable_one_line_error(
    command: tuple[str, ...], data_dir: Path, mail_dir: Path, tmp_path: Path
) -> None:
    # SQLite cannot open a folder as a database. This fails the way a data
    # folder without write access does, and also when the tests run as root.
    state_path = data_dir / "state.db"
    state_path.mkdir(parents=True)
    args = [arg.format(mail=mail_dir, db=tmp_path / "m.db") for arg in command]

    result = invoke(*args)

    assert_one_line_error(
        result,
        f"state database at {state_path} is unavailable",
        "unable to open database file",
        "APPLYLENS_DATA_DIR",
    )


@pytest.mark.parametrize("command", [("users", "list"), ("flags", "show")])
def test_state_db_corrupt_one_line_error(
    command: tuple[str, ...], data_dir: Path
) -> None:
    data_dir.mkdir()
    (data_dir / "state.db").write_bytes(b"not a database\n" * 500)

    result = invoke(*command)

    assert_one_line_error(result, "file is not a database", "APPLYLENS_DATA_DIR")


def test_state_sql_error_keeps_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def run_invalid_sql(state_path: Path) -> list[object]:
        sqlite3.connect(":memory:").execute("SELEC 1")
        return []

    added = invoke("users", "add", "alice")
    monkeypatch.setattr("applylens.cli.admin.list_users", run_invalid_sql)

    result = invoke("users", "list")

    assert added.exit_code == 0, added.output
    assert isinstance(result.exception, sqlite3.OperationalError)
    assert "syntax error" in str(result.exception)


# `applylens serve` checks the data folder before it starts


def run_serve(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APPLYLENS_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [APPLYLENS_BIN, "serve", "--port", "0", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_data_dir_file_fails_at_start(workers: str, tmp_path: Path) -> None:
    path = tmp_path / "not-a-folder"
    path.write_text(FILE_TEXT)

    result = run_serve(path, "--workers", workers)

    assert result.returncode == 1, result.stderr
    assert f"data folder {path} is unavailable" in result.stderr
    assert "APPLYLENS_DATA_DIR" in result.stderr
    assert "Traceback" not in result.stderr
    assert "API ready" not in result.stderr + result.stdout


def test_serve_state_db_unopenable_fails_at_start(data_dir: Path) -> None:
    state_path = data_dir / "state.db"
    state_path.mkdir(parents=True)

    result = run_serve(data_dir)

    assert result.returncode == 1, result.stderr
    assert f"state database at {state_path} is unavailable" in result.stderr
    assert "Traceback" not in result.stderr
    assert "API ready" not in result.stderr + result.stdout


def test_serve_metrics_dir_file_fails_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "not-a-folder"
    path.write_text(FILE_TEXT)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(path))

    result = run_serve(tmp_path / "data")

    assert result.returncode == 1, result.stderr
    assert "Prometheus multiprocess files" in result.stderr
    assert "set PROMETHEUS_MULTIPROC_DIR" in result.stderr
    assert "Traceback" not in result.stderr
