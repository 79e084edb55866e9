"""Matched fields and snippets of search hits, computed on the hits alone."""

from __future__ import annotations

from applylens.store.matching import body_snippet, compile_field_patterns, fold
from applylens.store.query import parse_query

from .synthetic import NOW, make_message


def patterns_for(query: str) -> dict:
    return compile_field_patterns(parse_query(query, now=NOW).terms)


def test_fold_keeps_length_and_drops_accents() -> None:
    text = "Résumé für Señor Ærø"

    assert fold(text) == "Resume fur Senor Ærø"
    assert len(fold(text)) == len(text)


def test_patterns_match_whole_words_only() -> None:
    pattern = patterns_for("offer")["body"]

    assert pattern.search("your OFFER is ready")
    assert not pattern.search("we offered nothing")


def test_patterns_from_single_word_matches_prefix() -> None:
    pattern = patterns_for("from:green")["sender"]

    assert pattern.search("jane@greenhouse.io")
    assert "body" not in patterns_for("from:green")


def test_patterns_phrase_needs_adjacent_words() -> None:
    pattern = patterns_for('"offer letter"')["subject"]

    assert pattern.search("Your offer-letter")
    assert not pattern.search("letter with an offer")


def test_patterns_leave_out_negated_terms() -> None:
    assert patterns_for("-promo") == {}


def test_body_snippet_centres_on_accented_match() -> None:
    words = " ".join(f"filler{i}" for i in range(100))
    text = f"{words} votre candidature a été reçue {words}"

    snippet = body_snippet(text, patterns_for("recue")["body"])

    assert "reçue" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")


def test_body_snippet_without_match_shows_start() -> None:
    snippet = body_snippet("Hello   there,\n\nsee you", patterns_for("zzz")["body"])

    assert snippet == "Hello there, see you"


def test_body_snippet_empty_body_is_empty() -> None:
    assert body_snippet("", None) == ""


def test_describe_hit_reports_fields_in_order() -> None:
    from applylens.store.matching import describe_hit

    message = make_message(
        "<k@x>", subject="Interview", text="the interview", sender="a@interview.io"
    )

    matched, _ = describe_hit(message, patterns_for("interview"), has_label_filter=True)

    assert matched == ["subject", "sender", "body", "label"]
