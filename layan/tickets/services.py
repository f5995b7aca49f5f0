"""Writes on tickets. Each service is one transaction and records what it did in the logbook."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from layan.core import clock
from layan.core.counters import counter_next
from layan.core.instances import instance_build
from layan.core.queueing import enqueue_with_commit
from layan.core.reads import PreparedRead
from layan.core.rows import RowsAhead, rows_create, rows_update
from layan.customers.models import Contact, Customer
from layan.insight.analysis import Analysis, analyze
from layan.knowledge.models import ChecklistItem, Fault, Stage
from layan.logbook import events
from layan.logbook.models import Direction, Entry, Kind
from layan.logbook.services import (
    Draft,
    EntryFields,
    NewAttachment,
    chain_open,
    chain_writes,
    draft_stored,
    entry_append,
    entry_draft,
    entry_redact,
)
from layan.team.models import Role, Team, User
from layan.tickets.models import (
    DONE_STATUSES,
    Category,
    ChecklistTick,
    Priority,
    StageSpell,
    Status,
    Tag,
    Ticket,
    Tone,
)
from layan.tickets.tone import tone_build, tone_marks

logger = logging.getLogger(__name__)

STAFF_OWNER_ROLES = (Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER, Role.AGENT)


class TicketConflict(Exception):
    """The ticket changed since the form was loaded; the caller shows the current state."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(f"ticket {ticket.reference} is at version {ticket.version}")
        self.ticket = ticket


_quiet: ContextVar[bool] = ContextVar("layan_quiet_changes", default=False)


@contextmanager
def changes_quiet() -> Iterator[None]:
    """Replay history without follow-up work (the demo): no tasks, so no mail, no scans.

    The caller computes what the tasks would have (SLA states, temperaments) itself.
    """
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


_batched: ContextVar[set[int] | None] = ContextVar("layan_batched_changes", default=None)
CHANGES_PER_TASK = 200  # tickets handed to one follow-up task by `changes_batched`


@contextmanager
def changes_batched() -> Iterator[None]:
    """Let the followers of tickets know once per ticket for a run of writes (an import).

    Wrap the run's transaction in it: the tickets the run touches are collected, and when the
    block ends without an error, each ticket that still exists gets its follow-up work once,
    after the commit, instead of once per message: one task per slice of `CHANGES_PER_TASK`
    tickets, which runs every follower (`tickets_changed_task`).
    """
    touched: set[int] = set()
    token = _batched.set(touched)
    try:
        yield
    finally:
        _batched.reset(token)
    # Only reached without an error. Tickets opened by a message that was rolled back are gone.
    ids = list(Ticket.objects.filter(pk__in=touched).order_by("pk").values_list("pk", flat=True))
    _follow_ups_queue(ids)


def ticket_changed(ticket_id: int) -> None:
    """Let the apps that follow tickets (SLA, insight) know, for what the transaction commits.
    Every write on a ticket calls it: these services, and an import's set-wise intake.

    The tasks are named in settings (LAYAN_TICKET_CHANGE_TASKS), so this app, which sits
    below them, never imports them.
    """
    if _quiet.get():
        return
    touched = _batched.get()
    if touched is not None:
        touched.add(ticket_id)
        return
    _follow_ups_queue([ticket_id])


def _follow_ups_queue(ids: list[int]) -> None:
    """Queue the follow-up work of `ids` with the commit (`enqueue_with_commit`): one task per
    slice of `CHANGES_PER_TASK` tickets, which runs every follower, so a change costs one queue
    write and an import's worker spends its time on the work, not on thousands of queue rows."""
    if not ids or not settings.LAYAN_TICKET_CHANGE_TASKS:  # nothing touched, or no followers
        return
    from layan.tickets.tasks import tickets_changed_task

    for start in range(0, len(ids), CHANGES_PER_TASK):
        enqueue_with_commit(tickets_changed_task, ids[start : start + CHANGES_PER_TASK])


def _require_writer(actor: User | None) -> None:
    if actor is not None and not actor.can_write:
        raise PermissionDenied(_("Your role can read tickets but not change them."))


