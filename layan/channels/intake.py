"""The one entry point for every inbound message, whatever the channel.

`receive` runs in one transaction: keep the raw bytes, de-duplicate, recognise machines
(bounces, auto-replies, our own mail coming back), find the person, find the ticket or open
one, append to the logbook. Work that may be slow or talk to the outside (analysis, SLA,
acknowledgements) is enqueued after the commit. Anything the IMAP server must be told (seen,
moved) happens after the commit too, so a crash between the two steps re-reads a message that
the database already knows, and it is recognised as a duplicate.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from layan.channels import faults
from layan.channels.email.fingerprint import content_fingerprint
from layan.channels.email.threading import (
    candidate_ids,
    normalise_subject,
    subject_ticket_ref,
    ticket_ref_from_message_id,
)
from layan.channels.models import InboundRecord, Mailbox, OutboundRecord, Outcome, TicketLink
from layan.channels.types import AutoKind, Channel, InboundMessage, ParseFailure
from layan.core import clock
from layan.core.blobs import blob_put
from layan.core.html import sanitize_html
from layan.core.identity import InvalidIdentity
from layan.customers.models import Contact, Identity
from layan.customers.services import contact_for_identity, customer_individual_for
from layan.logbook.models import Entry, Kind
from layan.logbook.services import NewAttachment
from layan.tickets import services as tickets
from layan.tickets.models import Status, Ticket

logger = logging.getLogger(__name__)

MACHINE_KINDS = (AutoKind.BOUNCE, AutoKind.DELAY, AutoKind.COMPLAINT)


@dataclass(frozen=True, slots=True)
class IntakeResult:
    outcome: Outcome
    record_id: int | None
    ticket: int | None = None  # ticket reference
    entry: int | None = None  # entry seq in the ticket's chain
    reason: str = ""
    new_contact: bool = False
    acknowledge: bool = False  # a person opened a ticket by mail: send the acknowledgement
    ticket_id: int | None = None
    entry_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": str(self.outcome),
            "ticket": self.ticket,
            "entry": self.entry,
            "reason": self.reason,
            "record": self.record_id,
        }


def thread_key() -> bytes:
    """The HMAC key of our Message-IDs (derived from the secret unless set on its own)."""
    return settings.LAYAN_THREAD_KEY.encode()


def our_addresses() -> set[str]:
    """Addresses mail from which is ours: never a customer, never auto-answered."""
    addresses = {address.lower() for address in settings.LAYAN_OWN_ADDRESSES}
    addresses |= {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    from layan.team.models import Team

    addresses |= {a.lower() for a in Team.objects.exclude(email="").values_list("email", flat=True)}
    return addresses


@dataclass
class IntakeSession:
    """What a run of many messages looks up once instead of per message (an import)."""

    own: set[str] = field(default_factory=our_addresses)


def receive(
    message: InboundMessage | ParseFailure,
    *,
    mailbox: Mailbox | None = None,
    imap: tuple[int, int] | None = None,
    source: str = "",
    trust_sent_at: bool = False,
    acknowledge: bool = True,
    session: IntakeSession | None = None,
) -> IntakeResult:
    """Take one inbound message into Layan and say what became of it.

    Safe to call again with the same message: the second call finds the first one's record
    and changes nothing (`Outcome.DUPLICATE`). `trust_sent_at` dates entries by the message's
    own Date header (a migration of old mail); otherwise they are dated when received, because
    a sender's clock must not decide our deadlines. `acknowledge=False` sends no acknowledgement
    (a migration must not mail customers about old conversations). A `session` shares lookups
    between the messages of one run.
    """
    channel = message.channel
    fingerprint = (
        content_fingerprint(message.raw) if channel == Channel.EMAIL else message.raw_sha256
    )
    external_id = message.external_id[:255]
    existing = _existing(channel, external_id, fingerprint, mailbox, imap)
    if existing is not None and existing.outcome != Outcome.PENDING:
        return _duplicate(existing)
    try:
        with transaction.atomic():
            faults.point("intake.before_record")
            record = existing or InboundRecord.objects.create(
                channel=channel,
                mailbox=mailbox,
                uidvalidity=imap[0] if imap else None,
                uid=imap[1] if imap else None,
                external_id=external_id,
                content_sha256=fingerprint,
                raw=blob_put(message.raw),
                source=source[:300],
                received_at=clock.now(),
            )
            faults.point("intake.after_record")
            own = session.own if session is not None else our_addresses()
            result = _process(record, message, mailbox, own=own, trust_sent_at=trust_sent_at)
            InboundRecord.objects.filter(pk=record.pk).update(
                outcome=result.outcome,
                reason=result.reason[:300],
                ticket_id=result.ticket_id,
                entry_id=result.entry_id,
                processed_at=clock.now(),
                attempts=record.attempts + 1,
            )
            faults.point("intake.before_commit")
            if result.acknowledge and acknowledge:
                from layan.channels.outbox import acknowledgement_send

                acknowledgement_send(record_id=record.pk)
    except IntegrityError:
        # Another worker took the same message a moment ago.
        existing = _existing(channel, external_id, fingerprint, mailbox, imap)
        if existing is None:
            raise
        return _duplicate(existing)
    logger.info(
        "intake_received",
        extra={"channel": channel, "outcome": result.outcome, "ticket": result.ticket},
    )
    return result


def _existing(
    channel: str,
    external_id: str,
    fingerprint: str,
    mailbox: Mailbox | None,
    imap: tuple[int, int] | None,
) -> InboundRecord | None:
    match = Q(channel=channel, external_id=external_id, content_sha256=fingerprint)
    if imap is not None and mailbox is not None:
        match |= Q(mailbox=mailbox, uidvalidity=imap[0], uid=imap[1])
    return InboundRecord.objects.filter(match).select_related("ticket", "entry").first()


def _duplicate(record: InboundRecord) -> IntakeResult:
    return IntakeResult(
        outcome=Outcome.DUPLICATE,
        record_id=record.pk,
        ticket=record.ticket.reference if record.ticket else None,
        entry=record.entry.seq if record.entry else None,
        reason=f"already received as {record.outcome}",
    )


def import_one(
    message: InboundMessage | ParseFailure, *, source: str, session: IntakeSession
) -> tuple[Outcome, IntakeResult | None]:
    """Take one message of an archive: dated by its own Date, no acknowledgement. A failure
    is kept and counted (`intake_failed`), never raised; its result is then None."""
    try:
        result = receive(
            message, source=source, trust_sent_at=True, acknowledge=False, session=session
        )
    except Exception as error:  # kept and counted; the import goes on
        return Outcome(intake_failed(message, error=error, source=source).outcome), None
    return Outcome(result.outcome), result


def intake_failed(
    message: InboundMessage | ParseFailure,
    *,
    error: BaseException,
    mailbox: Mailbox | None = None,
    imap: tuple[int, int] | None = None,
    source: str = "",
) -> InboundRecord:
    """Keep a message whose processing crashed, count the attempt, quarantine it at the limit.

    One bad message never blocks the others: the caller moves on, and a later run retries it
    until `LAYAN_INTAKE_MAX_ATTEMPTS`, after which it waits for an admin with its raw bytes.
    """
    channel = message.channel
    fingerprint = (
        content_fingerprint(message.raw) if channel == Channel.EMAIL else message.raw_sha256
    )
    reason = f"{type(error).__name__}: {error}"[:300]
    with transaction.atomic():
        record = _existing(channel, message.external_id[:255], fingerprint, mailbox, imap)
        if record is None:
            record = InboundRecord.objects.create(
                channel=channel,
                mailbox=mailbox,
                uidvalidity=imap[0] if imap else None,
                uid=imap[1] if imap else None,
                external_id=message.external_id[:255],
                content_sha256=fingerprint,
                raw=blob_put(message.raw),
                source=source[:300],
                received_at=clock.now(),
            )
        attempts = record.attempts + 1
        outcome = (
            Outcome.QUARANTINED
            if attempts >= settings.LAYAN_INTAKE_MAX_ATTEMPTS
            else Outcome.PENDING
        )
        InboundRecord.objects.filter(pk=record.pk).update(
            attempts=attempts, outcome=outcome, reason=reason
        )
        record.attempts, record.outcome, record.reason = attempts, outcome, reason
    logger.warning(
        "intake_failed", extra={"record": record.pk, "attempts": attempts, "error": reason}
    )
    return record


def _process(
    record: InboundRecord,
    message: InboundMessage | ParseFailure,
    mailbox: Mailbox | None,
    *,
    own: set[str],
    trust_sent_at: bool,
) -> IntakeResult:
    if isinstance(message, ParseFailure):
        return IntakeResult(Outcome.KEPT_RAW, record.pk, reason=message.reason)
    if message.sender is None or not message.sender.address:
        return IntakeResult(Outcome.KEPT_RAW, record.pk, reason="no sender address")
    if _is_our_own(message, own):
        return _own_message(record, message)
    if message.auto in MACHINE_KINDS:
        return _bounce(record, message)
    try:
        contact, created = contact_for_identity(
            kind=message.sender_kind, value=message.sender.address, name=message.sender.name
        )
    except InvalidIdentity:
        return IntakeResult(
            Outcome.KEPT_RAW, record.pk, reason=f"unusable sender {message.sender.address!r}"
        )
    assert contact is not None
    ticket, link_to, why = _find_ticket(message, contact)
    faults.point("intake.before_entry")
    if ticket is None and message.auto == AutoKind.AUTO_REPLY:
        # An out-of-office answer to nothing we know opens no ticket.
        return IntakeResult(Outcome.AUTO_REPLY, record.pk, reason="automatic reply to no ticket")
    data = entry_data(message, record)
    occurred_at = min(message.sent_at, clock.now()) if trust_sent_at and message.sent_at else None
    html = entry_html(message)
    attachments = [
        NewAttachment(a.filename, a.content_type, a.payload, a.inline, a.content_id)
        for a in message.attachments
    ]
    if ticket is not None:
        entry = tickets.ticket_message_add(
            ticket=ticket,
            contact=contact,
            text=message.text,
            html=html,
            subject=message.subject,
            channel=message.channel,
            occurred_at=occurred_at,
            raw=message.raw,
            attachments=attachments,
            external_id=message.external_id,
            data=data,
            reopen=message.auto == AutoKind.NONE,
        )
        outcome = Outcome.AUTO_REPLY if message.auto == AutoKind.AUTO_REPLY else Outcome.THREADED
        return IntakeResult(
            outcome,
            record.pk,
            ticket.reference,
            entry.seq,
            reason=why,
            new_contact=created,
            ticket_id=ticket.pk,
            entry_id=entry.pk,
        )
    customer = customer_individual_for(contact)
    new_ticket, first = tickets.ticket_open(
        actor=None,
        customer=customer,
        requester=contact,
        subject=message.subject,
        text=message.text,
        html=html,
        channel=message.channel,
        team=mailbox.team if mailbox else None,
        occurred_at=occurred_at,
        raw=message.raw,
        attachments=attachments,
        external_id=message.external_id,
        data=data,
    )
    if link_to is not None:
        reason = (
            TicketLink.Reason.FOLLOW_UP
            if link_to.status == Status.CLOSED
            else TicketLink.Reason.POSSIBLY_RELATED
        )
        TicketLink.objects.get_or_create(
            ticket=new_ticket, other=link_to, defaults={"reason": reason, "created_at": clock.now()}
        )
        TicketLink.objects.get_or_create(
            ticket=link_to, other=new_ticket, defaults={"reason": reason, "created_at": clock.now()}
        )
    acknowledge = message.auto == AutoKind.NONE and message.sender.address.lower() not in own
    return IntakeResult(
        Outcome.NEW_TICKET,
        record.pk,
        new_ticket.reference,
        first.seq if first else None,
        reason=why,
        new_contact=created,
        acknowledge=acknowledge,
        ticket_id=new_ticket.pk,
        entry_id=first.pk if first else None,
    )


def entry_html(message: InboundMessage) -> str:
    """The message's HTML as the logbook keeps it: sanitised; inline images stay `cid:`
    references, which the page maps to Layan's own URLs."""
    return sanitize_html(message.html, cid_url=lambda cid: f"cid:{cid}") if message.html else ""


