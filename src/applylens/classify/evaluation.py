"""Labelled public datasets and the scores of the classifier on them.

Each reader yields `Example`s: the classifier's input and the labels a person
(or, where marked, a model or a template generator) gave it. Scores are
precision, recall and F1 per label, overall and on two fixed halves chosen by
a hash of the content, so that duplicates always fall in the same half.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from applylens.classify import labels as L
from applylens.classify.classifier import Classification, classify, classify_text
from applylens.mail.model import Message

Split = Literal["dev", "held-out"]
Provenance = Literal["human", "silver", "synthetic", "author"]

# The label key published with the French dataset, translated: 1 receipt
# confirmed, 2 interview proposed, 3 test requested, 4 positive without action,
# 5 rejection, 6 process suspended, 7 hire confirmed, 8 availability or slot.
CAPITALYZER_KEY: Final[dict[int, frozenset[str]]] = {
    0: frozenset(),
    1: frozenset({L.APPLICATION_RECEIPT}),
    2: frozenset({L.INTERVIEW}),
    3: frozenset({L.ASSESSMENT}),
    4: frozenset(),
    5: frozenset({L.REJECTION}),
    6: frozenset(),
    7: frozenset({L.OFFER}),
    8: frozenset({L.SCHEDULING}),
}
CAPITALYZER_LABELS: Final = (
    L.APPLICATION_RECEIPT,
    L.INTERVIEW,
    L.ASSESSMENT,
    L.REJECTION,
    L.OFFER,
)
# The Welcome to the Jungle file of the same dataset does not follow that
# key: its code-2 rows are rejections, its one code-3 row is a suspended
# process and its code-4 rows propose a call. Read this way it can be scored.
WTJ_KEY_AS_USED: Final[dict[int, frozenset[str]]] = {
    1: frozenset({L.APPLICATION_RECEIPT}),
    2: frozenset({L.REJECTION}),
    3: frozenset(),
    4: frozenset({L.INTERVIEW}),
}
# Classes of the CS 7347 course dataset and the closest label of ours.
# "action_required" is mostly assessments and forms to fill in.
CS7347_KEY: Final[dict[str, frozenset[str]]] = {
    "rejection": frozenset({L.REJECTION}),
    "in_process": frozenset({L.APPLICATION_RECEIPT}),
    "interview": frozenset({L.INTERVIEW}),
    "acceptance": frozenset({L.OFFER}),
    "action_required": frozenset({L.ASSESSMENT}),
    "unrelated": frozenset(),
}
CS7347_LABELS: Final = (
    L.APPLICATION_RECEIPT,
    L.INTERVIEW,
    L.ASSESSMENT,
    L.OFFER,
    L.REJECTION,
)
SPAM_LABELS: Final = frozenset({L.SUSPICIOUS, L.PROMO})
# Pseudo-label of the spam/ham benchmark: a verdict predicts it when it carries
# any of SPAM_LABELS.
SPAM: Final = "spam"
_FIXED_NOW: Final = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Example:
    expected: frozenset[str]
    run: Callable[[], Classification]
    content_key: str
    company: str | None = None
    role: str | None = None
    group: str = ""

    @property
    def split(self) -> Split:
        digest = hashlib.sha1(self.content_key.encode("utf-8", "replace")).digest()
        return "dev" if digest[0] % 2 == 0 else "held-out"


@dataclass(slots=True)
class Counts:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def support(self) -> int:
        return self.true_positive + self.false_negative

    @property
    def predicted(self) -> int:
        return self.true_positive + self.false_positive

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(slots=True)
class Scored:
    """One example with the verdict the classifier gave it."""

    example: Example
    verdict: Classification

    @property
    def predicted(self) -> frozenset[str]:
        return frozenset(self.verdict.labels)


@dataclass(slots=True)
class LabelScores:
    label: str
    overall: Counts = field(default_factory=Counts)
    by_split: dict[str, Counts] = field(
        default_factory=lambda: {"dev": Counts(), "held-out": Counts()}
    )


def run_examples(examples: Iterable[Example]) -> list[Scored]:
    return [Scored(example, example.run()) for example in examples]


def score_labels(
    scored: Iterable[Scored],
    labels: Iterable[str],
    predicted_as: Callable[[Scored, str], bool] | None = None,
) -> list[LabelScores]:
    """Count hits and misses for each of `labels`. `predicted_as`, when
    given, decides whether a verdict predicts a label."""
    table = {label: LabelScores(label) for label in labels}
    for item in scored:
        for label, scores in table.items():
            expected = label in item.example.expected
            if predicted_as is None:
                predicted = label in item.predicted
            else:
                predicted = predicted_as(item, label)
            for counts in (scores.overall, scores.by_split[item.example.split]):
                _count(counts, expected, predicted)
    return list(table.values())


def _count(counts: Counts, expected: bool, predicted: bool) -> None:
    if expected and predicted:
        counts.true_positive += 1
    elif predicted:
        counts.false_positive += 1
    elif expected:
        counts.false_negative += 1


def read_sethpoly(corpora: Path) -> Iterator[Example]:
    """Read rows of body and label (reject or not_reject), without a header."""
    path = corpora / "job-sethpoly-rejections" / "emails.csv"
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 2:
                continue
            body, label = row[0], row[1].strip()
            expected = frozenset({L.REJECTION}) if label == "reject" else frozenset()
            yield Example(expected, _text_runner("", body), body)


def read_capitalyzer(
    corpora: Path, name: Literal["linkedin", "wtj"], key: dict[int, frozenset[str]]
) -> Iterator[Example]:
    from openpyxl import load_workbook

    relative = {
        "linkedin": "datasets/final/dataset_linkedin.xlsx",
        "wtj": "datasets/build/wtj/data_labeled_wtj.xlsx",
    }[name]
    workbook = load_workbook(corpora / "job-capitalyzer-fr" / relative, read_only=True)
    try:
        rows = list(workbook.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    finally:
        workbook.close()
    header = [str(cell).strip().lower() for cell in rows[0]]
    for row in rows[1:]:
        record = dict(zip(header, row, strict=False))
        code = record.get("label")
        if not isinstance(code, int) or code not in key:
            continue
        subject = str(record.get("subject") or "")
        body = str(record.get("body") or "")
        sender = str(record.get("from") or "")
        yield Example(
            key[code], _text_runner(subject, body, sender), subject + "\n" + body
        )


def read_cs7347(
    corpora: Path, kind: Literal["synthetic", "silver"]
) -> Iterator[Example]:
    """Read the course dataset: template-made mail with true labels, or real
    mail with labels from a zero-shot model (silver, unchecked)."""
    folder = corpora / "job-cs7347-confirmations"
    if kind == "synthetic":
        path, label_column = folder / "data" / "synthetic_emails.csv", "true_label"
    else:
        path = folder / "results" / "real" / "classified_emails.csv"
        label_column = "final_label"
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for record in csv.DictReader(handle):
            label = (record.get(label_column) or "").strip()
            if label not in CS7347_KEY:
                continue
            subject = record.get("subject") or ""
            body = record.get("email_body") or ""
            yield Example(
                CS7347_KEY[label],
                _text_runner(subject, body, record.get("sender") or ""),
                subject + "\n" + body,
                company=(record.get("company") or "").strip() or None,
                role=(record.get("extracted_role") or "").strip() or None,
            )


def read_cs7347_companies(corpora: Path) -> Iterator[Example]:
    """Read the real job mail of the course dataset with the company column
    its authors filled in. This file has no labels."""
    path = (
        corpora
        / "job-cs7347-confirmations"
        / "data"
        / "job_app_confirmation_emails_anonymized.csv"
    )
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for record in csv.DictReader(handle):
            subject = record.get("subject") or ""
            body = record.get("email_body") or ""
            yield Example(
                frozenset(),
                _text_runner(subject, body, record.get("sender") or ""),
                subject + "\n" + body,
                company=(record.get("company") or "").strip() or None,
            )


def read_jgchoti(corpora: Path) -> Iterator[Example]:
    """Read anonymised, paraphrased real rejections, each expecting rejection."""
    path = corpora / "job-jgchoti-rejections" / "data" / "email.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for group in ("rejection_emails", "feedback_rejection"):
        for record in data.get(group, []):
            body = record.get("email_text")
            if body:
                yield Example(
                    frozenset({L.REJECTION}), _text_runner("", body), body, group=group
                )


def read_spamassassin(
    corpora: Path, folders: Iterable[str] = ("spam-1", "easy-ham-1", "hard-ham-1")
) -> Iterator[Example]:
    """Read raw messages with the product's parser. Spam files expect the
    SPAM pseudo-label and ham files nothing."""
    for folder in folders:
        expected = frozenset({SPAM}) if folder.startswith("spam") else frozenset()
        for path in sorted((corpora / "spamassassin" / folder).iterdir()):
            message = parse_corpus_file(path)
            if message is None:
                continue
            yield Example(expected, _message_runner(message), path.name, group=folder)


def parse_corpus_file(path: Path) -> Message | None:
    from applylens.errors import MessageParseError
    from applylens.mail.parse import parse_message

    try:
        return parse_message(
            path.read_bytes(),
            owner="corpus",
            source=str(path),
            file_mtime=None,
            now=_FIXED_NOW,
        )
    except MessageParseError:
        return None


def is_spam_verdict(item: Scored, label: str) -> bool:
    return bool(item.predicted & SPAM_LABELS)


def _text_runner(
    subject: str, body: str, sender: str = ""
) -> Callable[[], Classification]:
    return lambda: classify_text(subject, body, sender)


def _message_runner(message: Message) -> Callable[[], Classification]:
    return lambda: classify(message)
