"""Assign labels, a risk score and job facts to one message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from applylens.classify import labels as L
from applylens.classify import rules
from applylens.classify.facts import extract_company, extract_role
from applylens.classify.risk import assess_risk
from applylens.classify.view import MailView, view_of_message, view_of_text
from applylens.mail.model import Message

# Distinct sales cues ("free shipping", "% off" ...) that make bulk mail a
# promotion: two when the subject has one of them, else three, since
# newsletters carry a sponsor's offer in their body.
MIN_SALES_CUES_WITH_SUBJECT = 2
MIN_SALES_CUES = 3
# Mail with at least this risk score is never labelled personal, even below
# the suspicious threshold.
PERSONAL_MAX_RISK = 20


@dataclass(slots=True)
class Classification:
    """The classifier's verdict on one message."""

    labels: list[str] = field(default_factory=list)
    risk_score: int = 0
    risk_reasons: list[str] = field(default_factory=list)
    company: str | None = None
    role: str | None = None


def classify(
    message: Message, *, owner_addresses: Sequence[str] = ()
) -> Classification:
    """Classify `message`; `owner_addresses` are the mailbox owner's own
    addresses, used to tell mail sent to the owner from mail the owner sent."""
    return classify_view(view_of_message(message, owner_addresses))


def classify_message(message: Message, *, owner_addresses: Sequence[str] = ()) -> None:
    """Classify `message` and store the verdict in its fields."""
    verdict = classify(message, owner_addresses=owner_addresses)
    message.labels = verdict.labels
    message.risk_score = verdict.risk_score
    message.risk_reasons = verdict.risk_reasons
    message.company = verdict.company
    message.role = verdict.role


def classify_text(subject: str, body: str, sender: str = "") -> Classification:
    """Classify a message known only by its subject, plain-text body and
    sender, as in datasets that keep no headers."""
    return classify_view(view_of_text(subject, body, sender))


def classify_view(view: MailView) -> Classification:
    risk = assess_risk(view)
    found: set[str] = set()
    is_suspicious = risk.score >= L.SUSPICIOUS_THRESHOLD
    if is_suspicious:
        found.add(L.SUSPICIOUS)

    job = rules.job_labels(view)
    found.update(job)
    kinds = _mail_kind(view, risk.score)
    if job:
        # Job mail keeps its stage labels. Whether a person wrote it still
        # matters, but bulk kinds would only repeat what the sender is.
        kinds -= {L.NEWSLETTER, L.PROMO}
    found.update(kinds)

    verdict = Classification(
        labels=[label for label in L.LABELS if label in found],
        risk_score=risk.score,
        risk_reasons=risk.reasons,
    )
    if job:
        verdict.company = extract_company(view)
        verdict.role = extract_role(view)
    return verdict


def _is_promotion(view: MailView) -> bool:
    # Senders of legitimate marketing mail add a List-Unsubscribe header, as
    # large mailbox providers ask of bulk senders. Sales wording without it,
    # in mail that has headers, is left to the risk score.
    has_list_headers = view.has_unsubscribe or view.is_bulk_by_headers
    if view.has_headers and not has_list_headers:
        return False
    if view.is_reply:
        return False
    in_subject, in_text = rules.sales_cue_count(view)
    if in_subject:
        return in_text >= MIN_SALES_CUES_WITH_SUBJECT
    return in_text >= MIN_SALES_CUES


def _mail_kind(view: MailView, risk_score: int) -> set[str]:
    if rules.is_bulk(view):
        if _is_promotion(view):
            return {L.PROMO}
        return {L.NEWSLETTER}
    if risk_score >= PERSONAL_MAX_RISK or view.sent_by_owner:
        return set()
    if rules.is_automated_sender(view):
        return set()
    if not view.has_headers:
        return set()
    kinds = {L.PERSONAL}
    if rules.is_scheduling(view):
        kinds.add(L.SCHEDULING)
    if view.addressed_to_owner and not view.is_replied and rules.asks_for_reply(view):
        kinds.add(L.NEEDS_REPLY)
    return kinds
