from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from layan.knowledge.models import CannedReply, Checklist, ChecklistItem
from layan.knowledge.placeholders import placeholders_fill
from layan.knowledge.queries import (
    PANEL_ARTICLES,
    articles_for,
    canned_replies_for,
    checklist_for,
    panel_articles,
)
from layan.knowledge.services import article_create, article_revise
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.models import Category, Fault, Stage

pytestmark = pytest.mark.django_db


def test_revisions_keep_every_version() -> None:
    manager = UserFactory(role=Role.MANAGER)
    article = article_create(actor=manager, title_id="Warna cetak", body_id="RGB dan CMYK berbeda.")
    second = article_revise(
        article=article,
        actor=manager,
        title_id="Warna cetak",
        body_id="Proof fisik disarankan.",
        change_note="Tambah proof",
    )
    article.refresh_from_db()
    assert article.latest == second and second.number == 2
    assert article.versions.get(number=1).body_id == "RGB dan CMYK berbeda."


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_only_editors_write_sops(role: str) -> None:
    with pytest.raises(PermissionDenied):
        article_create(actor=UserFactory(role=role), title_id="x", body_id="y")


def test_an_article_needs_text() -> None:
    with pytest.raises(ValidationError):
        article_create(actor=None, title_id="  ", body_id="")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "Halo {name}, tiket {ticket} ditangani {owner}.",
            "Halo Ibu Siti, tiket #1042 ditangani Rina.",
        ),
        ("{0.__class__} {name.__class__} {unknown}", "{0.__class__} {name.__class__} {unknown}"),
        ("Kurung { tunggal dan {terms}", "Kurung { tunggal dan {terms}"),
    ],
)
def test_placeholders_fill_only_known_fields(template: str, expected: str) -> None:
    values = {"name": "Ibu Siti", "ticket": "#1042", "owner": "Rina"}
    assert placeholders_fill(template, values) == expected


def test_resolve_suggests_an_apology_when_we_were_wrong_and_advocacy_otherwise() -> None:
    CannedReply.objects.create(title="Maaf", stage="resolve", fault="ours", body_id="Mohon maaf")
    CannedReply.objects.create(
        title="Sesuai SOP", stage="resolve", fault="customer", body_id="Sesuai kesepakatan"
    )
    CannedReply.objects.create(title="Umum", stage="", body_id="Terima kasih")
    # As a ticket's fields hold them just after a service set them: enum members.
    ours = canned_replies_for(stage=Stage.RESOLVE, category=Category.COMPLAINT, fault=Fault.OURS)
    theirs = canned_replies_for(stage="resolve", category="complaint", fault="customer")
    assert ours[0].title == "Maaf" and "Sesuai SOP" not in [r.title for r in ours]
    assert theirs[0].title == "Sesuai SOP" and "Maaf" not in [r.title for r in theirs]


def test_pages_search_and_show_old_versions(client: Client) -> None:
    manager = UserFactory(role=Role.MANAGER)
    article = article_create(
        actor=manager,
        title_id="Pembatalan pesanan",
        body_id="Pesanan yang sudah diproduksi tidak dapat dibatalkan.",
    )
    article_revise(
        article=article,
        actor=manager,
        title_id="Pembatalan pesanan",
        body_id="Pembatalan dikenai biaya bahan 50%.",
    )
    client.force_login(UserFactory(role=Role.AGENT))
    found = client.get(reverse("knowledge:list") + "?q=biaya bahan", headers={"HX-Request": "true"})
    assert "Pembatalan pesanan" in found.text
    old = client.get(reverse("knowledge:detail", args=[article.slug]) + "?v=1")
    assert "tidak dapat dibatalkan" in old.text
    assert client.get(reverse("knowledge:create")).status_code == 200
    response = client.post(
        reverse("knowledge:create"),
        {"title_id": "x", "body_id": "y", "kind": "sop", "visibility": "internal"},
    )
    assert response.status_code == 400


def test_a_ticket_pages_panel_reads_as_the_lists_do(django_assert_num_queries: Any) -> None:
    """The panel's reads are built once; they answer what the ordinary queries answer."""
    manager = UserFactory(role=Role.MANAGER)
    for title in ("Warna cetak", "Antar barang", "Ukuran kertas"):
        article_create(actor=manager, title_id=title, body_id=f"Isi {title}.")
    CannedReply.objects.create(title="Tidak aktif", stage="", active=False, body_id="Lama")
    CannedReply.objects.create(title="Umum", stage="", body_id="Terima kasih")
    CannedReply.objects.create(title="Pesanan", category="request", body_id="Kami proses")
    checklist = Checklist.objects.create(category="complaint")
    for position, text in ((2, "Foto barang?"), (1, "Nomor pesanan?")):
        ChecklistItem.objects.create(checklist=checklist, position=position, text_id=text)
    assert [a.slug for a in panel_articles(manager)] == [
        a.slug for a in articles_for(manager)[:PANEL_ARTICLES]
    ]
    assert panel_articles(UserFactory(role=Role.MANAGER, is_active=False)) == []
    assert [r.title for r in canned_replies_for(stage="", category="question", fault="")] == [
        "Umum"
    ]
    assert [r.title for r in canned_replies_for(stage="", category="request", fault="")] == [
        "Pesanan",
        "Umum",
    ]
    with django_assert_num_queries(2):  # the checklist, its items
        found = checklist_for("complaint")
        assert found == checklist
        assert [item.text_id for item in found.items.all()] == ["Nomor pesanan?", "Foto barang?"]
    assert checklist_for("question") is None
    assert checklist_for(Category.COMPLAINT) == checklist
