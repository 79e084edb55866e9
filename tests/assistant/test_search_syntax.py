"""Search syntax in chat questions: excluded words ("-rejection", "NOT mock",
"without", "except") and prefix words ("interv*"), read into the plan and
applied by the tools on a real SQLite store."""

from __future__ import annotations

import pytest

from applylens.assistant.engine import Assistant
from applylens.assistant.intents import detect_intent
from applylens.assistant.schemas import ChatAnswer
from applylens.mail.model import Message
from applylens.store.sqlite import SQLiteStore

from .conftest import NOW, OWNER, OWNER_ADDRESS, ask, make_message

Box = dict[str, Message]


def run(assistant: Assistant, question: str, **options: object) -> ChatAnswer:
    return assistant.answer(ask(question, **options), OWNER)


def cited_ids(answer: ChatAnswer) -> set[str]:
    return {citation.id for citation in answer.citations}


@pytest.fixture
def extra_mail(store: SQLiteStore, mailbox: Box) -> Box:
    """Add recent newsletters and a mock interview to the mailbox of conftest."""
    extra = {
        "jobs_newsletter": make_message(
            subject="Weekly jobs newsletter",
            sender="news@jobboard.example",
            days_ago=2,
            labels=["newsletter"],
        ),
        "tech_digest": make_message(
            subject="This week in tech",
            sender="digest@techweekly.example",
            days_ago=3,
            labels=["newsletter"],
        ),
        "mock_interview": make_message(
            subject="Mock interview practice session",
            sender="coach@prep.example",
            days_ago=3,
            labels=["interview"],
            text="Your mock interview with a coach is booked.",
        ),
    }
    store.add_messages(extra.values())
    return {**mailbox, **extra}


# Reading exclusions into the plan


@pytest.mark.parametrize(
    ("question", "excluded"),
    [
        pytest.param("find interview -mock", "mock", id="dash"),
        pytest.param("interview NOT mock", "mock", id="not-upper"),
        pytest.param("find interviews not mock", "mock", id="not-lower"),
        pytest.param("find interviews without mock", "mock", id="without"),
        pytest.param("find interviews excluding mock", "mock", id="excluding"),
        pytest.param("find interviews except mock", "mock", id="except"),
        pytest.param("find interviews but not mock", "mock", id="but-not"),
    ],
)
def test_excluded_word_negated_in_query(question: str, excluded: str) -> None:
    plan = detect_intent(question, now=NOW)

    assert plan.intent == "find"
    assert plan.labels == ["interview"]
    assert excluded not in plan.query_terms
    assert f"-{excluded}" in plan.query.split()
    assert "left out" in plan.explanation


def test_excluded_label_word_not_label_hint() -> None:
    plan = detect_intent("find offer -rejection", now=NOW)

    assert plan.labels == ["offer"]
    assert plan.query == "-rejection"
    assert plan.excluded_labels == {"rejection"}
    assert "labelled rejection" in plan.explanation


def test_only_exclusion_searches_everything_else() -> None:
    plan = detect_intent("find -newsletter", now=NOW)

    assert plan.intent == "find"
    assert plan.labels == []
    assert plan.query == "-newsletter"


def test_excluded_word_not_intent_evidence() -> None:
    plan = detect_intent("interviews -unsubscribe", now=NOW)

    assert plan.intent == "find"
    assert plan.query == "-unsubscribe"


def test_excluded_phrase_negated_in_query() -> None:
    plan = detect_intent('find interviews -"mock interview"', now=NOW)

    assert plan.phrases == []
    assert plan.query == '-"mock interview"'


def test_not_from_excludes_sender() -> None:
    plan = detect_intent("find offers not from hooli", now=NOW)

    assert plan.query == "-from:hooli"
    assert [e.value for e in plan.excluded_senders] == ["hooli"]


def test_except_from_excludes_sender_in_find() -> None:
    plan = detect_intent("find interviews except from Globex", now=NOW)

    assert plan.exceptions == []
    assert plan.query == "-from:globex"


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        pytest.param("what have I not replied to", "follow_up", id="not-replied"),
        pytest.param("who has not answered my email", "follow_up", id="not-answered"),
        pytest.param("I'm not sure if I got an offer", "find", id="not-sure"),
        pytest.param("find mail not older than a week", "find", id="not-older"),
    ],
)
def test_not_before_filler_excludes_nothing(question: str, intent: str) -> None:
    plan = detect_intent(question, now=NOW)

    assert plan.intent == intent
    assert plan.exclusions == []


def test_clean_unless_stays_sender_exception() -> None:
    plan = detect_intent(
        "clean up promos older than a month unless they're from Acme", now=NOW
    )

    assert plan.intent == "clean"
    assert [e.value for e in plan.exceptions] == ["acme"]
    assert plan.exclusions == []


def test_except_label_word_excludes_label() -> None:
    plan = detect_intent("find offers except rejections", now=NOW)

    assert plan.exceptions == []
    assert plan.labels == ["offer"]
    assert plan.excluded_labels == {"rejection"}


def test_clean_not_label_word_excludes_label() -> None:
    plan = detect_intent("clean up old mail, not newsletters", now=NOW)

    assert plan.intent == "clean"
    assert plan.excluded_labels == {"newsletter"}


# Reading prefix words into the plan


