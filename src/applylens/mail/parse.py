"""Turn the raw bytes of one email into a `Message`.

The parser is the standard library's `email` package with the compat32
policy. On the public test corpora it parses about seven times faster than
`policy.default`, and it keeps headers as plain strings, whereas the header
classes of `policy.default` raised AttributeError on a group address in one
real message. Every decoding step below falls back to something readable and
records what went wrong in `Message.parse_defects` instead of raising.
"""

from __future__ import annotations

import binascii
import calendar
import codecs
import csv
import hashlib
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_tz

import lxml.html
from lxml import etree

from applylens.errors import MessageParseError
from applylens.mail.model import Attachment, DateSource, Message, Unsubscribe

logger = logging.getLogger(__name__)

MAX_DEPTH = 20
"""Levels of multipart or message/rfc822 nesting read before giving up."""
MAX_PARTS = 500
"""MIME parts visited per message; crafted mail can hold thousands."""
MAX_HEADER_CHARS = 16_384
"""Characters of one header value read before decoding."""
MAX_SUBJECT_CHARS = 1_000
MAX_NAME_CHARS = 200
MAX_ADDRESSES = 500
MAX_REFERENCES = 100
MAX_TEXT_CHARS = 1_000_000
MAX_HTML_CHARS = 512_000
MAX_DEFECTS = 50
MAX_FUTURE_SKEW = timedelta(days=2)
"""A Date further in the future than this is treated as garbage."""
MIN_YEAR = 1980
"""A Date before this year is treated as garbage. Such dates come from clocks
that were never set: the Unix epoch, 1970-01-01 (1969-12-31 west of UTC), is
the common one, so a bound of 1970 would still let it through."""
MAX_ZONE_OFFSET = timedelta(hours=14)
"""A zone further from UTC is treated as garbage. Zones in use run from -12:00
to +14:00 (Pacific/Kiritimati in the IANA tz database), and spam forges zones
such as -1900."""

# Labels seen in real mail that Python's codec registry does not recognise,
# or maps to a narrower codec than the one senders actually used.
CHARSET_ALIASES = {
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "unicode-1-1-utf-7": "utf-7",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "windows-1252": "cp1252",
    "x-user-defined": "cp1252",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
}
# Labels that carry no information about the bytes, which are decoded as
# UTF-8 or else Windows-1252.
UNKNOWN_CHARSETS = frozenset(
    {"x-unknown", "unknown", "unknown-8bit", "x-unknown-8bit", "default", "8bit"}
)

# Header fields of which at least one must be present for bytes to count as mail.
MAIL_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "received",
        "return-path",
        "delivered-to",
        "sender",
        "reply-to",
        "mime-version",
        "content-type",
        "in-reply-to",
        "references",
        "x-gm-thrid",
        "x-gmail-labels",
    }
)

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_UTF8_SEQUENCE_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_ANGLE_RE = re.compile(r"<([^<>]*)>")
_WHITESPACE_RE = re.compile(r"\s+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n(\s*\n)+")
_SUBJECT_PREFIX_RE = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|tr)\s*(\[\d+\])?\s*:\s*)+", re.I
)
_ADDRESS_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")

_CONTROL_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE_TAGS = ("script", "style", "head", "noscript", "template")
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt footer h1 h2 h3 h4 h5 h6 "
    "header hr li ol p pre section table td th title tr ul".split()
)
# One address, bare or as `Name <addr>`, with no comma or quote that would need
# the full RFC 5322 parser.
_SIMPLE_ADDRESS_RE = re.compile(r"^\s*([^\s<>,\"]+@[^\s<>,\"]+)\s*$")
_SIMPLE_NAMED_ADDRESS_RE = re.compile(
    r"^\s*(\"[^<>,\"\\]*\"|[^<>,\"()]*?)\s*<([^\s<>,\"()]+@[^\s<>,\"()]+)>\s*$"
)

_OBFUSCATED_ADDRESS_RE = re.compile(
    r"^\s*([^\s@<>()]+) at ([^\s@<>()]+\.[^\s@<>()]+)\s*(?:\((.*)\))?\s*$"
)

_PARSER = BytesParser(policy=policy.compat32)


