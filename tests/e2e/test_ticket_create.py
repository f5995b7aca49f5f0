"""A member of staff logs a ticket for a customer who phoned: finds the customer by name, picks
one of their contacts and opens the ticket, in a real browser."""

from datetime import timedelta
from pathlib import Path

import pytest

from layan.core import clock
from layan.customers.models import Contact, Customer
from layan.demo import demo_load
from layan.logbook.models import Entry, Kind
from layan.logbook.verify import logbook_verify
from layan.tickets.models import Ticket

from .test_ticket_flow import PASSWORD, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER = "PT Kopi Kenangan Senja"


def test_find_the_customer_pick_a_contact_and_open_a_ticket(
    page, live_server, artifacts: Path
) -> None:
    demo_load(password=PASSWORD, ticket_count=40)
    customer = Customer.objects.get(name=CUSTOMER)
    theirs = set(
        Contact.objects.filter(memberships__customer=customer).values_list("pk", flat=True)
    )
    assert len(theirs) >= 2  # the choice below means something
    sign_in(page, live_server, "dewi")

    page.click("main a.button.primary[href='/tickets/new/']")
    page.wait_for_selector("#id_q")
    page.fill("#id_q", "zzz tidak ada")
    page.press("#id_q", "Enter")
    page.wait_for_selector("p.muted:has-text('zzz tidak ada')")
    assert page.locator("#customer-matches").count() == 0

    page.fill("#id_q", "kopi")
    page.press("#id_q", "Enter")
    page.wait_for_selector(f"#customer-matches a:has-text('{CUSTOMER}')")
    page.click(f"#customer-matches a:has-text('{CUSTOMER}')")
    page.wait_for_selector("#id_requester")

    # The form offers this customer, and only their contacts.
    assert page.locator("#id_customer").input_value() == str(customer.pk)
    offered = page.locator("#id_requester option").evaluate_all(
        "options => options.map(o => o.value).filter(Boolean)"
    )
    assert {int(value) for value in offered} == theirs
    requester = Contact.objects.get(pk=sorted(theirs)[-1])
    page.select_option("#id_requester", str(requester.pk))

    # A required field left empty is refused by the form, and nothing is opened.
    before = Ticket.objects.count()
    page.fill("#id_subject", "Mesin kopi di cabang Depok mati")
    page.click("form.stack button.primary")
    assert page.locator("#id_text:invalid").count() == 1
    assert Ticket.objects.count() == before

    page.fill("#id_text", "Pelanggan menelepon: mesin espresso tidak menyala sejak pagi.")
    page.select_option("#id_priority", "high")
    page.screenshot(path=str(artifacts / "ticket-new.png"))
    page.click("form.stack button.primary")
    page.wait_for_selector(".timeline")

    reference = int(page.locator(".ticket-head .ref").inner_text().lstrip("#"))
    assert page.url.endswith(f"/tickets/{reference}/")
    ticket = Ticket.objects.get(reference=reference)
    assert Ticket.objects.count() == before + 1
    assert (ticket.customer_id, ticket.requester_id) == (customer.pk, requester.pk)
    assert ticket.subject == "Mesin kopi di cabang Depok mati"
    assert ticket.priority == "high"
    assert ticket.owner is not None and ticket.owner.username == "dewi"
    kinds = list(
        Entry.objects.filter(chain=ticket.chain).order_by("seq").values_list("kind", flat=True)
    )
    assert kinds == [Kind.CREATED, Kind.MESSAGE, Kind.OWNER]  # it is hers from the start
    now = clock.now() + timedelta(minutes=1)
    assert logbook_verify(now=now, ticket=str(ticket.reference)).ok
    page.wait_for_selector(".entry .body:has-text('mesin espresso')")


def test_new_ticket_from_the_customer_page(page, live_server) -> None:
    demo_load(password=PASSWORD, ticket_count=20)
    customer = Customer.objects.get(name=CUSTOMER)
    sign_in(page, live_server, "dewi")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.click(".pagehead a.button.primary")
    page.wait_for_selector("#id_requester")
    assert page.locator("#id_customer").input_value() == str(customer.pk)
    # "Another customer" goes back to the search.
    page.click("a:has-text('Pelanggan lain')")
    page.wait_for_selector("#id_q")
