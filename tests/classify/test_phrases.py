"""The fast phrase matcher must agree with plain regular expressions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from applylens.classify import evaluation as ev
from applylens.classify import risk, rules
from applylens.classify.phrases import IndexedText, PhraseSet, literal_heads
from applylens.classify.view import view_of_message, view_of_text


def _phrase_sets() -> list[tuple[str, PhraseSet]]:
    found: list[tuple[str, PhraseSet]] = []
    for module in (rules, risk):
        for name, value in vars(module).items():
            if isinstance(value, PhraseSet):
                found.append((f"{module.__name__}.{name}", value))
            elif isinstance(value, tuple):
                for index, item in enumerate(value):
                    if isinstance(item, PhraseSet):
                        found.append((f"{module.__name__}.{name}[{index}]", item))
                    elif isinstance(item, tuple) and isinstance(item[-1], PhraseSet):
                        found.append((f"{module.__name__}.{name}:{item[0]}", item[-1]))
    return found


PHRASE_SETS = _phrase_sets()


@pytest.fixture(scope="module")
def sample_texts(corpora: Path) -> list[str]:
    texts = []
    for folder in ("spam-1", "easy-ham-1", "hard-ham-1"):
        paths = sorted((corpora / "spamassassin" / folder).iterdir())[:120]
        for path in paths:
            message = ev.parse_corpus_file(path)
            if message is not None:
                texts.append(view_of_message(message).all_text.text)
    for example in ev.read_sethpoly(corpora):
        texts.append(example.content_key.lower())
    return texts


def test_phrase_sets_are_found() -> None:
    assert len(PHRASE_SETS) > 30


@pytest.mark.parametrize(
    ("name", "phrases"), PHRASE_SETS, ids=[n for n, _ in PHRASE_SETS]
)
def test_phrase_set_agrees_with_regex(
    name: str, phrases: PhraseSet, sample_texts: list[str]
) -> None:
    joined = re.compile("|".join(f"(?:{p})" for p in phrases.patterns))
    disagreeing = [
        text[:80]
        for text in sample_texts
        if (phrases.search(IndexedText(text)) is None) != (joined.search(text) is None)
    ]
    assert disagreeing == []


@pytest.mark.parametrize(
    ("pattern", "heads"),
    [
        pytest.param(r"\bwire (?:transfer|funds)", ("wire ",), id="literal-then-group"),
        pytest.param(r"\b(?:pleased|happy) to", ("pleased to", "happy to"), id="group"),
        pytest.param(r"\b(?:on )?sale\b", ("on sale", "sale"), id="optional-group"),
        pytest.param(
            r"\bre-?activate\b", ("re-activate", "reactivate"), id="optional-char"
        ),
        pytest.param(
            r"\byou(?:'re| are) in", ("you're in", "you are in"), id="word-then-group"
        ),
        pytest.param(r"\b(?:a|b)* c", (), id="starred-group"),
        pytest.param(r"\bcarte?s?\b", ("cart",), id="optional-letter"),
        pytest.param(
            r"\bcoupon|\bpromo code", ("coupon", "promo code"), id="top-level"
        ),
        pytest.param(r"\$\d", ("$",), id="symbol"),
        pytest.param(r"\d+ ?% off", (), id="digit-start"),
    ],
)
def test_literal_heads_reads_pattern_start(
    pattern: str, heads: tuple[str, ...]
) -> None:
    assert literal_heads(pattern) == heads


def test_phrase_set_partial_word_no_match() -> None:
    phrases = PhraseSet(r"\bsale\b")
    assert phrases.search("wholesale prices") is None
    assert phrases.search("the sale ends") is not None


def test_view_of_text_keeps_original_case() -> None:
    view = view_of_text("Subject", "Hello  World\tagain")
    assert view.text == "Hello World again"
    assert view.body == "hello world again"
