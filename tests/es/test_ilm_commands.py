"""`applylens es` commands against a real Elasticsearch (the integ-test-zip
build, which has no ILM module)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner, Result
from elasticsearch import Elasticsearch

from applylens.cli.es import es_group
from applylens.config import get_settings
from applylens.mail.model import Message
from applylens.store.base import SearchRequest
from applylens.store.elasticsearch import (
    SEARCH_FIELDS,
    ElasticsearchStore,
    message_to_document,
)

pytestmark = pytest.mark.elasticsearch

OWNER = "alice@example.org"
ALIAS = "gmail_emails"
TEMPLATE = "gmail-emails-template"


def _run(*args: str) -> Result:
    return CliRunner().invoke(es_group, list(args), catch_exceptions=False)


def _setup(es_url: str) -> None:
    result = _run("setup-ilm", "--without-ilm")
    assert result.exit_code == 0, result.output


def _store() -> ElasticsearchStore:
    return ElasticsearchStore.from_settings(get_settings())


def _write_indices(client: Elasticsearch) -> list[str]:
    answer = client.indices.get_alias(name=ALIAS)
    return sorted(
        name
        for name, entry in answer.items()
        if entry["aliases"][ALIAS].get("is_write_index")
    )


def _fill_plain_index(client: Elasticsearch, messages: list[Message]) -> None:
    """Write mail the way an older version did: a plain, auto-created index
    whose documents lack the token fields."""
    operations: list[dict[str, Any]] = []
    for message in messages:
        document = message_to_document(message)
        for name in SEARCH_FIELDS:
            document.pop(name)
        operations += [{"index": {"_id": document["doc_id"]}}, document]
    answer = client.bulk(operations=operations, index=ALIAS, refresh=True)
    assert not answer["errors"]


def test_setup_ilm_cluster_without_ilm_exits_with_one_sentence(
    es_url: str, es_client: Elasticsearch
) -> None:
    result = _run("setup-ilm")

    assert result.exit_code == 1
    assert "has no index lifecycle management" in result.output
    assert "--without-ilm" in result.output


def test_setup_ilm_cluster_without_ilm_leaves_nothing_behind(
    es_url: str, es_client: Elasticsearch
) -> None:
    _run("setup-ilm")

    assert not es_client.indices.exists_index_template(name=TEMPLATE)
    assert not es_client.indices.exists(index=f"{ALIAS}*", allow_no_indices=False)


def test_setup_ilm_without_ilm_bootstraps_write_index(
    es_url: str, es_client: Elasticsearch
) -> None:
    _setup(es_url)

    assert _write_indices(es_client) == ["gmail_emails-000001"]


def test_setup_ilm_template_declares_no_alias(
    es_url: str, es_client: Elasticsearch
) -> None:
    _setup(es_url)

    answer = es_client.indices.get_index_template(name=TEMPLATE)
    template = answer["index_templates"][0]["index_template"]

    assert template["index_patterns"] == ["gmail_emails-*"]
    assert not template["template"].get("aliases")


def test_setup_ilm_single_node_index_is_green(
    es_url: str, es_client: Elasticsearch
) -> None:
    _setup(es_url)

    health = es_client.cluster.health(
        index=ALIAS, wait_for_status="green", timeout="30s"
    )

    assert health["status"] == "green"


def test_setup_ilm_second_run_changes_nothing(es_url: str) -> None:
    _setup(es_url)

    result = _run("setup-ilm", "--without-ilm")

    assert result.exit_code == 0
    assert "template gmail-emails-template: unchanged" in result.output
    assert "alias gmail_emails: unchanged, write index gmail_emails-000001" in (
        result.output
    )


def test_setup_ilm_plain_index_names_migrate(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _fill_plain_index(es_client, real_messages[:5])

    result = _run("setup-ilm", "--without-ilm")

    assert result.exit_code == 1
    assert "applylens es migrate" in result.output
    assert not es_client.indices.exists_index_template(name=TEMPLATE)


def test_verify_after_setup_prints_one_line_per_check(es_url: str) -> None:
    _setup(es_url)

    result = _run("verify", "--without-ilm")
    lines = result.output.splitlines()

    assert result.exit_code == 0, result.output
    assert [line.split(":")[0].split()[-1] for line in lines] == [
        "ilm",
        "policy",
        "template",
        "index",
        "managed",
    ]
    assert "ok    template: gmail-emails-template is present and matches" in lines


def test_verify_cluster_without_ilm_fails(es_url: str) -> None:
    _setup(es_url)

    result = _run("verify")

    assert result.exit_code == 1
    assert "FAIL  ilm: the cluster has no ILM" in result.output


def test_verify_missing_alias_fails(es_url: str) -> None:
    result = _run("verify", "--without-ilm")

    assert result.exit_code == 1
    assert "FAIL  alias: gmail_emails is missing" in result.output


def test_rollover_makes_second_index_the_write_index(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _setup(es_url)
    _store().add_messages(real_messages[:20])

    result = _run("rollover")

    assert result.exit_code == 0, result.output
    assert _write_indices(es_client) == ["gmail_emails-000002"]
    assert sorted(es_client.indices.get_alias(name=ALIAS)) == [
        "gmail_emails-000001",
        "gmail_emails-000002",
    ]


def test_rollover_empty_write_index_is_skipped(
    es_url: str, es_client: Elasticsearch
) -> None:
    _setup(es_url)

    result = _run("rollover")

    assert result.exit_code == 0
    assert "skipped" in result.output
    assert _write_indices(es_client) == ["gmail_emails-000001"]


def test_rollover_new_mail_goes_to_new_write_index(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _setup(es_url)
    store = _store()
    store.add_messages(real_messages[:20])
    _run("rollover")

    store.add_messages(real_messages[20:30])

    assert es_client.count(index="gmail_emails-000002")["count"] == 10
    assert es_client.count(index="gmail_emails-000001")["count"] == 20


def test_relabel_after_rollover_gives_exactly_one_hit(
    es_url: str, real_messages: list[Message]
) -> None:
    _setup(es_url)
    store = _store()
    old = real_messages[0]
    store.add_messages(real_messages[:20])
    assert _run("rollover").exit_code == 0
    store.add_messages(real_messages[20:30])

    store.set_labels(OWNER, old.doc_id, ["offer"])
    result = store.search(SearchRequest(owner=OWNER, labels=["offer"]))

    assert result.total == 1
    assert [hit.message.doc_id for hit in result.hits] == [old.doc_id]


def test_readding_old_mail_after_rollover_counts_duplicates(
    es_url: str, real_messages: list[Message]
) -> None:
    _setup(es_url)
    store = _store()
    store.add_messages(real_messages[:20])
    _run("rollover")

    stats = store.add_messages(real_messages[:20])

    assert stats.indexed == 0
    assert stats.duplicates == 20
    assert store.count(OWNER) == 20


def test_rollback_keeps_mail_searchable(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _setup(es_url)
    store = _store()
    store.add_messages(real_messages[:20])

    result = _run("rollback")

    assert result.exit_code == 0, result.output
    assert not es_client.indices.exists_index_template(name=TEMPLATE)
    assert store.search(SearchRequest(owner=OWNER)).total == 20


def test_rollback_second_run_reports_absent(es_url: str) -> None:
    _setup(es_url)
    _run("rollback")

    result = _run("rollback")

    assert result.exit_code == 0
    assert "template gmail-emails-template: already absent" in result.output


def test_migrate_real_mail_keeps_every_message(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _fill_plain_index(es_client, real_messages)

    result = _run("migrate", "--without-ilm")

    assert result.exit_code == 0, result.output
    assert es_client.indices.exists_alias(name=ALIAS)
    assert _write_indices(es_client) == ["gmail_emails-000001"]
    assert es_client.count(index=ALIAS)["count"] == len(real_messages)


def test_migrate_copies_become_searchable(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _fill_plain_index(es_client, real_messages)
    _run("migrate", "--without-ilm")
    subject_word = "razor"

    result = _store().search(SearchRequest(owner=OWNER, query=subject_word))

    assert result.total > 0
    assert result.hits[0].matched_fields


def test_migrate_second_run_has_nothing_to_do(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _fill_plain_index(es_client, real_messages[:50])
    _run("migrate", "--without-ilm")

    result = _run("migrate", "--without-ilm")

    assert result.exit_code == 0
    assert "nothing to do" in result.output


def test_migrate_count_mismatch_stops_before_deleting(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _fill_plain_index(es_client, real_messages[:50])
    _setup_template_only()
    stray = message_to_document(real_messages[60])
    es_client.index(index="gmail_emails-000001", id=stray["doc_id"], document=stray)

    result = _run("migrate", "--without-ilm")

    assert result.exit_code == 1
    assert "stopped before deleting anything" in result.output
    assert "applylens es migrate --abort" in result.output
    assert es_client.count(index=ALIAS)["count"] == 50
    assert not es_client.indices.exists_alias(name=ALIAS)


def test_migrate_abort_lifts_write_block(
    es_url: str, es_client: Elasticsearch, real_messages: list[Message]
) -> None:
    _fill_plain_index(es_client, real_messages[:50])
    _setup_template_only()
    stray = message_to_document(real_messages[60])
    es_client.index(index="gmail_emails-000001", id=stray["doc_id"], document=stray)
    _run("migrate", "--without-ilm")

    result = _run("migrate", "--abort")
    es_client.index(index=ALIAS, id="after-abort", document={"owner": OWNER})

    assert result.exit_code == 0, result.output
    assert not es_client.indices.exists(index="gmail_emails-000001")


def test_migrate_without_any_index_names_setup(es_url: str) -> None:
    result = _run("migrate", "--without-ilm")

    assert result.exit_code == 1
    assert "applylens es setup-ilm" in result.output


def _setup_template_only() -> None:
    from applylens.retention.ilm import IlmManager
    from applylens.store.elasticsearch import open_client

    settings = get_settings()
    client = open_client(settings.es_url)
    IlmManager(client, url=settings.es_url, echo=lambda _line: None).ensure_template(
        with_ilm=False
    )
    client.close()
