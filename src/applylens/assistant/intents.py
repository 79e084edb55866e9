"""Intent detection: which tool a question asks for, and with which window,
exceptions, labels and search terms.

Detection is rule-based: each intent has keywords and phrases with weights,
single keywords also match with a small edit distance so that typos such as
"sumarize" still count, and the intent with the highest score wins. A question
that names no intent falls back to find (when it has content words) or to
summarize, never to an action (clean, unsubscribe, flag).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from applylens.assistant import timephrases
from applylens.assistant.schemas import Intent
from applylens.assistant.senders import SenderException, parse_sender_exception
from applylens.store.query import CJK_RE, MAX_QUERY_CHARS

ACTION_INTENTS: frozenset[Intent] = frozenset({"clean", "unsubscribe", "flag"})
# The intents whose tools keep the senders of an "unless"/"except" clause.
# For the others, such a clause excludes the senders' mail from the search.
SENDER_EXCEPTION_INTENTS: frozenset[Intent] = frozenset({"clean", "unsubscribe"})

# (phrase, weight). A phrase of several words matches as a whole. Each word
# also matches a typo of it, as `_is_typo_of` defines one.
KEYWORDS: dict[Intent, tuple[tuple[str, int], ...]] = {
    "summarize": (
        ("summarize", 3),
        ("summarise", 3),
        ("summary", 3),
        ("summaries", 3),
        ("recap", 3),
        ("overview", 3),
        ("digest", 2),
        ("rundown", 3),
        ("roundup", 3),
        ("round up", 2),
        ("sum up", 3),
        ("tldr", 3),
        ("tl;dr", 3),
        ("catch me up", 3),
        ("catch up", 2),
        ("what happened", 3),
        ("what's new", 3),
        ("whats new", 3),
        ("what did i miss", 3),
        ("what have i missed", 3),
        ("brief me", 3),
        ("briefing", 3),
        ("highlights", 2),
        ("status update", 3),
        ("how is my job search", 3),
        ("how's my job search", 3),
        ("how is the job search", 3),
        ("where do i stand", 3),
        ("needs my attention", 3),
        ("need my attention", 3),
        ("needs attention", 2),
        ("what's going on", 2),
    ),
    "find": (
        ("find", 2),
        ("search", 2),
        ("look for", 2),
        ("look up", 2),
        ("locate", 2),
        ("show", 1),
        ("show me", 2),
        ("list", 1),
        ("where is", 2),
        ("where's", 2),
        ("did i get", 2),
        ("have i got", 2),
        ("did i receive", 2),
        ("pull up", 2),
        ("dig up", 2),
        ("get me", 1),
        ("which", 1),
        ("any", 1),
        ("emails from", 1),
        ("mail from", 1),
        ("messages from", 1),
    ),
    "clean": (
        ("clean", 3),
        ("clean up", 4),
        ("cleanup", 4),
        ("declutter", 4),
        ("tidy", 3),
        ("tidy up", 4),
        ("archive", 3),
        ("clear out", 4),
        ("clear up", 3),
        ("purge", 3),
        ("get rid of", 4),
        ("delete", 3),
        ("trash", 3),
        ("bin", 1),
        ("sweep", 2),
        ("inbox zero", 3),
    ),
    "unsubscribe": (
        ("unsubscribe", 5),
        ("unsub", 5),
        ("opt out", 4),
        ("opt-out", 4),
        ("stop getting", 4),
        ("stop receiving", 4),
        ("stop sending", 4),
        ("stop emailing", 4),
        ("take me off", 4),
        ("get me off", 4),
        ("remove me from", 4),
        ("mailing lists", 2),
        ("mailing list", 2),
        ("never open", 2),
        ("never read", 2),
    ),
    "flag": (
        ("flag", 3),
        ("suspicious", 3),
        ("phishing", 4),
        ("phish", 4),
        ("scam", 4),
        ("scams", 4),
        ("scammy", 4),
        ("fraud", 4),
        ("fraudulent", 4),
        ("fishy", 4),
        ("sketchy", 4),
        ("malicious", 4),
        ("spam", 2),
        ("fake", 3),
        ("dangerous", 3),
        ("legit", 3),
        ("legitimate", 3),
        ("red flags", 4),
        ("safe to open", 4),
        ("trust", 1),
        ("risky", 3),
    ),
    "follow_up": (
        ("follow up", 4),
        ("follow-up", 4),
        ("followup", 4),
        ("follow ups", 4),
        ("follow-ups", 4),
        ("followups", 4),
        ("haven't replied", 5),
        ("havent replied", 5),
        ("have not replied", 5),
        ("not replied", 4),
        ("didn't reply", 5),
        ("didnt reply", 5),
        ("didn't answer", 4),
        ("haven't answered", 5),
        ("havent answered", 5),
        ("not answered", 4),
        ("unanswered", 4),
        ("no reply", 3),
        ("no response", 3),
        ("waiting on me", 4),
        ("waiting for my reply", 5),
        ("waiting for me", 3),
        ("waiting for a reply", 4),
        ("owe a reply", 5),
        ("owe replies", 5),
        ("i owe", 3),
        ("reply to", 2),
        ("respond to", 2),
        ("get back to", 3),
        ("write back", 3),
        ("draft a reply", 4),
        ("draft replies", 4),
        ("chase", 3),
        ("nudge", 3),
        ("need a reply", 4),
        ("needs a reply", 4),
        ("need replies", 4),
        ("heard back", 4),
        ("hear back", 4),
        ("waiting to hear", 5),
        ("am i waiting on", 4),
        ("i'm waiting on", 4),
        ("get back to me", 4),
        ("got back to me", 4),
        ("gotten back to me", 4),
        ("owes me", 4),
        ("owe me", 4),
        ("ghosted", 4),
        ("haven't i answered", 5),
        ("haven't i replied", 5),
        ("haven't i responded", 5),
        ("haven't responded", 5),
        ("not responded", 4),
    ),
    "calendar": (
        ("calendar", 5),
        ("ics", 5),
        (".ics", 5),
        ("ical", 5),
        ("icalendar", 5),
        ("add to my calendar", 6),
        ("schedule", 2),
        ("upcoming interviews", 4),
        ("upcoming interview", 4),
        ("when is my", 3),
        ("when are my", 3),
        ("what time is", 3),
        ("events", 2),
        ("meetings", 2),
        ("appointments", 3),
        ("agenda", 3),
        ("booked", 2),
        ("invites", 1),
    ),
    "task": (
        ("task", 4),
        ("tasks", 4),
        ("todo", 4),
        ("todos", 4),
        ("to-do", 4),
        ("to do list", 4),
        ("to-do list", 4),
        ("action items", 4),
        ("what do i need to do", 5),
        ("what should i do", 3),
        ("what do i have to do", 5),
        ("what do i have to", 3),
        ("do i need to send", 3),
        ("deadlines", 3),
        ("deadline", 3),
        ("due", 2),
        ("homework", 3),
        ("assignments", 2),
        ("take-home", 2),
        ("checklist", 3),
        ("pending", 1),
        ("requests", 2),
        ("asked me to", 3),
        ("ask me to", 3),
        ("asking me to", 3),
    ),
}

# Every intent loses a tie to the one before it. Actions come after the
# follow-up and calendar tools because their keywords are the more specific.
PRIORITY: tuple[Intent, ...] = (
    "follow_up",
    "unsubscribe",
    "calendar",
    "task",
    "clean",
    "flag",
    "summarize",
    "find",
)

LABEL_WORDS: dict[str, str] = {
    "interview": "interview",
    "interviews": "interview",
    "interviewing": "interview",
    "onsite": "interview",
    "offer": "offer",
    "offers": "offer",
    "rejection": "rejection",
    "rejections": "rejection",
    "rejected": "rejection",
    "turned down": "rejection",
    "recruiter": "recruiter_outreach",
    "recruiters": "recruiter_outreach",
    "headhunter": "recruiter_outreach",
    "headhunters": "recruiter_outreach",
    "newsletter": "newsletter",
    "newsletters": "newsletter",
    "promo": "promo",
    "promos": "promo",
    "promotion": "promo",
    "promotions": "promo",
    "promotional": "promo",
    "marketing": "promo",
    "deals": "promo",
    "ads": "promo",
    "assessment": "assessment",
    "assessments": "assessment",
    "coding challenge": "assessment",
    "coding challenges": "assessment",
    "take-home": "assessment",
    "application": "application_receipt",
    "applications": "application_receipt",
    "receipts": "application_receipt",
    "scheduling": "scheduling",
    "phishing": "suspicious",
    "suspicious": "suspicious",
}

STOPWORDS = frozenset(
    """a about above after again all also am an and any anything are as at be
    been before being below between both but by can could did do does doing
    done don't down during each email emails else ever every few for from
    get got had has have having he her here hers him his how i i'm if in into
    is it it's its just last let me mail mails message messages mine more
    most my need needs new no nor not now of off on once only or other our
    out over own past please recent same she should show since so some still
    such than that the their them then there these they this those through
    to too under until up us very was we week weeks day days month months
    year years were what when where which while who whom why will with would
    you your today yesterday tell give list inbox anyone something thing
    things stuff ones can't want wanna like kind sort look looking quick
    quickly lately recently ago hi hey hello thanks thank im ive i've i'd
    whats what's from any got see everything anything everyone someone all
    check export put make file remind keep remember tomorrow tonight best
    good important know let sure maybe really hasn't hasnt haven't havent
    hadn't isn't aren't wasn't weren't doesn't didn't won't couldn't
    wouldn't gotten""".split()
)

