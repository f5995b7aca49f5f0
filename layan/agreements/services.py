"""Writes on deals, orders, agreement versions, revision counts, revenue, targets and verdicts.

Each service is one transaction. Every agreement event is also an entry in the order's own
logbook chain, written in the same transaction as the change it records.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _

from layan.agreements import events
from layan.agreements.content import agreement_content, content_digest
from layan.agreements.models import (
    Acceptance,
    Agreement,
    AgreementAttachment,
    AgreementStatus,
    Deal,
    DealMove,
    Invoice,
    Order,
    OrderRequest,
    OrderStatus,
    RequestKind,
    Revenue,
    Stage,
    Target,
    Verdict,
    VerdictChoice,
)
from layan.agreements.notices import DelayNotice, delay_notice_compose
from layan.agreements.permissions import (
    can_approve,
    can_link_requests,
    can_set_targets,
    require_manage,
)
from layan.agreements.queries import Suggestion, agreement_current, verdict_current
from layan.core import clock
from layan.core.blobs import blob_put
from layan.core.counters import counter_next
from layan.core.html import sanitize_html
from layan.customers.models import Contact, Customer, Membership
from layan.logbook.services import NewAttachment, chain_create
from layan.team.models import Role, User

logger = logging.getLogger(__name__)

ORDER_NUMBER_START = 1001
LINK_DAYS = 14
MAX_ATTACHMENTS = 10


class AgreementFrozen(ValidationError):
    """The version was sent or confirmed; its content can no longer change."""


class AgreementNotOpen(Exception):
    """The version cannot be confirmed or answered any more (the link is dead)."""


# --- Pipeline ---------------------------------------------------------------------------------


def deal_create(
    *,
    actor: User | None,
    customer: Customer,
    title: str,
    value: int = 0,
    contact: Contact | None = None,
    stage: str = Stage.LEAD,
) -> Deal:
    require_manage(actor, customer)
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": _("A deal needs a title.")})
    if stage not in (Stage.LEAD, Stage.PITCHING, Stage.NEGOTIATING):
        raise ValidationError({"stage": _("A new deal starts open; win or lose it afterwards.")})
    _require_member(contact, customer)
    now = clock.now()
    with transaction.atomic():
        deal = Deal.objects.create(
            customer=customer,
            contact=contact,
            title=title[:200],
            value=max(0, int(value)),
            stage=stage,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        DealMove.objects.create(deal=deal, from_stage="", to_stage=stage, actor=actor, at=now)
    return deal


def deal_move(*, actor: User | None, deal: Deal, stage: str, reason: str = "") -> Deal:
    """Move `deal` to `stage`; a lost deal needs the reason it was lost."""
    require_manage(actor, deal.customer)
    if stage not in Stage.values:
        raise ValidationError({"stage": _("Unknown stage.")})
    reason = " ".join(reason.split())[:500]
    if stage == Stage.LOST and not reason:
        raise ValidationError({"reason": _("Say why the deal was lost.")})
    with transaction.atomic():
        locked = Deal.objects.select_for_update().get(pk=deal.pk)
        if locked.stage == stage:
            return locked
        now = clock.now()
        DealMove.objects.create(
            deal=locked, from_stage=locked.stage, to_stage=stage, reason=reason, actor=actor, at=now
        )
        locked.stage = stage
        locked.lost_reason = reason if stage == Stage.LOST else ""
        locked.closed_at = now if stage in (Stage.WON, Stage.LOST) else None
        locked.updated_at = now
        locked.save(update_fields=["stage", "lost_reason", "closed_at", "updated_at"])
    logger.info("deal_moved", extra={"deal": deal.pk, "stage": stage})
    return locked


def _require_member(contact: Contact | None, customer: Customer) -> None:
    if (
        contact is not None
        and not Membership.objects.filter(contact=contact, customer=customer).exists()
    ):
        raise ValidationError({"contact": _("This contact does not belong to that customer.")})


# --- Orders -----------------------------------------------------------------------------------


def order_create(
    *,
    actor: User | None,
    customer: Customer,
    contact: Contact,
    title: str,
    deal: Deal | None = None,
    promised_on: date | None = None,
) -> Order:
    """Open an order with its own logbook chain.

    When the customer's current verdict asks for a manager's approval, an order opened by
    anyone else waits for it: no agreement can be sent until a manager approves.
    """
    require_manage(actor, customer)
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": _("An order needs a title.")})
    _require_member(contact, customer)
    if deal is not None and deal.customer_id != customer.pk:
        raise ValidationError({"deal": _("This deal belongs to another customer.")})
    verdict = verdict_current(customer)
    needs_approval = (
        verdict is not None and verdict.verdict == VerdictChoice.BAD and verdict.requires_approval
    )
    approved = needs_approval and actor is not None and can_approve(actor)
    now = clock.now()
    with transaction.atomic():
        number = counter_next("order", start=ORDER_NUMBER_START)
        order = Order.objects.create(
            number=number,
            customer=customer,
            contact=contact,
            deal=deal,
            title=title[:200],
            status=OrderStatus.PENDING_APPROVAL
            if needs_approval and not approved
            else OrderStatus.OPEN,
            promised_on=promised_on,
            chain=chain_create(label=f"order-{number}"),
            created_by=actor,
            approved_by=actor if approved else None,
            created_at=now,
            updated_at=now,
        )
        events.order_created(order=order, actor=actor)
        if approved and actor is not None:
            events.order_approved(order=order, actor=actor)
        if promised_on is not None:
            events.promise_set(order=order, actor=actor, old=None, new=promised_on)
    logger.info("order_created", extra={"order": number, "status": order.status})
    return order


def order_approve(*, actor: User, order: Order) -> Order:
    if not can_approve(actor):
        raise PermissionDenied(_("Only a manager can approve this order."))
    with transaction.atomic():
        locked = _order_locked(order)
        if locked.status != OrderStatus.PENDING_APPROVAL:
            return locked
        _order_save(locked, status=OrderStatus.OPEN, approved_by=actor)
        events.order_approved(order=locked, actor=actor)
    return locked


def order_promise(*, actor: User | None, order: Order, promised_on: date | None) -> Order:
    """Set the delivery date promised to the customer (a later move is a delay notice)."""
    require_manage(actor, order.customer)
    with transaction.atomic():
        locked = _order_locked(order)
        if locked.promised_on == promised_on:
            return locked
        old = locked.promised_on
        _order_save(locked, promised_on=promised_on)
        events.promise_set(order=locked, actor=actor, old=old, new=promised_on)
    return locked


def order_delay(
    *, actor: User | None, order: Order, new_date: date, reason: str, language: str
) -> DelayNotice:
    """Move the promised date, and record the notice and summary composed for the customer."""
    require_manage(actor, order.customer)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": _("Explain the reason for the delay.")})
    with transaction.atomic():
        locked = _order_locked(order)
        if locked.status in (OrderStatus.DELIVERED, OrderStatus.CANCELLED):
            raise ValidationError(_("This order is closed."))
        notice = delay_notice_compose(
            order=locked, new_date=new_date, reason=reason, language=language, sender=actor
        )
        old = locked.promised_on
        _order_save(locked, promised_on=new_date)
        events.delay_notice(
            order=locked,
            actor=actor,
            old=old,
            new=new_date,
            reason=reason,
            notice=notice.notice,
            summary=notice.summary,
            language=notice.language,
        )
    return notice


def order_deliver(*, actor: User | None, order: Order, delivered_on: date | None = None) -> Order:
    require_manage(actor, order.customer)
    with transaction.atomic():
        locked = _order_locked(order)
        if locked.status != OrderStatus.OPEN:
            raise ValidationError(_("Only an order in progress can be delivered."))
        _order_save(
            locked,
            status=OrderStatus.DELIVERED,
            delivered_on=delivered_on or timezone.localdate(clock.now()),
        )
        events.order_delivered(order=locked, actor=actor)
    return locked


def _order_locked(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer", "contact", "chain")
        .get(pk=order.pk)
    )


def _order_save(order: Order, **changes: Any) -> None:
    changes["updated_at"] = clock.now()
    for name, value in changes.items():
        setattr(order, name, value)
    order.save(update_fields=list(changes))


# --- Agreement versions -----------------------------------------------------------------------


_MARKUP = re.compile(r"</?(?:p|br|div|span|ul|ol|li|b|strong|i|em|u|a|h[1-6]|table|tr|td)\b", re.I)


def spec_clean(spec: str) -> str:
    """Return the spec as safe HTML; plain text keeps its paragraphs and line breaks."""
    spec = spec.strip()
    if not _MARKUP.search(spec):
        spec = linebreaks(spec, autoescape=True)
    return sanitize_html(spec)


def agreement_create(
    *,
    actor: User | None,
    order: Order,
    spec: str,
    price: int,
    revisions_allowed: int,
    currency: str = "IDR",
    deadline: date | None = None,
    terms: str = "",
    change_note: str = "",
    extra_price: int = 0,
    attachments: Sequence[NewAttachment] = (),
    keep_attachments_of: Agreement | None = None,
) -> Agreement:
    """Write a new draft version of the order's agreement (the next version number)."""
    require_manage(actor, order.customer)
    _check_terms(price=price, revisions_allowed=revisions_allowed, currency=currency)
    kept = list(keep_attachments_of.attachments.all()) if keep_attachments_of else []
    if len(kept) + len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("At most %(n)s files per version.") % {"n": MAX_ATTACHMENTS}}
        )
    with transaction.atomic():
        locked = _order_locked(order)
        if locked.status == OrderStatus.CANCELLED:
            raise ValidationError(_("This order is cancelled."))
        number = (locked.agreements.aggregate(top=Max("version"))["top"] or 0) + 1
        agreement = Agreement(
            order=locked,
            version=number,
            spec_html=spec_clean(spec),
            price=int(price),
            currency=currency.upper(),
            deadline=deadline,
            revisions_allowed=revisions_allowed,
            terms=terms.strip(),
            change_note=change_note.strip(),
            extra_price=int(extra_price),
            created_by=actor,
            created_at=clock.now(),
        )
        agreement.save()
        position = 0
        for item in kept:
            AgreementAttachment.objects.create(
                agreement=agreement,
                position=position,
                blob_id=item.blob_id,
                filename=item.filename,
                content_type=item.content_type,
            )
            position += 1
        _attachments_add(agreement, attachments, start=position)
        agreement.digest = agreement_digest(agreement)
        agreement.save(update_fields=["digest"])
        events.version_created(agreement=agreement, actor=actor)
        _order_save(locked)
    return agreement


