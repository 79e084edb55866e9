"""The risk score: how likely a message is phishing, a scam or spam.

Each finding adds points and one human-readable reason, and the score is
their sum capped at 100. The weights are hand-set: a lookalike domain alone reaches
the suspicious threshold, while weaker findings (a mismatched Reply-To,
spam wording) need to come together.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Final

from applylens.classify.domains import (
    BRAND_DOMAINS,
    FREEMAIL_DOMAINS,
    borrowed_brand,
    brand_in_text,
    domain_of,
    imitated_brand,
    is_official_domain,
    registrable_domain,
)
from applylens.classify.phrases import PhraseSet
from applylens.classify.rules import is_job_related
from applylens.classify.view import MailView

LOOKALIKE_POINTS: Final = 60
BORROWED_BRAND_POINTS: Final = 40
PUNYCODE_POINTS: Final = 25
DISPLAY_SPOOF_POINTS: Final = 45
REPLY_TO_POINTS: Final = 15
REPLY_TO_FREEMAIL_POINTS: Final = 30
CREDENTIAL_POINTS: Final = 30
MONEY_POINTS: Final = 30
JOB_SCAM_POINTS: Final = 45
URGENCY_POINTS: Final = 15
IP_LINK_POINTS: Final = 35
BRAND_LINK_POINTS: Final = 40
MISMATCHED_LINK_POINTS: Final = 15
SPAM_WORDING_POINTS: Final = 20
REMOVAL_WORDING_POINTS: Final = 30
MAX_SPAM_WORDING_POINTS: Final = 60
AD_MARKER_POINTS: Final = 30
SHOUTED_BODY_POINTS: Final = 15
# Mail that carries List-Id or List-Unsubscribe headers comes through a list
# or a registered sender. Its wording weighs less, because newsletters quote
# scam and sales wording when they report on it.
LIST_MAIL_CONTENT_FACTOR: Final = 0.5
SHOUTED_SUBJECT_POINTS: Final = 10
FREEMAIL_COMMERCE_POINTS: Final = 20
UNADDRESSED_POINTS: Final = 10


def _phrases(*patterns: str) -> PhraseSet:
    return PhraseSet(*patterns)


_CREDENTIAL_REQUEST: Final = _phrases(
    r"\b(?:verify|confirm|validate|update|re-?activate|unlock|restore)"
    r" (?:your|the) (?:account|identity|login|password|credentials|mailbox"
    r"|billing|payment (?:details|information|method)|card details)",
    r"\byour (?:account|mailbox|password) (?:has been|will be|is being)"
    r" (?:suspended|locked|disabled|closed|limited|deactivated|terminated)",
    r"\bpassword (?:expires|will expire|has expired|is about to expire)",
    r"\b(?:enter|provide|send|submit) (?:us )?your (?:password|pin|login|"
    r"credentials|social security|ssn|card number|bank details)",
    r"\bv\u00e9rifie[rz]? (?:votre|ton) (?:compte|identit\u00e9)",
    r"\bconfirme[rz]? (?:vos|tes) (?:identifiants|informations bancaires"
    r"|coordonn\u00e9es bancaires)",
    r"\bvotre (?:compte|mot de passe) (?:sera|a \u00e9t\u00e9|va \u00eatre)"
    r" (?:suspendu|bloqu\u00e9|d\u00e9sactiv\u00e9|expir\u00e9)",
    r"\bmot de passe (?:expire|va expirer)",
)
_MONEY_REQUEST: Final = _phrases(
    r"\bwire (?:transfer|the (?:money|funds))",
    r"\bwestern union\b",
    r"\bmoneygram\b",
    r"\b(?:itunes|google play|steam|amazon|apple) gift ?cards?\b",
    r"\b(?:buy|purchase|send|get) (?:some |the )?gift ?cards?\b",
    r"\b(?:in|via|with|send|pay(?: in)?) bitcoins?\b",
    r"\btransfer (?:of )?(?:the )?(?:sum|funds)\b",
    r"\bnext of kin\b",
    r"\b(?:bank|banking) (?:account )?(?:details|information|particulars)\b",
    r"\b(?:routing|account) number\b",
    r"\b(?:processing|registration|release|clearance|transfer|advance) fees?\b",
    r"\bcarte?s? cadeaux?\b",
    r"\bfrais de (?:dossier|formation|mat\u00e9riel|traitement)\b",
    r"\bcoordonn\u00e9es bancaires\b",
    r"\bvirement (?:bancaire|urgent)\b",
)
# Job scams: the "employer" pays by cheque for equipment bought from its own
# vendor, charges for training, or interviews over chat apps only. These count
# only in job mail, since "pay the fee" is ordinary elsewhere.
_JOB_SCAM: Final = _phrases(
    r"\bpay (?:a |the |for (?:the |your )?)?(?:fee|training|equipment"
    r"|background check|starter kit)",
    r"\b(?:purchase|buy) (?:the |your )?(?:equipment|laptop|software|supplies)"
    r" (?:from|through) (?:our|the|a) (?:approved |designated |preferred )?vendor",
    r"\b(?:send|mail) you a (?:check|cheque) (?:to|for)\b",
    r"\b(?:deposit|cash) (?:the|this) (?:check|cheque)\b",
    r"\binterview (?:will be )?(?:conducted |held )?(?:on|via|through)"
    r" (?:telegram|whatsapp|google hangouts|signal|wickr)",
    r"\breship(?:ping)? (?:packages|parcels|items)\b",
    r"\bpayer (?:des |les )?frais (?:de formation|de mat\u00e9riel|d'inscription)",
)
_URGENCY: Final = _phrases(
    r"\burgent(?:ly)?\b",
    r"\bimmediate(?:ly)?\b",
    r"\bwithin (?:24|48|72) hours\b",
    r"\bact now\b",
    r"\bfinal (?:notice|warning|reminder)\b",
    r"\bexpires? today\b",
    r"\bimm\u00e9diatement\b",
    r"\bsous (?:24|48) ?h",
)
# Wording a reader recognises as typical of unsolicited bulk mail. Each
# family counts once, however often it occurs.
_SPAM_FAMILIES: Final[tuple[tuple[str, PhraseSet], ...]] = (
    (
        "removal instructions",
        _phrases(
            r"\bto be removed\b",
            r"\bremoved? from (?:our|this|the|future) (?:mailing )?list",
            r"\b(?:reply|respond|email|e-mail|write)[^.\n]{0,40}\bremove\b",
            r"\bremove in the subject",
            r"\bdoes not wish to receive\b",
            r"\bremoval (?:instructions|request)",
            r"\bone[- ]time (?:mailing|e-?mail|offer)",
            r"\bthis (?:e-?mail|message) is (?:not spam|sent in compliance)",
            r"\bnot (?:a )?spam\b",
            r"\bopt[- ]?in list\b",
            r"\bunder bill s\.? ?1618",
        ),
    ),
    (
        "get-rich wording",
        _phrases(
            r"\bmake (?:big )?money\b",
            r"\bextra (?:cash|income)\b",
            r"\bearn (?:up to )?\$ ?\d",
            r"\bfinancial freedom\b",
            r"\bwork (?:from|at) home\b",
            r"\bhome[- ]based business\b",
            r"\bmulti-?level marketing\b",
            r"\bmlm\b",
            r"\bincome opportunity\b",
            r"\bresidual income\b",
            r"\b\$\d[\d,]* (?:per|a|every) (?:week|day|month)\b",
        ),
    ),
    (
        "hard-sell wording",
        _phrases(
            r"\b(?:order|call|buy|act|apply) now\b",
            r"\bclick (?:here|below) (?:to|and) (?:order|buy|claim|apply|get|start"
            r"|receive|be removed)\b",
            r"\blimited time (?:only|offer)\b",
            r"\bno obligation\b",
            r"\brisk[- ]free\b",
            r"\bmoney[- ]back guarantee",
            r"\bsatisfaction guaranteed\b",
            r"\b100% (?:free|guaranteed|satisfaction|natural|legal)\b",
            r"\bfree (?:gift|quote|consultation|info)\b",
            r"\bdon't delete\b",
            r"\btoll[- ]free\b",
        ),
    ),
    (
        "loan or debt wording",
        _phrases(
            r"\bmortgage rates?\b",
            r"\brefinanc",
            r"\blowest (?:mortgage |interest )?rates?\b",
            r"\b(?:eliminate|consolidate|reduce) (?:your )?debt",
            r"\bcredit (?:report|rating|repair)\b",
            r"\bbad credit\b",
            r"\bpre-?approved\b",
        ),
    ),
    (
        "health or adult product wording",
        _phrases(
            r"\bviagra\b",
            r"\bcialis\b",
            r"\b(?:lose|losing) (?:weight|up to \d|\d[\d-]* ?(?:pounds|lbs|kg))",
            r"\bweight loss\b",
            r"\bonline pharmacy\b",
            r"\bprescription drugs?\b",
            r"\benlarge",
            r"\badult (?:site|entertainment|content|videos?)\b",
            r"\bxxx\b",
            r"\bhgh\b",
        ),
    ),
    (
        "prize wording",
        _phrases(
            r"\byou(?:'ve| have)? (?:been selected|won(?!')|are (?:a|the) winner)",
            r"\bcongratulations!? you",
            r"\bclaim your (?:prize|reward|gift)",
            r"\bdear (?:friend|sir/madam|beneficiary|winner)\b",
        ),
    ),
    (
        "advance-fee wording",
        _phrases(
            r"\bwidow of (?:the )?late\b",
            r"\b(?:strict(?:est)?|utmost|absolute) (?:confidence|confidentiality)",
            r"\bforeign (?:partner|account)\b",
            r"\b(?:us ?\$|usd|\$) ?\d[\d,.]* ?(?:million|m)\b",
            r"\b\d+ ?% of the (?:total )?(?:sum|fund|money)",
            r"\b(?:trustworthy|reliable) (?:person|partner)\b",
            r"\bnext of kin\b",
        ),
    ),
    (
        "order-form wording",
        _phrases(
            r"\bname: ?e-?mail: ?(?:phone|address)",
            r"\bfill out (?:the|this|our) (?:form|quick form)",
            r"\bcomplete (?:the|this) form\b",
            r"\bas seen on (?:tv|television)\b",
            r"\bno credit check\b",
            r"\bas low as \$",
            r"\bfor only \$",
        ),
    ),
)
_COMMERCE: Final = _phrases(
    r"\$\d", r"\bfree\b", r"\boffer\b", r"\border\b", r"\bdiscount\b", r"\bsave\b"
)
_SERVICE_WORDS: Final = frozenset(
    {
        "support", "service", "services", "security", "account", "accounts",
        "team", "billing", "customer", "care", "help", "helpdesk", "online",
        "notification", "notifications", "alert", "alerts", "banking", "bank",
        "inc", "ltd", "llc", "the", "center", "centre", "verification", "com",
        "payments", "payment", "no-reply", "noreply", "update", "updates",
        "department", "dept", "admin", "administrator", "info", "mail",
    }
)  # fmt: skip
_WORD: Final = re.compile(r"[\w-]+")
_ADDRESS_IN_NAME: Final = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_HOST_IN_TEXT: Final = re.compile(r"^(?:https?://)?((?:[\w-]+\.)+[a-z]{2,})(?:[/:]|$)")
_URL_HOST: Final = re.compile(
    r"[a-zA-Z][\w+.-]*://(?:[^/@\s]*@)?(\[[\d:a-fA-F.]+\]|[^/:?#\s]+)"
)
# Senders of unsolicited advertising open the subject with "ADV:", a label
# that some anti-spam laws of the early 2000s asked for.
_AD_MARKER: Final = re.compile(r"^(?:re: ?)?\[?adv?\]?\s*:|^\[adv\]")
_UNDISCLOSED: Final = re.compile(r"undisclosed|recipient list suppressed")


@dataclass(slots=True)
class RiskAssessment:
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    content_factor: float = 1.0

    def add(self, points: int, reason: str) -> None:
        self.score = min(100, self.score + points)
        self.reasons.append(reason)

    def add_content(self, points: int, reason: str) -> None:
        """Add a finding about the text, weighed by `content_factor`."""
        self.add(round(points * self.content_factor), reason)


def assess_risk(view: MailView) -> RiskAssessment:
    """Score `view` from 0 to 100 and give the reasons."""
    is_list_mail = view.has_unsubscribe or view.is_bulk_by_headers
    risk = RiskAssessment(
        content_factor=LIST_MAIL_CONTENT_FACTOR if is_list_mail else 1.0
    )
    _check_sender_domain(view, risk)
    _check_display_name(view, risk)
    _check_reply_to(view, risk)
    _check_requests(view, risk)
    _check_links(view, risk)
    _check_spam_wording(view, risk)
    return risk


def _check_sender_domain(view: MailView, risk: RiskAssessment) -> None:
    domain = view.sender_domain
    if not domain:
        return
    brand = imitated_brand(domain)
    if brand is not None:
        risk.add(LOOKALIKE_POINTS, f"sender domain {domain} imitates {brand}")
        return
    brand = borrowed_brand(domain)
    if brand is not None:
        risk.add(
            BORROWED_BRAND_POINTS,
            f"sender domain {domain} uses the name {brand} but {brand} does not own it",
        )
    if any(label.startswith("xn--") for label in domain.split(".")):
        risk.add(PUNYCODE_POINTS, f"sender domain {domain} is punycode-encoded")


def _check_display_name(view: MailView, risk: RiskAssessment) -> None:
    name = view.sender_name.lower()
    if not name or not view.sender_domain:
        return
    sender_site = registrable_domain(view.sender_domain)
    shown = _ADDRESS_IN_NAME.search(name)
    if shown is not None and registrable_domain(shown.group(1)) != sender_site:
        risk.add(
            DISPLAY_SPOOF_POINTS,
            f"display name shows the address {shown.group(0)} "
            f"but the mail comes from {view.sender_domain}",
        )
        return
    brand = brand_in_text(name)
    if brand is None or is_official_domain(brand, view.sender_domain):
        return
    words = {w for w in _WORD.findall(name) if w.replace("-", "") != brand}
    if words <= _SERVICE_WORDS:
        risk.add(
            DISPLAY_SPOOF_POINTS,
            f"display name {view.sender_name!r} names {brand} "
            f"but the mail comes from {view.sender_domain}",
        )


def _check_reply_to(view: MailView, risk: RiskAssessment) -> None:
    reply_domain = domain_of(view.reply_to)
    if not reply_domain or not view.sender_domain:
        return
    reply_site = registrable_domain(reply_domain)
    if reply_site == registrable_domain(view.sender_domain):
        return
    # Mailing lists set Reply-To to the list, which is also a recipient.
    if any(registrable_domain(domain_of(r)) == reply_site for r in view.recipients):
        return
    if reply_domain in FREEMAIL_DOMAINS and view.sender_domain not in FREEMAIL_DOMAINS:
        risk.add(
            REPLY_TO_FREEMAIL_POINTS,
            f"replies go to the free-mail address domain {reply_domain}, "
            f"not to the sender's {view.sender_domain}",
        )
        return
    risk.add(
        REPLY_TO_POINTS,
        f"Reply-To domain {reply_domain} differs from sender domain "
        f"{view.sender_domain}",
    )


def _check_requests(view: MailView, risk: RiskAssessment) -> None:
    text = view.fresh_text
    asks = False
    if _CREDENTIAL_REQUEST.search(text):
        risk.add_content(
            CREDENTIAL_POINTS, "asks to verify an account or give credentials"
        )
        asks = True
    if _MONEY_REQUEST.search(text):
        risk.add_content(MONEY_POINTS, "asks for money, gift cards or bank details")
        asks = True
    if _JOB_SCAM.search(text) and is_job_related(view):
        risk.add_content(
            JOB_SCAM_POINTS,
            "job-scam pattern: fees, equipment bought by cheque or chat-only interview",
        )
        asks = True
    if asks and _URGENCY.search(text):
        risk.add_content(URGENCY_POINTS, "presses for urgent action")


def _check_links(view: MailView, risk: RiskAssessment) -> None:
    sender_site = registrable_domain(view.sender_domain)
    is_list_mail = view.has_unsubscribe or view.is_bulk_by_headers
    ip_reported = mismatch_reported = False
    for href, shown in view.links():
        host = _host_of(href)
        if not host:
            continue
        if not ip_reported and _is_ip_address(host):
            risk.add(IP_LINK_POINTS, f"links to a bare IP address ({host})")
            ip_reported = True
        if mismatch_reported or not shown:
            continue
        shown_host = _HOST_IN_TEXT.match(shown.lower())
        if shown_host is None:
            continue
        shown_site = registrable_domain(shown_host.group(1))
        if shown_site in (registrable_domain(host), sender_site):
            continue
        brand = _brand_owning(shown_site)
        reason = f"a link shows {shown_host.group(1)} but leads to {host}"
        if brand is not None:
            risk.add(BRAND_LINK_POINTS, reason)
            mismatch_reported = True
        elif not is_list_mail:
            # Newsletters route links through click-tracking hosts, so a
            # mismatch only counts in mail that no list sent.
            risk.add(MISMATCHED_LINK_POINTS, reason)
            mismatch_reported = True


def _brand_owning(site: str) -> str | None:
    for brand, domains in BRAND_DOMAINS.items():
        if site in domains:
            return brand
    return None


def _check_spam_wording(view: MailView, risk: RiskAssessment) -> None:
    text = view.all_text
    families = [name for name, pattern in _SPAM_FAMILIES if pattern.search(text)]
    if families:
        points = SPAM_WORDING_POINTS * len(families)
        if "removal instructions" in families:
            points += REMOVAL_WORDING_POINTS - SPAM_WORDING_POINTS
        risk.add_content(
            min(MAX_SPAM_WORDING_POINTS, points),
            "typical bulk-spam wording: " + ", ".join(families),
        )
    if _AD_MARKER.match(view.subject_lower):
        risk.add(AD_MARKER_POINTS, "subject is marked as an advertisement (ADV)")
    if _is_shouted(view.subject):
        risk.add(SHOUTED_SUBJECT_POINTS, "subject is written in capitals")
    if _is_shouted(view.text[:1500], min_letters=200):
        risk.add_content(SHOUTED_BODY_POINTS, "body is written in capitals")
    is_commercial = bool(families) or bool(_COMMERCE.search(text))
    is_bulk = view.is_bulk_by_headers or view.has_unsubscribe
    if is_commercial and not is_bulk and view.sender_domain in FREEMAIL_DOMAINS:
        risk.add(
            FREEMAIL_COMMERCE_POINTS,
            f"commercial mail sent from the free-mail domain {view.sender_domain}",
        )
    if view.has_headers and not is_bulk and _is_unaddressed(view):
        risk.add(UNADDRESSED_POINTS, "sent to undisclosed recipients or to nobody")


_ASCII_UPPER: Final = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LOWER: Final = bytes(range(ord("a"), ord("z") + 1))


def _is_shouted(text: str, min_letters: int = 12) -> bool:
    if text.isascii():
        # Counting by deleting bytes runs in C, far faster than a test per
        # character in Python.
        data = text.encode("ascii")
        upper = len(data) - len(data.translate(None, _ASCII_UPPER))
        letters = upper + len(data) - len(data.translate(None, _ASCII_LOWER))
    else:
        letters = sum(map(str.isalpha, text))
        upper = sum(map(str.isupper, text))
    return letters >= min_letters and upper / letters > 0.8


def _is_unaddressed(view: MailView) -> bool:
    if not view.recipients:
        return True
    if any(_UNDISCLOSED.search(r.lower()) for r in view.recipients):
        return True
    return bool(view.owner_addresses) and not view.addressed_to_owner


def _host_of(url: str) -> str:
    match = _URL_HOST.match(url)
    return match.group(1).lower() if match else ""


def _is_ip_address(host: str) -> bool:
    if not (host[:1].isdigit() or host.startswith("[")):
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
