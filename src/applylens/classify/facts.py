"""Reading the company and the role out of job mail."""

from __future__ import annotations

import re
from typing import Final

from applylens.classify.domains import FREEMAIL_DOMAINS, registrable_domain
from applylens.classify.rules import ATS_DOMAINS
from applylens.classify.view import MailView

# A company name: capitalised words, optionally joined by "&", "of", "de" ...
_NAME: Final = (
    r"(?P<name>[A-Z0-9\u00c0-\u00dd@][\w&.'\u00b0+\-]*"
    r"(?: (?:&|and|of|de|du|des|la|le|et|f\u00fcr|\|)? ?"
    r"[A-Z0-9\u00c0-\u00dd][\w&.'\u00b0+\-]*){0,5}"
    r"(?:,? (?:Inc|LLC|Ltd|Corp|GmbH|SAS|SA|AG|PLC)\b\.?)?)"
)
_COMPANY_PATTERNS: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(pattern)
    for pattern in (
        r"(?i:candidature a \u00e9t\u00e9 (?:envoy\u00e9e|transmise) \u00e0) " + _NAME,
        r"(?i:candidature a \u00e9t\u00e9 (?:vue|consult\u00e9e) par) " + _NAME,
        r"(?i:application was sent to) " + _NAME,
        r"(?i:(?:position|role|opening|job|opportunity|internship)) (?i:at|with) "
        r"(?:the )?" + _NAME,
        r"(?i:(?:thank you|thanks)(?: so much| very much)? for (?:applying|your"
        r" application|your interest)(?: in joining| in working (?:with|at)| to| in"
        r"| at| with)) (?:the |our )?" + _NAME,
        r"(?i:unfortunately,) " + _NAME + r" (?i:has|have|did)",
        r"(?i:careers? (?:at|with)) " + _NAME,
        r"(?i:(?:join|joining)) (?:the )?" + _NAME + r" (?i:team|family)",
        r"(?i:chez|au sein de|pour rejoindre) " + _NAME,
        r"(?i:l'int\u00e9r\u00eat (?:que vous portez|que tu portes|pour)) (?:\u00e0 )?"
        r"(?:la |le |l'|notre )?" + _NAME,
        r"(?i:l'\u00e9quipe) " + _NAME,
        r"(?i:dernière nouvelle de) " + _NAME,
    )
)
_ROLE: Final = r"(?P<role>[\w\u00c0-\u017f][^\n.,;!?\"()]{1,80}?)"
_ROLE_PATTERNS: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(pattern)
    for pattern in (
        r"(?i:poste (?:de |d'|du )?)\"?" + _ROLE + r"\"?(?= chez| \(| at|[.,;\n\"]|$)",
        r"(?i:position of) " + _ROLE + r"(?= at| with| -|[.,;\n]|$)",
        r"(?i:(?:for|to|in|apply for) (?:the|our|this)) "
        + _ROLE
        + r" (?i:position|role|opening|job|internship)\b",
        r"(?i:your application for) (?:the )?" + _ROLE + r"(?= at| with| position"
        r"| role|[.,;\n]|$)",
        r"(?i:candidature bien re\u00e7ue pour) " + _ROLE + r"(?= /|$|\n)",
        r"(?i:votre candidature ?: ?)" + _ROLE + r"(?= chez )",
        r"(?i:position): " + _ROLE + r"(?=\n|$)",
    )
)
_SENDER_NOISE: Final = re.compile(
    r"\b(?:careers?|recruiting|recruitment|talent(?: acquisition)?|hiring(?: team)?"
    r"|jobs?|hr|team|no-?reply|notifications?|people|via \w+|the|\u00e9quipe"
    r"|recrutement|rh|candidates?|applications?)\b",
    re.I,
)
_PLATFORM_NAMES: Final = frozenset(
    {
        "linkedin", "indeed", "workday", "greenhouse", "lever", "glassdoor",
        "smartrecruiters", "icims", "workable", "ashby", "jobvite", "taleo",
        "successfactors", "welcome to the jungle", "monster", "dice",
        "ziprecruiter", "teamtailor",
    }
)  # fmt: skip
_GENERIC_LOCAL_PARTS: Final = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|notifications?|jobs|careers?"
    r"|recruiting|talent|hr|info|support|mail|system|workday|apply|candidates?)"
)
_SENTENCE_BREAK: Final = re.compile(r"(?<!Inc)(?<!Ltd)(?<!Co)\.\s")
_TRAILING_NOISE: Final = re.compile(r"[\s.,;:!'\-|]+$")
_NOT_COMPANIES: Final = frozenset(
    {"us", "our", "our team", "the team", "this", "you", "we", "nous", "notre"}
)


def extract_company(view: MailView) -> str | None:
    """Return the employer named by the text or the sender, or None."""
    text = view.subject + "\n" + view.text[:3000]
    for pattern in _COMPANY_PATTERNS:
        match = pattern.search(text)
        if match is not None:
            name = _clean_name(match.group("name"))
            if name:
                return name
    return _company_from_sender(view)


def extract_role(view: MailView) -> str | None:
    """Return the job title named by the subject or the text, or None."""
    for source in (view.subject, view.text[:3000]):
        for pattern in _ROLE_PATTERNS:
            match = pattern.search(source)
            if match is not None:
                role = _TRAILING_NOISE.sub("", match.group("role").strip())
                if 2 <= len(role) <= 80:
                    return role
    return _linkedin_role(view)


def _linkedin_role(view: MailView) -> str | None:
    # LinkedIn receipts put the job title on the first non-blank line after
    # "Votre candidature a été envoyée à <company>".
    lines = [line.strip() for line in view.text[:600].splitlines() if line.strip()]
    if len(lines) >= 2 and lines[0].lower().startswith(
        ("votre candidature a \u00e9t\u00e9 envoy\u00e9e", "your application was sent")
    ):
        return lines[1][:80]
    return None


def _clean_name(raw: str) -> str | None:
    # A full stop and a blank end the name: "at Acme. We will ..." names Acme.
    raw = _SENTENCE_BREAK.split(raw, maxsplit=1)[0]
    name = _TRAILING_NOISE.sub("", raw.strip()).strip()
    if name.endswith(("Inc", "Ltd", "Corp", "LLC")) and raw.rstrip().endswith("."):
        name += "."
    if len(name) < 2 or name.lower() in _NOT_COMPANIES:
        return None
    if name.lower() in _PLATFORM_NAMES:
        return None
    return name


def _company_from_sender(view: MailView) -> str | None:
    site = registrable_domain(view.sender_domain)
    name = _SENDER_NOISE.sub(" ", view.sender_name)
    name = " ".join(name.replace('"', " ").split()).strip(" -|,:")
    is_platform = site in ATS_DOMAINS or site in FREEMAIL_DOMAINS
    if name and name.lower() not in _PLATFORM_NAMES and name != view.sender_name:
        return name
    if is_platform and name and name.lower() not in _PLATFORM_NAMES and " " not in name:
        return name
    local_part = view.sender.partition("@")[0].lower()
    if site in {"myworkday.com", "icims.com"} and not _GENERIC_LOCAL_PARTS.match(
        local_part
    ):
        return local_part.split("-")[0].split(".")[0].capitalize()
    if site and not is_platform:
        return site.split(".")[0].capitalize()
    return None