def agreement_update(
    *,
    actor: User | None,
    agreement: Agreement,
    spec: str,
    price: int,
    revisions_allowed: int,
    currency: str = "IDR",
    deadline: date | None = None,
    terms: str = "",
    change_note: str = "",
    attachments: Sequence[NewAttachment] = (),
) -> Agreement:
    """Change a draft version; a sent or confirmed version is frozen (make a new version)."""
    require_manage(actor, agreement.order.customer)
    _check_terms(price=price, revisions_allowed=revisions_allowed, currency=currency)
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.is_frozen:
            raise AgreementFrozen(
                _("Version %(v)s was already sent; changes need a new version.")
                % {"v": locked.version}
            )
        count = locked.attachments.count()
        if count + len(attachments) > MAX_ATTACHMENTS:
            raise ValidationError(
                {"attachments": _("At most %(n)s files per version.") % {"n": MAX_ATTACHMENTS}}
            )
        locked.spec_html = spec_clean(spec)
        locked.price = int(price)
        locked.currency = currency.upper()
        locked.deadline = deadline
        locked.revisions_allowed = revisions_allowed
        locked.terms = terms.strip()
        locked.change_note = change_note.strip()
        _attachments_add(locked, attachments, start=count)
        locked.digest = agreement_digest(locked)
        locked.save()
    return locked


