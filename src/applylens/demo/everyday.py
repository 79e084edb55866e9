"""Everything else in the inbox: lists, shops, bills, phishing and friends."""

from __future__ import annotations

import html
from datetime import datetime

from applylens.demo.catalog import (
    BANKS,
    COMPANIES,
    FRIENDS,
    HOSTILE_SUBJECTS,
    NEWSLETTER_TOPICS,
    NEWSLETTERS,
    PERSONAL_TOPICS,
    PHISHING_SENDERS,
    PROMO_HOOKS,
    PROMOS,
    ROLES,
)
from applylens.demo.context import (
    MONTH_NAMES,
    OWNER,
    OWNER_FIRST_NAME,
    StoryContext,
    plain_text,
    simple_html,
)
from applylens.demo.mime import Attachment, MailSpec
from applylens.demo.threads import make_reply

# Messages in another language from the friend who speaks it, each in the
# legacy charset a mail client of that language commonly used, so the demo
# exercises charset decoding. The first field is the friend's index in FRIENDS.
_FOREIGN_TOPICS = (
    (
        6,
        "Café la semaine prochaine ?",
        "Salut Alex ! On se voit pour un café la semaine prochaine ? J'ai hâte "
        "d'entendre où en est ta recherche. Bises",
        "iso-8859-1",
    ),
    (
        4,
        "¿Cena el domingo?",
        "¡Hola, Alex! ¿Vienes a cenar el domingo? La abuela preparó su receta de "
        "siempre y quiere saber cómo van las entrevistas. Un abrazo",
        "windows-1252",
    ),
    (
        2,
        "Grüße aus Berlin – Lebenslauf",
        "Hallo Alex, ich habe deinen Lebenslauf gelesen. Die Projekte sind stark, "
        "aber kürze die Einleitung auf zwei Sätze. Viele Grüße",
        "iso-8859-15",
    ),
)


