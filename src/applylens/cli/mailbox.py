"""The `import` and `search` commands."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from applylens.cli.data_files import (
    check_data_dir,
    require_mail_database,
    state_database_errors,
)
from applylens.cli.display import plain
from applylens.cli.stopping import StopOnSignal
from applylens.config import MAX_DAYS, Settings, get_settings
from applylens.errors import BackendNotReady, BackendUnavailable, QuerySyntaxError
from applylens.ingest import (
    ImportProgress,
    ImportReport,
    ImportStopped,
    import_paths,
)
from applylens.mail.threads import ThreadLinks
from applylens.observability.runlog import RunLog
from applylens.state import connect_state
from applylens.store.base import SearchBackend, SearchHit, SearchRequest

MAX_REASONS_SHOWN = 10
"""Distinct skip reasons listed in the summary; the rest are counted."""
MAX_EXAMPLES_PER_REASON = 3


def register(group: click.Group) -> None:
    group.add_command(import_command)
    group.add_command(search_command)


def _settings(owner: str | None, db: Path | None) -> Settings:
    settings = get_settings()
    updates: dict[str, Any] = {}
    if owner is not None:
        if not owner.strip():
            raise click.BadParameter("must not be empty", param_hint="--owner")
        updates["owner"] = owner.strip()
    if db is not None:
        updates["db_path"] = db
    return settings.model_copy(update=updates) if updates else settings


@contextmanager
def _open_backend(
    settings: Settings, *, bulk_load: bool = False
) -> Iterator[SearchBackend]:
    from applylens.store.factory import open_backend

    try:
        backend = open_backend(settings, bulk_load=bulk_load)
    except (BackendUnavailable, BackendNotReady) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield backend
    except (BackendUnavailable, BackendNotReady) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        backend.close()


_OWNER_OPTION = click.option(
    "--owner", help="Mailbox owner to import into or search (default APPLYLENS_OWNER)."
)
_DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite database file of the embedded store (default APPLYLENS_DB).",
)


@click.command("import")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
@_OWNER_OPTION
@_DB_OPTION
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Messages written per transaction.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Parsing processes (default: one per CPU for large imports).",
)
def import_command(
    paths: tuple[Path, ...],
    owner: str | None,
    db: Path | None,
    batch_size: int,
    workers: int | None,
) -> None:
    """Import mbox files, maildirs, folders of .eml files or single messages.

    Rerunning an import, also after it was interrupted, stores only the
    messages that are missing.
    """
    settings = _settings(owner, db)
    # The state database lives in the data folder even when --db is passed.
    check_data_dir(settings)
    with state_database_errors(settings):
        user_addresses = _user_addresses(settings)
        state = connect_state(settings.state_path)
    owner_addresses = [*settings.owner_address_list, *user_addresses]
    console = Console(stderr=True)
    stopper = StopOnSignal()
    try:
        with (
            _open_backend(settings, bulk_load=True) as backend,
            _ProgressBar(console) as bar,
            stopper,
        ):
            report = import_paths(
                paths,
                backend,
                owner=settings.owner,
                owner_addresses=owner_addresses,
                retention_days=settings.retention_days,
                progress=bar.update,
                batch_size=batch_size,
                workers=workers,
                thread_links=ThreadLinks(state),
                run_log=RunLog(settings.state_path),
                stop=stopper.requested,
            )
    except ImportStopped:
        click.echo(
            "Import stopped. Run the same command again to import the rest: "
            "messages already stored are not imported twice.",
            err=True,
        )
        sys.exit(stopper.exit_code)
    finally:
        state.close()
    _print_report(Console(), report)
    _fail_if_nothing_imported(report, paths)


def _user_addresses(settings: Settings) -> list[str]:
    """Return the importing user's own addresses; in multi-user mode the owner
    must be a user, or nobody could ever read the mail."""
    if not settings.multi_user:
        return []
    from applylens.api.users import list_users

    users = {user.name.lower(): user for user in list_users(settings.state_path)}
    user = users.get(settings.owner.lower())
    if user is None:
        known = ", ".join(sorted(users)) or "none yet"
        raise click.UsageError(
            f"--owner {settings.owner!r} is not a user, and in multi-user mode only "
            f"users can read mail (users: {known}). Add it with "
            f"'applylens users add {settings.owner}' or pass --owner NAME."
        )
    return list(user.addresses)


def _fail_if_nothing_imported(report: ImportReport, paths: tuple[Path, ...]) -> None:
    if report.read == 0:
        names = ", ".join(str(path) for path in paths)
        raise click.ClickException(
            f"no messages found in {names}: pass mbox files, maildirs, folders "
            "of .eml files or single messages"
        )
    if report.indexed == 0 and report.duplicates == 0:
        raise click.ClickException(
            f"none of the {report.read} messages read could be imported; the "
            "table above lists why"
        )


REDRAW_SECONDS = 0.1
"""Minimum time in seconds between two redraws of the import progress bar."""


class _ProgressBar:
    """A rich progress bar over the bytes of the input, counting messages."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]importing"),
            BarColumn(),
            TextColumn("{task.fields[messages]} messages"),
            TextColumn("{task.fields[rate]:.0f} msg/s"),
            TimeElapsedColumn(),
            TextColumn("elapsed,"),
            TimeRemainingColumn(),
            TextColumn("left"),
            console=console,
            transient=True,
            disable=not console.is_terminal,
            # Redrawn by `update` rather than by a thread of its own: while no
            # other thread runs, the import can fork its parsing workers.
            auto_refresh=False,
        )
        self.task: TaskID | None = None
        self.last_drawn = 0.0

    def __enter__(self) -> _ProgressBar:
        self.progress.start()
        self.task = self.progress.add_task("import", total=None, messages=0, rate=0.0)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def update(self, state: ImportProgress) -> None:
        assert self.task is not None
        elapsed = self.progress.tasks[0].elapsed or 0.0
        rate = state.messages_read / elapsed if elapsed > 0 else 0.0
        self.progress.update(
            self.task,
            total=max(state.bytes_total, 1),
            completed=state.bytes_read,
            messages=state.messages_read,
            rate=rate,
        )
        now = time.monotonic()
        if now - self.last_drawn >= REDRAW_SECONDS:
            self.last_drawn = now
            self.progress.refresh()