def ticket_open(
    *,
    actor: User | None,
    customer: Customer,
    requester: Contact,
    subject: str,
    text: str = "",
    html: str = "",
    channel: str = "ui",
    priority: str = Priority.NORMAL,
    category: str = Category.QUESTION,
    team: Team | None = None,
    owner: User | None = None,
    occurred_at: datetime | None = None,
    raw: bytes | None = None,
    attachments: Sequence[NewAttachment] = (),
    external_id: str = "",
    data: dict[str, Any] | None = None,
) -> tuple[Ticket, Entry | None]:
    """Open a ticket with its first customer message and return both.

    `actor` is the member of staff who logged it (a phone call, a walk-in), or None when the
    customer wrote in themselves.
    """
    _require_writer(actor)
    subject = ticket_subject(subject)
    moment = occurred_at or clock.now()
    message = bool(text or html or attachments or raw is not None)
    # What needs no row of the database is made before the transaction: on SQLite it holds
    # the one writer's turn, and every other write waits for it (the text's analysis, the
    # rows, the entries' content digests). Inside: the reference, the chain, the hashes.
    analysis = analyze(text or subject) if message else None
    ticket = instance_build(
        Ticket,
        subject=subject,
        customer=customer,
        requester=requester,
        owner=owner,
        team=team,
        priority=priority,
        category=category,
        stage=Stage.LISTEN if category == Category.COMPLAINT else "",
        channel=channel,
        created_at=moment,
        updated_at=moment,
    )
    now = clock.now()
    opened = events.ticket_opened_draft(
        now=now,
        actor=actor,
        requester=requester,
        channel=channel,
        subject=subject,
        customer_label=customer.name,
        occurred_at=moment,
    )
    spell = None
    if ticket.stage:
        spell = StageSpell(ticket=ticket, stage=ticket.stage, entered_at=moment, entered_by=actor)
    entry = tone = None
    if analysis is not None:
        # What the first message marks on the ticket goes in with the ticket.
        ticket.anger, ticket.abusive = tone_marks(analysis)
        ticket.last_customer_message_at, ticket.message_count = moment, 1
        ticket.updated_at = now
        entry = entry_draft(
            now=now,
            **_message_fields(
                contact=requester,
                logged_by=actor,
                subject=subject,
                text=text,
                html=html,
                channel=channel,
                occurred_at=moment,
                external_id=external_id,
                data=data,
            ),
        )
        tone = tone_build(
            entry=entry, ticket=ticket, contact=requester, text=text or subject, analysis=analysis
        )
    # Their values too: inside, only the reference and the keys it gives are prepared.
    tickets_ahead = RowsAhead(Ticket, [ticket])
    entries_ahead = RowsAhead(Entry, [opened] if entry is None else [opened, entry])
    spells = [spell] if spell is not None else []
    tones = [tone] if tone is not None else []
    spells_ahead, tones_ahead = RowsAhead(StageSpell, spells), RowsAhead(Tone, tones)
    with transaction.atomic():
        reference = counter_next("ticket", start=settings.LAYAN_TICKET_REFERENCE_START)
        drafts = [Draft(opened)]
        if entry is not None:
            drafts.append(draft_stored(entry, raw=raw, attachments=attachments))
        with chain_open(label=str(reference), drafts=drafts, ahead=entries_ahead) as chain:
            ticket.reference, ticket.chain = reference, chain
            rows_create(Ticket, [ticket], ahead=tickets_ahead)
        rows_create(StageSpell, spells, ahead=spells_ahead)
        rows_create(Tone, tones, ahead=tones_ahead)
        if owner is not None:
            with chain_writes(chain, locked=True):
                events.owner_changed(chain=chain, actor=actor, channel=channel, old=None, new=owner)
        ticket_changed(ticket.pk)
    logger.info("ticket_opened", extra={"ticket": reference, "channel": channel})
    return ticket, entry


def ticket_subject(subject: str) -> str:
    """A ticket's subject as given: whitespace collapsed, at most 300 characters, never empty."""
    return " ".join(subject.split())[:300] or _("(no subject)")


def _customer_message(
    *,
    ticket: Ticket,
    analysis: Analysis,
    fields: EntryFields,
    raw: bytes | None,
    attachments: Sequence[NewAttachment],
) -> Entry:
    """Store a customer's message (`_message_fields`) on `ticket` with its tone; the caller
    marks the ticket (`tone_marks`)."""
    entry = entry_append(chain=ticket.chain, raw=raw, attachments=attachments, **fields)
    tone = tone_build(
        entry=entry,
        ticket=ticket,
        contact=fields.get("actor_contact"),
        text=fields.get("text") or fields.get("subject", ""),
        analysis=analysis,
    )
    rows_create(Tone, [tone])
    return entry


