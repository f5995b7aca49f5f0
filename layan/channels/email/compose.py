"""Build the exact bytes of an outbound e-mail from an `OutboundMessage`.

The same input always gives the same bytes: the Message-ID is given, the date is passed in
and MIME boundaries are derived from the Message-ID, so a retry sends an identical message
and the logbook can hash what was sent before sending it.

The subject is written as given. The ticket token (`[#1042]`) is the caller's business
(`threading.subject_with_ticket_ref`), because only the caller knows the ticket and the
token must also appear in what the agent saw.

A text-only mail (every reply) has its fields written by `fields` and its body as the `email`
package writes it; anything else, or a field that will not fold, is written by the `email`
package (about a millisecond a mail, against a tenth of that).

Header injection: free text (subject, display names) is decoded from any RFC 2047 words and
has every control character folded to a space; identifiers (addresses, Message-IDs) must
match a strict syntax or the message is refused with `ValueError`; and the written header
block is checked against the fields set, whichever wrote it. None of this relies on the
stdlib generator's own check, which Python 3.12 releases before 3.12.5 lack (CVE-2024-6923).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email import quoprimime
from email.generator import BytesGenerator
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from io import BytesIO
from typing import NamedTuple, cast

from layan.channels.email import fields
from layan.channels.email.decoding import clean_text, decode_words, safe_filename
from layan.channels.types import Address, Attachment, OutboundMessage

__all__ = ["MAX_REFERENCES", "compose_email"]

MAX_REFERENCES = 20
_AUTO_SUBMITTED = {"auto-replied", "auto-generated", "auto-notified"}
_ID = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}$")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def compose_email(
    message: OutboundMessage,
    *,
    sender: Address,
    date: datetime,
    reply_to: Address | None = None,
) -> bytes:
    """Return the RFC 5322 bytes (CRLF line ends) to hand to the SMTP server.

    Raises `ValueError` for a missing Message-ID or recipient, a naive `date`, or an address,
    our own id or an Auto-Submitted value that is not well formed. Attachment content types
    that are not plain `type/subtype` (and nested messages) are sent as octet-stream.
    """
    if not message.to:
        raise ValueError("an e-mail needs at least one recipient")
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware")
    message_id = _checked_id(message.message_id)
    if not message_id:
        raise ValueError("message_id must be set before the first attempt")

    in_reply_to = _optional_id(message.in_reply_to)
    references = _references(message.references, in_reply_to)
    if message.auto_submitted and message.auto_submitted not in _AUTO_SUBMITTED:
        raise ValueError(f"unknown Auto-Submitted value {message.auto_submitted!r}")
    heads = _Heads(
        sender=_address_parts(sender),
        to=[_address_parts(address) for address in message.to],
        cc=[_address_parts(address) for address in message.cc],
        reply_to=_address_parts(reply_to) if reply_to else None,
        subject=_free_text(message.subject),
        date=format_datetime(date),
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        auto_submitted=message.auto_submitted,
    )
    if not message.html and not message.attachments:
        raw = _plain_mail(heads, message.text)
        if raw is not None:
            return raw
    return _mime_mail(heads, message)


class _Heads(NamedTuple):
    """The header fields' values, checked."""

    sender: _Parts
    to: list[_Parts]
    cc: list[_Parts]
    reply_to: _Parts | None
    subject: str
    date: str
    message_id: str
    in_reply_to: str
    references: list[str]
    auto_submitted: str


def _plain_mail(heads: _Heads, text: str) -> bytes | None:
    """A text-only mail with its fields written by `fields`, or None if one will not fold
    (then `_mime_mail` writes it). The body is what the `email` package writes for it."""
    wanted: list[tuple[str, list[str] | None]] = [
        ("From", fields.mailbox(*heads.sender)),
        ("To", fields.address_list([fields.mailbox(*parts) for parts in heads.to])),
    ]
    if heads.cc:
        wanted.append(("Cc", fields.address_list([fields.mailbox(*parts) for parts in heads.cc])))
    if heads.reply_to:
        wanted.append(("Reply-To", fields.mailbox(*heads.reply_to)))
    wanted += [
        ("Subject", fields.unstructured(heads.subject)),
        ("Date", heads.date.split(" ")),
        ("Message-ID", [f"<{heads.message_id}>"]),
    ]
    if heads.in_reply_to:
        wanted.append(("In-Reply-To", [f"<{heads.in_reply_to}>"]))
    if heads.references:
        wanted.append(("References", [f"<{ident}>" for ident in heads.references]))
    if heads.auto_submitted:
        wanted.append(("Auto-Submitted", [heads.auto_submitted]))
    text, encoding = _text_and_encoding(text)
    lines = text.encode("utf-8").splitlines()  # as the `email` package writes a text part
    body = b"\n".join(lines) + b"\n"
    if encoding == "quoted-printable":
        body = quoprimime.body_encode(body.decode("latin-1"), SMTP.max_line_length or 78).encode(
            "ascii"
        )
    wanted += [
        ("Content-Type", ["text/plain;", 'charset="utf-8"']),
        ("Content-Transfer-Encoding", [encoding]),
        ("MIME-Version", ["1.0"]),
    ]
    written = [fields.field(name, words) for name, words in wanted]
    if any(line is None for line in written):
        return None
    head = "\r\n".join(cast(list[str], written)) + "\r\n\r\n"
    raw = head.encode("ascii") + body.replace(b"\n", b"\r\n")
    _check_head(raw, [name.lower() for name, _words in wanted])
    return raw


