"""The Elasticsearch search backend.

Reads go through the alias (`gmail_emails` by default) and new mail goes to its
write index. A change to a stored message is written to the concrete index that
contains it, because after a rollover the write index is not where old mail lives.
The alias and its indices are created by `applylens es setup-ilm` or
`applylens es migrate`, never by this module: every write sets `require_alias`,
so a missing alias fails instead of auto-creating a plain index.

Full-text fields are tokenized here, with the tokenizer of the query language
(`text_tokens`) and the diacritic folding of SQLite's unicode61 tokenizer, and
sent as space-separated tokens to fields with the built-in `whitespace`
analyzer. Both backends therefore index the same tokens, whatever analysis
modules the cluster has, and rank with BM25 over the same field weights.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers

from applylens.errors import BackendNotReady, BackendUnavailable, NotFound
from applylens.mail.model import Attachment, Message, Unsubscribe, make_doc_id
from applylens.store.base import AddStats, SearchHit, SearchRequest, SearchResult
from applylens.store.query import RETOKENIZED_RE, WORD_RE, Term, text_tokens
from applylens.store.sqlite_search import SearchPlan, label_mask, plan_search

if TYPE_CHECKING:
    from applylens.config import Settings

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_BATCH = 500
_MAX_THREAD = 10_000
_SNIPPET_WORDS = 24
SETTING = "APPLYLENS_ES_URL"

# Field weights of the SQLite store's bm25(): subject 4, sender 2, body 1 and
# recipients 0.5.
FIELD_BOOSTS = {
    "subject_terms": 4.0,
    "sender_terms": 2.0,
    "body_terms": 1.0,
    "recipients_terms": 0.5,
}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
_TERM_FIELDS = {
    "any": ("subject_terms", "sender_terms", "body_terms"),
    "from": ("sender_terms",),
    "to": ("recipients_terms",),
    "subject": ("subject_terms",),
}
_REPORTED_FIELDS = {
    "subject_terms": "subject",
    "sender_terms": "sender",
    "body_terms": "body",
    "recipients_terms": "recipients",
}

_KEYWORD = {"type": "keyword"}
_TOKENS = {"type": "text", "analyzer": "whitespace"}

# Raise MAPPINGS_VERSION whenever MAPPINGS changes, so that `applylens es
# verify` reports a template written by an older version.
MAPPINGS_VERSION = 1
MAPPINGS: dict[str, Any] = {
    "dynamic": "false",
    "_meta": {"applylens_mappings_version": MAPPINGS_VERSION},
    "properties": {
        "doc_id": _KEYWORD,
        "owner": _KEYWORD,
        "key": _KEYWORD,
        "message_id": _KEYWORD,
        "thread_id": _KEYWORD,
        "date": {"type": "date"},
        "labels": _KEYWORD,
        "sender_address": _KEYWORD,
        "sender_domain": _KEYWORD,
        "risk_score": {"type": "integer"},
        "message": {"type": "object", "enabled": False},
        **{name: _TOKENS for name in SEARCH_FIELDS},
    },
}


# Documents


def fold(token: str) -> str:
    """Remove diacritics from a lowercased token, as unicode61's
    remove_diacritics does for Latin letters ("résumé" becomes "resume")."""
    if token.isascii():
        return token
    decomposed = unicodedata.normalize("NFD", token)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped)


_ASCII_WORD_RE = re.compile(r"[a-z0-9]+")


def search_tokens(text: str) -> list[str]:
    """Return the indexed tokens of `text`: `text_tokens`, with diacritics folded."""
    if text.isascii():
        return _ASCII_WORD_RE.findall(text.lower())
    if RETOKENIZED_RE.search(text) is not None:
        return [fold(token) for token in text_tokens(text)]
    return [fold(word.lower()) for word in WORD_RE.findall(text)]


def _joined_tokens(text: str) -> str:
    return " ".join(search_tokens(text))


def message_to_document(message: Message) -> dict[str, Any]:
    """Return the stored form of a message: indexed fields plus the message."""
    owner = message.owner.strip().lower()
    stored = _stored_fields(message)
    stored["owner"] = owner
    stored["date"] = _iso(message.date)
    document: dict[str, Any] = {
        "doc_id": make_doc_id(owner, message.key),
        "owner": owner,
        "key": message.key,
        "message_id": message.message_id,
        "thread_id": message.thread_id,
        "date": stored["date"],
        "labels": list(dict.fromkeys(message.labels)),
        "sender_address": message.sender.strip().lower(),
        "sender_domain": message.sender_domain.strip().lower(),
        "risk_score": message.risk_score,
        "message": stored,
    }
    return add_search_fields(document)


_STORED_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(Message)
    if f.name not in ("labels", "thread_id", "attachments", "unsubscribe")
)


def _stored_fields(message: Message) -> dict[str, Any]:
    # dataclasses.asdict deep-copies every value and costs more than the
    # whole tokenization; only lists need copying here.
    stored: dict[str, Any] = {}
    for name in _STORED_FIELDS:
        value = getattr(message, name)
        stored[name] = list(value) if isinstance(value, list) else value
    stored["attachments"] = [dataclasses.asdict(a) for a in message.attachments]
    unsubscribe = message.unsubscribe
    stored["unsubscribe"] = dataclasses.asdict(unsubscribe) if unsubscribe else None
    return stored


def add_search_fields(document: dict[str, Any]) -> dict[str, Any]:
    """Fill the token fields of a stored document from its message, in place."""
    stored = document.get("message")
    if not isinstance(stored, dict):
        return document
    sender = f"{stored.get('sender_name') or ''} {stored.get('sender') or ''}"
    recipients = " ".join([*(stored.get("to") or []), *(stored.get("cc") or [])])
    document["subject_terms"] = _joined_tokens(stored.get("subject") or "")
    document["sender_terms"] = _joined_tokens(sender)
    document["body_terms"] = _joined_tokens(stored.get("text") or "")
    document["recipients_terms"] = _joined_tokens(recipients)
    return document


# The source fields a search without text leaves out.
_TEXT_FIELDS = ["message.text", "message.html"]


def document_to_message(document: dict[str, Any]) -> Message:
    stored = document["message"]
    known = {f.name for f in dataclasses.fields(Message)}
    fields = {name: value for name, value in stored.items() if name in known}
    unsubscribe = stored.get("unsubscribe")
    fields["date"] = datetime.fromisoformat(stored["date"])
    fields["labels"] = list(document.get("labels") or [])
    fields["thread_id"] = document.get("thread_id") or ""
    fields["attachments"] = [Attachment(**a) for a in stored.get("attachments") or []]
    fields["unsubscribe"] = Unsubscribe(**unsubscribe) if unsubscribe else None
    return Message(**fields)


def content_hash(document: dict[str, Any]) -> str:
    """Return a hash of a stored document without its derived token fields."""
    original = {k: v for k, v in document.items() if k not in FIELD_BOOSTS}
    canonical = json.dumps(original, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def redact_url(url: str) -> str:
    """Return `url` without the user name and password, for messages."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def open_client(url: str, *, request_timeout: float = 30.0) -> Elasticsearch:
    return Elasticsearch(url, request_timeout=request_timeout, max_retries=1)


