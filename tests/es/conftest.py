"""A real single-node Elasticsearch per pinned version, started once per session.

The nodes come from `scripts/fetch_elasticsearch.py`, which caches the
integ-test-zip builds. Tests that take `es_url` run once per version; pytest
groups them by version, so only one node runs at a time.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from elasticsearch import Elasticsearch

from applylens.mail.model import Message
from applylens.mail.parse import parse_message

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_fetch_script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "fetch_elasticsearch.py"
    spec = importlib.util.spec_from_file_location("fetch_elasticsearch", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fetch_elasticsearch = _load_fetch_script()


@dataclass(frozen=True)
class Node:
    version: str
    url: str


@pytest.fixture(scope="session", params=fetch_elasticsearch.PINNED_VERSIONS)
def es_node(request: pytest.FixtureRequest) -> Iterator[Node]:
    node = fetch_elasticsearch.LocalNode(request.param)
    try:
        url = node.start()
    except (RuntimeError, TimeoutError) as exc:
        pytest.fail(f"Elasticsearch {request.param} did not start: {exc}")
    try:
        yield Node(request.param, url)
    finally:
        node.stop()


@pytest.fixture
def es_client(es_node: Node) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_node.url, request_timeout=60)
    _wipe(client)
    yield client
    client.close()


@pytest.fixture
def es_url(
    es_node: Node, es_client: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The URL of a cluster emptied for this test, also set as APPLYLENS_ES_URL."""
    monkeypatch.setenv("APPLYLENS_ES_URL", es_node.url)
    monkeypatch.setenv("APPLYLENS_BACKEND", "elasticsearch")
    # The corpus mail is from 2002; retention tests set their own window.
    monkeypatch.setenv("APPLYLENS_RETENTION_DAYS", "0")
    from applylens.config import get_settings

    get_settings.cache_clear()
    return es_node.url


def _wipe(client: Elasticsearch) -> None:
    client.indices.delete(
        index="*", expand_wildcards="open,closed", ignore_unavailable=True
    )
    answer = client.indices.get_index_template()
    for template in answer["index_templates"]:
        if not template["name"].startswith("."):
            client.indices.delete_index_template(name=template["name"])


OWNER = "alice@example.org"
IMPORTED_AT = datetime(2026, 1, 15, tzinfo=UTC)
_MAIL_FOLDERS = ("spamassassin/easy-ham-1", "spamassassin/spam-1")
# Japanese mail, whose words have no spaces between them.
_CJK_FILES = (
    "spamassassin/hard-ham-1/00039.b2b936a8501444b213f61f9ff193b480.txt",
    "spamassassin/hard-ham-1/00042.5b7f2a0e87c853e8c8e13d556c1320d2.txt",
    "spamassassin/spam-1/00325.58d1a52f435030dc38568bc12a3d76a2.txt",
    "spamassassin/spam-1/00327.7f21bc8575786a0e00341a6407b9f286.txt",
)


@pytest.fixture
def owner() -> str:
    return OWNER


@pytest.fixture(scope="session")
def real_messages(corpora: Path) -> list[Message]:
    """About 600 real messages from the SpamAssassin corpus, parsed once."""
    paths = [corpora / name for name in _CJK_FILES]
    for folder in _MAIL_FOLDERS:
        files = sorted(p for p in (corpora / folder).iterdir() if p.is_file())
        paths.extend(files[:300])
    return [
        parse_message(
            path.read_bytes(),
            owner=OWNER,
            source=str(path),
            file_mtime=None,
            now=IMPORTED_AT,
        )
        for path in paths
    ]
