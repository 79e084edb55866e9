"""Company and role read out of job mail."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from applylens.classify import classify, classify_text
from applylens.mail.model import Message

MessageBuilder = Callable[..., Message]


@pytest.mark.parametrize(
    ("subject", "body", "company", "role"),
    [
        pytest.param(
            "Your application",
            "Thank you for your application for the Backend Engineer position"
            " at Northwind Traders. We will review it shortly.",
            "Northwind Traders",
            "Backend Engineer",
            id="english-position-at",
        ),
        pytest.param(
            "Thanks!",
            "Thank you for applying to Contoso Labs! We have received your"
            " application.",
            "Contoso Labs",
            None,
            id="english-applying-to",
        ),
        pytest.param(
            "Votre candidature",
            "Bonjour, nous avons bien re\u00e7u votre candidature pour le poste"
            " de Ing\u00e9nieur Data chez Fabrikam Industries.",
            "Fabrikam Industries",
            "Ing\u00e9nieur Data",
            id="french-poste-chez",
        ),
        pytest.param(
            "Votre candidature a \u00e9t\u00e9 envoy\u00e9e \u00e0 Tailspin",
            "Votre candidature a \u00e9t\u00e9 envoy\u00e9e \u00e0 Tailspin\n\n"
            "Data Engineer (H/F)\n\nTailspin\n\nParis",
            "Tailspin",
            "Data Engineer (H/F)",
            id="french-platform-receipt",
        ),
        pytest.param(
            "Update",
            "Unfortunately, Woodgrove Bank has decided not to move forward with"
            " your Data Analyst application at this time.",
            "Woodgrove Bank",
            None,
            id="english-unfortunately-company",
        ),
        pytest.param(
            "Candidature",
            "Malheureusement, votre candidature n'a pas \u00e9t\u00e9 retenue pour"
            ' le poste de "D\u00e9veloppeur Python".',
            None,
            "D\u00e9veloppeur Python",
            id="french-quoted-role",
        ),
    ],
)
def test_classify_text_job_mail_reads_company_and_role(
    subject: str, body: str, company: str | None, role: str | None
) -> None:
    verdict = classify_text(subject, body)
    if company is not None:
        assert verdict.company == company
    assert verdict.role == role


def test_classify_ats_sender_name_gives_company(build_message: MessageBuilder) -> None:
    message = build_message(
        sender="no-reply@us.greenhouse-mail.io",
        sender_name="Litware",
        subject="Thanks for your application",
        text="We have received your application and will review it soon.",
    )
    assert classify(message).company == "Litware"


def test_classify_careers_display_name_gives_company(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="noreply.careers@proseware.com",
        sender_name="Proseware Careers",
        subject="Application received",
        text="We have received your application and will review it soon.",
    )
    assert classify(message).company == "Proseware"


def test_classify_workday_local_part_gives_company(
    build_message: MessageBuilder,
) -> None:
    message = build_message(
        sender="adventureworks@myworkday.com",
        sender_name="Workday",
        subject="Application received",
        text="We have received your application and will review it soon.",
    )
    assert classify(message).company == "Adventureworks"


def test_classify_non_job_mail_has_no_company(build_message: MessageBuilder) -> None:
    message = build_message(
        subject="Dinner", text="See you at seven at the usual place."
    )
    verdict = classify(message)
    assert verdict.company is None
    assert verdict.role is None
