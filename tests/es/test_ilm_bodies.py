"""ILM request bodies and answers, checked against the shapes in Elastic's
reference for the create lifecycle policy, get lifecycle policy and explain
lifecycle APIs (the answers under fixtures/ are written in those shapes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from applylens.retention.ilm import (
    POLICY_NAME,
    compare_documents,
    parse_explain,
    policy_body,
    policy_matches,
    replicas_for,
    template_body,
    template_matches,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def test_policy_body_hot_phase_rollover_uses_age_and_primary_shard_size() -> None:
    rollover = policy_body()["policy"]["phases"]["hot"]["actions"]["rollover"]

    assert rollover == {"max_age": "30d", "max_primary_shard_size": "50gb"}


def test_policy_body_rollover_avoids_deprecated_max_size() -> None:
    rollover = policy_body()["policy"]["phases"]["hot"]["actions"]["rollover"]

    assert "max_size" not in rollover


def test_policy_body_delete_phase_starts_90_days_after_rollover() -> None:
    delete = policy_body()["policy"]["phases"]["delete"]

    assert delete == {"min_age": "90d", "actions": {"delete": {}}}


def test_policy_body_has_only_documented_top_level_keys() -> None:
    body = policy_body()

    assert list(body) == ["policy"]
    assert set(body["policy"]) <= {"phases", "_meta"}
    assert set(body["policy"]["phases"]) == {"hot", "delete"}


def test_policy_matches_get_answer_with_echoed_defaults_true() -> None:
    assert policy_matches(_load("get_policy.json"))


def test_policy_matches_changed_max_age_false() -> None:
    answer = _load("get_policy.json")
    phases = answer[POLICY_NAME]["policy"]["phases"]
    phases["hot"]["actions"]["rollover"]["max_age"] = "7d"

    assert not policy_matches(answer)


def test_policy_matches_extra_phase_false() -> None:
    answer = _load("get_policy.json")
    answer[POLICY_NAME]["policy"]["phases"]["warm"] = {"min_age": "7d", "actions": {}}

    assert not policy_matches(answer)


def test_template_body_never_declares_the_alias() -> None:
    body = template_body("gmail_emails", replicas=0, with_ilm=True)

    assert "aliases" not in body["template"]
    assert "aliases" not in body


def test_template_body_with_ilm_sets_lifecycle_settings() -> None:
    settings = template_body("gmail_emails", replicas=0, with_ilm=True)["template"][
        "settings"
    ]

    assert settings["index.lifecycle.name"] == "emails-rolling-90d"
    assert settings["index.lifecycle.rollover_alias"] == "gmail_emails"


def test_template_body_without_ilm_has_no_lifecycle_settings() -> None:
    settings = template_body("gmail_emails", replicas=0, with_ilm=False)["template"][
        "settings"
    ]

    assert not [key for key in settings if key.startswith("index.lifecycle.")]


def test_template_body_matches_the_numbered_indices() -> None:
    body = template_body("gmail_emails", replicas=0, with_ilm=True)

    assert body["index_patterns"] == ["gmail_emails-*"]


def test_template_body_maps_owner_as_keyword_and_date_as_date() -> None:
    properties = template_body("gmail_emails", replicas=0, with_ilm=True)["template"][
        "mappings"
    ]["properties"]

    assert properties["owner"] == {"type": "keyword"}
    assert properties["date"] == {"type": "date"}
    assert properties["body_terms"]["type"] == "text"


@pytest.mark.parametrize(
    ("data_nodes", "replicas"),
    [
        pytest.param(1, 0, id="one-node"),
        pytest.param(2, 1, id="two-nodes"),
        pytest.param(5, 1, id="five-nodes"),
    ],
)
def test_replicas_for_cluster_size(data_nodes: int, replicas: int) -> None:
    assert replicas_for(data_nodes) == replicas


def test_template_matches_answer_declaring_alias_reports_it() -> None:
    expected = template_body("gmail_emails", replicas=0, with_ilm=True)
    answer = {
        "index_templates": [
            {
                "name": "gmail-emails-template",
                "index_template": {
                    **expected,
                    "template": {
                        **expected["template"],
                        "aliases": {"gmail_emails": {}},
                    },
                },
            }
        ]
    }

    assert template_matches(answer, expected) == ["declares aliases ['gmail_emails']"]


def test_parse_explain_new_index_is_managed_by_policy() -> None:
    (state,) = parse_explain(_load("explain_new_index.json"))

    assert state.index == "gmail_emails-000001"
    assert state.managed
    assert state.policy == "emails-rolling-90d"
    assert state.phase == "new"
    assert not state.is_failed


def test_parse_explain_error_step_reports_failed_step_and_reason() -> None:
    states = parse_explain(_load("explain_error_and_unmanaged.json"))
    failed = [state for state in states if state.is_failed]

    assert [state.index for state in failed] == ["gmail_emails-000002"]
    assert failed[0].failed_step == "check-rollover-ready"
    assert failed[0].error is not None
    assert "does not point to index" in failed[0].error


def test_parse_explain_unmanaged_index_has_no_policy() -> None:
    states = parse_explain(_load("explain_error_and_unmanaged.json"))
    unmanaged = [state for state in states if not state.managed]

    assert [state.index for state in unmanaged] == ["gmail_emails-000001"]
    assert unmanaged[0].policy is None


def test_compare_documents_changed_content_is_a_mismatch() -> None:
    source = {"a": {"message": {"subject": "Offer"}}}
    target = {"a": {"message": {"subject": "Offer (edited)"}}}

    (mismatch,) = compare_documents(source, target)

    assert mismatch.doc_id == "a"
    assert mismatch.reason == "content differs"


def test_compare_documents_missing_copy_is_a_mismatch() -> None:
    (mismatch,) = compare_documents({"a": {"labels": []}}, {})

    assert mismatch.reason == "missing from the copy"


def test_compare_documents_added_token_fields_still_match() -> None:
    source = {"a": {"message": {"subject": "Offer"}}}
    target = {"a": {"message": {"subject": "Offer"}, "subject_terms": "offer"}}

    assert compare_documents(source, target) == []
