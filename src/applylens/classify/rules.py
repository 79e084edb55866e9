"""Wording rules, in English and French, for job-search stages and mail kinds.

Each rule is a set of phrases a reader would recognise as meaning the label,
compiled once. Rules match lower-case text with typographic quotes folded.
"""

from __future__ import annotations

import re
from typing import Final

from applylens.classify import labels as L
from applylens.classify.domains import registrable_domain
from applylens.classify.phrases import IndexedText, PhraseSet
from applylens.classify.view import MailView


def _phrases(*patterns: str) -> PhraseSet:
    return PhraseSet(*patterns)


# Applicant tracking systems and job boards that send mail for employers.
ATS_DOMAINS: Final = frozenset(
    {
        "myworkday.com", "myworkdayjobs.com", "workday.com", "greenhouse.io",
        "greenhouse-mail.io", "lever.co", "smartrecruiters.com", "icims.com",
        "workable.com", "workablemail.com", "ashbyhq.com", "jobvite.com",
        "taleo.net", "successfactors.com", "successfactors.eu", "sapsf.com",
        "sapsf.eu", "welcomekit.co", "teamtailor.com", "teamtailor-mail.com",
        "recruitee.com", "bamboohr.com", "applytojob.com", "breezy.hr",
        "personio.de", "personio.com", "jazzhr.com", "amazon.jobs",
        "brassring.com", "avature.net", "oraclecloud.com", "eightfold.ai",
        "hire.lever.co", "hiringthing.com", "paylocity.com", "ultipro.com",
        "dayforcehcm.com", "indeed.com", "indeedemail.com", "linkedin.com",
        "glassdoor.com", "ziprecruiter.com", "dice.com", "monster.com",
        "hellowork.com", "apec.fr", "francetravail.fr", "jobteaser.com",
    }
)  # fmt: skip

_JOB_CONTEXT: Final = _phrases(
    r"\bapplica(?:tion|nt)s?\b", r"\bapplied\b", r"\bapplying\b", r"\bcandida",
    r"\bposition\b", r"\brole\b", r"\bjob\b", r"\bopening\b", r"\brecruit",
    r"\bhiring\b", r"\binterview", r"\bresume\b", r"\br\u00e9sum\u00e9\b",
    r"\bcv\b", r"\bposte\b", r"\bentretien", r"\boffre d'emploi", r"\bpostul",
    r"\bemployment\b", r"\bcareer", r"\bonboarding\b", r"\bstart date\b",
    r"\bsalary\b", r"\bsalaire\b", r"\bembauche", r"\boffer letter\b",
)  # fmt: skip

# Phrases that make the rest of their sentence hypothetical ("if you are not
# selected ...", "en l'absence de retour ... n'a pas été retenue").
_CONDITIONAL: Final = re.compile(
    r"\b(?:if|should|unless|in the event|in case|whether|si|s'il"
    r"|dans l'hypoth\u00e8se|en l'absence|au cas o\u00f9|dans le cas o\u00f9"
    r"|sans (?:nouvelles?|retour|r\u00e9ponse)|without (?:hearing|a reply))\b"
)  # fmt: skip
_SENTENCE_END: Final = re.compile(r"[.!?\n]")

