"""`layan ingest-email` and `layan import-mail`, on real mail."""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from layan.channels.email.parse import parse_email
from layan.channels.email.threading import candidate_ids
from layan.channels.models import InboundRecord, OutboundRecord, Outcome, TicketLink
from layan.channels.tests.mails import mail
from layan.core.blobs import blob_read
from layan.logbook.models import Entry, Kind
from layan.tickets.models import Ticket

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "email" / "tests" / "fixtures"
SHARED = Path(
    os.environ.get("LAYAN_SHARED_DATA", Path(__file__).resolve().parents[4] / "shared" / "data")
)


def run(*args: str, stdin: bytes | None = None) -> str:
    out = io.StringIO()
    if stdin is not None:

        class Stdin:
            buffer = io.BytesIO(stdin)

        saved = sys.stdin
        sys.stdin = Stdin()  # type: ignore[assignment]
        try:
            call_command(*args, stdout=out)
        finally:
            sys.stdin = saved
    else:
        call_command(*args, stdout=out)
    return out.getvalue()


def test_ingest_email_from_a_pipe_prints_one_json_line() -> None:
    line = run("ingest-email", "-", stdin=mail())
    result = json.loads(line)
    assert result["outcome"] == "new_ticket" and result["entry"] == 2
    assert Ticket.objects.get().reference == result["ticket"]
    again = json.loads(run("ingest-email", "-", stdin=mail(message_id="<x@y.z>")))
    assert again["outcome"] == "new_ticket"


def test_ingest_email_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "pesan.eml"
    path.write_bytes(mail())
    assert json.loads(run("ingest-email", str(path)))["outcome"] == "new_ticket"
    assert json.loads(run("ingest-email", str(path)))["outcome"] == "duplicate"


def test_import_mail_summarises_a_folder_and_mails_nobody() -> None:
    summary = json.loads(run("import-mail", str(FIXTURES), "--quiet"))
    assert summary["read"] == sum(
        summary[key]
        for key in (
            "new_tickets",
            "threaded",
            "duplicates",
            "auto_replies",
            "bounces",
            "kept_raw",
            "own_messages",
            "failed",
        )
    )
    assert summary["failed"] == 0 and summary["bounces"] >= 4 and summary["new_tickets"] >= 5
    assert not OutboundRecord.objects.exists()
    again = json.loads(run("import-mail", str(FIXTURES), "--quiet"))
    assert again["duplicates"] == again["read"]


def test_import_mail_threads_an_mbox_in_date_order(tmp_path: Path) -> None:
    """A reply stored before the message it answers still joins its ticket."""
    first = mail(message_id="<induk@kopi.co.id>", cc="budi@kopi.co.id")
    answer = mail(
        sender="Budi <budi@kopi.co.id>",
        message_id="<anak@kopi.co.id>",
        subject="Re: Kemasan penyok",
        in_reply_to="<induk@kopi.co.id>",
        date=datetime(2026, 11, 21, tzinfo=UTC),
    )
    archive = tmp_path / "arsip.mbox"
    archive.write_bytes(
        b"From budi@kopi.co.id Sat Nov 21 00:00:00 2026\n"
        + answer.replace(b"\r\n", b"\n")
        + b"\nFrom siti@kopi.co.id Fri Nov 20 02:30:00 2026\n"
        + first.replace(b"\r\n", b"\n")
    )
    summary = json.loads(run("import-mail", str(archive), "--quiet"))
    assert (summary["new_tickets"], summary["threaded"]) == (1, 1)


@pytest.mark.corpus
@pytest.mark.slow
def test_every_shared_message_is_an_entry_or_kept_raw_and_lkml_threads_follow_references() -> None:
    mail_dir = SHARED / "mail"
    if not mail_dir.is_dir():
        pytest.skip(f"shared mail corpus not found at {mail_dir}")
    summary = json.loads(run("import-mail", str(mail_dir), "--quiet"))
    assert summary["failed"] == 0
    for record in InboundRecord.objects.all():
        if record.outcome in (Outcome.NEW_TICKET, Outcome.THREADED):
            assert record.entry_id is not None
        elif record.outcome in (Outcome.KEPT_RAW, Outcome.BOUNCE, Outcome.AUTO_REPLY):
            assert record.reason, record.source
    bounces = InboundRecord.objects.filter(source__contains="/sisimai/", outcome=Outcome.BOUNCE)
    assert bounces.count() >= 75
    # LKML: a reply whose parent is in the corpus lands in its parent's ticket, or (when its
    # sender is outside the thread) opens a ticket linked to it.
    ticket_of: dict[str, int] = {}
    parent_of: dict[str, str] = {}
    for record in InboundRecord.objects.filter(source__contains="/notmuch/lkml").exclude(
        outcome=Outcome.DUPLICATE
    ):
        message = parse_email(blob_read(record.raw_id))
        assert record.ticket_id is not None
        ticket_of[message.external_id] = record.ticket_id
        parents = candidate_ids(message)
        parent_of[message.external_id] = parents[0] if parents else ""
    joined = linked = total = 0
    for message_id, parent in parent_of.items():
        if parent not in ticket_of:
            continue
        total += 1
        if ticket_of[parent] == ticket_of[message_id]:
            joined += 1
        elif TicketLink.objects.filter(
            ticket_id=ticket_of[message_id], other_id=ticket_of[parent]
        ).exists():
            linked += 1
    assert total >= 120
    assert joined / total >= 0.95
    assert joined + linked == total
    assert Entry.objects.filter(kind=Kind.MESSAGE).count() >= 450
