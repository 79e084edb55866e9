"""Intent detection on realistic phrasings: questions, commands, typos,
"unless" clauses and time phrases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from applylens.assistant.intents import (
    ACTION_INTENTS,
    MAX_QUERY_TERMS,
    detect_intent,
    edit_distance,
)

from .conftest import NOW

P = pytest.param

CASES = [
    # summarize
    P(
        "Summarize my job search this week",
        "summarize",
        {"window": 5},
        id="sum-this-week",
    ),
    P("sumarize my week", "summarize", {"window": 7}, id="sum-typo-my-week"),
    P(
        "Give me a recap of the last 2 weeks",
        "summarize",
        {"window": 14},
        id="sum-recap-2w",
    ),
    P("what did I miss yesterday?", "summarize", {"window": 2}, id="sum-yesterday"),
    P(
        "Catch me up on everything since Monday",
        "summarize",
        {"window": 5, "no_terms": True},
        id="sum-since-mon",
    ),
    P(
        "overview of last month please",
        "summarize",
        {"window": 30},
        id="sum-last-month",
    ),
    P("How is my job search going?", "summarize", {}, id="sum-how-going"),
    P(
        "What needs my attention today?",
        "summarize",
        {"window": 1},
        id="sum-attention-today",
    ),
    P(
        "tl;dr of my inbox for the past 10 days",
        "summarize",
        {"window": 10},
        id="sum-tldr-10d",
    ),
    P("Summarise the last 3 months", "summarize", {"window": 90}, id="sum-british-3m"),
    P(
        "summery of interviews this month",
        "summarize",
        {"labels": ["interview"]},
        id="sum-typo-summery",
    ),
    P("what's new since December 1?", "summarize", {"window": 4}, id="sum-since-date"),
    P("brief me", "summarize", {}, id="sum-brief-me"),
    P("hi", "summarize", {}, id="fallback-greeting"),
    P("?", "summarize", {}, id="fallback-punctuation"),
    P("anything this week?", "summarize", {"window": 5}, id="fallback-no-content"),
    # find
    P(
        "Find the offer from Initech",
        "find",
        {"labels": ["offer"], "terms": ["initech"]},
        id="find-offer-company",
    ),
    P(
        "show me rejections in the last 2 weeks",
        "find",
        {"window": 14, "labels": ["rejection"]},
        id="find-rejections-2w",
    ),
    P(
        "Did Globex email me?",
        "find",
        {"terms": ["globex"]},
        id="find-did-company-email",
    ),
    P(
        "any intervews this week?",
        "find",
        {"window": 5, "labels": ["interview"]},
        id="find-typo-interviews",
    ),
    P(
        "search for 'system design' prep",
        "find",
        {"terms": ["system", "design", "prep"]},
        id="find-search-words",
    ),
    P(
        'find "take-home exercise"',
        "find",
        {"phrases": ["take-home exercise"]},
        id="find-quoted-phrase",
    ),
    P(
        "Where is the email from Hooli about salary?",
        "find",
        {"terms": ["hooli", "salary"]},
        id="find-where-is",
    ),
    P(
        "list recruiter messages from the past month",
        "find",
        {"window": 30, "labels": ["recruiter_outreach"]},
        id="find-recruiters-month",
    ),
    P("emails from stripe", "find", {"terms": ["stripe"]}, id="find-emails-from"),
    P("Acme", "find", {"terms": ["acme"]}, id="fallback-bare-company"),
    P(
        "newsletters older than a month",
        "find",
        {"labels": ["newsletter"], "min_age": 30},
        id="fallback-not-clean",
    ),
    P(
        "promos from last week",
        "find",
        {"window": 7, "labels": ["promo"]},
        id="fallback-promos-not-action",
    ),
    P("messages from my bank", "find", {"terms": ["bank"]}, id="find-bank-messages"),
    P(
        "pull up the Umbrella Corp thread",
        "find",
        {"terms": ["umbrella", "corp"]},
        id="find-pull-up",
    ),
    P(
        "Do I have any offers?",
        "find",
        {"labels": ["offer"]},
        id="find-question-offers",
    ),
    P(
        "application receipts from yesterday",
        "find",
        {"window": 2, "labels": ["application_receipt"]},
        id="find-receipts-yesterday",
    ),
    P(
        "did I get rejected by Wayne Enterprises",
        "find",
        {"labels": ["rejection"], "terms": ["wayne", "enterprises"]},
        id="find-rejected-by",
    ),
    P(
        "look for mail about relocation in the past 48 hours",
        "find",
        {"window": 2, "terms": ["relocation"]},
        id="find-48-hours",
    ),
    # clean
    P(
        "Clean up promos older than a month unless they're from "
        "Acme, Globex and my bank",
        "clean",
        {"min_age": 30, "exceptions": ["acme", "globex", "bank"], "labels": ["promo"]},
        id="clean-unless-straight",
    ),
    P(
        "Clean up promos older than a month unless they’re from "
        "Acme, Globex and my bank",
        "clean",
        {"min_age": 30, "exceptions": ["acme", "globex", "bank"]},
        id="clean-unless-curly",
    ),
    P(
        "archive newsletters older than 2 weeks except from Stripe or Figma",
        "clean",
        {"min_age": 14, "exceptions": ["stripe", "figma"], "labels": ["newsletter"]},
        id="clean-except-or",
    ),
    P("declutter my inbox", "clean", {}, id="clean-declutter"),
    P(
        "can you clean up old promotions?",
        "clean",
        {"labels": ["promo"]},
        id="clean-question",
    ),
    P(
        "get rid of marketing emails more than 60 days old",
        "clean",
        {"min_age": 60, "labels": ["promo"]},
        id="clean-get-rid-60d",
    ),
    P(
        "claen up newsletters",
        "clean",
        {"labels": ["newsletter"], "no_terms": True},
        id="clean-typo-swap",
    ),
    P(
        "is it clear which offer is best?",
        "find",
        {"labels": ["offer"]},
        id="clear-is-not-clean",
    ),
    P(
        "tidy up promos unless they are from medium.com",
        "clean",
        {"exceptions": ["medium.com"]},
        id="clean-unless-domain",
    ),
    P(
        "Archive promos older than three weeks, except those from Nike, Adidas & Puma",
        "clean",
        {"min_age": 21, "exceptions": ["nike", "adidas", "puma"]},
        id="clean-except-ampersand",
    ),
    P(
        "clear out newsletters but keep the ones from Substack",
        "clean",
        {"exceptions": ["substack"]},
        id="clean-but-keep",
    ),
    P(
        "delete old promos unless from deals@shop.example",
        "clean",
        {"exceptions": ["deals@shop.example"]},
        id="clean-unless-address",
    ),
    P(
        "purge promotions older than 90 days",
        "clean",
        {"min_age": 90},
        id="clean-purge-90",
    ),
    P(
        "remember that mail from acme.com is never promo",
        "clean",
        {"remember": "acme.com"},
        id="remember-domain",
    ),
    P(
        "Remember to keep mail from my bank",
        "clean",
        {"remember": "bank"},
        id="remember-bank",
    ),
    P(
        "never archive mail from Stripe",
        "clean",
        {"remember": "stripe"},
        id="remember-never-archive",
    ),
    P(
        "forget the exception for acme.com",
        "clean",
        {"forget": "acme.com"},
        id="forget-domain",
    ),
    P("stop keeping mail from my bank", "clean", {"forget": "bank"}, id="forget-bank"),
    P(
        "don't archive anything, just summarize this week",
        "summarize",
        {"window": 5},
        id="negated-archive",
    ),
    # unsubscribe
    P(
        "unsubscibe from newsletters I never open",
        "unsubscribe",
        {"labels": ["newsletter"]},
        id="unsub-typo",
    ),
    P(
        "Unsubscribe me from all the promos",
        "unsubscribe",
        {"labels": ["promo"]},
        id="unsub-promos",
    ),
    P(
        "stop getting emails from Medium",
        "unsubscribe",
        {"terms": ["medium"]},
        id="unsub-stop-getting",
    ),
    P(
        "which mailing lists should I opt out of?",
        "unsubscribe",
        {},
        id="unsub-opt-out-question",
    ),
    P(
        "take me off these marketing lists unless they're from my bank",
        "unsubscribe",
        {"exceptions": ["bank"]},
        id="unsub-unless-bank",
    ),
    P("unsub from stuff I never read", "unsubscribe", {}, id="unsub-short"),
    P("unsubscrbe from job alert spam", "unsubscribe", {}, id="unsub-typo-missing-i"),
    # flag
    P("Flag anything suspicious", "flag", {}, id="flag-command"),
    P("any phishing emails this week?", "flag", {"window": 5}, id="flag-phishing-week"),
    P("Is this job offer a scam?", "flag", {}, id="flag-scam-question"),
    P(
        "show me fishy recruiter emails",
        "flag",
        {"labels": ["recruiter_outreach"]},
        id="flag-fishy",
    ),
    P("which emails look fake or fraudulent", "flag", {}, id="flag-fake"),
    P(
        "check for phising in the last 30 days",
        "flag",
        {"window": 30, "no_terms": True},
        id="flag-typo-phishing",
    ),
    P("is the paypal email legit?", "flag", {"terms": ["paypal"]}, id="flag-legit"),
    # follow-up
    P(
        "Follow up on threads I haven't replied to in 5 days",
        "follow_up",
        {"follow_up": 5},
        id="follow-5-days",
    ),
    P("who am I waiting on?", "follow_up", {"waiting_for": "them"}, id="waiting-on"),
    P(
        "which recruiters am I waiting to hear back from?",
        "follow_up",
        {"waiting_for": "them", "labels": ["recruiter_outreach"], "no_terms": True},
        id="waiting-hear-back",
    ),
    P(
        "which companies have not answered my applications?",
        "follow_up",
        {"waiting_for": "them", "labels": ["application_receipt"]},
        id="waiting-not-answered-my",
    ),
    P(
        "who hasn't got back to me in 10 days?",
        "follow_up",
        {"waiting_for": "them", "follow_up": 10, "no_terms": True},
        id="waiting-got-back-days",
    ),
    P("who owes me a reply?", "follow_up", {"waiting_for": "them"}, id="owes-me"),
    P(
        "who haven't I replied to?",
        "follow_up",
        {"waiting_for": "owner"},
        id="owner-has-not-replied",
    ),
    P(
        "which recruiters haven’t I answered?",
        "follow_up",
        {"labels": ["recruiter_outreach"]},
        id="follow-curly-havent",
    ),
    P("who do I need to follow up with?", "follow_up", {}, id="follow-who"),
    P(
        "draft replies for emails I didn't reply to for a week",
        "follow_up",
        {"follow_up": 7},
        id="follow-week",
    ),
    P(
        "any followups from the last 2 weeks?",
        "follow_up",
        {"window": 14},
        id="follow-window",
    ),
    P(
        "folow up with recruiters",
        "follow_up",
        {"labels": ["recruiter_outreach"]},
        id="follow-typo",
    ),
    P(
        "what emails are unanswered for more than 10 days",
        "follow_up",
        {"follow_up": 10},
        id="follow-unanswered-10",
    ),
    P("which threads need a reply?", "follow_up", {}, id="follow-need-reply"),
    P(
        "remind me to get back to Initech",
        "follow_up",
        {"terms": ["initech"]},
        id="follow-get-back",
    ),
    # calendar
    P(
        "Add my interviews to my calendar",
        "calendar",
        {"labels": ["interview"]},
        id="cal-add",
    ),
    P("export upcoming interviews as .ics", "calendar", {}, id="cal-ics"),
    P(
        "when is my interview with Acme?",
        "calendar",
        {"terms": ["acme"]},
        id="cal-when-is",
    ),
    P(
        "put interviews for the next 2 weeks on my calender",
        "calendar",
        {"deadline": date(2026, 12, 18)},
        id="cal-typo-next-2w",
    ),
    P("what's on my agenda this week", "calendar", {"window": 5}, id="cal-agenda"),
    P(
        "any interview appointments before Friday?",
        "calendar",
        {"deadline": date(2026, 12, 11)},
        id="cal-before-friday",
    ),
    P("make a calendar file of my deadlines", "calendar", {}, id="cal-deadlines-file"),
    # task
    P(
        "What do I need to do before Friday?",
        "task",
        {"deadline": date(2026, 12, 11)},
        id="task-before-friday",
    ),
    P("make me a to-do list from my email", "task", {}, id="task-todo-list"),
    P("any deadlines this week?", "task", {"window": 5}, id="task-deadlines"),
    P("list my tasks", "task", {}, id="task-list"),
    P(
        "what assessments are due by Monday",
        "task",
        {"deadline": date(2026, 12, 7), "labels": ["assessment"]},
        id="task-due-monday",
    ),
    P(
        "action items from recruiters",
        "task",
        {"labels": ["recruiter_outreach"]},
        id="task-action-items",
    ),
    P("what did they ask me to send?", "task", {}, id="task-asked-me-to"),
    P(
        "taks for tomorrow",
        "task",
        {"deadline": date(2026, 12, 5), "no_terms": True},
        id="task-typo",
    ),
    P(
        "what do I have to do by end of week",
        "task",
        {"deadline": date(2026, 12, 6)},
        id="task-end-of-week",
    ),
]


@pytest.mark.parametrize(("text", "intent", "expected"), CASES)
def test_detect_intent_table(text: str, intent: str, expected: dict[str, Any]) -> None:
    plan = detect_intent(text, now=NOW)

    assert plan.intent == intent, plan.explanation
    if "window" in expected:
        assert plan.window_days == expected["window"]
    if "min_age" in expected:
        assert plan.min_age_days == expected["min_age"]
    if "follow_up" in expected:
        assert plan.follow_up_days == expected["follow_up"]
    if "waiting_for" in expected:
        assert plan.waiting_for == expected["waiting_for"]
    if "exceptions" in expected:
        assert [e.value for e in plan.exceptions] == expected["exceptions"]
    for label in expected.get("labels", []):
        assert label in plan.labels
    for term in expected.get("terms", []):
        assert term in plan.query_terms
    if expected.get("no_terms"):
        assert plan.query_terms == []
    if "phrases" in expected:
        assert plan.phrases == expected["phrases"]
    if expected.get("deadline") is not None:
        assert plan.deadline is not None
        assert plan.deadline.date() == expected["deadline"]
    if "remember" in expected:
        assert plan.remember is not None
        assert not plan.remember.forget
        assert plan.remember.exception.value == expected["remember"]
    if "forget" in expected:
        assert plan.remember is not None
        assert plan.remember.forget
        assert plan.remember.exception.value == expected["forget"]


def test_detect_intent_table_is_large() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize(
    "text",
    [
        "promos older than a month",
        "newsletters from Acme",
        "mail from cleaners.example",
        "Stripe receipts",
        "what about Globex?",
        "the Initech newsletter from March",
    ],
)
def test_detect_intent_without_action_word_never_acts(text: str) -> None:
    plan = detect_intent(text, now=NOW)

    assert plan.intent not in ACTION_INTENTS


def test_detect_intent_explanation_names_words() -> None:
    plan = detect_intent("please sumarize my week", now=NOW)

    assert "sumarize" in plan.explanation


def test_detect_intent_fallback_explains() -> None:
    plan = detect_intent("Globex salary", now=NOW)

    assert plan.is_fallback
    assert "globex" in plan.explanation


def test_detect_intent_quoted_words_not_intents() -> None:
    plan = detect_intent('find "clean code" books', now=NOW)

    assert plan.intent == "find"
    assert plan.phrases == ["clean code"]


def test_detect_intent_yesterday_bounds() -> None:
    plan = detect_intent("what came in yesterday", now=NOW)

    assert plan.after is not None and plan.after.date() == date(2026, 12, 3)
    assert plan.before is not None and plan.before.date() == date(2026, 12, 4)


def test_detect_intent_window_capped_at_year() -> None:
    plan = detect_intent("summarize the last 3 years", now=NOW)

    assert plan.window_days == 365


def test_edit_distance_counts_transposition() -> None:
    assert edit_distance("unsubscibe", "unsubscribe") == 1
    assert edit_distance("claen", "clean") == 1
    assert edit_distance("summary", "summer") == 2


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        pytest.param("find 日本語の件名", ["日本語の件名"], id="japanese"),
        pytest.param("find my résumé feedback", ["résumé", "feedback"], id="accents"),
        pytest.param("cherche les entretiens à Zürich", ["zürich"], id="umlaut"),
    ],
)
def test_query_terms_in_any_script(text: str, terms: list[str]) -> None:
    plan = detect_intent(text, now=NOW)

    for term in terms:
        assert term in plan.query_terms


def test_long_question_searches_first_words() -> None:
    words = " ".join(f"word{index}" for index in range(200))
    plan = detect_intent(f"find {words}", now=NOW)

    assert plan.query_terms == [f"word{index}" for index in range(MAX_QUERY_TERMS)]
    assert f"only the first {MAX_QUERY_TERMS} words" in plan.explanation


@pytest.mark.parametrize(
    ("text", "after", "before"),
    [
        pytest.param(
            "summarise mail from 2001-01-01 to 2001-12-31",
            datetime(2001, 1, 1, tzinfo=UTC),
            datetime(2002, 1, 1, tzinfo=UTC),
            id="date-range",
        ),
        pytest.param(
            "what happened in 2025?",
            datetime(2025, 1, 1, tzinfo=UTC),
            datetime(2026, 1, 1, tzinfo=UTC),
            id="year",
        ),
    ],
)
def test_absolute_window_not_capped(
    text: str, after: datetime, before: datetime
) -> None:
    plan = detect_intent(text, now=NOW)

    assert plan.after == after
    assert plan.before == before
    assert plan.window_note is None