def _message_fields(
    *,
    contact: Contact,
    logged_by: User | None,
    subject: str,
    text: str,
    html: str,
    channel: str,
    occurred_at: datetime,
    external_id: str,
    data: dict[str, Any] | None,
) -> EntryFields:
    """What a customer's message entry says: who wrote it, who logged it for them, and when."""
    extra = dict(data or {})
    if logged_by is not None:
        extra["logged_by"] = logged_by.actor
    return {
        "kind": Kind.MESSAGE,
        "direction": Direction.IN,
        "channel": channel,
        "actor_contact": contact,
        "occurred_at": occurred_at,
        "subject": subject,
        "text": text,
        "html": html,
        "data": extra,
        "external_id": external_id,
    }


def ticket_message_add(
    *,
    ticket: Ticket,
    contact: Contact,
    text: str,
    html: str = "",
    subject: str = "",
    channel: str = "ui",
    occurred_at: datetime | None = None,
    raw: bytes | None = None,
    attachments: Sequence[NewAttachment] = (),
    external_id: str = "",
    logged_by: User | None = None,
    data: dict[str, Any] | None = None,
    reopen: bool = True,
) -> Entry:
    """Add a customer's message to an existing ticket; a resolved ticket opens again.

    `reopen=False` records a message without moving the ticket (an out-of-office answer).
    """
    _require_writer(logged_by)
    analysis = analyze(text or subject)  # before the transaction, as in `ticket_open`
    occurred_at = occurred_at or clock.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
        with chain_writes(locked.chain, locked=True):
            fields = _message_fields(
                contact=contact,
                logged_by=logged_by,
                subject=subject,
                text=text,
                html=html,
                channel=channel,
                occurred_at=occurred_at,
                external_id=external_id,
                data=data,
            )
            entry = _customer_message(
                ticket=locked, analysis=analysis, fields=fields, raw=raw, attachments=attachments
            )
            # The ticket shows the anger of the latest message; abusive language, once seen,
            # stays.
            anger, abusive = tone_marks(analysis)
            Ticket.objects.filter(pk=locked.pk).update(
                last_customer_message_at=occurred_at,
                updated_at=clock.now(),
                message_count=F("message_count") + 1,
                anger=anger,
                **({"abusive": True} if abusive else {}),
            )
            if reopen and locked.status not in (Status.OPEN, Status.CLOSED):
                # A customer's word puts the ball back in our court, and reopens a resolved ticket.
                _set_fields(locked, actor=None, channel=channel, status=Status.OPEN)
        ticket_changed(locked.pk)
    ticket.refresh_from_db()
    return entry


# Of the requester, a reply and its mail need the name: not the notes, nor the temperament
# and its history, read twice per reply otherwise (on SQLite each column read is also a
# release of Python's lock, ADR 0023).
_REQUESTER_UNREAD = (
    "requester__notes",
    "requester__job_title",
    "requester__created_at",
    "requester__updated_at",
    *(
        f"requester__{field.name}"
        for field in Contact._meta.concrete_fields
        if field.name.startswith("temperament")
    ),
)

# A ticket as a reply and its mail are drafted from, before its transaction (`ticket_reply`).
_ticket_seen = PreparedRead(
    lambda pk: (
        Ticket.objects.select_related("requester", "team", "chain")
        .defer(*_REQUESTER_UNREAD)
        .filter(pk=pk)
    ),
    pk=int,
)

# A reply locks its ticket with what the outbox reads: the requester's name and the team's
# inbox. Only the ticket and its chain are locked (PostgreSQL locks no row of an outer join's
# side). Built once: every reply asks it (`layan.core.reads`).
_ticket_for_reply = PreparedRead(
    lambda pk: (
        Ticket.objects.select_for_update(of=("self", "chain"))
        .select_related("chain", "requester", "team")
        .defer(*_REQUESTER_UNREAD)
        .filter(pk=pk)
    ),
    pk=int,
)


