"""Recognise mail written by machines: bounces, delays, complaints, auto-replies, bulk mail.

Structured reports (RFC 3464 DSN, RFC 5965 ARF, RFC 8098 MDN) are trusted first. Bounces
that are not DSNs need two signals among a daemon sender (MAILER-DAEMON, postmaster), a
bounce subject and an MTA's own wording, so that a customer writing "your mail was
undeliverable" still reaches a person; sisimai's "not a bounce" samples are the test for
that. Last come the headers of RFC 3834 and of the big mail systems, and out-of-office
subjects. Loops show as AUTO_GENERATED with a "loop:" or "header:x-loop" reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from layan.channels.email.decoding import (
    clean_text,
    decode_text,
    header_text,
    leaf_parts,
    normalise_message_id,
    parse_addresses,
)
from layan.channels.types import Address, AutoKind
from layan.core.html import html_to_text

__all__ = ["AutoVerdict", "BouncedRecipient", "classify"]


@dataclass(frozen=True, slots=True)
class BouncedRecipient:
    address: str
    status: str = ""  # RFC 3463 enhanced status code such as "5.1.1"
    action: str = ""  # RFC 3464 action: failed, delayed, delivered, relayed, expanded
    diagnostic: str = ""


@dataclass(frozen=True, slots=True)
class AutoVerdict:
    kind: AutoKind = AutoKind.NONE
    reason: str = ""  # the signal that decided, kept with the message for staff
    original_message_id: str = ""
    recipients: tuple[BouncedRecipient, ...] = ()


_REPORT_PARTS = {
    "message/delivery-status": "delivery-status",
    "message/global-delivery-status": "delivery-status",
    "message/feedback-report": "feedback-report",
    "message/disposition-notification": "disposition-notification",
    "message/global-disposition-notification": "disposition-notification",
}
_RETURNED_PARTS = {
    "message/rfc822", "message/global", "message/partial", "text/rfc822-headers",
    "message/rfc822-headers", "message/global-headers",
}  # fmt: skip

_DAEMON_LOCAL = re.compile(
    r"^(mailer-?daemon|mail-?daemon|postmaster|post_master|mail\.delivery\.system|mdaemon"
    r"|bounces?|ndr|mail-?delivery)$"
)
_DAEMON_NAME = re.compile(
    r"mail ?deliver|mailer-?daemon|postmaster|mail administrator|delivery subsystem"
    r"|ndr administrator|delivery status",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|returned mail|returning message|return(ed)? to sender"
    r"|delivery (status notification|failure|failed|has failed|report|notification)"
    r"|mail delivery (failed|failure|system)|message delivery has failed|failure notice"
    r"|non-?deliver|could not be delivered|not (be )?delivered|delivery problem"
    r"|mail system error|error sending your mail|user unknown|blocked by"
    r"|unzustellbar|non remis|onbestelbaar|no se pudo entregar|non recapitabile"
    r"|tidak (dapat|bisa) (di)?kirim|gagal (terkirim|dikirim)"
    r"|недостав|не доставлен|メールエラー|未能送达|退信",
    re.IGNORECASE,
)
_DELAY = re.compile(
    r"delayed|delay\)|still being retried|has not yet been delivered|warning: could not send"
    r"|will (continue to )?retry|tertunda",
    re.IGNORECASE,
)
# Wording that mail transfer agents put into their own failure notices.
_MTA_PHRASE = re.compile(
    r"this is the mail system at host|this is the qmail-send program"
    r"|created automatically by mail delivery software|delivery has failed to these recipients"
    r"|did not reach some or all of the intended recipients|your message (wasn't|was not) delivered"
    r"|following addresses? had permanent fatal errors|transcript of session follows"
    r"|delivery to the following recipients? failed|could not be delivered to one or more"
    r"|the original message was received at|a message that you sent could not be delivered"
    r"|smtp error from remote|unable to deliver (your )?message to the following",
    re.IGNORECASE,
)
_FAILURE_PHRASE = re.compile(
    r"(user|mailbox|recipient|address) (unknown|unavailable|not found|rejected)|no such user"
    r"|does not exist|mailbox (is )?full|quota exceeded|undeliverable|delivery (failed|failure)"
    r"|could not be delivered|permanent (error|failure)|invalid (user|recipient)",
    re.IGNORECASE,
)
_SMTP_CODE = re.compile(r"(?:^|[\s(:])(?:[45][0-5]\d[ -]|[45]\.\d{1,3}\.\d{1,3}\b)", re.M)
# Phrases that open the subject of an out-of-office reply. Bare words such as "Cuti" or
# "Vacation" are left out on purpose: customers write about leave and holidays too.
_OUT_OF_OFFICE = re.compile(
    r"^\W*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response|respons)"
    r"|autoreply|autosvar|balasan otomatis|jawaban otomatis|sedang cuti|sedang tidak di kantor"
    r"|di luar kantor|away (from|until|till|on|between)\b|away\s*:|abwesenheit"
    r"|automatische antwort|réponse automatique|absence du bureau|respuesta automática"
    r"|resposta automática|risposta automatica|automatisch antwoord|afwezig"
    r"|automatisk svar|odpowiedź automatyczna|on vacation|vacation reply|ooo\b|自动回复|自動回覆)",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(r"^\W*(re|fwd?|aw|wg|tr|sv|rv|bls|trs)\s*(\[\d+\])?\s*:", re.IGNORECASE)
_GENERATED_SUBJECT = re.compile(r"^\W*auto[- ]?generated\b", re.IGNORECASE)
_RETURNED_MARKER = re.compile(
    r"^[ \t>|*-]*(?:(?:the )?original message(?: (?:follows|headers?|text))?"
    r"|(?:this is )?a copy of (?:the|your) message[^\n]*|below this line is a copy[^\n]*"
    r"|message headers? follows?|returned message|undelivered message"
    r"|headers of the original message)[ \t:.-]*$",
    re.IGNORECASE | re.MULTILINE,
)
_BODY_MESSAGE_ID = re.compile(r"^[ \t>]*message-id:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.M)
_ADDRESS_IN_TEXT = re.compile(r"[\w.+=/'-]+@[\w-]+(?:\.[\w-]+)+")
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_MAX_RECIPIENTS = 50
_MAX_HOPS = 40  # a message relayed this often is circling between autoresponders


def classify(
    message: Message,
    *,
    sender: Address | None,
    subject: str,
    leaves: list[Message] | None = None,
) -> AutoVerdict:
    """Return why `message` is automatic, from its MIME structure, headers and text.

    `leaves` are the message's `leaf_parts`, when the caller has them already.
    """
    leaves = leaf_parts(message)[0] if leaves is None else leaves
    return (
        _report(message, leaves)
        or _plain_bounce(message, leaves, sender, subject)
        or _header_signals(message, subject)
        or AutoVerdict()
    )


def _header(message: Message, name: str) -> str:
    return header_text(message.get(name)).lower()


def _report(message: Message, leaves: list[Message]) -> AutoVerdict | None:
    report_type = str(message.get_param("report-type") or "").lower()
    if message.get_content_type() != "multipart/report":
        report_type = ""
    parts = {_REPORT_PARTS[p.get_content_type()]: p for p in leaves
             if p.get_content_type() in _REPORT_PARTS}  # fmt: skip
    kind = report_type if report_type in parts or not parts else next(iter(parts))
    if kind == "feedback-report":
        fields = _fields(parts[kind]) if kind in parts else []
        recipients = tuple(
            BouncedRecipient(address=address.address, action="complained")
            for key, value in fields
            if key == "original-rcpt-to"
            for address in parse_addresses([value])
        )
        return AutoVerdict(
            AutoKind.COMPLAINT, "report:feedback-report", _returned_id(message, leaves), recipients
        )
    if kind == "disposition-notification":
        return AutoVerdict(AutoKind.AUTO_GENERATED, "report:disposition-notification")
    if kind != "delivery-status":
        return None
    recipients = _dsn_recipients(parts[kind]) if kind in parts else ()
    actions = {item.action for item in recipients}
    statuses = {item.status[:1] for item in recipients}
    if "failed" in actions or (not actions - {""} and "5" in statuses) or not recipients:
        verdict = AutoKind.BOUNCE
    elif "delayed" in actions or "4" in statuses:
        verdict = AutoKind.DELAY
    else:  # delivered / relayed / expanded: a success notice someone asked for
        verdict = AutoKind.AUTO_GENERATED
    if verdict in (AutoKind.BOUNCE, AutoKind.DELAY):
        wanted = "failed" if verdict == AutoKind.BOUNCE else "delayed"
        recipients = tuple(item for item in recipients if item.action in (wanted, ""))
    return AutoVerdict(verdict, "report:delivery-status", _returned_id(message, leaves), recipients)


def _fields(part: Message) -> list[tuple[str, str]]:
    """Return the (lower-cased name, value) fields of a report part, block after block."""
    payload = part.get_payload()
    fields: list[tuple[str, str]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                fields.extend(
                    (name.lower(), clean_text(str(value))) for name, value in block.items()
                )
                fields.append(("", ""))
        return fields
    text = _text_of(part).replace("\r\n", "\n")
    for block in re.split(r"\n[ \t]*\n", text):
        for line in re.sub(r"\n[ \t]+", " ", block).split("\n"):
            name, colon, value = line.partition(":")
            if colon and name.strip() and " " not in name.strip():
                fields.append((name.strip().lower(), clean_text(value)))
        fields.append(("", ""))
    return fields


def _dsn_recipients(part: Message) -> tuple[BouncedRecipient, ...]:
    recipients: list[BouncedRecipient] = []
    current: dict[str, str] = {}
    for name, value in _fields(part):
        if name:
            current.setdefault(name, value)
            continue
        address = _typed_address(
            current.get("final-recipient") or current.get("original-recipient")
        )
        if address and len(recipients) < _MAX_RECIPIENTS:
            status = _STATUS.search(current.get("status", ""))
            recipients.append(
                BouncedRecipient(
                    address=address,
                    status=status.group(1) if status else "",
                    action=current.get("action", "").split()[0].lower()
                    if current.get("action")
                    else "",
                    diagnostic=_typed_value(current.get("diagnostic-code", ""))[:300],
                )
            )
        current = {}
    return tuple(recipients)


def _typed_value(value: str) -> str:
    """Strip the type prefix of a DSN field: "rfc822; a@b" and "smtp; 550 ..." alike."""
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


def _typed_address(value: str | None) -> str:
    found = parse_addresses([_typed_value(value)]) if value else ()
    return found[0].address if found else ""


def _returned_id(message: Message, leaves: list[Message]) -> str:
    """Return the Message-ID of the message a report is about, if it came back with it."""
    own = normalise_message_id(message.get("Message-ID"))
    for part in leaves:
        # Returned headers with no blank line above them become the headers of the part.
        ident = normalise_message_id(part.get("Message-ID")) if part is not message else ""
        if ident and ident != own:
            return ident
        payload = part.get_payload()
        enclosed = payload[0] if isinstance(payload, list) and payload else None
        if part.get_content_type() in _RETURNED_PARTS and isinstance(enclosed, Message):
            ident = normalise_message_id(enclosed.get("Message-ID"))
            if ident and ident != own:
                return ident
    # Returned headers pasted into the text, or a report whose MIME structure is broken.
    for part in leaves:
        if part.get_content_maintype() in ("text", "multipart", "message"):
            for found in _BODY_MESSAGE_ID.finditer(_text_of(part)):
                ident = normalise_message_id(found.group(1))
                if ident and ident != own:
                    return ident
    return ""


def _text_of(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # header blocks or an enclosed message
        return "\n\n".join(item.as_string() for item in payload if isinstance(item, Message))
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = str(payload).encode("utf-8", "surrogateescape")
    return decode_text(data[:262144], part.get_param("charset"))[0]  # type: ignore[arg-type]


def _is_daemon(message: Message, sender: Address | None) -> bool:
    if sender and _DAEMON_LOCAL.match(sender.address.split("@")[0]):
        return True
    raw_from = header_text(message.get("From"))
    return bool(_DAEMON_NAME.search(raw_from)) or (
        sender is None and bool(re.search(r"mailer-?daemon", raw_from, re.IGNORECASE))
    )


def _body_text(leaves: list[Message]) -> str:
    for part in leaves:
        plain = (
            part.get_content_type() == "text/plain" or part.get_content_maintype() == "multipart"
        )
        if plain and part.get_content_disposition() != "attachment":
            return _text_of(part)
    for part in leaves:
        if part.get_content_type() == "text/html":
            return html_to_text(_text_of(part))
    return ""


def _plain_bounce(
    message: Message, leaves: list[Message], sender: Address | None, subject: str
) -> AutoVerdict | None:
    daemon = _is_daemon(message, sender)
    # Someone forwarding a bounce to us ("Fwd: Undelivered Mail") is a person asking for help.
    replied = bool(_REPLY_PREFIX.match(subject))
    subject_says = not replied and bool(_BOUNCE_SUBJECT.search(subject) or _DELAY.search(subject))
    failed_header = bool(message.get("X-Failed-Recipients"))
    if not (daemon or subject_says or failed_header):
        return None
    text = _body_text(leaves)
    marker = _RETURNED_MARKER.search(text)
    notice = text[: marker.start()] if marker else text
    # Failure wording a person could also write counts only next to an SMTP code or an
    # enclosed copy of the returned message.
    returned = any(part.get_content_type() in _RETURNED_PARTS for part in leaves)
    failure_words = bool(_FAILURE_PHRASE.search(notice))
    body_says = (
        bool(_MTA_PHRASE.search(notice))
        or failed_header
        or (failure_words and (returned or bool(_SMTP_CODE.search(notice))))
    )
    if not ((daemon and subject_says) or ((daemon or subject_says) and body_says)):
        return None
    delayed = bool(_DELAY.search(subject)) or (
        bool(_DELAY.search(notice)) and not _BOUNCE_SUBJECT.search(subject)
    )
    kind = AutoKind.DELAY if delayed else AutoKind.BOUNCE
    original = _returned_id(message, leaves)
    own = {address.address for address in parse_addresses(message.get_all("To") or [])}
    own.add(original.lower())
    if sender:
        own.add(sender.address)
    candidates = [a.address for a in parse_addresses(message.get_all("X-Failed-Recipients") or [])]
    if not candidates:
        candidates = [found.lower() for found in _ADDRESS_IN_TEXT.findall(notice)]
    addresses = [
        address
        for address in dict.fromkeys(candidates)
        if address not in own and not _DAEMON_LOCAL.match(address.split("@")[0])
    ][:_MAX_RECIPIENTS]
    status = _STATUS.search(notice)
    recipients = tuple(
        BouncedRecipient(
            address=address,
            status=status.group(1) if status else "",
            action="delayed" if delayed else "failed",
        )
        for address in addresses
    )
    return AutoVerdict(kind, "heuristic:bounce", original, recipients)


def _header_signals(message: Message, subject: str) -> AutoVerdict | None:
    out_of_office = bool(_OUT_OF_OFFICE.search(subject))
    submitted = _header(message, "Auto-Submitted").split(";")[0].strip()
    if submitted and submitted != "no":
        kind = AutoKind.AUTO_REPLY if submitted == "auto-replied" or out_of_office else None
        return AutoVerdict(kind or AutoKind.AUTO_GENERATED, f"header:auto-submitted={submitted}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if _header(message, name) not in ("", "no", "false", "0"):
            return AutoVerdict(AutoKind.AUTO_REPLY, f"header:{name.lower()}")
    precedence = _header(message, "Precedence")
    if precedence in ("auto_reply", "auto-reply"):
        return AutoVerdict(AutoKind.AUTO_REPLY, "header:precedence")
    if out_of_office:
        return AutoVerdict(AutoKind.AUTO_REPLY, "subject:out-of-office")
    suppress = _header(message, "X-Auto-Response-Suppress")
    if re.search(r"\b(all|oof|autoreply)\b", suppress):
        return AutoVerdict(AutoKind.AUTO_GENERATED, "header:x-auto-response-suppress")
    if message.get("X-MS-Exchange-Generated-Message-Source"):
        return AutoVerdict(AutoKind.AUTO_GENERATED, "header:x-ms-exchange-generated")
    if _GENERATED_SUBJECT.search(subject):
        return AutoVerdict(AutoKind.AUTO_GENERATED, "subject:auto-generated")
    if precedence in ("bulk", "junk", "list"):
        return AutoVerdict(AutoKind.BULK, f"header:precedence={precedence}")
    for name in ("List-Id", "List-Unsubscribe"):
        if message.get(name):
            return AutoVerdict(AutoKind.BULK, f"header:{name.lower()}")
    if message.get("X-Loop"):
        return AutoVerdict(AutoKind.AUTO_GENERATED, "header:x-loop")
    if len(message.get_all("Received") or []) > _MAX_HOPS:
        return AutoVerdict(AutoKind.AUTO_GENERATED, "loop:too-many-hops")
    if _header(message, "Return-Path") == "<>":
        return AutoVerdict(AutoKind.AUTO_GENERATED, "header:null-return-path")
    return None
