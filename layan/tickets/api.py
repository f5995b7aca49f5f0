"""Tickets over HTTP: the same queries and services as the pages, as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from layan.customers.queries import contact_for, customer_for, membership_for
from layan.logbook.models import Entry
from layan.team.auth import api_user
from layan.team.models import Team, User
from layan.tickets import services
from layan.tickets.models import Category, Priority, Status, Ticket
from layan.tickets.queries import (
    STATUS_GROUPS,
    InboxFilters,
    assignable_owners,
    inbox_for,
    ticket_for,
    ticket_key_for,
    ticket_timeline_fields,
)

router = Router()


class Named(Schema):
    id: int
    name: str


class TicketOut(Schema):
    reference: int
    subject: str
    status: Status
    priority: Priority
    category: Category
    channel: str
    customer: Named
    requester: Named
    owner: Named | None
    team: Named | None
    version: int
    anger: float
    created_at: datetime
    updated_at: datetime


class EntryOut(Schema):
    seq: int
    kind: str
    direction: str
    channel: str
    actor: str
    occurred_at: datetime
    subject: str
    text: str
    redacted: bool


class TicketDetail(TicketOut):
    entries: list[EntryOut]


class TicketPage(Schema):
    items: list[TicketOut]
    next: str


class TicketCreate(Schema):
    customer_id: int
    requester_id: int
    subject: str
    text: str
    category: Category = Category.QUESTION
    priority: Priority = Priority.NORMAL
    team_id: int | None = None


class TextIn(Schema):
    text: str


class ReplyIn(Schema):
    text: str
    status: Status | None = None
    version: int | None = None


class TicketPatch(Schema):
    version: int
    status: Status | None = None
    priority: Priority | None = None
    category: Category | None = None
    owner_id: int | None = None
    team_id: int | None = None
    handover_note: str = ""


def _named(item: Any) -> Named | None:
    return Named(id=item.pk, name=item.name) if item is not None else None


def _ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "channel": ticket.channel,
        "customer": _named(ticket.customer),
        "requester": _named(ticket.requester),
        "owner": _named(ticket.owner),
        "team": _named(ticket.team),
        "version": ticket.version,
        "anger": round(ticket.anger, 3),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def _entry_fields_out(fields: dict[str, Any]) -> EntryOut:
    return EntryOut(**{**fields, "text": "" if fields["redacted"] else fields["text"]})


def _entry_out(entry: Entry) -> EntryOut:
    return EntryOut(
        seq=entry.seq,
        kind=entry.kind,
        direction=entry.direction,
        channel=entry.channel,
        actor=entry.actor,
        occurred_at=entry.occurred_at,
        subject=entry.subject,
        text="" if entry.redacted else entry.text,
        redacted=entry.redacted,
    )


@router.get(
    "",
    response=TicketPage,
    summary="Tickets you may see: newest activity first, soonest due, or angriest first",
)
def ticket_list(
    request: HttpRequest,
    status: str = "",
    owner: str = "",
    q: str = "",
    mood: Literal["", "angry", "abusive"] = "",
    sort: Literal["activity", "due", "anger"] = "activity",
    after: str = "",
    limit: int = 50,
) -> dict[str, Any]:
    user = api_user(request)
    filters = InboxFilters(
        status=status if status in STATUS_GROUPS else "",
        owner=owner if owner in ("me", "none") or owner.isdigit() else "",
        mood=mood,
        q=q[:200],
        sort=sort,
    )
    page = inbox_for(user, filters, cursor=after, page_size=max(1, min(limit, 200)))
    return {"items": [_ticket_out(t) for t in page.tickets], "next": page.next_cursor}


@router.post("", response={201: TicketOut}, summary="Open a ticket for a customer")
def ticket_create(request: HttpRequest, payload: TicketCreate) -> Answer[dict[str, Any]]:
    user = api_user(request)
    membership = membership_for(user, payload.customer_id, payload.requester_id)
    if membership is None:
        customer_for(user, payload.customer_id)  # 404 for a customer they may not see
        contact_for(user, payload.requester_id)  # 404 for a contact they may not see
        raise HttpError(422, "The requester does not belong to that customer.")
    customer, requester = membership.customer, membership.contact
    team = Team.objects.filter(pk=payload.team_id).first() if payload.team_id else None
    ticket, _entry = services.ticket_open(
        actor=user,
        customer=customer,
        requester=requester,
        subject=payload.subject,
        text=payload.text,
        category=payload.category,
        priority=payload.priority,
        team=team,
        channel="api",
    )
    return Answer(201, _ticket_out(ticket))


@router.get("/{reference}", response=TicketDetail, summary="A ticket and its timeline")
def ticket_detail(request: HttpRequest, reference: int) -> dict[str, Any]:
    ticket = ticket_for(api_user(request), reference)
    return {
        **_ticket_out(ticket),
        "entries": [_entry_fields_out(fields) for fields in ticket_timeline_fields(ticket)],
    }


@router.post("/{reference}/replies", response={201: EntryOut}, summary="Reply to the customer")
def ticket_reply(request: HttpRequest, reference: int, payload: ReplyIn) -> Answer[EntryOut]:
    user = api_user(request)
    ticket = ticket_key_for(user, reference)
    try:
        entry = services.ticket_reply(
            ticket=ticket,
            actor=user,
            text=payload.text,
            status=payload.status,
            version=payload.version,
            channel="api",
        )
    except services.TicketConflict as conflict:
        raise HttpError(409, f"The ticket is at version {conflict.ticket.version}.") from None
    return Answer(201, _entry_out(entry))


@router.post("/{reference}/notes", response={201: EntryOut}, summary="Add an internal note")
def ticket_note(request: HttpRequest, reference: int, payload: TextIn) -> Answer[EntryOut]:
    user = api_user(request)
    ticket = ticket_key_for(user, reference)
    return Answer(
        201,
        _entry_out(
            services.ticket_note_add(ticket=ticket, actor=user, text=payload.text, channel="api")
        ),
    )


@router.patch(
    "/{reference}", response={200: TicketOut, 409: TicketOut}, summary="Change ticket fields"
)
def ticket_update(
    request: HttpRequest, reference: int, payload: TicketPatch
) -> Answer[dict[str, Any]]:
    """Send the `version` you read; if someone changed the ticket since, the answer is 409 with
    the ticket as it is now."""
    user = api_user(request)
    ticket = ticket_for(user, reference)
    changes: dict[str, Any] = {}
    fields = payload.model_fields_set
    for name in ("status", "priority", "category"):
        if name in fields and getattr(payload, name) is not None:
            changes[name] = getattr(payload, name)
    if "owner_id" in fields:
        owner: User | None = None
        if payload.owner_id is not None:
            owner = assignable_owners().filter(pk=payload.owner_id).first()
            if owner is None:
                raise HttpError(422, "No such owner.")
        changes["owner"] = owner
    if "team_id" in fields:
        changes["team"] = (
            Team.objects.filter(pk=payload.team_id).first() if payload.team_id else None
        )
    try:
        updated = services.ticket_update(
            ticket=ticket,
            actor=user,
            version=payload.version,
            handover_note=payload.handover_note,
            channel="api",
            **changes,
        )
    except services.TicketConflict as conflict:
        return Answer(409, _ticket_out(ticket_for(user, conflict.ticket.reference)))
    return Answer(200, _ticket_out(ticket_for(user, updated.reference)))