_NEGATIONS = frozenset({"don't", "dont", "not", "never", "without", "no"})
# A quoted phrase; a "-" right before it, at the start of a word, excludes it.
_QUOTED = re.compile(r'((?:(?<!\S)-)?)"([^"]{1,200})"')
_EXCEPTION_START = re.compile(
    r"\b(?:unless|except|excluding|apart from|other than|but not|but keep|"
    r"but leave|save for|besides)\b"
)
_EXCEPTION_LEAD = re.compile(
    r"^\s*(?:for\s+)?(?:(?:if\s+)?(?:they|it|those|these|them|the ones|ones|any|"
    r"mail|emails?|messages?)\s*(?:'re|'s|are|is|were|was|come|came|that are|"
    r"that come)?\s*)?(?:(?:the\s+)?ones\s+)?(?:coming\s+|sent\s+)?(?:from|by)?\s*"
)
_EXCEPTION_END = re.compile(
    r"\.(?:\s|$)|[;!?()。！？；（）]|\s(?:older than|in the last|in the past|"
    r"from the last|this week|this month|since|before|that|which|who|please|"
    r"thanks)\b"
)
_EXCEPTION_SPLIT = re.compile(r",|、|，|\band\b|\bor\b|&|/|\bnor\b|\bplus\b")
_FROM_AT_END = re.compile(r"\b(?:from|by)\s*$")
_REMEMBER = re.compile(
    r"^\s*(?:please\s+|ok(?:ay)?,?\s+|can you\s+)?(?:remember|from now on|always keep|"
    r"never (?:archive|clean|unsubscribe|touch)|note that|learn that)\b"
)
_REMEMBER_TARGET = re.compile(
    r"\b(?:from|for|by|sender)\s+([^,;!?]+?)(?:\s+(?:is|are|as|isn't|aren't|"
    r"should|must|to|in|when)\b|[,;!?]|\.?$|\.\s)"
)
_FORGET = re.compile(
    r"^\s*(?:please\s+|ok(?:ay)?,?\s+|can you\s+)?(?:forget|stop keeping|"
    r"no longer keep|remove the exception|drop the exception)\b"
)
_FORGET_TARGET = re.compile(
    r"^\s*(?:please\s+|ok(?:ay)?,?\s+|can you\s+)?(?:forget|stop keeping|"
    r"no longer keep|remove|drop)\s+(?:about\s+)?(?:the\s+exception\s+)?"
    r"(?:(?:for|from|about|on)\s+)?(?:mail\s+|emails?\s+)?(?:from\s+)?([^,;!?]+?)"
    r"(?:[,;!?]|\.?$|\.\s)"
)
# Words in any script: a letter or digit, then letters, digits or the
# punctuation of addresses and names, ending with a letter or digit.
_TOKEN = re.compile(r"[^\W_][\w'@&+.-]*[^\W_]|[^\W_]")
# A word the question excludes: "-rejection", "not mock", "without newsletters",
# "not an assessment" or "not from acme". A final * makes it a prefix
# ("-interv*").
_EXCLUDED = re.compile(
    r"(?:(?<!\S)-(?=[^\W\d_])|\b(?:not|without)\s+(?:(?:a|an|the|any)\s+)?"
    r"(?:(?P<sender>from|by)\s+)?)"
    rf"(?P<word>{_TOKEN.pattern})(?P<star>\*)?(?![\w*])"
)
# A word typed with a final * ("interv*"), which the query language reads as
# every word that starts with it.
_PREFIX_WORD = re.compile(r"(?<![\w'@&+.*-])([^\W_]+)\*+(?![\w*])")
MIN_PREFIX_CHARS = 2
"""Letters a prefix word needs before its *, as the query language requires."""
MAX_WINDOW_DAYS = 365
"""Maximum window in days, counted back from now, that a question searches."""
MAX_QUERY_TERMS = 32
"""Question words searched at most; a longer question is searched by its first ones."""
MAX_WORD_CHARS = 60
"""Maximum length of a searched question word: a longer one is pasted text."""
MAX_EXCLUSIONS = 16
"""Excluded words, phrases and senders searched at most."""