def entry_data(message: InboundMessage, record: InboundRecord) -> dict[str, Any]:
    """The `data` of the logbook entry of a received message."""
    return {"record": record.pk, **message_data(message)}


def message_data(message: InboundMessage) -> dict[str, Any]:
    """What the logbook keeps of a message's envelope (see `entry_data`)."""
    data: dict[str, Any] = {}
    if message.to:
        data["to"] = [a.address for a in message.to][:20]
    if message.cc:
        data["cc"] = [a.address for a in message.cc][:20]
    if message.auto != AutoKind.NONE:
        data["auto"] = str(message.auto)
    if message.defects:
        data["defects"] = [str(d)[:200] for d in message.defects][:10]
    if message.sent_at is not None:
        data["sent_at"] = message.sent_at.isoformat()
    mailing_list = mailing_list_of(message)
    if mailing_list:
        data["list"] = mailing_list
    return data


def mailing_list_of(message: InboundMessage) -> str:
    """The mailing list a message came through (the `<...>` part of List-Id), or ""."""
    for name, value in message.headers:
        if name.lower() == "list-id":
            inside = value[value.find("<") + 1 : value.rfind(">")] if "<" in value else value
            return inside.strip().lower()[:200]
    return ""


def _is_our_own(message: InboundMessage, own: set[str]) -> bool:
    """Our own outgoing mail seen again (a shared mailbox with "Sent" sync, a loop)."""
    if ticket_ref_from_message_id(message.external_id, key=thread_key()):
        return True
    return (
        OutboundRecord.objects.filter(message_id=message.external_id).exists()
        if (message.external_id)
        else False
    )


