"""`layan ingest-email` and `layan import-mail`, on real mail."""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

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


class _Recorder:
    """Stands in for a follow-up task: records the tickets it was enqueued for."""

    calls: ClassVar[list[int]] = []

    @classmethod
    def enqueue(cls, ticket_id: int) -> None:
        cls.calls.append(ticket_id)


RECORDER = _Recorder


def _thread_archive(folder: Path, *, threads: int = 3, replies: int = 3) -> int:
    """Write `threads` conversations of 1 + `replies` messages, one file each; return the total."""
    folder.mkdir()
    count = 0
    for thread in range(threads):
        sender = f"Pelanggan {thread} <p{thread}@contoh.co.id>"
        parent = f"<t{thread}-0@contoh.co.id>"
        (folder / f"t{thread}-0.eml").write_bytes(
            mail(sender=sender, message_id=parent, subject=f"Pesanan {thread} belum tiba")
        )
        count += 1
        for reply in range(1, replies + 1):
            (folder / f"t{thread}-{reply}.eml").write_bytes(
                mail(
                    sender=sender,
                    message_id=f"<t{thread}-{reply}@contoh.co.id>",
                    subject=f"Re: Pesanan {thread} belum tiba",
                    in_reply_to=parent,
                    date=datetime(2026, 11, 20, 3 + reply, tzinfo=UTC),
                )
            )
            count += 1
    return count


def test_import_mail_in_batches_lets_followers_know_once_per_ticket(
    tmp_path: Path, settings, django_capture_on_commit_callbacks
) -> None:
    settings.LAYAN_TICKET_CHANGE_TASKS = ["layan.channels.tests.test_commands.RECORDER"]
    _Recorder.calls = []
    total = _thread_archive(tmp_path / "arsip")
    with django_capture_on_commit_callbacks(execute=True):
        summary = json.loads(
            run("import-mail", str(tmp_path / "arsip"), "--quiet", "--batch", "50")
        )
    assert (summary["read"], summary["new_tickets"], summary["threaded"]) == (total, 3, total - 3)
    assert sorted(_Recorder.calls) == sorted(Ticket.objects.values_list("pk", flat=True))


def test_one_bad_message_in_a_batch_is_kept_and_the_others_land(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = _thread_archive(tmp_path / "arsip")
    from layan.channels import intake

    real = intake._find_ticket

    def broken(message, contact):  # type: ignore[no-untyped-def]
        if message.external_id == "t1-2@contoh.co.id":
            raise RuntimeError("disk on fire")
        return real(message, contact)

    monkeypatch.setattr(intake, "_find_ticket", broken)
    summary = json.loads(run("import-mail", str(tmp_path / "arsip"), "--quiet"))
    assert summary["failed"] == 1 and summary["threaded"] == total - 4
    kept = InboundRecord.objects.get(outcome=Outcome.PENDING)
    assert kept.external_id == "t1-2@contoh.co.id" and "disk on fire" in kept.reason
    assert b"t1-2@contoh.co.id" in blob_read(kept.raw_id)
    assert Entry.objects.filter(external_id="t1-2@contoh.co.id").count() == 0

    monkeypatch.setattr(intake, "_find_ticket", real)
    again = json.loads(run("import-mail", str(tmp_path / "arsip"), "--quiet"))
    assert (again["threaded"], again["duplicates"]) == (1, total - 1)
    assert Entry.objects.filter(kind=Kind.MESSAGE).count() == total


def test_a_crash_loses_only_the_batch_in_flight_and_a_rerun_completes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = _thread_archive(tmp_path / "arsip")
    from layan.channels import intake

    real = intake._find_ticket
    seen: list[str] = []

    def dying(message, contact):  # type: ignore[no-untyped-def]
        seen.append(message.external_id)
        if len(seen) == 7:
            raise KeyboardInterrupt  # the process is stopped mid-batch
        return real(message, contact)

    monkeypatch.setattr(intake, "_find_ticket", dying)
    with pytest.raises(KeyboardInterrupt):
        run("import-mail", str(tmp_path / "arsip"), "--quiet", "--batch", "5")
    # The first batch of five committed; the second, in flight, left nothing behind.
    assert InboundRecord.objects.count() == 5
    assert Entry.objects.filter(kind=Kind.MESSAGE).count() == 5

    monkeypatch.setattr(intake, "_find_ticket", real)
    again = json.loads(run("import-mail", str(tmp_path / "arsip"), "--quiet", "--batch", "5"))
    assert again["duplicates"] == 5 and again["failed"] == 0
    assert InboundRecord.objects.count() == total
    assert Entry.objects.filter(kind=Kind.MESSAGE).count() == total
    assert Ticket.objects.count() == 3


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
