"""The query language: what each piece of syntax parses to, and what is rejected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from applylens.errors import QuerySyntaxError
from applylens.store.query import (
    LABELS,
    MAX_QUERY_TERMS,
    ParsedQuery,
    Term,
    number_forms,
    parse_query,
    text_tokens,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def parse(text: str) -> ParsedQuery:
    return parse_query(text, now=NOW)


def test_parse_plain_words_become_separate_terms() -> None:
    query = parse("offer letter")

    assert query.terms == (
        Term("offer", "any", False, False),
        Term("letter", "any", False, False),
    )


def test_parse_quoted_phrase_is_one_phrase_term() -> None:
    query = parse('"offer letter" now')

    assert query.terms[0] == Term("offer letter", "any", True, False)
    assert query.terms[1] == Term("now", "any", False, False)


def test_parse_empty_text_gives_empty_query() -> None:
    assert parse("   ") == ParsedQuery()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("from:greenhouse", Term("greenhouse", "from", False, False)),
        pytest.param('from:"Jane Doe"', Term("Jane Doe", "from", True, False)),
        pytest.param("to:me@example.com", Term("me@example.com", "to", True, False)),
        pytest.param("from:lever.co", Term("lever.co", "from", True, False)),
        pytest.param("subject:offer", Term("offer", "subject", False, False)),
        pytest.param("SUBJECT:offer", Term("offer", "subject", False, False)),
        pytest.param("-from:linkedin", Term("linkedin", "from", False, True)),
        pytest.param('-"cold call"', Term("cold call", "any", True, True)),
    ],
)
def test_parse_field_term_reads_field_and_value(text: str, expected: Term) -> None:
    assert parse(text).terms == (expected,)


@pytest.mark.parametrize(
    "text", ["label:needs_reply", "label:Needs-Reply", 'label:"needs reply"']
)
def test_parse_label_variants_normalise(text: str) -> None:
    assert parse(text).labels == ("needs_reply",)


def test_parse_label_unknown_lists_valid_labels() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse("label:jobz")

    assert "'jobz'" in str(caught.value)
    assert all(label in str(caught.value) for label in LABELS)


def test_parse_after_before_dates_are_utc_midnight() -> None:
    query = parse("after:2024-05-01 before:2024/06/01")

    assert query.after == datetime(2024, 5, 1, tzinfo=UTC)
    assert query.before == datetime(2024, 6, 1, tzinfo=UTC)


def test_parse_repeated_after_keeps_latest() -> None:
    assert parse("after:2024-01-01 after:2024-03-01").after == datetime(
        2024, 3, 1, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("newer_than:7d", 7),
        ("newer_than:2w", 14),
        ("newer_than:3m", 90),
        ("newer_than:1y", 365),
    ],
)
def test_parse_newer_than_units(text: str, days: int) -> None:
    assert parse(text).newer_than == timedelta(days=days)


def test_parse_newer_than_relative_to_now() -> None:
    assert parse("newer_than:7d").window_start(NOW) == NOW - timedelta(days=7)


def test_parse_older_than_bounds_window_end() -> None:
    query = parse("older_than:30d before:2020-01-01 older_than:2w")

    assert query.older_than == timedelta(days=30)
    assert query.window_end(NOW) == datetime(2020, 1, 1, tzinfo=UTC)
    assert parse("older_than:30d").window_end(NOW) == NOW - timedelta(days=30)


def test_parse_older_than_past_newer_than_is_error() -> None:
    with pytest.raises(QuerySyntaxError, match="leaves no date that can match"):
        parse("newer_than:7d older_than:30d")


def test_parse_unknown_prefix_becomes_plain_words() -> None:
    query = parse("foo:bar")

    assert query.terms == (Term("foo bar", "any", False, False),)
    assert query.terms[0].tokens == ["foo", "bar"]


def test_parse_fts_operators_stay_plain_words() -> None:
    query = parse("NEAR(a b) or c:d ^e")

    tokens = [token for term in query.terms for token in term.tokens]
    assert tokens == ["near", "a", "b", "or", "c", "d", "e"]


def test_parse_stray_punctuation_is_dropped() -> None:
    assert parse("offer *** &").terms == (Term("offer", "any", False, False),)


@pytest.mark.parametrize(
    ("text", "message_part"),
    [
        pytest.param('"offer letter', "unterminated quote", id="unterminated"),
        pytest.param('from:"Jane', "unterminated quote", id="unterminated-field"),
        pytest.param("after:2024-13-40", "'2024-13-40'", id="month-13"),
        pytest.param("before:yesterday", "'yesterday'", id="word-date"),
        pytest.param("from:", "from: needs a value", id="empty-from"),
        pytest.param('subject:""', "subject: needs a value", id="empty-subject"),
        pytest.param("to:***", "no letters or digits", id="punctuation-to"),
        pytest.param("label:", "label: needs a value", id="empty-label"),
        pytest.param("newer_than:7x", "invalid age '7x'", id="bad-unit"),
        pytest.param("newer_than:0d", "out of range", id="zero-age"),
        pytest.param("newer_than:" + "9" * 500 + "d", "out of range", id="huge-age"),
        pytest.param(
            "after:2024-06-01 before:2024-05-01", "not earlier than", id="after>before"
        ),
        pytest.param("-label:promo", "cannot be negated", id="negated-label"),
        pytest.param("*** ^^", "no letters or digits", id="only-punctuation"),
        pytest.param("interview NOT", "no word to exclude", id="trailing-not"),
        pytest.param("NOT", "no word to exclude", id="only-not"),
        pytest.param("AND", "only the operators", id="only-and"),
        pytest.param("AND AND", "only the operators", id="only-ands"),
        pytest.param("i*", "at least 2 letters", id="short-prefix"),
        pytest.param("foo-bar*", "not a word start", id="two-word-prefix"),
    ],
)
def test_parse_invalid_query_raises_with_reason(text: str, message_part: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)

    assert message_part in str(caught.value)
    assert caught.value.query == text


def test_parse_unterminated_quote_reports_position() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse('offer "letter')

    assert caught.value.position == 6
    assert "at character 7 of" in str(caught.value)


def test_text_tokens_lowercase_and_split_on_punctuation() -> None:
    assert text_tokens("Jane.Doe@Greenhouse.IO, café_au-lait") == [
        "jane",
        "doe",
        "greenhouse",
        "io",
        "café",
        "au",
        "lait",
    ]


@pytest.mark.parametrize(
    ("token", "forms"),
    [
        pytest.param("interviews", ("interviews", "interview"), id="plural-s"),
        pytest.param("interview", ("interview",), id="singular-as-typed"),
        pytest.param("companies", ("companies", "company"), id="plural-ies"),
        pytest.param("company", ("company",), id="singular-y-as-typed"),
        pytest.param("address", ("address",), id="double-s"),
        pytest.param("status", ("status",), id="us-ending"),
        pytest.param("day", ("day",), id="short-word"),
        pytest.param("2024", ("2024",), id="digits"),
    ],
)
def test_number_forms_singular_and_plural(token: str, forms: tuple[str, ...]) -> None:
    assert number_forms(token) == forms


def test_word_forms_phrase_matches_as_typed() -> None:
    (term,) = parse_query('"interview invitations"').terms

    assert term.word_forms == [("interview",), ("invitations",)]


def test_parse_and_operator_is_implicit() -> None:
    assert parse("interview AND offer").terms == parse("interview offer").terms


def test_parse_not_operator_negates_next_word() -> None:
    (term,) = parse("NOT interview").terms

    assert term.text == "interview"
    assert term.negated


def test_parse_or_operator_rejected_with_reason() -> None:
    with pytest.raises(QuerySyntaxError, match="OR is not supported"):
        parse("interview OR offer")


def test_parse_operators_inside_quotes_are_words() -> None:
    (term,) = parse('"salt AND pepper"').terms

    assert term.phrase
    assert term.text == "salt AND pepper"


def test_parse_overlong_query_rejected() -> None:
    with pytest.raises(QuerySyntaxError, match="more than the 2000 allowed"):
        parse("interview " * 300)


def test_parse_trailing_star_is_prefix_term() -> None:
    (term, subject) = parse("interv* subject:recruit*").terms

    assert (term.text, term.field, term.prefix) == ("interv", "any", True)
    assert (subject.text, subject.field, subject.prefix) == ("recruit", "subject", True)
    assert parse('"interv*"').terms[0].prefix is False
    assert parse("-interv*").terms[0].negated is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lable:interview", "did you mean label:"),
        ("subjet:offer", "did you mean subject:"),
        ("befor:2026-01-01", "did you mean before:"),
        ("is:unread", "the filter is: is not supported"),
        ("has:attachment", "the filter has: is not supported"),
        ("in:inbox interview", "the filter in: is not supported"),
        ("newer:7d", "the filter newer: is not supported"),
    ],
)
def test_parse_misspelt_or_foreign_filter_is_error(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message) as caught:
        parse_query(text)

    assert "newer_than:" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "Re: interview",
        "re:offer",
        "https://acme.com",
        "interested in: python",
        "meet in:person",
        "top:10",
        "CTO:Alice",
        "form:W2",
        "lab:results",
        "later:today",
        "two:three",
        "order:555",
    ],
)
def test_parse_text_prefixes_stay_words(text: str) -> None:
    assert parse_query(text).terms


@pytest.mark.parametrize("text", ["inter*view", "o*f*", "subject:of*fer"])
def test_parse_star_inside_word_is_error(text: str) -> None:
    with pytest.raises(QuerySyntaxError, match="inside a word"):
        parse_query(text)


def test_parse_star_inside_quotes_is_text() -> None:
    (term,) = parse_query('"inter*view"').terms

    assert term.tokens == ["inter", "view"]


def test_parse_repeated_word_is_one_term() -> None:
    query = parse_query("a " * 900)

    assert len(query.terms) == 1


def test_parse_too_many_different_words_is_error() -> None:
    text = " ".join(f"w{index}" for index in range(MAX_QUERY_TERMS + 1))

    with pytest.raises(QuerySyntaxError, match=f"more than the {MAX_QUERY_TERMS}"):
        parse_query(text)


def test_parse_most_different_words_accepted() -> None:
    text = " ".join(f"w{index}" for index in range(MAX_QUERY_TERMS))

    assert len(parse_query(text).terms) == MAX_QUERY_TERMS