def _own_message(record: InboundRecord, message: InboundMessage) -> IntakeResult:
    outbound = OutboundRecord.objects.filter(message_id=message.external_id).first()
    reference = outbound.ticket.reference if outbound else None
    return IntakeResult(
        Outcome.OWN_MESSAGE,
        record.pk,
        reference,
        reason="our own message came back",
        ticket_id=outbound.ticket_id if outbound else None,
    )


def _bounce(record: InboundRecord, message: InboundMessage) -> IntakeResult:
    """A delivery report: mark the outbound message it concerns, log it on that ticket."""
    from layan.channels.outbox import outbound_bounced

    outbound = (
        OutboundRecord.objects.select_related("ticket__chain")
        .filter(message_id=message.bounced_message_id)
        .first()
        if message.bounced_message_id
        else None
    )
    if outbound is None:
        return IntakeResult(
            Outcome.BOUNCE, record.pk, reason=f"{message.auto} for a message we do not know"
        )
    entry = outbound_bounced(
        outbound=outbound,
        kind=str(message.auto),
        recipients=list(message.bounced_recipients),
        detail=message.meta.get("bounce_status", ""),
    )
    return IntakeResult(
        Outcome.BOUNCE,
        record.pk,
        outbound.ticket.reference,
        entry.seq,
        reason=str(message.auto),
        ticket_id=outbound.ticket_id,
        entry_id=entry.pk,
    )