def ticket_reply(
    *,
    ticket: Ticket,
    actor: User,
    text: str,
    html: str = "",
    channel: str = "ui",
    attachments: Sequence[NewAttachment] = (),
    status: str | None = None,
    version: int | None = None,
    data: dict[str, Any] | None = None,
    deliver: bool = True,
) -> Entry:
    """Record a public reply to the customer (sending it is the outbox's job).

    `deliver=False` records a reply that was already given elsewhere (imported history, the
    demo), so nothing is sent.

    Replies never conflict with each other: two agents replying at once both land, in logbook
    order. Only the optional status change is checked against `version`.
    """
    _require_writer(actor)
    text = text.strip()
    if not text and not attachments:
        raise ValidationError(_("A reply needs some text."))
    # Made before the transaction, from the ticket as it stands now: the entry's content and
    # digest, and what the handlers prepare (the mail, composed and stored). The transaction
    # then holds the writer's turn only for the rows; what the ticket changed meanwhile (its
    # subject) is drafted again inside.
    seen = _ticket_seen.one(pk=ticket.pk)
    if seen is None:
        raise Ticket.DoesNotExist(f"Ticket {ticket.pk} is gone.")
    fields: EntryFields = {
        "kind": Kind.REPLY,
        "direction": Direction.OUT,
        "channel": channel,
        "actor_user": actor,
        "text": text,
        "html": html,
        "data": data,
        "subject": seen.subject,
    }
    drafted = entry_draft(now=clock.now(), **fields)
    entry_ahead = RowsAhead(Entry, [drafted])
    handlers = [import_string(path) for path in settings.LAYAN_REPLY_HANDLERS] if deliver else []
    finishers = [handler(ticket=seen, actor=actor, text=text) for handler in handlers]
    with transaction.atomic():
        locked = _ticket_for_reply.one(pk=ticket.pk)
        if locked is None:
            raise Ticket.DoesNotExist(f"Ticket {ticket.pk} is gone.")
        renamed = locked.subject != seen.subject
        if renamed:
            fields["subject"] = locked.subject
        with chain_writes(locked.chain, locked=True):
            now = clock.now()
            entry = entry_append(
                chain=locked.chain,
                drafted=None if renamed else drafted,
                ahead=entry_ahead,
                attachments=attachments,
                **fields,
            )
            for finisher in finishers:
                # In the same transaction: a reply and its outbox row exist together or not at all.
                if finisher is not None:
                    finisher.finish(ticket=locked, entry=entry)
            updates: dict[str, Any] = {"last_reply_at": now, "updated_at": now}
            if locked.first_response_at is None:
                updates["first_response_at"] = now
            for name, value in updates.items():
                setattr(locked, name, value)
            rows_update(Ticket, list(updates), [locked])
            if status and status != locked.status:
                if version is not None and version != locked.version:
                    raise TicketConflict(locked)
                _set_fields(locked, actor=actor, channel=channel, status=status)
        ticket_changed(locked.pk)
    if status:
        ticket.refresh_from_db()
    else:  # `locked` holds every column as it now stands: no second read
        for field in Ticket._meta.concrete_fields:
            setattr(ticket, field.attname, getattr(locked, field.attname))
    return entry


def message_redact(*, entry: Entry, actor: User, reason: str) -> Entry:
    """Erase an entry's content (`entry_redact`) and the words its tone quoted from it (abuse
    terms, urgency cues), together; return the redaction record. The tone's scores stay:
    they hold no words of the message."""
    with transaction.atomic():
        record = entry_redact(entry=entry, actor=actor, reason=reason)
        Tone.objects.filter(entry=entry).update(abuse_terms=[], urgency_cues=[])
    return record


def ticket_note_add(*, ticket: Ticket, actor: User, text: str, channel: str = "ui") -> Entry:
    """Add an internal note: staff see it, the customer never does."""
    _require_writer(actor)
    text = text.strip()
    if not text:
        raise ValidationError(_("A note needs some text."))
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
        entry = events.note_added(chain=locked.chain, actor=actor, channel=channel, text=text)
        Ticket.objects.filter(pk=locked.pk).update(updated_at=clock.now())
    ticket.refresh_from_db()
    return entry


_UNSET: Any = object()


def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    version: int,
    status: str = _UNSET,
    priority: str = _UNSET,
    category: str = _UNSET,
    owner: User | None = _UNSET,
    team: Team | None = _UNSET,
    customer: Customer = _UNSET,
    handover_note: str = "",
    channel: str = "ui",
) -> Ticket:
    """Change ticket fields if nobody else changed the ticket since `version`.

    Raises `TicketConflict` when the ticket moved on; the caller shows the newer state.
    """
    _require_writer(actor)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
        if locked.version != version:
            raise TicketConflict(locked)
        with chain_writes(locked.chain, locked=True):
            changes = {
                name: value
                for name, value in {
                    "status": status,
                    "priority": priority,
                    "category": category,
                    "owner": owner,
                    "team": team,
                    "customer": customer,
                }.items()
                if value is not _UNSET
            }
            _set_fields(
                locked, actor=actor, channel=channel, handover_note=handover_note, **changes
            )
        ticket_changed(locked.pk)
    return locked