def parse_message(
    raw: bytes,
    *,
    owner: str,
    source: str,
    file_mtime: datetime | None,
    now: datetime,
    maildir_flags: str = "",
) -> Message:
    """Parse one raw message; raise MessageParseError only if nothing is usable.

    A leading mbox envelope line (``From addr date``) is removed before the
    bytes are hashed or parsed, and its date serves as a fallback received date.
    """
    envelope, body = split_envelope(raw)
    if not body.strip():
        raise MessageParseError(f"{source}: the message is empty")

    parsed = _parse_bytes(body, source)
    if not _has_mail_headers(parsed):
        # Obsolete syntax (RFC 5322 section 4.5) allows spaces before the colon,
        # which compat32 does not accept as a header line.
        parsed = _parse_bytes(_repair_obsolete_headers(body), source)
    if not _has_mail_headers(parsed):
        raise MessageParseError(f"{source}: no mail header fields found")

    reader = _Reader(parsed)
    message = reader.build(
        owner=owner,
        source=source,
        key_bytes=body,
        envelope=envelope,
        file_mtime=file_mtime,
        now=now,
    )
    message.maildir_flags = maildir_flags
    message.raw_size = len(raw)
    return message


def _parse_bytes(data: bytes, source: str) -> EmailMessage:
    try:
        return _PARSER.parsebytes(data)
    except Exception as exc:  # compat32 is documented never to raise
        raise MessageParseError(f"{source}: the email parser failed: {exc}") from exc


def _has_mail_headers(parsed: EmailMessage) -> bool:
    return any(name.lower() in MAIL_HEADERS for name in parsed.keys())


_OBSOLETE_NAME_RE = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.M)


def _repair_obsolete_headers(data: bytes) -> bytes:
    end = data.find(b"\n\n")
    if end < 0:
        end = data.find(b"\r\n\r\n")
    if end < 0:
        end = len(data)
    return _OBSOLETE_NAME_RE.sub(rb"\1:", data[:end]) + data[end:]


def split_envelope(raw: bytes) -> tuple[bytes | None, bytes]:
    """Split off an mbox ``From `` envelope line, returning (line, rest)."""
    if not raw.startswith(b"From "):
        return None, raw
    end = raw.find(b"\n")
    if end < 0:
        return raw, b""
    return raw[:end].rstrip(b"\r"), raw[end + 1 :]