def _unsubscribe_headers(
    ctx: StoryContext, domain: str, style: str
) -> list[tuple[str, str]]:
    token = ctx.token(10)
    https = f"<https://{domain}/unsubscribe?u={token}>"
    mailto = f"<mailto:unsubscribe-{token}@{domain}?subject=unsubscribe>"
    if style == "one-click":
        return [
            ("List-Unsubscribe", https),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
    if style == "mailto":
        return [("List-Unsubscribe", mailto)]
    if style == "https":
        return [("List-Unsubscribe", https)]
    return [("List-Unsubscribe", f"{mailto}, {https}")]


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _footer(domain: str) -> str:
    return (
        "You receive this email because you subscribed. "
        f'<a href="https://{domain}/preferences">Manage preferences</a> or '
        f'<a href="https://{domain}/unsubscribe">unsubscribe</a>.'
    )


def newsletter_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    name, address, subject_format, style = ctx.pick(NEWSLETTERS)
    domain = address.split("@")[1]
    topic = ctx.pick(NEWSLETTER_TOPICS)
    issue = ctx.rng.randrange(12, 240)
    items = [_sentence_case(ctx.pick(NEWSLETTER_TOPICS)) for _ in range(3)]
    if "jobs" in subject_format or "roles" in subject_format:
        items = [f"{ctx.pick(ROLES)} at {ctx.pick(COMPANIES).name}" for _ in range(4)]
    paragraphs = [
        f"Hi {OWNER_FIRST_NAME}, here is this week's selection.",
        *(f"• {item}" for item in items),
        "Read the full issue on our website.",
    ]
    headers = [
        ("List-Id", f"{name} <{domain.split('.')[0]}.list.{domain}>"),
        ("Precedence", "bulk"),
        *_unsubscribe_headers(ctx, domain, style),
    ]
    return [
        MailSpec(
            kind="newsletter",
            sender=(name, address),
            to=[OWNER],
            subject=subject_format.format(n=issue, topic=_sentence_case(topic)),
            date=ctx.later(start, 0, 1, "UTC"),
            message_id=ctx.message_id(domain),
            text=plain_text(
                [*paragraphs, f"Unsubscribe: https://{domain}/unsubscribe"]
            ),
            html=simple_html(
                paragraphs,
                ("Read online", f"https://{domain}/issues/{issue}"),
                _footer(domain),
            ),
            headers=headers,
            received_from=f"out.{domain}",
            encoding=ctx.pick(("quoted-printable", "base64")),
        )
    ]


def promo_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    name, address, style = ctx.pick(PROMOS)
    domain = address.split("@")[1]
    pct = ctx.pick((10, 15, 20, 25, 30, 40, 50))
    hook = ctx.pick(PROMO_HOOKS).format(pct=pct)
    subject = f"🔥 {hook}" if ctx.chance(0.2) else hook
    code = f"SAVE{pct}{ctx.token(2)}"
    paragraphs = [
        f"{hook}.",
        f"Use code {code} at checkout. Offer valid while supplies last; "
        "exclusions apply.",
        "Shop now and see what's new this season.",
    ]
    body_html = simple_html(
        paragraphs, ("Shop now", f"https://{domain}/sale"), _footer(domain)
    )
    return [
        MailSpec(
            kind="promo",
            sender=(name, address),
            to=[OWNER],
            subject=subject,
            date=ctx.later(start, 0, 1, "America/New_York"),
            message_id=ctx.message_id(domain),
            text=None if ctx.chance(0.6) else plain_text(paragraphs),
            html=body_html,
            headers=[("Precedence", "bulk"), *_unsubscribe_headers(ctx, domain, style)],
            received_from=f"mta.{domain}",
            encoding="quoted-printable",
        )
    ]


def bank_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    """Return one statement, bill or alert, or a bank's own newsletter, which
    carries List-Unsubscribe like any other list."""
    name, address = ctx.pick(BANKS)
    domain = address.split("@")[1]
    month = MONTH_NAMES[start.month - 1]
    amount = f"${ctx.rng.randrange(20, 400)}.{ctx.rng.randrange(100):02d}"
    subject, paragraph = ctx.pick(
        (
            (
                f"Your {month} statement is ready",
                f"Your {name} statement for {month} is now available online.",
            ),
            (
                f"Your {month} bill: {amount} due",
                f"Your bill of {amount} is due in 14 days. AutoPay is not turned on.",
            ),
            (
                "Payment received - thank you",
                f"We received your payment of {amount}. No further action is needed.",
            ),
            (
                "Low balance alert",
                f"Your checking account ending in {ctx.token(4)} fell below $100.00.",
            ),
            (
                f"{name} Insights: saving for a career change",
                "Five ways to build a cushion while you look for your next role.",
            ),
        )
    )
    is_marketing = "Insights" in subject
    headers = _unsubscribe_headers(ctx, domain, "one-click") if is_marketing else []
    paragraphs = [
        f"Hello {OWNER[0]},",
        paragraph,
        f"Sign in at https://www.{domain}/ to see the details.",
        f"{name} will never ask for your password by email.",
    ]
    return [
        MailSpec(
            kind="newsletter" if is_marketing else "bank",
            sender=(name, address),
            to=[OWNER],
            subject=subject,
            date=ctx.later(start, 0, 1, "America/Chicago"),
            message_id=ctx.message_id(domain),
            text=plain_text(paragraphs),
            html=simple_html(paragraphs),
            headers=headers,
            received_from=f"mail.{domain}",
        )
    ]


def phishing_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    """Return one phishing attempt: a lookalike domain asking for credentials,
    or a fake job offer with a mismatched Reply-To that requests money."""
    if ctx.chance(0.5):
        return [_credential_phish(ctx, start)]
    return [_fake_job_offer(ctx, start)]


def _credential_phish(ctx: StoryContext, start: datetime) -> MailSpec:
    name, address, _real_domain = ctx.pick(PHISHING_SENDERS)
    domain = address.split("@")[1]
    subject, paragraph = ctx.pick(
        (
            (
                "Your account has been limited",
                "We noticed unusual activity and limited your account. Verify your "
                "identity within 24 hours or your account will be permanently closed.",
            ),
            (
                "Action required: your password expires today",
                "Your mailbox password expires today. Confirm your current "
                "password now to keep access to your messages.",
            ),
            (
                "Unusual sign-in detected",
                "Someone signed in from a new device. If this wasn't you, confirm your "
                "login details and card number immediately to secure your account.",
            ),
        )
    )
    link = f"http://{domain}/verify?id={ctx.token(8)}"
    return MailSpec(
        kind="suspicious",
        sender=(name, address),
        to=[OWNER],
        subject=subject,
        date=ctx.later(start, 0, 1, "UTC"),
        message_id=ctx.message_id(domain),
        html=simple_html(["Dear Customer,", paragraph], ("Verify now", link)),
        received_from=f"vps{ctx.token(4)}.cheap-hosting.example",
    )


def _fake_job_offer(ctx: StoryContext, start: datetime) -> MailSpec:
    company = ctx.pick(COMPANIES)
    first, last = ctx.person()
    fee = ctx.pick(("$95", "$150", "$249"))
    paragraph = ctx.pick(
        (
            "To get started you must purchase your home-office equipment from our "
            "approved vendor. We will mail you a check to cover the cost; deposit it "
            "and send the vendor payment by wire transfer today.",
            f"Before onboarding, a one-time background check fee of {fee} is required. "
            "Pay it with gift cards and reply with the card numbers and PINs.",
            "Please reply with your bank account and routing number so payroll can "
            "send your signing bonus. This must be done within 24 hours.",
        )
    )
    paragraphs = [
        f"Dear {OWNER_FIRST_NAME},",
        f"Congratulations! After reviewing your resume, {company.name} has selected "
        "you for a remote Data Entry Clerk position paying $45 per hour. No "
        "interview is needed.",
        paragraph,
        f"Regards,\n{first} {last}\nHR Department",
    ]
    return MailSpec(
        kind="suspicious",
        sender=(f"{company.name} HR", f"hr@{company.domain}"),
        reply_to=(
            f"{first} {last}",
            f"{company.slug}.hiring.dept@freemail-box.example",
        ),
        to=[OWNER],
        subject=ctx.pick(
            (
                "Job offer: remote position, start immediately",
                f"Congratulations! You have been selected by {company.name}",
                "URGENT: confirm your employment details",
            )
        ),
        date=ctx.later(start, 0, 1, "UTC"),
        message_id=ctx.message_id("freemail-box.example"),
        text=plain_text(paragraphs),
        received_from="smtp.freemail-box.example",
    )


def hostile_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    """Return a message whose subject and body are HTML injection attempts, for
    testing that every screen escapes what it shows."""
    subject = ctx.pick(HOSTILE_SUBJECTS)
    first, last = ctx.person()
    body = (
        "<!DOCTYPE html>\n<html><body>\n"
        f"<p>Hello {html.escape(OWNER_FIRST_NAME)}</p>\n"
        "<script>alert('body')</script>\n"
        '<a href="javascript:alert(1)">open</a>\n</body></html>\n'
    )
    return [
        MailSpec(
            kind="hostile",
            sender=(f"{first} {last}", "notes@odd-sender.example"),
            to=[OWNER],
            subject=subject,
            date=ctx.later(start, 0, 1, "UTC"),
            message_id=ctx.message_id("odd-sender.example"),
            text=f"{subject}\n\nThis message tests escaping: {subject}\n",
            html=body,
            received_from="mail.odd-sender.example",
        )
    ]


def personal_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    """Return a thread with a friend or relative of one to five messages.

    The friend writes last in some threads, which then await the owner's reply.
    """
    name, address, _relation = ctx.pick(FRIENDS)
    charset = "utf-8"
    if ctx.chance(0.15):
        friend_index, subject, opening, charset = ctx.pick(_FOREIGN_TOPICS)
        name, address, _relation = FRIENDS[friend_index]
    else:
        subject, opening = ctx.pick(PERSONAL_TOPICS)
    domain = address.split("@")[1]
    first = MailSpec(
        kind="personal",
        sender=(name, address),
        to=[OWNER],
        subject=subject,
        date=ctx.later(start, 0, 1, "America/Los_Angeles"),
        message_id=ctx.message_id(domain),
        text=plain_text([f"Hi {OWNER_FIRST_NAME},", opening, name.split()[0]]),
        charset=charset,
        encoding="8bit" if charset != "utf-8" else "quoted-printable",
        received_from=f"smtp.{domain}",
    )
    if ctx.chance(0.1):
        first.attachments.append(_photo(ctx))
    return _continue_thread(ctx, first, length=ctx.rng.randint(1, 5))


def _continue_thread(ctx: StoryContext, first: MailSpec, length: int) -> list[MailSpec]:
    friend = first.sender
    thread = [first]
    for index in range(1, length):
        parent = thread[-1]
        owner_turn = index % 2 == 1
        sender = OWNER if owner_turn else friend
        line = ctx.pick(_OWNER_LINES if owner_turn else _FRIEND_LINES)
        reply = make_reply(
            ctx,
            parent,
            kind="sent" if owner_turn else "personal",
            sender=sender,
            date=ctx.later(parent.date, 1, 72, "America/Los_Angeles"),
            paragraphs=[line, (OWNER if owner_turn else friend)[0].split()[0]],
            domain=sender[1].split("@")[1],
        )
        thread.append(reply)
    return thread


def _photo(ctx: StoryContext) -> Attachment:
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(
        ctx.rng.getrandbits(8) for _ in range(200)
    )
    return Attachment(f"IMG_{ctx.token(4)}.jpg", "image/jpeg", data + b"\xff\xd9")


_OWNER_LINES = (
    "That sounds great, count me in!",
    "Thanks so much. Let me check my calendar and get back to you tonight.",
    "Sorry for the slow reply, it's been a week of interviews. Yes to all of it.",
    "Could we do Sunday instead? Saturday I have a take-home to finish.",
    "Love it. Send me the details when you have them.",
)

_FRIEND_LINES = (
    "Perfect, see you then!",
    "Great. Also, did you hear back from that company you interviewed with?",
    "No rush. Let me know by Friday if you can.",
    "Works for me. Should I bring anything?",
    "Ha, good luck with the take-home! Let me know how it goes?",
)
