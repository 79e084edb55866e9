"""Entry point of the `applylens` command.

Each command group lives in its own module of this package and exposes
`register(group)`; the list below decides what `applylens --help` shows.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click
from click.exceptions import NoSuchCommand
from pydantic import ValidationError

from applylens import __version__
from applylens.cli.urls import ES_URL
from applylens.config import get_settings
from applylens.errors import ConfigError

# Each command's module, imported only when the command runs or help lists
# it, so that `applylens import` does not load the server or the dashboard.
COMMAND_MODULES = {
    "import": "applylens.cli.mailbox",
    "search": "applylens.cli.mailbox",
    "demo": "applylens.cli.demo",
    "grafana": "applylens.cli.grafana",
    "serve": "applylens.cli.serve",
    "flags": "applylens.cli.admin",
    "users": "applylens.cli.admin",
    "es": "applylens.cli.es",
    "retention": "applylens.cli.retention",
    "drill": "applylens.cli.drill",
}


class _LazyGroup(click.Group):
    """A group that imports a command's module when the command is asked for.

    Each module exposes `register(group)`, which adds its commands."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMAND_MODULES:
            # The suggestion ("Did you mean 'import'?") needs every name,
            # while `self.commands` holds only the modules loaded so far.
            raise NoSuchCommand(name, possibilities=COMMAND_MODULES, ctx=ctx)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(module).register(self)
        return self.commands.get(cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="applylens")
@click.option("-v", "--verbose", count=True, help="Log more (repeat for debug).")
@click.option(
    "--backend",
    type=click.Choice(["sqlite", "elasticsearch"]),
    help="Search backend (default APPLYLENS_BACKEND, sqlite).",
)
@click.option(
    "--es-url", type=ES_URL, help="Elasticsearch URL (default APPLYLENS_ES_URL)."
)
def cli(verbose: int, backend: str | None, es_url: str | None) -> None:
    """ApplyLens: import, classify and search your job-search mail."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if verbose < 2:
        # The Elasticsearch transport logs a traceback for every failed
        # attempt; the command reports the failure itself in one line.
        logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
    # Subcommands read settings from the environment, so the options go there.
    overrides = {"APPLYLENS_BACKEND": backend, "APPLYLENS_ES_URL": es_url}
    for name, value in overrides.items():
        if value is not None:
            os.environ[name] = value
    get_settings.cache_clear()


def main() -> None:
    try:
        cli(prog_name="applylens")
    except ValidationError as exc:
        click.echo(f"Error: {describe_settings_error(exc)}", err=True)
        sys.exit(2)
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


def describe_settings_error(exc: ValidationError) -> str:
    """Name each environment variable whose value failed validation."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        variable = _SETTING_VARIABLES.get(field, field.upper())
        if not variable.startswith(("APPLYLENS_", "CHAT_")):
            variable = f"APPLYLENS_{variable}"
        reason = error.get("ctx", {}).get("error")
        if isinstance(reason, ValueError) and str(reason).startswith(
            f"invalid {variable} "
        ):
            # The validator's message names the variable and shows the value,
            # with any password in a URL hidden.
            problems.append(str(reason))
        else:
            problems.append(
                f"invalid {variable}={error.get('input')!r}: {error['msg']}"
            )
    return "; ".join(problems)


# Settings whose variable is not APPLYLENS_ and the field name in capitals.
_SETTING_VARIABLES = {"db_path": "APPLYLENS_DB"}
