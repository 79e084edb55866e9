"""The `retention` commands: purge old mail now, or show what would go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from applylens.cli.data_files import check_data_dir, require_mail_database
from applylens.config import MAX_DAYS, Settings, get_settings
from applylens.errors import BackendNotReady, BackendUnavailable
from applylens.observability.runlog import RetentionRun, RunLog, process_holder
from applylens.retention import apply_retention, cutoff_for
from applylens.store.base import SearchBackend


def register(group: click.Group) -> None:
    group.add_command(retention_group)


@click.group("retention")
def retention_group() -> None:
    """Delete mail older than the retention period (APPLYLENS_RETENTION_DAYS)."""


_DAYS_OPTION = click.option(
    "--days",
    type=click.IntRange(min=0, max=MAX_DAYS),
    default=None,
    help="Retention period in days, 0 to keep everything "
    "(default APPLYLENS_RETENTION_DAYS).",
)
_DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite database file of the embedded store (default APPLYLENS_DB).",
)


@retention_group.command("apply")
@_DAYS_OPTION
@_DB_OPTION
@click.option(
    "--dry-run", is_flag=True, help="Count the messages to purge, delete nothing."
)
def apply_command(days: int | None, db: Path | None, dry_run: bool) -> None:
    """Delete every owner's mail received before the retention period."""
    settings = _settings(days, db)
    if dry_run:
        require_mail_database(settings)
    elif settings.backend == "sqlite" and settings.db_path is None:
        # The store would blame APPLYLENS_DB for a data folder it cannot use.
        check_data_dir(settings)
    now = datetime.now(UTC)
    cutoff = cutoff_for(settings.retention_days, now)
    if cutoff is None:
        click.echo("Retention is off (0 days): nothing to purge.")
        return
    with _open_backend(settings) as backend:
        if dry_run:
            count = _count_older(backend, cutoff)
            click.echo(
                f"Would purge {count} of {backend.count()} messages received "
                f"before {cutoff:%Y-%m-%d %H:%M} UTC ({_describe(settings)})."
            )
            return
        purged = apply_retention(backend, settings.retention_days, now)
        run = RetentionRun(
            backend=backend.name,
            retention_days=settings.retention_days,
            cutoff=cutoff,
            purged=purged,
            trigger="command",
            holder=process_holder(),
            started_at=now,
        )
        RunLog(settings.state_path).record_retention(run)
        click.echo(
            f"Purged {purged} messages received before {cutoff:%Y-%m-%d %H:%M} UTC "
            f"({_describe(settings)}); {backend.count()} remain."
        )


@retention_group.command("status")
@_DAYS_OPTION
@_DB_OPTION
def status_command(days: int | None, db: Path | None) -> None:
    """Show the retention period and how many messages fall outside it."""
    settings = _settings(days, db)
    require_mail_database(settings)
    cutoff = cutoff_for(settings.retention_days)
    with _open_backend(settings) as backend:
        total = backend.count()
        click.echo(f"Retention: {_describe(settings)}")
        click.echo(f"Messages stored: {total}")
        if cutoff is None:
            click.echo("Retention is off (0 days): every message is kept.")
            return
        count_older_than = getattr(backend, "count_older_than", None)
        count = "unknown" if count_older_than is None else count_older_than(cutoff)
        click.echo(
            f"Received before {cutoff:%Y-%m-%d %H:%M} UTC: {count} "
            "(hidden from searches; deleted by `applylens retention apply` and "
            "by `applylens serve` on its schedule)"
        )


def _count_older(backend: SearchBackend, cutoff: datetime) -> int:
    count_older_than = getattr(backend, "count_older_than", None)
    if count_older_than is None:
        raise click.ClickException(
            f"the {backend.name} backend cannot count messages by date, so "
            "--dry-run is not available: run `applylens retention apply`"
        )
    return int(count_older_than(cutoff))


def _describe(settings: Settings) -> str:
    days = f"{settings.retention_days} days" if settings.retention_days else "off"
    if settings.backend == "sqlite":
        return f"{days}, sqlite backend at {settings.sqlite_path}"
    return f"{days}, {settings.backend} backend"


def _settings(days: int | None, db: Path | None) -> Settings:
    settings = get_settings()
    updates: dict[str, object] = {}
    if days is not None:
        updates["retention_days"] = days
    if db is not None:
        updates["db_path"] = db
    return settings.model_copy(update=updates) if updates else settings


@contextmanager
def _open_backend(settings: Settings) -> Iterator[SearchBackend]:
    from applylens.store.factory import open_backend

    try:
        backend = open_backend(settings)
    except (BackendUnavailable, BackendNotReady) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield backend
    except (BackendUnavailable, BackendNotReady) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        backend.close()
