"""Helpers shared by the observability tests (imported, not a conftest)."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from applylens.observability.metrics import Metrics

REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_FILE = (
    REPO_ROOT
    / "infra"
    / "grafana"
    / "dashboards"
    / "dashboard-assistant-window-buckets.json"
)

# Label values are quoted in PromQL, so names outside quotes are metric names
# when they carry one of the product's prefixes.
_METRIC_NAME = re.compile(r"\b(?:applylens|assistant|ux)_[a-z_]+\b")


def exported_metric_names() -> set[str]:
    """Return every sample name the product's metrics expose."""
    metrics = Metrics(registry=CollectorRegistry())
    names = {"up"}
    for family in metrics.registry.collect():
        for sample in family.samples:
            names.add(sample.name)
    return names


def metric_names_in(expr: str) -> set[str]:
    """Return the product's metric names that `expr` reads."""
    return set(_METRIC_NAME.findall(re.sub(r'"[^"]*"', '""', expr)))
