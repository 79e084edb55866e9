"""Deterministic classification of job-search mail.

``classify`` returns labels from the closed set in ``LABELS``, a risk score
from 0 to 100 with its reasons, and for job mail the company and role.
"""

from __future__ import annotations

from applylens.classify.classifier import (
    Classification,
    classify,
    classify_message,
    classify_text,
)
from applylens.classify.labels import LABELS, SUSPICIOUS_THRESHOLD

__all__ = [
    "LABELS",
    "SUSPICIOUS_THRESHOLD",
    "Classification",
    "classify",
    "classify_message",
    "classify_text",
]
