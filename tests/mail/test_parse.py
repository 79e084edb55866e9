"""Parsing of real, often broken, messages from the public corpora."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from applylens.errors import MessageParseError
from applylens.mail.parse import (
    MAX_DEPTH,
    MAX_PARTS,
    MAX_SUBJECT_CHARS,
    html_to_text,
    parse_date,
    parse_message,
    parse_message_ids,
)
from applylens.mail.sources import RawMessage, iter_file

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
FLANKER = "mime-flanker/tests/fixtures/messages"
NOTMUCH = "notmuch-corpora/test/corpora"
SPAM = "spamassassin/spam-1"


def parse_file(corpora: Path, relative: str, **options: object):
    raw = (corpora / relative).read_bytes()
    arguments: dict[str, object] = {
        "owner": "me",
        "source": relative,
        "file_mtime": None,
        "now": NOW,
    }
    arguments.update(options)
    return parse_message(raw, **arguments)  # type: ignore[arg-type]


def parse_bytes(raw: bytes, **options: object):
    arguments: dict[str, object] = {
        "owner": "me",
        "source": "test",
        "file_mtime": None,
        "now": NOW,
    }
    arguments.update(options)
    return parse_message(raw, **arguments)  # type: ignore[arg-type]


# Malformed headers


def test_parse_group_address_in_cc_reads_sender(corpora: Path) -> None:
    # policy.default raises AttributeError ('Group' has no 'local_part') here.
    message = parse_file(corpora, f"{NOTMUCH}/lkml/cur/1382298770.002930:2,")
    assert message.sender == "dhowells-h+wxahxf7alqt0dzr+alfa@public.gmane.org"
    assert message.sender_name == "David Howells"
    assert message.key == "23204.1277472412@redhat.com"


def test_parse_raw_utf8_headers_decoded(corpora: Path) -> None:
    message = parse_file(corpora, f"{FLANKER}/mailformed-headers.eml")
    assert message.sender == "headers@gmail.com"
    assert message.sender_name.startswith("Юникод запрещен")
    assert message.date == datetime(2012, 7, 13, 12, 6, 49, tzinfo=UTC)


def test_parse_broken_boundary_records_defects(corpora: Path) -> None:
    message = parse_file(corpora, f"{FLANKER}/mailformed-headers.eml")
    assert "StartBoundaryNotFoundDefect" in message.parse_defects


def test_parse_obsolete_space_before_colon_reads_subject(corpora: Path) -> None:
    message = parse_file(
        corpora, "mime4j/core/src/test/resources/testmsgs/obsolete.msg"
    )
    assert message.subject.startswith("The obsolete syntax allow spaces")


def test_parse_duplicate_cc_headers_keeps_both(corpora: Path) -> None:
    message = parse_file(corpora, f"{NOTMUCH}/broken/broken-cc")
    assert len(message.cc) >= 2


@pytest.mark.parametrize(
    "relative",
    [
        pytest.param("mime-stalwart/resources/eml/malformed", id="stalwart-malformed"),
        pytest.param("mime4j/core/src/test/resources/testmsgs", id="mime4j"),
        pytest.param("mime-mailparser-spamscope/tests/mails", id="spamscope"),
        pytest.param(FLANKER, id="flanker"),
    ],
)
def test_parse_torture_folder_only_parse_errors(corpora: Path, relative: str) -> None:
    failures = []
    for path in sorted((corpora / relative).rglob("*")):
        if not path.is_file() or path.name in ("COPYING", "README.txt"):
            continue
        try:
            parse_message(
                path.read_bytes(),
                owner="me",
                source=str(path),
                file_mtime=None,
                now=NOW,
            )
        except MessageParseError:
            continue
        except Exception as exc:  # the test lists every crash
            failures.append(f"{path.name}: {type(exc).__name__}: {exc}")
    assert failures == []


# Charsets


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        pytest.param(
            f"{SPAM}/00035.7ce3307b56dd90453027a6630179282e.txt",
            "직종",
            id="ks_c_5601-1987",
        ),
        pytest.param(
            f"{NOTMUCH}/lkml/cur/1354585346.000539:2,", "silent compile", id="utf8"
        ),
        pytest.param(
            f"{SPAM}/00319.a99dff9c010e00ec182ed5701556d330.txt",
            "Foreword",
            id="unknown-8bit",
        ),
        pytest.param(
            f"{SPAM}/00217.43b4ef3d9c56cf42be9c37b546a19e78.txt", "", id="default"
        ),
    ],
)
def test_parse_odd_charset_label_decodes_body(
    corpora: Path, relative: str, expected: str
) -> None:
    message = parse_file(corpora, relative)
    assert expected in message.text
    assert message.text


def test_parse_undeclared_8bit_header_uses_body_charset(corpora: Path) -> None:
    message = parse_file(corpora, f"{SPAM}/00035.7ce3307b56dd90453027a6630179282e.txt")
    assert message.subject == "[광고] 요즘 뜨는 직종 Best 5 & 자격증 따기 열풍"


def test_parse_unknown_charset_falls_back_to_utf8() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\n"
        b"Content-Type: text/plain; charset=x-nonsense\n"
        b"\ncaf\xc3\xa9 \xff\n"
    )
    message = parse_bytes(raw)
    assert message.text == "café \ufffd"
    assert "unknown charset 'x-nonsense'" in message.parse_defects


def test_parse_iso_8859_8_i_label_decodes_hebrew() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\n"
        b"Content-Type: text/plain; charset=iso-8859-8-i\n\n\xf9\xec\xe5\xed\n"
    )
    assert parse_bytes(raw).text == "שלום"


def test_parse_perceval_unknown_encoding_mbox(corpora: Path) -> None:
    message = parse_file(
        corpora, "perceval-mbox/tests/data/mbox/mbox_unknown_encoding.mbox"
    )
    assert message.text
    assert message.sender == "yuancong@example.com" or message.sender


# Encoded words


def test_parse_rfc2047_display_name_with_comma(corpora: Path) -> None:
    message = parse_file(corpora, f"{FLANKER}/encoded-header.eml")
    assert message.sender_name == "Foo, Bar"
    assert message.sender == "foo.bar@example.com"


def test_parse_rfc2231_attachment_name(corpora: Path) -> None:
    relative = (
        "mime4j/core/src/test/resources/mimetools-testmsgs/"
        "attachment-filename-encoding-UTF8.msg"
    )
    message = parse_file(corpora, relative)
    assert [a.filename for a in message.attachments] == ["attachment.äöü"]


def test_parse_adjacent_encoded_words_join_without_space() -> None:
    raw = b"From: a@example.com\nSubject: =?utf-8?q?caf?= =?utf-8?b?w6k=?= ok\n\nx\n"
    assert parse_bytes(raw).subject == "café ok"


# Bodies


def test_parse_html_only_body_becomes_text(corpora: Path) -> None:
    message = parse_file(corpora, f"{SPAM}/00035.7ce3307b56dd90453027a6630179282e.txt")
    assert "<" not in message.text[:200]
    assert message.html is not None
    assert message.html.lstrip().lower().startswith("<html")


def test_html_to_text_drops_script_and_style() -> None:
    text = html_to_text(
        "<html><head><style>p{color:red}</style></head><body><p>Hello</p>"
        "<script>alert(1)</script><p>World</p></body></html>"
    )
    assert text.split() == ["Hello", "World"]


def test_html_to_text_lxml_rejects_fallback() -> None:
    # lxml rejects a document that contains only a comment or a declaration,
    # so these go through the fallback parser.
    assert html_to_text("<!-- only a comment -->").strip() == ""
    assert html_to_text('<?xml version="1.0"?>').strip() == ""
    assert html_to_text("<!-- x --><p>after</p>").split() == ["after"]


def test_parse_quoted_printable_decoded(corpora: Path) -> None:
    message = parse_file(corpora, f"{FLANKER}/quoted-printable.eml")
    assert "=\n" not in message.text
    assert "=3D" not in message.text


def test_parse_base64_text_decoded() -> None:
    raw = (
        b"From: a@example.com\nSubject: b64\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n\nSGVsbG8sIHfDtnJsZA==\n"
    )
    assert parse_bytes(raw).text == "Hello, wörld"


def test_parse_attachment_kept_as_name_and_size(corpora: Path) -> None:
    message = parse_file(corpora, f"{FLANKER}/attached-pdf.eml")
    pdfs = [a for a in message.attachments if a.content_type == "application/pdf"]
    assert len(pdfs) == 1
    assert pdfs[0].size > 0
    assert pdfs[0].filename


# Bounds


def test_parse_endless_enclosure_is_bounded(corpora: Path) -> None:
    message = parse_file(corpora, f"{FLANKER}/enclosed-endless.eml")
    assert (
        f"more than {MAX_PARTS} MIME parts; the rest is skipped"
        in message.parse_defects
    )


def test_parse_deep_nesting_is_bounded() -> None:
    depth = MAX_DEPTH + 10
    raw = b"From: a@example.com\nSubject: deep\n"
    for level in range(depth):
        boundary = f"b{level}"
        raw += f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'.encode()
        raw += f"--{boundary}\n".encode()
    raw += b"Content-Type: text/plain\n\ninnermost\n"
    message = parse_bytes(raw)
    assert f"MIME nesting deeper than {MAX_DEPTH}; skipped" in message.parse_defects
    assert "innermost" not in message.text


def test_parse_huge_subject_is_capped(corpora: Path) -> None:
    message = parse_file(corpora, f"{FLANKER}/long-header.eml")
    assert message.subject.startswith("Die heiße Zypernsonne")
    assert len(message.subject) <= MAX_SUBJECT_CHARS
    assert message.raw_size == 209875


# Dates


def test_parse_date_with_zone_becomes_utc(corpora: Path) -> None:
    message = parse_file(corpora, f"{FLANKER}/mailformed-headers.eml")
    assert message.date.utcoffset() == timedelta(0)
    assert message.date_source == "date"


def test_parse_zoneless_date_taken_as_utc(corpora: Path) -> None:
    message = parse_file(corpora, f"{SPAM}/00217.43b4ef3d9c56cf42be9c37b546a19e78.txt")
    assert message.date == datetime(2002, 9, 3, 23, 43, 57, tzinfo=UTC)
    assert message.date_source == "date"


def test_parse_garbage_date_without_received_uses_file_time(corpora: Path) -> None:
    mtime = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    relative = "mime4j/core/src/test/resources/testmsgs/obsolete.msg"
    message = parse_file(corpora, relative, file_mtime=mtime)
    assert message.date == mtime
    assert message.date_source == "file"


def test_parse_missing_date_uses_newest_received(corpora: Path) -> None:
    raw = (
        b"Received: from b by c; Tue, 3 Sep 2002 10:00:00 +0200\n"
        b"Received: from a by b; Mon, 2 Sep 2002 10:00:00 +0200\n"
        b"From: a@example.com\nSubject: no date\n\nbody\n"
    )
    message = parse_bytes(raw)
    assert message.date == datetime(2002, 9, 3, 8, 0, tzinfo=UTC)
    assert message.date_source == "received"


def test_parse_missing_date_uses_envelope_line(corpora: Path) -> None:
    mbox = corpora / "perceval-mbox/tests/data/mbox/mbox_no_fields.mbox"
    third = list(iter_file(mbox))[2]
    assert isinstance(third, RawMessage)
    assert b"\nDate:" not in third.raw
    message = parse_bytes(third.raw)
    assert message.date_source == "received"
    assert message.date == datetime(2010, 12, 1, 8, 26, 40, tzinfo=UTC)


def test_parse_pipermail_obfuscated_sender(corpora: Path) -> None:
    message = parse_file(corpora, "perceval-mbox/tests/data/mbox/mbox_no_fields.mbox")
    assert message.sender == "goran@domain.com"
    assert message.sender_name == "Göran Lastname"


def test_parse_no_date_anywhere_uses_import_time() -> None:
    message = parse_bytes(b"From: a@example.com\nSubject: x\n\nbody\n")
    assert message.date == NOW
    assert message.date_source == "import"


def test_parse_date_far_future_is_rejected() -> None:
    assert parse_date("Mon, 1 Jan 2035 00:00:00 +0000", NOW) is None


def test_parse_date_iso_8601_accepted() -> None:
    parsed = parse_date("2002-10-05T03:05:36+01:00", NOW)
    assert parsed == datetime(2002, 10, 5, 2, 5, 36, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 3 Jun 0000 10:00:00 +0000",
        "Mon, 3 Jun 0099 10:00:00 +0000",
        "Mon Jun  3 10:00:00 0000",
        "Mon, 3 Jun 1969 10:00:00 +0000",
        "Thu, 1 Jan 1970 00:00:00 +0000",
    ],
)
def test_parse_date_year_before_minimum_rejected(value: str) -> None:
    assert parse_date(value, NOW) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 3 Jun 02 10:00:00 +0000", datetime(2002, 6, 3, 10, tzinfo=UTC)),
        ("Thu, 3 Jun 99 10:00:00 +0000", datetime(1999, 6, 3, 10, tzinfo=UTC)),
        ("Wed, 20 Dec 95 19:59 CST", datetime(1995, 12, 21, 1, 59, tzinfo=UTC)),
        ("Mon, 3 Jun 102 10:00:00 +0000", datetime(2002, 6, 3, 10, tzinfo=UTC)),
        ("Mon, 03-Jun-02 10:00:00 GMT", datetime(2002, 6, 3, 10, tzinfo=UTC)),
    ],
)
def test_parse_date_short_years_follow_rfc_5322(value: str, expected: datetime) -> None:
    assert parse_date(value, NOW) == expected


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 3 Jun 2002 10:00:00 +9999",
        "Mon, 3 Jun 2002 10:00:00 +0160",
        "Mon, 3 Jun 2002 10:00:00 -1600",
        "Mon, 3 Jun 2002 10:00:00 +1401",
        "Mon, 3 Jun 2002 10:00:00+9999",
        "2002-06-03T10:00:00+01:60",
        "2002-06-03T10:00:00+15:00",
    ],
)
def test_parse_date_impossible_zone_rejected(value: str) -> None:
    assert parse_date(value, NOW) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 3 Jun 2002 10:00:00 +1400", datetime(2002, 6, 2, 20, tzinfo=UTC)),
        ("Mon, 3 Jun 2002 10:00:00 -1200", datetime(2002, 6, 3, 22, tzinfo=UTC)),
        ("Mon, 3 Jun 2002 10:00:00 +0545", datetime(2002, 6, 3, 4, 15, tzinfo=UTC)),
        ("Mon, 21 Aug 95 13:30:57 -600", datetime(1995, 8, 21, 19, 30, 57, tzinfo=UTC)),
    ],
)
def test_parse_date_extreme_real_zones_accepted(value: str, expected: datetime) -> None:
    assert parse_date(value, NOW) == expected


@pytest.mark.parametrize(
    "value",
    ["Mon, 31 Jun 2002 10:00:00 +0000", "Mon, 3 Jun 2002 24:00:00 +0000"],
)
def test_parse_date_nonexistent_day_or_time_rejected(value: str) -> None:
    assert parse_date(value, NOW) is None


def test_parse_year_0000_falls_back_to_received() -> None:
    raw = (
        b"Received: from b by c; Tue, 4 Jun 2002 10:00:00 +0200\n"
        b"Date: Mon, 3 Jun 0000 10:00:00 +0000\n"
        b"From: a@example.com\nSubject: year zero\n\nbody\n"
    )
    message = parse_bytes(raw)
    assert message.date == datetime(2002, 6, 4, 8, 0, tzinfo=UTC)
    assert message.date_source == "received"
    assert "invalid Date header 'Mon, 3 Jun 0000 10:00:00 +0000'" in (
        message.parse_defects
    )


def test_parse_impossible_zone_falls_back_to_file_time() -> None:
    mtime = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    raw = (
        b"Date: Mon, 3 Jun 2002 10:00:00 +9999\n"
        b"From: a@example.com\nSubject: bad zone\n\nbody\n"
    )
    message = parse_bytes(raw, file_mtime=mtime)
    assert message.date == mtime
    assert message.date_source == "file"


def test_parse_impossible_zone_without_fallback_uses_import_time() -> None:
    raw = (
        b"Date: Mon, 3 Jun 2002 10:00:00 +0099\n"
        b"From: a@example.com\nSubject: bad zone\n\nbody\n"
    )
    message = parse_bytes(raw)
    assert message.date == NOW
    assert message.date_source == "import"


def test_parse_forged_spam_zone_uses_received(corpora: Path) -> None:
    # The Date header says -1600, 16 hours west of UTC, where no zone exists.
    message = parse_file(corpora, f"{SPAM}/00404.b4bbecbee92f735a845f589582e7695d.txt")
    assert message.date == datetime(2002, 9, 21, 9, 48, 55, tzinfo=UTC)
    assert message.date_source == "received"


# Identity and threading headers


def test_parse_missing_message_id_keys_by_hash(corpora: Path) -> None:
    relative = f"{FLANKER}/long-header.eml"
    raw = (corpora / relative).read_bytes()
    message = parse_file(corpora, relative)
    assert message.message_id is None
    assert message.key == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_parse_message_id_angle_brackets_stripped() -> None:
    raw = b"From: a@example.com\nMessage-ID:   <abc@example.com>  \n\nx\n"
    assert parse_bytes(raw).key == "abc@example.com"


def test_parse_message_ids_drop_garbage_tokens() -> None:
    ids = parse_message_ids("<yes> <a@b.example> garbage <a@b.example> <c@d>")
    assert ids == ["a@b.example", "c@d"]


def test_parse_references_without_brackets_tolerated() -> None:
    raw = b"From: a@example.com\nIn-Reply-To: x@example.com (Bob's message)\n\nx\n"
    assert parse_bytes(raw).in_reply_to == "x@example.com"


def test_parse_envelope_line_not_part_of_key(corpora: Path) -> None:
    raw = b"From: a@example.com\nSubject: x\n\nbody\n"
    with_envelope = b"From a@example.com  Wed Dec  1 08:26:40 2010\n" + raw
    assert parse_bytes(with_envelope).key == parse_bytes(raw).key


# List and Gmail headers


def test_parse_one_click_unsubscribe(corpora: Path) -> None:
    message = parse_file(corpora, "mime-mailparser-spamscope/tests/mails/mail_test_13")
    assert message.unsubscribe is not None
    assert message.unsubscribe.one_click is True
    assert message.unsubscribe.url is not None
    assert message.unsubscribe.url.startswith("https://cimanagementconference")
    assert message.unsubscribe.mailto is not None


def test_parse_mailto_unsubscribe_is_not_one_click(corpora: Path) -> None:
    message = parse_file(corpora, f"{NOTMUCH}/lkml/cur/1354585346.000539:2,")
    assert message.unsubscribe is not None
    assert message.unsubscribe.one_click is False
    assert message.unsubscribe.mailto == (
        "mailto:notmuch-request@notmuchmail.org?subject=unsubscribe"
    )


def test_parse_gmail_labels_and_thread() -> None:
    raw = (
        b"X-GM-THRID: 1717171717171717171\n"
        b'X-Gmail-Labels: Inbox,Important,"Category: Updates",Opened\n'
        b"From: Recruiter <jobs@example.com>\nSubject: hello\n\nx\n"
    )
    message = parse_bytes(raw)
    assert message.gmail_labels == ["Inbox", "Important", "Category: Updates", "Opened"]
    assert message.gmail_thread_id == "1717171717171717171"


# Fields


def test_parse_recipients_lowercased_and_deduplicated() -> None:
    raw = (
        b'From: "Doe, Jane" <Jane@Example.COM>\nTo: a@x.org, B@X.org, a@x.org\n'
        b"Cc: c@y.org\nReply-To: other@z.org\nSubject: hi\n\nx\n"
    )
    message = parse_bytes(raw)
    assert message.to == ["a@x.org", "b@x.org"]
    assert message.cc == ["c@y.org"]
    assert message.reply_to == "other@z.org"
    assert message.sender_domain == "example.com"
    assert message.sender_name == "Doe, Jane"


def test_parse_content_hash_ignores_reply_prefix() -> None:
    first = parse_bytes(b"From: a@x.org\nSubject: Offer\n\nHello  there\n")
    second = parse_bytes(b"From: b@x.org\nSubject: RE: offer\n\nhello there\n")
    assert first.content_hash == second.content_hash


# Nothing usable


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n\n", id="blank"),
        pytest.param(b"just some text\nwithout any header\n", id="no-headers"),
    ],
)
def test_parse_unusable_bytes_raise_parse_error(raw: bytes) -> None:
    with pytest.raises(MessageParseError):
        parse_bytes(raw)


def test_parse_outlook_msg_file_rejected(corpora: Path) -> None:
    with pytest.raises(MessageParseError, match="no mail header"):
        parse_file(corpora, "mime-mailparser-spamscope/tests/mails/mail_outlook_1")


def test_parse_list_headers_kept_for_bulk_detection() -> None:
    raw = (
        b"From: News <news@lists.example>\r\n"
        b"Subject: Weekly digest\r\n"
        b"List-Id: Weekly digest <digest.lists.example>\r\n"
        b"Precedence: bulk\r\n"
        b"\r\n"
        b"Hello\r\n"
    )

    message = parse_bytes(raw)

    assert message.list_id == "Weekly digest <digest.lists.example>"
    assert message.precedence == "bulk"


def test_parse_nul_bytes_removed_from_headers() -> None:
    raw = b"From: a@b\x00c.example\r\nSubject: Hel\x00lo\r\n\r\nbody\r\n"

    message = parse_bytes(raw)

    assert message.sender == "a@bc.example"
    assert message.subject == "Hello"
