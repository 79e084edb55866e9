"""Turn a `MailSpec` into the raw bytes of an RFC 5322 message.

The bytes are built by hand, not with `email.generator`, for two reasons:
the generator picks MIME boundaries from the global random state, which would
break byte-identical output for a seed, and it is several times slower, which
matters for a 100,000-message benchmark mailbox.
"""

from __future__ import annotations

import base64
import quopri
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr
from typing import Literal

TransferEncoding = Literal["7bit", "8bit", "quoted-printable", "base64"]
Address = tuple[str, str]


@dataclass(slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class MailSpec:
    """One message to write, with the kind the generator meant it to be.

    `kind` and `awaiting_reply` never appear in the bytes: they go to the
    expected-kinds file so that a classifier can be measured against them.
    """

    kind: str
    sender: Address
    to: list[Address]
    subject: str
    date: datetime
    message_id: str
    text: str | None = None
    html: str | None = None
    cc: list[Address] = field(default_factory=list)
    reply_to: Address | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    charset: str = "utf-8"
    encoding: TransferEncoding = "quoted-printable"
    flags: str = "S"
    received_from: str | None = None
    awaiting_reply: bool = False
    company: str | None = None
    role: str | None = None


def render_message(spec: MailSpec, boundary_seed: str) -> bytes:
    """Return the message as bytes with LF line endings.

    `boundary_seed` makes the MIME boundaries unique per message and fixed for
    a given seed.
    """
    head = _render_headers(spec)
    body_headers, body = _render_body(spec, boundary_seed)
    return head + body_headers + b"\n" + body


def _render_headers(spec: MailSpec) -> bytes:
    lines: list[str] = []
    if spec.received_from:
        lines.append(_received_line(spec))
    lines.append(f"Date: {format_datetime(spec.date)}")
    lines.append(f"From: {_format_address(spec.sender, spec.charset)}")
    lines.append(f"To: {_format_address_list(spec.to, spec.charset)}")
    if spec.cc:
        lines.append(f"Cc: {_format_address_list(spec.cc, spec.charset)}")
    if spec.reply_to:
        lines.append(f"Reply-To: {_format_address(spec.reply_to, spec.charset)}")
    lines.append(f"Subject: {encode_header_text(spec.subject, spec.charset)}")
    lines.append(f"Message-ID: {spec.message_id}")
    if spec.in_reply_to:
        lines.append(f"In-Reply-To: {spec.in_reply_to}")
    if spec.references:
        lines.append("References: " + "\n ".join(spec.references))
    lines.extend(f"{name}: {value}" for name, value in spec.headers)
    lines.append("MIME-Version: 1.0")
    return ("\n".join(lines) + "\n").encode("ascii")


def _received_line(spec: MailSpec) -> str:
    host = spec.received_from or "localhost"
    stamp = format_datetime(spec.date)
    return (
        f"Received: from {host} ({host} [203.0.113.{len(host) % 250 + 1}])\n"
        f"\tby mx.example.com with ESMTPS; {stamp}"
    )


def encode_header_text(text: str, charset: str) -> str:
    """Return `text` as a header value, RFC 2047 encoded when it is not ASCII."""
    if text.isascii():
        return text
    return Header(text, _header_charset(text, charset), maxlinelen=76).encode()


def _header_charset(text: str, charset: str) -> str:
    # A legacy body charset cannot hold every name, so a header falls back to
    # UTF-8 when its text does not fit.
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return "utf-8"
    return charset


def _format_address(address: Address, charset: str) -> str:
    name, addr = address
    if not name:
        return addr
    if name.isascii():
        return formataddr((name, addr))
    return formataddr((name, addr), charset=_header_charset(name, charset))


def _format_address_list(addresses: list[Address], charset: str) -> str:
    return ", ".join(_format_address(a, charset) for a in addresses)


def _render_body(spec: MailSpec, boundary_seed: str) -> tuple[bytes, bytes]:
    alternatives = _text_parts(spec)
    if not spec.attachments:
        if len(alternatives) == 1:
            return alternatives[0]
        return _multipart("alternative", alternatives, f"alt-{boundary_seed}")
    if len(alternatives) == 1:
        main = alternatives[0]
    else:
        main = _multipart("alternative", alternatives, f"alt-{boundary_seed}")
    parts = [main, *(_attachment_part(a) for a in spec.attachments)]
    return _multipart("mixed", parts, f"mix-{boundary_seed}")


def _text_parts(spec: MailSpec) -> list[tuple[bytes, bytes]]:
    parts = []
    if spec.text is not None:
        parts.append(_leaf("text/plain", spec.text, spec.charset, spec.encoding))
    if spec.html is not None:
        parts.append(_leaf("text/html", spec.html, spec.charset, spec.encoding))
    if not parts:
        raise ValueError(f"message {spec.message_id!r} has neither text nor html")
    return parts


def _leaf(
    content_type: str, text: str, charset: str, encoding: TransferEncoding
) -> tuple[bytes, bytes]:
    raw = text.encode(charset, errors="replace")
    if raw.isascii() and encoding in ("8bit", "quoted-printable"):
        encoding = "7bit"
    header = (
        f'Content-Type: {content_type}; charset="{charset}"\n'
        f"Content-Transfer-Encoding: {encoding}\n"
    ).encode("ascii")
    return header, _transfer_encode(raw, encoding)


def _transfer_encode(raw: bytes, encoding: TransferEncoding) -> bytes:
    if encoding == "base64":
        return base64.encodebytes(raw)
    if encoding == "quoted-printable":
        return quopri.encodestring(raw) + b"\n"
    return raw if raw.endswith(b"\n") else raw + b"\n"


def _attachment_part(attachment: Attachment) -> tuple[bytes, bytes]:
    name = attachment.filename
    if name.isascii():
        type_param, disposition_param = f'name="{name}"', f'filename="{name}"'
    else:
        # RFC 2231 parameter encoding, the standard form for non-ASCII names.
        quoted = urllib.parse.quote(name, safe="")
        type_param = f"name*=utf-8''{quoted}"
        disposition_param = f"filename*=utf-8''{quoted}"
    header = (
        f"Content-Type: {attachment.content_type}; {type_param}\n"
        f"Content-Disposition: attachment; {disposition_param}\n"
        "Content-Transfer-Encoding: base64\n"
    ).encode("ascii")
    return header, base64.encodebytes(attachment.data)


def _multipart(
    subtype: str, parts: list[tuple[bytes, bytes]], boundary: str
) -> tuple[bytes, bytes]:
    marker = f"=_{boundary}".encode("ascii")
    header = (f'Content-Type: multipart/{subtype}; boundary="=_{boundary}"\n').encode(
        "ascii"
    )
    chunks = [b"This is a multi-part message in MIME format.\n"]
    for part_header, part_body in parts:
        chunks.append(b"\n--" + marker + b"\n" + part_header + b"\n" + part_body)
    chunks.append(b"\n--" + marker + b"--\n")
    return header, b"".join(chunks)
