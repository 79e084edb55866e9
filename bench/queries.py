"""The fixed set of 50 search queries that every search benchmark runs.

Each query is written twice: in ApplyLens's query language and in notmuch's,
meaning the same thing as far as the two languages allow. Dates are absolute
because the benchmark mailbox is generated at the fixed time `BENCH_NOW`, so
the same query selects the same mail on every run. Other benchmarks (for
example against Elasticsearch) import `QUERIES` and use the `applylens` text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

BENCH_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
"""The `now` the generated benchmark mailbox is made at."""


@dataclass(frozen=True, slots=True)
class BenchQuery:
    name: str
    applylens: str
    notmuch: str


def _same(name: str, text: str) -> BenchQuery:
    return BenchQuery(name, text, text)


QUERIES: tuple[BenchQuery, ...] = (
    _same("word-interview", "interview"),
    _same("phrase-phone-screen", '"phone screen"'),
    _same("words-offer-letter", "offer letter"),
    _same("words-assessment-deadline", "assessment deadline"),
    _same("phrase-other-candidates", '"move forward with other candidates"'),
    _same("from-greenhouse", "from:greenhouse-mail.io"),
    _same("from-workday", "from:myworkday.com"),
    _same("from-lever", "from:lever.co"),
    _same("from-linkedin", "from:linkedin.com"),
    _same("subject-offer", "subject:offer"),
    _same("subject-interview-invitation", 'subject:"interview invitation"'),
    _same("subject-confirmed", "subject:confirmed"),
    _same("words-recruiter-remote", "recruiter remote"),
    _same("words-salary-range", "salary range"),
    _same("phrase-thank-you-applying", '"thank you for applying"'),
    _same("words-application-received", "application received"),
    _same("word-unsubscribe", "unsubscribe"),
    _same("phrase-window-functions", '"window functions"'),
    _same("words-statement-ready", "statement ready"),
    _same("phrase-low-balance", '"low balance"'),
    _same("words-verify-account", "verify account"),
    _same("words-password-expires", "password expires"),
    _same("phrase-gift-cards", '"gift cards"'),
    _same("phrase-background-check", '"background check"'),
    _same("words-dinner-saturday", "dinner saturday"),
    _same("words-photos-hike", "photos hike"),
    _same("words-reference-letter", "reference letter"),
    _same("phrase-mock-interview", '"mock interview"'),
    _same("words-coffee-week", "coffee next week"),
    _same("words-data-engineer", "data engineer"),
    _same("phrase-ml-engineer", '"machine learning engineer"'),
    _same("word-company-northwind", "northwind"),
    _same("phrase-company-bluefin", '"bluefin robotics"'),
    _same("phrase-company-kestrel", '"kestrel security"'),
    _same("word-hackerrank", "hackerrank"),
    _same("words-codesignal-assessment", "codesignal assessment"),
    _same("words-calendar-invite", "calendar invite"),
    _same("word-reschedule", "reschedule"),
    _same("phrase-final-round", '"final round"'),
    _same("word-onsite", "onsite"),
    _same("words-video-interview", "video interview"),
    _same("words-availability-times", "availability times"),
    _same("from-agency", "from:talentbridge-partners.example"),
    _same("subject-new-jobs", 'subject:"new jobs"'),
    _same("words-free-shipping", "free shipping"),
    _same("words-coupon-code", "code checkout"),
    _same("word-accented-entrevistas", "entrevistas"),
    BenchQuery(
        "interview-after-date",
        "interview after:2025-11-01",
        "interview date:2025-11-01..",
    ),
    BenchQuery(
        "offer-before-date", "offer before:2025-06-01", "offer date:..2025-05-31"
    ),
    BenchQuery("negated-word", "remote -unsubscribe", "remote and not unsubscribe"),
)

if len(QUERIES) != 50:
    raise AssertionError(f"expected 50 benchmark queries, found {len(QUERIES)}")
