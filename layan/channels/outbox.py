"""Every outgoing message goes through the outbox: composed once, queued in the transaction of
the reply it carries, then sent by a task that retries with back-off. A staff reply's mail is
composed before that transaction (`outbox_for_reply`), so the reply holds SQLite's one
writer's turn only to write its rows.

An SMTP outage loses nothing (the row waits) and sends nothing twice: a row is claimed with a
conditional UPDATE before sending, the bytes (and so the Message-ID) never change between
attempts, and recipients the server already accepted are not sent again.
"""

from __future__ import annotations

import logging
import random
import smtplib
import socket
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import override

from layan.channels import faults
from layan.channels.email.compose import compose_email
from layan.channels.email.threading import make_message_id, subject_with_ticket_ref
from layan.channels.models import Delivery, InboundRecord, OutboundRecord
from layan.channels.types import Address, Channel, OutboundMessage
from layan.core import clock
from layan.core.blobs import blob_prepare, blob_read, blob_rows_put
from layan.core.models import Blob
from layan.core.queueing import enqueue_with_commit
from layan.core.reads import PreparedRead, PreparedValues
from layan.core.rows import rows_create
from layan.customers.models import Identity
from layan.logbook.models import Direction, Entry, Kind
from layan.logbook.services import entry_append
from layan.team.models import User
from layan.tickets.models import Ticket

logger = logging.getLogger(__name__)

PERMANENT = "permanent"
TEMPORARY = "temporary"