def describe_error(exc: Exception) -> str:
    """Return a one-line description of an elasticsearch client exception."""
    if isinstance(exc, ApiError):
        return f"HTTP {exc.meta.status}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


# Queries


def build_query(plan: SearchPlan) -> dict[str, Any]:
    """Translate a search plan into an Elasticsearch bool query."""
    filters: list[dict[str, Any]] = [{"term": {"owner": plan.owner}}]
    date_range: dict[str, str] = {}
    if plan.effective_after:
        date_range["gte"] = _iso(plan.effective_after)
    if plan.before:
        date_range["lt"] = _iso(plan.before)
    if date_range:
        filters.append({"range": {"date": date_range}})
    filters.extend({"term": {"labels": label}} for label in plan.labels)
    if plan.sender_address:
        filters.append({"term": {"sender_address": plan.sender_address}})
    if plan.sender_domain:
        filters.append(_domain_filter(plan.sender_domain))

    must = [_term_clause(t) for t in plan.terms if not t.negated]
    must_not = [_term_clause(t) for t in plan.terms if t.negated]
    query: dict[str, Any] = {"filter": filters}
    if must:
        query["must"] = must
    if must_not:
        query["must_not"] = must_not
    return {"bool": query}


def _domain_filter(domain: str) -> dict[str, Any]:
    return {
        "bool": {
            "should": [
                {"term": {"sender_domain": domain}},
                {"wildcard": {"sender_domain": {"value": "*." + _escape(domain)}}},
            ],
            "minimum_should_match": 1,
        }
    }


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def _term_clause(term: Term) -> dict[str, Any]:
    tokens = [fold(token) for token in term.tokens]
    fields = _TERM_FIELDS[term.field]
    if term.phrase:
        return _phrase_clause(" ".join(tokens), fields)
    if term.prefix:
        clauses = [_prefix_clause(tokens[0], field) for field in fields]
        return {"bool": {"should": clauses, "minimum_should_match": 1}}
    if term.field == "from":
        # As in the SQLite store, a word of a from: value also matches the
        # start of a longer word, so from:green finds greenhouse.io.
        clauses = [_prefix_clause(token, fields[0]) for token in tokens]
        return {"bool": {"must": clauses}}
    words = [_word_clause(forms, fields) for forms in term.word_forms]
    return words[0] if len(words) == 1 else {"bool": {"must": words}}


