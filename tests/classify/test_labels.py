"""Labels of single messages built in each test."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from applylens.classify import LABELS, classify, classify_message, classify_text
from applylens.classify.labels import check_label
from applylens.mail.model import Message, Unsubscribe

MessageBuilder = Callable[..., Message]
NEWS_UNSUBSCRIBE = Unsubscribe(url="https://news.example.com/u?id=1", one_click=True)


def test_classify_message_stores_verdict(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="jobs@northwind.example.com",
        sender_name="Northwind Careers",
        subject="Application received",
        text="Thank you for applying to the Data Engineer position at Northwind.",
    )
    classify_message(message)
    assert message.labels == ["application_receipt"]
    assert message.company == "Northwind"
    assert message.role == "Data Engineer"
    assert message.risk_score == 0


def test_check_label_unknown_label_raises() -> None:
    with pytest.raises(ValueError, match="unknown label 'spam'"):
        check_label("spam")


@pytest.mark.parametrize(
    ("subject", "body", "label"),
    [
        pytest.param(
            "Interview invitation",
            "We would like to invite you to a phone interview for the role."
            " Please share your availability for next week.",
            "interview",
            id="interview",
        ),
        pytest.param(
            "Next step",
            "As the next step for the position, please complete the online"
            " coding challenge on HackerRank within five days.",
            "assessment",
            id="assessment",
        ),
        pytest.param(
            "Offer",
            "We are pleased to extend you a formal offer for the position of"
            " Data Engineer. Your start date would be March 2.",
            "offer",
            id="offer",
        ),
        pytest.param(
            "Recruiting",
            "Hi, I'm a technical recruiter at Fabrikam. I came across your"
            " profile and would you be open to a new role in Lyon?",
            "recruiter_outreach",
            id="recruiter",
        ),
        pytest.param(
            "Votre candidature",
            "Bonjour, apr\u00e8s \u00e9tude de votre candidature, nous sommes au"
            " regret de vous informer que nous ne pouvons pas y donner suite.",
            "rejection",
            id="french-rejection",
        ),
        pytest.param(
            "Entretien",
            "Bonjour, suite \u00e0 votre candidature nous aimerions planifier un"
            " entretien t\u00e9l\u00e9phonique. Quelles sont vos disponibilit\u00e9s ?",
            "interview",
            id="french-interview",
        ),
    ],
)
def test_classify_text_job_stage_is_labelled(
    subject: str, body: str, label: str
) -> None:
    assert label in classify_text(subject, body).labels


def test_classify_text_conditional_rejection_is_receipt() -> None:
    verdict = classify_text(
        "Candidature bien re\u00e7ue",
        "Nous avons bien re\u00e7u votre candidature. En l'absence de retour de"
        " notre part sous trois semaines, veuillez consid\u00e9rer que celle-ci"
        " n'a pas \u00e9t\u00e9 retenue.",
    )
    assert verdict.labels == ["application_receipt"]


def test_classify_text_if_not_selected_is_not_rejection() -> None:
    verdict = classify_text(
        "Thanks for applying",
        "We received your application. If you are not selected for this role,"
        " we will keep your resume on file.",
    )
    assert "rejection" not in verdict.labels


def test_classify_rejection_drops_receipt() -> None:
    verdict = classify_text(
        "Update",
        "Thank you for applying. Unfortunately we will not be moving forward"
        " with your application.",
    )
    assert verdict.labels == ["rejection"]


def test_classify_list_unsubscribe_is_newsletter(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="news@weekly.example.com",
        sender_name="The Weekly",
        subject="This week in databases",
        text="Five articles we liked this week.",
        unsubscribe=NEWS_UNSUBSCRIBE,
    )
    assert classify(message).labels == ["newsletter"]


def test_classify_list_id_header_is_newsletter(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="bob@example.org",
        sender_name="Bob Stone",
        text="I think the patch looks fine.",
        list_id="<dev.lists.example.org>",
    )
    assert classify(message).labels == ["newsletter"]


def test_classify_sales_mail_with_unsubscribe_is_promo(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="offers@shop.example.com",
        sender_name="Example Shop",
        subject="Winter sale: 30% off everything",
        text="Free shipping on all orders this weekend. Shop now!",
        unsubscribe=NEWS_UNSUBSCRIBE,
    )
    assert classify(message).labels == ["promo"]


def test_classify_person_asking_is_personal_needs_reply(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        subject="Reference letter",
        text="Hi, could you send me the reference letter by Friday?\nThanks, Alice",
    )
    assert classify(message, owner_addresses=["me@example.net"]).labels == [
        "needs_reply",
        "personal",
    ]


def test_classify_replied_message_needs_no_reply(build_message: MessageBuilder) -> None:
    message = build_message(
        text="Could you send me the reference letter by Friday?",
        maildir_flags="RS",
    )
    assert classify(message).labels == ["personal"]


def test_classify_question_only_in_quote_needs_no_reply(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        text="Thanks, that works for me.\n\nOn Mon, 5 Jan 2026, Me wrote:\n"
        "> Could you confirm the date?",
        in_reply_to="earlier@example.net",
    )
    assert classify(message).labels == ["personal"]


def test_classify_mail_to_someone_else_needs_no_reply(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        text="Could you send me the slides?", to=["colleague@example.net"]
    )
    labels = classify(message, owner_addresses=["me@example.net"]).labels
    assert "needs_reply" not in labels


def test_classify_mail_sent_by_owner_is_not_personal(
    build_message: MessageBuilder,
) -> None:
    message = build_message(sender="me@example.net", text="Can we meet at noon?")
    assert classify(message, owner_addresses=["me@example.net"]).labels == []


def test_classify_noreply_notification_is_not_personal(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="no-reply@accounts.example.com",
        sender_name="Example Accounts",
        text="Your password was changed. Was this you?",
    )
    assert "personal" not in classify(message).labels


def test_classify_person_scheduling_call_is_scheduling(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        subject="Quick call",
        text="Here is my Calendly link to pick a time slot for a call.",
    )
    assert "scheduling" in classify(message).labels


def test_classify_labels_belong_to_closed_set(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="security@paypa1.com",
        subject="Interview and offer",
        text="We would like to invite you to an interview. Verify your account.",
        unsubscribe=NEWS_UNSUBSCRIBE,
    )
    labels = classify(message).labels
    assert labels
    assert set(labels) <= set(LABELS)


def test_classify_recruiter_person_is_personal(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="jane.doe@staffing.example.com",
        sender_name="Jane Doe",
        subject="Data engineer role",
        text="Hi, I'm a recruiter at Fabrikam. Are you open to a new role?",
    )
    labels = classify(message, owner_addresses=["me@example.net"]).labels
    assert labels == ["recruiter_outreach", "needs_reply", "personal"]


def test_classify_ats_receipt_is_not_personal(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="no-reply@hire.lever.co",
        sender_name="Litware",
        subject="Thanks for applying",
        text="Thank you for applying. Could you complete your profile?",
        unsubscribe=NEWS_UNSUBSCRIBE,
    )
    assert classify(message).labels == ["application_receipt"]


def test_classify_person_with_reply_to_stays_personal(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="alice.martin@gmail.com",
        reply_to="alice@work.example.com",
        text="Here are the notes from today.",
    )
    assert classify(message).labels == ["personal"]


def test_classify_spam_wording_is_not_personal(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="deals4you@hotmail.com",
        sender_name="Best Deals",
        subject="Lowest mortgage rates",
        text="Refinance today and consolidate your debt. Order now!",
    )
    assert "personal" not in classify(message).labels
