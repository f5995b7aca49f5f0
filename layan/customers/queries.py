"""Reads of customers and contacts, always scoped to the user asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from layan.core.reads import PreparedRead, PreparedValues
from layan.customers.models import Contact, Customer, Membership
from layan.team.models import Role, Team, User


def _works_on(user: User, prefix: str) -> Q:
    """Match rows through `prefix` tickets that an agent or viewer works on: their teams'
    tickets and the ones they own. (String lookups keep this app free of ticket imports.)"""
    return Q(**{f"{prefix}team__members": user}) | Q(**{f"{prefix}owner": user})


def customers_for(user: User, *, search: str = "") -> QuerySet[Customer]:
    """Return the customers `user` may see: everything for managers and admins, the portfolio
    for an account manager, and the customers of their tickets for agents and viewers."""
    customers = Customer.objects.select_related("account_manager")
    if not user.is_active:
        return customers.none()
    if user.sees_everything:
        pass
    elif user.role == Role.ACCOUNT_MANAGER:
        customers = customers.filter(account_manager=user)
    else:
        # Per customer, does one of its tickets belong to the user's teams or to the user?
        # The probe reads the customer's tickets through their index and stops at the first
        # hit, so a page of customers costs a page of probes (5 ms for an agent who sees 57,000
        # of 100,000 tickets, against 44 ms for the set of every customer of those tickets).
        ticket_model = Customer._meta.get_field("tickets").related_model
        teams = Team.members.through.objects.filter(user=user).values("team_id")
        worked_on = ticket_model._default_manager.filter(customer=OuterRef("pk")).filter(
            Q(team_id__in=teams) | Q(owner=user)
        )
        customers = customers.filter(Exists(worked_on))
    if search:
        customers = customers.filter(name__icontains=search.strip())
    return customers.order_by("name", "id")


CHOICES_LIMIT = 300


def customer_choices(user: User, *, selected: str | int | None = None) -> list[tuple[int, str]]:
    """Return (pk, name) of the customers `user` may pick in a filter: the first
    `CHOICES_LIMIT` by name, and the `selected` one wherever it falls in the order (a link to
    "all tickets of this customer" must filter by that customer, not fall back to everyone).
    A selected customer the user may not see is left out."""
    if not user.is_active:
        return []
    choices: list[tuple[int, str]] = [
        (pk, name)
        for pk, name in _choices_visible.rows(
            user.role, user.is_superuser, CHOICES_LIMIT, user=user.pk
        )
    ]
    listed = {pk for pk, _name in choices}
    if str(selected).isdigit() and int(str(selected)) not in listed:
        picked = customer_picked(user, selected)
        if picked is not None:
            choices.insert(0, (picked.pk, picked.name))
    return choices


def _choices_of(role: str, superuser: bool, limit: int, *, user: int) -> QuerySet[Customer, Any]:
    """The first `limit` customers by name that a user of `role` (a superuser or not) whose key
    is `user` sees, as `customers_for` says: their keys and names."""
    seer = User(pk=user, role=role, is_superuser=superuser, is_active=True)
    return customers_for(seer).values_list("pk", "name")[:limit]


# Every inbox lists these in its filter: built once per kind of user (and limit).
_choices_visible = PreparedValues(_choices_of, user=int)


def customer_picked(user: User, value: str | int | None) -> Customer | None:
    """The customer a query string names (`?customer=1042`) if `user` may see it, else None
    (nothing named, not a key, or not theirs). Only its key and name are read."""
    text = str(value or "")
    if not text.isdigit() or len(text) > 18:  # larger than any key
        return None
    visible = customers_for(user).select_related(None).only("pk", "name")
    return visible.filter(pk=int(text)).first()


def customer_for(user: User, pk: int | str) -> Customer:
    """Return one customer `user` may see, or raise 404 (never 403: existence is not leaked)."""
    try:
        return customers_for(user).get(pk=int(pk))
    except (Customer.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such customer") from error


def contacts_for(user: User, *, search: str = "") -> QuerySet[Contact]:
    """Return the contacts `user` may see: members of visible customers, and requesters of
    visible tickets."""
    contacts = Contact.objects.all()
    if not user.is_active:
        return contacts.none()
    if not user.sees_everything:
        in_customer = Membership.objects.filter(
            contact=OuterRef("pk"), customer__in=customers_for(user).values("pk")
        )
        if user.role == Role.ACCOUNT_MANAGER:
            requested = Contact.objects.filter(tickets__customer__account_manager=user)
        else:
            requested = Contact.objects.filter(_works_on(user, "tickets__"))
        contacts = contacts.filter(Exists(in_customer) | Q(pk__in=requested.values("pk")))
    if search:
        term = search.strip()
        contacts = contacts.filter(
            Q(name__icontains=term)
            | Q(preferred_name__icontains=term)
            | Q(identities__value__icontains=term.lower())
        ).distinct()
    return contacts.order_by("name", "id")


def requester_choices(user: User, customer: Customer | None) -> QuerySet[Contact]:
    """The contacts `user` may name as the requester of a ticket for `customer`: its members
    they may see, by name, with only what an option shows."""
    members = contacts_for(user).filter(memberships__customer=customer)
    return members.only("pk", "name").order_by("name", "pk")


def contact_for(user: User, pk: int | str) -> Contact:
    try:
        return contacts_for(user).get(pk=int(pk))
    except (Contact.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such contact") from error


# What opening a ticket reads of the pair (the count of its queries is tested): each column
# read is work, on SQLite a release of Python's lock too, and a customer's notes can be long.
_MEMBERSHIP_COLUMNS = ("contact_id", "customer_id", "customer__name", "contact__name")


def _memberships_visible(
    role: str, superuser: bool, *, customer: int, contact: int, user: int
) -> QuerySet[Membership]:
    """The membership pair, limited to the customers that a user of `role` (a superuser or
    not) whose key is `user` sees, as `customers_for` says."""
    memberships = (
        Membership.objects.select_related("customer", "contact")
        .only(*_MEMBERSHIP_COLUMNS)
        .filter(customer_id=customer, contact_id=contact)
    )
    seer = User(pk=user, role=role, is_superuser=superuser, is_active=True)
    if seer.sees_everything:  # no subquery that would list every customer
        return memberships
    return memberships.filter(customer__in=customers_for(seer).values("pk"))


# The API's ticket opening asks this before anything else: built once per kind of user.
_membership_visible = PreparedRead(_memberships_visible, customer=int, contact=int, user=int)


def membership_for(user: User, customer_pk: int, contact_pk: int) -> Membership | None:
    """Contact `contact_pk`'s membership of customer `customer_pk`, with both rows, if `user`
    may see that customer (and so its members); else None, whichever is missing. One query."""
    if not user.is_active:
        return None
    return _membership_visible.one(
        user.role,
        user.is_superuser,
        customer=customer_pk,
        contact=contact_pk,
        user=user.pk,
    )


def customer_contacts(customer: Customer) -> QuerySet[Membership]:
    """Return the memberships of an already-authorised customer, with their contacts."""
    return (
        Membership.objects.filter(customer=customer)
        .select_related("contact")
        .prefetch_related("contact__identities")
        .order_by("-is_primary", "contact__name")
    )


def contact_memberships(contact: Contact, *, user: User) -> QuerySet[Membership]:
    """Return the memberships of an authorised contact, limited to customers `user` sees."""
    return (
        Membership.objects.filter(contact=contact, customer__in=customers_for(user).values("pk"))
        .select_related("customer")
        .order_by("-is_primary", "customer__name")
    )


def contact_primary_customer(contact: Contact) -> Customer | None:
    membership = (
        Membership.objects.select_related("customer")
        .filter(contact=contact)
        .order_by("-is_primary", "created_at")
        .first()
    )
    return membership.customer if membership else None