@pytest.mark.parametrize("verb", ["search", "find"])
def test_prefix_word_in_query(verb: str) -> None:
    plan = detect_intent(f"{verb} interv*", now=NOW)

    assert plan.intent == "find"
    assert plan.query == "interv*"


def test_prefix_word_alone_is_find() -> None:
    plan = detect_intent("interv*", now=NOW)

    assert plan.intent == "find"
    assert plan.query == "interv*"


def test_prefix_word_not_label_hint() -> None:
    plan = detect_intent("find rejectio*", now=NOW)

    assert plan.labels == []
    assert plan.query == "rejectio*"


def test_prefix_of_one_letter_read_as_word() -> None:
    plan = detect_intent("find x*", now=NOW)

    assert "x*" not in plan.query_terms
    assert "'x*' is read as the word 'x'" in plan.explanation


def test_excluded_prefix_word_negated() -> None:
    plan = detect_intent("find offers -interv*", now=NOW)

    assert plan.query == "-interv*"


# Exclusions in answers


def test_find_offer_without_rejection(assistant: Assistant, extra_mail: Box) -> None:
    answer = run(assistant, "find offer -rejection")

    assert cited_ids(answer) == {extra_mail["hooli_offer"].doc_id}
    assert answer.answer.startswith("Found 1 message labelled offer in")
    assert "or is labelled rejection" in answer.answer


def test_find_dash_newsletter_leaves_out_label(
    assistant: Assistant, extra_mail: Box
) -> None:
    answer = run(assistant, "find -newsletter")

    cited = cited_ids(answer)
    assert extra_mail["hooli_offer"].doc_id in cited
    assert extra_mail["jobs_newsletter"].doc_id not in cited
    assert extra_mail["tech_digest"].doc_id not in cited
    assert all("newsletter" not in citation.labels for citation in answer.citations)


@pytest.mark.parametrize(
    "question",
    ["find interview -mock", "interview NOT mock", "find interviews without mock"],
)
def test_find_interview_without_mock(
    assistant: Assistant, extra_mail: Box, question: str
) -> None:
    answer = run(assistant, question)

    cited = cited_ids(answer)
    assert extra_mail["mock_interview"].doc_id not in cited
    assert extra_mail["globex_interview"].doc_id in cited
    assert "matching mock" not in answer.answer
    assert 'Left out: mail that mentions "mock".' in answer.answer


def test_find_except_sender_leaves_out_sender(
    assistant: Assistant, extra_mail: Box
) -> None:
    answer = run(assistant, "find interviews except from Globex")

    cited = cited_ids(answer)
    assert extra_mail["globex_interview"].doc_id not in cited
    assert extra_mail["acme_interview"].doc_id in cited
    assert "comes from globex" in answer.answer


def test_summarize_without_newsletters(assistant: Assistant, extra_mail: Box) -> None:
    answer = run(assistant, "summarize the last week without newsletters")

    groups = {i.data["label"] for i in answer.items if i.kind == "group"}
    assert "newsletter" not in groups
    assert "interview" in groups
    assert "Left out" in answer.answer


def test_clean_without_newsletters_archives_promos(
    assistant: Assistant, mailbox: Box
) -> None:
    answer = run(assistant, "clean up mail older than a month without newsletters")

    archived = {i for a in answer.actions for i in a.email_ids}
    assert mailbox["shop_old"].doc_id in archived
    assert mailbox["globex_news"].doc_id not in archived
    assert "Left out" in answer.answer


# Prefix words in answers


@pytest.mark.parametrize("question", ["search interv*", "find interv*"])
def test_find_prefix_matches_longer_words(
    assistant: Assistant, mailbox: Box, question: str
) -> None:
    answer = run(assistant, question)

    assert mailbox["globex_interview"].doc_id in cited_ids(answer)
    assert answer.search.total_hits >= 3
    assert answer.answer.startswith("Found ")


def test_not_from_label_word_excludes_label(
    assistant: Assistant, store: SQLiteStore
) -> None:
    store.add_messages(
        [
            make_message(
                subject="Regarding your application",
                sender="noreply@smartrecruiters.example",
                labels=["rejection"],
            ),
            make_message(
                subject="A role for you",
                sender="jo@agency.example",
                labels=["recruiter_outreach", "rejection"],
            ),
        ]
    )

    answer = assistant.answer(ask("rejections not from recruiters"), OWNER)

    subjects = [c.subject for c in answer.citations]
    assert subjects == ["Regarding your application"]


def test_excluded_sender_keeps_owners_own_reply(
    assistant: Assistant, store: SQLiteStore
) -> None:
    store.add_messages(
        [
            make_message(
                subject="Interview with Bluefin Robotics",
                sender="hr@bluefin.example",
                sender_name="Bluefin Robotics",
                labels=["interview"],
                company="Bluefin Robotics",
            ),
            make_message(
                subject="Re: Interview with Bluefin Robotics",
                sender=OWNER_ADDRESS,
                labels=["interview"],
                company="Bluefin Robotics",
            ),
        ]
    )

    answer = assistant.answer(
        ask("find interviews unless from Bluefin Robotics"), OWNER
    )

    subjects = [c.subject for c in answer.citations]
    assert subjects == ["Re: Interview with Bluefin Robotics"]