def _check_terms(*, price: int, revisions_allowed: int, currency: str) -> None:
    errors: dict[str, str] = {}
    if int(price) < 0:
        errors["price"] = _("The price cannot be negative.")
    if not 0 <= int(revisions_allowed) <= 100:
        errors["revisions_allowed"] = _("Between 0 and 100 revisions.")
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = _("A three-letter currency code, such as IDR.")
    if errors:
        raise ValidationError(errors)


def _attachments_add(agreement: Agreement, files: Sequence[NewAttachment], *, start: int) -> None:
    limit = settings.LAYAN_MAX_ATTACHMENT_BYTES
    for offset, item in enumerate(files):
        if len(item.payload) > limit:
            raise ValidationError(
                {"attachments": _("%(name)s is too large.") % {"name": item.filename}}
            )
        name = PurePath(item.filename.replace("\\", "/")).name.strip() or "lampiran"
        AgreementAttachment.objects.create(
            agreement=agreement,
            position=start + offset,
            blob=blob_put(item.payload),
            filename=name[:255],
            content_type=(item.content_type or "application/octet-stream")[:127],
        )


def agreement_digest(agreement: Agreement) -> str:
    """Return the SHA-256 of the version's canonical content as it is stored now."""
    files = [(item.blob_id, item.filename) for item in agreement.attachments.order_by("position")]
    return content_digest(
        agreement_content(
            order=agreement.order.number,
            version=agreement.version,
            spec_html=agreement.spec_html,
            price=agreement.price,
            currency=agreement.currency,
            deadline=agreement.deadline,
            revisions_allowed=agreement.revisions_allowed,
            terms=agreement.terms,
            attachments=files,
        )
    )