@dataclass(slots=True)
class RememberRequest:
    """A "remember to keep mail from X" command, or a "forget X" one."""

    exception: SenderException
    text: str
    forget: bool = False


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A word, phrase or sender whose mail the question leaves out."""

    text: str
    field: Literal["any", "from"] = "any"
    label: str | None = None
    """The label the word names ("rejection"), whose mail is left out too."""
    sender: SenderException | None = None
    """The sender whose mail is left out, matched as clean matches exceptions."""

    @property
    def query(self) -> str:
        """Return the negated search term (-mock, -"mock interview",
        -from:acme.com), or "" for a sender no search term can name (a bank)."""
        if self.sender is not None and self.sender.kind == "category":
            return ""
        # A quote inside the text would end the quoted value early.
        text = " ".join(self.text.replace('"', " ").split())
        value = f'"{text}"' if " " in text else text
        return f"-from:{value}" if self.field == "from" else f"-{value}"


def describe_exclusions(exclusions: list[Exclusion]) -> str:
    """Describe the mail that exclusions leave out: 'mail that mentions "mock"
    or is labelled rejection'; "" without exclusions."""
    words = [f'"{e.text}"' for e in exclusions if e.field == "any"]
    senders = [
        e.sender.description if e.sender else e.text
        for e in exclusions
        if e.field == "from"
    ]
    labels = list(dict.fromkeys(e.label for e in exclusions if e.label))
    parts = []
    if words:
        parts.append(f"mentions {' or '.join(words)}")
    if senders:
        parts.append(f"comes from {' or '.join(senders)}")
    if labels:
        names = " or ".join(label.replace("_", " ") for label in labels)
        parts.append(f"is labelled {names}")
    if not parts:
        return ""
    if len(parts) == 1:
        return f"mail that {parts[0]}"
    return f"mail that {', '.join(parts[:-1])} or {parts[-1]}"