def _word_clause(forms: tuple[str, ...], fields: Sequence[str]) -> dict[str, Any]:
    """Match any of a word's forms (see Term.word_forms) in `fields`."""
    clauses = [_fields_match(fold(form), fields) for form in forms]
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _fields_match(token: str, fields: Sequence[str]) -> dict[str, Any]:
    if " " in token:
        # A word of Chinese or Japanese text, one token per character.
        return _phrase_clause(token, fields)
    if len(fields) == 1:
        # combined_fields rejects boosts below 1, which recipients has.
        name = fields[0]
        return {"match": {name: {"query": token, "boost": FIELD_BOOSTS[name]}}}
    boosted = [f"{name}^{FIELD_BOOSTS[name]:g}" for name in fields]
    return {"combined_fields": {"query": token, "fields": boosted}}


def _phrase_clause(phrase: str, fields: Sequence[str]) -> dict[str, Any]:
    should = [
        {"match_phrase": {name: {"query": phrase, "boost": FIELD_BOOSTS[name]}}}
        for name in fields
    ]
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _prefix_clause(token: str, field: str) -> dict[str, Any]:
    # An exact token scores with BM25; a longer word that starts with it still
    # matches, at a constant score.
    boost = FIELD_BOOSTS[field]
    return {
        "bool": {
            "should": [
                {"match": {field: {"query": token, "boost": boost}}},
                {"prefix": {field: {"value": token, "boost": 0.1}}},
            ],
            "minimum_should_match": 1,
        }
    }


def _sort(plan: SearchPlan) -> list[Any]:
    by_date = [{"date": {"order": "desc"}}, {"doc_id": {"order": "desc"}}]
    if plan.sort == "date" or not any(not t.negated for t in plan.terms):
        return by_date
    return [{"_score": {"order": "desc"}}, *by_date]


def describe_hit(document: dict[str, Any], plan: SearchPlan) -> tuple[list[str], str]:
    """Return the fields a hit matched in and a snippet of its body."""
    wanted = [t for t in plan.terms if not t.negated]
    matched: list[str] = []
    for name in SEARCH_FIELDS:
        present = set((document.get(name) or "").split())
        if any(_term_in(term, name, present) for term in wanted):
            matched.append(_REPORTED_FIELDS[name])
    if plan.labels:
        matched.append("label")
    snippet = ""
    if "body" in matched:
        snippet = _body_snippet(document["message"].get("text") or "", wanted)
    return matched, snippet


def _term_in(term: Term, field: str, present: set[str]) -> bool:
    if field not in _TERM_FIELDS[term.field]:
        return False
    tokens = [fold(token) for token in term.tokens]
    if term.field == "from" and not term.phrase:
        return all(any(p.startswith(t) for p in present) for t in tokens)
    if term.phrase:
        return all(token in present for token in tokens)
    return all(
        any(present.issuperset(fold(form).split(" ")) for form in forms)
        for forms in term.word_forms
    )


