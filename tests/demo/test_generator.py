"""The demo mailbox generator, on the real files it writes."""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from applylens.demo import (
    DEFAULT_COUNT,
    EXPECTED_KINDS_NAME,
    OWNER_ADDRESS,
    DemoManifest,
    DemoOutputError,
    demo_owner_addresses,
    generate_mailbox,
    read_manifest,
    write_manifest,
)
from applylens.demo.context import spoken_time
from applylens.demo.writer import MboxWriter

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
KINDS = (
    "application_receipt",
    "interview",
    "assessment",
    "offer",
    "rejection",
    "recruiter_outreach",
    "scheduling",
    "newsletter",
    "promo",
    "bank",
    "suspicious",
    "personal",
    "sent",
    "hostile",
)


def _read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    generate_mailbox(root, seed=7, now=NOW)
    return root


@pytest.fixture(scope="module")
def messages(demo_root: Path) -> dict[Path, EmailMessage]:
    files = sorted((demo_root / "maildir").glob("*/*"))
    return {path: _parse(path.read_bytes()) for path in files}


@pytest.fixture(scope="module")
def expected_kinds(demo_root: Path) -> list[dict[str, str]]:
    lines = (demo_root / EXPECTED_KINDS_NAME).read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def test_generate_mailbox_same_seed_and_time_identical_bytes(
    tmp_path: Path, demo_root: Path
) -> None:
    again = tmp_path / "again"
    generate_mailbox(again, seed=7, now=NOW)
    assert _read_tree(again) == _read_tree(demo_root)


def test_generate_mailbox_other_seed_different_mail(
    tmp_path: Path, demo_root: Path
) -> None:
    other = tmp_path / "other"
    generate_mailbox(other, seed=8, now=NOW, count=200)
    other_bytes = set(_read_tree(other).values())
    assert not other_bytes & set(_read_tree(demo_root).values())


def test_generate_mailbox_later_time_same_message_ids(tmp_path: Path) -> None:
    first = generate_mailbox(tmp_path / "a", seed=3, now=NOW, count=500)
    later = generate_mailbox(
        tmp_path / "b", seed=3, now=NOW + timedelta(days=1), count=500
    )
    ids_first = _message_ids(first.mailbox)
    ids_later = _message_ids(later.mailbox)
    assert len(ids_first & ids_later) >= 0.95 * len(ids_first)


def _message_ids(maildir: Path) -> set[str]:
    return {_parse(p.read_bytes())["Message-ID"] for p in maildir.glob("*/*")}


def test_generate_mailbox_default_count_writes_that_many(
    messages: dict[Path, EmailMessage],
) -> None:
    assert len(messages) == DEFAULT_COUNT


def test_generate_mailbox_message_ids_unique(
    messages: dict[Path, EmailMessage],
) -> None:
    ids = [m["Message-ID"] for m in messages.values()]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("kind", KINDS)
def test_generate_mailbox_kind_present(
    expected_kinds: list[dict[str, str]], kind: str
) -> None:
    counts = Counter(row["kind"] for row in expected_kinds)
    assert counts[kind] > 0, counts


def test_generate_mailbox_job_mail_share_third(
    expected_kinds: list[dict[str, str]],
) -> None:
    job_kinds = {
        "application_receipt",
        "interview",
        "assessment",
        "offer",
        "rejection",
        "recruiter_outreach",
        "scheduling",
    }
    job = sum(row["kind"] in job_kinds for row in expected_kinds)
    assert job >= len(expected_kinds) / 3


def test_generate_mailbox_every_message_parses_without_defects(
    messages: dict[Path, EmailMessage],
) -> None:
    broken = []
    for path, message in messages.items():
        for part in message.walk():
            if part.defects:
                broken.append((path.name, part.defects))
            if not part.is_multipart():
                part.get_content()
    assert broken == []


def test_generate_mailbox_replies_point_to_earlier_messages(
    messages: dict[Path, EmailMessage],
) -> None:
    by_id = {m["Message-ID"]: m for m in messages.values()}
    replies = [m for m in messages.values() if m["In-Reply-To"]]
    assert len(replies) > 100
    for reply in replies:
        parent = by_id.get(reply["In-Reply-To"])
        assert parent is not None, reply["Message-ID"]
        assert _date(parent) <= _date(reply), reply["Message-ID"]


def test_generate_mailbox_references_end_with_parent(
    messages: dict[Path, EmailMessage],
) -> None:
    for message in messages.values():
        if message["In-Reply-To"]:
            assert message["References"].split()[-1] == message["In-Reply-To"]


def _date(message: EmailMessage) -> datetime:
    return parsedate_to_datetime(message["Date"])


def test_generate_mailbox_dates_within_the_year_before_now(
    messages: dict[Path, EmailMessage],
) -> None:
    dates = [_date(m) for m in messages.values()]
    assert min(dates) >= NOW - timedelta(days=366)
    assert max(dates) <= NOW