class _Reader:
    """Reads the fields of one parsed message, collecting defects as it goes."""

    def __init__(self, parsed: EmailMessage) -> None:
        self.parsed = parsed
        self.defects: list[str] = []
        self.headers = self._read_headers()
        self.header_charset = self._body_charset()

    def _body_charset(self) -> str:
        """Return the codec of the first declared body charset, or cp1252.

        Mail programs that put raw 8-bit text in headers nearly always use
        the charset they declare for the body.
        """
        for index, part in enumerate(self.parsed.walk()):
            if index >= 10:
                break
            try:
                charset = part.get_content_charset()
            except Exception:
                continue
            if not charset:
                continue
            codec = CHARSET_ALIASES.get(charset.lower(), charset.lower())
            try:
                codecs.lookup(codec)
            except LookupError:
                continue
            return codec
        return "cp1252"

    def _read_headers(self) -> dict[str, list[str]]:
        # raw_items() skips compat32's header_fetch_parse, which would replace
        # undeclared 8-bit bytes with U+FFFD before they could be decoded.
        headers: dict[str, list[str]] = {}
        try:
            items = list(self.parsed.raw_items())
        except Exception as exc:
            self.defect(f"unreadable header block: {type(exc).__name__}")
            return headers
        for name, value in items:
            if not isinstance(name, str):
                continue
            headers.setdefault(name.strip().lower(), []).append(_header_text(value))
        return headers

    def defect(self, text: str) -> None:
        if len(self.defects) < MAX_DEFECTS:
            self.defects.append(text)

    def build(
        self,
        *,
        owner: str,
        source: str,
        key_bytes: bytes,
        envelope: bytes | None,
        file_mtime: datetime | None,
        now: datetime,
    ) -> Message:
        message_id = normalise_message_id(self.header("Message-ID"))
        key = message_id or "sha256:" + hashlib.sha256(key_bytes).hexdigest()
        sender_name, sender = self.sender()
        date, date_source = self.date(envelope, file_mtime, now)
        subject = self.subject()
        body = _Body(self)
        body.collect(self.parsed)
        text = body.text()

        message = Message(
            owner=owner,
            key=key,
            message_id=message_id,
            subject=subject,
            sender=sender,
            sender_name=sender_name,
            sender_domain=sender.rpartition("@")[2] if "@" in sender else "",
            date=date,
            date_source=date_source,
            in_reply_to=self.in_reply_to(),
            references=self.references(),
            reply_to=self.first_address("Reply-To"),
            to=self.addresses("To"),
            cc=self.addresses("Cc"),
            text=text,
            html=body.html,
            attachments=body.attachments,
            unsubscribe=self.unsubscribe(),
            gmail_labels=self.gmail_labels(),
            gmail_thread_id=self.header("X-GM-THRID").strip() or None,
            list_id=self.header("List-Id").strip()[:MAX_NAME_CHARS],
            precedence=self.header("Precedence").strip()[:MAX_NAME_CHARS],
            content_hash=content_hash(subject, text),
            source=source,
        )
        self.collect_parser_defects()
        message.parse_defects = self.defects
        return message

    # Headers

    def header(self, name: str) -> str:
        """Return the first value of header `name` as text, or ''."""
        values = self.headers.get(name.lower())
        return values[0] if values else ""

    def all_headers(self, name: str) -> list[str]:
        return self.headers.get(name.lower(), [])

    def decoded(self, name: str) -> str:
        """Return header `name` with RFC 2047 words decoded and lines unfolded."""
        return self.decode_words(self.header(name))

    def decode_words(self, value: str) -> str:
        text = decode_words(value, self.defect, self.header_charset)
        return " ".join(text.split())

    def subject(self) -> str:
        return self.decoded("Subject")[:MAX_SUBJECT_CHARS]

    def sender(self) -> tuple[str, str]:
        for name in ("From", "Sender", "Return-Path"):
            pairs = self.address_pairs(name)
            for display, address in pairs:
                if address:
                    return display, address
        return "", ""

    def address_pairs(self, name: str) -> list[tuple[str, str]]:
        values = self.all_headers(name)
        if not values:
            return []
        pairs = _simple_addresses(values)
        if pairs is None:
            try:
                pairs = getaddresses(values)
            except Exception as exc:
                self.defect(f"unparsable {name} addresses: {type(exc).__name__}")
                found = _ADDRESS_RE.findall(" ".join(values))
                pairs = [("", address) for address in found]
        if not any("@" in address for _, address in pairs):
            pairs = _obfuscated_addresses(values) or pairs
        result = []
        for display, address in pairs[:MAX_ADDRESSES]:
            address = _unescape_header(address, self.header_charset)
            address = address.strip().strip("<>").lower()
            if "@" not in address:
                continue
            display = self.decode_words(display).strip("\"' ")[:MAX_NAME_CHARS]
            result.append((display, address))
        return result

    def addresses(self, name: str) -> list[str]:
        seen: dict[str, None] = {}
        for _display, address in self.address_pairs(name):
            seen.setdefault(address)
        return list(seen)

    def first_address(self, name: str) -> str | None:
        addresses = self.addresses(name)
        return addresses[0] if addresses else None

    def in_reply_to(self) -> str | None:
        ids = parse_message_ids(self.header("In-Reply-To"))
        return ids[-1] if ids else None

    def references(self) -> list[str]:
        ids = parse_message_ids(self.header("References"))
        if len(ids) > MAX_REFERENCES:
            ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
        return ids

    def unsubscribe(self) -> Unsubscribe | None:
        value = self.header("List-Unsubscribe")
        if not value:
            return None
        result = Unsubscribe()
        for target in _ANGLE_RE.findall(value) or value.split(","):
            target = _WHITESPACE_RE.sub("", target)
            lowered = target.lower()
            if lowered.startswith("mailto:") and result.mailto is None:
                result.mailto = target
            elif lowered.startswith(("https://", "http://")) and result.url is None:
                result.url = target
        if result.mailto is None and result.url is None:
            self.defect("List-Unsubscribe has no mailto or http(s) target")
            return None
        post = self.header("List-Unsubscribe-Post").replace(" ", "").lower()
        # RFC 8058 one-click needs both the POST body and an HTTPS target.
        result.one_click = "list-unsubscribe=one-click" in post and bool(
            result.url and result.url.lower().startswith("https://")
        )
        return result

    def gmail_labels(self) -> list[str]:
        value = self.decoded("X-Gmail-Labels")
        if not value:
            return []
        try:
            row = next(csv.reader([value], skipinitialspace=True))
        except (csv.Error, StopIteration):
            row = value.split(",")
        return [label.strip() for label in row if label.strip()]

    # Dates

    def date(
        self, envelope: bytes | None, file_mtime: datetime | None, now: datetime
    ) -> tuple[datetime, DateSource]:
        """Return the received date and which source it came from.

        The order is the Date header, the newest Received header (or the mbox
        envelope line, written by the same delivery), the file's modification
        time, and finally the import time.
        """
        date_header = self.header("Date")
        parsed = parse_date(date_header, now)
        if parsed is not None:
            return parsed, "date"
        if date_header:
            self.defect(f"invalid Date header {date_header[:80]!r}")

        for received in self.all_headers("Received")[:1]:
            parsed = parse_date(received.rpartition(";")[2], now)
            if parsed is not None:
                return parsed, "received"
        if envelope is not None:
            parsed = parse_envelope_date(envelope, now)
            if parsed is not None:
                return parsed, "received"

        if file_mtime is not None:
            return _as_utc(file_mtime), "file"
        return _as_utc(now), "import"

    def collect_parser_defects(self) -> None:
        for defect in getattr(self.parsed, "defects", []):
            self.defect(type(defect).__name__)


