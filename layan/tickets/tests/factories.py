from __future__ import annotations

from typing import Any

from layan.customers.models import Contact, Customer
from layan.customers.tests.factories import ContactFactory, CustomerFactory, MembershipFactory
from layan.team.models import Team, User
from layan.tickets.models import Ticket
from layan.tickets.services import ticket_open


def make_ticket(
    *,
    customer: Customer | None = None,
    requester: Contact | None = None,
    team: Team | None = None,
    owner: User | None = None,
    subject: str = "Pesanan belum sampai",
    text: str = "Selamat pagi, pesanan kami belum sampai. Mohon dicek.",
    **kwargs: Any,
) -> Ticket:
    """Open a ticket the way the product does (through the service), so its logbook is real."""
    customer = customer or CustomerFactory()
    if requester is None:
        requester = ContactFactory()
        MembershipFactory(contact=requester, customer=customer)
    ticket, _entry = ticket_open(
        actor=None,
        customer=customer,
        requester=requester,
        subject=subject,
        text=text,
        team=team,
        owner=owner,
        **kwargs,
    )
    return ticket
