"""Turn the raw bytes of one e-mail into an `InboundMessage`; never raise.

The MIME tree comes from the stdlib parser with a compat32-based policy that hands back header
values untouched; `decoding` then decodes them (RFC 2047, RFC 2231, RFC 6532, raw 8-bit). The
`policy.default` header objects were measured at about a fifth of the speed on the shared
corpus and raise on some real headers (groups inside To:, bogus charsets), while every
decision here needs the raw value anyway to survive broken mail.
"""

from __future__ import annotations

import binascii
import email
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import Message
from email.policy import Compat32
from email.utils import parsedate_to_datetime
from io import BytesIO

from layan.channels.email import auto, boundaries
from layan.channels.email.decoding import (
    b64decode_lenient,
    clean_text,
    decode_text,
    header_text,
    leaf_parts,
    message_ids,
    normalise_message_id,
    parse_addresses,
    safe_filename,
)
from layan.channels.types import Address, Attachment, Channel, InboundMessage, ParseFailure
from layan.core.html import html_to_text

logger = logging.getLogger(__name__)

boundaries.install()

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_REFERENCES = 50
_MAX_DEPTH = 40
_MAX_DEFECTS = 30
_KEPT_HEADERS = {
    name.lower(): name
    for name in (
        "From", "Sender", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID",
        "In-Reply-To", "References", "Return-Path", "Delivered-To", "X-Original-To",
        "Auto-Submitted", "Precedence", "List-Id", "X-Mailer", "User-Agent",
        "Authentication-Results",
    )
}  # fmt: skip


class _RawHeaderPolicy(Compat32):
    """compat32, except that header values always come back as the raw `str`."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


POLICY = _RawHeaderPolicy()
_GENERATOR_POLICY = POLICY.clone(cte_type="8bit")


def parse_email(
    raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
) -> InboundMessage | ParseFailure:
    """Return the parsed message, or a `ParseFailure` that says why it could not be read.

    Parts that cannot be decoded do not fail the message: they are listed in `defects`.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        return ParseFailure(channel=Channel.EMAIL, raw=b"", reason="input is not bytes")
    raw = bytes(raw)
    if not raw.strip():
        return ParseFailure(channel=Channel.EMAIL, raw=raw, reason="empty message")
    if raw.startswith(_OLE_MAGIC):
        reason = "an Outlook .msg (OLE) file, not an RFC 5322 message"
        return ParseFailure(channel=Channel.EMAIL, raw=raw, reason=reason)
    try:
        message = email.message_from_bytes(raw.lstrip(b"\r\n"), policy=POLICY)
        if not message.keys():
            message = email.message_from_bytes(_repair_header_names(raw), policy=POLICY)
        if not message.keys():
            return ParseFailure(channel=Channel.EMAIL, raw=raw, reason="no header fields found")
        return _build(raw, message, max_attachment_bytes)
    except Exception as exc:  # a parser for untrusted input must not take the intake down
        logger.exception(
            "email_parse_failed", extra={"error": type(exc).__name__, "size": len(raw)}
        )
        return ParseFailure(
            channel=Channel.EMAIL,
            raw=raw,
            reason=f"unreadable message ({type(exc).__name__})",
            external_id=_message_id_fallback(raw),
        )


def _repair_header_names(raw: bytes) -> bytes:
    """Remove the space before the colon of header names (RFC 5322 obsolete syntax)."""
    head, separator, rest = raw.lstrip(b"\r\n").partition(b"\n\r\n" if b"\r\n" in raw else b"\n\n")
    return _OBSOLETE_NAME.sub(rb"\1:", head) + separator + rest


_ENCLOSED_MESSAGES = {"message/rfc822", "message/global", "message/news"}
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_OBSOLETE_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)


