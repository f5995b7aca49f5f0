"""Set-based intake for imports: the plain messages of a batch in a few statements per batch.

`receive` takes one message with some thirty statements, which suits mail arriving one at a
time and makes an archive of a million messages a matter of hours. `BulkIntake` takes the
plain cases of an import set-wise, under the same rules and with the same records, and hands
every other message to `receive`:

- a person's message (not a bounce, not an automatic reply, not our own mail coming back)
  that starts a conversation: it refers to no message known anywhere, carries no `[#1042]`
  token, and its sender, first seen in this import, has no earlier ticket of the same subject;
- a person's answer to a message of a ticket this import opened, from someone on that ticket.

Anything else (a known sender starting a conversation, a reply to a ticket from before the
import, a stranger replying, a duplicate, a parse failure) goes through `receive`, after the
writes pending so far are flushed, so it sees the database as if every message before it had
gone through `receive` as well. Tickets this import opened are re-read and locked at the start
of every batch; one that changed meanwhile (an agent resolved it, a live message arrived) is
left to `receive` from then on.

Records written here are the ones `receive` writes for the same message: the inbound record,
the contact with its address, an individual customer for a newcomer who opens a ticket, the
ticket, the "opened" and message entries in its logbook, the message's tone, and the ticket's
counters. A test imports one archive both ways and compares them.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from layan.channels.email.fingerprint import content_fingerprint
from layan.channels.email.threading import (
    candidate_ids,
    normalise_subject,
    subject_ticket_ref,
    ticket_ref_from_message_id,
)
from layan.channels.intake import (
    IntakeSession,
    data_participants,
    entry_data,
    entry_html,
    import_one,
    message_data,
    sender_belongs,
    sender_unverified,
    thread_key,
)
from layan.channels.models import InboundRecord, OutboundRecord, Outcome
from layan.channels.types import AutoKind, Channel, InboundMessage, ParseFailure
from layan.core import clock
from layan.core.blobs import blobs_put
from layan.core.counters import counter_take
from layan.core.identity import InvalidIdentity, identity_normalise
from layan.core.instances import instance_build
from layan.core.rows import rows_create, rows_insert, rows_update
from layan.customers.models import Contact, Customer, CustomerForm, Identity, Membership
from layan.customers.services import contact_name
from layan.insight.analysis import Analysis
from layan.logbook.chain import GENESIS
from layan.logbook.models import Chain, Direction, Entry, EntryAttachment, Kind
from layan.logbook.services import NewAttachment, entry_attachments, entry_prepare
from layan.tickets.models import Category, Priority, Status, Ticket, Tone
from layan.tickets.services import ticket_changed, ticket_subject
from layan.tickets.tone import tone_build

logger = logging.getLogger(__name__)

Message = InboundMessage | ParseFailure


@dataclass(eq=False)
class _Thread:
    """A ticket this import opened, as far as the fast path needs it."""

    ticket: Ticket
    chain: Chain
    participants: set[str]
    gone: bool = False  # someone else changed the ticket: `receive` takes its messages now


@dataclass(eq=False)
class _Plan:
    """One message the fast path takes: what to write for it at the next flush."""

    label: str
    message: InboundMessage
    fingerprint: str
    contact: Contact
    thread: _Thread
    opens: bool
    why: str
    occurred_at: datetime | None = None
    analysis: Analysis | None = None  # of the message's text, analysed ahead


# What the intake remembers of earlier batches, so that memory stays bounded on any archive:
# the most recent Message-IDs and senders. What it forgot goes through `receive`, which reads
# the database, so forgetting costs time, never correctness.
THREADS_KEPT = 20_000
CONTACTS_KEPT = 20_000


class _Recent[K, V](OrderedDict[K, V]):
    """A map of at most `limit` items that drops the least recently written first."""

    def __init__(self, limit: int, dropped: Callable[[V], None] | None = None) -> None:
        super().__init__()
        self.limit = limit
        self.dropped = dropped

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            _key, old = self.popitem(last=False)
            if self.dropped is not None:
                self.dropped(old)


@dataclass
class BulkIntake:
    """Take an import's batches; keep what later batches need to know about earlier ones."""

    session: IntakeSession
    # Message-IDs written by this import → the ticket they are on; and the same threads by
    # ticket, for as long as a Message-ID keeps them.
    threads: _Recent[str, _Thread] = field(default_factory=lambda: _Recent(THREADS_KEPT))
    by_ticket: weakref.WeakValueDictionary[int, _Thread] = field(
        default_factory=weakref.WeakValueDictionary
    )
    # Addresses (kind, normalised) → contact. The contact objects stay the same while they are
    # remembered, so the two maps below are keyed by `id(contact)`.
    contacts: _Recent[tuple[str, str], Contact] = field(init=False)
    # The contacts this import created → their individual customer (None until they open a
    # ticket), and the subjects (normalised) of the tickets they opened in this import.
    newcomers: dict[int, Customer | None] = field(default_factory=dict)
    subjects: dict[int, set[str]] = field(default_factory=dict)
    fast: int = 0
    slow: int = 0

    def __post_init__(self) -> None:
        self.contacts = _Recent(CONTACTS_KEPT, dropped=self._contact_dropped)

    def _contact_dropped(self, contact: Contact) -> None:
        # Read again later from the database, as someone known: `receive` takes their new
        # conversations.
        self.newcomers.pop(id(contact), None)
        self.subjects.pop(id(contact), None)

    def forget(self) -> None:
        """Drop everything learnt: after a batch was rolled back, none of it is certain."""
        self.threads.clear()
        self.by_ticket.clear()
        self.contacts.clear()
        self.newcomers.clear()
        self.subjects.clear()

    def take(
        self,
        batch: list[tuple[str, Message]],
        analyses: Sequence[Analysis | None] | None = None,
    ) -> list[Outcome]:
        """Take a batch of (label, message) inside the caller's transaction; return outcomes.

        `analyses` are the messages' texts analysed ahead (by `prepare`), where available."""
        # Nothing the batch itself needs is forgotten while it is taken.
        self.threads.limit = max(THREADS_KEPT, 4 * len(batch))
        self.contacts.limit = max(CONTACTS_KEPT, 4 * len(batch))
        now = clock.now()
        self._recheck_threads(batch)
        known_ids, recorded, outbound = self._prefetch(batch)
        self._prefetch_contacts(batch)
        outcomes: list[Outcome] = []
        pending: list[_Plan] = []
        seen: set[str] = set()
        for position, (label, message) in enumerate(batch):
            plan = self._plan(label, message, now, known_ids, recorded, outbound, seen)
            if plan is not None and analyses is not None:
                plan.analysis = analyses[position]
            if isinstance(message, InboundMessage) and message.external_id:
                seen.add(message.external_id)
            if plan is not None:
                # Later messages of the batch may answer this one: its thread knows it now.
                plan.thread.participants |= _participants_added(plan.message)
                self.threads[plan.message.external_id] = plan.thread
                pending.append(plan)
                outcomes.append(Outcome.NEW_TICKET if plan.opens else Outcome.THREADED)
                continue
            self._flush(pending, now)
            pending = []
            outcomes.append(self._slow(label, message, known_ids))
        self._flush(pending, now)
        logger.info(
            "intake_batch", extra={"messages": len(batch), "fast": self.fast, "slow": self.slow}
        )
        return outcomes

    # --- Reading ahead ------------------------------------------------------------------

    def _recheck_threads(self, batch: list[tuple[str, Message]]) -> None:
        """Re-read and lock the tickets of earlier batches this batch may answer; forget the
        ones someone else changed since (their messages go through `receive`)."""
        wanted: dict[int, _Thread] = {}
        for _label, message in batch:
            if isinstance(message, InboundMessage):
                for message_id in candidate_ids(message)[:50]:
                    thread = self._thread(message_id)
                    if thread is not None:
                        wanted[thread.ticket.pk] = thread
        if not wanted:
            return
        rows = {
            row["pk"]: row
            for row in Ticket.objects.select_for_update()
            .filter(pk__in=list(wanted))
            .values(
                "pk",
                "status",
                "message_count",
                "abusive",
                "chain__head_seq",
                "chain__head_hash",
            )
        }
        for pk, thread in wanted.items():
            row = rows.get(pk)
            if (
                row is None
                or row["status"] != Status.OPEN
                or row["message_count"] != thread.ticket.message_count
                or row["abusive"] != thread.ticket.abusive
                or row["chain__head_seq"] != thread.chain.head_seq
                or row["chain__head_hash"] != thread.chain.head_hash
            ):
                thread.gone = True

    def _thread(self, message_id: str) -> _Thread | None:
        """The ticket this import opened that holds `message_id`, while it is ours to add to."""
        thread = self.threads.get(message_id)
        return thread if thread is not None and not thread.gone else None

    def _prefetch(
        self, batch: list[tuple[str, Message]]
    ) -> tuple[set[str], set[tuple[str, str]], set[str]]:
        """Message-IDs the database knows on entries, records of these messages, and our own
        outgoing Message-IDs among them: three statements for the whole batch."""
        ids: set[str] = set()
        for _label, message in batch:
            if isinstance(message, InboundMessage):
                ids.update(i for i in candidate_ids(message)[:50] if self._thread(i) is None)
        known = set(
            Entry.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
            if ids
            else []
        )
        externals = {message.external_id for _label, message in batch if message.external_id}
        recorded = set(
            InboundRecord.objects.filter(
                channel=Channel.EMAIL, external_id__in=[e[:255] for e in externals]
            ).values_list("external_id", "content_sha256")
            if externals
            else []
        )
        outbound = set(
            OutboundRecord.objects.filter(message_id__in=externals).values_list(
                "message_id", flat=True
            )
            if externals
            else []
        )
        return known, recorded, outbound

    def _prefetch_contacts(self, batch: list[tuple[str, Message]]) -> None:
        wanted: set[str] = set()
        for _label, message in batch:
            key = _sender_key(message)
            if key is not None and key not in self.contacts:
                wanted.add(key[1])
        if not wanted:
            return
        for identity in Identity.objects.select_related("contact").filter(
            kind="email", value__in=wanted
        ):
            self.contacts[(identity.kind, identity.value)] = identity.contact

    # --- Deciding -----------------------------------------------------------------------

    def _plan(
        self,
        label: str,
        message: Message,
        now: datetime,
        known_ids: set[str],
        recorded: set[tuple[str, str]],
        outbound: set[str],
        seen: set[str],
    ) -> _Plan | None:
        """Return the fast path's plan for `message`, or None when `receive` must take it."""
        if not isinstance(message, InboundMessage) or message.channel != Channel.EMAIL:
            return None
        if message.auto != AutoKind.NONE or not message.external_id:
            return None
        if message.external_id in seen or message.external_id in self.threads:
            return None  # the same Message-ID again: `receive` decides whether it is a duplicate
        fingerprint = content_fingerprint(message.raw)
        if (message.external_id[:255], fingerprint) in recorded:
            return None
        key = thread_key()
        if ticket_ref_from_message_id(message.external_id, key=key):
            return None
        if message.external_id in outbound:
            return None
        sender_key = _sender_key(message)
        if sender_key is None or message.sender is None:
            return None
        sender = message.sender.address.lower()
        if sender in self.session.own:
            return None
        ids = candidate_ids(message)
        if any(ticket_ref_from_message_id(message_id, key=key) for message_id in ids):
            return None
        occurred_at = min(message.sent_at, now) if message.sent_at else None
        thread = next((t for i in ids[:50] if (t := self._thread(i)) is not None), None)
        if thread is not None:
            if not sender_belongs(message, thread.participants) or sender_unverified(message):
                return None
            contact = self._contact(sender_key, message)
            return _Plan(
                label,
                message,
                fingerprint,
                contact,
                thread,
                opens=False,
                why="references a message of the ticket",
                occurred_at=occurred_at,
            )
        if any(message_id in known_ids for message_id in ids[:50]):
            return None  # a ticket from before this import
        if subject_ticket_ref(message.subject):
            return None
        known = self.contacts.get(sender_key)
        if known is not None and id(known) not in self.newcomers:
            return None  # a known person: their customer and recent tickets live in the database
        subject = normalise_subject(message.subject)
        if known is not None and len(subject) >= 4 and subject in self.subjects.get(id(known), ()):
            return None  # "same subject as a recent ticket": `receive` links the two
        contact = self._contact(sender_key, message)
        return _Plan(
            label,
            message,
            fingerprint,
            contact,
            self._new_thread(message, contact, occurred_at or now),
            opens=True,
            why="new conversation",
            occurred_at=occurred_at,
        )

    def _contact(self, key: tuple[str, str], message: InboundMessage) -> Contact:
        """The sender's contact; a newcomer's is created (unsaved until the flush)."""
        contact = self.contacts.get(key)
        if contact is None:
            name = message.sender.name if message.sender else ""
            contact = instance_build(Contact, name=contact_name(name, key[1]))
            self.contacts[key] = contact
            self.newcomers[id(contact)] = None
        return contact

    def _new_thread(self, message: InboundMessage, contact: Contact, moment: datetime) -> _Thread:
        ticket = instance_build(
            Ticket,
            subject=ticket_subject(message.subject),
            requester=contact,
            priority=Priority.NORMAL,
            category=Category.QUESTION,
            stage="",
            channel=message.channel,
            created_at=moment,
            updated_at=moment,
        )
        normalised = normalise_subject(message.subject)
        self.subjects.setdefault(id(contact), set()).add(normalised)
        chain = instance_build(Chain, head_seq=0, head_hash=GENESIS)
        return _Thread(ticket=ticket, chain=chain, participants=set())

    # --- Writing ------------------------------------------------------------------------

    def _flush(self, plans: list[_Plan], now: datetime) -> None:
        """Write what the plans say, in order, with a handful of statements."""
        if not plans:
            return
        self._save_contacts(plans)
        self._save_customers(plans)
        opening = [plan for plan in plans if plan.opens]
        if opening:
            first = counter_take(
                "ticket", len(opening), start=settings.LAYAN_TICKET_REFERENCE_START
            )
            for offset, plan in enumerate(opening):
                plan.thread.chain.label = str(first + offset)
                plan.thread.ticket.reference = first + offset
            rows_create(Chain, [plan.thread.chain for plan in opening])
            for plan in opening:
                ticket = plan.thread.ticket
                ticket.chain = plan.thread.chain
                ticket.requester = plan.contact
                ticket.customer = self._customer_of(plan.contact)
            rows_create(Ticket, [plan.thread.ticket for plan in opening])
        raws = blobs_put(
            [plan.message.raw for plan in plans]
            + [a.payload for plan in plans for a in plan.message.attachments]
        )
        attachment_blobs = iter(raws[len(plans) :])
        records = [
            instance_build(
                InboundRecord,
                channel=Channel.EMAIL,
                external_id=plan.message.external_id[:255],
                content_sha256=plan.fingerprint,
                raw=raw,
                source=plan.label[:300],
                received_at=now,
                outcome=Outcome.NEW_TICKET if plan.opens else Outcome.THREADED,
                reason=plan.why,
                ticket=plan.thread.ticket,
                processed_at=now,
                attempts=1,
            )
            for plan, raw in zip(plans, raws[: len(plans)], strict=True)
        ]
        rows_create(InboundRecord, records)
        entries: list[Entry] = []
        attachments: list[EntryAttachment] = []
        tones: list[Tone] = []
        touched: dict[int, _Thread] = {}
        for plan, record, raw in zip(plans, records, raws[: len(plans)], strict=True):
            message, thread = plan.message, plan.thread
            ticket, chain = thread.ticket, thread.chain
            if plan.opens:
                entries.append(
                    entry_prepare(
                        chain=chain,
                        now=now,
                        kind=Kind.CREATED,
                        direction=Direction.INTERNAL,
                        channel=message.channel,
                        actor_contact=plan.contact,
                        occurred_at=ticket.created_at,
                        subject=ticket.subject,
                        data={"requester": plan.contact.actor, "customer": ticket.customer.name},
                    )
                )
            stored = [
                (
                    NewAttachment(a.filename, a.content_type, a.payload, a.inline, a.content_id),
                    next(attachment_blobs),
                )
                for a in message.attachments
            ]
            entry = entry_prepare(
                chain=chain,
                now=now,
                kind=Kind.MESSAGE,
                direction=Direction.IN,
                channel=message.channel,
                actor_contact=plan.contact,
                occurred_at=ticket.created_at if plan.opens else plan.occurred_at,
                subject=ticket.subject if plan.opens else message.subject,
                text=message.text,
                html=entry_html(message),
                raw_blob=raw,
                stored=stored,
                data=entry_data(message, record),
                external_id=message.external_id,
            )
            entries.append(entry)
            attachments += entry_attachments(entry, stored)
            record.entry = entry
            tone = tone_build(
                entry=entry,
                ticket=ticket,
                contact=plan.contact,
                text=message.text or (ticket.subject if plan.opens else message.subject),
                analysis=plan.analysis if message.text else None,
            )
            tones.append(tone)
            ticket.last_customer_message_at = entry.occurred_at
            ticket.updated_at = now
            ticket.message_count += 1
            ticket.anger = tone.anger
            ticket.abusive = ticket.abusive or tone.abusive
            touched[ticket.pk] = thread
            self.by_ticket[ticket.pk] = thread
        rows_create(Entry, entries)
        rows_insert(EntryAttachment, attachments)
        rows_insert(Tone, tones)
        rows_update(InboundRecord, ["entry"], records)
        rows_update(
            Ticket,
            ["last_customer_message_at", "updated_at", "message_count", "anger", "abusive"],
            [thread.ticket for thread in touched.values()],
        )
        for thread in touched.values():
            thread.chain.updated_at = now
        rows_update(
            Chain, ["head_seq", "head_hash", "updated_at"], [t.chain for t in touched.values()]
        )
        for pk in touched:
            ticket_changed(pk)
        self.fast += len(plans)

    def _save_contacts(self, plans: list[_Plan]) -> None:
        """The newcomers of these plans, with their addresses."""
        unsaved = {id(plan.contact): plan.contact for plan in plans if plan.contact.pk is None}
        if not unsaved:
            return
        rows_create(Contact, list(unsaved.values()))
        rows_insert(
            Identity,
            [
                instance_build(Identity, contact=contact, kind=key[0], value=key[1])
                for key, contact in self.contacts.items()
                if id(contact) in unsaved
            ],
        )

    def _save_customers(self, plans: list[_Plan]) -> None:
        """An individual customer for each newcomer who opens a ticket and has none yet."""
        wanted = {
            id(plan.contact): plan.contact
            for plan in plans
            if plan.opens and self.newcomers.get(id(plan.contact)) is None
        }
        if not wanted:
            return
        customers = {
            key: instance_build(Customer, name=contact.name, form=CustomerForm.INDIVIDUAL)
            for key, contact in wanted.items()
        }
        rows_create(Customer, list(customers.values()))
        rows_insert(
            Membership,
            [
                instance_build(Membership, contact=wanted[key], customer=customer, is_primary=True)
                for key, customer in customers.items()
            ],
        )
        self.newcomers.update(customers)

    def _customer_of(self, contact: Contact) -> Customer:
        customer = self.newcomers.get(id(contact))
        assert customer is not None, "a newcomer's customer is saved before their ticket"
        return customer

    # --- Everything else ----------------------------------------------------------------

    def _slow(self, label: str, message: Message, known_ids: set[str]) -> Outcome:
        """Take one message through `receive`, and keep what the fast path knows true."""
        self.slow += 1
        outcome, result = import_one(message, source=label, session=self.session)
        if isinstance(message, InboundMessage) and message.external_id:
            known_ids.add(message.external_id)  # later answers to it go through `receive` too
        if result is not None and result.ticket_id is not None:
            thread = self.by_ticket.get(result.ticket_id)
            if thread is not None:
                thread.gone = True  # its chain moved on in the database
        key = _sender_key(message)
        if key is not None:
            # `receive` may have created this sender's contact: read it from the database.
            old = self.contacts.pop(key, None)
            if old is not None and id(old) in self.newcomers:
                # A newcomer stays one; `receive` may have given them their customer.
                self.contacts[key] = old
                membership = (
                    Membership.objects.select_related("customer")
                    .filter(contact=old, is_primary=True)
                    .first()
                )
                self.newcomers[id(old)] = membership.customer if membership else None
                return outcome
            identity = Identity.objects.select_related("contact").filter(kind=key[0], value=key[1])
            found = identity.first()
            if found is not None:
                self.contacts[key] = found.contact
        return outcome


def _sender_key(message: Message) -> tuple[str, str] | None:
    if not isinstance(message, InboundMessage) or message.sender is None:
        return None
    if not message.sender.address or message.sender_kind != "email":
        return None
    try:
        return ("email", identity_normalise("email", message.sender.address))
    except InvalidIdentity:
        return None


def _participants_added(message: InboundMessage) -> set[str]:
    """What a message adds to its ticket's participants (see `intake._participants`): its
    sender, and what its entry data names."""
    sender = {message.sender.address.lower()} if message.sender else set()
    return sender | data_participants(message_data(message))
