"""The `applylens import` and `applylens search` commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from applylens.cli.main import cli

APPLYLENS_BIN = str(Path(sys.executable).with_name("applylens"))

NOTMUCH = "notmuch-corpora/test/corpora"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def imported_db(corpora: Path, tmp_path: Path, runner: CliRunner) -> Path:
    db = tmp_path / "mail.db"
    result = runner.invoke(
        cli, ["import", str(corpora / NOTMUCH / "default"), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    return db


def test_cli_import_prints_summary(
    corpora: Path, tmp_path: Path, runner: CliRunner
) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "empty.eml").write_bytes(b"")
    result = runner.invoke(
        cli,
        [
            "import",
            str(corpora / NOTMUCH / "duplicate"),
            str(folder),
            "--db",
            str(tmp_path / "mail.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Import summary" in result.output
    assert "duplicates" in result.output
    assert "the message is empty" in result.output


def test_cli_import_old_mail_explains_retention(
    imported_db: Path, corpora: Path, runner: CliRunner
) -> None:
    result = runner.invoke(
        cli, ["import", str(corpora / NOTMUCH / "lkml"), "--db", str(imported_db)]
    )
    assert result.exit_code == 0, result.output
    assert "APPLYLENS_RETENTION_DAYS=0" in result.output


def test_cli_import_missing_path_is_usage_error(
    tmp_path: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["import", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_cli_search_json_lists_hits(
    imported_db: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLYLENS_RETENTION_DAYS", "0")
    result = runner.invoke(
        cli,
        ["search", "from:cworth", "--db", str(imported_db), "--json", "--limit", "3"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert len(payload["hits"]) == 3
    assert all(hit["sender"] == "cworth@cworth.org" for hit in payload["hits"])


def test_cli_search_table_shows_subject(
    imported_db: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLYLENS_RETENTION_DAYS", "0")
    result = runner.invoke(cli, ["search", "archive", "--db", str(imported_db)])
    assert result.exit_code == 0, result.output
    assert "matching messages" in result.output


HOSTILE = (
    b'From: "[bold]Evil[/bold]" <evil@example.com>\n'
    b"Subject: [/] zebra [list-tag] :smiley: \x1b[31mred\x1b[0m \x1b]0;title\x07\n"
    b"Date: Thu, 03 Dec 2026 10:00:00 +0000\n"
    b"Message-ID: <hostile@example.com>\n\nzebra\n"
)


def test_cli_mail_text_printed_literally(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLYLENS_RETENTION_DAYS", "0")
    monkeypatch.setenv("COLUMNS", "400")
    folder = tmp_path / "mail"
    (folder / "[").mkdir(parents=True)
    (folder / "hostile.eml").write_bytes(HOSTILE)
    (folder / "[" / "]junk.eml").write_bytes(b"not mail at all\n")
    db = str(tmp_path / "mail.db")

    imported = runner.invoke(cli, ["import", str(folder), "--db", db])
    found = runner.invoke(cli, ["search", "zebra", "--db", db])

    assert imported.exit_code == 0, imported.output
    assert "[/]junk.eml" in imported.output
    assert found.exit_code == 0, found.output
    assert "[bold]Evil[/bold]" in found.output
    assert "[/] zebra [list-tag]" in found.output
    assert ":smiley:" in found.output
    assert "\x1b" not in found.output
    assert "\x07" not in found.output


def test_cli_search_leading_dash_excludes_word(
    imported_db: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLYLENS_RETENTION_DAYS", "0")
    db = ["--db", str(imported_db), "--json"]
    everything = json.loads(runner.invoke(cli, ["search", *db]).output)
    excluded = runner.invoke(cli, ["search", "-notmuch", *db])
    only = json.loads(runner.invoke(cli, ["search", "notmuch", *db]).output)

    assert excluded.exit_code == 0, excluded.output
    total = json.loads(excluded.output)["total"]
    assert total == everything["total"] - only["total"]
    assert 0 < total < everything["total"]


def test_cli_search_misspelt_option_is_error(
    imported_db: Path, runner: CliRunner
) -> None:
    result = runner.invoke(
        cli, ["search", "--lable", "interview", "--db", str(imported_db)]
    )

    assert result.exit_code == 2
    assert "No such option '--lable'" in result.output


def test_cli_search_old_mail_hidden_says_why(
    imported_db: Path, runner: CliRunner
) -> None:
    result = runner.invoke(cli, ["search", "archive", "--db", str(imported_db)])
    assert result.exit_code == 0, result.output
    assert "No messages match" in result.output
    assert "APPLYLENS_RETENTION_DAYS" in result.output


def test_cli_search_syntax_error_exits_2(imported_db: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["search", 'subject:"open', "--db", str(imported_db)])
    assert result.exit_code == 2
    assert "invalid query" in result.output


def test_cli_search_broken_database_exits_1(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not an SQLite database" * 100)
    result = runner.invoke(cli, ["search", "anything", "--db", str(db)])
    assert result.exit_code == 1
    assert "sqlite backend" in result.output
    assert str(db) in result.output


def test_cli_invalid_setting_exits_2_naming_variable(tmp_path: Path) -> None:
    env = {**os.environ, "APPLYLENS_RETENTION_DAYS": "abc"}
    result = subprocess.run(
        [APPLYLENS_BIN, "search", "x"], env=env, capture_output=True, text=True
    )

    assert result.returncode == 2, result.stderr
    assert "APPLYLENS_RETENTION_DAYS='abc'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_import_empty_folder_exits_1(tmp_path: Path, runner: CliRunner) -> None:
    folder = tmp_path / "nothing"
    folder.mkdir()

    result = runner.invoke(cli, ["import", str(folder), "--db", str(tmp_path / "m.db")])

    assert result.exit_code == 1, result.output
    assert "no messages found" in result.output


def test_cli_import_only_broken_mail_exits_1(tmp_path: Path, runner: CliRunner) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "empty.eml").write_bytes(b"")

    result = runner.invoke(cli, ["import", str(folder), "--db", str(tmp_path / "m.db")])

    assert result.exit_code == 1, result.output
    assert "could be imported" in result.output
    assert "the message is empty" in result.output


def test_cli_import_multi_user_unknown_owner_exits_2(
    corpora: Path, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLYLENS_MULTI_USER", "true")
    source = str(corpora / NOTMUCH / "duplicate")

    result = runner.invoke(cli, ["import", source, "--owner", "carol"])

    assert result.exit_code == 2, result.output
    assert "'carol' is not a user" in result.output
    assert "applylens users add carol" in result.output


def test_cli_import_warns_of_different_content(corpora: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            APPLYLENS_BIN,
            "import",
            str(corpora / NOTMUCH / "duplicate"),
            "--db",
            str(tmp_path / "m.db"),
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert (
        "6 of the 6 duplicates have the same Message-ID as another message but "
        "different content" in result.stderr
    )
    assert re.search(r"with another message's Message-ID\W+6", result.stdout)


def test_cli_import_follows_symlinked_folder(
    corpora: Path, tmp_path: Path, runner: CliRunner
) -> None:
    links = tmp_path / "links"
    links.mkdir()
    (links / "ext").symlink_to(corpora / "perceval-mbox")
    (links / "loop").symlink_to(links)

    result = runner.invoke(cli, ["import", str(links), "--db", str(tmp_path / "m.db")])

    assert result.exit_code == 0, result.output
    # 22 messages through the link, and the loop as one skipped entry.
    assert re.search(r"│ read +│ +23 │", result.output), result.output
    assert re.search(r"│ skipped +│ +1 │", result.output), result.output
    assert "already read as" in result.output