@dataclass(slots=True)
class IntentPlan:
    """The intent of a question and what shapes its answer, read from its words."""

    intent: Intent
    explanation: str
    keywords: list[str] = field(default_factory=list)
    window_days: int | None = None
    after: datetime | None = None
    before: datetime | None = None
    window_phrase: str | None = None
    deadline: datetime | None = None
    min_age_days: int | None = None
    follow_up_days: int | None = None
    exceptions: list[SenderException] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    query_terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    is_question: bool = False
    is_fallback: bool = False
    remember: RememberRequest | None = None
    window_note: str | None = None
    """The reason the window searched differs from the one the question names."""
    unsearchable: list[str] = field(default_factory=list)
    """Parts of the question with no letters or digits ("😀"), which no
    search can match."""
    waiting_for: Literal["owner", "them"] = "owner"
    """For follow-up: whose reply the threads wait for, the owner's or the
    other side's ("who hasn't got back to me?")."""
    exclusions: list[Exclusion] = field(default_factory=list)
    """Words, phrases and senders whose mail the tools leave out."""
    unread_exceptions: list[str] = field(default_factory=list)
    """Parts of an "unless"/"except" clause from which no sender could be read."""

    @property
    def query(self) -> str:
        """The search query of the plan: its quoted phrases, its terms and
        its exclusions as negated terms."""
        quoted = [f'"{phrase}"' for phrase in self.phrases]
        return " ".join([*quoted, *self.query_terms, *self.exclusion_terms])

    @property
    def exclusion_terms(self) -> list[str]:
        """The negated search terms of the exclusions ("-rejection")."""
        terms = [exclusion.query for exclusion in self.exclusions]
        return list(dict.fromkeys(term for term in terms if term))

    @property
    def exclusion_query(self) -> str:
        """The exclusions alone as a query, for searches that name no words."""
        return " ".join(self.exclusion_terms)

    @property
    def excluded_labels(self) -> frozenset[str]:
        return frozenset(e.label for e in self.exclusions if e.label)

    @property
    def excluded_senders(self) -> list[SenderException]:
        return [e.sender for e in self.exclusions if e.sender is not None]

    @property
    def has_positive_terms(self) -> bool:
        """Whether the query has a word or phrase that mail must contain."""
        return bool(self.phrases or self.query_terms)


# Follow-up questions about replies the owner is waiting for, rather than
# replies the owner owes.
_THEIR_TURN = re.compile(
    r"\b(?:hear(?:d)? back|hear(?:d)? from|waiting to hear"
    r"|(?:get|got|gotten|getting) back to me|owes? me|ghost(?:ed|ing)|nudge|chase"
    r"|(?:am i|i'm|i am) waiting (?:on|for)"
    r"|(?:not|n't|never) (?:answered|replied to|responded to|got back to) my)\b"
)


def normalize(text: str) -> str:
    """Return the text lowercased, with straight quotes and single spaces."""
    text = text.translate(str.maketrans("’‘“”", "''\"\""))
    text = text.replace("`", "'")
    return re.sub(r"\s+", " ", text).strip().lower()


def detect_intent(text: str, *, now: datetime) -> IntentPlan:
    """Read the intent of one question and everything that shapes its answer."""
    normalized = normalize(text)
    unquoted = _QUOTED.sub(" ", normalized)
    body, clause = _split_exceptions(unquoted)
    remember = _parse_remember(body)
    body, syntax = _read_search_syntax(body, _QUOTED.findall(normalized))

    tokens = _TOKEN.findall(body)
    scores, evidence = _score(body, tokens)
    plan = _choose(scores, evidence, tokens, syntax.searched)
    plan.phrases = syntax.phrases
    plan.exceptions = clause.exceptions
    plan.unread_exceptions = clause.unread
    plan.remember = remember
    plan.is_question = normalized.endswith("?") or _starts_like_question(tokens)
    _read_times(plan, body, now)
    _set_exclusions(plan, syntax.exclusions, clause)
    plan.labels = [
        label
        for label in _label_hints(body, tokens)
        if label not in plan.excluded_labels
    ]
    used = {word for found in _all_evidence(evidence) for word in _TOKEN.findall(found)}
    terms = _query_terms(tokens, plan, used)
    prefixes = dict.fromkeys(syntax.prefixes)
    plan.query_terms = [*terms, *(word for word in prefixes if word not in terms)]
    _explain_search_syntax(plan, syntax.short_prefixes)
    _fit_query(plan)
    plan.unsearchable = [part for part in body.split() if not _TOKEN.search(part)]
    if plan.intent == "follow_up" and (their_turn := _THEIR_TURN.search(body)):
        plan.waiting_for = "them"
        plan.explanation += (
            f"; '{their_turn.group(0)}' asks about threads waiting for the other side"
        )
    if remember is not None:
        plan.intent = "clean"
        plan.is_fallback = False
        plan.explanation = (
            f"'remember' stores an exception for {remember.exception.description}"
            " that clean and unsubscribe will honour"
        )
        if remember.forget:
            plan.explanation = (
                f"'forget' removes the learned exception for "
                f"{remember.exception.description}"
            )
    return plan


