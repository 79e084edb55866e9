"""`applylens flags` and `applylens users`: runtime switches and API users."""

from __future__ import annotations

import getpass
import json
import socket

import click

from applylens.api.flags import (
    CHAT_STREAMING,
    KNOWN_FLAGS,
    FlagState,
    parse_switch,
    read_flag,
    write_flag,
)
from applylens.api.users import add_user, list_users
from applylens.cli.data_files import (
    check_data_dir,
    echo_no_state_database,
    state_database_errors,
    state_database_exists,
)
from applylens.config import get_settings
from applylens.errors import ConfigError


@click.group("flags")
def flags_group() -> None:
    """Show or flip runtime flags; running servers pick changes up within 2 s."""


@flags_group.command("set")
@click.argument("name", type=click.Choice(KNOWN_FLAGS))
@click.argument("value", type=click.Choice(["on", "off"], case_sensitive=False))
def flags_set(name: str, value: str) -> None:
    """Switch flag NAME on or off for every API process, with no restart."""
    settings = get_settings()
    check_data_dir(settings)
    actor = f"cli:{getpass.getuser()}@{socket.gethostname()}"
    try:
        with state_database_errors(settings):
            write_flag(settings.state_path, name, parse_switch(value), actor)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{name} is now {value.lower()} (stored in {settings.state_path})")


@flags_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def flags_show(as_json: bool) -> None:
    """Print each flag's value and where it comes from."""
    settings = get_settings()
    check_data_dir(settings)
    if state_database_exists(settings):
        with state_database_errors(settings):
            state = read_flag(
                settings.state_path, CHAT_STREAMING, settings.chat_streaming_enabled
            )
    else:
        # Opening the state database would create it and the data folder.
        state = FlagState(CHAT_STREAMING, settings.chat_streaming_enabled, "settings")
        echo_no_state_database(settings)
    if as_json:
        payload = {**state.as_dict(), "percent": settings.chat_streaming_percent}
        click.echo(json.dumps(payload))
        return
    origin = (
        f"override by {state.updated_by} at {state.updated_at}"
        if state.source == "override"
        else "from CHAT_STREAMING_ENABLED"
    )
    click.echo(
        f"{state.name}: {'on' if state.enabled else 'off'} ({origin}); "
        f"streams for {settings.chat_streaming_percent}% of owners"
    )


@click.group("users")
def users_group() -> None:
    """Manage the users of multi-user mode (APPLYLENS_MULTI_USER=true)."""


@users_group.command("add")
@click.argument("name")
@click.option(
    "--address",
    "addresses",
    multiple=True,
    help="An email address of the user (repeatable); matched case-insensitively.",
)
def users_add(name: str, addresses: tuple[str, ...]) -> None:
    """Add user NAME and print their API token, which is shown only this once."""
    settings = get_settings()
    check_data_dir(settings)
    try:
        with state_database_errors(settings):
            user, token = add_user(settings.state_path, name, addresses)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"added user {user.name}; API token (shown once, keep it safe):", err=True
    )
    click.echo(token)
    if not settings.multi_user:
        click.echo(
            "note: APPLYLENS_MULTI_USER is not set, so the API ignores tokens "
            "and serves the single local owner",
            err=True,
        )


@users_group.command("list")
def users_list() -> None:
    """List users with their addresses (tokens are stored only as digests)."""
    settings = get_settings()
    check_data_dir(settings)
    if state_database_exists(settings):
        with state_database_errors(settings):
            users = list_users(settings.state_path)
    else:
        # Opening the state database would create it and the data folder.
        users = []
        echo_no_state_database(settings)
    if not users:
        click.echo("no users; add one with 'applylens users add NAME'")
        return
    for user in users:
        addresses = ", ".join(user.addresses) or "-"
        click.echo(f"{user.name}\t{addresses}\tadded {user.created_at}")


def register(group: click.Group) -> None:
    group.add_command(flags_group)
    group.add_command(users_group)
