"""A ticket's evidence bundle, from the button on its page to a third party's check."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from layan.core import clock
from layan.logbook.bundle import bundle_verify
from layan.logbook.models import Entry, Kind
from layan.logbook.services import NewAttachment
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.evidence import ticket_evidence_export
from layan.tickets.models import Tone
from layan.tickets.services import ticket_reply
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():  # type: ignore[no-untyped-def]
    ticket = make_ticket(
        subject="Tagihan ganda bulan Oktober",
        raw=b"From: siti@kopi.co.id\r\nSubject: Tagihan\r\n\r\nTagihan saya dobel.\r\n",
        attachments=[NewAttachment("invoice.pdf", "application/pdf", b"%PDF-1.7 invoice")],
    )
    ticket_reply(ticket=ticket, actor=UserFactory(role=Role.AGENT), text="Kami cek, Ibu Siti.")
    return ticket


def test_bundle_verifies_with_the_library_and_the_standalone_script(
    ticket,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    bundle = tmp_path / "case.zip"
    ticket_evidence_export(ticket=ticket, actor=None, target=bundle)
    report = bundle_verify(bundle, now=clock.now())
    assert report.ok, report.problems
    assert report.ticket == str(ticket.reference) and report.entries == 3
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        transcript = archive.read("transcript.html").decode()
        verifier = archive.read("verify.py")
    assert "transcript.html" in names and "public_key.pem" in names
    assert "Tagihan ganda bulan Oktober" in transcript and "Kami cek, Ibu Siti." in transcript
    script = tmp_path / "verify.py"
    script.write_bytes(verifier)
    result = subprocess.run(
        [sys.executable, "-I", str(script), str(bundle)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The export itself is on record, after the signed head.
    last = Entry.objects.filter(chain=ticket.chain).order_by("-seq").first()
    assert last is not None and last.kind == Kind.EVENT
    assert last.data["event"] == "evidence_exported"


def test_a_swapped_attachment_in_the_bundle_is_caught(ticket, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bundle = tmp_path / "case.zip"
    ticket_evidence_export(ticket=ticket, actor=None, target=bundle)
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("attachments/"):
                data = b"%PDF-1.7 invoice (paid in full)"
            target.writestr(item, data)
    assert not bundle_verify(forged, now=clock.now()).ok


def test_evidence_button_streams_a_zip_to_account_managers(client: Client, ticket) -> None:  # type: ignore[no-untyped-def]
    manager = UserFactory(role=Role.MANAGER)
    client.force_login(manager)
    page = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert "Logbook" in page.text or "logbook" in page.text.lower()
    response = client.post(reverse("tickets:evidence", args=[ticket.reference]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = b"".join(response.streaming_content)
    assert bundle_verify(io.BytesIO(data), now=clock.now()).ok


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_cannot_export_evidence(client: Client, ticket, role: str) -> None:  # type: ignore[no-untyped-def]
    from layan.team.tests.factories import TeamFactory

    user = UserFactory(role=role)
    ticket.team = TeamFactory(members=[user])
    ticket.save(update_fields=["team"])
    client.force_login(user)
    assert client.post(reverse("tickets:evidence", args=[ticket.reference])).status_code == 403


def test_ticket_page_says_logbook_verified(client: Client, ticket) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(role=Role.ADMIN, language="en"))
    response = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert "Logbook verified" in response.text


def test_admin_redacts_through_the_page(
    client: Client, ticket, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    message = Entry.objects.get(chain=ticket.chain, kind=Kind.MESSAGE)
    url = reverse("tickets:redact", args=[ticket.reference, message.seq])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Permintaan hapus data dari pelanggan"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.redacted and message.text == ""
    page = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert "pesanan kami belum sampai" not in page.text


def test_a_redaction_also_erases_the_words_the_tone_quoted(
    client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    ticket = make_ticket(text="Dasar bodoh, kerja kalian kayak anjing! Tolong segera, darurat.")
    tone = Tone.objects.get(ticket=ticket)
    assert tone.abusive and tone.abuse_terms and tone.urgency_cues
    client.force_login(UserFactory(role=Role.ADMIN))
    url = reverse("tickets:redact", args=[ticket.reference, tone.entry.seq])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"reason": "Permintaan hapus data"}).status_code == 302
    tone.refresh_from_db()
    assert (tone.abuse_terms, tone.urgency_cues) == ([], [])
    assert tone.abusive  # the scores stay; they quote nothing


def test_manager_cannot_redact(client: Client, ticket) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(role=Role.MANAGER))
    message = Entry.objects.get(chain=ticket.chain, kind=Kind.MESSAGE)
    url = reverse("tickets:redact", args=[ticket.reference, message.seq])
    assert client.post(url, {"reason": "x"}).status_code == 403
