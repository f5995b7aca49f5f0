"""Plain values that cross the boundary between a channel adapter and the intake.

Adapters turn a raw payload into an `InboundMessage` (pure, no database); `intake.receive`
is the one place that turns it into tickets and logbook entries. Outbound replies travel the
other way as `OutboundMessage` through the outbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from layan.core.pickling import pickled_by_fields


class Channel(StrEnum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    WEBFORM = "webform"
    PORTAL = "portal"
    API = "api"
    UI = "ui"


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"


class AutoKind(StrEnum):
    """Why a message was written by a machine rather than a person ("" = by a person)."""

    NONE = ""
    AUTO_REPLY = "auto_reply"  # out-of-office, vacation, "Automatic reply:"
    BOUNCE = "bounce"  # delivery status notification that reports a failure
    DELAY = "delay"  # delivery status notification that reports a delay, not a failure
    COMPLAINT = "complaint"  # ARF abuse/feedback report
    BULK = "bulk"  # Precedence: bulk/list/junk, mailing list traffic
    AUTO_GENERATED = "auto_generated"  # Auto-Submitted: auto-generated and similar


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str  # normalised: no path, no control characters; never empty
    content_type: str  # as declared by the sender, lower-cased; never trusted for serving
    payload: bytes
    inline: bool = False
    content_id: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()

    @property
    def size(self) -> int:
        return len(self.payload)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Address:
    address: str  # normalised (e-mail lower-cased, phone in E.164, chat ids as given)
    name: str = ""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message as a channel delivered it, already parsed; nothing here is trusted."""

    channel: Channel
    raw: bytes  # the exact bytes received: an RFC 5322 message, a webhook body
    external_id: str = ""  # Message-ID without <>, WhatsApp wamid, Telegram update id
    sender: Address | None = None
    sender_kind: IdentityKind = IdentityKind.EMAIL
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    subject: str = ""
    text: str = ""  # full plain text body (decoded); derived from HTML when only HTML came
    html: str = ""  # original HTML body, unsanitised; sanitise before display
    sent_at: datetime | None = None  # aware, as claimed by the sender
    in_reply_to: str = ""  # Message-ID without <>
    references: tuple[str, ...] = ()  # oldest first, without <>
    attachments: tuple[Attachment, ...] = ()
    auto: AutoKind = AutoKind.NONE
    bounced_message_id: str = ""  # for a bounce: the Message-ID of our message that bounced
    bounced_recipients: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()  # why parts could not be read; the raw bytes stay authoritative
    headers: tuple[tuple[str, str], ...] = ()  # decoded headers worth keeping, in order
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def raw_sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def is_automatic(self) -> bool:
        return self.auto != AutoKind.NONE


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A payload that could not be turned into a message at all; kept raw and flagged."""

    channel: Channel
    raw: bytes
    reason: str
    external_id: str = ""

    @property
    def raw_sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    channel: Channel
    to: tuple[Address, ...]
    subject: str
    text: str
    html: str = ""
    cc: tuple[Address, ...] = ()
    message_id: str = ""  # fixed before the first attempt so that retries are the same message
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    auto_submitted: str = ""  # "auto-replied" / "auto-generated" for our automatic mail