class _Body:
    """Walks the MIME tree once, keeping text, the first HTML part and attachments."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.plain: list[str] = []
        self.html_parts: list[str] = []
        self.attachments: list[Attachment] = []
        self.parts_seen = 0
        self.limits_reached: set[str] = set()

    @property
    def html(self) -> str | None:
        if not self.html_parts:
            return None
        return self.html_parts[0][:MAX_HTML_CHARS]

    def text(self) -> str:
        if self.plain:
            text = "\n\n".join(self.plain)
        elif self.html_parts:
            text = "\n\n".join(html_to_text(part) for part in self.html_parts)
        else:
            text = ""
        return _tidy_text(text)[:MAX_TEXT_CHARS]

    def collect(self, part: EmailMessage) -> None:
        for child in self.walk(part, 0):
            try:
                self.visit(child)
            except Exception as exc:
                self.reader.defect(f"unreadable MIME part: {type(exc).__name__}")

    def walk(self, part: EmailMessage, depth: int) -> Iterator[EmailMessage]:
        if depth > MAX_DEPTH:
            self.limit_reached(f"MIME nesting deeper than {MAX_DEPTH}; skipped")
            return
        if self.parts_seen >= MAX_PARTS:
            self.limit_reached(f"more than {MAX_PARTS} MIME parts; the rest is skipped")
            return
        self.parts_seen += 1
        payload = part.get_payload()
        if not (part.is_multipart() and isinstance(payload, list)):
            yield part
            return
        for child in payload:
            if isinstance(child, EmailMessage):
                yield from self.walk(child, depth + 1)
            if self.parts_seen >= MAX_PARTS:
                self.limit_reached(
                    f"more than {MAX_PARTS} MIME parts; the rest is skipped"
                )
                return

    def limit_reached(self, text: str) -> None:
        if text not in self.limits_reached:
            self.limits_reached.add(text)
            self.reader.defect(text)

    def visit(self, part: EmailMessage) -> None:
        content_type = _content_type(part)
        filename = self.filename(part)
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip()
        is_attachment = disposition.lower() == "attachment" or filename is not None
        if content_type in ("text/plain", "text/html") and not is_attachment:
            text = self.decode_text(part)
            if content_type == "text/plain":
                self.plain.append(text)
            else:
                self.html_parts.append(text)
            return
        if content_type.startswith("multipart/"):
            return
        self.attachments.append(
            Attachment(
                filename=filename or "",
                content_type=content_type,
                size=len(self.payload_bytes(part)),
            )
        )

    def filename(self, part: EmailMessage) -> str | None:
        try:
            name = part.get_filename()
        except Exception as exc:
            self.reader.defect(f"unreadable attachment name: {type(exc).__name__}")
            return None
        if not name:
            return None
        return self.reader.decode_words(_header_text(name))[:MAX_NAME_CHARS] or None

    def payload_bytes(self, part: EmailMessage) -> bytes:
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            self.reader.defect(f"undecodable payload: {type(exc).__name__}")
            return b""
        if isinstance(data, bytes):
            return data
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
        return b""

    def decode_text(self, part: EmailMessage) -> str:
        data = self.payload_bytes(part)
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        return decode_bytes(data, charset, self.reader.defect)


def decode_words(
    value: str, on_defect: Callable[[str], None], fallback: str = "cp1252"
) -> str:
    """Decode RFC 2047 encoded words and undeclared 8-bit bytes in a header.

    Whitespace between two adjacent encoded words is dropped, as RFC 2047
    section 6.2 requires. A word that cannot be decoded is kept as it is.
    Raw 8-bit bytes that are not UTF-8 are decoded in `fallback`.
    """
    if "=?" not in value:
        return _unescape_header(value, fallback)
    pieces: list[str] = []
    position = 0
    after_word = False
    for match in _ENCODED_WORD_RE.finditer(value):
        between = value[position : match.start()]
        if not (after_word and not between.strip()):
            pieces.append(_unescape_header(between, fallback))
        pieces.append(_decode_word(match, on_defect))
        position = match.end()
        after_word = True
    pieces.append(_unescape_header(value[position:], fallback))
    return "".join(pieces)


def _decode_word(match: re.Match[str], on_defect: Callable[[str], None]) -> str:
    charset, encoding, text = match.groups()
    # RFC 2231 section 5 allows a language suffix: =?utf-8*en?Q?...?=
    charset = charset.partition("*")[0]
    data = text.encode("ascii", "ignore")
    try:
        if encoding in "bB":
            data = binascii.a2b_base64(data + b"=" * (-len(data) % 4))
        else:
            data = binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        on_defect(f"invalid encoded word {match.group(0)[:60]!r}")
        return match.group(0)
    return decode_bytes(data, charset, on_defect)


def decode_bytes(
    data: bytes, charset: str | None, on_defect: Callable[[str], None]
) -> str:
    """Decode text in `charset`, mapping common misspelt labels.

    Without a usable label the bytes are tried as UTF-8 and then as
    Windows-1252, which is what undeclared 8-bit mail nearly always is. An
    unknown label is decoded as UTF-8 with replacement characters.
    """
    label = (charset or "").strip().strip("\"'").lower()
    if not label or label in UNKNOWN_CHARSETS:
        return _decode_guess(data)
    codec = CHARSET_ALIASES.get(label, label)
    if codec == "cp1252":
        return _decode_guess(data)
    try:
        codecs.lookup(codec)
    except LookupError:
        on_defect(f"unknown charset {charset!r}")
        return data.decode("utf-8", "replace")
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        on_defect(f"bytes invalid in charset {charset!r}")
        return data.decode(codec, "replace")
    except Exception as exc:  # a few codecs raise other errors on bad input
        on_defect(f"charset {charset!r} failed: {type(exc).__name__}")
        return data.decode("utf-8", "replace")


def _decode_guess(data: bytes, fallback: str = "cp1252") -> str:
    """Decode undeclared bytes as UTF-8 when most 8-bit bytes form UTF-8
    sequences, else in `fallback`."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    high_bytes = sum(1 for byte in data if byte >= 0x80)
    utf8_bytes = sum(len(found) for found in _UTF8_SEQUENCE_RE.findall(data))
    if utf8_bytes * 2 >= high_bytes:
        return data.decode("utf-8", "replace")
    try:
        return data.decode(fallback, "replace")
    except LookupError:
        return data.decode("cp1252", "replace")