@dataclass(slots=True)
class _ExceptionClause:
    """The senders an "unless"/"except" clause names, and its parts that
    name no sender."""

    exceptions: list[SenderException] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    from_lead: bool = False
    """Whether "from" comes before the clause's names ("except from Acme")."""


def _split_exceptions(text: str) -> tuple[str, _ExceptionClause]:
    clause = _ExceptionClause()
    match = _EXCEPTION_START.search(text)
    if match is None:
        return text, clause
    tail = text[match.end() :]
    lead = _EXCEPTION_LEAD.match(tail)
    if lead is not None:
        clause.from_lead = _FROM_AT_END.search(lead.group(0)) is not None
        tail = tail[lead.end() :]
    end = _EXCEPTION_END.search(tail)
    names = tail[: end.start()] if end else tail
    rest = tail[end.start() :] if end else ""
    for part in _EXCEPTION_SPLIT.split(names):
        part = part.strip()
        if not part:
            continue
        exception = parse_sender_exception(part)
        if exception is None:
            clause.unread.append(part)
        elif exception not in clause.exceptions:
            clause.exceptions.append(exception)
    return f"{text[: match.start()]} {rest}".strip(), clause


@dataclass(slots=True)
class _SearchSyntax:
    """The search syntax of a question: quoted phrases, excluded words and
    phrases, and words typed with a final *."""

    phrases: list[str]
    exclusions: list[Exclusion]
    prefixes: list[str]
    short_prefixes: list[str]
    """Words typed with a * but too short to be a prefix, read as plain words."""

    @property
    def searched(self) -> list[str]:
        """The syntax as typed, which makes a question without intent words
        a search."""
        return [*self.prefixes, *(f"-{e.text}" for e in self.exclusions)]


def _read_search_syntax(
    text: str, quoted: list[tuple[str, str]]
) -> tuple[str, _SearchSyntax]:
    """Take the excluded and prefix words out of the text, and sort the
    quoted phrases (sign, phrase) into searched and excluded ones.

    Excluded and prefix words are search syntax. They are neither intent
    evidence nor label hints, so they leave the text before it is read.
    """
    text, excluded = _read_exclusions(text)
    text, prefixes, short_prefixes = _read_prefix_words(text)
    syntax = _SearchSyntax(
        phrases=[phrase for sign, phrase in quoted if not sign],
        exclusions=[*(Exclusion(phrase) for sign, phrase in quoted if sign), *excluded],
        prefixes=prefixes,
        short_prefixes=short_prefixes,
    )
    return text, syntax


def _set_exclusions(
    plan: IntentPlan, exclusions: list[Exclusion], clause: _ExceptionClause
) -> None:
    """Store the exclusions in the plan. The senders of an "except" clause
    stay exceptions for clean and unsubscribe, and are excluded for the
    other intents."""
    if plan.intent not in SENDER_EXCEPTION_INTENTS and plan.remember is None:
        exclusions = [
            *exclusions,
            *(_sender_exclusion(e, clause.from_lead) for e in plan.exceptions),
        ]
        plan.exceptions = []
    plan.exclusions = list(dict.fromkeys(exclusions))


def _sender_exclusion(exception: SenderException, from_lead: bool) -> Exclusion:
    """Turn a sender named in an "except" clause of a search into an exclusion.

    A kind of mail ("interviews except rejections") excludes its word and
    label. Another name without "from" ("interviews except Globex") excludes
    the word, which also matches the sender. Domains, addresses and names
    after "from" exclude the sender, and a bank is left out by matching each
    message after the search.
    """
    if exception.kind == "name" and exception.value in LABEL_WORDS:
        return Exclusion(exception.value, label=LABEL_WORDS[exception.value])
    if exception.kind == "name" and not from_lead:
        return Exclusion(exception.value)
    return Exclusion(exception.value, field="from", sender=exception)


