"""Scheduled purging in the API server, shared by its worker processes.

Every worker of `applylens serve --workers N` runs this schedule, but before
each purge a worker claims it in the state database: a purge that started
less than 0.9 intervals ago, in any process, makes the others skip theirs. So
the server purges about once per interval, whatever the number of workers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from applylens.config import Settings
from applylens.observability.runlog import RetentionRun, RunLog, process_holder
from applylens.retention.purge import apply_retention, cutoff_for
from applylens.store.base import SearchBackend

logger = logging.getLogger(__name__)

MIN_GAP_FRACTION = 0.9
"""A run is skipped when another started within this fraction of the interval.

It is below 1, so the worker that ran last time wins again even when its
timer fires a little early. It is above 0.5, so two workers whose timers are
half an interval apart cannot both purge in every interval.
"""


class SharedRetentionScheduler:
    """A daemon thread that purges old mail now and then every interval,
    recording each purge, when this process wins the claim for it.

    `open_backend` is called at each run, so a backend that is down when the
    server starts delays only the purges, and a failed run is logged and
    retried at the next interval.
    """

    def __init__(
        self,
        open_backend: Callable[[], SearchBackend],
        run_log: RunLog,
        retention_days: int,
        interval_seconds: float,
        *,
        holder: str | None = None,
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError(
                f"interval_seconds must be positive, not {interval_seconds!r}"
            )
        self.open_backend = open_backend
        self.run_log = run_log
        self.retention_days = retention_days
        self.interval_seconds = interval_seconds
        self.holder = holder or process_holder()
        self.purges = 0
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread, unless retention is off (0 days keeps everything)."""
        if self.retention_days == 0:
            logger.info("retention is off (0 days): the server purges no mail")
            return
        if self.is_running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name="applylens-retention", daemon=True
        )
        self._thread.start()
        logger.info(
            "retention schedule started in %s: %d days, every %g s",
            self.holder,
            self.retention_days,
            self.interval_seconds,
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread, waiting up to `timeout` seconds for a purge to end."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            logger.warning("retention purge still busy after %g s", timeout)
        logger.info("retention schedule stopped after %d purges", self.purges)

    def run_once(self) -> int | None:
        """Purge if this process wins the claim, and return the count purged.

        Return None when another process had the turn or the purge failed.
        """
        if self.retention_days == 0:
            return None
        min_gap = self.interval_seconds * MIN_GAP_FRACTION
        try:
            if not self.run_log.claim_scheduled_purge(self.holder, min_gap):
                logger.debug("retention: another process purged recently")
                return None
            return self._purge()
        except Exception as exc:
            # The thread must survive any failure, so it logs and retries later.
            self.last_error = str(exc)
            logger.exception("scheduled retention purge failed in %s", self.holder)
            return None

    def _purge(self) -> int:
        now = datetime.now(UTC)
        cutoff = cutoff_for(self.retention_days, now)
        if cutoff is None:
            return 0
        backend = self.open_backend()
        purged = apply_retention(backend, self.retention_days, now)
        self.purges += 1
        self.last_error = None
        run = RetentionRun(
            backend=backend.name,
            retention_days=self.retention_days,
            cutoff=cutoff,
            purged=purged,
            trigger="schedule",
            holder=self.holder,
            started_at=now,
        )
        self.run_log.record_retention(run)
        return purged

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.run_once()
            self._stopping.wait(self.interval_seconds)


def start_retention_schedule(
    settings: Settings, open_backend: Callable[[], SearchBackend]
) -> SharedRetentionScheduler:
    """Start the server's purge schedule over `settings` (retention days,
    interval and state database); `stop()` it at shutdown."""
    scheduler = SharedRetentionScheduler(
        open_backend,
        RunLog(settings.state_path),
        settings.retention_days,
        settings.retention_interval_seconds,
    )
    scheduler.start()
    return scheduler
