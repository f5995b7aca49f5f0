"""A member of staff signs in, finds a ticket, replies and takes a note, in a real browser."""

from pathlib import Path

import pytest

from layan.demo import demo_load
from layan.logbook.models import Entry, Kind
from layan.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "demo-password-123"


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tickets/")


def test_sign_in_open_a_ticket_reply_and_note(page, live_server, artifacts: Path) -> None:
    demo_load(password=PASSWORD, ticket_count=80)
    sign_in(page, live_server, "rina")
    assert page.locator("h1").inner_text() == "Tiket"
    page.screenshot(path=str(artifacts / "inbox.png"))

    # Filter through HTMX: the list is replaced without a page load. How many tickets are
    # still active depends on the hour the demo is loaded at; all of Rina's are many.
    page.select_option("#id_status", "")
    page.wait_for_url("**status=&**")
    rows = page.locator("#ticket-list tbody tr")
    rows.nth(2).wait_for()
    assert rows.count() >= 3
    page.select_option("#id_priority", "high")
    page.wait_for_url("**priority=high**")
    page.locator("#ticket-list tbody tr .badge.prio-high").first.wait_for()
    assert page.locator("#ticket-list tbody tr .badge.prio-high").count() == rows.count()
    assert page.locator("#ticket-list tbody tr .badge.prio-normal").count() == 0

    page.locator("#ticket-list tbody tr td.col-ref a").first.click()
    page.wait_for_selector(".timeline")
    reference = int(page.locator(".ticket-head .ref").inner_text().lstrip("#"))
    ticket = Ticket.objects.get(reference=reference)
    before = Entry.objects.filter(chain=ticket.chain).count()

    reply = "Selamat siang, terima kasih atas kesabarannya. Kami kirim ulang besok pukul 10.00."
    page.fill("#reply textarea[name=text]", reply)
    page.click("#reply button[type=submit]")
    page.wait_for_selector(f".entry-reply .body:has-text('{reply[:40]}')")
    assert page.locator("#reply textarea[name=text]").input_value() == ""

    page.click(".tab[href='#note']")
    page.fill("#id_note_text", "Sudah konfirmasi ke gudang, stok aman.")
    page.click("#note button[type=submit]")
    page.wait_for_selector(".entry-note .body:has-text('stok aman')")

    kinds = list(
        Entry.objects.filter(chain=ticket.chain, seq__gt=before)
        .order_by("seq")
        .values_list("kind", flat=True)
    )
    assert kinds == [Kind.REPLY, Kind.NOTE]
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "ticket.png"), full_page=False)


def test_customer_360_and_language_switch(page, live_server, artifacts: Path) -> None:
    demo_load(password=PASSWORD, ticket_count=40)
    sign_in(page, live_server, "dewi")
    page.click("nav.mainnav >> text=Pelanggan")
    page.fill("#id_cq", "Kopi")
    page.wait_for_selector("#customer-rows tbody tr >> text=PT Kopi Kenangan Senja")
    page.click("text=PT Kopi Kenangan Senja")
    page.wait_for_selector("h1:has-text('PT Kopi Kenangan Senja')")
    # The page may still be arriving when its heading shows: wait for the second contact.
    page.locator(".people li").nth(1).wait_for()
    page.screenshot(path=str(artifacts / "customer.png"))
    page.click(".langswitch button[value=en]")
    page.wait_for_selector("h2:has-text('Contacts')")
    assert page.locator("html").get_attribute("lang") == "en"
