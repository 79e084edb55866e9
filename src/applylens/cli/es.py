"""The `applylens es` commands: the retention layout of the Elasticsearch backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from applylens.cli.urls import ES_URL
from applylens.config import get_settings
from applylens.errors import ApplyLensError

if TYPE_CHECKING:
    from applylens.retention.ilm import IlmManager

_WITHOUT_ILM = click.option(
    "--without-ilm",
    is_flag=True,
    help="Skip the lifecycle policy, for clusters without ILM (OpenSearch, "
    "minimal builds); retention then rests on APPLYLENS_RETENTION_DAYS.",
)


def register(group: click.Group) -> None:
    group.add_command(es_group)


@click.group("es")
@click.option(
    "--es-url",
    type=ES_URL,
    help="Elasticsearch URL (default APPLYLENS_ES_URL, http://127.0.0.1:9200).",
)
@click.pass_context
def es_group(context: click.Context, es_url: str | None) -> None:
    """Set up, check and undo the 90-day retention layout in Elasticsearch."""
    settings = get_settings()
    url = es_url or settings.es_url
    # The Elasticsearch client is imported here, not at the top, because
    # every other command would pay for loading it.
    from applylens.retention.ilm import IlmManager
    from applylens.store.elasticsearch import open_client

    client = open_client(url)
    context.call_on_close(client.close)
    context.obj = IlmManager(client, url=url, alias=settings.es_alias, echo=click.echo)


def _run(work: Callable[[], object]) -> None:
    try:
        work()
    except ApplyLensError as exc:
        raise click.ClickException(str(exc)) from exc


@es_group.command("setup-ilm")
@_WITHOUT_ILM
@click.pass_obj
def setup_ilm(manager: IlmManager, without_ilm: bool) -> None:
    """Create the policy, the template and the first index with the alias."""
    _run(lambda: manager.setup(with_ilm=not without_ilm))


@es_group.command("verify")
@_WITHOUT_ILM
@click.pass_obj
def verify(manager: IlmManager, without_ilm: bool) -> None:
    """Check policy, template, write index and lifecycle states, one line each."""

    def check() -> None:
        if not manager.verify(with_ilm=not without_ilm):
            raise click.ClickException("verify found problems, listed above")

    _run(check)


@es_group.command("migrate")
@_WITHOUT_ILM
@click.option(
    "--sample-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Number of documents whose content hashes are compared after the copy.",
)
@click.option(
    "--abort",
    is_flag=True,
    help="Undo a stopped migration: delete the copy and lift the write block.",
)
@click.pass_obj
def migrate(
    manager: IlmManager, without_ilm: bool, sample_size: int, abort: bool
) -> None:
    """Move an existing plain index named like the alias under the policy."""
    _run(
        lambda: manager.migrate(
            with_ilm=not without_ilm, sample_size=sample_size, abort=abort
        )
    )


@es_group.command("rollover")
@click.option(
    "--force", is_flag=True, help="Roll over even when the write index is empty."
)
@click.pass_obj
def rollover(manager: IlmManager, force: bool) -> None:
    """Start a new write index now instead of waiting for the policy."""
    _run(lambda: manager.rollover(force=force))


@es_group.command("rollback")
@click.pass_obj
def rollback(manager: IlmManager) -> None:
    """Detach and delete the policy and delete the template; keep all mail."""
    _run(manager.rollback)