def _message_id_fallback(raw: bytes) -> str:
    match = re.search(rb"^message-id:[ \t]*([^\r\n]+)", raw[:65536], re.IGNORECASE | re.M)
    return normalise_message_id(match.group(1).decode("ascii", "replace")) if match else ""


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def _build(raw: bytes, message: Message, max_attachment_bytes: int) -> InboundMessage:
    fields: dict[str, list[str]] = {}
    for name, value in message.items():
        fields.setdefault(name.lower(), []).append(value)
    leaves, cut_short = leaf_parts(message, max_depth=_MAX_DEPTH)
    charset = _charset_hint(leaves) if not all(map(str.isascii, message.values())) else None

    def first(name: str) -> str:
        return fields.get(name, [""])[0]

    def addresses(name: str) -> tuple[Address, ...]:
        return parse_addresses(fields.get(name, []), charset)

    body = _Body()
    if cut_short:
        body.defects.append("MIME structure too deep or too large; inner parts left out")
    for part in leaves:
        _collect(part, body, max_attachment_bytes)
    for part in message.walk():
        body.defects.extend(type(defect).__name__ for defect in part.defects)

    text = "\n".join(body.plain)
    html = "\n".join(body.html)
    if not text.strip() and html:
        text = html_to_text(html)

    senders = addresses("from") or addresses("sender")
    subject = header_text(first("subject"), charset)
    sent_at = _date(first("date"))
    if first("date") and sent_at is None:
        body.defects.append("unreadable Date header")
    if not senders:
        body.defects.append("no sender address")
    references = message_ids(" ".join(fields.get("references", [])))
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    in_reply_to = message_ids(first("in-reply-to"))

    verdict = auto.classify(
        message, sender=senders[0] if senders else None, subject=subject, leaves=leaves
    )
    meta: dict[str, str] = {}
    if verdict.reason:
        meta["auto_reason"] = verdict.reason
    if verdict.recipients:
        meta["bounce_status"] = ", ".join(
            f"{item.address} {item.status}".strip() for item in verdict.recipients
        )

    return InboundMessage(
        channel=Channel.EMAIL,
        raw=raw,
        external_id=normalise_message_id(first("message-id")),
        sender=senders[0] if senders else None,
        to=addresses("to"),
        cc=addresses("cc"),
        reply_to=addresses("reply-to"),
        subject=subject,
        text=text.replace("\x00", ""),
        html=html.replace("\x00", ""),
        sent_at=sent_at,
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=tuple(references),
        attachments=tuple(body.attachments),
        auto=verdict.kind,
        bounced_message_id=verdict.original_message_id,
        bounced_recipients=tuple(item.address for item in verdict.recipients),
        defects=tuple(dict.fromkeys(body.defects))[:_MAX_DEFECTS],
        headers=tuple(
            (_KEPT_HEADERS[name.lower()], header_text(value, charset)[:2000])
            for name, value in message.items()
            if name.lower() in _KEPT_HEADERS
        ),
        meta=meta,
    )


