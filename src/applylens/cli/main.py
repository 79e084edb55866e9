"""Entry point of the `applylens` command.

Each command group lives in its own module of this package and exposes
`register(group)`; the list below decides what `applylens --help` shows.
"""

from __future__ import annotations

import importlib
import logging

import click

from applylens import __version__

COMMAND_MODULES = [
    "applylens.cli.mailbox",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="applylens")
@click.option("-v", "--verbose", count=True, help="Log more (repeat for debug).")
def cli(verbose: int) -> None:
    """ApplyLens: import, classify and search your job-search mail."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


for _module_name in COMMAND_MODULES:
    importlib.import_module(_module_name).register(cli)


def main() -> None:
    cli(prog_name="applylens")
