"""Invented people, companies and senders that the demo mailbox is made of.

Every company, person, agency and bank here is made up. The applicant tracking
systems and job sites are real products, so their sender addresses follow the
patterns those products use. The companies that hire through them are invented.
"""

from __future__ import annotations

from dataclasses import dataclass

OWNER_NAME = "Alex Rivera"
OWNER_ADDRESS = "alex.rivera@example.com"
OWNER_ADDRESSES = (OWNER_ADDRESS, "alex.rivera.dev@example.net")


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    domain: str
    slug: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Tracker:
    """An applicant tracking system and how its mail is addressed.

    `sender` is a format string that receives the company's slug.
    """

    name: str
    sender: str
    display: str
    link: str


FIRST_NAMES = (
    "Jordan",
    "Priya",
    "Marcus",
    "Elena",
    "Sam",
    "Aisha",
    "Daniel",
    "Mei",
    "Tomás",
    "Chloé",
    "Ravi",
    "Hannah",
    "Kwame",
    "Sofia",
    "Liam",
    "Noor",
    "Diego",
    "Ingrid",
    "Yusuf",
    "Grace",
    "Mateo",
    "Zoë",
    "Oliver",
    "Amara",
    "Kenji",
    "Renée",
    "Felix",
    "Leila",
    "Nikolai",
    "Bianca",
    "Omar",
    "Tessa",
)

LAST_NAMES = (
    "Blake",
    "Shah",
    "Okafor",
    "Novak",
    "Lindqvist",
    "Chen",
    "Moreau",
    "Haddad",
    "García",
    "Schmidt",
    "Park",
    "Nguyen",
    "Müller",
    "Costa",
    "O'Neill",
    "Kowalski",
    "Brennan",
    "Takahashi",
    "Adeyemi",
    "Fischer",
    "Ramírez",
    "Dubois",
    "Patel",
    "Svensson",
    "Ibrahim",
    "Rossi",
    "Walsh",
    "Kim",
    "Jansen",
    "Mendes",
)

COMPANIES = (
    Company(
        "Northwind Analytics",
        "northwind-analytics.example",
        "northwind",
        "America/Los_Angeles",
    ),
    Company(
        "Bluefin Robotics", "bluefin-robotics.example", "bluefin", "America/New_York"
    ),
    Company(
        "Cedar & Pine Health",
        "cedarpine-health.example",
        "cedarpine",
        "America/Chicago",
    ),
    Company("Lumen Ledger", "lumenledger.example", "lumenledger", "America/New_York"),
    Company("Quarry Labs", "quarrylabs.example", "quarrylabs", "America/Denver"),
    Company(
        "Harborview Logistics",
        "harborview-logistics.example",
        "harborview",
        "America/Los_Angeles",
    ),
    Company(
        "Tandem Grid Energy", "tandemgrid.example", "tandemgrid", "America/Chicago"
    ),
    Company(
        "Orbital Kitchen",
        "orbitalkitchen.example",
        "orbitalkitchen",
        "America/Los_Angeles",
    ),
    Company("Vellum Docs", "vellumdocs.example", "vellum", "Europe/Berlin"),
    Company("Saltmarsh Games", "saltmarsh-games.example", "saltmarsh", "Europe/London"),
    Company(
        "Kestrel Security", "kestrel-security.example", "kestrel", "America/New_York"
    ),
    Company(
        "Meridian Mobility",
        "meridian-mobility.example",
        "meridian",
        "America/Los_Angeles",
    ),
    Company("Fjord Data", "fjorddata.example", "fjorddata", "Europe/Oslo"),
    Company(
        "Copperline Payments", "copperline.example", "copperline", "America/New_York"
    ),
    Company(
        "Greenhollow Foods", "greenhollow.example", "greenhollow", "America/Chicago"
    ),
    Company("Atlas Forge", "atlasforge.example", "atlasforge", "America/Denver"),
    Company(
        "Brightwater Learning",
        "brightwater-learning.example",
        "brightwater",
        "America/New_York",
    ),
    Company(
        "Juniper Cloudworks",
        "junipercloud.example",
        "junipercloud",
        "America/Los_Angeles",
    ),
    Company("Solstice Media", "solstice-media.example", "solstice", "Europe/Paris"),
    Company("Ironbark Insurance", "ironbark.example", "ironbark", "America/Chicago"),
    Company(
        "Pelican Bay Retail", "pelicanbay.example", "pelicanbay", "America/Los_Angeles"
    ),
    Company("Nimbus Genomics", "nimbusgenomics.example", "nimbus", "America/New_York"),
    Company(
        "Redshift Studio", "redshift-studio.example", "redshift", "America/Los_Angeles"
    ),
    Company("Waypoint Travel", "waypoint-travel.example", "waypoint", "Europe/Madrid"),
)

