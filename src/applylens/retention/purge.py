"""Purging of mail older than the retention period, once or on a schedule."""

from __future__ import annotations

import logging
import threading
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


class RetentionScheduler:
    """A daemon thread that applies retention now and then every interval.

    A failed run is logged and retried at the next interval, so a backend that
    is down for a while does not stop the schedule.
    """

    def __init__(
        self,
        backend: SearchBackend,
        retention_days: int,
        interval_seconds: float,
        *,
        on_purge: PurgeListener | None = None,
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError(
                f"interval_seconds must be positive, not {interval_seconds!r}"
            )
        self.backend = backend
        self.retention_days = retention_days
        self.interval_seconds = interval_seconds
        self.on_purge = on_purge
        self.runs = 0
        self.last_purged: int | None = None
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.is_running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name="applylens-retention", daemon=True
        )
        self._thread.start()
        logger.info(
            "retention schedule started: %d days, every %g s",
            self.retention_days,
            self.interval_seconds,
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, waiting up to `timeout` seconds for a run to end."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("retention run still busy after %g s", timeout)
            logger.info("retention schedule stopped after %d runs", self.runs)

    def run_once(self) -> int | None:
        """Apply retention once; return the count purged, or None if it failed."""
        try:
            purged = apply_retention(
                self.backend, self.retention_days, on_purge=self.on_purge
            )
        except Exception as exc:
            # The thread must survive any failure, so it logs and retries later.
            self.last_error = str(exc)
            logger.exception(
                "retention run failed on the %s backend", self.backend.name
            )
            return None
        finally:
            self.runs += 1
        self.last_purged = purged
        self.last_error = None
        return purged

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.run_once()
            self._stopping.wait(self.interval_seconds)
