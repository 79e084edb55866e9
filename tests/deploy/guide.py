"""Reading docs/production-ops-advanced.md: its commands, checked against the
`applylens` command tree, and its PromQL expressions."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click

from applylens.cli.main import cli
from support.live import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "production-ops-advanced.md"
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "2>&1", "&"}
# Wrappers that run an applylens command inside the api container.
WRAPPERS = {"dc", "docker", "docker-compose"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class Command:
    line: str
    argv: tuple[str, ...]
    """The arguments after `applylens`, or the script path and its arguments."""
    is_script: bool = False


def code_blocks(text: str) -> list[tuple[str, str]]:
    """Return (language, body) of each fenced block."""
    return [(match.group(1), match.group(2)) for match in FENCE.finditer(text)]


def commands_in(text: str) -> list[Command]:
    """Return every `applylens` and `scripts/` invocation in the code blocks."""
    found = []
    for _, body in code_blocks(text):
        for line in body.splitlines():
            command = parse_line(line)
            if command is not None:
                found.append(command)
    return found


def parse_line(line: str) -> Command | None:
    text = line.strip().removeprefix("$ ")
    if not text or text.startswith("#"):
        return None
    try:
        tokens = shlex.split(text, comments=True)
    except ValueError:
        return None
    while tokens and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", tokens[0]):
        tokens = tokens[1:]
    tokens = _until_operator(tokens)
    if not tokens:
        return None
    head = tokens[0]
    if head.removeprefix("./").startswith("scripts/"):
        return Command(line, tuple(tokens), is_script=True)
    if head == "applylens":
        return Command(line, tuple(tokens[1:]))
    if head in WRAPPERS and "applylens" in tokens:
        return Command(line, tuple(tokens[tokens.index("applylens") + 1 :]))
    return None


def _until_operator(tokens: list[str]) -> list[str]:
    for index, token in enumerate(tokens):
        if token in SHELL_OPERATORS:
            return tokens[:index]
    return tokens


def find_option(command: click.Command, name: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and name in (
            *param.opts,
            *param.secondary_opts,
        ):
            return param
    return None


def _check_choice(param: click.Parameter, value: str) -> str | None:
    if isinstance(param.type, click.Choice) and value not in param.type.choices:
        return f"{value!r} is not one of {list(param.type.choices)} for {param.name}"
    return None


def check_argv(argv: tuple[str, ...]) -> list[str]:
    """Walk `argv` down the command tree from `cli`; return the problems."""
    command: click.Command = cli
    path = ["applylens"]
    positional = 0
    problems: list[str] = []
    tokens = list(argv)
    wants_help = "--help" in tokens or "-h" in tokens
    while tokens:
        token = tokens.pop(0)
        if token in ("--help", "-h"):
            continue
        if token.startswith("-"):
            name, has_value, value = token.partition("=")
            option = find_option(command, name)
            if option is None:
                problems.append(f"{' '.join(path)} has no option {name!r}")
                break
            if not option.is_flag and not option.count and not has_value:
                if not tokens:
                    problems.append(f"{name} of {' '.join(path)} needs a value")
                    break
                value = tokens.pop(0)
            if not option.is_flag and (problem := _check_choice(option, value)):
                problems.append(problem)
            continue
        if isinstance(command, click.Group):
            subcommand = command.get_command(click.Context(command), token)
            if subcommand is None:
                problems.append(f"{' '.join(path)} has no command {token!r}")
                break
            command, positional = subcommand, 0
            path.append(token)
            continue
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        if positional >= len(arguments):
            problems.append(f"{' '.join(path)} takes no argument {token!r}")
            break
        if problem := _check_choice(arguments[positional], token):
            problems.append(problem)
        positional += 1
    if not problems and isinstance(command, click.Group) and not wants_help:
        problems.append(f"{' '.join(path)} is a group: name one of its commands")
    return problems


def command_path(argv: tuple[str, ...]) -> str:
    """Return the command names of `argv`, options and values left out."""
    command: click.Command = cli
    names = []
    for token in argv:
        if not isinstance(command, click.Group):
            break
        subcommand = command.get_command(click.Context(command), token)
        if subcommand is not None:
            command = subcommand
            names.append(token)
    return " ".join(names)


def check_script(argv: tuple[str, ...]) -> list[str]:
    """Check that the script exists and, for the ILM wrapper, that the
    `applylens es` command it passes on exists."""
    path = REPO_ROOT / argv[0].removeprefix("./")
    if not path.is_file():
        return [f"{argv[0]} does not exist"]
    if path.name != "setup-es-ilm.sh":
        return []
    rest = list(argv[1:])
    global_options = []
    if rest[:1] == ["--es-url"]:
        global_options, rest = rest[:2], rest[2:]
    if not rest:
        return check_argv((*global_options, "es", "verify"))
    return check_argv((*global_options, "es", *rest))


def promql_expressions(text: str) -> list[str]:
    return [
        line.strip()
        for language, body in code_blocks(text)
        if language == "promql"
        for line in body.splitlines()
        if line.strip()
    ]


def metric_names(expression: str) -> set[str]:
    """Return the ApplyLens metric names an expression reads."""
    return set(re.findall(r"\b((?:applylens|assistant|ux)_[a-z_]+)\b", expression))


def read_guide() -> str:
    return Path(GUIDE).read_text(encoding="utf-8")
