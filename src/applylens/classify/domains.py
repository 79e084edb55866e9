"""Domain names: registrable parts, well-known brands and their lookalikes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

# Second-level suffixes under which one more label is needed to name an
# organisation. NOTE: a short list, not the Public Suffix List, so a domain
# under an unlisted suffix (say example.gov.br) is cut one label too short.
_TWO_LEVEL_SUFFIXES: Final = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk",
        "com.au", "net.au", "org.au", "edu.au", "co.nz", "org.nz", "co.jp",
        "ne.jp", "or.jp", "ac.jp", "co.in", "net.in", "com.br", "com.cn",
        "net.cn", "org.cn", "com.mx", "co.za", "com.tr", "co.kr", "com.sg",
        "com.hk", "com.tw", "com.ar", "co.il", "com.my", "com.ph", "gouv.fr",
    }
)  # fmt: skip

FREEMAIL_DOMAINS: Final = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "yahoo.co.uk",
        "hotmail.com", "hotmail.fr", "outlook.com", "outlook.fr", "live.com",
        "live.fr", "msn.com", "aol.com", "icloud.com", "me.com", "mail.com",
        "gmx.com", "gmx.net", "gmx.de", "web.de", "yandex.ru", "mail.ru",
        "proton.me", "protonmail.com", "orange.fr", "wanadoo.fr", "free.fr",
        "laposte.net", "sfr.fr", "zoho.com", "excite.com", "netscape.net",
        "lycos.com", "juno.com", "rediffmail.com", "qq.com", "163.com",
    }
)  # fmt: skip

# Brands that phishing imitates, with the registrable domains they send from.
BRAND_DOMAINS: Final[dict[str, frozenset[str]]] = {
    brand: frozenset(domains)
    for brand, domains in {
        "paypal": ("paypal.com", "paypal.me", "paypal.fr", "paypal.co.uk"),
        "apple": ("apple.com", "icloud.com", "me.com", "mac.com"),
        "amazon": (
            "amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr",
            "amazon.ca", "amazon.jobs", "amazonses.com", "amazonaws.com",
        ),
        "microsoft": (
            "microsoft.com", "outlook.com", "live.com", "hotmail.com",
            "office.com", "office365.com", "microsoftonline.com",
        ),
        "google": (
            "google.com", "google.fr", "gmail.com", "googlemail.com",
            "googlegroups.com", "youtube.com",
        ),
        "netflix": ("netflix.com",),
        "linkedin": ("linkedin.com", "licdn.com"),
        "facebook": ("facebook.com", "facebookmail.com", "fb.com", "meta.com"),
        "instagram": ("instagram.com",),
        "ebay": ("ebay.com", "ebay.co.uk", "ebay.fr", "ebay.de"),
        "yahoo": ("yahoo.com", "yahoo.fr", "yahoo.co.uk", "yahoogroups.com"),
        "wellsfargo": ("wellsfargo.com",),
        "bankofamerica": ("bankofamerica.com", "bofa.com"),
        "chase": ("chase.com", "jpmorgan.com", "jpmchase.com"),
        "citibank": ("citibank.com", "citi.com"),
        "hsbc": ("hsbc.com", "hsbc.co.uk", "hsbc.fr"),
        "dhl": ("dhl.com", "dhl.de", "dhl.fr"),
        "fedex": ("fedex.com",),
        "docusign": ("docusign.com", "docusign.net"),
        "dropbox": ("dropbox.com", "dropboxmail.com"),
        "coinbase": ("coinbase.com",),
        "binance": ("binance.com",),
        "indeed": ("indeed.com", "indeed.fr", "indeedemail.com"),
        "glassdoor": ("glassdoor.com",),
        "workday": ("workday.com", "myworkday.com", "myworkdayjobs.com"),
    }.items()
}  # fmt: skip

# Brands short enough to occur inside unrelated words ("purchase" contains
# "chase"), so they only count as a whole label or hyphen-separated token.
_TOKEN_ONLY_BRANDS: Final = frozenset(
    {"apple", "chase", "ebay", "dhl", "hsbc", "fedex", "yahoo", "indeed"}
)

# Characters that render like Latin letters, folded before comparing.
_CONFUSABLES: Final = str.maketrans(
    {
        "0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "i": "l",
        "|": "l", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y",
        "х": "x", "і": "l", "ј": "j", "ԁ": "d", "ѕ": "s", "ɡ": "g", "ο": "o",
        "ν": "v", "α": "a", "ı": "l", "ł": "l",
    }
)  # fmt: skip
_MULTI_CHAR_CONFUSABLES: Final = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_TOKEN_SPLIT: Final = re.compile(r"[-_.]")


def domain_of(address: str) -> str:
    """Return the lower-case domain of an e-mail address, or "" without one."""
    _, at, domain = address.rpartition("@")
    return domain.strip().strip(">").lower().rstrip(".") if at else ""


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """Return the part of `host` an organisation registers: ``a.b.example.com``
    gives ``example.com`` and ``mail.example.co.uk`` gives ``example.co.uk``."""
    labels = host.lower().strip(".").split(".")
    if len(labels) <= 2:
        return ".".join(labels)
    if ".".join(labels[-2:]) in _TWO_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_official_domain(brand: str, host: str) -> bool:
    return _is_brand_site(brand, registrable_domain(host))


def _is_brand_site(brand: str, site: str) -> bool:
    # A brand's name under a country-code suffix (yahoo.ca, amazon.co.jp) is
    # taken as the brand's own: phishing borrows names under other domains.
    if site in BRAND_DOMAINS[brand]:
        return True
    name, _, suffix = site.partition(".")
    return name == brand and (len(suffix) == 2 or suffix in _TWO_LEVEL_SUFFIXES)


def decode_idna(label: str) -> str:
    """Return the Unicode form of a punycode label, or the label unchanged."""
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label


def skeleton(text: str) -> str:
    """Fold look-alike characters so that ``paypa1`` and ``pаypal`` (with a
    Cyrillic a) both become the skeleton of ``paypal``."""
    folded = text.lower().translate(_CONFUSABLES)
    for pair, single in _MULTI_CHAR_CONFUSABLES:
        folded = folded.replace(pair, single)
    return folded


def _within_one_edit(left: str, right: str) -> bool:
    if abs(len(left) - len(right)) > 1 or left == right:
        return left == right
    if len(left) > len(right):
        left, right = right, left
    i = 0
    while i < len(left) and left[i] == right[i]:
        i += 1
    if len(left) == len(right):
        return left[i + 1 :] == right[i + 1 :]
    return left[i:] == right[i + 1 :]


_BRAND_SKELETONS: Final = {brand: skeleton(brand) for brand in BRAND_DOMAINS}


@lru_cache(maxsize=4096)
def imitated_brand(host: str) -> str | None:
    """Return the brand that `host` imitates by look-alike spelling
    (``paypa1.com``, ``rnicrosoft.com``, punycode homoglyphs), else None."""
    registrable = registrable_domain(host)
    if not registrable or any(_is_brand_site(b, registrable) for b in BRAND_DOMAINS):
        return None
    name = decode_idna(registrable.split(".")[0])
    candidates = {name, *_TOKEN_SPLIT.split(name)}
    for brand, brand_skeleton in _BRAND_SKELETONS.items():
        for token in candidates:
            if token == brand or len(token) < 4:
                continue
            token_skeleton = skeleton(token)
            if token_skeleton == brand_skeleton:
                return brand
            if len(brand) >= 6 and _within_one_edit(token_skeleton, brand_skeleton):
                return brand
    return None


@lru_cache(maxsize=4096)
def borrowed_brand(host: str) -> str | None:
    """Return a brand whose name appears in `host` although the brand does not
    own it (``paypal-secure-login.com``), else None."""
    registrable = registrable_domain(host)
    if not registrable:
        return None
    labels = host.lower().split(".")
    tokens = {token for label in labels for token in _TOKEN_SPLIT.split(label)}
    for brand in BRAND_DOMAINS:
        if _is_brand_site(brand, registrable):
            continue
        if brand in tokens:
            return brand
        if brand not in _TOKEN_ONLY_BRANDS and any(brand in label for label in labels):
            return brand
    return None


def brand_in_text(text: str) -> str | None:
    """Return the first brand named as a whole word in `text`, else None."""
    match = _BRAND_WORD.search(text.lower())
    if match is None:
        return None
    word = match.group(0).replace(" ", "")
    return _BRAND_ALIASES.get(word, word)


_BRAND_ALIASES: Final = {"wellsfargo": "wellsfargo", "bankofamerica": "bankofamerica"}
_BRAND_WORD: Final = re.compile(
    r"\b(?:paypal|apple|amazon|microsoft|google|netflix|linkedin|facebook"
    r"|instagram|ebay|wells ?fargo|bank ?of ?america|chase|citibank|hsbc|dhl"
    r"|fedex|docusign|dropbox|coinbase|binance|indeed|glassdoor|workday)\b"
)