def _sender(ticket: Ticket, actor: User | None) -> Address:
    """Mail comes from the team's inbox, named after the person who wrote it."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if ticket.team is not None and ticket.team.email:
        address = ticket.team.email
    site = settings.LAYAN_SITE_NAME
    display = f"{actor.name} · {site}" if actor is not None else (name or site)
    return Address(address=address.lower(), name=display)


# The requester's best mail address: asked for every reply (`layan.core.reads`).
_mail_identity = PreparedRead(
    lambda contact: Identity.objects.filter(contact_id=contact, kind="email").order_by(
        "-verified", "created_at"
    ),
    contact=int,
)


def _customer_address(ticket: Ticket) -> str:
    identity = _mail_identity.first(contact=ticket.requester_id)
    return identity.value if identity is not None else ""


# The thread's mail ids, read for every reply (`layan.core.reads`).
_mails_logged = PreparedValues(
    lambda chain: (
        Entry.objects.filter(chain_id=chain, channel=Channel.EMAIL)
        .exclude(external_id="")
        .order_by("seq")
        .values_list("kind", "external_id")
    ),
    chain=int,
)
_mails_sent = PreparedValues(
    lambda ticket: (
        OutboundRecord.objects.filter(ticket_id=ticket).order_by("pk").values_list("message_id")
    ),
    ticket=int,
)


def _thread_ids(ticket: Ticket) -> tuple[str, tuple[str, ...]]:
    """Return In-Reply-To (the customer's latest mail) and References (oldest first)."""
    mails = _mails_logged.rows(chain=ticket.chain_id)
    ids = [external_id for _kind, external_id in mails]
    ids += [message_id for (message_id,) in _mails_sent.rows(ticket=ticket.pk)]
    inbound = [external_id for kind, external_id in mails if kind == Kind.MESSAGE]
    return (inbound[-1] if inbound else ""), tuple(dict.fromkeys(ids))[-20:]


def _compose(
    *, ticket: Ticket, sender: Address, to: str, subject: str, text: str, auto_submitted: str = ""
) -> tuple[str, bytes]:
    """Return a new mail's Message-ID and bytes, threaded under what the ticket has sent and
    received so far."""
    in_reply_to, references = _thread_ids(ticket)
    message_id = make_message_id(
        ticket_ref=str(ticket.reference),
        key=settings.LAYAN_THREAD_KEY.encode(),
        domain=settings.LAYAN_MAIL_DOMAIN,
    )
    raw = compose_email(
        OutboundMessage(
            channel=Channel.EMAIL,
            to=(Address(address=to, name=ticket.requester.name),),
            subject=subject_with_ticket_ref(subject, str(ticket.reference)),
            text=text,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
            auto_submitted=auto_submitted,
        ),
        sender=sender,
        date=clock.now(),
        reply_to=Address(address=sender.address, name=settings.LAYAN_SITE_NAME),
    )
    return message_id, raw


def _record(
    *, ticket: Ticket, entry: Entry, sender: Address, to: str, message_id: str, raw: Blob
) -> OutboundRecord:
    """Write the outbox row of a composed mail, in the caller's transaction, and have it
    sent once that commits."""
    now = clock.now()
    blob_rows_put([raw])
    outbound = OutboundRecord(
        ticket=ticket,
        entry=entry,
        message_id=message_id,
        sender=sender.address,
        recipients=[to],
        raw=raw,
        next_attempt_at=now,
        created_at=now,
    )
    rows_create(OutboundRecord, [outbound])  # inside the reply's transaction: the quick writer
    from layan.channels.tasks import outbox_send_task

    enqueue_with_commit(outbox_send_task, outbound.pk)
    return outbound


def _queue(
    *,
    ticket: Ticket,
    entry: Entry,
    sender: Address,
    to: str,
    subject: str,
    text: str,
    auto_submitted: str = "",
) -> OutboundRecord:
    """Compose a mail and write its outbox row, both in the caller's transaction."""
    message_id, raw = _compose(
        ticket=ticket,
        sender=sender,
        to=to,
        subject=subject,
        text=text,
        auto_submitted=auto_submitted,
    )
    return _record(
        ticket=ticket,
        entry=entry,
        sender=sender,
        to=to,
        message_id=message_id,
        raw=blob_prepare(raw),
    )


def _reply_mail_parts(ticket: Ticket) -> tuple[object, ...]:
    """What a reply's mail is made from, of its ticket: its subject, number, requester and
    team (whose address it comes from)."""
    return (ticket.subject, ticket.reference, ticket.requester_id, ticket.team_id)


@dataclass(frozen=True)
class ReplyMail:
    """A staff reply's mail, composed before the reply's transaction (`outbox_for_reply`),
    and queued in it by `finish`."""

    parts: tuple[object, ...]
    thread_seq: int  # the chain's last entry when the mail was composed
    actor: User
    text: str
    to: str
    sender: Address
    message_id: str
    raw: Blob

    def finish(self, *, ticket: Ticket, entry: Entry) -> OutboundRecord | None:
        """Queue the mail with the reply `entry`, in the reply's transaction. `ticket` is
        the ticket as the transaction holds it. If the ticket changed in the meantime
        (renamed, moved to another team, another requester) or its chain did (a customer's
        mail came in, another reply went out: `entry` is not the next after the one the mail
        was threaded under), the mail is made again here, to the requester's address now
        (none: no mail), with threading headers that name every mail before it, as when it
        was always made here."""
        moved = entry.seq != self.thread_seq + 1
        if moved or _reply_mail_parts(ticket) != self.parts:
            to = _customer_address(ticket)
            if not to:
                return None
            return _queue(**_reply_mail(ticket, self.actor, self.text, to), entry=entry)
        return _record(
            ticket=ticket,
            entry=entry,
            sender=self.sender,
            to=self.to,
            message_id=self.message_id,
            raw=self.raw,
        )


def _reply_mail(ticket: Ticket, actor: User, text: str, to: str) -> dict[str, Any]:
    footer = f"\n\n-- \n{actor.name}\n{settings.LAYAN_SITE_NAME} · {ticket.ref}"
    return {
        "ticket": ticket,
        "sender": _sender(ticket, actor),
        "to": to,
        "subject": f"Re: {ticket.subject}",
        "text": text + footer,
    }


def outbox_for_reply(*, ticket: Ticket, actor: User, text: str) -> ReplyMail | None:
    """Compose a staff reply's mail when the customer can be reached by mail, before the
    reply's transaction; the reply queues it (`ReplyMail.finish`) with its entry.

    A handler of LAYAN_REPLY_HANDLERS: `ticket` as it was read before the transaction, with
    its requester, team and chain. Whatever is slow (reading the thread's mail ids, composing,
    storing the bytes) is done here, not while the reply holds the writer's turn.
    """
    to = _customer_address(ticket)
    if not to:
        return None
    thread_seq = ticket.chain.head_seq  # read before the thread's mail ids: see `finish`
    mail = _reply_mail(ticket, actor, text, to)
    message_id, raw = _compose(**mail)
    return ReplyMail(
        parts=_reply_mail_parts(ticket),
        thread_seq=thread_seq,
        actor=actor,
        text=text,
        to=to,
        sender=mail["sender"],
        message_id=message_id,
        raw=blob_prepare(raw),
    )


def acknowledgement_send(*, record_id: int) -> OutboundRecord | None:
    """Tell a person who opened a ticket by mail that it arrived, and its number.

    Never to our own addresses or machines (the intake decides), and at most
    LAYAN_ACK_LIMIT_PER_DAY per address a day, so two auto-responders cannot loop. The
    acknowledgement is itself logged before it is sent, and marked Auto-Submitted.
    """
    record = InboundRecord.objects.select_related("ticket__chain", "ticket__requester").get(
        pk=record_id
    )
    ticket = record.ticket
    if ticket is None:
        return None
    to = _customer_address(ticket)
    since = clock.now() - timedelta(days=1)
    recent = OutboundRecord.objects.filter(
        entry__kind=Kind.EVENT, created_at__gte=since, ticket__requester=ticket.requester
    )
    if not to or recent.count() >= settings.LAYAN_ACK_LIMIT_PER_DAY:
        return None
    language = ticket.requester.language or "id"
    with override(language):
        subject = _("We received your message")
        text = _(
            "Hello %(name)s,\n\nThank you for writing to us. Your message is recorded as "
            "ticket %(ref)s and a member of our team will answer you. Please keep %(ref)s in "
            "the subject when you write about this again.\n\n%(site)s"
        ) % {
            "name": ticket.requester.address_name or ticket.requester.name,
            "ref": ticket.ref,
            "site": settings.LAYAN_SITE_NAME,
        }
    entry = entry_append(
        chain=ticket.chain,
        kind=Kind.EVENT,
        direction=Direction.OUT,
        channel=Channel.EMAIL,
        subject=subject,
        text=text,
        data={"event": "acknowledgement"},
    )
    return _queue(
        ticket=ticket,
        entry=entry,
        sender=_sender(ticket, None),
        to=to,
        subject=subject,
        text=text,
        auto_submitted="auto-replied",
    )


def survey_send(*, ticket: Ticket) -> OutboundRecord | None:
    """Ask the customer how we did, once per resolution, by mail with a tokenised link.

    Only soon after the resolution (a ticket resolved long ago, or imported, is not surveyed)
    and only to a requester we can mail. The mail is logged, then queued, Auto-Submitted.
    """
    from layan.tickets.satisfaction import survey_create

    to = _customer_address(ticket)
    if not to or ticket.resolved_at is None:
        return None
    if clock.now() - ticket.resolved_at > timedelta(days=1):
        return None
    created = survey_create(ticket=ticket)
    if created is None:
        return None
    survey, token = created
    link = f"{settings.LAYAN_BASE_URL.rstrip('/')}/rate/{token}/"
    language = ticket.requester.language or "id"
    owner = ticket.owner.name if ticket.owner else settings.LAYAN_SITE_NAME
    with override(language):
        subject = _("How did we do?")
        text = _(
            "Hello %(name)s,\n\nYour ticket %(ref)s was resolved. Would you tell us how we did? "
            "It takes half a minute, no login needed:\n\n%(link)s\n\n"
            "Your contact: %(owner)s\n%(site)s"
        ) % {
            "name": ticket.requester.address_name or ticket.requester.name,
            "ref": ticket.ref,
            "link": link,
            "owner": owner,
            "site": settings.LAYAN_SITE_NAME,
        }
    # The link is a secret: the logbook keeps the message without it.
    logged = text.replace(link, f"{settings.LAYAN_BASE_URL.rstrip('/')}/rate/…/")
    entry = entry_append(
        chain=ticket.chain,
        kind=Kind.EVENT,
        direction=Direction.OUT,
        channel=Channel.EMAIL,
        subject=subject,
        text=logged,
        data={"event": "survey", "survey": survey.pk},
    )
    return _queue(
        ticket=ticket,
        entry=entry,
        sender=_sender(ticket, ticket.owner),
        to=to,
        subject=subject,
        text=text,
        auto_submitted="auto-generated",
    )


def _backoff(attempts: int) -> timedelta:
    """Exponential back-off with jitter: about 1, 2, 4 ... minutes, capped at 2 hours."""
    base = min(60 * 2 ** max(attempts - 1, 0), 7200)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311 - timing jitter


def _smtp_send(sender: str, recipients: list[str], raw: bytes) -> dict[str, tuple[int, bytes]]:
    """Hand the bytes to the SMTP server; return the refused recipients (code, text)."""
    options: dict[str, Any] = settings.MAILERS["default"].get("OPTIONS", {})
    connection = smtplib.SMTP(
        options.get("host", "127.0.0.1"),
        options.get("port", 25),
        timeout=options.get("timeout", 30),
    )
    try:
        if options.get("use_tls"):
            connection.starttls()
        if options.get("username"):
            connection.login(options["username"], options.get("password", ""))
        refused: dict[str, tuple[int, bytes]] = connection.sendmail(sender, recipients, raw)
        return refused
    finally:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def _classify(error: BaseException) -> tuple[str, str]:
    """Decide whether a failure is worth retrying, and describe it without secrets."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        kind = PERMANENT if codes and all(code >= 500 for code in codes) else TEMPORARY
        return kind, "all recipients refused: " + ", ".join(
            f"{address} {code}" for address, (code, _t) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        kind = PERMANENT if error.smtp_code >= 500 else TEMPORARY
        text = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return kind, f"{error.smtp_code} {text}"[:300]
    if isinstance(error, (smtplib.SMTPException, OSError, socket.timeout)):
        return TEMPORARY, f"{type(error).__name__}: {error}"[:300]
    raise error


def outbox_send(outbound_id: int) -> str:
    """Send one queued message if it is due; return its status afterwards. Safe to run twice."""
    now = clock.now()
    claimed = OutboundRecord.objects.filter(
        Q(status=Delivery.QUEUED) | Q(status=Delivery.SENDING),
        pk=outbound_id,
        next_attempt_at__lte=now,
    ).update(
        status=Delivery.SENDING,
        # A lease: if this worker dies mid-send, the sweep retries after it expires.
        next_attempt_at=now + timedelta(minutes=10),
    )
    outbound = OutboundRecord.objects.select_related("ticket__chain").get(pk=outbound_id)
    if not claimed:
        return str(outbound.status)
    OutboundRecord.objects.filter(pk=outbound_id).update(attempts=outbound.attempts + 1)
    outbound.attempts += 1
    pending = [r for r in outbound.recipients if outbound.recipient_status.get(r) != "sent"]
    try:
        faults.point("outbox.before_send")
        refused = _smtp_send(outbound.sender, pending, blob_read(outbound.raw_id))
        faults.point("outbox.after_send")
    except faults.InjectedFault:
        raise
    except Exception as error:
        kind, detail = _classify(error)
        return _failed_attempt(outbound, kind, detail)
    status = dict(outbound.recipient_status)
    for address in pending:
        if address in refused:
            code, text = refused[address]
            status[address] = f"refused {code} {text.decode('utf-8', 'replace')}"[:200]
        else:
            status[address] = "sent"
    temporary = [a for a in pending if a in refused and refused[a][0] < 500]
    if temporary:
        OutboundRecord.objects.filter(pk=outbound_id).update(recipient_status=status)
        outbound.recipient_status = status
        return _failed_attempt(outbound, TEMPORARY, f"refused for now: {', '.join(temporary)}")
    delivered = [a for a, s in status.items() if s == "sent"]
    final = Delivery.SENT if delivered else Delivery.FAILED
    with transaction.atomic():
        OutboundRecord.objects.filter(pk=outbound_id).update(
            status=final, recipient_status=status, sent_at=clock.now(), last_error=""
        )
        entry_append(
            chain=outbound.ticket.chain,
            kind=Kind.DELIVERY,
            direction=Direction.INTERNAL,
            channel=outbound.channel,
            data={
                "message_id": outbound.message_id,
                "status": str(final),
                "recipients": status,
                "of_entry": outbound.entry.seq,
            },
        )
    logger.info("outbox_sent", extra={"outbound": outbound_id, "status": final})
    return str(final)


def _failed_attempt(outbound: OutboundRecord, kind: str, detail: str) -> str:
    now = clock.now()
    if kind == PERMANENT or outbound.attempts >= settings.LAYAN_OUTBOX_MAX_ATTEMPTS:
        with transaction.atomic():
            OutboundRecord.objects.filter(pk=outbound.pk).update(
                status=Delivery.FAILED, last_error=detail
            )
            entry_append(
                chain=outbound.ticket.chain,
                kind=Kind.DELIVERY,
                direction=Direction.INTERNAL,
                channel=outbound.channel,
                data={
                    "message_id": outbound.message_id,
                    "status": str(Delivery.FAILED),
                    "error": detail,
                    "of_entry": outbound.entry.seq,
                },
            )
        logger.warning("outbox_failed", extra={"outbound": outbound.pk, "error": detail})
        return str(Delivery.FAILED)
    OutboundRecord.objects.filter(pk=outbound.pk).update(
        status=Delivery.QUEUED,
        next_attempt_at=now + _backoff(outbound.attempts),
        last_error=detail,
    )
    logger.info("outbox_retry", extra={"outbound": outbound.pk, "error": detail})
    return str(Delivery.QUEUED)


def outbound_bounced(
    *, outbound: OutboundRecord, kind: str, recipients: list[str], detail: str
) -> Entry:
    """Record that mail we sent came back; the reply shows "bounced" to staff."""
    if kind == "bounce":
        OutboundRecord.objects.filter(pk=outbound.pk).update(status=Delivery.BOUNCED)
    return entry_append(
        chain=outbound.ticket.chain,
        kind=Kind.DELIVERY,
        direction=Direction.INTERNAL,
        channel=outbound.channel,
        data={
            "message_id": outbound.message_id,
            "status": "bounced" if kind == "bounce" else kind,
            "recipients": recipients[:20],
            "detail": detail[:300],
            "of_entry": outbound.entry.seq,
        },
    )


def outbox_due(*, limit: int = 500) -> list[int]:
    """Return ids of messages waiting to be sent (queued, or a lease that expired)."""
    return list(
        OutboundRecord.objects.filter(
            status__in=[Delivery.QUEUED, Delivery.SENDING], next_attempt_at__lte=clock.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
