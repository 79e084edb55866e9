"""Index lifecycle management (ILM) of the Elasticsearch mail indices.

The layout: indices `gmail_emails-000001`, `-000002`, … created from the
template `gmail-emails-template`, one alias `gmail_emails` over all of them
with exactly one write index, and the policy `emails-rolling-90d` that rolls
the write index over after 30 days (or at a primary shard size limit) and
deletes an index 90 days after its rollover.

Every operation is idempotent and reports each step through `echo`. A failure
that needs an operator raises `IlmError` with the reason and the fix.

Clusters without ILM (OpenSearch, minimal Elasticsearch builds) answer the ILM
endpoints with "no handler found" or read `_ilm` as an index name; that answer
is detected before anything is written. With `with_ilm=False` the template and
indices are still set up, without lifecycle settings, and retention then rests
on `APPLYLENS_RETENTION_DAYS` filtering and `applylens retention apply`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers

from applylens.errors import ApplyLensError, BackendUnavailable
from applylens.store.elasticsearch import (
    MAPPINGS,
    SETTING,
    add_search_fields,
    content_hash,
    describe_error,
    redact_url,
)

logger = logging.getLogger(__name__)

POLICY_NAME = "emails-rolling-90d"
TEMPLATE_NAME = "gmail-emails-template"
DEFAULT_ALIAS = "gmail_emails"
ROLLOVER_MAX_AGE = "30d"
ROLLOVER_MAX_PRIMARY_SHARD_SIZE = "50gb"
DELETE_MIN_AGE = "90d"
TEMPLATE_PRIORITY = 200
MIGRATE_SAMPLE_SIZE = 1000
_COPY_BATCH = 500

Echo = Callable[[str], None]


class IlmError(ApplyLensError):
    """An ILM operation cannot go on. The message states why and what to do."""


class IlmUnavailable(IlmError):
    """The cluster has no index lifecycle management feature."""


# Request bodies


def bootstrap_index(alias: str) -> str:
    return f"{alias}-000001"


def policy_body() -> dict[str, Any]:
    """Return the body of `PUT _ilm/policy/emails-rolling-90d`.

    The delete phase's min_age counts from the rollover, so an index is
    deleted 90 days after it stopped receiving mail.
    """
    return {
        "policy": {
            "_meta": {"managed_by": "applylens"},
            "phases": {
                "hot": {
                    "min_age": "0ms",
                    "actions": {
                        "rollover": {
                            "max_age": ROLLOVER_MAX_AGE,
                            "max_primary_shard_size": ROLLOVER_MAX_PRIMARY_SHARD_SIZE,
                        }
                    },
                },
                "delete": {"min_age": DELETE_MIN_AGE, "actions": {"delete": {}}},
            },
        }
    }


def replicas_for(data_nodes: int) -> int:
    """Return the replica count that keeps an index green on `data_nodes` nodes."""
    return 1 if data_nodes > 1 else 0


def template_body(alias: str, *, replicas: int, with_ilm: bool) -> dict[str, Any]:
    """Return the body of `PUT _index_template/gmail-emails-template`.

    The template declares no alias: an index created by a rollover would then
    claim the alias too, and the rollover fails.
    """
    settings: dict[str, Any] = {
        "index.number_of_shards": 1,
        "index.number_of_replicas": replicas,
    }
    if with_ilm:
        settings["index.lifecycle.name"] = POLICY_NAME
        settings["index.lifecycle.rollover_alias"] = alias
    return {
        "index_patterns": [f"{alias}-*"],
        "priority": TEMPLATE_PRIORITY,
        "template": {"settings": settings, "mappings": MAPPINGS},
        "_meta": {"managed_by": "applylens", "with_ilm": with_ilm},
    }


# Reading the cluster's answers


@dataclass(frozen=True)
class IndexLifecycle:
    """One index of an ILM explain answer."""

    index: str
    managed: bool
    policy: str | None = None
    phase: str | None = None
    action: str | None = None
    step: str | None = None
    failed_step: str | None = None
    error: str | None = None

    @property
    def is_failed(self) -> bool:
        return self.step == "ERROR"


def parse_explain(answer: dict[str, Any]) -> list[IndexLifecycle]:
    """Read the answer of `GET <target>/_ilm/explain`, sorted by index name."""
    states = []
    for name, entry in sorted(answer.get("indices", {}).items()):
        step_info = entry.get("step_info") or {}
        error = step_info.get("reason") or step_info.get("type")
        states.append(
            IndexLifecycle(
                index=entry.get("index", name),
                managed=bool(entry.get("managed")),
                policy=entry.get("policy"),
                phase=entry.get("phase"),
                action=entry.get("action"),
                step=entry.get("step"),
                failed_step=entry.get("failed_step"),
                error=error if entry.get("step") == "ERROR" else None,
            )
        )
    return states


def policy_matches(answer: dict[str, Any], name: str = POLICY_NAME) -> bool:
    """Tell whether a `GET _ilm/policy/<name>` response contains the expected
    phases."""
    current = answer.get(name, {}).get("policy", {})
    expected = policy_body()["policy"]
    # Elasticsearch echoes defaults it filled in, such as the delete action's
    # delete_searchable_snapshot, so extra values inside a phase are allowed.
    # An extra phase is still a difference, because it changes the lifecycle.
    phases = _normalized(current.get("phases") or {})
    wanted = _normalized(expected["phases"])
    return set(phases) == set(wanted) and _includes(phases, wanted)


def _includes(current: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(current, dict) and all(
            key in current and _includes(current[key], value)
            for key, value in expected.items()
        )
    return bool(current == expected)


def template_matches(answer: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Return what differs between a `GET _index_template/<name>` answer and
    the expected body; an empty list means it matches."""
    templates = answer.get("index_templates") or []
    if not templates:
        return ["missing"]
    current = templates[0]["index_template"]
    problems = []
    if current.get("index_patterns") != expected["index_patterns"]:
        problems.append(f"index_patterns {current.get('index_patterns')!r}")
    template = current.get("template", {})
    if template.get("aliases"):
        problems.append(f"declares aliases {sorted(template['aliases'])!r}")
    got_settings = _flat(template.get("settings", {}))
    want_settings = _flat(expected["template"]["settings"])
    for key, value in want_settings.items():
        if got_settings.get(key) != value:
            problems.append(f"{key} is {got_settings.get(key)!r}, expected {value!r}")
    for key in sorted(set(got_settings) - set(want_settings)):
        if key.startswith("index.lifecycle."):
            problems.append(f"{key} is set but not expected")
    got_mappings = _normalized(template.get("mappings", {}))
    if got_mappings != _normalized(expected["template"]["mappings"]):
        problems.append("mappings differ from this version's mappings")
    return problems