def _print_report(console: Console, report: ImportReport) -> None:
    table = Table(title="Import summary", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_row("read", str(report.read))
    table.add_row("indexed", str(report.indexed))
    table.add_row("duplicates", str(report.duplicates))
    if report.different_content:
        table.add_row(
            "  with another message's Message-ID", str(report.different_content)
        )
    table.add_row("skipped", str(len(report.skipped)))
    table.add_row("outside retention", str(report.outside_retention))
    table.add_row("seconds", f"{report.elapsed:.1f}")
    table.add_row("messages per second", f"{report.messages_per_second:.0f}")
    console.print(table)
    if report.skipped:
        console.print(_skipped_table(report.skipped))
    notice = report.retention_notice()
    if notice:
        console.print(plain(notice))


def _skipped_table(skipped: Sequence[tuple[str, str]]) -> Table:
    by_reason: dict[str, list[str]] = {}
    for origin, reason in skipped:
        by_reason.setdefault(reason, []).append(origin)
    counts = Counter({reason: len(origins) for reason, origins in by_reason.items()})
    table = Table(title="Skipped messages")
    table.add_column("count", justify="right")
    table.add_column("reason")
    table.add_column("examples")
    for reason, count in counts.most_common(MAX_REASONS_SHOWN):
        examples = by_reason[reason][:MAX_EXAMPLES_PER_REASON]
        lines = Text("\n").join(plain(example) for example in examples)
        table.add_row(str(count), plain(reason), lines)
    others = sum(count for _, count in counts.most_common()[MAX_REASONS_SHOWN:])
    if others:
        table.add_row(str(others), "other reasons", "")
    return table


# Unknown options are words of the query, so that "-interview" excludes a
# word as it does in the query language instead of failing as an option.
# Help is --help only, or "-hello" would print it.
@click.command(
    "search",
    context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]},
)
@click.argument("query", nargs=-1)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=MAX_DAYS),
    help="Only mail of the last N days.",
)
@click.option(
    "--label", "labels", multiple=True, help="Only mail with this label (repeatable)."
)
@click.option(
    "--limit", type=click.IntRange(min=1, max=1000), default=20, show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@_OWNER_OPTION
@_DB_OPTION
def search_command(
    query: tuple[str, ...],
    days: int | None,
    labels: tuple[str, ...],
    limit: int,
    as_json: bool,
    owner: str | None,
    db: Path | None,
) -> None:
    """Search the imported mail and print the best matches first.

    QUERY takes plain words, "quoted phrases", from:, to:, subject:, label:,
    after:YYYY-MM-DD, before:YYYY-MM-DD, newer_than:7d and older_than:30d.
    A leading - excludes a word and a final * matches word starts (interv*).
    Without QUERY, the newest mail is listed.
    """
    unknown = [word for word in query if word.startswith("--") and len(word) > 2]
    if unknown:
        raise click.NoSuchOption(unknown[0].split("=", 1)[0])
    settings = _settings(owner, db)
    request = SearchRequest(
        owner=settings.owner,
        query=" ".join(query),
        window_days=days,
        labels=labels,
        limit=limit,
    )
    require_mail_database(settings)
    with _open_backend(settings) as backend:
        try:
            result = backend.search(request)
        except QuerySyntaxError as exc:
            click.echo(f"Error: invalid query: {exc}", err=True)
            sys.exit(2)
    if as_json:
        payload = {
            "total": result.total,
            "took_ms": round(result.took_ms, 2),
            "backend": result.backend,
            "hits": [_hit_json(hit) for hit in result.hits],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    _print_hits(Console(), result.hits, result.total)
    if not result.hits and settings.retention_days:
        click.echo(
            f"Only mail of the last {settings.retention_days} days is searched; "
            "set APPLYLENS_RETENTION_DAYS=0 to search everything."
        )


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    message = hit.message
    return {
        "doc_id": message.doc_id,
        "score": round(hit.score, 4),
        "date": message.date.isoformat(),
        "sender": message.sender,
        "sender_name": message.sender_name,
        "subject": message.subject,
        "labels": message.labels,
        "thread_id": message.thread_id,
        "snippet": hit.snippet,
        "matched_fields": hit.matched_fields,
    }


def _print_hits(console: Console, hits: Sequence[SearchHit], total: int) -> None:
    if not hits:
        console.print("No messages match.")
        return
    table = Table(title=f"{len(hits)} of {total} matching messages")
    table.add_column("#", justify="right")
    table.add_column("date")
    table.add_column("from")
    table.add_column("subject")
    table.add_column("labels")
    table.add_column("score", justify="right")
    for rank, hit in enumerate(hits, start=1):
        message = hit.message
        table.add_row(
            str(rank),
            message.date.strftime("%Y-%m-%d"),
            plain(message.sender_name or message.sender),
            plain(message.subject or "(no subject)"),
            ", ".join(message.labels),
            f"{hit.score:.2f}",
        )
    console.print(table)