def agreement_send(
    *,
    actor: User | None,
    agreement: Agreement,
    contact: Contact | None = None,
    days_valid: int = LINK_DAYS,
) -> Agreement:
    """Freeze the version and open a signed link for the contact to confirm it.

    Sending again renews the link and kills the previous one. Any other version still
    waiting for an answer is superseded, so the customer can only confirm the newest offer.
    """
    order = agreement.order
    require_manage(actor, order.customer)
    with transaction.atomic():
        locked_order = _order_locked(order)
        if locked_order.status == OrderStatus.PENDING_APPROVAL:
            raise PermissionDenied(_("This order waits for a manager's approval."))
        if locked_order.status != OrderStatus.OPEN:
            raise ValidationError(_("Only an order in progress can get a new agreement."))
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status not in (AgreementStatus.DRAFT, AgreementStatus.SENT):
            raise AgreementNotOpen(locked.status)
        if agreement_digest(locked) != locked.digest:
            raise ValidationError(_("The stored version does not match its digest."))
        recipient = contact or locked.sent_to or locked_order.contact
        _require_member(recipient, locked_order.customer)
        now = clock.now()
        expires = (now + timedelta(days=days_valid)).replace(microsecond=0)
        Agreement.objects.filter(order=locked_order, status=AgreementStatus.SENT).exclude(
            pk=locked.pk
        ).update(status=AgreementStatus.SUPERSEDED)
        locked.status = AgreementStatus.SENT
        locked.sent_at = now
        locked.sent_to = recipient
        locked.link_expires_at = expires
        locked.save(update_fields=["status", "sent_at", "sent_to", "link_expires_at"])
        locked.order = locked_order
        events.version_sent(agreement=locked, actor=actor, contact=recipient, expires_at=expires)
        _order_save(locked_order)
    return locked


def agreement_confirm(*, agreement: Agreement, ip: str | None, user_agent: str) -> Acceptance:
    """Record the contact's confirmation of exactly this version (called from a signed link)."""
    with transaction.atomic():
        order = _order_locked(agreement.order)
        locked = (
            Agreement.objects.select_for_update(of=("self",))
            .select_related("sent_to")
            .get(pk=agreement.pk)
        )
        if locked.status != AgreementStatus.SENT or locked.sent_to is None:
            raise AgreementNotOpen(locked.status)
        locked.order = order
        digest = agreement_digest(locked)
        if digest != locked.digest:
            raise AgreementNotOpen("content changed")
        entry = events.version_confirmed(
            agreement=locked, contact=locked.sent_to, ip=ip, user_agent=user_agent[:400]
        )
        acceptance = Acceptance.objects.create(
            agreement=locked,
            contact=locked.sent_to,
            at=clock.now(),
            ip=ip,
            user_agent=user_agent[:400],
            digest=digest,
            entry=entry,
        )
        Agreement.objects.filter(pk=locked.pk).update(status=AgreementStatus.CONFIRMED)
        locked.status = AgreementStatus.CONFIRMED
        _order_save(order)
    logger.info("agreement_confirmed", extra={"order": order.number, "version": locked.version})
    return acceptance


