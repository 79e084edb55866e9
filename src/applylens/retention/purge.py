"""Purging of mail older than the retention period, once or on a schedule."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from applylens.store.base import SearchBackend

logger = logging.getLogger(__name__)

PurgeListener = Callable[[str, int], None]
"""Called with the backend name and the number of messages purged."""


def cutoff_for(retention_days: int, now: datetime | None = None) -> datetime | None:
    """Return the received date before which mail is purged, or None to keep all.

    `retention_days` = 0 keeps everything.
    """
    if retention_days < 0:
        raise ValueError(
            f"retention_days must be 0 (keep everything) or more, "
            f"not {retention_days!r}"
        )
    if retention_days == 0:
        return None
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now - timedelta(days=retention_days)


def apply_retention(
    backend: SearchBackend,
    retention_days: int,
    now: datetime | None = None,
    *,
    on_purge: PurgeListener | None = None,
) -> int:
    """Delete every owner's mail received more than `retention_days` ago.

    Returns the number of messages deleted; 0 days keeps everything. Errors of
    the backend (BackendUnavailable) propagate.
    """
    cutoff = cutoff_for(retention_days, now)
    if cutoff is None:
        logger.info("retention is off (0 days): no messages purged")
        return 0
    purged = backend.purge_older_than(cutoff)
    logger.info(
        "purged %d messages received before %s from the %s backend",
        purged,
        cutoff.isoformat(timespec="seconds"),
        backend.name,
    )
    if on_purge is not None:
        on_purge(backend.name, purged)
    return purged
