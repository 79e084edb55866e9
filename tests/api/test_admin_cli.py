"""`applylens flags` and `applylens users`, run through the real command group."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from applylens.api.flags import CHAT_STREAMING, read_flag
from applylens.api.users import find_user_by_token
from applylens.cli.main import cli
from applylens.config import Settings, get_settings
from applylens.state import connect_state


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def env_settings() -> Settings:
    """The settings the commands read: the test's data directory."""
    return get_settings()


def test_flags_set_off_stores_override(
    runner: CliRunner, env_settings: Settings
) -> None:
    result = runner.invoke(cli, ["flags", "set", "chat_streaming", "off"])
    state = read_flag(env_settings.state_path, CHAT_STREAMING, default=True)

    assert result.exit_code == 0, result.output
    assert state.enabled is False
    assert state.updated_by.startswith("cli:")


def test_flags_set_invalid_value_is_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["flags", "set", "chat_streaming", "maybe"])

    assert result.exit_code == 2
    assert "'maybe'" in result.output


def test_flags_show_reports_source(runner: CliRunner) -> None:
    before = runner.invoke(cli, ["flags", "show"])
    runner.invoke(cli, ["flags", "set", "chat_streaming", "off"])
    after = runner.invoke(cli, ["flags", "show"])

    assert "chat_streaming: on (from CHAT_STREAMING_ENABLED)" in before.output
    assert "chat_streaming: off (override by cli:" in after.output


def test_users_add_prints_working_token_once(
    runner: CliRunner, env_settings: Settings
) -> None:
    result = runner.invoke(cli, ["users", "add", "alice", "--address", "A@X.example"])
    token = result.stdout.strip()
    conn = connect_state(env_settings.state_path)
    try:
        user = find_user_by_token(conn, token)
    finally:
        conn.close()
    listed = runner.invoke(cli, ["users", "list"])

    assert result.exit_code == 0, result.output
    assert user is not None
    assert user.addresses == ("a@x.example",)
    assert token not in listed.output
    assert "alice\ta@x.example" in listed.output


def test_users_add_duplicate_exits_1(runner: CliRunner) -> None:
    runner.invoke(cli, ["users", "add", "alice"])
    result = runner.invoke(cli, ["users", "add", "ALICE"])

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_users_add_invalid_address_exits_1(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["users", "add", "bob", "--address", "not-an-address"])

    assert result.exit_code == 1
    assert "'not-an-address'" in result.output
