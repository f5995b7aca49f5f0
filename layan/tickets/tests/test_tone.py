"""The tone of customer messages in the product: on the ticket, in temperaments, in the coach."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from layan.core import clock
from layan.customers.models import Customer
from layan.customers.services import temperament_override
from layan.team.models import Role
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets.models import Tone
from layan.tickets.services import ticket_message_add
from layan.tickets.tasks import temperament_refresh_task
from layan.tickets.tests.factories import make_ticket
from layan.tickets.tone import temperament_refresh

pytestmark = pytest.mark.django_db

PLEASANT = [
    "Terima kasih banyak, pesanannya sudah sampai dengan rapi. Mantap!",
    "Makasih kak, pelayanannya cepat sekali, sukses terus ya 🙏",
    "Sudah saya terima fakturnya, terima kasih atas bantuannya.",
    "Kemasannya bagus, tim kami senang sekali. Terima kasih!",
]
HOSTILE = [
    "Saya SANGAT kecewa, sudah tiga kali komplain tidak ada yang tanggung jawab!!!",
    "Pelayanan kalian parah banget, tagihan dobel lagi, bikin marah saja.",
    "Ini sudah keterlaluan, kalau besok tidak beres saya batalkan semua pesanan!",
]


def test_an_angry_message_is_read_and_ranked() -> None:
    ticket = make_ticket(text=HOSTILE[1])
    tone = Tone.objects.get(ticket=ticket)
    assert tone.angry and tone.sentiment == "negative"
    ticket.refresh_from_db()
    assert ticket.anger == tone.anger >= 0.5


def test_messages_are_analysed_before_their_transaction_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The analysis needs only the text: it runs before the transaction (which on SQLite holds
    the one writer's turn), and the tone it gives is the one stored with the message."""
    from django.db import connection

    from layan.tickets import services

    inside: list[bool] = []
    real_analyze = services.analyze

    def analyze(text: str) -> object:
        inside.append(connection.in_atomic_block)
        return real_analyze(text)

    monkeypatch.setattr(services, "analyze", analyze)
    monkeypatch.setattr("layan.tickets.tone.analyze", None)  # any analysis there would fail
    outside = connection.in_atomic_block  # a test case's own transaction, if it has one
    ticket = make_ticket(text=HOSTILE[0])
    ticket_message_add(ticket=ticket, contact=ticket.requester, text=PLEASANT[0])
    assert inside == [outside, outside]
    tones = list(Tone.objects.filter(ticket=ticket).order_by("occurred_at", "pk"))
    assert [tone.sentiment for tone in tones] == ["negative", "positive"]
    ticket.refresh_from_db()
    assert ticket.anger == tones[-1].anger


def test_abusive_language_is_flagged_and_folded_for_the_agent(client: Client) -> None:
    agent = UserFactory(role=Role.AGENT)
    ticket = make_ticket(team=TeamFactory(members=[agent]), text="Dasar bodoh semua, anjing!")
    tone = Tone.objects.get(ticket=ticket)
    assert tone.abusive and tone.abuse_terms
    ticket.refresh_from_db()
    assert ticket.abusive
    client.force_login(agent)
    page = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert 'class="fold abusive"' in page.text


def test_a_customer_who_turns_hostile_is_seen_as_hostile_and_worsening() -> None:
    """Months of pleasant messages, then three angry ones: the temperament follows the turn."""
    start = clock.now() - timedelta(days=120)
    with clock.clock_at(start):
        ticket = make_ticket(text=PLEASANT[0])
    for number, text in enumerate(PLEASANT[1:] * 2):
        with clock.clock_at(start + timedelta(days=10 * (number + 1))):
            ticket_message_add(ticket=ticket, contact=ticket.requester, text=text)
    temperament_refresh(ticket=ticket)
    ticket.requester.refresh_from_db()
    assert ticket.requester.temperament == "pleasant"
    for number, text in enumerate(HOSTILE):
        with clock.clock_at(clock.now() - timedelta(days=3 - number)):
            ticket_message_add(ticket=ticket, contact=ticket.requester, text=text)
    temperament_refresh_task.call(ticket.pk)
    contact = ticket.requester
    contact.refresh_from_db()
    assert contact.temperament == "hostile"
    assert contact.temperament_trend == "worsening"
    hostile_ids = set(Tone.objects.filter(entry__text__in=HOSTILE).values_list("pk", flat=True))
    assert hostile_ids & set(contact.temperament_evidence)
    assert len(contact.temperament_series) == 10 and contact.temperament_series[-1] < 0
    customer = Customer.objects.get(pk=ticket.customer_id)
    assert customer.temperament == "hostile"


