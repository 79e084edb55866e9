"""Job-search stories: an application and what follows it, and recruiters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from applylens.demo.catalog import (
    AGENCIES,
    ASSESSMENT_VENDORS,
    COMPANIES,
    INTERVIEW_KINDS,
    ROLES,
    TIMEZONE_LABELS,
    TRACKERS,
    Company,
    Tracker,
)
from applylens.demo.context import (
    OWNER,
    OWNER_FIRST_NAME,
    StoryContext,
    plain_text,
    simple_html,
    spoken_date,
    spoken_time,
)
from applylens.demo.mime import Address, Attachment, MailSpec
from applylens.demo.threads import make_reply

_CITIES = ("Seattle", "Austin", "Denver", "Boston", "Chicago", "Portland", "Atlanta")
_ARRANGEMENTS = ("fully remote", "hybrid, two days a week", "on-site")
_INDUSTRIES = (
    "fintech",
    "healthcare",
    "logistics",
    "climate tech",
    "retail",
    "gaming",
    "cybersecurity",
)


def _pdf_bytes(ctx: StoryContext, title: str) -> bytes:
    """Return a few hundred bytes shaped like a PDF; nothing reads the content."""
    filler = bytes(ctx.rng.getrandbits(8) for _ in range(96))
    return (
        b"%PDF-1.4\n% ApplyLens demo attachment\n"
        + f"1 0 obj << /Title ({title}) >> endobj\n".encode("ascii", "replace")
        + b"stream\n"
        + filler
        + b"\nendstream\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _ics(uid: str, start: datetime, minutes: int, summary: str) -> bytes:
    stamp = "%Y%m%dT%H%M%SZ"
    utc_start = start.astimezone(UTC)
    utc_end = utc_start + timedelta(minutes=minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ApplyLens//Demo//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid.strip('<>')}",
        f"DTSTAMP:{utc_start:{stamp}}",
        f"DTSTART:{utc_start:{stamp}}",
        f"DTEND:{utc_end:{stamp}}",
        f"SUMMARY:{summary}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


class Application:
    """One application of the owner to one role, and the mail it produces."""

    def __init__(self, ctx: StoryContext, start: datetime) -> None:
        self.ctx = ctx
        self.start = start
        self.company: Company = ctx.pick(COMPANIES)
        self.role: str = ctx.pick(ROLES)
        self.tracker: Tracker = ctx.pick(TRACKERS)
        self.requisition = f"R-{ctx.token(5)}"
        first, last = ctx.person()
        self.recruiter: Address = (
            f"{first} {last}",
            f"{_mailbox_name(first)}.{_mailbox_name(last)}@{self.company.domain}",
        )
        self.tz = self.company.timezone
        self.interview_kind: str = ctx.pick(INTERVIEW_KINDS)

    @property
    def tracker_sender(self) -> Address:
        values = {"slug": self.company.slug, "company": self.company.name}
        return (
            self.tracker.display.format(**values),
            self.tracker.sender.format(**values),
        )

    @property
    def portal(self) -> str:
        return self.tracker.link.format(slug=self.company.slug)

    def _spec(
        self,
        kind: str,
        sender: Address,
        subject: str,
        date: datetime,
        paragraphs: list[str],
        link: tuple[str, str] | None = None,
        html_only: bool = False,
    ) -> MailSpec:
        footer = f"Sent by {self.tracker.name} on behalf of {self.company.name}."
        return MailSpec(
            kind=kind,
            sender=sender,
            to=[OWNER],
            subject=subject,
            date=date,
            message_id=self.ctx.message_id(sender[1].split("@")[1]),
            text=None if html_only else plain_text([*paragraphs, footer]),
            html=simple_html(paragraphs, link, footer),
            received_from=f"mail-{self.ctx.token(3)}.{sender[1].split('@')[1]}",
            company=self.company.name,
            role=self.role,
        )

    def receipt(self) -> MailSpec:
        ctx, company, role = self.ctx, self.company.name, self.role
        subject = ctx.pick(
            (
                f"Thank you for applying to {company}",
                f"We received your application for {role}",
                f"{company} | Application received: {role}",
                f"Your application to {company}: {role}",
                f"Application confirmation - {role} ({self.requisition})",
            )
        )
        body = ctx.pick(_RECEIPT_BODIES)
        paragraphs = [
            p.format(
                first=OWNER_FIRST_NAME,
                company=company,
                role=role,
                req=self.requisition,
                date=spoken_date(self.start, self.tz),
            )
            for p in body
        ]
        date = self.ctx.later(self.start, 0, 0.2, self.tz)
        return self._spec(
            "application_receipt",
            self.tracker_sender,
            subject,
            date,
            paragraphs,
            link=("View your application", self.portal),
            html_only=ctx.chance(0.15),
        )

    def rejection(self, after: datetime, interviewed: bool) -> MailSpec:
        ctx, company, role = self.ctx, self.company.name, self.role
        subject = ctx.pick(
            (
                f"Your application to {company}",
                f"Update on your {role} application",
                f"{company} - Application status",
                f"Regarding your application for {role}",
                f"Thank you for your interest in {company}",
            )
        )
        bodies = _REJECTION_AFTER_INTERVIEW if interviewed else _REJECTION_BODIES
        paragraphs = [
            p.format(first=OWNER_FIRST_NAME, company=company, role=role)
            for p in ctx.pick(bodies)
        ]
        sender = self.recruiter if interviewed else self.tracker_sender
        date = ctx.later(after, 24 * 2, 24 * 30, self.tz)
        return self._spec("rejection", sender, subject, date, paragraphs)

    def assessment(self, after: datetime) -> MailSpec:
        ctx, company = self.ctx, self.company.name
        vendor, address, url = ctx.pick(ASSESSMENT_VENDORS)
        date = ctx.later(after, 24, 24 * 10, self.tz)
        deadline = date + timedelta(days=ctx.pick((3, 5, 7)))
        deadline = deadline.replace(hour=23, minute=59, second=0)
        minutes = ctx.pick((45, 60, 75, 90))
        subject = ctx.pick(
            (
                f"{company} has invited you to take an assessment",
                f"Action required: complete your {company} coding assessment by "
                f"{spoken_date(deadline, self.tz)}",
                f"Online assessment for {self.role} at {company}",
            )
        )
        label = TIMEZONE_LABELS.get(self.tz, "UTC")
        paragraphs = [
            f"Hi {OWNER_FIRST_NAME},",
            f"As the next step for the {self.role} role, {company} invites you to "
            f"complete an online assessment on {vendor}. It takes about {minutes} "
            "minutes and must be finished in one sitting.",
            f"Deadline: {spoken_date(deadline, self.tz)} at 11:59 PM {label}. "
            "The link expires after the deadline.",
            "Good luck!",
        ]
        return self._spec(
            "assessment",
            (f"{vendor} for {company}", address),
            subject,
            date,
            paragraphs,
            link=("Start the assessment", f"{url}/{ctx.token(8)}"),
        )

    def scheduling_request(
        self, after: datetime, slots_after: datetime | None = None
    ) -> tuple[MailSpec, list[datetime]]:
        """Return a recruiter's request for availability and the times offered,
        which come 2 to 9 days after the request or after `slots_after`."""
        ctx = self.ctx
        kind = self.interview_kind
        date = ctx.later(after, 24, 24 * 12, self.tz)
        first = max(date, slots_after or date)
        slots = sorted(ctx.business_slot(first, 2, 9, self.tz) for _ in range(3))
        style = ctx.rng.randrange(3)
        lines = "\n".join(f"- {spoken_time(s, self.tz, style)}" for s in slots)
        paragraphs = [
            f"Hi {OWNER_FIRST_NAME},",
            f"Thanks for your interest in the {self.role} role at "
            f"{self.company.name}! I'd like to set up a {ctx.pick((30, 45, 60))}"
            f"-minute {kind} with the team. Would any of these times work for you?",
            lines,
            "If none of these work, send me a few windows that do and I'll "
            "find something.",
            f"Best,\n{self.recruiter[0]}\nRecruiter, {self.company.name}",
        ]
        subject = ctx.pick(
            (
                f"Next steps for {self.role} at {self.company.name}",
                f"Scheduling your {kind} with {self.company.name}",
                f"{self.company.name}: availability for a {kind}?",
            )
        )
        spec = MailSpec(
            kind="scheduling",
            sender=self.recruiter,
            to=[OWNER],
            subject=subject,
            date=date,
            message_id=ctx.message_id(self.company.domain),
            text=plain_text(paragraphs),
            received_from=f"smtp.{self.company.domain}",
            company=self.company.name,
            role=self.role,
        )
        return spec, slots

    def owner_picks_slot(
        self, request: MailSpec, slots: list[datetime]
    ) -> tuple[MailSpec, datetime]:
        ctx = self.ctx
        choice = ctx.pick(slots)
        paragraphs = [
            f"Hi {self.recruiter[0].split()[0]},",
            ctx.pick(
                (
                    f"Thanks for reaching out! {spoken_time(choice, self.tz)} works "
                    "well for me.",
                    f"Great to hear from you. I can do {spoken_time(choice, self.tz)}.",
                    f"{spoken_time(choice, self.tz)} is perfect, thank you.",
                )
            ),
            "Looking forward to it.",
            f"Best,\n{OWNER[0]}",
        ]
        date = ctx.later(request.date, 1, 30, "America/Los_Angeles")
        reply = make_reply(
            ctx,
            request,
            kind="sent",
            sender=OWNER,
            date=date,
            paragraphs=paragraphs,
            domain="example.com",
        )
        return reply, choice

    def confirmation(self, reply: MailSpec, slot: datetime) -> MailSpec:
        ctx = self.ctx
        kind = self.interview_kind
        interviewer = " ".join(ctx.person())
        when = spoken_time(slot, self.tz, ctx.rng.randrange(3))
        paragraphs = [
            f"Hi {OWNER_FIRST_NAME},",
            f"You're confirmed! Your {kind} for {self.role} is scheduled for "
            f"{when}. You'll meet {interviewer}, {ctx.pick(_INTERVIEWER_TITLES)}.",
            f"Join by video: https://meet.{self.company.domain}/{ctx.token(9)} "
            "(a calendar invite is attached).",
            "Reply to this email if you need to reschedule.",
            f"Best,\n{self.recruiter[0]}",
        ]
        date = ctx.later(reply.date, 1, 20, self.tz)
        spec = make_reply(
            ctx,
            reply,
            kind="interview",
            sender=self.recruiter,
            date=date,
            paragraphs=paragraphs,
            domain=self.company.domain,
        )
        spec.subject = ctx.pick(
            (
                f"Confirmed: {kind} with {self.company.name} on "
                f"{spoken_date(slot, self.tz)}",
                f"Interview invitation: {self.role} - {when}",
                f"Re: {reply.subject.removeprefix('Re: ')}",
            )
        )
        spec.received_from = f"smtp.{self.company.domain}"
        spec.attachments.append(
            Attachment(
                "invite.ics",
                "text/calendar; method=REQUEST",
                _ics(spec.message_id, slot, 45, f"{kind.title()}: {self.company.name}"),
            )
        )
        return spec

    def direct_invite(self, after: datetime) -> tuple[MailSpec, datetime]:
        ctx = self.ctx
        kind = ctx.pick(INTERVIEW_KINDS[2:])
        date = ctx.later(after, 24 * 2, 24 * 8, self.tz)
        slot = ctx.business_slot(date, 3, 10, self.tz)
        when = spoken_time(slot, self.tz, ctx.rng.randrange(3))
        paragraphs = [
            f"Hi {OWNER_FIRST_NAME},",
            f"Great news: the team enjoyed meeting you and would like to invite "
            f"you to a {kind} for {self.role} on {when}.",
            "Please confirm that this time works by replying to this email. "
            "The session lasts about two hours and includes a short break.",
            f"Best regards,\n{self.recruiter[0]}",
        ]
        subject = f"Interview invitation: {kind} for {self.role} at {self.company.name}"
        spec = self._spec("interview", self.recruiter, subject, date, paragraphs)
        return spec, slot

    def offer(self, after: datetime) -> MailSpec:
        ctx, company = self.ctx, self.company.name
        date = ctx.later(after, 24 * 2, 24 * 9, self.tz)
        salary = ctx.rng.randrange(95, 190) * 1000
        start_day = spoken_date(date + timedelta(days=ctx.rng.randint(21, 45)), self.tz)
        reply_by = spoken_date(date + timedelta(days=ctx.pick((5, 7))), self.tz)
        paragraphs = [
            f"Dear {OWNER_FIRST_NAME},",
            f"On behalf of everyone at {company}, I'm delighted to offer you the "
            f"position of {self.role}. Your offer letter is attached.",
            f"The offer includes a base salary of ${salary:,} per year, a proposed "
            f"start date of {start_day}, and the benefits summarised in the letter.",
            f"Please review it and let us know your decision by {reply_by}. "
            "I'm happy to talk through any questions.",
            f"Warm regards,\n{self.recruiter[0]}",
        ]
        subject = ctx.pick(
            (
                f"Offer of employment: {self.role} at {company}",
                f"Your offer from {company}",
                f"{company} offer letter - {self.role}",
            )
        )
        spec = self._spec("offer", self.recruiter, subject, date, paragraphs)
        spec.attachments.append(
            Attachment(
                f"Offer_Letter_{self.company.slug}_{OWNER[0].replace(' ', '_')}.pdf",
                "application/pdf",
                _pdf_bytes(ctx, f"Offer letter {company}"),
            )
        )
        spec.flags = "F"
        return spec


def _mailbox_name(name: str) -> str:
    table = str.maketrans("áéíóúàèëïöüçñšž'", "aeiouaeeioucnsz ")
    return name.lower().translate(table).replace(" ", "")


_INTERVIEWER_TITLES = (
    "Engineering Manager",
    "Senior Data Scientist",
    "Director of Analytics",
    "Staff Engineer",
    "Head of Platform",
    "Product Manager",
)

_RECEIPT_BODIES = (
    (
        "Hi {first},",
        "Thank you for your interest in {company}! We have received your application "
        "for the {role} position, and our recruiting team is reviewing it now.",
        "If your background matches what we are looking for, someone from our team "
        "will contact you about next steps. You can check the status of your "
        "application at any time from your candidate home page.",
        "Best regards,\nThe {company} Talent Acquisition Team",
    ),
    (
        "Dear {first} Rivera,",
        "This note confirms that we received your application for {role} "
        "(requisition {req}) on {date}.",
        "Our hiring team reviews every application carefully. Because of the volume "
        "we receive, this can take a few weeks, and you do not need to do anything "
        "else for now.",
        "Thank you for considering a career with {company}.",
    ),
    (
        "Hello {first},",
        "Thanks for applying to {company}. Your application for {role} is in, and "
        "we're excited to learn more about you.",
        "What happens next: a member of our recruiting team reads each application. "
        "If there's a fit, we'll get in touch to set up a first conversation.",
        "Cheers,\n{company} Recruiting",
    ),
    (
        "Hi {first},",
        "We've got it! Your application for {role} at {company} was submitted "
        "successfully on {date}.",
        "We'll be in touch if your skills and experience are a good match for the "
        "role. Thanks again for thinking of us.",
        "The {company} Hiring Team",
    ),
)

_REJECTION_BODIES = (
    (
        "Hi {first},",
        "Thank you for taking the time to apply for the {role} role at {company}. "
        "After careful consideration, we have decided to move forward with other "
        "candidates whose experience more closely matches our current needs.",
        "We appreciate your interest and wish you the best in your search.",
        "Kind regards,\n{company} Recruiting",
    ),
    (
        "Dear {first},",
        "We appreciate your interest in {company}. Unfortunately, we will not be "
        "moving forward with your application for {role} at this time.",
        "We encourage you to keep an eye on our careers page and apply for future "
        "openings that fit your background.",
        "Sincerely,\nThe {company} Talent Team",
    ),
    (
        "Hello {first},",
        "Thanks for applying for {role}. The position has now been filled, so we are "
        "closing the remaining applications, including yours.",
        "We were impressed by your background and hope you will consider {company} "
        "again in the future.",
        "Best,\n{company} Careers",
    ),
    (
        "Hi {first},",
        "We regret to inform you that your application for the {role} position was "
        "not selected for further consideration.",
        "This decision was not easy given the many strong applicants. Thank you for "
        "your interest in joining {company}.",
        "Regards,\nTalent Acquisition, {company}",
    ),
)

_REJECTION_AFTER_INTERVIEW = (
    (
        "Hi {first},",
        "Thank you for interviewing with us for the {role} role. It was a difficult "
        "decision, but we've decided not to proceed with your candidacy.",
        "The team enjoyed our conversations, and I'd be glad to stay in touch for "
        "future roles at {company}.",
        "All the best,",
    ),
    (
        "Hi {first},",
        "Thanks again for the time you spent with our team. After discussing all "
        "the candidates, we have chosen to move forward with someone whose "
        "experience aligns more closely with the {role} position.",
        "I know this isn't the news you were hoping for. Thank you for your interest "
        "in {company}.",
        "Best regards,",
    ),
)


def application_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    """Return the mail of one application: a receipt and what comes next.

    About half end in a rejection, a fifth go silent, and the rest move on to
    an assessment and interviews that end in a rejection or an offer.
    """
    app = Application(ctx, start)
    receipt = app.receipt()
    roll = ctx.rng.random()
    if roll < 0.5:
        return [receipt, app.rejection(receipt.date, interviewed=False)]
    if roll < 0.72:
        return [receipt]
    return [receipt, *_interview_process(ctx, app, receipt.date)]


def _interview_process(
    ctx: StoryContext, app: Application, after: datetime
) -> list[MailSpec]:
    specs: list[MailSpec] = []
    if ctx.chance(0.5):
        specs.append(app.assessment(after))
        after = specs[-1].date
    interview, slot = _scheduled_interview(app, after)
    specs.extend(interview)
    if ctx.chance(0.3):
        invite, slot = app.direct_invite(slot)
        specs.append(invite)
    outcome = ctx.rng.random()
    if outcome < 0.08:
        specs.append(app.offer(slot))
    elif outcome < 0.7:
        specs.append(app.rejection(slot, interviewed=True))
    return specs


def _scheduled_interview(
    app: Application, after: datetime, slots_after: datetime | None = None
) -> tuple[list[MailSpec], datetime]:
    request, slots = app.scheduling_request(after, slots_after)
    reply, slot = app.owner_picks_slot(request, slots)
    return [request, reply, app.confirmation(reply, slot)], slot


def upcoming_interview_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    """Return an application whose interview is scheduled after `ctx.now`.

    With `start` two or three weeks back, the whole thread has arrived by now.
    """
    app = Application(ctx, start)
    receipt = app.receipt()
    interview, _ = _scheduled_interview(app, receipt.date, slots_after=ctx.now)
    return [receipt, *interview]


def recruiter_story(ctx: StoryContext, start: datetime) -> list[MailSpec]:
    """Return an outreach from an agency recruiter or a LinkedIn InMail, with
    the owner's reply and the recruiter's follow-up when there is one."""
    outreach = _linkedin_inmail(ctx, start) if ctx.chance(0.4) else _agency(ctx, start)
    roll = ctx.rng.random()
    if roll < 0.35:
        return [outreach]
    if roll < 0.55:
        nudge = make_reply(
            ctx,
            outreach,
            kind="recruiter_outreach",
            sender=outreach.sender,
            date=ctx.later(outreach.date, 48, 24 * 6, "America/New_York"),
            paragraphs=[
                f"Hi {OWNER_FIRST_NAME}, just bumping this up in case it "
                "got buried. Would you have 15 minutes this week?"
            ],
            domain=outreach.sender[1].split("@")[1],
        )
        nudge.reply_to = outreach.reply_to
        return [outreach, nudge]
    return _recruiter_conversation(ctx, outreach)


def _recruiter_conversation(ctx: StoryContext, outreach: MailSpec) -> list[MailSpec]:
    recruiter_first = outreach.sender[0].split()[0]
    answer = make_reply(
        ctx,
        outreach,
        kind="sent",
        sender=OWNER,
        date=ctx.later(outreach.date, 2, 48, "America/Los_Angeles"),
        paragraphs=[
            f"Hi {recruiter_first},",
            ctx.pick(
                (
                    "Thanks for thinking of me. I'm interested; could you share the "
                    "salary range and whether the role is remote?",
                    "Thanks, but I'm focusing on product analytics roles right now. "
                    "Feel free to keep me in mind for those.",
                    "Sounds interesting! I'm free Thursday afternoon for a quick call.",
                )
            ),
            f"Best,\n{OWNER[0]}",
        ],
        domain="example.com",
    )
    follow_up = make_reply(
        ctx,
        answer,
        kind="scheduling",
        sender=outreach.sender,
        date=ctx.later(answer.date, 2, 30, "America/New_York"),
        paragraphs=[
            f"Hi {OWNER_FIRST_NAME},",
            ctx.pick(
                (
                    "Great! The range is competitive and the role is fully "
                    "remote. Does Thursday at 3:00 PM ET work for a 20-minute call?",
                    "Understood, thanks for letting me know. I'll reach out when "
                    "something closer to that comes up.",
                    "Perfect, I've sent a calendar invite for Thursday at 2:30 PM PT.",
                )
            ),
            outreach.sender[0],
        ],
        domain=outreach.sender[1].split("@")[1],
    )
    return [outreach, answer, follow_up]


def _agency(ctx: StoryContext, start: datetime) -> MailSpec:
    agency, domain = ctx.pick(AGENCIES)
    first, last = ctx.person()
    role, city, industry = ctx.pick(ROLES), ctx.pick(_CITIES), ctx.pick(_INDUSTRIES)
    low = ctx.rng.randrange(110, 170)
    paragraphs = [
        f"Hi {OWNER_FIRST_NAME},",
        f"I came across your profile and think you could be a strong fit for a "
        f"{role} position with one of my clients, a {industry} company based in "
        f"{city}.",
        f"The role is {ctx.pick(_ARRANGEMENTS)} and pays ${low}k to ${low + 30}k "
        "plus bonus. I'd love to tell you more.",
        "Would you be open to a quick call this week?",
        f"Thanks,\n{first} {last}\nSenior Technical Recruiter | {agency}",
    ]
    subject = ctx.pick(
        (
            f"{role} opportunity with a {industry} client",
            "Quick question about your next role",
            f"Exciting {role} role - {city}, up to ${low + 30}k",
            f"{first} from {agency}: {role} opening",
        )
    )
    sender = (
        f"{first} {last}",
        f"{_mailbox_name(first)}.{_mailbox_name(last)}@{domain}",
    )
    return MailSpec(
        kind="recruiter_outreach",
        sender=sender,
        to=[OWNER],
        subject=subject,
        date=ctx.later(start, 0, 1, "America/New_York"),
        message_id=ctx.message_id(domain),
        text=plain_text(paragraphs),
        received_from=f"mail.{domain}",
        role=role,
    )


def _linkedin_inmail(ctx: StoryContext, start: datetime) -> MailSpec:
    first, last = ctx.person()
    company = ctx.pick(COMPANIES)
    role = ctx.pick(ROLES)
    message = (
        f"Hi {OWNER_FIRST_NAME}, I'm a technical recruiter at {company.name}. "
        f"We're hiring a {role} and your experience stood out. Are you open to "
        "new opportunities? I'd be happy to share the details."
    )
    paragraphs = [
        f"{first} {last} sent you a new message",
        f"Technical Recruiter at {company.name}",
        message,
        "Reply on LinkedIn to continue the conversation.",
    ]
    footer = (
        "You are receiving InMail notification emails. "
        '<a href="https://www.linkedin.com/psettings/communications">'
        "Unsubscribe</a>"
    )
    return MailSpec(
        kind="recruiter_outreach",
        sender=(f"{first} {last} via LinkedIn", "inmail-hit-reply@linkedin.com"),
        to=[OWNER],
        subject=f"{first}: {role} at {company.name}",
        date=ctx.later(start, 0, 1, "America/Los_Angeles"),
        message_id=ctx.message_id("linkedin.com"),
        text=plain_text(paragraphs),
        html=simple_html(
            paragraphs, ("Reply", "https://www.linkedin.com/messaging/"), footer
        ),
        received_from="mailb-ae.linkedin.com",
        headers=[
            ("List-Unsubscribe", f"<https://www.linkedin.com/e/unsub/{ctx.token(9)}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ],
        company=company.name,
        role=role,
    )
