"""Prometheus metrics, the Grafana dashboard built as code, and its import."""
