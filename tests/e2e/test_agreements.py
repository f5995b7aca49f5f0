"""An account manager wins a deal, agrees terms in writing, the customer confirms through a
signed link, asks for one revision too many, and gets a change request; in a real browser."""

from pathlib import Path

import pytest

from layan.agreements import events
from layan.agreements.models import Agreement, AgreementStatus, Deal, Order, Stage
from layan.customers.models import Customer
from layan.customers.tests.factories import ContactFactory, CustomerFactory, MembershipFactory
from layan.demo import demo_load
from layan.logbook.models import Entry
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-sekali-123"


def test_deal_to_agreement_to_change_request(page, live_server, browser, artifacts: Path) -> None:
    rina = UserFactory(username="rina", role=Role.ACCOUNT_MANAGER, first_name="Rina")
    customer = CustomerFactory(name="PT Kopi Kenangan Senja", account_manager=rina)
    contact = ContactFactory(name="Dewi Anggraini", preferred_name="Dewi", honorific="Ibu")
    MembershipFactory(contact=contact, customer=customer)
    texts = [
        "Mohon revisi warna logo, kurang terang.",
        "Tolong ubah lagi posisi teksnya ke tengah.",
        "Mbak, ini revisi ke-3 ya: fontnya diganti yang lebih tebal.",
    ]
    tickets = [
        make_ticket(customer=customer, requester=contact, subject=f"Desain cup {n}", text=text)
        for n, text in enumerate(texts, start=1)
    ]

    # Sign in and put a deal in the pipeline.
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "rina")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tickets/")
    page.click("nav.mainnav a[href='/pipeline/']")
    page.click("a[href='/pipeline/deals/new/']")
    page.select_option("#id_customer", str(customer.pk))
    page.fill("#id_title", "Cetak cup kopi 12 oz")
    page.fill("#id_value", "Rp 36.000.000")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("h1:has-text('Cetak cup kopi 12 oz')")
    deal = Deal.objects.get()
    assert deal.value == 36_000_000

    # Win it by dragging the card to the "won" column (HTMX swaps the board).
    page.goto(f"{live_server.url}/pipeline/")
    card = page.locator(f"[data-deal='{deal.pk}']")
    card.drag_to(page.locator("[data-stage='won']"))
    page.locator(f"[data-stage='won'] [data-deal='{deal.pk}']").wait_for()
    page.screenshot(path=str(artifacts / "pipeline.png"))
    deal.refresh_from_db()
    assert deal.stage == Stage.WON

    # Open an order from the won deal and write the agreement: two revisions included.
    page.goto(f"{live_server.url}/pipeline/deals/{deal.pk}/")
    page.click(f"a[href='/orders/new/?deal={deal.pk}']")
    page.select_option("#id_contact", str(contact.pk))
    page.fill("#id_promised_on", "2030-03-01")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#versions")
    order = Order.objects.get()
    assert order.deal == deal and order.title == "Cetak cup kopi 12 oz"
    page.click(f"a[href='/orders/{order.number}/versions/new/']")
    page.fill("#id_spec", "Cup kertas 12 oz, cetak 2 warna, 20.000 pcs.\nTermasuk tutup.")
    page.fill("#id_price", "36.000.000")
    page.fill("#id_deadline", "2030-02-25")
    page.fill("#id_revisions_allowed", "2")
    page.fill("#id_terms", "DP 50%, pelunasan saat barang diterima.")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("#v1")

    # Send it: the page shows the link to give the customer.
    page.click("#v1 .actions button[type=submit]")
    page.wait_for_selector("#v1 .portal-link")
    link = page.locator("#v1 .portal-link").input_value()
    assert link.startswith(f"{live_server.url}/p/agreements/")

    # The customer, not logged in, reads and confirms exactly this version.
    customer_context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
    portal = customer_context.new_page()
    portal.goto(link)
    assert "Ibu Dewi" in portal.locator("main").inner_text()
    assert portal.locator("#price").inner_text() == "Rp 36.000.000"
    portal.screenshot(path=str(artifacts / "portal-agreement.png"), full_page=True)
    portal.click("#confirm button[type=submit]")
    portal.wait_for_selector("#done")
    assert portal.goto(link).status == 404
    customer_context.close()
    first = Agreement.objects.get(order=order, version=1)
    assert first.status == AgreementStatus.CONFIRMED
    assert first.acceptance.contact == contact
    assert first.acceptance.digest == first.digest

    # Three tickets counted from the order page; the third is one revision too many.
    for ticket in tickets:
        page.goto(f"{live_server.url}/orders/{order.number}/link/")
        row = page.locator(f"#candidates tr[data-ticket='{ticket.reference}']")
        assert row.locator(".hint-revision").count() == 1
        row.locator("button[type=submit]").click()
        page.wait_for_selector("#revisions")
    warning = page.locator("#allowance-warning")
    assert f"#{tickets[2].reference}" in warning.inner_text()
    assert page.locator("#revisions .counter").inner_text() == "3 / 2"

    # The account manager issues the change request in one click.
    warning.locator("input[name=extra_price]").fill("Rp 3.000.000")
    warning.locator("button[type=submit]").click()
    page.wait_for_selector("#v2")
    page.wait_for_load_state()  # the rest of the page, not only its first part
    assert page.locator("#allowance-warning").count() == 0
    change = Agreement.objects.get(order=order, version=2)
    assert (change.status, change.price, change.revisions_allowed) == (
        AgreementStatus.SENT,
        39_000_000,
        3,
    )
    page.screenshot(path=str(artifacts / "order.png"), full_page=True)

    # The order's logbook shows every step, in order, on the page and in the chain.
    recorded = list(
        Entry.objects.filter(chain=order.chain)
        .order_by("seq")
        .values_list("data__event", flat=True)
    )
    assert recorded == [
        events.ORDER_CREATED,
        events.PROMISE_SET,
        events.VERSION_CREATED,
        events.VERSION_SENT,
        events.VERSION_CONFIRMED,
        events.REQUEST_COUNTED,
        events.REQUEST_COUNTED,
        events.REQUEST_COUNTED,
        events.VERSION_CREATED,
        events.CHANGE_REQUEST_ISSUED,
        events.VERSION_SENT,
    ]
    assert page.locator("#logbook .timeline li").count() == len(recorded)
    assert page.locator(".logbook-card .verified").count() == 1


def test_manager_reviews_the_portfolio_and_a_bad_clients_evidence(
    page, live_server, artifacts: Path
) -> None:
    demo_load(password=PASSWORD, ticket_count=40)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "dewi")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tickets/")

    page.click("nav.mainnav a[href='/portfolio/']")
    page.wait_for_selector("#health")
    page.wait_for_load_state()  # the rest of the page, not only its first part
    assert page.locator("#attention li").count() >= 2
    assert page.locator("svg.chart").count() == 1
    page.screenshot(path=str(artifacts / "portfolio.png"), full_page=True)

    bad = Customer.objects.get(name="CV Maju Bersama Elektrik")
    page.click(f"#health a[href='/portfolio/verdicts/{bad.pk}/']")
    page.wait_for_selector("#signals")
    page.wait_for_load_state()  # the rest of the page, not only its first part
    assert page.locator("#suggestion .verdict-bad").count() == 1
    comparisons = page.locator("#signals li[data-kind='price_comparisons'] a")
    assert comparisons.count() >= 1
    page.screenshot(path=str(artifacts / "verdict.png"), full_page=True)
    comparisons.first.click()
    page.wait_for_selector("#logbook")
    assert "/orders/" in page.url and "#e" in page.url