def _participants(ticket: Ticket) -> set[str]:
    """Who may add to a ticket by mail: whoever wrote on it, whoever its messages were
    addressed or copied to, the contacts of its customer (addresses), and the mailing lists
    its messages came through ("list:<id>"): a list's members all received the thread."""
    contacts = {ticket.requester_id}
    addresses: set[str] = set()
    for contact_id, data in Entry.objects.filter(
        chain_id=ticket.chain_id, kind=Kind.MESSAGE
    ).values_list("actor_contact_id", "data"):
        if contact_id:
            contacts.add(contact_id)
        addresses |= data_participants(data or {})
    contacts |= set(ticket.customer.memberships.values_list("contact_id", flat=True))
    addresses |= set(
        Identity.objects.filter(contact_id__in=contacts, kind="email").values_list(
            "value", flat=True
        )
    )
    return addresses


def data_participants(data: dict[str, Any]) -> set[str]:
    """Who a message's entry data (`message_data`) makes a participant of its ticket: the
    addresses it was sent or copied to, and its mailing list ("list:<id>")."""
    addresses = {str(a).lower() for key in ("to", "cc") for a in data.get(key, [])}
    if data.get("list"):
        addresses.add(f"list:{data['list']}")
    return addresses


_FAILED_AUTH = re.compile(r"\bdmarc=fail\b", re.IGNORECASE)