_REJECTION: Final = _phrases(
    r"\bunfortunately\b[^.\n]{0,200}?\b(?:not|no longer|unable|other candidates?"
    r"|another candidate|won't|cannot|can't|couldn't|could not|filled)\b",
    r"\b(?:not|won't|unable to|decided not to|chosen not to|opted not to)"
    r"(?: be)? (?:moving|move|proceed|proceeding|progress|progressing|advance"
    r"|advancing|taking|take) (?:forward|ahead|further|(?:with )?your (?:application"
    r"|candidacy|profile))",
    r"\b(?:moving|move|going|go|proceeding|proceed) (?:forward |ahead )?with"
    r" (?:other|another|a different) (?:candidates?|applicants?|profiles?)",
    r"\b(?:decided|chosen|elected|opted) to (?:move|proceed|go|continue|pursue"
    r"|progress)[^.\n]{0,40}? with (?:other|another|a different|candidates)",
    r"\b(?:did not|didn't|do not|will not|won't) (?:select|choose|shortlist)"
    r" (?:you|it|your)",
    r"\b(?:extended|extend|made) an offer (?:out )?to (?:a|another) "
    r"(?:candidate|applicant)",
    r"\bdid not work out\b",
    r"\bnot (?:fully |entirely )?convinced\b",
    r"\bpursue (?:other|another|a different|different) (?:candidates?|applicants?)",
    r"\bpursue candidates (?:whose|who)\b",
    r"\b(?:position|role|requisition|hiring|recruitment) (?:is |has been |on )?"
    r"(?:put |placed )?on hold\b",
    r"\bputting (?:this|the) (?:position|role|search) on hold\b",
    r"\bother candidates? (?:whose|who|that) (?:more closely|better|appear)",
    r"\b(?:not|haven't|have not|has not|were not|was not|weren't|wasn't)"
    r" (?:been )?(?:selected|chosen|shortlisted|successful)\b",
    r"\b(?:regret|sorry) to (?:inform|let you know|advise|tell)",
    r"\b(?:position|role|opening|vacancy|job) (?:has|have) (?:now |already )?been"
    r" (?:filled|closed|cancelled)",
    r"\b(?:recently|already) filled (?:this|the) (?:position|role)",
    r"\bno longer (?:under consideration|be(?:ing)? considered|considering your)",
    r"\bnot the (?:most|best) (?:qualified|suitable)\b",
    r"\b(?:were|was|are|is) not (?:a|the right) (?:good |strong )?(?:fit|match)\b",
    r"\bgoing in a (?:different )?direction\b",
    r"\b(?:unable|not able) to offer you\b",
    r"\bnot (?:the right|a (?:good |strong )?) ?(?:fit|match) for\b",
    r"\bdon't see a (?:strong )?(?:mutual )?fit\b",
    r"\bnot (?:been )?chosen for further consideration",
    r"\bnot (?:the most )?competitive candidate",
    r"\bwill not be moving (?:ahead|forward)\b",
    r"\bmalheureusement\b[^.\n]{0,200}?(?:pas (?:\u00e9t\u00e9 |pu \u00eatre )?"
    r"retenue?|donner (?:une )?suite|autres? candidat|pourvu"
    r"|pas (?:\u00e9t\u00e9 )?s\u00e9lectionn|ne pas poursuivre|continuer avec)",
    r"\bpas (?:\u00e9t\u00e9 |pu \u00eatre )?"
    r"(?:retenue?s?|s\u00e9lectionn\u00e9e?s?)\b",
    r"\bne pas (?:la |vous |le )?(?:retenir|s\u00e9lectionner)\b",
    r"\bne (?:\w+ ){0,2}pas (?:\w+ ){0,3}suite\b",
    r"\bde ne pas poursuivre\b",
    r"\bau regret de (?:vous|t') (?:annoncer|informer)",
    r"\bpoursuivre (?:le recrutement |le processus )?avec d'autres candidat",
    r"\b(?:continuer|continuerons|avancer|poursuivre) avec (?:un |une )?autre"
    r" (?:candidat|profil)",
    r"\bne correspond pas (?:pleinement |enti\u00e8rement )?(?:\u00e0|aux?) ",
    r"\b(?:poste|offre) a \u00e9t\u00e9 pourvue?\b",
    r"\bavons (?:pr\u00e9f\u00e9r\u00e9|privil\u00e9gi\u00e9|d\u00e9cid\u00e9 de"
    r" privil\u00e9gier|choisi de poursuivre)",
)
_RECEIPT: Final = _phrases(
    r"\b(?:we(?:'ve| have)?|has been|have been) (?:successfully )?received"
    r" (?:your|an?) (?:job |online )?(?:application|submission|resume|cv)",
    r"\b(?:thank you|thanks) (?:so much |very much |again )?for (?:applying"
    r"|your (?:recent )?application|submitting your application)",
    r"\byour application (?:has been|was|is) (?:successfully )?(?:received"
    r"|submitted|sent|complete|on its way)",
    r"\bapplication (?:received|confirmation|submitted|acknowledg)",
    r"\bwe(?:'ll| will) (?:now )?(?:carefully )?(?:review|be reviewing|look at"
    r"|take a look at) your (?:application|resume|profile|cv|credentials)",
    r"\b(?:application|resume) (?:is|will be) (?:currently )?(?:being |under )"
    r"?review",
    r"\bsuccessfully (?:applied|submitted)\b",
    r"\bnous avons (?:bien )?re[\u00e7c]u (?:votre|ta) candidature",
    r"\bcandidature (?:a (?:bien )?\u00e9t\u00e9|est bien) (?:envoy\u00e9e"
    r"|re\u00e7ue|transmise|enregistr\u00e9e|arriv\u00e9e)",
    r"\bcandidature bien re[\u00e7c]ue",
    r"\bmerci d'avoir postul\u00e9",
    r"\bmerci (?:beaucoup )?pour (?:votre|ta) candidature\b",
)
_INTERVIEW: Final = _phrases(
    r"\binvite you (?:to|for) (?:participate in |attend |join )?(?:an? |the |your )?"
    r"(?:\w+ ){0,3}(?:interview|call|conversation|chat|meeting|phone screen)",
    r"\b(?:selected|shortlisted|chosen) for (?:an? |the )?(?:\w+ ){0,2}interview",
    r"\b(?:schedule|arrange|set up|book|organi[sz]e) (?:an? |the |your )?"
    r"(?:\w+ ){0,2}(?:interview|phone screen|screening call)",
    r"\b(?:phone|video|technical|onsite|on-site|first|second|final|virtual"
    r"|hr|initial) (?:round )?(?:interview|screen)\b",
    r"\binterview (?:invitation|request)\b",
    r"\binvitation (?:to|for) (?:an? )?interview",
    r"\bwould (?:like|love) to (?:speak|talk|chat|meet) (?:with )?you\b",
    r"\byour (?:\w+ ){0,2}interview (?:for|with|is|has|on|at)\b",
    r"\binterview (?:scheduled|confirmation|confirmed|details)\b",
    r"\bnext step (?:is|will be) (?:an? )?(?:\w+ )?(?:interview|call)",
    r"\bentretien (?:t\u00e9l\u00e9phonique|en visio|vid\u00e9o|technique"
    r"|individuel|d'embauche|de recrutement|avec)",
    r"\b(?:un |votre |ton |notre |premier |second )entretien\b",
    r"\bplanifier (?:un |une )?(?:premier |premi\u00e8re )?(?:\u00e9change|appel"
    r"|entretien|rencontre)",
    r"\b(?:vous|te) rencontrer\b",
    r"\bfaire connaissance\b",
)
_ASSESSMENT: Final = _phrases(
    r"\b(?:complete|take|start|begin|finish|invite you to|invited to)"
    r"[^.\n]{0,60}\b(?:assessment|test|challenge|exercise|assignment)\b",
    r"\b(?:coding|technical|programming|take-home|take home|online|skills?"
    r"|cognitive) (?:challenge|test|assessment|exercise|assignment)\b",
    r"\b(?:hackerrank|codility|codesignal|coderpad|testgorilla|hirevue"
    r"|pymetrics|karat)\b",
    r"\b(?:test|cas|exercice) (?:technique|pratique)\b",
    r"\btest en ligne\b",
)
_OFFER: Final = _phrases(
    r"\b(?:pleased|happy|delighted|excited|thrilled) to (?:extend|offer|make)"
    r" (?:you )?(?:an? |the )?(?:formal |verbal |official |written )?"
    r"(?:offer|position|role)",
    r"\bextend(?:ing)? (?:you )?(?:an? |this )(?:formal |official |verbal )?offer",
    r"\boffer (?:letter|of employment|package)\b",
    r"\boffer (?:\w+ ){0,4}(?:has been|was) accepted\b",
    r"\b(?:accept|accepted|signed) (?:the |our |your )?offer\b",
    r"\bpromesse d'embauche\b",
    r"\bproposition (?:d'embauche|de contrat|d'emploi)\b",
    r"\blettre d'offre\b",
    r"\bheureux de (?:vous|t') (?:proposer|annoncer|offrir)[^.\n]{0,80}"
    r"(?:poste|contrat|rejoindre)",
)
_SCHEDULING: Final = _phrases(
    r"\b(?:your|of) availabilit(?:y|ies)\b",
    r"\bavailable (?:times?|slots?|dates?)\b",
    r"\btime ?slots?\b",
    r"\bcalendar invit",
    r"\b(?:calendly|doodle|goodtime)\b",
    r"\breschedul",
    r"\b(?:confirm|confirming|confirmed) (?:the |your |our )?(?:interview|meeting"
    r"|call|appointment)\b",
    r"\bmeeting (?:request|invitation)\b",
    r"\bcr\u00e9neaux?\b",
    r"\bdisponibilit\u00e9s?\b",
    r"\b(?:zoom|teams|google meet) (?:link|meeting|call)\b",
    r"\bmeet\.google\.com/",
    r"\bzoom\.us/j/",
)
_RECRUITER: Final = _phrases(
    r"\b(?:i'm|i am) (?:a |an |the )?(?:\w+ ){0,2}(?:recruiter|talent acquisition"
    r"|headhunter|sourcer|recruitment consultant)",
    r"\b(?:recruiter|recruiting|staffing|talent partner) (?:at|with|for) ",
    r"\bcame across your (?:profile|resume|cv|background)",
    r"\byour (?:profile|background|experience|resume|skill set) (?:is|seems|looks"
    r"|would be|could be)(?: like)? (?:an? )?(?:\w+ )?(?:fit|match)",
    r"\b(?:opportunity|opening|role|position|requirement) (?:with|at|for)"
    r" (?:one of )?(?:my|our) (?:\w+ )?clients?",
    r"\bi have (?:a|an) (?:\w+ ){0,2}(?:job|role|position|opportunity|opening)",
    r"\b(?:would|are) you (?:be )?(?:interested|open) (?:in|to) (?:a |an |this |the )?"
    r"(?:\w+ ){0,2}(?:role|position|opportunit|job|opening|chat)",
    r"\bimmediate (?:opening|requirement|need)\b",
    r"\bjob (?:that )?(?:i think|you may be interested)",
    r"\bje suis (?:\w+ ){0,2}(?:recruteur|recruteuse|charg\u00e9e? de recrutement"
    r"|consultante? en recrutement|talent acquisition)",
    r"\bvotre profil (?:a retenu|correspond|m'int\u00e9resse|nous int\u00e9resse)",
    r"\bune opportunit\u00e9 (?:qui|de poste|en cdi)",
)
_UNSUBSCRIBE_WORDING: Final = _phrases(
    r"\bunsubscribe\b",
    r"\bse d\u00e9sabonner\b",
    r"\bd\u00e9sinscri",
    r"\bd\u00e9sabonn",
    r"\bopt[- ]?out\b",
    r"\bmanage (?:your )?(?:e-?mail |notification )?(?:preferences|subscriptions?)",
    r"\bto stop receiving\b",
    r"\byou (?:are|were) receiving this (?:e-?mail|message|newsletter)",
    r"\byou(?:'re| are) (?:currently )?subscribed\b",
    r"\bsubscription (?:preferences|settings)\b",
    r"\bvous recevez (?:cet|ce|des|les) (?:e-?mails?|messages?|notifications)",
    r"\bremove yourself from\b",
    r"\bmailing list\b",
)
_NEWSLETTER_WORDING: Final = _phrases(
    r"\bnewsletter\b", r"\bdigest\b", r"\bweekly (?:update|roundup|news|tips?)\b",
    r"\bthis week(?:'s)?\b", r"\bissue #?\d", r"\bvol\.? \d", r"\bheadlines\b",
    r"\blettre d'information\b", r"\bbulletin\b", r"\btop stories\b",
)  # fmt: skip
# Wording of marketing mail. A price or the word "deal" alone does not count:
# both are common in ordinary discussion.
_SALES_CUES: Final[tuple[PhraseSet, ...]] = tuple(
    PhraseSet(pattern)
    for pattern in (
        r"% off\b|\bjusqu'\u00e0 -\d",
        r"\bon sale\b|\bsale ends\b|\bsoldes\b|\bsale price\b",
        r"\bdiscount(?:s|ed)? (?:on|of|code|price)|\br\u00e9duction",
        r"\bcoupon|\bpromo(?:tional)? code|\bcode promo",
        r"\bfree (?:shipping|delivery)|\blivraison (?:gratuite|offerte)",
        r"\b(?:shop|buy|order) (?:now|today)|\bj'en profite",
        r"\bsave (?:up to |an extra )?(?:\$|\u20ac|\u00a3)?\d",
        r"\b(?:special|exclusive|limited[- ]time) offers?\b|\boffre sp\u00e9ciale",
        r"\boffer (?:ends|expires)|\b(?:sale|offer) ends (?:today|tonight|soon)",
        r"\bclearance\b|\bbons? plans?\b",
    )
)
_LIST_TAG: Final = re.compile(r"^(?:re: ?)?\[[^\]]{2,40}\]")
_AUTOMATED_LOCAL_PART: Final = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|noreply|notifications?|alerts?"
    r"|news|newsletters?|info|mailer|bounces?|updates?|marketing|support|hello"
    r"|team|jobs|careers?|recruiting|talent|hr|admin|postmaster|mailer-daemon"
    r"|listserv|owner-.*|.*-request|.*-bounces|subscriptions?|offers|deals"
    r"|promo(?:tions)?|service|customer.*|billing|account|security|reply)(?:[-+._].*)?$"
)
_AUTOMATED_NAME: Final = re.compile(
    r"\b(?:team|careers?|recruiting|recruitment|talent|notifications?|newsletter"
    r"|support|jobs?|hiring|hr|no-?reply|news|alerts?|service|customer|store"
    r"|shop|updates?|digest|daily|weekly|magazine|\u00e9quipe)\b"
)
_QUESTION: Final = re.compile(r"\?(?:\s|$)")
_REQUEST: Final = _phrases(
    r"\b(?:could|can|would|will) you\b",
    r"\bplease (?:let (?:me|us) know|send|confirm|reply|respond|advise|call"
    r"|review|tell|share|get back)",
    r"\blet (?:me|us) know\b",
    r"\bget back to (?:me|us)\b",
    r"\blooking forward to (?:hearing|your reply|your response)",
    r"\bpouvez-vous\b", r"\bpourriez-vous\b", r"\bpeux-tu\b", r"\bpourrais-tu\b",
    r"\bmerci de (?:me|nous) (?:r\u00e9pondre|confirmer|envoyer|faire|dire)",
    r"\btiens-moi au courant\b", r"\bdites-moi\b", r"\bdis-moi\b",
    r"\bj'attends (?:votre|ta) r\u00e9ponse",
)  # fmt: skip
# LinkedIn reports an employer's decision in a fixed template whose body has
# no decision wording, so only the subject pattern marks a closed application.
_LINKEDIN_STATUS_SUBJECT: Final = re.compile(r"^votre candidature ?: .+ chez .+$")