ROLES = (
    "Senior Data Analyst",
    "Backend Engineer",
    "Software Engineer II",
    "Machine Learning Engineer",
    "Data Engineer",
    "Product Analyst",
    "Site Reliability Engineer",
    "Staff Software Engineer",
    "Analytics Engineer",
    "Platform Engineer",
    "Full Stack Developer",
    "Data Scientist",
    "Senior Backend Engineer (Python)",
    "DevOps Engineer",
    "Business Intelligence Developer",
)

TRACKERS = (
    Tracker(
        "Workday",
        "{slug}@myworkday.com",
        "{company} Workday",
        "https://{slug}.wd5.myworkdayjobs.com/en-US/careers",
    ),
    Tracker(
        "Workday",
        "no-reply@myworkdayjobs.com",
        "{company} Careers",
        "https://{slug}.wd1.myworkdayjobs.com/External",
    ),
    Tracker(
        "Greenhouse",
        "no-reply@us.greenhouse-mail.io",
        "{company} Recruiting",
        "https://boards.greenhouse.io/{slug}",
    ),
    Tracker(
        "Lever", "no-reply@hire.lever.co", "{company}", "https://jobs.lever.co/{slug}"
    ),
    Tracker(
        "SmartRecruiters",
        "noreply@smartrecruiters.com",
        "{company} Hiring Team",
        "https://jobs.smartrecruiters.com/{slug}",
    ),
    Tracker(
        "iCIMS",
        "careers-{slug}@icims.com",
        "{company} Talent Acquisition",
        "https://careers-{slug}.icims.com/jobs",
    ),
    Tracker(
        "Workable",
        "noreply@candidates.workablemail.com",
        "{company}",
        "https://apply.workable.com/{slug}",
    ),
    Tracker(
        "Ashby",
        "no-reply@ashbyhq.com",
        "{company} Talent",
        "https://jobs.ashbyhq.com/{slug}",
    ),
    Tracker(
        "Jobvite",
        "notification@jobvite.com",
        "{company} Recruiting",
        "https://jobs.jobvite.com/{slug}",
    ),
    Tracker(
        "Taleo",
        "{slug}.careers@taleo.net",
        "{company} Careers",
        "https://{slug}.taleo.net/careersection/2/jobsearch.ftl",
    ),
)

AGENCIES = (
    ("TalentBridge Partners", "talentbridge-partners.example"),
    ("Summit Search Group", "summitsearch.example"),
    ("Northstar Technical Staffing", "northstar-staffing.example"),
    ("Keystone Talent", "keystonetalent.example"),
)

# Each entry is (display name, sender, subject format, unsubscribe style). The
# style decides which List-Unsubscribe forms the mail carries. "one-click" is
# RFC 8058 (https plus List-Unsubscribe-Post), "mailto" and "https" are each
# RFC 2369 form alone, and "both" lists mailto and https.
NEWSLETTERS = (
    (
        "The Weekly Query",
        "digest@weeklyquery.example",
        "The Weekly Query #{n}: {topic}",
        "one-click",
    ),
    (
        "Data Careers Digest",
        "hello@datacareers.example",
        "Data Careers Digest: {topic}",
        "mailto",
    ),
    (
        "Remote Roles Daily",
        "alerts@remoteroles.example",
        "{n} new remote roles matching your search",
        "https",
    ),
    (
        "LinkedIn Job Alerts",
        "jobalerts-noreply@linkedin.com",
        "{topic}: new jobs in your area",
        "one-click",
    ),
    ("Indeed", "alert@indeed.com", "{n} new jobs for 'data engineer'", "both"),
    (
        "Pipeline Notes",
        "notes@pipelinenotes.example",
        "Pipeline Notes: {topic}",
        "mailto",
    ),
    (
        "City Makers Meetup",
        "events@citymakers.example",
        "This month at City Makers: {topic}",
        "https",
    ),
)

NEWSLETTER_TOPICS = (
    "window functions you should know",
    "salary negotiation in practice",
    "what hiring managers read first",
    "streaming joins explained",
    "the state of remote work",
    "portfolio projects that stand out",
    "writing a cover letter in 20 minutes",
    "SQL interview patterns",
    "how to prepare for a system design round",
    "observability on a budget",
)

PROMOS = (
    ("Trailhead Outfitters", "deals@trailhead-outfitters.example", "one-click"),
    ("Bytebrew Coffee", "hello@bytebrew.example", "https"),
    ("Parcel & Co", "offers@parcelco.example", "mailto"),
    ("SkyHop Airlines", "news@skyhop.example", "both"),
    ("Kindling Books", "store@kindlingbooks.example", "one-click"),
    ("FitLoop", "team@fitloop.example", "https"),
)