def _set_fields(
    ticket: Ticket, *, actor: User | None, channel: str, handover_note: str = "", **changes: Any
) -> None:
    """Apply `changes` to a locked ticket, log each real change, and bump the version."""
    now = clock.now()
    updates: dict[str, Any] = {}
    chain = ticket.chain
    category = changes.get("category", ticket.category)
    if (
        "status" in changes
        and changes["status"] in DONE_STATUSES
        and category == Category.COMPLAINT
        and not ticket.fault
    ):
        raise ValidationError(
            _(
                "Assess the fault before resolving a complaint: it decides whether we apologise "
                "or stand by our rules."
            )
        )
    if "status" in changes and changes["status"] != ticket.status:
        new = Status(changes["status"])
        events.status_changed(chain=chain, actor=actor, channel=channel, old=ticket.status, new=new)
        updates["status"] = new
        if new == Status.RESOLVED:
            updates["resolved_at"] = now
        elif new == Status.CLOSED:
            updates["closed_at"] = now
            if ticket.resolved_at is None:
                updates["resolved_at"] = now
        else:
            updates["resolved_at"] = None
            updates["closed_at"] = None
    if "priority" in changes and changes["priority"] != ticket.priority:
        new_priority = Priority(changes["priority"])
        events.priority_changed(
            chain=chain, actor=actor, channel=channel, old=ticket.priority, new=new_priority
        )
        updates["priority"] = new_priority
    if "category" in changes and changes["category"] != ticket.category:
        new_category = Category(changes["category"])
        events.category_changed(
            chain=chain, actor=actor, channel=channel, old=ticket.category, new=new_category
        )
        updates["category"] = new_category
        if new_category == Category.COMPLAINT and not ticket.stage:
            events.stage_changed(chain=chain, actor=actor, old="", new=Stage.LISTEN)
            _stage_enter(ticket=ticket, stage=Stage.LISTEN, actor=actor, at=now)
            updates["stage"] = Stage.LISTEN
    if "owner" in changes and changes["owner"] != ticket.owner:
        new_owner: User | None = changes["owner"]
        if new_owner is not None and (
            not new_owner.is_active or new_owner.role not in STAFF_OWNER_ROLES
        ):
            raise ValidationError(_("%(name)s cannot own tickets.") % {"name": new_owner.name})
        if ticket.owner is not None and new_owner is not None and not handover_note.strip():
            raise ValidationError(
                _(
                    "Write a handover note for %(name)s: what the customer needs, what was "
                    "promised, what to watch."
                )
                % {"name": new_owner.name}
            )
        # The new owner reads the note before anything else on the ticket.
        updates["handover_pending"] = bool(ticket.owner is not None and new_owner is not None)
        events.owner_changed(
            chain=chain,
            actor=actor,
            channel=channel,
            old=ticket.owner,
            new=new_owner,
            note=handover_note.strip(),
        )
        updates["owner"] = new_owner
    if "team" in changes and changes["team"] != ticket.team:
        new_team: Team | None = changes["team"]
        events.team_changed(
            chain=chain,
            actor=actor,
            channel=channel,
            old=str(ticket.team_id or ""),
            new=str(new_team.pk if new_team else ""),
            old_label=ticket.team.name if ticket.team else "",
            new_label=new_team.name if new_team else "",
        )
        updates["team"] = new_team
    if "customer" in changes and changes["customer"] != ticket.customer:
        new_customer: Customer = changes["customer"]
        events.customer_changed(
            chain=chain,
            actor=actor,
            channel=channel,
            old=str(ticket.customer_id),
            new=str(new_customer.pk),
            old_label=ticket.customer.name,
            new_label=new_customer.name,
        )
        updates["customer"] = new_customer
    if not updates:
        return
    updates["updated_at"] = now
    updates["version"] = ticket.version + 1
    Ticket.objects.filter(pk=ticket.pk).update(**updates)
    for name, value in updates.items():
        setattr(ticket, name, value)


def ticket_take(*, ticket: Ticket, actor: User) -> bool:
    """Make `actor` the owner if the ticket has none; return whether they got it.

    A conditional UPDATE decides, so when two agents click at once exactly one wins.
    """
    _require_writer(actor)
    if actor.role not in STAFF_OWNER_ROLES:
        raise PermissionDenied(_("Your role cannot own tickets."))
    with transaction.atomic():
        now = clock.now()
        won = Ticket.objects.filter(pk=ticket.pk, owner__isnull=True).update(
            owner=actor, updated_at=now, version=F("version") + 1
        )
        if won:
            locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
            events.owner_changed(chain=locked.chain, actor=actor, channel="ui", old=None, new=actor)
            ticket_changed(locked.pk)
    ticket.refresh_from_db()
    return bool(won)


