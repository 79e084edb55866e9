"""The closed set of labels the classifier assigns."""

from __future__ import annotations

from typing import Final

APPLICATION_RECEIPT: Final = "application_receipt"
INTERVIEW: Final = "interview"
ASSESSMENT: Final = "assessment"
OFFER: Final = "offer"
REJECTION: Final = "rejection"
RECRUITER_OUTREACH: Final = "recruiter_outreach"
SCHEDULING: Final = "scheduling"
NEWSLETTER: Final = "newsletter"
PROMO: Final = "promo"
SUSPICIOUS: Final = "suspicious"
NEEDS_REPLY: Final = "needs_reply"
PERSONAL: Final = "personal"

# Order is the display order: job stages first, then mail kinds.
LABELS: Final[tuple[str, ...]] = (
    APPLICATION_RECEIPT,
    INTERVIEW,
    ASSESSMENT,
    OFFER,
    REJECTION,
    RECRUITER_OUTREACH,
    SCHEDULING,
    NEWSLETTER,
    PROMO,
    SUSPICIOUS,
    NEEDS_REPLY,
    PERSONAL,
)

JOB_LABELS: Final[frozenset[str]] = frozenset(
    {
        APPLICATION_RECEIPT,
        INTERVIEW,
        ASSESSMENT,
        OFFER,
        REJECTION,
        RECRUITER_OUTREACH,
        SCHEDULING,
    }
)

# A message whose risk score reaches this value is labelled suspicious.
SUSPICIOUS_THRESHOLD: Final = 50


def check_label(label: str) -> str:
    """Return `label` if it belongs to the closed set, else raise ValueError."""
    if label not in LABELS:
        allowed = ", ".join(LABELS)
        raise ValueError(f"unknown label {label!r}: expected one of {allowed}")
    return label
