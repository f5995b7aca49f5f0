import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from layan.customers.tests.factories import CustomerFactory
from layan.team.models import Role
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets.models import Status, Ticket
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_account_manager_sees_their_customer_360(client: Client) -> None:
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    customer = CustomerFactory(name="PT Kopi Senja", account_manager=rina)
    ticket = make_ticket(customer=customer, subject="Kemasan penyok")
    client.force_login(rina)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    assert "PT Kopi Senja" in response.text
    assert "Kemasan penyok" in response.text
    assert ticket.requester.name in response.text


def test_other_portfolio_is_404(client: Client) -> None:
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    theirs = CustomerFactory(account_manager=UserFactory(role=Role.ACCOUNT_MANAGER))
    client.force_login(rina)
    assert client.get(reverse("customers:detail", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("customers:notes", args=[theirs.pk]), {"notes": "x"}).status_code == 404
    )


def test_customer_list_search_and_htmx_rows(client: Client) -> None:
    manager = UserFactory(role=Role.MANAGER)
    CustomerFactory(name="Toko Roti Harum")
    CustomerFactory(name="Bengkel Jaya")
    client.force_login(manager)
    response = client.get(reverse("customers:list") + "?q=roti", headers={"HX-Request": "true"})
    assert "Toko Roti Harum" in response.text and "Bengkel Jaya" not in response.text
    assert "<html" not in response.text


def test_notes_are_saved_by_the_account_manager_only(client: Client) -> None:
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    agent = UserFactory(role=Role.AGENT)
    customer = CustomerFactory(account_manager=rina)
    make_ticket(customer=customer, team=TeamFactory(members=[agent]))
    client.force_login(agent)
    client.post(reverse("customers:notes", args=[customer.pk]), {"notes": "dari agen"})
    customer.refresh_from_db()
    assert customer.notes == ""
    client.force_login(rina)
    client.post(reverse("customers:notes", args=[customer.pk]), {"notes": "Rapat tiap kuartal"})
    customer.refresh_from_db()
    assert customer.notes == "Rapat tiap kuartal"


def test_create_customer_and_contact(client: Client) -> None:
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    client.force_login(rina)
    response = client.post(
        reverse("customers:create"),
        {
            "name": "CV Karya Baru",
            "form": "organisation",
            "kind": "external",
            "revenue_tier": "medium",
            "industry": "",
            "city": "Bandung",
        },
    )
    assert response.status_code == 302
    customer_url = response["Location"]
    customer_id = int(customer_url.rstrip("/").split("/")[-1])
    response = client.post(
        reverse("customers:contact_create", args=[customer_id]),
        {
            "name": "Hadi Purnomo",
            "preferred_name": "Hadi",
            "honorific": "Bapak",
            "language": "id",
            "email": "bukan email",
            "phone": "",
        },
    )
    assert response.status_code == 400
    assert "bukan email" in response.text
    response = client.post(
        reverse("customers:contact_create", args=[customer_id]),
        {
            "name": "Hadi Purnomo",
            "preferred_name": "Hadi",
            "honorific": "Bapak",
            "language": "id",
            "email": "hadi@karya.co.id",
            "phone": "0812 1111 2222",
        },
    )
    assert response.status_code == 302
    detail = client.get(response["Location"])
    assert "Bapak Hadi" in detail.text and "hadi@karya.co.id" in detail.text


def test_contact_list_search_by_email(client: Client) -> None:
    manager = UserFactory(role=Role.MANAGER)
    ticket = make_ticket()
    ticket.requester.identities.create(kind="email", value="siti@kopi.co.id")
    client.force_login(manager)
    response = client.get(reverse("customers:contacts") + "?q=SITI@kopi")
    assert ticket.requester.name in response.text


@pytest.mark.parametrize("pk", ["0", "999999"])
def test_unknown_contact_is_404(client: Client, pk: str) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    assert client.get(f"/contacts/{pk}/").status_code == 404


def test_a_customers_and_a_contacts_ticket_lists_cost_as_many_queries_at_any_length(
    client: Client, django_assert_num_queries: Any
) -> None:
    """Each row links to its ticket and shows its status and who it is from (the requester on
    a customer's page, the customer on a contact's); more tickets cost no more queries."""
    manager = UserFactory(role=Role.MANAGER)
    customer = CustomerFactory(name="PT Kopi <Senja>")
    first = make_ticket(customer=customer, subject="Kemasan <penyok>")
    requester = first.requester
    client.force_login(manager)
    pages = {
        "customer": reverse("customers:detail", args=[customer.pk]),
        "contact": reverse("customers:contact", args=[requester.pk]),
    }
    queries = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries[name] = len(captured)
    for number in range(30):
        make_ticket(customer=customer, requester=requester, subject=f"Tiket {number}")
    Ticket.objects.filter(pk=first.pk).update(status=Status.WAITING_CUSTOMER)
    for name, url in pages.items():
        with django_assert_num_queries(queries[name]):
            html = client.get(url).text
        rows = re.findall(r'<td class="col-ref"><a href="/tickets/(\d+)/">#\1</a></td>', html)
        newest = Ticket.objects.filter(customer=customer).order_by("-updated_at", "-pk")
        assert [int(reference) for reference in rows] == [
            ticket.reference for ticket in newest[:31]
        ]
        assert "Kemasan &lt;penyok&gt;" in html and "<penyok>" not in html
        assert 'class="badge status-waiting_customer"' in html
        beside = requester.name if name == "customer" else "PT Kopi &lt;Senja&gt;"
        assert f'<span class="muted small">{beside}</span>' in html
