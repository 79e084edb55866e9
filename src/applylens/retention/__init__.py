"""Deletion of mail older than the retention period (APPLYLENS_RETENTION_DAYS)."""

from applylens.retention.purge import apply_retention, cutoff_for

__all__ = ["apply_retention", "cutoff_for"]
