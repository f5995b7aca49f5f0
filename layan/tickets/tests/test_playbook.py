"""Complaints the way the best account managers handle them, and what customers say after."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from layan.channels.models import OutboundRecord
from layan.channels.outbox import survey_send
from layan.core import clock
from layan.customers.tests.factories import ContactFactory, MembershipFactory
from layan.knowledge.models import CannedReply, Checklist, ChecklistItem
from layan.knowledge.services import article_create
from layan.logbook.models import Entry, Kind
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets import services
from layan.tickets.models import Survey, Ticket
from layan.tickets.satisfaction import SurveyClosed, survey_answer, survey_consent
from layan.tickets.testimonials import testimonials_html as published_html
from layan.tickets.testimonials import testimonials_json as published_json
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint() -> Ticket:
    contact = ContactFactory(name="Siti Nurhaliza", preferred_name="Siti", honorific="Ibu")
    ticket = make_ticket(requester=contact, category="complaint", subject="Warna beda")
    MembershipFactory(contact=contact, customer=ticket.customer)
    contact.identities.create(kind="email", value="siti@kopi.co.id")
    return ticket


def test_a_complaint_starts_by_listening(complaint: Ticket) -> None:
    assert complaint.stage == "listen"
    assert make_ticket(category="question").stage == ""


def test_resolve_and_resolving_need_the_fault_assessed(complaint: Ticket) -> None:
    agent = UserFactory(role=Role.AGENT)
    with pytest.raises(ValidationError):
        services.ticket_stage_set(ticket=complaint, actor=agent, stage="resolve")
    with pytest.raises(ValidationError):
        services.ticket_update(
            ticket=complaint, actor=agent, version=complaint.version, status="resolved"
        )
    with pytest.raises(ValidationError):
        services.ticket_fault_assess(ticket=complaint, actor=agent, fault="customer", note=" ")
    services.ticket_fault_assess(
        ticket=complaint,
        actor=agent,
        fault="customer",
        note="Proof sudah disetujui; RGB/CMYK dijelaskan di SOP.",
    )
    services.ticket_stage_set(ticket=complaint, actor=agent, stage="resolve")
    complaint.refresh_from_db()
    services.ticket_update(
        ticket=complaint, actor=agent, version=complaint.version, status="resolved"
    )
    kinds = list(Entry.objects.filter(chain=complaint.chain).values_list("kind", flat=True))
    assert "fault" in kinds and "stage" in kinds


def test_the_fault_decides_between_apology_and_advocacy(client: Client, complaint: Ticket) -> None:
    CannedReply.objects.create(
        title="Minta maaf",
        stage="resolve",
        fault="ours",
        body_id="{name}, kami mohon maaf atas {ticket}.",
    )
    CannedReply.objects.create(
        title="Sesuai SOP",
        stage="resolve",
        fault="customer",
        body_id="{name}, sesuai SOP kami, ...",
    )
    manager = UserFactory(role=Role.MANAGER)
    client.force_login(manager)
    services.ticket_fault_assess(ticket=complaint, actor=manager, fault="customer", note="SOP")
    services.ticket_stage_set(ticket=complaint, actor=manager, stage="resolve")
    page = client.get(reverse("tickets:detail", args=[complaint.reference]))
    assert "Sesuai SOP" in page.text and "Minta maaf" not in page.text
    services.ticket_fault_assess(ticket=complaint, actor=manager, fault="ours", note="Salah kita")
    page = client.get(reverse("tickets:detail", args=[complaint.reference]))
    assert "Minta maaf" in page.text and "Sesuai SOP" not in page.text
    canned = CannedReply.objects.get(title="Minta maaf")
    filled = client.get(
        reverse("tickets:canned", args=[complaint.reference, canned.pk]),
        headers={"HX-Request": "true"},
    )
    assert f"Ibu Siti, kami mohon maaf atas {complaint.ref}." in filled.text


def test_a_change_of_owner_needs_a_handover_note_read_first(
    client: Client, complaint: Ticket
) -> None:
    rina, agus = UserFactory(role=Role.ACCOUNT_MANAGER), UserFactory(role=Role.AGENT)
    services.ticket_update(ticket=complaint, actor=rina, version=complaint.version, owner=rina)
    complaint.refresh_from_db()
    with pytest.raises(ValidationError):
        services.ticket_update(ticket=complaint, actor=rina, version=complaint.version, owner=agus)
    services.ticket_update(
        ticket=complaint,
        actor=rina,
        version=complaint.version,
        owner=agus,
        handover_note="Pelanggan minta dikabari tiap sore; sudah dijanjikan proof fisik.",
    )
    complaint.refresh_from_db()
    assert complaint.handover_pending
    client.force_login(agus)
    page = client.get(reverse("tickets:detail", args=[complaint.reference]))
    assert "handover-banner" in page.text and "proof fisik" in page.text
    client.post(reverse("tickets:handover_read", args=[complaint.reference]))
    complaint.refresh_from_db()
    assert not complaint.handover_pending
    assert (
        "handover-banner"
        not in client.get(reverse("tickets:detail", args=[complaint.reference])).text
    )


def test_questions_are_ticked_and_logged(client: Client, complaint: Ticket) -> None:
    checklist = Checklist.objects.create(category="complaint", title="Keluhan")
    item = ChecklistItem.objects.create(checklist=checklist, position=1, text_id="Nomor pesanan?")
    agent = UserFactory(role=Role.MANAGER)
    client.force_login(agent)
    url = reverse("tickets:question", args=[complaint.reference, item.pk])
    client.post(url, {"asked": "1"})
    client.post(url, {"asked": "1"})  # twice is once
    assert complaint.ticks.count() == 1
    asked = Entry.objects.filter(chain=complaint.chain, kind=Kind.EVENT, text="Nomor pesanan?")
    assert asked.count() == 1
    client.post(url, {"asked": "0"})
    assert complaint.ticks.count() == 0
    other = Checklist.objects.create(category="request", title="Lain")
    stranger = ChecklistItem.objects.create(checklist=other, position=1, text_id="x")
    response = client.post(
        reverse("tickets:question", args=[complaint.reference, stranger.pk]), {"asked": "1"}
    )
    assert response.status_code == 404


def test_citing_an_sop_records_the_version_quoted(client: Client, complaint: Ticket) -> None:
    manager = UserFactory(role=Role.MANAGER)
    article = article_create(
        actor=manager,
        slug="warna-cetak",
        title_id="Warna cetak",
        body_id="RGB dan CMYK berbeda.",
        visibility="public",
    )
    client.force_login(manager)
    client.post(
        reverse("tickets:reply", args=[complaint.reference]),
        {"text": "Ibu Siti, sesuai SOP kami:", "cite": "warna-cetak"},
    )
    reply = Entry.objects.get(chain=complaint.chain, kind=Kind.REPLY)
    assert reply.data["cited"] == [{"article": "warna-cetak", "version": 1, "title": "Warna cetak"}]
    assert reply.text.endswith("— Warna cetak (v1)")
    del article


# --- satisfaction -----------------------------------------------------------------------------


def resolve(ticket: Ticket) -> Ticket:
    agent = UserFactory(role=Role.AGENT)
    services.ticket_fault_assess(ticket=ticket, actor=agent, fault="customer", note="SOP")
    services.ticket_update(ticket=ticket, actor=agent, version=ticket.version, owner=agent)
    ticket.refresh_from_db()
    services.ticket_update(ticket=ticket, actor=agent, version=ticket.version, status="resolved")
    ticket.refresh_from_db()
    return ticket


def survey_link(ticket: Ticket) -> str:
    from layan.core.blobs import blob_read

    outbound = OutboundRecord.objects.get(entry__data__event="survey")
    raw = blob_read(outbound.raw_id).decode()
    start = raw.index("/rate/")
    return raw[start : raw.index("/", start + 6) + 1]


def test_a_resolution_sends_one_survey_whose_link_is_not_logged(complaint: Ticket) -> None:
    ticket = resolve(complaint)
    assert survey_send(ticket=ticket) is not None
    assert survey_send(ticket=ticket) is None  # once per resolution
    link = survey_link(ticket)
    entry = Entry.objects.get(chain=ticket.chain, data__event="survey")
    assert link not in entry.text and "/rate/…/" in entry.text


def test_the_rating_link_answers_once_and_expires(client: Client, complaint: Ticket) -> None:
    ticket = resolve(complaint)
    survey_send(ticket=ticket)
    link = survey_link(ticket)
    page = client.get(link)
    assert page.status_code == 200 and "Warna beda" in page.text
    assert page["Referrer-Policy"] == "same-origin"
    client.post(link, {"action": "answer", "rating": "5", "comment": "Cepat dan ramah!"})
    client.post(link, {"action": "answer", "rating": "1", "comment": "ganti"})  # reuse
    survey = Survey.objects.get(ticket=ticket)
    assert survey.rating == 5 and survey.comment == "Cepat dan ramah!"
    assert Entry.objects.filter(chain=ticket.chain, data__event="rating").count() == 1
    assert client.get(link.replace("/rate/", "/rate/x")).status_code == 404
    other = resolve(
        make_ticket(
            requester=complaint.requester, customer=complaint.customer, category="complaint"
        )
    )
    survey_send(ticket=other)
    fresh = Survey.objects.get(ticket=other)
    Survey.objects.filter(pk=fresh.pk).update(expires_at=clock.now() - timedelta(minutes=1))
    fresh.refresh_from_db()
    with pytest.raises(SurveyClosed):
        survey_answer(survey=fresh, rating=4, comment="terlambat")


def test_consent_revocation_removes_the_testimonial_from_the_export(
    client: Client, complaint: Ticket
) -> None:
    ticket = resolve(complaint)
    survey_send(ticket=ticket)
    link = survey_link(ticket)
    client.post(
        link, {"action": "answer", "rating": "5", "comment": "Sangat membantu <b>sekali</b>"}
    )
    client.post(link, {"action": "consent", "given": "1", "display_name": "Ibu Siti, Jakarta"})
    exported = json.loads(published_json())
    assert exported == [
        {
            "quote": "Sangat membantu <b>sekali</b>",
            "name": "Ibu Siti, Jakarta",
            "rating": 5,
            "date": exported[0]["date"],
        }
    ]
    assert "&lt;b&gt;sekali&lt;/b&gt;" in published_html()
    client.post(link, {"action": "withdraw"})
    assert json.loads(published_json()) == []
    assert "Sangat membantu" not in published_html()
    kinds = list(
        Entry.objects.filter(chain=ticket.chain, kind=Kind.EVENT).values_list(
            "data__event", flat=True
        )
    )
    assert kinds[-3:] == ["rating", "testimonial_consent", "testimonial_revoked"]


def test_low_ratings_are_not_offered_as_testimonials(complaint: Ticket) -> None:
    ticket = resolve(complaint)
    survey_send(ticket=ticket)
    survey = Survey.objects.get(ticket=ticket)
    survey_answer(survey=survey, rating=2, comment="Lambat")
    with pytest.raises(SurveyClosed):
        survey_consent(survey=survey, given=True)


def test_testimonials_download_is_for_managers(client: Client) -> None:
    client.force_login(UserFactory(role=Role.AGENT))
    assert client.get(reverse("tickets:testimonials", args=["json"])).status_code == 403
    client.force_login(UserFactory(role=Role.MANAGER))
    response = client.get(reverse("tickets:testimonials", args=["json"]))
    assert response.status_code == 200 and response.json() == []
