"""docs/production-ops-advanced.md names only commands and options that exist,
covers each feature, and reads only metrics that the API exports."""

from __future__ import annotations

import re

import pytest

from applylens.observability.metrics import Metrics
from deploy.guide import (
    check_argv,
    check_script,
    command_path,
    commands_in,
    metric_names,
    parse_line,
    promql_expressions,
    read_guide,
)

TEXT = read_guide()
COMMANDS = commands_in(TEXT)
SECTIONS = ("ILM retention", "assistant dashboard", "streaming canary toggle")
PARTS = (
    "What it does",
    "Deploy",
    "Check that it worked",
    "Watch in the first 24 hours",
    "Roll back",
)


def exported_names() -> set[str]:
    names = set()
    for metric in Metrics().registry.collect():
        for sample in metric.samples:
            names.add(sample.name)
        names.add(metric.name)
    return names


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if not c.is_script], ids=lambda c: c.line.strip()
)
def test_guide_command_exists(command) -> None:
    assert check_argv(command.argv) == [], command.line


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c.is_script], ids=lambda c: c.line.strip()
)
def test_guide_script_exists(command) -> None:
    assert check_script(command.argv) == [], command.line


def test_guide_covers_each_feature_command() -> None:
    paths = {command_path(c.argv) for c in COMMANDS if not c.is_script}
    expected = {
        "es setup-ilm",
        "es verify",
        "es migrate",
        "es rollover",
        "es rollback",
        "retention apply",
        "grafana build",
        "grafana push",
        "flags set",
        "flags show",
        "users add",
        "drill",
    }
    assert expected <= paths, sorted(expected - paths)


@pytest.mark.parametrize("section", SECTIONS)
def test_guide_has_section_per_feature(section: str) -> None:
    assert re.search(rf"^## \d\. .*{section}", TEXT, re.M | re.I), section


@pytest.mark.parametrize("part", PARTS)
def test_guide_has_part_in_every_section(part: str) -> None:
    count = len(re.findall(rf"^### {re.escape(part)}$", TEXT, re.M))
    assert count == len(SECTIONS), f"{part!r} appears {count} times"


def test_guide_promql_reads_exported_metrics() -> None:
    exported = exported_names()
    unknown = {
        name
        for expression in promql_expressions(TEXT)
        for name in metric_names(expression)
        if re.sub(r"_(bucket|count|sum)$", "", name) not in exported
        and name not in exported
    }
    assert unknown == set()


def test_guide_has_promql_for_every_section() -> None:
    sections = re.split(r"^## \d\. ", TEXT, flags=re.M)[1:4]
    for section in sections:
        assert "```promql" in section, section.splitlines()[0]


def test_guide_shows_drill_output() -> None:
    assert "DRILL_OUTPUT" not in TEXT
    assert re.search(r"^PASS  canary switch-off .* took effect in", TEXT, re.M)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        pytest.param("applylens es rollover --no-such", "no option", id="option"),
        pytest.param("applylens es promote", "no command", id="command"),
        pytest.param(
            "applylens flags set chat_streaming maybe", "not one of", id="choice"
        ),
        pytest.param("dc exec api applylens es", "is a group", id="group"),
        pytest.param("applylens drill --samples", "needs a value", id="value"),
    ],
)
def test_guide_checker_finds_wrong_command(line: str, problem: str) -> None:
    command = parse_line(line)
    assert command is not None
    problems = check_argv(command.argv)
    assert any(problem in p for p in problems), problems


def test_guide_checker_reads_wrapped_command() -> None:
    command = parse_line("dc exec -e A=B api applylens es verify --without-ilm | tail")
    assert command is not None and command.argv == ("es", "verify", "--without-ilm")


def test_guide_checker_finds_missing_script() -> None:
    command = parse_line("scripts/no-such-script.sh")
    assert command is not None
    assert check_script(command.argv) != []