def _read_exclusions(text: str) -> tuple[str, list[Exclusion]]:
    """Take the excluded words out of the text and return them as exclusions.

    A word after "-" is always excluded. After "not" or "without" only a word
    that would be searched or that names a label is, so that "not replied"
    stays a follow-up question and "not sure" stays filler.
    """
    exclusions: list[Exclusion] = []
    remaining: list[str] = []
    position = 0
    for match in _EXCLUDED.finditer(text):
        exclusion = _exclusion_of(match, text)
        if exclusion is None:
            continue
        remaining.append(text[position : match.start()])
        position = match.end()
        if exclusion.label is not None and " " in exclusion.text:
            position = match.start("word") + len(exclusion.text)
        exclusions.append(exclusion)
    remaining.append(text[position:])
    without_exclusions = " ".join(part.strip() for part in remaining if part.strip())
    return without_exclusions, exclusions


def _exclusion_of(match: re.Match[str], text: str) -> Exclusion | None:
    word = match.group("word")
    dashed = match.group(0).startswith("-")
    if match.group("sender"):
        if word in LABEL_WORDS:
            # "not from recruiters" names a kind of mail, not a sender.
            return Exclusion(word, label=LABEL_WORDS[word])
        # "not from me" is about who wrote, not a sender to search for.
        exception = None if word in STOPWORDS else parse_sender_exception(word)
        if exception is None:
            return None
        return Exclusion(exception.value, field="from", sender=exception)
    after = text[match.start("word") :]
    for phrase, label in LABEL_WORDS.items():
        if dashed or " " not in phrase:
            continue
        if re.match(rf"{re.escape(phrase)}\b", after):
            return Exclusion(phrase, label=label)
    if match.group("star") and _PREFIX_WORD.fullmatch(f"{word}*"):
        # The query language takes a prefix of one word of letters or digits.
        if len(word) >= MIN_PREFIX_CHARS or CJK_RE.search(word):
            return Exclusion(f"{word}*")
    if word in LABEL_WORDS:
        return Exclusion(word, label=LABEL_WORDS[word])
    if not dashed and (word in _NOT_EXCLUDED or word.isdigit()):
        return None
    return Exclusion(word)


def _read_prefix_words(text: str) -> tuple[str, list[str], list[str]]:
    """Take the words typed with a final * out of the text.

    Return the text without them, the prefix terms ("interv*") and the words
    too short to be a prefix, which are searched as plain words instead.
    """
    prefixes: list[str] = []
    short: list[str] = []

    def take(match: re.Match[str]) -> str:
        word = match.group(1)
        if len(word) >= MIN_PREFIX_CHARS or CJK_RE.search(word):
            prefixes.append(f"{word}*")
            return " "
        short.append(word)
        return word

    return _PREFIX_WORD.sub(take, text), prefixes, short


def _explain_search_syntax(plan: IntentPlan, short_prefixes: list[str]) -> None:
    if plan.exclusions:
        plan.explanation += f"; left out: {describe_exclusions(plan.exclusions)}"
    prefixes = [term for term in plan.query_terms if term.endswith("*")]
    if prefixes:
        words = ", ".join(repr(term) for term in prefixes)
        plan.explanation += (
            "; a final * matches every word that starts with the letters before "
            f"it ({words})"
        )
    for word in short_prefixes:
        plan.explanation += (
            f"; {word + '*'!r} is read as the word {word!r}, because a * needs at "
            f"least {MIN_PREFIX_CHARS} letters before it"
        )
    if plan.unread_exceptions:
        parts = ", ".join(repr(part) for part in plan.unread_exceptions)
        plan.explanation += (
            f"; no sender could be read from {parts}, so no mail is kept for it"
        )


def _parse_remember(text: str) -> RememberRequest | None:
    if _FORGET.search(text):
        forget = _FORGET_TARGET.search(text)
        exception = parse_sender_exception(forget.group(1)) if forget else None
        if exception is None:
            return None
        return RememberRequest(exception=exception, text=text, forget=True)
    if not _REMEMBER.search(text):
        return None
    match = _REMEMBER_TARGET.search(text)
    if match is None:
        return None
    exception = parse_sender_exception(match.group(1))
    if exception is None:
        return None
    return RememberRequest(exception=exception, text=text)


def _score(
    text: str, tokens: list[str]
) -> tuple[dict[Intent, int], dict[Intent, list[str]]]:
    scores: dict[Intent, int] = {}
    evidence: dict[Intent, list[str]] = {}
    for intent, keywords in KEYWORDS.items():
        for keyword, weight in keywords:
            found = _find_keyword(keyword, text, tokens)
            if found is None or _already_counted(found, evidence.get(intent, [])):
                continue
            scores[intent] = scores.get(intent, 0) + weight
            evidence.setdefault(intent, []).append(found)
    return scores, evidence


def _find_keyword(keyword: str, text: str, tokens: list[str]) -> str | None:
    """Return the words of the question that match `keyword`, or None."""
    if " " in keyword or not keyword.isalpha():
        match = re.search(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z0-9])", text)
        if match is not None:
            return None if _is_negated(text[: match.start()]) else keyword
        return _find_phrase_typo(keyword, tokens)
    for index, token in enumerate(tokens):
        if token != keyword and not _is_typo_of(token, keyword):
            continue
        if _is_negated(" ".join(tokens[max(0, index - 2) : index])):
            continue
        return token if token == keyword else f"{token} (read as {keyword!r})"
    return None