def _body_snippet(text: str, terms: Sequence[Term]) -> str:
    wanted = {fold(token) for term in terms for token in term.tokens}
    words = text.split()
    for index, word in enumerate(words):
        if wanted.intersection(search_tokens(word)):
            start = max(0, index - _SNIPPET_WORDS // 3)
            window = words[start : start + _SNIPPET_WORDS]
            prefix = "…" if start > 0 else ""
            suffix = "…" if start + _SNIPPET_WORDS < len(words) else ""
            return prefix + " ".join(window) + suffix
    return ""


def _leading_text(text: str, limit: int = 200) -> str:
    collapsed = " ".join(text[: limit * 4].split())
    if len(collapsed) <= limit:
        return collapsed
    return collapsed[:limit].rsplit(" ", 1)[0] + "…"


# The store


class ElasticsearchStore:
    """A `SearchBackend` over an Elasticsearch alias and its indices.

    With `retention_days` > 0, searches never return mail received more than
    that many days before the time of the search, even while the retention
    policy has not yet deleted the index that contains it.
    """

    name = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        *,
        url: str,
        alias: str = "gmail_emails",
        retention_days: int = 0,
    ) -> None:
        if retention_days < 0:
            raise ValueError(
                f"retention_days must be 0 (keep everything) or more, "
                f"not {retention_days!r}"
            )
        self.client = client
        self.url = redact_url(url)
        self.alias = alias
        self.retention_days = retention_days
        self._is_ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ElasticsearchStore:
        return cls(
            open_client(settings.es_url),
            url=settings.es_url,
            alias=settings.es_alias,
            retention_days=settings.retention_days,
        )

    def close(self) -> None:
        self.client.close()

    # Errors and readiness

    def _call(self, work: Callable[[], _T]) -> _T:
        """Run `work`, translating the client's exceptions."""
        try:
            return work()
        except (ApiError, TransportError) as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: ApiError | TransportError) -> Exception:
        if isinstance(exc, NotFoundError) and "index_not_found" in str(exc.error):
            return self._missing_alias()
        return BackendUnavailable(
            "elasticsearch", self.url, SETTING, describe_error(exc)
        )

    def _missing_alias(self) -> BackendNotReady:
        return BackendNotReady(
            f"the alias {self.alias!r} does not exist at {self.url}: run "
            "`applylens es setup-ilm` to create it (or `applylens es migrate` "
            "to move an existing index under it)"
        )

    def check(self) -> None:
        """Raise unless the alias exists and has a write index.

        A plain index named like the alias is rejected, because writing to it
        would bypass the retention policy.
        """
        indices = self._call(lambda: self._alias_indices())
        if indices is None:
            if self._call(lambda: self.client.indices.exists(index=self.alias)):
                raise BackendNotReady(
                    f"{self.alias!r} at {self.url} is a plain index, not an "
                    "alias: run `applylens es migrate` to move it under the "
                    "retention policy"
                )
            raise self._missing_alias()
        writers = [name for name, is_writer in indices.items() if is_writer]
        if len(writers) != 1 and len(indices) != 1:
            raise BackendNotReady(
                f"the alias {self.alias!r} at {self.url} has {len(writers)} write "
                f"indices among {sorted(indices)}, expected exactly one: run "
                "`applylens es verify` for details"
            )
        self._is_ready = True

    def _alias_indices(self) -> dict[str, bool] | None:
        """Map each index under the alias to whether it is the write index."""
        if not self.client.indices.exists_alias(name=self.alias):
            return None
        answer = self.client.indices.get_alias(name=self.alias)
        return {
            index: bool(entry["aliases"][self.alias].get("is_write_index"))
            for index, entry in answer.items()
        }

    def _ensure_ready(self) -> None:
        if not self._is_ready:
            self.check()

    # Writing

    def add_messages(self, messages: Iterable[Message]) -> AddStats:
        self._ensure_ready()
        stats = AddStats()
        seen: set[str] = set()
        for batch in _batches(messages, _BATCH):
            documents = []
            for message in batch:
                document = message_to_document(message)
                if document["doc_id"] in seen:
                    stats.duplicates += 1
                    continue
                seen.add(document["doc_id"])
                documents.append(document)
            self._add_batch(documents, stats)
        if stats.indexed:
            self._call(lambda: self.client.indices.refresh(index=self.alias))
        logger.debug(
            "stored %d messages, %d duplicates", stats.indexed, stats.duplicates
        )
        return stats

    def _add_batch(self, documents: list[dict[str, Any]], stats: AddStats) -> None:
        # An id stored in an older index of the alias is a duplicate too, but
        # creating it in the write index would not conflict, so look first.
        stored = self._existing_ids([d["doc_id"] for d in documents])
        fresh = [d for d in documents if d["doc_id"] not in stored]
        stats.duplicates += len(documents) - len(fresh)
        if not fresh:
            return
        operations: list[dict[str, Any]] = []
        for document in fresh:
            operations.append({"create": {"_id": document["doc_id"]}})
            operations.append(document)
        answer = self._call(
            lambda: self.client.bulk(
                operations=operations, index=self.alias, require_alias=True
            )
        )
        for item in answer["items"]:
            result = item["create"]
            if result["status"] == 201:
                stats.indexed += 1
                stats.stored_ids.append(result["_id"])
            elif result["status"] == 409:
                stats.duplicates += 1
            else:
                raise BackendUnavailable(
                    "elasticsearch",
                    self.url,
                    SETTING,
                    f"indexing {result.get('_id')!r} failed: {result.get('error')}",
                )

    def _existing_ids(self, doc_ids: list[str]) -> set[str]:
        answer = self._call(
            lambda: self.client.search(
                index=self.alias,
                query={"ids": {"values": doc_ids}},
                size=len(doc_ids),
                source=False,
            )
        )
        return {hit["_id"] for hit in answer["hits"]["hits"]}

    def _locate(self, owner: str, doc_id: str) -> str:
        """Return the concrete index that contains `doc_id` of `owner`."""
        answer = self._call(
            lambda: self.client.search(
                index=self.alias,
                query=_owner_ids_query(owner, [doc_id]),
                size=1,
                source=False,
            )
        )
        hits = answer["hits"]["hits"]
        if not hits:
            raise _not_found(owner, doc_id)
        return str(hits[0]["_index"])

    def set_labels(self, owner: str, doc_id: str, labels: Sequence[str]) -> None:
        label_mask(labels, strict=True)
        index = self._locate(owner, doc_id)
        self._call(
            lambda: self.client.update(
                index=index,
                id=doc_id,
                doc={"labels": list(dict.fromkeys(labels))},
                refresh=True,
            )
        )

    def merge_threads(self, owner: str, thread_ids: Sequence[str], into: str) -> int:
        sources = [t for t in dict.fromkeys(thread_ids) if t != into]
        if not sources:
            return 0
        query = _owner_query(owner, {"terms": {"thread_id": sources}})
        actions = (
            {
                "_op_type": "update",
                "_index": hit["_index"],
                "_id": hit["_id"],
                "doc": {"thread_id": into},
            }
            for hit in self._scan(query, source=False)
        )
        return self._bulk_to_concrete(actions)

    def purge_older_than(self, cutoff: datetime) -> int:
        query = {"range": {"date": {"lt": _iso(cutoff)}}}
        actions = (
            {"_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"]}
            for hit in self._scan(query, source=False)
        )
        return self._bulk_to_concrete(actions)

    def _bulk_to_concrete(self, actions: Iterable[dict[str, Any]]) -> int:
        def run() -> int:
            done, _errors = helpers.bulk(self.client, actions, refresh=True)
            return int(done)

        try:
            return self._call(run)
        except helpers.BulkIndexError as exc:
            raise BackendUnavailable(
                "elasticsearch", self.url, SETTING, f"bulk update failed: {exc}"
            ) from exc

    # Reading

    def _scan(
        self, query: dict[str, Any], *, source: bool = True
    ) -> Iterator[dict[str, Any]]:
        hits = iter(
            helpers.scan(
                self.client,
                index=self.alias,
                query={"query": query, "_source": source},
                size=_BATCH,
            )
        )
        while True:
            try:
                hit = self._call(lambda: next(hits, None))
            except helpers.ScanError as exc:
                raise BackendUnavailable(
                    "elasticsearch", self.url, SETTING, str(exc)
                ) from exc
            if hit is None:
                return
            yield hit

    def contains(self, owner: str, key: str) -> bool:
        doc_id = make_doc_id(owner.strip().lower(), key)
        query = _owner_ids_query(owner, [doc_id])
        answer = self._call(lambda: self.client.count(index=self.alias, query=query))
        return int(answer["count"]) > 0

    def stored_content_hash(self, owner: str, key: str) -> str | None:
        doc_id = make_doc_id(owner.strip().lower(), key)
        query = _owner_ids_query(owner, [doc_id])
        answer = self._call(
            lambda: self.client.search(
                index=self.alias,
                query=query,
                size=1,
                source_includes=["message.content_hash"],
            )
        )
        hits = answer["hits"]["hits"]
        if not hits:
            return None
        return str(hits[0]["_source"].get("message", {}).get("content_hash") or "")

    def count(self, owner: str | None = None) -> int:
        query = _owner_query(owner, None) if owner is not None else None
        answer = self._call(lambda: self.client.count(index=self.alias, query=query))
        return int(answer["count"])

    def get_message(self, owner: str, doc_id: str) -> Message:
        messages = self._load(_owner_ids_query(owner, [doc_id]), size=1)
        if not messages:
            raise _not_found(owner, doc_id)
        return messages[0]

    def get_thread(self, owner: str, thread_id: str) -> list[Message]:
        query = _owner_query(owner, {"term": {"thread_id": thread_id}})
        sort = [{"date": {"order": "asc"}}, {"doc_id": {"order": "asc"}}]
        return self._load(query, size=_MAX_THREAD, sort=sort)

    def thread_ids_for(self, owner: str, message_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _batches(dict.fromkeys(message_ids), _BATCH):
            query = _owner_query(owner, {"terms": {"message_id": chunk}})
            answer = self._call(
                partial(
                    self.client.search,
                    index=self.alias,
                    query=query,
                    size=len(chunk),
                    source_includes=["message_id", "thread_id"],
                )
            )
            for hit in answer["hits"]["hits"]:
                found[hit["_source"]["message_id"]] = hit["_source"]["thread_id"]
        return found

    def iter_messages(self, owner: str) -> Iterator[Message]:
        for hit in self._scan(_owner_query(owner, None)):
            yield document_to_message(hit["_source"])

    def _load(
        self, query: dict[str, Any], *, size: int, sort: list[Any] | None = None
    ) -> list[Message]:
        self._ensure_ready()
        answer = self._call(
            lambda: self.client.search(
                index=self.alias, query=query, size=size, sort=sort
            )
        )
        return [document_to_message(hit["_source"]) for hit in answer["hits"]["hits"]]

    # Searching

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        plan = plan_search(request, retention_days=self.retention_days)
        self._ensure_ready()
        hits: list[SearchHit] = []
        total = 0
        if not plan.is_empty and plan.limit > 0:
            hits, total = self._run_search(plan)
        elif not plan.is_empty:
            total = self.count_matches(plan)
        return SearchResult(
            hits=hits,
            total=total,
            took_ms=(time.perf_counter() - started) * 1000,
            backend=self.name,
            effective_after=plan.effective_after,
        )

    def _run_search(self, plan: SearchPlan) -> tuple[list[SearchHit], int]:
        # Global term statistics keep scores comparable across the indices of
        # the alias, as the SQLite store's single FTS5 table does.
        answer = self._call(
            lambda: self.client.search(
                index=self.alias,
                query=build_query(plan),
                sort=_sort(plan),
                from_=plan.offset,
                size=plan.limit,
                track_total_hits=True,
                track_scores=True,
                search_type="dfs_query_then_fetch",
                source_excludes=None if plan.with_text else _TEXT_FIELDS,
            )
        )
        hits = []
        for hit in answer["hits"]["hits"]:
            document = hit["_source"]
            message = document_to_message(document)
            matched: list[str] = []
            snippet = ""
            if plan.with_text:
                matched, snippet = describe_hit(document, plan)
                snippet = snippet or _leading_text(message.text)
            hits.append(
                SearchHit(
                    message=message,
                    score=float(hit.get("_score") or 0.0),
                    matched_fields=matched,
                    snippet=snippet,
                )
            )
        return hits, int(answer["hits"]["total"]["value"])

    def count_matches(self, plan: SearchPlan) -> int:
        query = build_query(plan)
        answer = self._call(lambda: self.client.count(index=self.alias, query=query))
        return int(answer["count"])


def _owner_query(owner: str | None, clause: dict[str, Any] | None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if owner is not None:
        filters.append({"term": {"owner": owner.strip().lower()}})
    if clause is not None:
        filters.append(clause)
    return {"bool": {"filter": filters}}


def _owner_ids_query(owner: str, doc_ids: list[str]) -> dict[str, Any]:
    return _owner_query(owner, {"ids": {"values": doc_ids}})


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _not_found(owner: str, doc_id: str) -> NotFound:
    return NotFound(f"no message {doc_id!r} in the mailbox of {owner!r}")