def agreement_changes_request(*, agreement: Agreement, comment: str) -> Agreement:
    """Record that the contact asked for changes instead of confirming."""
    comment = comment.strip()[:5000]
    if not comment:
        raise ValidationError({"comment": _("Tell us what should change.")})
    with transaction.atomic():
        order = _order_locked(agreement.order)
        locked = (
            Agreement.objects.select_for_update(of=("self",))
            .select_related("sent_to")
            .get(pk=agreement.pk)
        )
        if locked.status != AgreementStatus.SENT or locked.sent_to is None:
            raise AgreementNotOpen(locked.status)
        locked.order = order
        events.changes_requested(agreement=locked, contact=locked.sent_to, comment=comment)
        Agreement.objects.filter(pk=locked.pk).update(status=AgreementStatus.CHANGES_REQUESTED)
        locked.status = AgreementStatus.CHANGES_REQUESTED
        _order_save(order)
    return locked


# --- Revisions and out-of-scope requests ------------------------------------------------------


def order_request_link(
    *,
    actor: User | None,
    order: Order,
    ticket: Any,
    kind: str,
    note: str = "",
    phrases: Sequence[str] = (),
) -> OrderRequest:
    """Count `ticket` against `order` as a revision or an out-of-scope request.

    The caller has checked that `actor` may see the ticket. Revisions are numbered per order
    and compared with the allowance of the agreement in force.
    """
    if actor is not None and not can_link_requests(actor):
        raise PermissionDenied(_("Your role can read orders but not change them."))
    if kind not in RequestKind.values:
        raise ValidationError({"kind": _("Unknown kind of request.")})
    if ticket.customer_id != order.customer_id:
        raise ValidationError({"ticket": _("This ticket belongs to another customer.")})
    with transaction.atomic():
        locked = _order_locked(order)
        if locked.requests.filter(ticket=ticket).exists():
            raise ValidationError({"ticket": _("This ticket is already counted on this order.")})
        current = agreement_current(locked)
        request = OrderRequest.objects.create(
            order=locked,
            ticket=ticket,
            kind=kind,
            number=locked.requests.filter(kind=kind).count() + 1,
            allowed=current.revisions_allowed if current else 0,
            note=" ".join(note.split())[:500],
            created_by=actor,
            created_at=clock.now(),
        )
        events.request_counted(request=request, actor=actor, phrases=list(phrases))
        _order_save(locked)
    return request


def change_request_issue(
    *, actor: User | None, order: Order, extra_price: int, note: str = ""
) -> Agreement:
    """Turn the requests beyond the agreement into a new version with the extra price, and
    send it for confirmation: one click for the account manager."""
    require_manage(actor, order.customer)
    if int(extra_price) < 0:
        raise ValidationError({"extra_price": _("The extra price cannot be negative.")})
    with transaction.atomic():
        locked = _order_locked(order)
        pending = [
            item for item in locked.requests.select_related("ticket") if item.needs_change_request
        ]
        if not pending:
            raise ValidationError(_("Nothing on this order goes beyond the agreement."))
        base = agreement_current(locked) or locked.agreements.order_by("-version").first()
        if base is None:
            raise ValidationError(_("This order has no agreement yet."))
        extra_revisions = sum(1 for item in pending if item.over_allowance)
        lines = [
            _("Revision %(n)s (ticket #%(ref)s) beyond the %(allowed)s agreed")
            % {"n": item.number, "ref": item.ticket.reference, "allowed": item.allowed}
            if item.kind == RequestKind.REVISION
            else _("Outside the agreed scope (ticket #%(ref)s)") % {"ref": item.ticket.reference}
            for item in pending
        ]
        if note.strip():
            lines.append(note.strip())
        agreement = agreement_create(
            actor=actor,
            order=locked,
            spec=base.spec_html,
            price=base.price + int(extra_price),
            currency=base.currency,
            deadline=base.deadline,
            revisions_allowed=base.revisions_allowed + extra_revisions,
            terms=base.terms,
            change_note="\n".join(str(line) for line in lines),
            extra_price=int(extra_price),
            keep_attachments_of=base,
        )
        OrderRequest.objects.filter(pk__in=[item.pk for item in pending]).update(
            change_request=agreement
        )
        events.change_request_issued(
            agreement=agreement, actor=actor, covers=[item.ticket.reference for item in pending]
        )
        agreement = agreement_send(actor=actor, agreement=agreement)
    return agreement