def _charset_hint(leaves: list[Message]) -> str | None:
    """Return the first declared body charset: the best guess for raw 8-bit headers."""
    for part in leaves:
        charset = part.get_param("charset")
        if isinstance(charset, str) and charset:
            return charset
    return None


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(clean_text(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _collect(part: Message, body: _Body, max_attachment_bytes: int) -> None:
    content_type = part.get_content_type()
    maintype = part.get_content_maintype()
    disposition = part.get_content_disposition()
    filename = _filename(part)
    if content_type in _ENCLOSED_MESSAGES and isinstance(part.get_payload(), list):
        _attach_message(part, content_type, filename, body, max_attachment_bytes)
        return
    payload, note = _payload_bytes(part)
    if note:
        body.defects.append(note)
    is_body = content_type in {"text/plain", "text/html"} or maintype == "multipart"
    if is_body and disposition != "attachment" and not filename:
        text, note = decode_text(payload, part.get_param("charset"))  # type: ignore[arg-type]
        if note:
            body.defects.append(note)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if content_type == "text/html":
            body.html.append(text)
        else:
            text = _extract_uuencoded(text, body, max_attachment_bytes)
            body.plain.append(text)
        return
    content_id = normalise_message_id(part.get("Content-ID"))
    _attach(
        body,
        max_attachment_bytes,
        Attachment(
            filename=safe_filename(filename, content_type),
            content_type=content_type,
            payload=payload,
            inline=disposition == "inline" or (disposition is None and bool(content_id)),
            content_id=content_id,
        ),
    )


def _attach(body: _Body, limit: int, attachment: Attachment) -> None:
    if attachment.size > limit:
        body.defects.append(
            f"attachment {attachment.filename!r} left out: {attachment.size} bytes, limit {limit}"
        )
    else:
        body.attachments.append(attachment)


def _attach_message(
    part: Message, content_type: str, filename: str, body: _Body, limit: int
) -> None:
    inner = part.get_payload(0)
    if not isinstance(inner, Message):
        return
    buffer = BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=_GENERATOR_POLICY).flatten(inner)
    if not filename:
        filename = (header_text(inner.get("Subject")) or "message")[:120] + ".eml"
    attachment = Attachment(
        filename=safe_filename(filename, "message/rfc822", stem="message"),
        content_type=content_type,
        payload=buffer.getvalue(),
        inline=False,
    )
    _attach(body, limit, attachment)


def _filename(part: Message) -> str:
    declared = str(part.get("Content-Disposition", "")) + str(part.get("Content-Type", ""))
    if "name" not in declared.lower():
        return ""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except (LookupError, ValueError, UnicodeError):
        return ""
    if not isinstance(name, str):
        return ""
    return header_text(name, part.get_param("charset") or None)  # type: ignore[arg-type]


def _payload_bytes(part: Message) -> tuple[bytes, str]:
    """Return the decoded bytes of a leaf part, tolerating misspelt transfer encodings."""
    if part.is_multipart():  # e.g. message/delivery-status, parsed into header blocks
        blocks = [
            "".join(f"{name}: {value}\n" for name, value in block.items())
            for block in part.get_payload()
            if isinstance(block, Message)
        ]
        return "\n".join(blocks).encode("utf-8", "surrogateescape"), ""
    encoding = str(part.get("Content-Transfer-Encoding") or "")
    # The stdlib decodes the exact names it knows and returns anything else untouched.
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return b"", ""
    if encoding.lower() in _STDLIB_ENCODINGS:
        return data, ""
    name = re.sub(r"[^a-z0-9]", "", clean_text(encoding).lower().split(";")[0])
    if name == "base64":
        return b64decode_lenient(data), ""
    if name in {"quotedprintable", "qp"}:
        return binascii.a2b_qp(data), ""
    if name in {"xuuencode", "uuencode", "xuue", "uue"}:
        decoded = _uudecode(data.decode("ascii", "replace"))
        return (decoded[1], "") if decoded else (data, "unreadable uuencoded part")
    if name and name not in _IDENTITY_ENCODINGS:
        return data, f"unknown Content-Transfer-Encoding {clean_text(encoding)[:40]!r}, kept as is"
    return data, ""


_STDLIB_ENCODINGS = {"base64", "quoted-printable", "x-uuencode", "uuencode", "uue", "x-uue"}
_IDENTITY_ENCODINGS = {"7bit", "8bit", "binary", "7", "8", "8bits", "7bits"}
_UU_BLOCK = re.compile(r"^begin [0-7]{3,4} ([^\n]+)\n(.*?)^end[ \t]*(?:\n|\Z)", re.M | re.S)


def _uudecode_lines(lines: str) -> bytes | None:
    chunks = []
    for line in lines.split("\n"):
        line = line.rstrip("\r")
        if not line or line == "`":
            continue
        data = line.encode("ascii", "replace")
        try:
            chunks.append(binascii.a2b_uu(data))
        except binascii.Error:
            # Some encoders pad lines with junk; decode only what the length byte promises.
            needed = (((data[0] - 32) & 63) * 4 + 5) // 3
            try:
                chunks.append(binascii.a2b_uu(data[:needed]))
            except binascii.Error:
                return None
    return b"".join(chunks)


def _uudecode(text: str) -> tuple[str, bytes] | None:
    match = _UU_BLOCK.search(text.replace("\r\n", "\n"))
    decoded = _uudecode_lines(match.group(2)) if match else None
    return (match.group(1).strip(), decoded) if match and decoded is not None else None


def _extract_uuencoded(text: str, body: _Body, limit: int) -> str:
    """Move uuencoded files written inline into a plain-text body out into attachments."""
    if "\nbegin " not in "\n" + text:
        return text

    def extract(match: re.Match[str]) -> str:
        data = _uudecode_lines(match.group(2))
        if data is None:
            return match.group(0)
        name = safe_filename(match.group(1).strip(), "application/octet-stream")
        _attach(body, limit, Attachment(name, "application/octet-stream", data))
        return ""

    return _UU_BLOCK.sub(extract, text)
