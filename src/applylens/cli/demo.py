"""The `demo` command: generate a job-search mailbox and import it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import click
from rich.console import Console

from applylens.cli.data_files import check_data_dir, data_dir_error
from applylens.cli.mailbox import _open_backend, _print_report, _ProgressBar
from applylens.config import Settings, get_settings
from applylens.demo import (
    DEFAULT_COUNT,
    DEFAULT_SEED,
    OWNER_ADDRESSES,
    OWNER_NAME,
    DemoManifest,
    DemoOutputError,
    GenerationReport,
    generate_mailbox,
    write_manifest,
)
from applylens.demo.writer import MailboxFormat
from applylens.ingest import import_paths
from applylens.observability.runlog import RunLog

MAX_DEMO_COUNT = 1_000_000


def register(group: click.Group) -> None:
    group.add_command(demo_command)


@click.command("demo")
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Random seed; the same seed and time give the same mailbox.",
)
@click.option(
    "--count",
    type=click.IntRange(1, MAX_DEMO_COUNT),
    default=DEFAULT_COUNT,
    show_default=True,
    help="Number of messages to generate.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the mailbox to (default: DATA_DIR/demo).",
)
@click.option(
    "--format",
    "mailbox_format",
    type=click.Choice(["maildir", "mbox"]),
    default="maildir",
    show_default=True,
    help="Write one maildir or one mbox file.",
)
@click.option(
    "--now",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    help="Generate as if it were this UTC time (default: now).",
)
@click.option("--no-import", is_flag=True, help="Only generate the mailbox.")
def demo_command(
    seed: int,
    count: int,
    out: Path | None,
    mailbox_format: str,
    now: datetime | None,
    no_import: bool,
) -> None:
    """Generate a realistic job-search mailbox and import it.

    The mail spreads over the year before now: application receipts,
    interviews, assessments, offers, rejections, recruiters, newsletters,
    bills, phishing and personal threads. Running the command again adds no
    duplicates, because the same seed gives the same Message-IDs.
    """
    settings = get_settings()
    check_data_dir(settings)
    console = Console()
    target = out or settings.data_dir / "demo"
    moment = now.replace(tzinfo=UTC) if now else None
    try:
        generated = generate_mailbox(
            target,
            seed=seed,
            count=count,
            now=moment,
            mailbox_format=cast(MailboxFormat, mailbox_format),
        )
    except DemoOutputError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        if out is None:
            raise data_dir_error(settings, str(exc)) from exc
        raise click.ClickException(
            f"failed to write the demo mailbox to {out} ({exc}): choose another "
            "folder with --out"
        ) from exc
    console.print(
        f"Generated {generated.messages} messages in {generated.mailbox} "
        f"({generated.seconds:.1f} s)."
    )
    addresses = _owner_addresses(settings)
    if no_import:
        _print_import_hint(console, generated, addresses)
        return
    _import_demo(console, settings, generated, addresses, seed)
    _print_next_steps(console, settings)


def _owner_addresses(settings: Settings) -> list[str]:
    configured = settings.owner_address_list
    return [*configured, *(a for a in OWNER_ADDRESSES if a not in configured)]


def _import_demo(
    console: Console,
    settings: Settings,
    generated: GenerationReport,
    addresses: list[str],
    seed: int,
) -> None:
    manifest = DemoManifest(
        owner=settings.owner,
        name=OWNER_NAME,
        addresses=addresses,
        mailbox=str(generated.mailbox),
        seed=seed,
        count=generated.messages,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    try:
        manifest_path = write_manifest(settings.data_dir, manifest)
    except OSError as exc:
        raise data_dir_error(settings, str(exc)) from exc
    with (
        _open_backend(settings, bulk_load=True) as backend,
        _ProgressBar(Console(stderr=True)) as bar,
    ):
        report = import_paths(
            [generated.mailbox],
            backend,
            owner=settings.owner,
            owner_addresses=addresses,
            retention_days=settings.retention_days,
            progress=bar.update,
            run_log=RunLog(settings.state_path),
        )
    _print_report(console, report)
    console.print(f"The demo owner's addresses are recorded in {manifest_path}.")


def _print_import_hint(
    console: Console, generated: GenerationReport, addresses: list[str]
) -> None:
    console.print("Import it with:")
    console.print(
        f"  APPLYLENS_OWNER_ADDRESSES={','.join(addresses)} "
        f"applylens import {generated.mailbox}",
        soft_wrap=True,
    )


def _print_next_steps(console: Console, settings: Settings) -> None:
    console.print("Next steps:")
    for command in (
        'applylens search "interview" --days 30',
        "applylens search 'from:greenhouse-mail.io newer_than:60d'",
        "applylens search offer --label offer",
        "applylens serve",
    ):
        console.print(f"  {command}", soft_wrap=True)
    if settings.retention_days:
        console.print(
            f"Searches cover the last {settings.retention_days} days "
            "(APPLYLENS_RETENTION_DAYS); set it to 0 to search the whole demo year."
        )