def html_to_text(html: str) -> str:
    """Convert HTML to readable text, dropping scripts, styles and markup.

    lxml's HTML parser does the work because it is about ten times faster than
    BeautifulSoup's tree builder on the HTML of real mail. BeautifulSoup with
    the standard library parser is the fallback for documents lxml rejects.
    """
    html = _CONTROL_CHARS_RE.sub("", html[:MAX_HTML_CHARS])
    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return _html_to_text_fallback(html)
    etree.strip_elements(root, *_INVISIBLE_TAGS, etree.Comment, with_tail=False)
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    return str(root.text_content())


def _html_to_text_fallback(html: str) -> str:
    # Imported here: loading bs4 takes longer than parsing most messages, and
    # few documents need it.
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        # Short bodies that look like a URL or like XML make bs4 warn, but
        # they are still valid input here.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "html.parser")
    for element in soup(list(_INVISIBLE_TAGS)):
        element.decompose()
    return soup.get_text("\n")


def parse_date(value: str, now: datetime) -> datetime | None:
    """Parse an RFC 5322 date to aware UTC; None for garbage or absurd values.

    A date without a zone is taken as UTC. Garbage includes a day or time
    that does not exist, a year before MIN_YEAR, a zone with 60 or more
    minutes or further from UTC than MAX_ZONE_OFFSET, and a date more than
    MAX_FUTURE_SKEW after `now`.
    """
    value = value.strip()
    if not value:
        return None
    try:
        fields = parsedate_tz(value)
    except Exception:
        return None
    if fields is None:
        return _parse_iso_date(value, now)
    year = _written_year(value, fields[0])
    if year < MIN_YEAR or not _is_existing_time(year, *fields[1:6]):
        return None
    zone = _NUMERIC_ZONE_RE.search(value)
    if zone is not None and not _is_valid_zone(*divmod(int(zone.group(1)), 100)):
        return None
    try:
        offset = fields[9] or 0
        timestamp = calendar.timegm((year, *fields[1:6], 0, 1, -1)) - offset
        result = datetime.fromtimestamp(timestamp, tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
    if result.year < MIN_YEAR or result > _as_utc(now) + MAX_FUTURE_SKEW:
        return None
    return result


_MONTH_PATTERN = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# The year as written: after "day month" (RFC 5322, and dd-Mon-yy of RFC 850),
# or after "month day", an optional time and an optional zone name (asctime).
_YEAR_RE = re.compile(
    rf"\b\d{{1,2}}[\s-]+{_MONTH_PATTERN}[\s,-]+(\d+)(?![\d:.])"
    rf"|\b{_MONTH_PATTERN}\s+\d{{1,2}},?\s+"
    rf"(?:\d{{1,2}}:\d\d(?::\d\d)?\s+(?:[a-z]{{1,5}}\s+)?)?(\d+)(?![\d:.])",
    re.I,
)
# A numeric zone, as a token of its own or right after the time of day.
_NUMERIC_ZONE_RE = re.compile(r"(?:(?<=\s)|(?<=\d))[+-](\d{1,4})(?![\d:])")
_ISO_ZONE_RE = re.compile(r"[+-](\d\d):?(\d\d)$")


def _written_year(value: str, parsed_year: int) -> int:
    """Return the year of a date as RFC 5322 reads it.

    parsedate_tz reads every year below 100 as a two-digit year, so the
    four-digit year 0000 would become 2000. RFC 5322 takes a year of four or
    more digits as it is, adds 1900 to a three-digit year and reads two-digit
    years 00-49 as 2000-2049 and 50-99 as 1950-1999 (section 4.3).
    """
    match = _YEAR_RE.search(value)
    if match is None:
        return parsed_year
    token = match.group(1) or match.group(2)
    number = int(token)
    if parsed_year not in (number, number + 1900, number + 2000):
        # The pattern matched another number than the one parsedate_tz read.
        return parsed_year
    if len(token) >= 4:
        return number
    if len(token) == 3 or number >= 50:
        return number + 1900
    return number + 2000


def _is_existing_time(
    year: int, month: int, day: int, hour: int, minute: int, second: int
) -> bool:
    """Check that the day and time exist, because timegm rolls 31 Jun to 1 Jul."""
    if second > 60:  # 60 is a leap second
        return False
    try:
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return True


def _is_valid_zone(hours: int, minutes: int) -> bool:
    """Check the hours and minutes of a numeric zone such as ``-0530``."""
    # The last two digits of a zone are its minutes (RFC 2822 and RFC 5322,
    # section 3.3), so 60 or more cannot be a zone.
    if minutes >= 60:
        return False
    return timedelta(hours=hours, minutes=minutes) <= MAX_ZONE_OFFSET


def _parse_iso_date(value: str, now: datetime) -> datetime | None:
    """Parse the ISO 8601 dates some bulk mailers write in the Date header."""
    if not value[:4].isdigit():
        return None
    zone = _ISO_ZONE_RE.search(value)
    if zone is not None and not _is_valid_zone(int(zone[1]), int(zone[2])):
        return None
    try:
        result = _as_utc(datetime.fromisoformat(value.replace(" ", "T", 1)))
    except ValueError:
        return None
    if result.year < MIN_YEAR or result > _as_utc(now) + MAX_FUTURE_SKEW:
        return None
    return result


_ENVELOPE_DATE_RE = re.compile(
    rb"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*,? +(\w{3}) +(\d{1,2}) +"
    rb"(\d{1,2}:\d\d(?::\d\d)?)(?: +([+-]\d{4}|[A-Z]{2,5}))? +(\d{4})"
)


def parse_envelope_date(envelope: bytes, now: datetime) -> datetime | None:
    match = _ENVELOPE_DATE_RE.search(envelope)
    if match is None:
        return None
    weekday, month, day, clock, zone, year = (
        part.decode("ascii", "replace") if part else "" for part in match.groups()
    )
    return parse_date(f"{weekday}, {day} {month} {year} {clock} {zone}", now)


def normalise_message_id(value: str) -> str | None:
    """Return the Message-ID without angle brackets or whitespace, or None."""
    value = value.strip()
    if not value:
        return None
    match = _MSGID_RE.search(value)
    if match:
        return match.group(1)[: MAX_NAME_CHARS * 5]
    token = _WHITESPACE_RE.sub("", value).strip("<>")
    return token[: MAX_NAME_CHARS * 5] or None


def parse_message_ids(value: str) -> list[str]:
    """Extract Message-IDs from In-Reply-To or References, tolerating garbage."""
    if not value:
        return []
    ids = _MSGID_RE.findall(value)
    if not ids:
        ids = [token.strip("<>,;") for token in value.split()]
    # Every real Message-ID has an "@"; mail programs have written tokens
    # such as <yes> that would otherwise join unrelated threads.
    unique: dict[str, None] = {}
    for found in ids:
        if "@" in found:
            unique.setdefault(found)
    return list(unique)


def normalise_subject(subject: str) -> str:
    """Lowercase, collapse whitespace and drop reply or forward prefixes."""
    subject = _SUBJECT_PREFIX_RE.sub("", subject)
    return " ".join(subject.split()).lower()


def content_hash(subject: str, text: str) -> str:
    body = " ".join(text.split()).lower()
    payload = f"{normalise_subject(subject)}\n{body}"
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _simple_addresses(values: list[str]) -> list[tuple[str, str]] | None:
    """Parse the common address forms quickly; None for anything else.

    A list is split on commas only when it has no quotes or comments, where
    a comma could be part of a display name.
    """
    pairs = []
    for value in values:
        if '"' in value or "(" in value:
            pieces = [value]
        else:
            pieces = [piece for piece in value.split(",") if piece.strip()]
        for piece in pieces:
            match = _SIMPLE_ADDRESS_RE.match(piece) or _SIMPLE_NAMED_ADDRESS_RE.match(
                piece
            )
            if match is None:
                return None
            if match.re is _SIMPLE_ADDRESS_RE:
                pairs.append(("", match.group(1)))
            else:
                pairs.append((match.group(1).strip('"'), match.group(2)))
    return pairs


def _obfuscated_addresses(values: list[str]) -> list[tuple[str, str]]:
    """Read the ``user at example.org (Name)`` form of mailing-list archives."""
    pairs = []
    for value in values:
        match = _OBFUSCATED_ADDRESS_RE.match(value)
        if match:
            address = f"{match.group(1)}@{match.group(2)}"
            pairs.append(((match.group(3) or "").strip(), address))
    return pairs


def _content_type(part: EmailMessage) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _header_text(value: object) -> str:
    """Return a header value as str, capped at MAX_HEADER_CHARS."""
    if value is None:
        return ""
    if not isinstance(value, str):
        # email.header.Header objects appear for some non-ASCII headers.
        value = str(value)
    value = value[:MAX_HEADER_CHARS]
    if "\x00" in value:
        # NUL is never valid in a header (RFC 5322) and would end up inside
        # addresses and subjects shown to the person.
        value = value.replace("\x00", "")
    return value


def _unescape_header(value: str, fallback: str = "cp1252") -> str:
    """Decode raw 8-bit bytes that compat32 keeps as surrogate escapes."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return value
    try:
        return _decode_guess(value.encode("utf-8", "surrogateescape"), fallback)
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")


def _tidy_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