def sender_unverified(message: InboundMessage) -> bool:
    """Our receiving MTA said the From address was forged (DMARC failed)."""
    return any(
        name.lower() == "authentication-results" and _FAILED_AUTH.search(value)
        for name, value in message.headers
    )


def _find_ticket(
    message: InboundMessage, contact: Contact
) -> tuple[Ticket | None, Ticket | None, str]:
    """Return (ticket to add to, ticket to link a new one to, why).

    In order: a signed Message-ID of ours in In-Reply-To/References (proof the sender received
    our mail); the id of a message already on a ticket; the `[#1042]` subject token. The last
    two are only hints, so they count when the sender belongs to the ticket and was not caught
    forging their address; otherwise the message opens a new ticket linked to that one.
    """
    key = thread_key()
    ids = candidate_ids(message)
    for message_id in ids:
        reference = ticket_ref_from_message_id(message_id, key=key)
        if reference and reference.isdigit():
            ticket = _ticket(int(reference))
            if ticket is not None:
                return _usable(ticket, "signed reply")
    hint: Ticket | None = None
    known = (
        Entry.objects.filter(external_id__in=ids[:50])
        .exclude(external_id="")
        .values_list("chain__label", flat=True)
        .first()
        if ids
        else None
    )
    if known and known.isdigit():
        hint = _ticket(int(known))
        why = "references a message of the ticket"
    if hint is None:
        token = subject_ticket_ref(message.subject)
        if token and token.isdigit():
            hint = _ticket(int(token))
            why = "subject token"
    if hint is not None:
        if sender_belongs(message, _participants(hint)) and not sender_unverified(message):
            return _usable(hint, why)
        return None, hint, f"{why} from someone outside the ticket"
    related = _same_subject(message, contact)
    if related is not None:
        return None, related, "same subject as a recent ticket"
    return None, None, "new conversation"


def sender_belongs(message: InboundMessage, participants: set[str]) -> bool:
    """Whether the sender is on the ticket whose `participants` (see `_participants`) are given:
    by address, or through a mailing list the ticket's messages went through."""
    sender = message.sender.address.lower() if message.sender else ""
    mailing_list = mailing_list_of(message)
    return sender in participants or (
        bool(mailing_list)
        and (
            f"list:{mailing_list}" in participants
            # A list whose posting address the thread was sent to: "<netdev.vger.kernel.org>"
            # posts at netdev@vger.kernel.org.
            or mailing_list.replace(".", "@", 1) in participants
        )
    )


def _usable(ticket: Ticket, why: str) -> tuple[Ticket | None, Ticket | None, str]:
    if ticket.status == Status.CLOSED:
        return None, ticket, f"{why}, but the ticket is closed"
    return ticket, None, why


def _ticket(reference: int) -> Ticket | None:
    return (
        Ticket.objects.select_related("chain", "customer", "requester")
        .filter(reference=reference)
        .first()
    )


def _same_subject(message: InboundMessage, contact: Contact) -> Ticket | None:
    """A recent ticket of the same person with the same subject: "possibly related"."""
    subject = normalise_subject(message.subject)
    if len(subject) < 4:
        return None
    for ticket in Ticket.objects.filter(requester=contact).order_by("-updated_at")[:20]:
        if normalise_subject(ticket.subject) == subject:
            return ticket
    return None