def test_generate_mailbox_dates_spread_over_the_year(
    messages: dict[Path, EmailMessage],
) -> None:
    months = {(NOW - _date(m)).days // 30 for m in messages.values()}
    assert months >= set(range(12))


def test_generate_mailbox_some_interviews_still_ahead(
    messages: dict[Path, EmailMessage],
) -> None:
    starts = []
    for message in messages.values():
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_content()
                text = text.decode() if isinstance(text, bytes) else text
                stamp = text.split("DTSTART:")[1][:16]
                starts.append(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    upcoming = [s for s in starts if s.replace(tzinfo=UTC) > NOW]
    assert len(upcoming) >= 3


def test_generate_mailbox_interview_mail_in_last_30_days(
    expected_kinds: list[dict[str, str]], messages: dict[Path, EmailMessage]
) -> None:
    interview_ids = {
        r["message_id"] for r in expected_kinds if r["kind"] == "interview"
    }
    recent = [
        m
        for m in messages.values()
        if m["Message-ID"] in interview_ids and NOW - _date(m) < timedelta(days=30)
    ]
    assert recent


def test_generate_mailbox_spoken_interview_times_present(
    messages: dict[Path, EmailMessage],
) -> None:
    bodies = [_text(m) for m in messages.values() if "interview" in m["Subject"]]
    assert any(" at " in b and (" PM PT" in b or " AM PT" in b) for b in bodies)


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain", "html"))
    return part.get_content() if part else ""


@pytest.mark.parametrize(
    ("form", "check"),
    [
        pytest.param(
            "one-click", lambda v, post: "https://" in v and post, id="rfc8058"
        ),
        pytest.param(
            "mailto",
            lambda v, post: v.startswith("<mailto:") and "," not in v,
            id="mailto-only",
        ),
        pytest.param(
            "https",
            lambda v, post: v.startswith("<https:") and not post,
            id="https-only",
        ),
    ],
)
def test_generate_mailbox_unsubscribe_form_present(
    messages: dict[Path, EmailMessage],
    form: str,
    check: Callable[[str, bool], bool],
) -> None:
    found = [
        m
        for m in messages.values()
        if m["List-Unsubscribe"]
        and check(str(m["List-Unsubscribe"]), m["List-Unsubscribe-Post"] is not None)
    ]
    assert found, form


def test_generate_mailbox_bank_newsletter_has_unsubscribe(
    messages: dict[Path, EmailMessage],
) -> None:
    bank_lists = [
        m
        for m in messages.values()
        if "firstharborbank.example" in m["From"] and m["List-Unsubscribe"]
    ]
    assert bank_lists


def test_generate_mailbox_lookalike_phishing_present(
    messages: dict[Path, EmailMessage],
) -> None:
    senders = {str(m["From"]) for m in messages.values()}
    assert any("paypa1-security.com" in s for s in senders)


def test_generate_mailbox_reply_to_mismatch_present(
    messages: dict[Path, EmailMessage],
) -> None:
    mismatched = [
        m
        for m in messages.values()
        if m["Reply-To"]
        and m["Reply-To"].addresses[0].domain != m["From"].addresses[0].domain
    ]
    assert mismatched


def test_generate_mailbox_hostile_subject_present(
    messages: dict[Path, EmailMessage],
) -> None:
    subjects = [str(m["Subject"]) for m in messages.values()]
    assert "<img src=x onerror=alert(1)>" in subjects


def test_generate_mailbox_encoded_word_subject_decodes_accents(
    demo_root: Path, messages: dict[Path, EmailMessage]
) -> None:
    encoded = [
        (path, m) for path, m in messages.items() if b"Subject: =?" in path.read_bytes()
    ]
    assert any(not str(m["Subject"]).isascii() for _, m in encoded)


@pytest.mark.parametrize(
    "charset", ["utf-8", "iso-8859-1", "windows-1252", "iso-8859-15"]
)
def test_generate_mailbox_charset_used(
    messages: dict[Path, EmailMessage], charset: str
) -> None:
    charsets = {
        part.get_content_charset() for m in messages.values() for part in m.walk()
    }
    assert charset in charsets


@pytest.mark.parametrize(
    "structure",
    ["multipart/alternative", "multipart/mixed", "text/html", "text/plain"],
)
def test_generate_mailbox_mime_structure_used(
    messages: dict[Path, EmailMessage], structure: str
) -> None:
    assert any(m.get_content_type() == structure for m in messages.values())


def test_generate_mailbox_pdf_attachment_present(
    messages: dict[Path, EmailMessage],
) -> None:
    names = [a.get_filename() for m in messages.values() for a in m.iter_attachments()]
    assert any(name and name.endswith(".pdf") for name in names)


def test_generate_mailbox_replied_messages_flagged_r(
    messages: dict[Path, EmailMessage],
) -> None:
    answered = {
        m["In-Reply-To"]
        for m in messages.values()
        if OWNER_ADDRESS in str(m["From"]) and m["In-Reply-To"]
    }
    assert answered
    for path, message in messages.items():
        if message["Message-ID"] in answered:
            assert path.name.endswith((":2,RS", ":2,FRS")), path.name


def test_generate_mailbox_new_folder_has_no_info_suffix(demo_root: Path) -> None:
    names = [p.name for p in (demo_root / "maildir" / "new").iterdir()]
    assert names
    assert not [n for n in names if ":2," in n]


def test_generate_mailbox_cur_names_carry_flags(demo_root: Path) -> None:
    names = [p.name for p in (demo_root / "maildir" / "cur").iterdir()]
    assert all(":2," in name for name in names)
    assert any(name.endswith(":2,S") for name in names)


def test_generate_mailbox_awaiting_reply_from_other_side(
    expected_kinds: list[dict[str, str]], messages: dict[Path, EmailMessage]
) -> None:
    awaiting = {r["message_id"] for r in expected_kinds if r["awaiting_reply"] == "1"}
    assert awaiting
    for message in messages.values():
        if message["Message-ID"] in awaiting:
            assert OWNER_ADDRESS not in str(message["From"])


def test_generate_mailbox_mbox_format_holds_every_message(tmp_path: Path) -> None:
    report = generate_mailbox(
        tmp_path, seed=5, now=NOW, count=300, mailbox_format="mbox"
    )
    box = mailbox.mbox(report.mailbox)
    try:
        assert len(box) == 300
    finally:
        box.close()


def test_generate_mailbox_rerun_replaces_previous_mailbox(tmp_path: Path) -> None:
    generate_mailbox(tmp_path, seed=5, now=NOW, count=300)
    generate_mailbox(tmp_path, seed=5, now=NOW, count=120)
    assert len(list((tmp_path / "maildir").glob("*/*"))) == 120


def test_generate_mailbox_foreign_folder_rejected(tmp_path: Path) -> None:
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    with pytest.raises(DemoOutputError, match="not empty"):
        generate_mailbox(tmp_path, seed=5, now=NOW, count=10)
    assert keep.read_text() == "mine"


def test_generate_mailbox_zero_count_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="count"):
        generate_mailbox(tmp_path, count=0)


def test_generate_mailbox_five_thousand_within_bound(tmp_path: Path) -> None:
    # A generous bound for a noisy machine: it takes well under 2 s here.
    report = generate_mailbox(tmp_path, seed=9, now=NOW, count=5000)
    assert report.seconds < 30


def test_generate_mailbox_report_counts_raw_bytes(tmp_path: Path) -> None:
    report = generate_mailbox(tmp_path, seed=9, now=NOW, count=200)
    written = sum(p.stat().st_size for p in (tmp_path / "maildir").glob("*/*"))
    assert report.raw_bytes == written


def test_manifest_round_trip_returns_addresses(tmp_path: Path) -> None:
    manifest = DemoManifest(
        owner="local",
        name="Alex Rivera",
        addresses=["Alex.Rivera@example.com"],
        mailbox="/m",
        seed=1,
        count=3,
        generated_at="2026-03-02T00:00:00",
    )
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest
    assert demo_owner_addresses(tmp_path, "local") == ["alex.rivera@example.com"]


def test_manifest_other_owner_gets_no_addresses(tmp_path: Path) -> None:
    manifest = DemoManifest(
        owner="local",
        name="A",
        addresses=["a@example.com"],
        mailbox="/m",
        seed=1,
        count=1,
        generated_at="x",
    )
    write_manifest(tmp_path, manifest)
    assert demo_owner_addresses(tmp_path, "someone-else") == []


def test_manifest_unreadable_treated_as_missing(tmp_path: Path) -> None:
    (tmp_path / "demo.json").write_text("{not json")
    assert read_manifest(tmp_path) is None


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        pytest.param(0, "Tuesday, March 3 at 2:00 PM PT", id="long"),
        pytest.param(1, "Tue, Mar 3, 2:00pm PT", id="short"),
        pytest.param(2, "Tuesday 3 March at 14:00 PT", id="24-hour"),
    ],
)
def test_spoken_time_style_formats(style: int, expected: str) -> None:
    moment = datetime(2026, 3, 3, 22, 0, tzinfo=UTC)
    assert spoken_time(moment, "America/Los_Angeles", style) == expected


def test_mbox_writer_escapes_from_lines(tmp_path: Path) -> None:
    writer = MboxWriter(tmp_path / "box.mbox")
    raw = b"Subject: x\n\nHello\nFrom here\n>From there\n"
    writer.write(raw, NOW, "a@example.com", "S", is_new=False)
    writer.close()
    lines = (tmp_path / "box.mbox").read_bytes().splitlines()
    assert lines[0].startswith(b"From a@example.com Mon Mar  2 15:30:00 2026")
    assert b">From here" in lines
    assert b">>From there" in lines


def test_generate_mailbox_other_process_identical_bytes(tmp_path: Path) -> None:
    # Another interpreter with another hash seed must write the same bytes, so
    # nothing may depend on set or dict order of strings.
    script = (
        "import sys; from pathlib import Path; from datetime import datetime, UTC\n"
        "from applylens.demo import generate_mailbox\n"
        "generate_mailbox(Path(sys.argv[1]), seed=4, count=300,\n"
        "                 now=datetime(2026, 1, 1, tzinfo=UTC))\n"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / hash_seed)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    first = _read_tree(tmp_path / "1")
    assert len(first) == 302
    assert first == _read_tree(tmp_path / "2")
