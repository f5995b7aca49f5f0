"""An order's timeline events, one function each, appended to the order's logbook chain.

Every entry is of kind EVENT with `data["event"]` naming what happened; amounts are integers
and dates ISO strings, because logbook data is canonical JSON (no floats).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from layan.agreements.models import Agreement, Order, OrderRequest
from layan.customers.models import Contact
from layan.logbook.bodies import utc_stamp
from layan.logbook.models import Direction, Entry, Kind
from layan.logbook.services import entry_append
from layan.team.models import User

ORDER_CREATED = "order_created"
ORDER_APPROVED = "order_approved"
VERSION_CREATED = "version_created"
VERSION_SENT = "version_sent"
VERSION_CONFIRMED = "version_confirmed"
CHANGES_REQUESTED = "changes_requested"
REQUEST_COUNTED = "request_counted"
CHANGE_REQUEST_ISSUED = "change_request_issued"
PROMISE_SET = "promise_set"
DELAY_NOTICE = "delay_notice"
ORDER_DELIVERED = "order_delivered"


def _event(
    order: Order,
    event: str,
    *,
    actor: User | None = None,
    contact: Contact | None = None,
    text: str = "",
    channel: str = "ui",
    direction: Direction = Direction.INTERNAL,
    data: dict[str, Any] | None = None,
) -> Entry:
    return entry_append(
        chain=order.chain,
        kind=Kind.EVENT,
        direction=direction,
        channel=channel,
        actor_user=actor,
        actor_contact=contact,
        text=text,
        data={"event": event, "order": order.number, **(data or {})},
    )


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def order_created(*, order: Order, actor: User | None) -> Entry:
    return _event(
        order,
        ORDER_CREATED,
        actor=actor,
        data={"customer": order.customer.name, "title": order.title, "status": order.status},
    )


def order_approved(*, order: Order, actor: User) -> Entry:
    return _event(order, ORDER_APPROVED, actor=actor)


def version_created(*, agreement: Agreement, actor: User | None) -> Entry:
    return _event(
        agreement.order,
        VERSION_CREATED,
        actor=actor,
        text=agreement.change_note,
        data={
            "version": agreement.version,
            "digest": agreement.digest,
            "price": agreement.price,
            "currency": agreement.currency,
            "deadline": _day(agreement.deadline),
            "revisions_allowed": agreement.revisions_allowed,
        },
    )


def version_sent(
    *, agreement: Agreement, actor: User | None, contact: Contact, expires_at: datetime
) -> Entry:
    return _event(
        agreement.order,
        VERSION_SENT,
        actor=actor,
        data={
            "version": agreement.version,
            "digest": agreement.digest,
            "to": contact.actor,
            "to_label": contact.name,
            "expires_at": utc_stamp(expires_at),
        },
    )


def version_confirmed(
    *, agreement: Agreement, contact: Contact, ip: str | None, user_agent: str
) -> Entry:
    return _event(
        agreement.order,
        VERSION_CONFIRMED,
        contact=contact,
        channel="portal",
        direction=Direction.IN,
        data={
            "version": agreement.version,
            "digest": agreement.digest,
            "ip": ip or "",
            "user_agent": user_agent,
        },
    )


def changes_requested(*, agreement: Agreement, contact: Contact, comment: str) -> Entry:
    return _event(
        agreement.order,
        CHANGES_REQUESTED,
        contact=contact,
        channel="portal",
        direction=Direction.IN,
        text=comment,
        data={"version": agreement.version, "digest": agreement.digest},
    )


def request_counted(*, request: OrderRequest, actor: User | None, phrases: list[str]) -> Entry:
    return _event(
        request.order,
        REQUEST_COUNTED,
        actor=actor,
        text=request.note,
        data={
            "ticket": request.ticket.reference,
            "kind": request.kind,
            "number": request.number,
            "allowed": request.allowed,
            "over_allowance": request.over_allowance,
            "phrases": phrases,
        },
    )


def change_request_issued(*, agreement: Agreement, actor: User | None, covers: list[int]) -> Entry:
    return _event(
        agreement.order,
        CHANGE_REQUEST_ISSUED,
        actor=actor,
        text=agreement.change_note,
        data={
            "version": agreement.version,
            "extra_price": agreement.extra_price,
            "price": agreement.price,
            "revisions_allowed": agreement.revisions_allowed,
            "tickets": covers,
        },
    )


def promise_set(*, order: Order, actor: User | None, old: date | None, new: date | None) -> Entry:
    return _event(order, PROMISE_SET, actor=actor, data={"from": _day(old), "to": _day(new)})


def delay_notice(
    *,
    order: Order,
    actor: User | None,
    old: date | None,
    new: date,
    reason: str,
    notice: str,
    summary: str,
    language: str,
) -> Entry:
    return _event(
        order,
        DELAY_NOTICE,
        actor=actor,
        text=notice,
        data={
            "from": _day(old),
            "to": _day(new),
            "reason": reason,
            "summary": summary,
            "language": language,
        },
    )


def order_delivered(*, order: Order, actor: User | None) -> Entry:
    return _event(
        order,
        ORDER_DELIVERED,
        actor=actor,
        data={
            "delivered_on": _day(order.delivered_on),
            "promised_on": _day(order.promised_on),
        },
    )