# --- Payments ---------------------------------------------------------------------------------


def invoice_create(
    *,
    actor: User | None,
    customer: Customer,
    number: str,
    amount: int,
    issued_on: date,
    due_on: date,
    order: Order | None = None,
    paid_on: date | None = None,
) -> Invoice:
    require_manage(actor, customer)
    if due_on < issued_on:
        raise ValidationError({"due_on": _("The due date comes after the issue date.")})
    if order is not None and order.customer_id != customer.pk:
        raise ValidationError({"order": _("This order belongs to another customer.")})
    return Invoice.objects.create(
        customer=customer,
        order=order,
        number=" ".join(number.split())[:40] or "-",
        amount=max(0, int(amount)),
        issued_on=issued_on,
        due_on=due_on,
        paid_on=paid_on,
        created_at=clock.now(),
    )


def invoice_paid(*, actor: User | None, invoice: Invoice, paid_on: date) -> Invoice:
    require_manage(actor, invoice.customer)
    Invoice.objects.filter(pk=invoice.pk).update(paid_on=paid_on)
    invoice.paid_on = paid_on
    return invoice


# --- Revenue and targets ----------------------------------------------------------------------


def month_start(value: date) -> date:
    return value.replace(day=1)


def revenue_set(
    *, actor: User | None, customer: Customer, month: date, amount: int, note: str = ""
) -> Revenue:
    """Record (or correct) a customer's revenue for one month."""
    require_manage(actor, customer)
    revenue, _created = Revenue.objects.update_or_create(
        customer=customer,
        month=month_start(month),
        defaults={
            "amount": int(amount),
            "note": note.strip()[:300],
            "updated_by": actor,
            "updated_at": clock.now(),
        },
    )
    return revenue


def target_set(*, actor: User | None, account_manager: User, month: date, amount: int) -> Target:
    if actor is not None and not can_set_targets(actor):
        raise PermissionDenied(_("Only managers set targets."))
    if account_manager.role not in (Role.ACCOUNT_MANAGER, Role.MANAGER, Role.ADMIN):
        raise ValidationError({"account_manager": _("Targets are for account managers.")})
    if int(amount) < 0:
        raise ValidationError({"amount": _("A target cannot be negative.")})
    target, _created = Target.objects.update_or_create(
        account_manager=account_manager,
        month=month_start(month),
        defaults={"amount": int(amount), "set_by": actor, "updated_at": clock.now()},
    )
    return target


# --- Verdicts ---------------------------------------------------------------------------------


def verdict_record(
    *,
    actor: User,
    customer: Customer,
    verdict: str,
    reason: str,
    requires_approval: bool = False,
    suggestion: Suggestion | None = None,
) -> Verdict:
    """Record a person's verdict on `customer`, with the suggestion they saw at the time."""
    require_manage(actor, customer)
    if verdict not in VerdictChoice.values:
        raise ValidationError({"verdict": _("Choose Yes, No or Bad.")})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the verdict.")})
    return Verdict.objects.create(
        customer=customer,
        verdict=verdict,
        reason=reason[:5000],
        requires_approval=requires_approval and verdict == VerdictChoice.BAD,
        suggested=(suggestion.verdict or "") if suggestion else "",
        signals=[signal.as_data() for signal in suggestion.signals] if suggestion else [],
        decided_by=actor,
        decided_at=clock.now(),
    )
