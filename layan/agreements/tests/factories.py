from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layan.agreements import services
from layan.agreements.models import Agreement, Order
from layan.customers.models import Contact, Customer
from layan.customers.tests.factories import ContactFactory, CustomerFactory, MembershipFactory
from layan.team.models import Role, User
from layan.team.tests.factories import UserFactory


@dataclass
class Account:
    """An account manager with one customer and its contact."""

    manager: User
    customer: Customer
    contact: Contact


def make_account(*, manager: User | None = None, **customer: Any) -> Account:
    manager = manager or UserFactory(role=Role.ACCOUNT_MANAGER)
    client = CustomerFactory(account_manager=manager, **customer)
    contact = ContactFactory(name="Rina Kusuma", preferred_name="Rina", honorific="Ibu")
    MembershipFactory(contact=contact, customer=client)
    return Account(manager=manager, customer=client, contact=contact)


def make_order(account: Account, *, title: str = "Kemasan kopi 250 g", **kwargs: Any) -> Order:
    return services.order_create(
        actor=account.manager,
        customer=account.customer,
        contact=account.contact,
        title=title,
        **kwargs,
    )


def make_agreement(
    order: Order,
    actor: User,
    *,
    price: int = 25_000_000,
    revisions_allowed: int = 2,
    **kwargs: Any,
) -> Agreement:
    return services.agreement_create(
        actor=actor,
        order=order,
        spec=kwargs.pop("spec", "Kotak kemasan 20 x 10 cm, art carton 310 gsm, 2.000 pcs."),
        price=price,
        revisions_allowed=revisions_allowed,
        **kwargs,
    )


def make_confirmed(account: Account, **kwargs: Any) -> tuple[Order, Agreement]:
    """An order whose first version the customer has confirmed."""
    order = make_order(account)
    agreement = make_agreement(order, account.manager, **kwargs)
    agreement = services.agreement_send(actor=account.manager, agreement=agreement)
    services.agreement_confirm(agreement=agreement, ip="203.0.113.7", user_agent="pytest")
    agreement.refresh_from_db()
    order.refresh_from_db()
    return order, agreement
