"""The assistant dashboard, built as code with grafana-foundation-sdk.

`build_dashboard()` returns the dashboard as a JSON-ready dict, and
`render_dashboard()` the exact text committed at `DASHBOARD_PATH`, which
Grafana's file provisioning loads and `applylens grafana push` imports.

Every query uses fixed range windows instead of Grafana's `$__rate_interval`,
so that the expressions in the JSON run unchanged against Prometheus's HTTP
API, which is how the test suite checks that each panel shows data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    GridPos,
    Threshold,
    ThresholdsMode,
)

DASHBOARD_UID = "applylens-assistant-windows"
DASHBOARD_TITLE = "ApplyLens assistant: window buckets"
DATASOURCE_UID = "applylens-prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
DASHBOARD_PATH = (
    Path("infra") / "grafana" / "dashboards" / "dashboard-assistant-window-buckets.json"
)

QUERIES = "assistant_tool_queries_total"
REQUESTS = "applylens_http_requests_total"
CHAT_ROUTES = 'path=~"/api/chat|/api/chat/stream"'
# The chat page sends a heartbeat every 30 seconds while it is visible, so
# heartbeats per second times 30 estimates the number of open pages.
HEARTBEAT_SECONDS = 30


def _query(ref_id: str, expr: str, legend: str) -> prometheus.Dataquery:
    return (
        prometheus.Dataquery()
        .ref_id(ref_id)
        .expr(expr)
        .legend_format(legend)
        .range()
        .datasource(DATASOURCE)
    )


def _legend() -> common_builders.VizLegendOptions:
    return (
        common_builders.VizLegendOptions()
        .display_mode(common.LegendDisplayMode.TABLE)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(["lastNotNull", "max"])
    )


def _timeseries(
    panel_id: int, title: str, description: str, unit: str, grid: GridPos
) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .id(panel_id)
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .grid_pos(grid)
        .legend(_legend())
        .line_width(2)
        .fill_opacity(10)
    )


def _stat(
    panel_id: int, title: str, description: str, unit: str, grid: GridPos
) -> stat.Panel:
    return (
        stat.Panel()
        .id(panel_id)
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .grid_pos(grid)
        .graph_mode(common.BigValueGraphMode.AREA)
        .color_mode(common.BigValueColorMode.VALUE)
        .reduce_options(
            common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False)
        )
    )


def _thresholds(
    *steps: tuple[float | None, str],
) -> dashboard_builders.ThresholdsConfig:
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def queries_by_window_panel() -> timeseries.Panel:
    expr = f"sum by (window_bucket, has_hits) (rate({QUERIES}[5m]))"
    return _timeseries(
        1,
        "Questions per second by window bucket",
        "Questions on both chat endpoints, by window bucket and whether the "
        "search found mail (has_hits).",
        "reqps",
        GridPos(h=8, w=12, x=0, y=0),
    ).with_target(_query("A", expr, "{{window_bucket}} days, hits={{has_hits}}"))


def zero_hit_ratio_panel() -> timeseries.Panel:
    zero_hits = f'sum by (window_bucket) (rate({QUERIES}{{has_hits="false"}}[5m]))'
    # Dividing by the total only where it is above zero drops buckets that had
    # no questions, instead of plotting 0/0 as NaN.
    total = f"(sum by (window_bucket) (rate({QUERIES}[5m])) > 0)"
    return (
        _timeseries(
            2,
            "Zero-hit ratio by window bucket",
            "Share of questions whose search found no mail, per window bucket.",
            "percentunit",
            GridPos(h=8, w=12, x=12, y=0),
        )
        .min(0)
        .max(1)
        .with_target(_query("A", f"{zero_hits} / {total}", "{{window_bucket}} days"))
    )


def hit_ratio_panel() -> stat.Panel:
    hits = f'sum(increase({QUERIES}{{has_hits="true"}}[15m]))'
    total = f"(sum(increase({QUERIES}[15m])) > 0)"
    return (
        _stat(
            3,
            "Hit ratio, last 15 minutes",
            "Share of questions in the last 15 minutes whose search found mail. "
            "The alert HitRatioLow fires below 30% for 30 minutes.",
            "percentunit",
            GridPos(h=6, w=6, x=0, y=8),
        )
        .thresholds(_thresholds((None, "red"), (0.3, "orange"), (0.6, "green")))
        .with_target(_query("A", f"{hits} / {total}", "hit ratio"))
    )


def rate_limited_panel() -> timeseries.Panel:
    expr = f'sum by (path) (rate({REQUESTS}{{status_code="429", {CHAT_ROUTES}}}[5m]))'
    return _timeseries(
        4,
        "429s per second on chat routes",
        "Requests to /api/chat and /api/chat/stream rejected by the rate limiter.",
        "reqps",
        GridPos(h=6, w=9, x=6, y=8),
    ).with_target(_query("A", expr, "{{path}}"))


def search_latency_panel() -> timeseries.Panel:
    buckets = (
        "sum by (le, backend) (rate(applylens_search_duration_seconds_bucket[5m]))"
    )
    return (
        _timeseries(
            5,
            "Search latency p50 and p95",
            "Time the search backend took per search, from the histogram buckets.",
            "s",
            GridPos(h=6, w=9, x=15, y=8),
        )
        .with_target(
            _query("A", f"histogram_quantile(0.5, {buckets})", "p50 {{backend}}")
        )
        .with_target(
            _query("B", f"histogram_quantile(0.95, {buckets})", "p95 {{backend}}")
        )
    )


def active_sessions_panel() -> stat.Panel:
    streams = "sum(applylens_chat_streams_active)"
    pages = f"sum(rate(ux_heartbeat_total[2m])) * {HEARTBEAT_SECONDS}"
    return (
        _stat(
            6,
            "Active chat sessions",
            "Open answer streams over all workers, and visible chat pages "
            f"estimated from heartbeats (one every {HEARTBEAT_SECONDS} seconds).",
            "short",
            GridPos(h=6, w=8, x=0, y=14),
        )
        .with_target(_query("A", streams, "open streams"))
        .with_target(_query("B", pages, "visible pages"))
    )


def engagement_panel() -> timeseries.Panel:
    opens = "sum(increase(ux_chat_opened_total[1h]))"
    questions = f"sum(increase({QUERIES}[1h]))"
    return (
        _timeseries(
            7,
            "Engagement: chat opens and questions",
            "Chat page opens against questions asked, over the last hour.",
            "short",
            GridPos(h=6, w=8, x=8, y=14),
        )
        .with_target(_query("A", opens, "chat opens"))
        .with_target(_query("B", questions, "questions"))
    )


def questions_per_open_panel() -> stat.Panel:
    questions = f"sum(increase({QUERIES}[1h]))"
    opens = "(sum(increase(ux_chat_opened_total[1h])) > 0)"
    return _stat(
        8,
        "Questions per chat open",
        "Questions asked per chat page opened, over the last hour.",
        "short",
        GridPos(h=6, w=8, x=16, y=14),
    ).with_target(_query("A", f"{questions} / {opens}", "questions per open"))


def stream_errors_panel() -> timeseries.Panel:
    errors = f'sum(rate({REQUESTS}{{status_code="503", path="/api/chat/stream"}}[5m]))'
    return (
        _timeseries(
            9,
            "Stream 503s and the streaming flag",
            "503s on /api/chat/stream per second, beside the streaming flag. "
            "While the flag is 0 the 503s are the planned canary.",
            "short",
            GridPos(h=6, w=12, x=0, y=20),
        )
        .with_target(_query("A", errors, "stream 503s per second"))
        .with_target(
            _query("B", "max(applylens_chat_streaming_enabled)", "streaming enabled")
        )
    )


def stream_share_panel() -> timeseries.Panel:
    streamed = f'sum(rate({REQUESTS}{{path="/api/chat/stream"}}[5m]))'
    posted = f'(sum(rate({REQUESTS}{{method="POST", path="/api/chat"}}[5m])) > 0)'
    return _timeseries(
        10,
        "Streamed against non-streamed chat requests",
        "Requests to /api/chat/stream per request to POST /api/chat.",
        "short",
        GridPos(h=6, w=12, x=12, y=20),
    ).with_target(_query("A", f"{streamed} / {posted}", "stream per non-stream"))


PANELS = (
    queries_by_window_panel,
    zero_hit_ratio_panel,
    hit_ratio_panel,
    rate_limited_panel,
    search_latency_panel,
    active_sessions_panel,
    engagement_panel,
    questions_per_open_panel,
    stream_errors_panel,
    stream_share_panel,
)


def build_dashboard() -> dict[str, Any]:
    """Build the dashboard as the JSON object Grafana imports."""
    builder = (
        dashboard_builders.Dashboard(DASHBOARD_TITLE)
        .uid(DASHBOARD_UID)
        .tags(["applylens", "assistant"])
        .description("Assistant questions by window bucket, hits, latency and use.")
        .editable()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .time("now-6h", "now")
        .timezone("browser")
        .refresh("30s")
    )
    for make_panel in PANELS:
        builder = builder.with_panel(make_panel())

    encoded: dict[str, Any] = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    # A numeric id is unique only within one Grafana install, and the dashboard
    # API (POST /api/dashboards/db) creates or overwrites by uid when id is null.
    return {"id": None, **encoded}


def render_dashboard() -> str:
    """Return the dashboard as the text of the committed JSON file."""
    return json.dumps(build_dashboard(), indent=2, sort_keys=True) + "\n"


def panel_expressions(dashboard: dict[str, Any]) -> dict[str, list[str]]:
    """Return each panel's title with the PromQL expressions of its targets."""
    return {
        panel["title"]: [target["expr"] for target in panel.get("targets", [])]
        for panel in dashboard["panels"]
    }
