"""A complaint taken through every stage of the playbook in a real browser, ending with the
customer rating the service through the link in their mail."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from layan.channels.models import OutboundRecord
from layan.core.blobs import blob_read
from layan.customers.tests.factories import ContactFactory, MembershipFactory
from layan.knowledge.demo import knowledge_demo_load
from layan.logbook.models import Entry, Kind
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.models import Survey
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_complaint_through_every_stage_then_rated(
    page, live_server, artifacts: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.LAYAN_BASE_URL = live_server.url
    manager = UserFactory(role=Role.MANAGER, username="dewi", language="id")
    manager.set_password("rahasia-sekali-123")
    manager.save()
    knowledge_demo_load(author=manager)
    contact = ContactFactory(name="Siti Nurhaliza", preferred_name="Siti", honorific="Ibu")
    ticket = make_ticket(
        requester=contact,
        category="complaint",
        subject="Warna cetakan beda jauh dari desain",
        text="Warna brosur yang datang kusam, beda dari desain yang saya setujui. Saya kecewa.",
    )
    MembershipFactory(contact=contact, customer=ticket.customer)
    contact.identities.create(kind="email", value="siti@kopi.co.id")

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "dewi")
    page.fill("#id_password", "rahasia-sekali-123")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    page.wait_for_selector("#playbook")
    assert page.locator(".step.current").inner_text().strip().endswith("Dengarkan")

    # Listen: tick the questions asked.
    for index in range(2):
        page.locator(".checklist .tick").nth(index).click()
        page.wait_for_selector(f".checklist li:nth-child({index + 1}) .tick.ticked")

    for stage in ("clarify", "explain", "options"):
        page.locator(f"form:has(input[name=stage][value={stage}]) button").click()
        page.wait_for_selector(f".step.current:has(input[value={stage}])")

    # Explain: cite the SOP the customer agreed to, in a reply.
    page.fill("#id_text", "Ibu Siti, sesuai SOP kami tentang warna cetak, proof sudah disetujui.")
    page.select_option("select[name=cite]", "warna-cetak")
    page.click("#reply button.primary")
    page.wait_for_selector(".entry-reply .body:has-text('hasil cetak (v1)')")

    # Resolve needs the fault: customer misunderstanding, then the advocacy reply is offered.
    page.click("details.fold:has(select[name=fault]) summary")
    page.select_option("select[name=fault]", "customer")
    page.fill("input[name=note]", "Proof sudah disetujui tanggal 12; RGB dan CMYK dijelaskan.")
    page.click("form:has(select[name=fault]) button")
    page.locator("form:has(input[name=stage][value=resolve]) button").click()
    page.wait_for_selector(".step.current:has(input[value=resolve])")
    page.click(".canned a:has-text('Berdiri di atas aturan')")
    page.locator("#id_text").filter(has_text="sesuai kesepakatan").wait_for()

    page.locator("form:has(input[name=stage][value=reconcile]) button").click()
    page.wait_for_selector(".step.current:has(input[value=reconcile])")
    page.fill(
        "#id_text",
        "Ibu Siti, terima kasih atas pengertiannya. Minggu ini saya mampir untuk "
        "ngopi dan membawa proof fisik untuk pesanan berikutnya.",
    )
    page.select_option("select[name=status]", "resolved")
    page.click("#reply button.primary")
    page.wait_for_selector(".entry-reply .body:has-text('ngopi')")
    page.screenshot(path=str(artifacts / "complaint.png"), full_page=True)

    # The survey mail goes out after the resolution; the customer follows its link.
    from layan.channels.tasks import ticket_survey_task

    ticket_survey_task.call(ticket.pk)
    raw = blob_read(OutboundRecord.objects.get(entry__data__event="survey").raw_id)
    body = message_from_bytes(raw, policy=default).get_body(("plain",)).get_content()
    link = body[body.index(live_server.url) :].split()[0]
    customer = page.context.browser.new_context(locale="id-ID")
    rating_page = customer.new_page()
    rating_page.goto(link)
    rating_page.check("input[name=rating][value='5']")
    rating_page.fill("#id_comment", "Penjelasannya jelas dan tetap ramah. Terima kasih!")
    rating_page.click("button.primary")
    rating_page.wait_for_selector("text=5 dari 5")
    rating_page.fill("#id_display_name", "Ibu Siti, Jakarta")
    rating_page.click("button[name=given][value='1']")
    rating_page.wait_for_selector("button:has-text('Tarik izin saya')")
    customer.close()

    survey = Survey.objects.get(ticket=ticket)
    assert survey.rating == 5 and survey.consent == "given"
    stages = list(
        Entry.objects.filter(chain=ticket.chain, kind=Kind.STAGE).values_list("data__to", flat=True)
    )
    assert stages == ["clarify", "explain", "options", "resolve", "reconcile"]
    events = list(
        Entry.objects.filter(chain=ticket.chain, kind=Kind.EVENT).values_list(
            "data__event", flat=True
        )
    )
    assert events.count("question_asked") == 2
    assert events[-3:] == ["survey", "rating", "testimonial_consent"]
    assert Entry.objects.filter(chain=ticket.chain, kind=Kind.FAULT, data__to="customer").exists()
    cited = Entry.objects.filter(chain=ticket.chain, kind=Kind.REPLY).first()
    assert cited is not None and cited.data["cited"][0]["article"] == "warna-cetak"