def ticket_tags_set(*, ticket: Ticket, actor: User, names: Sequence[str]) -> list[str]:
    """Replace the ticket's tags with `names` (normalised to lower-case slugs)."""
    _require_writer(actor)
    wanted = sorted({_tag_name(name) for name in names if _tag_name(name)})
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
        current = set(locked.tags.values_list("name", flat=True))
        added = [name for name in wanted if name not in current]
        removed = sorted(current - set(wanted))
        if not added and not removed:
            return wanted
        tags = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
        locked.tags.set(tags)
        events.tags_changed(
            chain=locked.chain, actor=actor, channel="ui", added=added, removed=removed
        )
        Ticket.objects.filter(pk=locked.pk).update(updated_at=clock.now())
    return wanted


def _tag_name(name: str) -> str:
    cleaned = "-".join(name.strip().lower().replace("#", " ").split())
    return cleaned[:50]


# --- The complaint playbook -------------------------------------------------------------------

PLAYBOOK = list(Stage)
NEEDS_FAULT = (Stage.RESOLVE, Stage.RECONCILE)


def ticket_stage_set(*, ticket: Ticket, actor: User, stage: str) -> Ticket:
    """Move a complaint to a playbook stage; Resolve and Reconcile need the fault assessed."""
    _require_writer(actor)
    new = Stage(stage)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
        if locked.category != Category.COMPLAINT:
            raise ValidationError(_("Only complaints follow the playbook."))
        if new in NEEDS_FAULT and not locked.fault:
            raise ValidationError(
                _("Assess the fault first: it decides whether Resolve apologises or advocates.")
            )
        if new == locked.stage:
            return locked
        events.stage_changed(chain=locked.chain, actor=actor, old=locked.stage, new=new)
        now = clock.now()
        _stage_enter(ticket=locked, stage=new, actor=actor, at=now)
        Ticket.objects.filter(pk=locked.pk).update(
            stage=new, updated_at=now, version=F("version") + 1
        )
        ticket_changed(locked.pk)
    ticket.refresh_from_db()
    return ticket


def _stage_enter(*, ticket: Ticket, stage: str, actor: User | None, at: datetime) -> None:
    """End the complaint's current stage spell and start the next (the reports' read model)."""
    StageSpell.objects.filter(ticket=ticket, left_at__isnull=True).update(left_at=at)
    StageSpell.objects.create(ticket=ticket, stage=stage, entered_at=at, entered_by=actor)


def ticket_fault_assess(*, ticket: Ticket, actor: User, fault: str, note: str = "") -> Ticket:
    """Record whose fault it was, with the reasoning (shown to staff, kept in the logbook)."""
    _require_writer(actor)
    new = Fault(fault)
    note = note.strip()
    if new != Fault.UNDETERMINED and not note:
        raise ValidationError(_("Say briefly why: the assessment is evidence later."))
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
        events.fault_assessed(chain=locked.chain, actor=actor, old=locked.fault, new=new, note=note)
        Ticket.objects.filter(pk=locked.pk).update(
            fault=new, updated_at=clock.now(), version=F("version") + 1
        )
        ticket_changed(locked.pk)
    ticket.refresh_from_db()
    return ticket


def ticket_handover_read(*, ticket: Ticket, actor: User) -> None:
    """The new owner has read the handover note: the ticket opens normally from now on."""
    if ticket.owner_id != actor.pk or not ticket.handover_pending:
        return
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
        if locked.handover_pending:
            events.handover_read(chain=locked.chain, actor=actor)
            Ticket.objects.filter(pk=locked.pk).update(handover_pending=False)
    ticket.refresh_from_db()


def ticket_question_tick(*, ticket: Ticket, actor: User, item: ChecklistItem, asked: bool) -> None:
    """Tick (or untick) a question of the category's checklist; each tick is in the logbook."""
    _require_writer(actor)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("chain").get(pk=ticket.pk)
        exists = ChecklistTick.objects.filter(ticket=locked, item=item).exists()
        if asked == exists:
            return
        if asked:
            ChecklistTick.objects.create(
                ticket=locked, item=item, ticked_by=actor, ticked_at=clock.now()
            )
        else:
            ChecklistTick.objects.filter(ticket=locked, item=item).delete()
        events.question_asked(chain=locked.chain, actor=actor, question=item.text_id, asked=asked)