def matches_outside_condition(pattern: PhraseSet, indexed: IndexedText) -> bool:
    """True when `pattern` matches in a sentence that is not hypothetical."""
    text = indexed.text
    for match in pattern.finditer(indexed):
        start = match.start()
        sentence_start = _last_sentence_end(text, start)
        if not _CONDITIONAL.search(text, sentence_start, start):
            return True
    return False


def _last_sentence_end(text: str, position: int) -> int:
    window_start = max(0, position - 300)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, window_start, position)]
    return ends[-1] if ends else window_start


def is_job_sender(view: MailView) -> bool:
    return registrable_domain(view.sender_domain) in ATS_DOMAINS


def is_job_related(view: MailView) -> bool:
    if is_job_sender(view):
        return True
    return bool(_JOB_CONTEXT.search(view.all_text))


def job_labels(view: MailView) -> list[str]:
    """Return the job-search stage labels that `view` carries."""
    text = view.fresh_text
    if not is_job_related(view):
        return []
    labels: list[str] = []
    is_rejection = _is_linkedin_closed(view) or matches_outside_condition(
        _REJECTION, text
    )
    if _OFFER.search(text) and not is_rejection:
        labels.append(L.OFFER)
    if is_rejection:
        labels.append(L.REJECTION)
        return labels
    if _INTERVIEW.search(text):
        labels.append(L.INTERVIEW)
    if _ASSESSMENT.search(text):
        labels.append(L.ASSESSMENT)
    if _SCHEDULING.search(text):
        labels.append(L.SCHEDULING)
    if _RECEIPT.search(text) and not labels:
        labels.append(L.APPLICATION_RECEIPT)
    if not labels and _RECRUITER.search(text):
        labels.append(L.RECRUITER_OUTREACH)
    return labels


