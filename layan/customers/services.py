"""Writes on customers, contacts, memberships and identities."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from layan.core import clock
from layan.core.identity import InvalidIdentity, identity_normalise
from layan.customers.models import (
    Contact,
    Customer,
    CustomerForm,
    CustomerKind,
    Identity,
    Membership,
    MembershipRole,
    RevenueTier,
    Temperament,
)
from layan.customers.queries import contact_primary_customer
from layan.team.models import Role, User

logger = logging.getLogger(__name__)

_CUSTOMER_EDITORS = (Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER)


def _require_editor(actor: User | None) -> None:
    if actor is not None and not (actor.is_superuser or actor.role in _CUSTOMER_EDITORS):
        raise PermissionDenied(_("Only account managers, managers and admins edit customers."))


def customer_create(
    *,
    actor: User | None,
    name: str,
    form: str = CustomerForm.ORGANISATION,
    kind: str = CustomerKind.EXTERNAL,
    revenue_tier: str = RevenueTier.SMALL,
    account_manager: User | None = None,
    industry: str = "",
    city: str = "",
    notes: str = "",
) -> Customer:
    _require_editor(actor)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("A customer needs a name.")})
    if actor is not None and actor.role == Role.ACCOUNT_MANAGER and account_manager is None:
        # An account manager's new customer joins their own portfolio.
        account_manager = actor
    customer = Customer(
        name=name,
        form=form,
        kind=kind,
        revenue_tier=revenue_tier,
        account_manager=account_manager,
        industry=industry,
        city=city,
        notes=notes,
    )
    customer.full_clean()
    customer.save()
    return customer


def customer_notes_set(
    *,
    actor: User,
    customer: Customer,
    notes: str,
    referral_source: str | None = None,
    referral_note: str = "",
) -> Customer:
    """Save the account notes and, when given, how the customer heard of us."""
    _require_editor(actor)
    updates: dict[str, str] = {"notes": notes}
    if referral_source is not None:
        updates["referral_source"] = referral_source
        updates["referral_note"] = referral_note.strip()[:200]
    Customer.objects.filter(pk=customer.pk).update(**updates)
    customer.refresh_from_db()
    return customer


def contact_create(
    *,
    actor: User | None,
    name: str,
    customer: Customer | None = None,
    preferred_name: str = "",
    honorific: str = "",
    language: str = "id",
    job_title: str = "",
    role: str = MembershipRole.CONTACT_PERSON,
    email: str = "",
    phone: str = "",
) -> Contact:
    """Create a contact, optionally at `customer` (as their primary) with an email and phone."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("A contact needs a name.")})
    with transaction.atomic():
        contact = Contact(
            name=name,
            preferred_name=preferred_name.strip(),
            honorific=honorific,
            language=language,
            job_title=job_title,
        )
        contact.full_clean()
        contact.save()
        if customer is not None:
            membership_add(contact=contact, customer=customer, role=role, primary=True)
        if email:
            identity_add(contact=contact, kind="email", value=email)
        if phone:
            identity_add(contact=contact, kind="phone", value=phone)
    return contact


def membership_add(
    *,
    contact: Contact,
    customer: Customer,
    role: str = MembershipRole.CONTACT_PERSON,
    primary: bool = False,
) -> Membership:
    """Attach `contact` to `customer`; the first membership of a contact is their primary."""
    with transaction.atomic():
        has_primary = Membership.objects.filter(contact=contact, is_primary=True).exists()
        if primary and has_primary:
            Membership.objects.filter(contact=contact, is_primary=True).update(is_primary=False)
        membership, _created = Membership.objects.update_or_create(
            contact=contact,
            customer=customer,
            defaults={"role": role, "is_primary": primary or not has_primary},
        )
    return membership


def identity_add(*, contact: Contact, kind: str, value: str, verified: bool = False) -> Identity:
    """Give `contact` an address; an address that belongs to someone else is refused."""
    try:
        normalised = identity_normalise(kind, value)
    except InvalidIdentity as error:
        raise ValidationError(
            {"value": _("“%(value)s” is not a valid address.") % {"value": value}}
        ) from error
    existing = Identity.objects.filter(kind=kind, value=normalised).first()
    if existing is not None:
        if existing.contact_id != contact.pk:
            raise ValidationError({"value": _("This address already belongs to another contact.")})
        return existing
    try:
        with transaction.atomic():
            return Identity.objects.create(
                contact=contact, kind=kind, value=normalised, verified=verified
            )
    except IntegrityError as error:
        raise ValidationError(
            {"value": _("This address already belongs to another contact.")}
        ) from error


def contact_for_identity(
    *, kind: str, value: str, name: str = "", create: bool = True
) -> tuple[Contact | None, bool]:
    """Return the contact who owns this address, creating one when `create` (and whether it did).

    Used by channel intake: the caller has verified nothing about the person but the address.
    """
    normalised = identity_normalise(kind, value)
    identity = (
        Identity.objects.select_related("contact").filter(kind=kind, value=normalised).first()
    )
    if identity is not None:
        return identity.contact, False
    if not create:
        return None, False
    with transaction.atomic():
        contact = Contact.objects.create(name=contact_name(name, normalised))
        try:
            with transaction.atomic():
                Identity.objects.create(contact=contact, kind=kind, value=normalised)
        except IntegrityError:
            # Someone else created it a moment ago; use theirs.
            contact.delete()
            identity = Identity.objects.select_related("contact").get(kind=kind, value=normalised)
            return identity.contact, False
    return contact, True


def contact_name(name: str, address: str) -> str:
    """The name a newcomer gets: the one they gave, else the local part of their address."""
    return (" ".join(name.split()) or address.split("@")[0])[:200]


def customer_individual_for(contact: Contact) -> Customer:
    """Return the contact's customer, creating an individual customer for a newcomer."""
    customer = contact_primary_customer(contact)
    if customer is not None:
        return customer
    customer = Customer.objects.create(name=contact.name, form=CustomerForm.INDIVIDUAL)
    membership_add(contact=contact, customer=customer, primary=True)
    return customer


def temperament_override(
    *, target: Contact | Customer, actor: User, label: str, reason: str
) -> Contact | Customer:
    """Set (or, with label "", clear) a person's judgement over the computed temperament."""
    if not actor.can_write:
        raise PermissionDenied(_("Your role cannot change a temperament."))
    if label and label not in Temperament.values:
        raise ValidationError(_("Unknown temperament."))
    reason = reason.strip()
    if label and not reason:
        raise ValidationError(_("Say why: the override is shown with its reason."))
    with transaction.atomic():
        type(target).objects.filter(pk=target.pk).update(
            temperament_override=label,
            temperament_override_reason=reason if label else "",
            temperament_override_by=actor if label else None,
            temperament_override_at=clock.now() if label else None,
        )
    target.refresh_from_db()
    logger.info("temperament_override", extra={"target": target.pk, "label": label})
    return target
