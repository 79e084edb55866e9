"""The `applylens` command group: every command is listed, and a command
loads only the modules it needs."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
from click.testing import CliRunner

from applylens.cli.main import COMMAND_MODULES, cli


def test_each_module_registers_the_commands_mapped_to_it() -> None:
    for module_name in sorted(set(COMMAND_MODULES.values())):
        group = click.Group()
        importlib.import_module(module_name).register(group)
        expected = {name for name, mod in COMMAND_MODULES.items() if mod == module_name}
        assert set(group.commands) == expected, module_name


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    listed = {
        line.split()[0]
        for line in result.output.split("Commands:", 1)[1].splitlines()
        if line.strip()
    }
    assert listed == set(COMMAND_MODULES)


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["imprt"])
    assert result.exit_code == 2
    assert "No such command 'imprt'. Did you mean 'import'?" in result.output


def test_import_command_leaves_server_and_dashboard_unloaded() -> None:
    script = (
        "import sys\n"
        "from applylens.cli.main import cli\n"
        "try:\n"
        "    cli(['import', '--help'], prog_name='applylens')\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in ('fastapi', 'httpx', 'elasticsearch',\n"
        "          'applylens.api.app', 'applylens.observability.grafana')\n"
        "          if m in sys.modules]\n"
        "print('loaded:', loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "Import mbox files" in result.stdout
    assert "loaded: []" in result.stdout