def _mime_mail(heads: _Heads, message: OutboundMessage) -> bytes:
    """Any mail, HTML and attachments included, written by the `email` package."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = _header_address(heads.sender)
    mail["To"] = [_header_address(parts) for parts in heads.to]
    if heads.cc:
        mail["Cc"] = [_header_address(parts) for parts in heads.cc]
    if heads.reply_to:
        mail["Reply-To"] = _header_address(heads.reply_to)
    mail["Subject"] = heads.subject
    mail["Date"] = heads.date
    mail["Message-ID"] = f"<{heads.message_id}>"
    if heads.in_reply_to:
        mail["In-Reply-To"] = f"<{heads.in_reply_to}>"
    if heads.references:
        mail["References"] = " ".join(f"<{ident}>" for ident in heads.references)
    if heads.auto_submitted:
        mail["Auto-Submitted"] = heads.auto_submitted

    _set_text(mail, message.text, "plain")
    inline = [item for item in message.attachments if item.inline and item.content_id]
    if message.html:
        html_part = EmailMessage(policy=SMTP)
        _set_text(html_part, message.html, "html")
        mail.make_alternative()
        mail.attach(html_part)
        for attachment in inline:
            maintype, subtype = _content_type(attachment)
            html_part.add_related(
                attachment.payload,
                maintype,
                subtype,
                cid=f"<{_checked_id(attachment.content_id)}>",
                disposition="inline",
                filename=safe_filename(attachment.filename, attachment.content_type),
            )
    for attachment in message.attachments:
        if message.html and attachment in inline:
            continue
        maintype, subtype = _content_type(attachment)
        mail.add_attachment(
            attachment.payload,
            maintype,
            subtype,
            filename=safe_filename(attachment.filename, attachment.content_type),
        )
    _finish_parts(mail, heads.message_id)

    buffer = BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=SMTP).flatten(mail)
    raw = buffer.getvalue()
    _check_head(raw, [name.lower() for name in mail])
    return raw


def _check_head(raw: bytes, names: list[str]) -> None:
    """Fail closed unless the written header block holds exactly the fields we set."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    written = [
        line.split(b":", 1)[0].decode("ascii", "replace").lower()
        for line in head
        if line[:1] not in (b" ", b"\t")
    ]
    if written != names or any(b"\r" in line or b"\n" in line for line in head):
        raise ValueError("composed header block does not match the fields set")


def _set_text(part: EmailMessage, text: str, subtype: str) -> None:
    text, encoding = _text_and_encoding(text)
    part.set_content(text, subtype=subtype, charset="utf-8", cte=encoding)


def _text_and_encoding(text: str) -> tuple[str, str]:
    """A text part's text with plain line ends, and its transfer encoding: quoted-printable
    keeps non-ASCII mail 7-bit clean for relays without 8BITMIME."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and max(map(len, text.split("\n"))) <= 900:
        return text, "7bit"
    return text, "quoted-printable"


_Parts = tuple[str, str, str]  # display name (one line), local part, ASCII domain


def _address_parts(address: Address) -> _Parts:
    """An address checked for sending: its display name made safe, its domain in IDNA."""
    local, _, domain = address.address.strip().rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"invalid domain in {address.address!r}") from exc
    if not (_LOCAL.match(local) and _DOMAIN.match(domain)) or ".." in local:
        raise ValueError(f"not a deliverable address: {address.address!r}")
    return _free_text(address.name), local, domain


def _header_address(parts: _Parts) -> HeaderAddress:
    display, local, domain = parts
    return HeaderAddress(display_name=display, username=local, domain=domain)


def _free_text(value: str) -> str:
    """Return header text that stays one line however the stdlib re-reads it.

    The stdlib header classes decode RFC 2047 words in values they are given, so a literal
    "=?utf-8?q?=0D=0A...?=" would turn back into a line break when written (CVE-2024-6923).
    Words are decoded here first, repeatedly for nested ones, before control characters go.
    """
    for _ in range(4):
        decoded = decode_words(value)
        if decoded == value:
            break
        value = decoded
    else:
        value = value.replace("=?", "= ?")
    return clean_text(value)


def _checked_id(value: str) -> str:
    ident = value.strip().removeprefix("<").removesuffix(">")
    if ident and not _ID.match(ident):
        raise ValueError(f"malformed message id {value!r}")
    return ident


def _optional_id(value: str) -> str:
    """Return `value` as a usable id, or "" when a correspondent's id is unusable."""
    try:
        return _checked_id(value)
    except ValueError:
        return ""


def _references(references: tuple[str, ...], in_reply_to: str) -> list[str]:
    """Return the References to send: valid ids, the parent last, first and newest kept."""
    ids = [ident for ident in map(_optional_id, references) if ident]
    if in_reply_to:
        ids = [ident for ident in ids if ident != in_reply_to] + [in_reply_to]
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
    return ids


def _content_type(attachment: Attachment) -> tuple[str, str]:
    content_type = attachment.content_type.lower().strip()
    if not _CONTENT_TYPE.match(content_type) or content_type.startswith(("multipart/", "message/")):
        # Nested messages and multiparts travel as opaque files; their structure is not ours
        # to vouch for.
        content_type = "application/octet-stream"
    maintype, subtype = content_type.split("/")
    return maintype, subtype


def _finish_parts(mail: EmailMessage, message_id: str) -> None:
    """Give multiparts boundaries derived from the Message-ID; drop MIME-Version from parts."""
    seed = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    for index, part in enumerate(mail.walk()):
        if part is not mail:
            del part["MIME-Version"]
        if part.is_multipart():
            part.set_boundary(f"=_layan_{seed}_{index}")
