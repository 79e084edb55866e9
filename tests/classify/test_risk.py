"""Risk scores and their reasons, on messages built in each test."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from applylens.classify import SUSPICIOUS_THRESHOLD, classify
from applylens.classify.domains import borrowed_brand, imitated_brand
from applylens.mail.model import Message

MessageBuilder = Callable[..., Message]


@pytest.mark.parametrize(
    ("host", "brand"),
    [
        pytest.param("paypa1.com", "paypal", id="digit-for-letter"),
        pytest.param("rnicrosoft.com", "microsoft", id="rn-for-m"),
        pytest.param("xn--pypal-4ve.com", "paypal", id="cyrillic-a-punycode"),
        pytest.param("amaz0n-billing.com", "amazon", id="token-with-digit"),
        pytest.param("linkedln.com", "linkedin", id="l-for-i"),
    ],
)
def test_imitated_brand_lookalike_domain_names_brand(host: str, brand: str) -> None:
    assert imitated_brand(host) == brand


@pytest.mark.parametrize(
    "host",
    ["paypal.com", "mail.google.com", "amazon.co.uk", "yahoo.ca", "example.org"],
)
def test_imitated_brand_genuine_domain_is_none(host: str) -> None:
    assert imitated_brand(host) is None


def test_borrowed_brand_unrelated_domain_names_brand() -> None:
    assert borrowed_brand("paypal-account-check.com") == "paypal"


def test_borrowed_brand_word_inside_other_word_is_none() -> None:
    assert borrowed_brand("purchase-orders.example.com") is None


def test_classify_lookalike_sender_is_suspicious(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="service@paypa1.com",
        sender_name="Service",
        subject="Your receipt",
        text="Here is your receipt.",
    )
    verdict = classify(message)
    assert verdict.risk_score >= SUSPICIOUS_THRESHOLD
    assert "suspicious" in verdict.labels
    assert "sender domain paypa1.com imitates paypal" in verdict.risk_reasons


def test_classify_reply_to_other_domain_gives_reason(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="hr@acme-corp.com",
        reply_to="hiring.desk@unrelated-jobs.net",
        text="Thanks for your time today.",
    )
    verdict = classify(message)
    assert any("Reply-To domain unrelated-jobs.net" in r for r in verdict.risk_reasons)
    assert verdict.risk_score < SUSPICIOUS_THRESHOLD


def test_classify_reply_to_freemail_weighs_more(build_message: MessageBuilder) -> None:
    company = classify(
        build_message(sender="hr@acme-corp.com", reply_to="x@unrelated-jobs.net")
    )
    freemail = classify(
        build_message(sender="hr@acme-corp.com", reply_to="acme.hr.team@gmail.com")
    )
    assert freemail.risk_score > company.risk_score


def test_classify_reply_to_mailing_list_gives_no_reason(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="bob@example.org",
        to=["users@lists.example.com"],
        reply_to="users@lists.example.com",
    )
    assert classify(message).risk_reasons == []


def test_classify_credential_request_gives_reason(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="security@mail-notice.example.net",
        sender_name="Mailbox Security",
        subject="Action required",
        text="Your password expires today. Verify your account within 24 hours.",
    )
    verdict = classify(message)
    assert "asks to verify an account or give credentials" in verdict.risk_reasons
    assert "presses for urgent action" in verdict.risk_reasons


def test_classify_job_scam_equipment_cheque_is_suspicious(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="hiring.manager.jobs@gmail.com",
        sender_name="Hiring Manager",
        subject="Remote data entry position",
        text=(
            "Congratulations, you are hired. We will send you a check to buy"
            " the equipment from our approved vendor. The interview will be"
            " conducted on Telegram. Please act now."
        ),
    )
    verdict = classify(message)
    assert "suspicious" in verdict.labels
    assert any(r.startswith("job-scam pattern") for r in verdict.risk_reasons)


def test_classify_gift_card_request_gives_reason(build_message: MessageBuilder) -> None:
    message = build_message(
        text="I need you to buy gift cards for a client urgently, keep it quiet."
    )
    reasons = classify(message).risk_reasons
    assert "asks for money, gift cards or bank details" in reasons


def test_classify_display_name_with_brand_is_spoof(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="notice@random-host.example.info",
        sender_name="PayPal Support",
        text="Please see the attached notice.",
    )
    reasons = classify(message).risk_reasons
    assert any(r.startswith("display name 'PayPal Support'") for r in reasons)


def test_classify_display_name_with_other_address_is_spoof(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="billing@random-host.example.info",
        sender_name="billing@acme-corp.com",
    )
    reasons = classify(message).risk_reasons
    assert any("shows the address billing@acme-corp.com" in r for r in reasons)


def test_classify_person_named_like_brand_is_not_spoof(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="chase.miller@example.org", sender_name="Chase Miller"
    )
    assert classify(message).risk_reasons == []


def test_classify_ip_address_link_gives_reason(build_message: MessageBuilder) -> None:
    message = build_message(text="Log in at http://192.168.13.7/login.php today.")
    reasons = classify(message).risk_reasons
    assert "links to a bare IP address (192.168.13.7)" in reasons


def test_classify_link_showing_brand_domain_elsewhere_gives_reason(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        html='<p>Open <a href="http://login.example-verify.ru/p">www.paypal.com</a></p>',
        text="Open www.paypal.com",
    )
    reasons = classify(message).risk_reasons
    assert "a link shows www.paypal.com but leads to login.example-verify.ru" in reasons


def test_classify_ordinary_mail_scores_zero(build_message: MessageBuilder) -> None:
    message = build_message(
        subject="Lunch on Friday?",
        text="Hi, are you free for lunch on Friday? Let me know.\nAlice",
    )
    verdict = classify(message)
    assert verdict.risk_score == 0
    assert verdict.risk_reasons == []


def test_classify_score_is_capped_at_100(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="security@paypa1.com",
        sender_name="PayPal Security",
        reply_to="paypal.help@gmail.com",
        subject="URGENT ACCOUNT SUSPENSION NOTICE",
        text=(
            "Your account has been suspended. Verify your account immediately"
            " and send your bank details. Wire transfer fees apply."
            " http://10.0.0.1/verify"
        ),
    )
    assert classify(message).risk_score == 100


@pytest.mark.parametrize(
    ("subject", "shouted"),
    [
        pytest.param("FREE MONEY FOR YOU TODAY", True, id="ascii-capitals"),
        pytest.param("GRATUIT ÉNORME RÉDUCTION ICI", True, id="accented-capitals"),
        pytest.param("Free money for you today", False, id="mixed-case"),
        pytest.param("OK", False, id="too-short"),
        pytest.param("RÉunion de l'équipe demain", False, id="accented-mixed"),
    ],
)
def test_classify_subject_in_capitals_gives_reason(
    build_message: MessageBuilder, subject: str, shouted: bool
) -> None:
    reasons = classify(build_message(subject=subject)).risk_reasons
    assert ("subject is written in capitals" in reasons) is shouted


def test_classify_body_in_capitals_gives_reason(build_message: MessageBuilder) -> None:
    body = "ACT NOW TO CLAIM THE PRIZE THAT IS WAITING FOR YOU. " * 8
    reasons = classify(build_message(text=body)).risk_reasons
    assert "body is written in capitals" in reasons
    calm = classify(build_message(text=body.capitalize())).risk_reasons
    assert "body is written in capitals" not in calm