PROMO_HOOKS = (
    "{pct}% off everything this weekend",
    "Your cart misses you",
    "Last chance: free shipping ends tonight",
    "New arrivals picked for you",
    "Members save {pct}% until Sunday",
    "Flash sale: {pct}% off selected items",
)

BANKS = (
    ("First Harbor Bank", "alerts@firstharborbank.example"),
    ("First Harbor Bank", "statements@firstharborbank.example"),
    ("Cascade Power & Light", "billing@cascadepower.example"),
    ("Riverbend Water", "noreply@riverbendwater.example"),
    ("Lakeside Credit Union", "notices@lakesidecu.example"),
)

FRIENDS = (
    ("Maya Rivera", "maya.rivera@example.org", "family"),
    ("Chris Donovan", "chris.donovan@example.org", "friend"),
    ("Lena Hoffmann", "lena.hoffmann@example.net", "friend"),
    ("Ben Carter", "ben.carter@example.org", "friend"),
    ("Rosa Rivera", "rosa.rivera@example.org", "family"),
    ("Dev Malhotra", "dev.malhotra@example.net", "mentor"),
    ("Inès Laurent", "ines.laurent@example.fr", "friend"),
    ("Tobias Berg", "tobias.berg@example.net", "former colleague"),
)

PERSONAL_TOPICS = (
    (
        "Dinner on Saturday?",
        "Are you free for dinner on Saturday? We were thinking "
        "of the new noodle place near the park, around seven.",
    ),
    (
        "Photos from the hike",
        "I finally sorted the photos from the hike. The one at "
        "the ridge came out great, I'll send the rest tonight.",
    ),
    (
        "Reference letter",
        "Happy to be a reference for you. Send me the job "
        "descriptions and I'll tailor what I say to each one.",
    ),
    (
        "Moving help",
        "We're moving on the 14th. Any chance you could help with the "
        "heavy stuff in the morning? Pizza is on us.",
    ),
    (
        "Your CV",
        "I read your CV over lunch. The project section is strong, but I'd "
        "move the skills list below it and cut it to one line.",
    ),
    (
        "Coffee next week",
        "Want to grab coffee next week? I'd love to hear how the "
        "search is going, and I have a couple of intros in mind.",
    ),
    (
        "Birthday plans for Mom",
        "Mom's birthday is coming up. Should we book the "
        "place by the lake again, or do something at home this year?",
    ),
    (
        "Book club",
        "Next book club is at my place. Did you finish the novel? I'm "
        "only halfway and it's taking a strange turn.",
    ),
    (
        "Weekend trip",
        "Thinking about a weekend trip to the coast next month. "
        "Would the first weekend work for you?",
    ),
    (
        "Mock interview",
        "If you want, we can do a mock interview on Thursday "
        "evening. I can play a grumpy hiring manager.",
    ),
)

ASSESSMENT_VENDORS = (
    ("HackerRank", "no-reply@hackerrank.com", "https://www.hackerrank.com/tests"),
    ("CodeSignal", "noreply@codesignal.com", "https://app.codesignal.com/test"),
    ("TestGorilla", "no-reply@testgorilla.com", "https://app.testgorilla.com/"),
)

# Lookalike domains: each differs from a familiar name by one swapped or added
# character, the way phishing domains usually do.
PHISHING_SENDERS = (
    ("PayPal Security", "service@paypa1-security.com", "paypal.com"),
    ("Microsoft 365", "admin@micros0ft-support.net", "microsoft.com"),
    (
        "First Harbor Bank",
        "alerts@firstharb0rbank-secure.com",
        "firstharborbank.example",
    ),
    ("LinkedIn", "security@linkedln-verify.com", "linkedin.com"),
)

HOSTILE_SUBJECTS = (
    "<img src=x onerror=alert(1)>",
    "\"><script>alert('subject')</script>",
    "Re: your application <svg/onload=alert(document.cookie)>",
)

INTERVIEW_KINDS = (
    "phone screen",
    "technical interview",
    "hiring manager interview",
    "onsite interview",
    "final round interview",
    "video interview",
)

TIMEZONE_LABELS = {
    "America/Los_Angeles": "PT",
    "America/Denver": "MT",
    "America/Chicago": "CT",
    "America/New_York": "ET",
    "Europe/London": "UK time",
    "Europe/Berlin": "CET",
    "Europe/Paris": "CET",
    "Europe/Madrid": "CET",
    "Europe/Oslo": "CET",
}