def _flat(settings: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
        else:
            flat[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return {
        (key if key.startswith("index.") else f"index.{key}"): value
        for key, value in flat.items()
    }


def _normalized(value: Any) -> Any:
    """Return `value` with scalars as strings, as Elasticsearch echoes them."""
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def is_missing_feature(exc: ApiError) -> bool:
    """Tell whether an error answer means the endpoint does not exist at all."""
    if exc.meta.status not in (400, 404, 405):
        return False
    text = f"{exc.message} {exc.body}"
    return (
        "no handler found" in text
        or "Incorrect HTTP method" in text
        or ("invalid_index_name_exception" in text and "[_" in text)
    )


# Operations


@dataclass
class ClusterLayout:
    """The parts of the layout present on the cluster."""

    alias_indices: dict[str, bool] = field(default_factory=dict)
    plain_index: bool = False

    @property
    def write_indices(self) -> list[str]:
        return sorted(
            name for name, is_writer in self.alias_indices.items() if is_writer
        )


class IlmManager:
    """The `applylens es` operations on one cluster and alias."""

    def __init__(
        self,
        client: Elasticsearch,
        *,
        url: str,
        alias: str = DEFAULT_ALIAS,
        echo: Echo = print,
    ) -> None:
        self.client = client
        self.url = redact_url(url)
        self.alias = alias
        self.echo = echo

    # Cluster access

    def _call(self, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except (ApiError, TransportError) as exc:
            raise BackendUnavailable(
                "elasticsearch", self.url, SETTING, describe_error(exc)
            ) from exc

    def ilm_problem(self) -> str | None:
        """Return why the cluster has no ILM, or None when it has ILM."""
        try:
            self.client.ilm.get_lifecycle(name=POLICY_NAME)
        except NotFoundError as exc:
            if is_missing_feature(exc):
                return describe_error(exc)
            return None
        except ApiError as exc:
            if is_missing_feature(exc):
                return describe_error(exc)
            raise BackendUnavailable(
                "elasticsearch", self.url, SETTING, describe_error(exc)
            ) from exc
        except TransportError as exc:
            raise BackendUnavailable(
                "elasticsearch", self.url, SETTING, describe_error(exc)
            ) from exc
        return None

    def _require_ilm(self, with_ilm: bool) -> bool:
        """Return whether ILM steps run; raise when ILM is wanted but missing."""
        if not with_ilm:
            self.echo(f"policy {POLICY_NAME}: skipped (--without-ilm)")
            return False
        problem = self.ilm_problem()
        if problem is None:
            return True
        raise IlmUnavailable(
            f"The cluster at {self.url} has no index lifecycle management "
            f"(GET _ilm/policy answered {problem}), so nothing was changed: use "
            "an Elasticsearch build with ILM, or rerun with --without-ilm to set "
            "up the template and indices and keep mail by APPLYLENS_RETENTION_DAYS "
            "alone."
        )

    def layout(self) -> ClusterLayout:
        if self._call(lambda: self.client.indices.exists_alias(name=self.alias)):
            answer = self._call(lambda: self.client.indices.get_alias(name=self.alias))
            return ClusterLayout(
                alias_indices={
                    index: bool(entry["aliases"][self.alias].get("is_write_index"))
                    for index, entry in answer.items()
                }
            )
        plain = self._call(lambda: self.client.indices.exists(index=self.alias))
        return ClusterLayout(plain_index=bool(plain))

    def _data_nodes(self) -> int:
        health = self._call(lambda: self.client.cluster.health())
        return int(health["number_of_data_nodes"])

    # setup-ilm

    def setup(self, *, with_ilm: bool = True) -> None:
        """Create or update the policy and template and bootstrap the alias."""
        layout = self.layout()
        if layout.plain_index:
            raise IlmError(
                f"{self.alias!r} at {self.url} is a plain index, so it cannot "
                "become the alias: run `applylens es migrate` to move its mail "
                "into the lifecycle layout"
            )
        ilm = self._require_ilm(with_ilm)
        if ilm:
            self.ensure_policy()
        self.ensure_template(with_ilm=ilm)
        self._bootstrap(layout)
        if ilm:
            self._attach_policy(layout)

    def ensure_policy(self) -> None:
        answer: dict[str, Any]
        try:
            answer = dict(self.client.ilm.get_lifecycle(name=POLICY_NAME))
        except NotFoundError:
            answer = {}
        except (ApiError, TransportError) as exc:
            raise BackendUnavailable(
                "elasticsearch", self.url, SETTING, describe_error(exc)
            ) from exc
        if answer and policy_matches(answer):
            self.echo(f"policy {POLICY_NAME}: unchanged")
            return
        body = policy_body()
        self._call(
            lambda: self.client.ilm.put_lifecycle(
                name=POLICY_NAME, policy=body["policy"]
            )
        )
        verb = "updated" if answer else "created"
        self.echo(
            f"policy {POLICY_NAME}: {verb} (rollover at {ROLLOVER_MAX_AGE} or "
            f"{ROLLOVER_MAX_PRIMARY_SHARD_SIZE} per primary shard, delete "
            f"{DELETE_MIN_AGE} after rollover)"
        )

    def expected_template(self, *, with_ilm: bool) -> dict[str, Any]:
        return template_body(
            self.alias, replicas=replicas_for(self._data_nodes()), with_ilm=with_ilm
        )

    def _get_template(self) -> dict[str, Any]:
        try:
            return dict(self.client.indices.get_index_template(name=TEMPLATE_NAME))
        except NotFoundError:
            return {}
        except (ApiError, TransportError) as exc:
            raise BackendUnavailable(
                "elasticsearch", self.url, SETTING, describe_error(exc)
            ) from exc

    def ensure_template(self, *, with_ilm: bool) -> None:
        expected = self.expected_template(with_ilm=with_ilm)
        current = self._get_template()
        if current and not template_matches(current, expected):
            self.echo(f"template {TEMPLATE_NAME}: unchanged")
            return
        self._call(
            lambda: self.client.indices.put_index_template(
                name=TEMPLATE_NAME, body=expected
            )
        )
        replicas = expected["template"]["settings"]["index.number_of_replicas"]
        lifecycle = f"policy {POLICY_NAME}" if with_ilm else "no lifecycle policy"
        verb = "updated" if current else "created"
        self.echo(
            f"template {TEMPLATE_NAME}: {verb} for {self.alias}-* "
            f"({replicas} replicas, {lifecycle})"
        )

    def _bootstrap(self, layout: ClusterLayout) -> None:
        if layout.alias_indices:
            writers = layout.write_indices
            if len(writers) == 1:
                self.echo(f"alias {self.alias}: unchanged, write index {writers[0]}")
                return
            raise IlmError(
                f"the alias {self.alias!r} has {len(writers)} write indices among "
                f"{sorted(layout.alias_indices)}, expected exactly one: mark the "
                "newest with is_write_index true (POST _aliases) and run "
                "`applylens es verify`"
            )
        first = bootstrap_index(self.alias)
        aliases = {self.alias: {"is_write_index": True}}
        if self._call(lambda: self.client.indices.exists(index=first)):
            self._call(
                lambda: self.client.indices.put_alias(
                    index=first, name=self.alias, is_write_index=True
                )
            )
            self.echo(f"alias {self.alias}: added to existing {first} as write index")
        else:
            self._call(lambda: self.client.indices.create(index=first, aliases=aliases))
            self.echo(f"index {first}: created as write index of alias {self.alias}")
        layout.alias_indices = {first: True}

    def _attach_policy(self, layout: ClusterLayout) -> None:
        """Put indices that were set up without ILM under the policy."""
        for index in sorted(layout.alias_indices):
            settings = self._index_settings(index)
            if settings.get("index.lifecycle.name") == POLICY_NAME:
                continue
            self._call(
                partial(
                    self.client.indices.put_settings,
                    index=index,
                    settings={
                        "index.lifecycle.name": POLICY_NAME,
                        "index.lifecycle.rollover_alias": self.alias,
                    },
                )
            )
            self.echo(f"index {index}: now managed by policy {POLICY_NAME}")

    def _index_settings(self, index: str) -> dict[str, str]:
        answer = self._call(
            lambda: self.client.indices.get_settings(index=index, flat_settings=True)
        )
        return dict(answer[index]["settings"])

    # verify

    def verify(self, *, with_ilm: bool = True) -> bool:
        """Print one line per check; return whether every check passed."""
        checks = Checks(self.echo)
        ilm = False
        if not with_ilm:
            checks.skipped("ilm", "not checked (--without-ilm)")
        elif (problem := self.ilm_problem()) is not None:
            checks.failed("ilm", f"the cluster has no ILM ({problem})")
        else:
            checks.passed("ilm", "the cluster has index lifecycle management")
            ilm = True

        self._verify_policy(checks, ilm)
        self._verify_template(checks, with_ilm=with_ilm)
        layout = self.layout()
        self._verify_alias(checks, layout)
        self._verify_managed(checks, layout, ilm)
        return checks.all_passed

    def _verify_policy(self, checks: Checks, ilm: bool) -> None:
        if not ilm:
            checks.skipped("policy", f"{POLICY_NAME} needs ILM")
            return
        try:
            answer = dict(self.client.ilm.get_lifecycle(name=POLICY_NAME))
        except NotFoundError:
            checks.failed("policy", f"{POLICY_NAME} is missing: run setup-ilm")
            return
        except (ApiError, TransportError) as exc:
            raise BackendUnavailable(
                "elasticsearch", self.url, SETTING, describe_error(exc)
            ) from exc
        if policy_matches(answer):
            checks.passed("policy", f"{POLICY_NAME} is present and matches")
        else:
            checks.failed("policy", f"{POLICY_NAME} differs: run setup-ilm")

    def _verify_template(self, checks: Checks, *, with_ilm: bool) -> None:
        current = self._get_template()
        if not current:
            checks.failed("template", f"{TEMPLATE_NAME} is missing: run setup-ilm")
            return
        problems = template_matches(current, self.expected_template(with_ilm=with_ilm))
        if problems:
            checks.failed("template", f"{TEMPLATE_NAME} differs: {'; '.join(problems)}")
        else:
            checks.passed("template", f"{TEMPLATE_NAME} is present and matches")

    def _verify_alias(self, checks: Checks, layout: ClusterLayout) -> None:
        if layout.plain_index:
            checks.failed(
                "alias", f"{self.alias} is a plain index: run `applylens es migrate`"
            )
            return
        if not layout.alias_indices:
            checks.failed("alias", f"{self.alias} is missing: run setup-ilm")
            return
        writers = layout.write_indices
        names = ", ".join(sorted(layout.alias_indices))
        if len(writers) == 1:
            checks.passed(
                "write index", f"{writers[0]} is the only write index ({names})"
            )
        else:
            checks.failed(
                "write index",
                f"{len(writers)} write indices {writers!r} among {names}, "
                "expected exactly one",
            )

    def _verify_managed(self, checks: Checks, layout: ClusterLayout, ilm: bool) -> None:
        if not ilm:
            checks.skipped("managed", "index lifecycle states need ILM")
            return
        if not layout.alias_indices:
            checks.failed("managed", "no index to check")
            return
        answer = self._call(lambda: self.client.ilm.explain_lifecycle(index=self.alias))
        states = parse_explain(dict(answer))
        unmanaged = [
            s.index for s in states if not s.managed or s.policy != POLICY_NAME
        ]
        if unmanaged:
            checks.failed("managed", f"not under {POLICY_NAME}: {', '.join(unmanaged)}")
        else:
            checks.passed("managed", f"{len(states)} indices under {POLICY_NAME}")
        failed = [s for s in states if s.is_failed]
        if failed:
            details = "; ".join(
                f"{s.index} failed at {s.failed_step}: {s.error}" for s in failed
            )
            checks.failed("errors", details)
        else:
            checks.passed("errors", "no index is in the ERROR step")

    # rollover

    def rollover(self, *, force: bool = False) -> None:
        layout = self.layout()
        writers = layout.write_indices
        if len(writers) != 1:
            raise IlmError(
                f"cannot roll over {self.alias!r}: it has {len(writers)} write "
                "indices, expected exactly one: run `applylens es setup-ilm` and "
                "`applylens es verify`"
            )
        writer = writers[0]
        documents = self._count(writer)
        if documents == 0 and not force:
            self.echo(
                f"rollover: skipped, write index {writer} holds no mail "
                "(use --force to roll over anyway)"
            )
            return
        answer = self._call(lambda: self.client.indices.rollover(alias=self.alias))
        self.echo(
            f"rollover: {answer['old_index']} ({documents} messages) -> "
            f"{answer['new_index']}, which is now the write index of {self.alias}"
        )

    def _count(self, index: str) -> int:
        return int(self._call(lambda: self.client.count(index=index))["count"])

    # rollback

    def rollback(self) -> None:
        """Detach the policy and remove template and policy; keep the data."""
        layout = self.layout()
        ilm = self.ilm_problem() is None
        indices = sorted(layout.alias_indices)
        if ilm:
            self._detach_policy(indices)
        else:
            self.echo("policy: the cluster has no ILM, so no index has a policy")
        self._delete_template()
        if ilm:
            self._delete_policy()
        if indices:
            total = self._count(self.alias)
            self.echo(
                f"alias {self.alias}: kept, {total} messages in "
                f"{len(indices)} indices stay searchable"
            )

    def _detach_policy(self, indices: list[str]) -> None:
        detached = 0
        for index in indices:
            if not self._index_settings(index).get("index.lifecycle.name"):
                continue
            self._call(partial(self.client.ilm.remove_policy, index=index))
            self._call(
                partial(
                    self.client.indices.put_settings,
                    index=index,
                    settings={"index.lifecycle.rollover_alias": None},
                )
            )
            self.echo(f"index {index}: policy detached")
            detached += 1
        if not detached:
            self.echo("policy: no index under the alias has a policy")

    def _delete_template(self) -> None:
        if not self._get_template():
            self.echo(f"template {TEMPLATE_NAME}: already absent")
            return
        self._call(
            lambda: self.client.indices.delete_index_template(name=TEMPLATE_NAME)
        )
        self.echo(f"template {TEMPLATE_NAME}: deleted")

    def _delete_policy(self) -> None:
        try:
            self.client.ilm.delete_lifecycle(name=POLICY_NAME)
        except NotFoundError:
            self.echo(f"policy {POLICY_NAME}: already absent")
            return
        except (ApiError, TransportError) as exc:
            raise BackendUnavailable(
                "elasticsearch", self.url, SETTING, describe_error(exc)
            ) from exc
        self.echo(f"policy {POLICY_NAME}: deleted")

    # migrate

    def migrate(
        self,
        *,
        with_ilm: bool = True,
        sample_size: int = MIGRATE_SAMPLE_SIZE,
        abort: bool = False,
    ) -> None:
        """Move a plain index named like the alias under the lifecycle layout."""
        Migration(self, sample_size=sample_size).run(with_ilm=with_ilm, abort=abort)


class Checks:
    """Printed results of `verify`, one line each."""

    def __init__(self, echo: Echo) -> None:
        self.echo = echo
        self.all_passed = True

    def passed(self, name: str, detail: str) -> None:
        self.echo(f"ok    {name}: {detail}")

    def failed(self, name: str, detail: str) -> None:
        self.all_passed = False
        self.echo(f"FAIL  {name}: {detail}")

    def skipped(self, name: str, detail: str) -> None:
        self.echo(f"skip  {name}: {detail}")


@dataclass(frozen=True)
class Mismatch:
    doc_id: str
    reason: str


def compare_documents(
    source: dict[str, dict[str, Any]], target: dict[str, dict[str, Any]]
) -> list[Mismatch]:
    """Compare sampled documents by id and content hash (token fields aside)."""
    mismatches = []
    for doc_id, document in sorted(source.items()):
        copied = target.get(doc_id)
        if copied is None:
            mismatches.append(Mismatch(doc_id, "missing from the copy"))
        elif content_hash(document) != content_hash(copied):
            mismatches.append(Mismatch(doc_id, "content differs"))
    return mismatches


class Migration:
    """Copy a plain index into `<alias>-000001` and swap it for the alias.

    The copy goes through this client rather than the `_reindex` API so that
    each document gets the token fields of the current mappings, and because
    minimal builds lack the reindex module.
    """

    def __init__(self, manager: IlmManager, *, sample_size: int) -> None:
        self.manager = manager
        self.client = manager.client
        self.alias = manager.alias
        self.target = bootstrap_index(manager.alias)
        self.sample_size = sample_size
        self.echo = manager.echo

    def run(self, *, with_ilm: bool, abort: bool) -> None:
        layout = self.manager.layout()
        if abort:
            self._abort(layout)
            return
        if layout.alias_indices:
            self.echo(
                f"migrate: nothing to do, {self.alias} is already an alias over "
                f"{', '.join(sorted(layout.alias_indices))}"
            )
            return
        if not layout.plain_index:
            raise IlmError(
                f"there is no index {self.alias!r} at {self.manager.url} to "
                "migrate: run `applylens es setup-ilm` to start with an empty layout"
            )
        ilm = self.manager._require_ilm(with_ilm)
        if ilm:
            self.manager.ensure_policy()
        self.manager.ensure_template(with_ilm=ilm)
        source_count = self._block_writes()
        self._create_target()
        started = time.monotonic()
        copied = self._copy()
        self.echo(
            f"copy: {copied} documents from {self.alias} into {self.target} "
            f"in {time.monotonic() - started:.1f}s"
        )
        self._check_copy(source_count)
        self._swap()

    def _block_writes(self) -> int:
        self.manager._call(
            lambda: self.client.indices.add_block(index=self.alias, block="write")
        )
        self.manager._call(lambda: self.client.indices.refresh(index=self.alias))
        count = self.manager._count(self.alias)
        self.echo(f"index {self.alias}: writes blocked, {count} documents")
        return count

    def _create_target(self) -> None:
        if self.manager._call(lambda: self.client.indices.exists(index=self.target)):
            existing = self.manager._count(self.target)
            self.echo(
                f"index {self.target}: exists with {existing} documents, "
                "copying into it again"
            )
            return
        self.manager._call(lambda: self.client.indices.create(index=self.target))
        self.echo(f"index {self.target}: created from template {TEMPLATE_NAME}")

    def _copy(self) -> int:
        actions = (
            {
                "_op_type": "index",
                "_index": self.target,
                "_id": hit["_id"],
                "_source": add_search_fields(hit["_source"]),
            }
            for hit in self._scan_source()
        )

        def run() -> int:
            done, _ = helpers.bulk(self.client, actions, chunk_size=_COPY_BATCH)
            return int(done)

        copied = self.manager._call(run)
        self.manager._call(lambda: self.client.indices.refresh(index=self.target))
        return copied

    def _scan_source(self) -> Iterator[dict[str, Any]]:
        yield from helpers.scan(
            self.client, index=self.alias, query={"query": {"match_all": {}}}
        )

    def _check_copy(self, source_count: int) -> None:
        target_count = self.manager._count(self.target)
        if target_count != source_count:
            self._stop(
                f"{self.alias} holds {source_count} documents but {self.target} "
                f"holds {target_count}"
            )
        sample = self._sample_source()
        copies = self._fetch(self.target, list(sample))
        mismatches = compare_documents(sample, copies)
        if mismatches:
            shown = "; ".join(f"{m.doc_id}: {m.reason}" for m in mismatches[:5])
            self._stop(
                f"{len(mismatches)} of {len(sample)} sampled documents differ ({shown})"
            )
        self.echo(
            f"check: {target_count} documents in both, {len(sample)} sampled ids "
            "and content hashes match"
        )

    def _sample_source(self) -> dict[str, dict[str, Any]]:
        seed = random.randrange(1 << 30)
        answer = self.manager._call(
            lambda: self.client.search(
                index=self.alias,
                size=self.sample_size,
                query={
                    "function_score": {
                        "query": {"match_all": {}},
                        "random_score": {"seed": seed, "field": "_seq_no"},
                    }
                },
            )
        )
        return {hit["_id"]: hit["_source"] for hit in answer["hits"]["hits"]}

    def _fetch(self, index: str, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not doc_ids:
            return {}
        answer = self.manager._call(lambda: self.client.mget(index=index, ids=doc_ids))
        return {d["_id"]: d["_source"] for d in answer["docs"] if d.get("found")}

    def _stop(self, reason: str) -> None:
        raise IlmError(
            f"migrate stopped before deleting anything: {reason}. {self.alias} "
            "still holds all its mail and stays write-blocked. Fix the cause and "
            "run `applylens es migrate` again to copy once more, or run "
            f"`applylens es migrate --abort` to delete {self.target} and lift "
            "the write block."
        )

    def _swap(self) -> None:
        actions: list[dict[str, Any]] = [
            {"remove_index": {"index": self.alias}},
            {
                "add": {
                    "index": self.target,
                    "alias": self.alias,
                    "is_write_index": True,
                }
            },
        ]
        self.manager._call(lambda: self.client.indices.update_aliases(actions=actions))
        self.echo(
            f"alias {self.alias}: replaced the old index in one alias action, "
            f"{self.target} is the write index"
        )

    def _abort(self, layout: ClusterLayout) -> None:
        if not layout.plain_index:
            self.echo(
                f"migrate --abort: nothing to undo, {self.alias} is not a plain index"
            )
            return
        if self.manager._call(lambda: self.client.indices.exists(index=self.target)):
            self.manager._call(lambda: self.client.indices.delete(index=self.target))
            self.echo(f"index {self.target}: deleted")
        self.manager._call(
            lambda: self.client.indices.put_settings(
                index=self.alias, settings={"index.blocks.write": None}
            )
        )
        self.echo(f"index {self.alias}: write block lifted")