def _find_phrase_typo(keyword: str, tokens: list[str]) -> str | None:
    """Match a phrase of several words where some word has a typo ("folow up")."""
    words = keyword.split()
    if len(words) < 2 or not all(word.replace("'", "").isalpha() for word in words):
        return None
    for start in range(len(tokens) - len(words) + 1):
        window = tokens[start : start + len(words)]
        if window == words:
            continue
        if all(t == w or _is_typo_of(t, w) for t, w in zip(window, words, strict=True)):
            if _is_negated(" ".join(tokens[max(0, start - 2) : start])):
                continue
            return f"{' '.join(window)} (read as {keyword!r})"
    return None


def _already_counted(found: str, previous: list[str]) -> bool:
    """Tell whether one typo was already read as another spelling."""
    token = found.split(" (read as", 1)[0]
    return any(item.split(" (read as", 1)[0] == token for item in previous)


def _is_negated(before: str) -> bool:
    words = before.split()[-2:]
    return any(word in _NEGATIONS for word in words)


def _is_typo_of(token: str, keyword: str) -> bool:
    """Tell whether `token` is a typo of `keyword`.

    Words of six to eight letters allow one edit and longer words two. Words
    of four or five letters allow only a swap of two neighbouring letters
    ("taks", "claen"), because one free edit turns short words into other
    real words ("clear").
    """
    if len(keyword) < 4 or not token or token in STOPWORDS or token[0] != keyword[0]:
        return False
    if token in _ALL_KEYWORD_WORDS or token in LABEL_WORDS:
        return False
    if len(keyword) < 6:
        return _is_swap(token, keyword)
    allowed = 1 if len(keyword) < 9 else 2
    if abs(len(token) - len(keyword)) > allowed:
        return False
    return edit_distance(token, keyword) <= allowed


def _is_swap(token: str, keyword: str) -> bool:
    if len(token) != len(keyword) or token == keyword:
        return False
    diffs = [i for i, (a, b) in enumerate(zip(token, keyword, strict=True)) if a != b]
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and token[diffs[0]] == keyword[diffs[1]]
        and token[diffs[1]] == keyword[diffs[0]]
    )


def edit_distance(left: str, right: str) -> int:
    """Return the optimal string alignment distance (Damerau-Levenshtein
    where each substring is edited at most once) between two words."""
    previous_previous: list[int] = []
    previous = list(range(len(right) + 1))
    for i, char_left in enumerate(left, start=1):
        current = [i] + [0] * len(right)
        for j, char_right in enumerate(right, start=1):
            cost = 0 if char_left == char_right else 1
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost
            )
            if (
                i > 1
                and j > 1
                and char_left == right[j - 2]
                and left[i - 2] == char_right
            ):
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        previous_previous, previous = previous, current
    return previous[-1]


def _choose(
    scores: dict[Intent, int],
    evidence: dict[Intent, list[str]],
    tokens: list[str],
    searched: list[str],
) -> IntentPlan:
    """Pick the intent with the highest score. Without one, a question with
    content words or search syntax (`searched`: "interv*", "-mock") is a find."""
    if scores:
        best = max(
            PRIORITY,
            key=lambda intent: (scores.get(intent, 0), -PRIORITY.index(intent)),
        )
        if scores.get(best, 0) > 0:
            words = ", ".join(repr(word) for word in evidence[best])
            explanation = f"{best.replace('_', '-')}: the question says {words}"
            return IntentPlan(best, explanation, keywords=list(evidence[best]))
    content = [*(token for token in tokens if token not in STOPWORDS), *searched]
    if content:
        return IntentPlan(
            "find",
            "find: no intent word was found, so the question's words "
            f"({', '.join(repr(word) for word in content[:6])}) are searched",
            is_fallback=True,
        )
    return IntentPlan(
        "summarize",
        "summarize: the question names no intent and no search words, so the "
        "window's mail is summarized",
        is_fallback=True,
    )


def _starts_like_question(tokens: list[str]) -> bool:
    starters = {"what", "who", "when", "where", "which", "how", "why", "is", "are"}
    starters |= {"do", "did", "does", "can", "could", "should", "any", "have", "has"}
    return bool(tokens) and tokens[0] in starters


def _read_times(plan: IntentPlan, text: str, now: datetime) -> None:
    window = timephrases.parse_window(text, now)
    absolute = False
    if window is not None:
        plan.window_days = window.days
        plan.after = window.after
        plan.before = window.before
        plan.window_phrase = window.matched
        absolute = window.absolute
    deadline = timephrases.parse_deadline(text, now)
    if deadline is not None:
        moment, phrase = deadline
        if moment >= now:
            plan.deadline = moment
        elif plan.before is None:
            plan.before = moment
        plan.window_phrase = plan.window_phrase or phrase
    min_age = timephrases.parse_min_age(text)
    quiet = timephrases.parse_quiet_days(text)
    if plan.intent == "follow_up":
        if quiet is not None:
            plan.follow_up_days = quiet[0]
        elif min_age is not None:
            plan.follow_up_days = min_age[0]
    elif min_age is not None:
        plan.min_age_days = min_age[0]
    if not absolute:
        _cap_window(plan, now)