def _is_linkedin_closed(view: MailView) -> bool:
    if registrable_domain(view.sender_domain) != "linkedin.com":
        return False
    return bool(_LINKEDIN_STATUS_SUBJECT.match(view.subject_lower))


def is_bulk(view: MailView) -> bool:
    """True when headers or wording show mail sent to many people."""
    if view.is_bulk_by_headers or view.has_unsubscribe:
        return True
    if _LIST_TAG.match(view.subject_lower):
        return True
    if _UNSUBSCRIBE_WORDING.search(view.all_text):
        return True
    return is_newsletter_wording(view) and is_automated_sender(view)


def sales_cue_count(view: MailView) -> tuple[int, int]:
    """Return how many distinct sales cues the subject and the whole text
    contain."""
    in_text = sum(1 for cue in _SALES_CUES if cue.search(view.all_text))
    if not in_text:
        return 0, 0
    subject = IndexedText(view.subject_lower)
    return sum(1 for cue in _SALES_CUES if cue.search(subject)), in_text


def is_newsletter_wording(view: MailView) -> bool:
    return bool(_NEWSLETTER_WORDING.search(view.all_text))


def is_scheduling(view: MailView) -> bool:
    return bool(_SCHEDULING.search(view.fresh_text))


def is_automated_sender(view: MailView) -> bool:
    local_part = view.sender.partition("@")[0].lower()
    if _AUTOMATED_LOCAL_PART.match(local_part):
        return True
    if _AUTOMATED_NAME.search(view.sender_name.lower()):
        return True
    return is_job_sender(view)


def asks_for_reply(view: MailView) -> bool:
    return bool(_QUESTION.search(view.fresh) or _REQUEST.search(view.fresh_text))