def test_one_angry_message_among_many_pleasant_ones_is_not_hostile() -> None:
    start = clock.now() - timedelta(days=60)
    with clock.clock_at(start):
        ticket = make_ticket(text=PLEASANT[0])
    for number, text in enumerate([*PLEASANT[1:], HOSTILE[0], *PLEASANT]):
        with clock.clock_at(start + timedelta(days=5 * (number + 1))):
            ticket_message_add(ticket=ticket, contact=ticket.requester, text=text)
    temperament_refresh(ticket=ticket)
    ticket.requester.refresh_from_db()
    assert ticket.requester.temperament != "hostile"


def test_an_override_needs_a_reason_and_wins_on_the_page(client: Client) -> None:
    from django.core.exceptions import ValidationError

    manager = UserFactory(role=Role.MANAGER, language="en")
    ticket = make_ticket(text=HOSTILE[0])
    temperament_refresh(ticket=ticket)
    contact = ticket.requester
    with pytest.raises(ValidationError):
        temperament_override(target=contact, actor=manager, label="pleasant", reason="  ")
    client.force_login(manager)
    url = reverse("customers:contact_temperament", args=[contact.pk])
    client.post(url, {"label": "pleasant", "reason": "Sedang ditekan atasannya; biasanya ramah."})
    contact.refresh_from_db()
    assert contact.temperament_shown == "pleasant" and contact.temperament_override_by == manager
    page = client.get(reverse("customers:contact", args=[contact.pk]))
    assert "set by hand" in page.text and "biasanya ramah" in page.text
    client.post(url, {"label": "", "reason": ""})
    contact.refresh_from_db()
    assert contact.temperament_override == "" and contact.temperament_shown == contact.temperament


def test_viewers_cannot_override() -> None:
    from django.core.exceptions import PermissionDenied

    ticket = make_ticket()
    with pytest.raises(PermissionDenied):
        temperament_override(
            target=ticket.requester,
            actor=UserFactory(role=Role.VIEWER),
            label="hostile",
            reason="x",
        )


def test_the_temperament_card_links_only_visible_evidence(client: Client) -> None:
    agent = UserFactory(role=Role.AGENT)
    mine = make_ticket(team=TeamFactory(members=[agent]), text=HOSTILE[0])
    theirs = make_ticket(customer=mine.customer, requester=mine.requester, text=HOSTILE[1])
    temperament_refresh(ticket=mine)
    client.force_login(agent)
    page = client.get(reverse("customers:detail", args=[mine.customer_id]))
    assert f"{mine.ref}</a>" in page.text
    assert f"{theirs.ref}</a>" not in page.text


# --- the reply coach on the ticket page ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "draft", "expected", "absent"),
    [
        (
            "id",
            "Selamat siang Ibu Siti, terima kasih atas kesabarannya. Mohon maaf atas "
            "keterlambatannya; paket Ibu kami kirim ulang besok pukul 10.00.",
            ["greeting", "name"],
            ["blame_phrase"],
        ),
        ("id", "SUDAH KAMI JELASKAN BERKALI-KALI, Anda salah baca.", [], ["greeting"]),
        (
            "en",
            "Dear Ms Sarah, thank you for your patience. We will deliver by Friday 10:00.",
            ["greeting", "name"],
            ["vague_promise"],
        ),
        ("en", "That's not our problem. We'll fix it as soon as possible.", [], ["greeting"]),
    ],
)
def test_the_coach_reads_drafts_in_both_languages(
    client: Client, language: str, draft: str, expected: list[str], absent: list[str]
) -> None:
    from layan.customers.tests.factories import ContactFactory, MembershipFactory

    contact = ContactFactory(
        name="Siti Nurhaliza" if language == "id" else "Sarah Lim",
        preferred_name="Siti" if language == "id" else "Sarah",
        honorific="Ibu" if language == "id" else "Ms",
        language=language,
    )
    ticket = make_ticket(requester=contact)
    MembershipFactory(contact=contact, customer=ticket.customer)
    client.force_login(UserFactory(role=Role.MANAGER))
    response = client.post(
        reverse("tickets:coach", args=[ticket.reference]),
        {"text": draft},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    report = response.context["coach"]
    for code in expected:
        assert code in report.found_codes, report.to_dict()
    for code in absent:
        assert code not in report.found_codes
    if not expected:
        assert report.hints and report.score < 70
        assert "blame_phrase" in report.hint_codes


def test_without_javascript_the_coach_keeps_the_draft(client: Client) -> None:
    ticket = make_ticket()
    client.force_login(UserFactory(role=Role.MANAGER))
    draft = "ok nanti kami kabari"
    response = client.post(reverse("tickets:coach", args=[ticket.reference]), {"text": draft})
    assert response.status_code == 200
    assert draft in response.text and "coach-panel" in response.text