def _cap_window(plan: IntentPlan, now: datetime) -> None:
    """Keep a window counted back from now ("the last 900 days") to a year;
    a window between two dates stays as asked."""
    if plan.window_days is not None and plan.window_days > MAX_WINDOW_DAYS:
        plan.window_days = MAX_WINDOW_DAYS
        plan.after = now - timedelta(days=MAX_WINDOW_DAYS)
        plan.window_note = (
            f"{plan.window_phrase!r} is longer than the {MAX_WINDOW_DAYS} days "
            "a question searches at most, so the last "
            f"{MAX_WINDOW_DAYS} days are searched"
        )


def _label_hints(text: str, tokens: list[str]) -> list[str]:
    labels: list[str] = []
    for word, label in LABEL_WORDS.items():
        if " " in word or "-" in word:
            found = re.search(rf"\b{re.escape(word)}\b", text) is not None
        else:
            found = any(
                token == word or (len(word) >= 6 and _is_typo_of(token, word))
                for token in tokens
            )
        if found and label not in labels:
            labels.append(label)
    return labels


def _all_evidence(evidence: dict[Intent, list[str]]) -> list[str]:
    """Return the question's words that matched any intent, typos included."""
    return [
        found.split(" (read as", 1)[0] for items in evidence.values() for found in items
    ]


def _fit_query(plan: IntentPlan) -> None:
    """Cut the plan's words, exclusions and phrases to what one search
    accepts, and note the cut in its explanation."""
    words = [term for term in plan.query_terms if len(term) <= MAX_WORD_CHARS]
    exclusions = [e for e in plan.exclusions if len(e.text) <= MAX_WORD_CHARS]
    if len(words) < len(plan.query_terms) or len(exclusions) < len(plan.exclusions):
        plan.explanation += (
            f"; words longer than {MAX_WORD_CHARS} characters are not searched"
        )
    if len(words) > MAX_QUERY_TERMS:
        words = words[:MAX_QUERY_TERMS]
        plan.explanation += f"; only the first {MAX_QUERY_TERMS} words are searched"
    if len(exclusions) > MAX_EXCLUSIONS:
        exclusions = exclusions[:MAX_EXCLUSIONS]
        plan.explanation += f"; only the first {MAX_EXCLUSIONS} exclusions are applied"
    plan.query_terms = words
    plan.exclusions = exclusions
    if len(plan.query) > MAX_QUERY_CHARS:
        while plan.phrases and len(plan.query) > MAX_QUERY_CHARS:
            plan.phrases = plan.phrases[:-1]
        while plan.exclusions and len(plan.query) > MAX_QUERY_CHARS:
            plan.exclusions = plan.exclusions[:-1]
        while plan.query_terms and len(plan.query) > MAX_QUERY_CHARS:
            plan.query_terms = plan.query_terms[:-1]
        plan.explanation += (
            f"; the search is cut to its first {MAX_QUERY_CHARS} characters"
        )


def _query_terms(tokens: list[str], plan: IntentPlan, used: set[str]) -> list[str]:
    """Keep the words that say what to look for: not stopwords, intent words
    (or typos of them), label words or time words."""
    skipped = set(STOPWORDS) | _ALL_KEYWORD_WORDS | set(LABEL_WORDS) | used
    skipped |= _NEGATIONS
    skipped |= set(timephrases.WEEKDAYS) | set(timephrases.NUMBER_WORDS)
    skipped |= {"hour", "hours", "fortnight", "old", "older", "ago", "upcoming"}
    skipped |= {"job", "jobs", "company", "companies", "thread", "threads"}
    time_words = set((plan.window_phrase or "").split())
    terms = []
    for token in tokens:
        bare = token.strip("'.-_")
        if bare.endswith("'s"):
            bare = bare[:-2]
        if not bare or bare in skipped or bare in time_words or bare.isdigit():
            continue
        if any(_is_typo_of(bare, word) for word in _TYPO_TARGETS):
            continue
        if bare not in terms:
            terms.append(bare)
    return terms


_ALL_KEYWORD_WORDS = frozenset(
    word
    for keywords in KEYWORDS.values()
    for keyword, _weight in keywords
    for word in keyword.split()
)
_TYPO_TARGETS = frozenset(
    word for word in _ALL_KEYWORD_WORDS | set(LABEL_WORDS) if len(word) >= 6
)
# Words that "not" or "without" leave in the question rather than exclude:
# filler, intent words ("not replied") and time words ("not older than").
_NOT_EXCLUDED = (
    STOPWORDS
    | _ALL_KEYWORD_WORDS
    | set(timephrases.WEEKDAYS)
    | set(timephrases.NUMBER_WORDS)
    | {"old", "older", "newer", "ago", "yet", "already", "even", "anymore"}
)
