"""The assistant dashboard built as code, and the committed JSON it generates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from applylens.cli.grafana import grafana_group
from applylens.observability.dashboard import (
    DASHBOARD_PATH,
    DATASOURCE_UID,
    build_dashboard,
    panel_expressions,
    render_dashboard,
)

from .observability_support import (
    DASHBOARD_FILE,
    REPO_ROOT,
    exported_metric_names,
    metric_names_in,
)

REQUIRED_PANELS = (
    "Questions per second by window bucket",
    "Zero-hit ratio by window bucket",
    "Hit ratio, last 15 minutes",
    "429s per second on chat routes",
    "Search latency p50 and p95",
    "Active chat sessions",
    "Engagement: chat opens and questions",
    "Questions per chat open",
)


@pytest.fixture(scope="module")
def dashboard() -> dict[str, object]:
    return build_dashboard()


def test_dashboard_committed_file_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)

    result = CliRunner().invoke(grafana_group, ["build", "--check"])

    assert result.exit_code == 0, result.output
    assert DASHBOARD_FILE.read_text() == render_dashboard()


def test_dashboard_check_modified_file_fails(tmp_path: Path) -> None:
    stale = tmp_path / "dashboard.json"
    stale.write_text(render_dashboard().replace("Hit ratio", "Hit rate"))

    result = CliRunner().invoke(
        grafana_group, ["build", "--check", "--output", str(stale)]
    )

    assert result.exit_code == 1
    assert "differs from the dashboard the code builds" in result.output


def test_dashboard_check_missing_file_fails(tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"

    result = CliRunner().invoke(
        grafana_group, ["build", "--check", "--output", str(missing)]
    )

    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_dashboard_build_writes_output(tmp_path: Path) -> None:
    output = tmp_path / "out" / "dashboard.json"

    result = CliRunner().invoke(grafana_group, ["build", "--output", str(output)])

    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text())["uid"] == "applylens-assistant-windows"


def test_dashboard_default_output_is_committed_path() -> None:
    assert REPO_ROOT / DASHBOARD_PATH == DASHBOARD_FILE


def test_dashboard_identity_fields(dashboard: dict[str, object]) -> None:
    assert dashboard["uid"] == "applylens-assistant-windows"
    assert "id" in dashboard
    assert dashboard["id"] is None


def test_dashboard_has_required_panels(dashboard: dict[str, object]) -> None:
    titles = [panel["title"] for panel in dashboard["panels"]]

    for title in REQUIRED_PANELS:
        assert title in titles


def test_dashboard_panels_use_fixed_datasource(dashboard: dict[str, object]) -> None:
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == DATASOURCE_UID, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == DATASOURCE_UID, panel["title"]


def test_dashboard_panel_ids_unique(dashboard: dict[str, object]) -> None:
    ids = [panel["id"] for panel in dashboard["panels"]]

    assert len(ids) == len(set(ids))


def test_dashboard_panels_do_not_overlap(dashboard: dict[str, object]) -> None:
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, panel["title"]
                cells.add((x, y))


def test_dashboard_every_panel_has_expressions(dashboard: dict[str, object]) -> None:
    for title, expressions in panel_expressions(dashboard).items():
        assert expressions, title
        assert all(expr.strip() for expr in expressions), title


def test_dashboard_reads_only_exported_metrics(dashboard: dict[str, object]) -> None:
    exported = exported_metric_names()

    for title, expressions in panel_expressions(dashboard).items():
        for expr in expressions:
            unknown = metric_names_in(expr) - exported
            assert unknown == set(), f"{title} reads unknown metrics {unknown}"


def test_dashboard_sessions_panel_sums_series(dashboard: dict[str, object]) -> None:
    expressions = panel_expressions(dashboard)["Active chat sessions"]

    assert all(expr.startswith("sum(") for expr in expressions)


def test_dashboard_queries_avoid_grafana_variables(
    dashboard: dict[str, object],
) -> None:
    # The live Prometheus test runs these expressions unchanged.
    for title, expressions in panel_expressions(dashboard).items():
        for expr in expressions:
            assert "$" not in expr, title
