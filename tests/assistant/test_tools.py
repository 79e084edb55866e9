"""Each tool on a real SQLite store filled with the mailbox of conftest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from applylens.assistant.engine import Assistant
from applylens.assistant.schemas import ChatAnswer
from applylens.assistant.tools.events import build_ics, read_events
from applylens.mail.model import Message
from applylens.store.sqlite import SQLiteStore

from .conftest import OWNER, OWNER_ADDRESS, ask, make_message

Box = dict[str, Message]


def run(assistant: Assistant, question: str, **options: object) -> ChatAnswer:
    return assistant.answer(ask(question, **options), OWNER)


def proposed_ids(answer: ChatAnswer, kind: str) -> set[str]:
    return {i for a in answer.actions if a.kind == kind for i in a.email_ids}


# summarize


def test_summarize_groups_by_label(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "summarize the last 2 weeks")

    groups = {
        i.data["label"]: i.data["count"] for i in answer.items if i.kind == "group"
    }
    assert answer.intent == "summarize"
    assert groups["interview"] == 2
    assert groups["recruiter_outreach"] == 4
    assert groups["offer"] == 1


def test_summarize_counts_companies(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "summarize the last 2 weeks")

    interviews = next(i for i in answer.items if i.data.get("label") == "interview")
    assert interviews.data["companies"] == {"Acme": 1, "Globex": 1}


def test_summarize_upcoming_interview_first(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "summarize this week")

    first = answer.items[0]
    assert first.kind == "interview"
    assert first.email_ids == [mailbox["acme_interview"].doc_id]
    assert first.data["start"] == "2026-12-08T22:00:00+00:00"


def test_summarize_past_interview_not_attention(
    assistant: Assistant, mailbox: Box
) -> None:
    answer = run(assistant, "summarize the last month")

    attention_ids = {
        i.email_ids[0] for i in answer.items if i.kind in ("interview", "deadline")
    }
    assert mailbox["old_interview"].doc_id not in attention_ids


def test_summarize_empty_window_says_so(assistant: Assistant) -> None:
    answer = run(assistant, "summarize today")

    assert answer.answer == "No new mail in the last 1 days."
    assert answer.citations == []


def test_summarize_empty_window_lists_upcoming_interviews(
    assistant: Assistant, mailbox: Box
) -> None:
    answer = run(assistant, "summarize my offers today")

    assert answer.answer.startswith("No new offers in the last 1 days.")
    assert "Coming up, from earlier mail:" in answer.answer
    cited = {c.id for c in answer.citations}
    assert mailbox["acme_interview"].doc_id in cited
    assert mailbox["old_interview"].doc_id not in cited


# find


def test_find_gives_reason(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "find the offer from Hooli")

    assert [i.email_ids[0] for i in answer.items] == [mailbox["hooli_offer"].doc_id]
    reason = answer.items[0].data["reason"]
    assert "'hooli' found in" in reason
    assert "labelled offer" in reason


def test_find_cites_matches(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "show me rejections")

    assert [c.id for c in answer.citations] == [mailbox["umbrella_rejection"].doc_id]
    assert answer.citations[0].labels == ["rejection"]


def test_find_relaxes_when_all_words_fail(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "find hooli salary")

    assert mailbox["hooli_offer"].doc_id in {c.id for c in answer.citations}
    assert "match some of them" in answer.answer


def test_find_nothing_says_so(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "find zeppelin")

    assert answer.items == []
    assert answer.answer.startswith("No messages matching zeppelin")


# clean


CURLY = (
    "clean up promos and newsletters older than a month unless they’re from "
    "Acme, Globex and my bank"
)


def test_clean_curly_unless_keeps_named(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, CURLY)

    archived = proposed_ids(answer, "archive")
    assert mailbox["acme_promo"].doc_id not in archived
    assert mailbox["globex_news"].doc_id not in archived
    assert mailbox["bank_promo"].doc_id not in archived


def test_clean_curly_unless_archives_rest(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, CURLY)

    archived = proposed_ids(answer, "archive")
    assert mailbox["shop_old"].doc_id in archived
    assert mailbox["shop_older"].doc_id in archived
    assert mailbox["devnews"].doc_id in archived


def test_clean_reports_each_exception(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, CURLY)

    kept = [i.title for i in answer.items if i.kind == "kept"]
    assert "Kept 1 message from acme (you asked)" in kept
    assert "Kept 1 message from globex (you asked)" in kept
    assert "Kept 1 message from your bank (you asked)" in kept


def test_clean_straight_apostrophe_same(assistant: Assistant, mailbox: Box) -> None:
    curly = run(assistant, CURLY)
    straight = run(assistant, CURLY.replace("’", "'"))

    assert proposed_ids(curly, "archive") == proposed_ids(straight, "archive")


def test_clean_skips_recent_mail(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "clean up promos older than a month")

    assert mailbox["shop_recent"].doc_id not in proposed_ids(answer, "archive")


def test_clean_min_age_from_phrase(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "archive newsletters older than 2 months")

    assert proposed_ids(answer, "archive") == {mailbox["devnews"].doc_id}


def test_clean_changes_nothing_until_approved(
    assistant: Assistant, mailbox: Box
) -> None:
    run(assistant, CURLY)

    found = run(assistant, "find shopmart newsletters and promos older than a month")
    assert assistant.actions.archived_ids(OWNER) == set()
    assert mailbox["shop_old"].doc_id in {c.id for c in found.citations}


# unsubscribe


def _unsubscribe_params(answer: ChatAnswer) -> dict[str, dict[str, object]]:
    return {
        str(a.params["sender"]): a.params
        for a in answer.actions
        if a.kind == "unsubscribe"
    }


def test_unsubscribe_prefers_one_click(assistant: Assistant, mailbox: Box) -> None:
    params = _unsubscribe_params(run(assistant, "unsubscribe from lists I never open"))

    shop = params["deals@shopmart.com"]
    assert shop["method"] == "one-click"
    assert shop["target"] == "https://shopmart.com/unsubscribe/abc"
    assert shop["post_body"] == "List-Unsubscribe=One-Click"


def test_unsubscribe_mailto_without_one_click(
    assistant: Assistant, mailbox: Box
) -> None:
    params = _unsubscribe_params(run(assistant, "unsubscribe from lists I never open"))

    assert params["weekly@devnews.io"]["method"] == "mailto"
    assert params["news@globex.com"]["method"] == "link"


def test_unsubscribe_skips_opened_sender(assistant: Assistant, mailbox: Box) -> None:
    params = _unsubscribe_params(run(assistant, "unsubscribe from lists I never open"))

    assert "noreply@medium.com" not in params


def test_unsubscribe_skips_written_to(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "unsubscribe from lists I never open")

    assert "club@runners.example" not in _unsubscribe_params(answer)
    assert "you have written to them" in answer.answer


def test_unsubscribe_honours_unless(assistant: Assistant, mailbox: Box) -> None:
    question = "unsubscribe from newsletters and promos unless they're from my bank"
    params = _unsubscribe_params(run(assistant, question))

    assert "offers@chase.com" not in params
    assert "deals@shopmart.com" in params


def test_unsubscribe_from_promos_keeps_to_promos(
    assistant: Assistant, mailbox: Box
) -> None:
    params = _unsubscribe_params(run(assistant, "unsubscribe from promos"))

    assert "deals@shopmart.com" in params
    assert "news@globex.com" not in params
    assert "weekly@devnews.io" not in params


def test_unsubscribe_cites_only_proposed_senders(
    assistant: Assistant, mailbox: Box
) -> None:
    question = "unsubscribe from newsletters and promos unless they're from my bank"
    answer = run(assistant, question)

    proposed = set(_unsubscribe_params(answer))
    cited = {citation.sender for citation in answer.citations}
    assert "offers@chase.com" not in cited
    assert cited <= proposed


# flag


def test_flag_lists_riskiest_first(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "flag anything suspicious")

    assert [i.email_ids[0] for i in answer.items] == [
        mailbox["paypal_phish"].doc_id,
        mailbox["fake_recruiter"].doc_id,
        mailbox["risky_unlabelled"].doc_id,
    ]


def test_flag_gives_classifier_reasons(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "any phishing?")

    first = answer.items[0]
    assert first.data["risk_score"] == 85
    assert "lookalike domain paypa1.com (paypal.com)" in first.data["risk_reasons"]
    assert "asks for a password" in answer.answer


def test_flag_proposes_label_for_unlabelled(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "flag anything suspicious")

    assert proposed_ids(answer, "flag") == {mailbox["risky_unlabelled"].doc_id}


def test_flag_named_sender_clean_says_so(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "is the hooli email a scam?")

    assert answer.items == []
    assert "shows signs of phishing" in answer.answer


# follow-up


def _follow_up_ids(answer: ChatAnswer) -> set[str]:
    return {i.email_ids[0] for i in answer.items}


def test_follow_up_finds_waiting_threads(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "who do I need to follow up with?")

    assert _follow_up_ids(answer) == {
        mailbox["sam_outreach"].doc_id,
        mailbox["mom"].doc_id,
    }


def test_follow_up_days_from_phrase(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "threads I haven't replied to in 5 days")

    assert _follow_up_ids(answer) == {mailbox["sam_outreach"].doc_id}


def test_follow_up_skips_owner_last(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "follow up on anything older than 3 days")

    ids = _follow_up_ids(answer)
    assert mailbox["lee_outreach"].doc_id not in ids
    assert mailbox["lee_answer"].doc_id not in ids


def test_follow_up_skips_noreply(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "follow up on anything older than 3 days")

    assert mailbox["receipt"].doc_id not in _follow_up_ids(answer)


def test_follow_up_drafts_reply(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "threads I haven't replied to in 5 days")

    reply = next(a for a in answer.actions if a.kind == "reply")
    assert reply.params["to"] == "sam@talentco.io"
    assert reply.params["subject"] == "Re: Quick chat about a platform role?"
    assert str(reply.params["body"]).startswith("Hi Sam,")
    assert "reaching out" in str(reply.params["body"])


def test_follow_up_without_owner_addresses_misses_own_reply(
    assistant_factory: Callable[..., Assistant], mailbox: Box
) -> None:
    assistant = assistant_factory(owner_addresses=[])
    answer = run(assistant, "threads I haven't replied to in 5 days")

    # Without the owner's addresses the owner's own reply looks like mail from
    # the other side, so its thread is listed as waiting.
    assert mailbox["lee_answer"].doc_id in _follow_up_ids(answer)


# calendar


def test_calendar_reads_events(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "add my interviews to my calendar")

    starts = {(i.data["kind"], i.data["start"]) for i in answer.items}
    assert starts == {
        ("interview", "2026-12-08T22:00:00+00:00"),
        ("interview", "2026-12-09T09:00:00+00:00"),
        ("deadline", "2026-12-08T04:59:00+00:00"),
        ("deadline", "2026-12-10T23:59:00+00:00"),
    }


def test_calendar_interview_duration(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "add my interviews to my calendar")

    acme = next(i for i in answer.items if "Acme" in i.title)
    assert acme.data["end"] == "2026-12-08T23:00:00+00:00"
    assert acme.data["link"] == "https://meet.acme.com/abc123"


def test_calendar_duration_read_from_quoted_invitation() -> None:
    confirmation = make_message(
        subject="Re: Interview with Quarry Labs",
        sender="jordan@quarrylabs.example",
        labels=["interview"],
        text=(
            "You're confirmed for Monday, December 7 at 3:00 PM UTC.\n\n"
            "On Nov 19, Jordan wrote:\n"
            "> I'd like to set up a 60-minute interview with the team."
        ),
    )

    (event,) = read_events([confirmation], frozenset({OWNER_ADDRESS}))

    assert event.end - event.start == timedelta(minutes=60)


def test_calendar_own_duration_wins_over_quoted() -> None:
    confirmation = make_message(
        subject="Re: Interview with Quarry Labs",
        sender="jordan@quarrylabs.example",
        labels=["interview"],
        text=(
            "Confirmed: Monday, December 7 at 3:00 PM UTC, a 30-minute call.\n\n"
            "> I'd like to set up a 60-minute interview with the team."
        ),
    )

    (event,) = read_events([confirmation], frozenset({OWNER_ADDRESS}))

    assert event.end - event.start == timedelta(minutes=30)


def test_calendar_ics_parses_back(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "add my interviews to my calendar")

    action = next(a for a in answer.actions if a.kind == "calendar")
    parsed = icalendar.Calendar.from_ical(str(action.params["ics"]))
    events = list(parsed.walk("VEVENT"))
    assert len(events) == 4
    starts = sorted(e.decoded("dtstart") for e in events)
    assert starts[0] == datetime(2026, 12, 8, 4, 59, tzinfo=UTC)
    assert {str(e["summary"]) for e in events} >= {"Interview: Acme (Backend Engineer)"}


def test_calendar_today_has_no_events(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "what's on my calendar today?")

    assert answer.items == []
    assert answer.actions == []


def test_build_ics_from_dicts() -> None:
    event = {
        "uid": "x1@applylens",
        "kind": "interview",
        "summary": "Interview: Initrode",
        "start": "2026-12-08T10:00:00+00:00",
        "end": "2026-12-08T11:00:00+00:00",
        "link": "https://meet.initrode.example/1",
    }

    parsed = icalendar.Calendar.from_ical(build_ics([event]))
    entry = next(iter(parsed.walk("VEVENT")))
    assert str(entry["uid"]) == "x1@applylens"
    assert entry.decoded("dtend") == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    assert str(entry["location"]) == "https://meet.initrode.example/1"


# task


def _tasks(answer: ChatAnswer) -> dict[str, str | None]:
    return {i.email_ids[0]: i.data["due"] for i in answer.items}


def test_task_lists_requests_with_due(assistant: Assistant, mailbox: Box) -> None:
    tasks = _tasks(run(assistant, "make me a to-do list from my email"))

    assert tasks[mailbox["initech_assessment"].doc_id] == "2026-12-08T04:59:00+00:00"
    assert tasks[mailbox["hooli_offer"].doc_id] == "2026-12-10T23:59:00+00:00"
    assert tasks[mailbox["sam_outreach"].doc_id] is None


def test_task_before_deadline_filters(assistant: Assistant, mailbox: Box) -> None:
    tasks = _tasks(run(assistant, "what do I need to do by Monday?"))

    assert set(tasks) == {mailbox["initech_assessment"].doc_id}


def test_task_soonest_first(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "list my tasks")

    assert answer.items[0].email_ids == [mailbox["initech_assessment"].doc_id]
    assert answer.items[-1].data["due"] is None


@pytest.mark.parametrize(
    "question",
    ["make me a to-do list", "add my interviews to my calendar", "any scams?"],
)
def test_tool_citations_match_items(
    assistant: Assistant, mailbox: Box, question: str
) -> None:
    answer = run(assistant, question)

    cited = {c.id for c in answer.citations}
    assert {i for item in answer.items for i in item.email_ids} <= cited


# the reader's time zone


def test_calendar_times_in_reader_zone(assistant: Assistant, mailbox: Box) -> None:
    utc = run(assistant, "add my interviews to my calendar")
    tokyo = run(assistant, "add my interviews to my calendar", time_zone="Asia/Tokyo")

    acme_utc = next(i for i in utc.items if "Acme" in i.title)
    acme_tokyo = next(i for i in tokyo.items if "Acme" in i.title)
    assert acme_utc.detail == "Tue 08 Dec 2026 22:00 UTC"
    assert acme_tokyo.detail == "Wed 09 Dec 2026 07:00 JST"
    assert acme_tokyo.data["start"] == "2026-12-08T22:00:00+00:00"
    assert "Wed 09 Dec 2026 07:00 JST" in tokyo.answer


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        ask("summarize this week", time_zone="Mars/Olympus")


def test_today_starts_at_reader_midnight(assistant: Assistant, mailbox: Box) -> None:
    # 14:00 UTC on 4 December is already 04:00 on 5 December at UTC+14.
    utc = run(assistant, "summarize today")
    kiritimati = run(assistant, "summarize today", time_zone="Pacific/Kiritimati")

    assert utc.window.effective_after == datetime(2026, 12, 4, tzinfo=UTC)
    assert kiritimati.window.effective_after == datetime(2026, 12, 4, 10, tzinfo=UTC)


# follow-up: threads waiting for the other side


@pytest.fixture
def waiting_box(store: SQLiteStore) -> Box:
    box = {
        "acme_receipt": make_message(
            subject="Thank you for applying to Acme",
            sender="careers@acme.example",
            sender_name="Acme Careers",
            days_ago=12,
            labels=["application_receipt"],
            company="Acme",
        ),
        "globex_receipt": make_message(
            subject="We received your application",
            sender="no-reply@globex.example",
            days_ago=20,
            labels=["application_receipt"],
            company="Globex",
        ),
        # A rejection in a thread of its own settles the Globex application.
        "globex_rejection": make_message(
            subject="Your application to Globex",
            sender="no-reply@globex.example",
            days_ago=6,
            labels=["rejection"],
            company="Globex",
        ),
        "initech_outreach": make_message(
            subject="Platform role at Initech",
            sender="sam@initech.example",
            sender_name="Sam Park",
            days_ago=15,
            labels=["recruiter_outreach"],
            thread_id="initech",
        ),
        "initech_reply": make_message(
            subject="Re: Platform role at Initech",
            sender=OWNER_ADDRESS,
            days_ago=9,
            to=["sam@initech.example"],
            thread_id="initech",
        ),
        "umbrella_outreach": make_message(
            subject="Data role at Umbrella",
            sender="kim@umbrella.example",
            days_ago=6,
            labels=["recruiter_outreach"],
            thread_id="umbrella",
        ),
        "umbrella_reply": make_message(
            subject="Re: Data role at Umbrella",
            sender=OWNER_ADDRESS,
            days_ago=2,
            to=["kim@umbrella.example"],
            thread_id="umbrella",
        ),
    }
    store.add_messages(box.values())
    return box


def test_awaiting_them_lists_unanswered_threads(
    assistant: Assistant, waiting_box: Box
) -> None:
    answer = run(assistant, "which companies haven't got back to me?")

    listed = {i.email_ids[0] for i in answer.items}
    assert answer.intent == "follow_up"
    assert listed == {
        waiting_box["acme_receipt"].doc_id,
        waiting_box["initech_reply"].doc_id,
    }
    assert all(i.kind == "awaiting_reply" for i in answer.items)
    assert "2 threads waited 7 days or more" in answer.answer


def test_awaiting_them_drafts_follow_ups(
    assistant: Assistant, waiting_box: Box
) -> None:
    answer = run(assistant, "who am I waiting to hear back from?")

    drafts = {a.params["to"]: a.params["body"] for a in answer.actions}
    assert set(drafts) == {"careers@acme.example", "sam@initech.example"}
    assert "status of my application" in drafts["careers@acme.example"]
    assert drafts["sam@initech.example"].startswith("Hi Sam,")
    assert all(a.kind == "reply" for a in answer.actions)


def test_awaiting_them_days_from_phrase(assistant: Assistant, waiting_box: Box) -> None:
    answer = run(assistant, "who hasn't got back to me in 10 days?")

    listed = {i.email_ids[0] for i in answer.items}
    assert listed == {waiting_box["acme_receipt"].doc_id}


def test_owner_turn_question_unchanged(assistant: Assistant, waiting_box: Box) -> None:
    answer = run(assistant, "who haven't I replied to?")

    listed = {i.email_ids[0] for i in answer.items}
    assert waiting_box["initech_reply"].doc_id not in listed
    assert all(i.kind == "follow_up" for i in answer.items)


def test_find_symbols_only_says_unsearchable(
    assistant: Assistant, mailbox: Box
) -> None:
    answer = run(assistant, "find 😀 [/]")

    assert answer.items == []
    assert answer.citations == []
    assert "nothing to search for in '😀 [/]'" in answer.answer


def test_summarize_date_range_question(assistant: Assistant, mailbox: Box) -> None:
    answer = run(assistant, "summarize mail from 2026-11-20 to 2026-12-01")

    assert answer.window.effective_after == datetime(2026, 11, 20, tzinfo=UTC)
    assert "from Fri 20 Nov 2026 to Tue 01 Dec 2026" in answer.answer


def test_window_past_a_year_is_capped_with_note(
    assistant: Assistant, mailbox: Box
) -> None:
    answer = run(assistant, "summarize the last 9999 days")

    assert answer.window.effective_days == 365
    assert answer.window.note is not None
    assert "365 days" in answer.window.note
