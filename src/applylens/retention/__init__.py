"""Deletion of mail older than the retention period (APPLYLENS_RETENTION_DAYS)."""

from applylens.retention.purge import RetentionScheduler, apply_retention, cutoff_for

__all__ = ["RetentionScheduler", "apply_retention", "cutoff_for"]
