"""`layan ingest-email` and `layan import-mail`, on real mail."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from layan.channels.bulk import BulkIntake
from layan.channels.email.parse import parse_email
from layan.channels.email.threading import candidate_ids
from layan.channels.models import InboundRecord, OutboundRecord, Outcome, TicketLink
from layan.channels.tests.mails import mail
from layan.core import clock
from layan.core.blobs import blob_read
from layan.customers.models import Contact, Identity, Membership
from layan.customers.services import identity_add
from layan.customers.tests.factories import ContactFactory
from layan.logbook.models import Entry, Kind
from layan.search.queries import ticket_match
from layan.search.terms import search_terms
from layan.tickets import tasks
from layan.tickets.models import Ticket, Tone
from layan.tickets.tests.factories import make_ticket

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
    def call(cls, ticket_id: int) -> None:
        cls.calls.append(ticket_id)


RECORDER = _Recorder


class _Inline:
    """Runs a task where it is enqueued (the test's task queue is never worked). Its queue is
    none of the database's, so it is handed over after each commit, as to RQ."""

    def __init__(self, task: Any) -> None:
        self.task = task

    def get_backend(self) -> Any:
        return object()

    def enqueue(self, *args: Any) -> None:
        self.task.call(*args)


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


MODES = [pytest.param([], id="set-wise"), pytest.param(["--per-message"], id="per-message")]


@pytest.mark.parametrize("mode", MODES)
def test_import_mail_in_batches_lets_followers_know_once_per_ticket(
    tmp_path: Path,
    settings,
    django_capture_on_commit_callbacks,
    mode: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.LAYAN_TICKET_CHANGE_TASKS = ["layan.channels.tests.test_commands.RECORDER"]
    _Recorder.calls = []
    monkeypatch.setattr(tasks, "tickets_changed_task", _Inline(tasks.tickets_changed_task))
    total = _thread_archive(tmp_path / "arsip")
    with django_capture_on_commit_callbacks(execute=True):
        summary = json.loads(
            run("import-mail", str(tmp_path / "arsip"), "--quiet", "--batch", "50", *mode)
        )
    assert (summary["read"], summary["new_tickets"], summary["threaded"]) == (total, 3, total - 3)
    assert sorted(_Recorder.calls) == sorted(Ticket.objects.values_list("pk", flat=True))


def _break_tone(monkeypatch: pytest.MonkeyPatch, fail: Callable[[Entry], None]) -> None:
    """Make the tone analysis of a message call `fail(entry)` first, on both intake paths."""
    from layan.channels import bulk
    from layan.tickets import services, tone

    real = tone.tone_build

    def broken(*, entry, **rest):  # type: ignore[no-untyped-def]
        fail(entry)
        return real(entry=entry, **rest)

    monkeypatch.setattr(services, "tone_build", broken)  # the live intake's
    monkeypatch.setattr(bulk, "tone_build", broken)  # the set-wise intake's


@pytest.mark.parametrize("mode", MODES)
def test_one_bad_message_in_a_batch_is_kept_and_the_others_land(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    total = _thread_archive(tmp_path / "arsip")

    def fail(entry: Entry) -> None:
        if entry.external_id == "t1-2@contoh.co.id":
            raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        _break_tone(patch, fail)
        summary = json.loads(run("import-mail", str(tmp_path / "arsip"), "--quiet", *mode))
    assert summary["failed"] == 1 and summary["threaded"] == total - 4
    kept = InboundRecord.objects.get(outcome=Outcome.PENDING)
    assert kept.external_id == "t1-2@contoh.co.id" and "disk on fire" in kept.reason
    assert b"t1-2@contoh.co.id" in blob_read(kept.raw_id)
    assert Entry.objects.filter(external_id="t1-2@contoh.co.id").count() == 0

    again = json.loads(run("import-mail", str(tmp_path / "arsip"), "--quiet", *mode))
    assert (again["threaded"], again["duplicates"]) == (1, total - 1)
    assert Entry.objects.filter(kind=Kind.MESSAGE).count() == total


@pytest.mark.parametrize("mode", MODES)
def test_a_crash_loses_only_the_batch_in_flight_and_a_rerun_completes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    total = _thread_archive(tmp_path / "arsip")
    seen: list[str] = []

    def dying(entry: Entry) -> None:
        seen.append(entry.external_id)
        if len(seen) == 7:
            raise KeyboardInterrupt  # the process is stopped mid-batch

    with monkeypatch.context() as patch:
        _break_tone(patch, dying)
        with pytest.raises(KeyboardInterrupt):
            run("import-mail", str(tmp_path / "arsip"), "--quiet", "--batch", "5", *mode)
    # The first batch of five committed; the second, in flight, left nothing behind.
    assert InboundRecord.objects.count() == 5
    assert Entry.objects.filter(kind=Kind.MESSAGE).count() == 5

    again = json.loads(
        run("import-mail", str(tmp_path / "arsip"), "--quiet", "--batch", "5", *mode)
    )
    assert again["duplicates"] == 5 and again["failed"] == 0
    assert InboundRecord.objects.count() == total
    assert Entry.objects.filter(kind=Kind.MESSAGE).count() == total
    assert Ticket.objects.count() == 3


class _Rollback(Exception):
    pass


def _imported(path: Path, *args: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Import `path` inside a transaction that is rolled back afterwards; return the summary
    and a picture of what it wrote, free of what differs between two runs by nature (keys,
    salts and hashes, the moment of the import)."""
    picture: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    started = clock.now()
    # A set-wise batch that failed would be taken again one by one and hide the failure.
    retried = mock.patch.object(BulkIntake, "forget", side_effect=AssertionError("retried"))
    try:
        with retried, transaction.atomic():
            summary.update(json.loads(run("import-mail", str(path), "--quiet", *args)))
            picture.update(_picture(started))
            raise _Rollback
    except _Rollback:
        pass
    summary.pop("seconds"), summary.pop("per_second")
    return summary, picture


def _picture(started: datetime) -> dict[str, Any]:
    names = dict(Contact.objects.values_list("pk", "name"))

    def moment(value: datetime) -> str:
        # A message dated in the future is dated by the import's own clock.
        return "the import's clock" if value >= started else value.isoformat()

    def actor(value: str) -> str:
        kind, _, key = value.partition(":")
        return f"contact:{names[int(key)]}" if kind == "contact" else value

    tickets = {}
    for ticket in Ticket.objects.select_related("customer", "requester").order_by("reference"):
        entries = [
            (
                entry.seq,
                entry.kind,
                entry.direction,
                entry.channel,
                actor(entry.actor),
                entry.subject,
                entry.text,
                entry.html,
                {
                    key: actor(value) if key == "requester" else value
                    for key, value in entry.data.items()
                    if key != "record"
                },
                entry.external_id,
                moment(entry.occurred_at),
                entry.raw_id,
                [(a.filename, a.blob_id, a.inline) for a in entry.attachments.order_by("position")],
            )
            for entry in Entry.objects.filter(chain=ticket.chain).order_by("seq")
        ]
        tones = list(
            Tone.objects.filter(ticket=ticket)
            .order_by("entry__seq")
            .values_list("language", "sentiment", "anger", "abusive", "urgent", "contact__name")
        )
        tickets[ticket.reference] = (
            ticket.subject,
            ticket.customer.name,
            ticket.customer.form,
            ticket.requester.name,
            ticket.status,
            ticket.message_count,
            ticket.anger,
            ticket.abusive,
            moment(ticket.last_customer_message_at),
            moment(ticket.created_at),
            ticket.channel,
            entries,
            tones,
        )
    return {
        "tickets": tickets,
        "records": sorted(
            InboundRecord.objects.values_list(
                "external_id",
                "content_sha256",
                "outcome",
                "reason",
                "ticket__reference",
                "entry__seq",
                "raw_id",
                "source",
                "attempts",
            ),
            key=repr,
        ),
        "identities": sorted(Identity.objects.values_list("kind", "value", "contact__name")),
        "memberships": sorted(
            Membership.objects.values_list(
                "contact__name", "customer__name", "customer__form", "is_primary"
            )
        ),
        "links": sorted(
            TicketLink.objects.values_list("ticket__reference", "other__reference", "reason")
        ),
        # What the search index finds for each word the conversations hold.
        "search": {
            word: sorted(
                Ticket.objects.filter(ticket_match(word)).values_list("reference", flat=True)
            )
            for word in sorted(
                {
                    word
                    for subject, text in Entry.objects.values_list("subject", "text")
                    for word in search_terms(f"{subject} {text}")
                }
            )
        },
    }


def _varied_archive(folder: Path) -> None:
    """An archive with every case the two intake paths must agree on."""
    folder.mkdir()
    day = datetime(2026, 11, 2, 1, tzinfo=UTC)
    messages: dict[str, bytes] = {
        # A conversation with a colleague in copy, who answers, and a picture attached.
        "a0": mail(message_id="<a0@kopi.co.id>", cc="Budi <budi@kopi.co.id>", date=day),
        "a1": mail(
            sender="Budi <budi@kopi.co.id>",
            message_id="<a1@kopi.co.id>",
            subject="Re: Kemasan penyok saat diterima",
            in_reply_to="<a0@kopi.co.id>",
            references="<a0@kopi.co.id>",
            date=day.replace(hour=2),
            attachments=[("foto.jpg", "image/jpeg", b"\xff\xd8\xff gambar")],
        ),
        "a2": mail(
            message_id="<a2@kopi.co.id>",
            subject="Re: Kemasan penyok saat diterima",
            body="Bodoh sekali pelayanannya, sudah seminggu tidak ada kabar!!!",
            in_reply_to="<a1@kopi.co.id>",
            references="<a0@kopi.co.id> <a1@kopi.co.id>",
            date=day.replace(hour=5),
            html="<p>Bodoh sekali <b>pelayanannya</b><img src=cid:x1></p>",
        ),
        # A stranger answers: a new ticket linked to the first.
        "a3": mail(
            sender="Orang Lain <lain@contoh.com>",
            message_id="<a3@contoh.com>",
            subject="Re: Kemasan penyok saat diterima",
            in_reply_to="<a0@kopi.co.id>",
            date=day.replace(hour=6),
        ),
        # The same person, the same subject, no reference: "possibly related".
        "a4": mail(message_id="<a4@kopi.co.id>", date=day.replace(hour=7)),
        # An out-of-office answer inside the conversation, and one to nothing.
        "a5": mail(
            sender="Budi <budi@kopi.co.id>",
            message_id="<a5@kopi.co.id>",
            subject="Auto: Kemasan penyok",
            in_reply_to="<a2@kopi.co.id>",
            headers={"Auto-Submitted": "auto-replied"},
            date=day.replace(hour=8),
        ),
        "a6": mail(
            sender="Cuti <cuti@kantor.id>",
            message_id="<a6@kantor.id>",
            subject="Out of office",
            headers={"Auto-Submitted": "auto-replied"},
            date=day.replace(hour=8, minute=5),
        ),
        # The same file twice, and the same Message-ID over other content.
        "b0": mail(
            sender="Rina <rina@toko.id>",
            message_id="<b0@toko.id>",
            subject="Invoice INV-2026-0042 dobel",
            body="Tagihan kami tercatat dua kali.",
            date=day.replace(hour=9),
        ),
        "b1": mail(
            sender="Rina <rina@toko.id>",
            message_id="<b0@toko.id>",
            subject="Invoice INV-2026-0042 dobel",
            body="Tagihan kami tercatat dua kali. Mohon dicek lagi.",
            date=day.replace(hour=9, minute=1),
        ),
        # A token of a ticket that does not exist, and an answer across batches.
        "b2": mail(
            sender="Rina <rina@toko.id>",
            message_id="<b2@toko.id>",
            subject="[#987654] Pengiriman ulang",
            date=day.replace(hour=10),
        ),
        "b3": mail(
            sender="Rina <rina@toko.id>",
            message_id="<b3@toko.id>",
            subject="Re: Invoice INV-2026-0042 dobel",
            in_reply_to="<b0@toko.id>",
            date=day.replace(day=5),
        ),
        # A mailing list: a member who was not addressed answers through the list.
        "c0": mail(
            sender="Ketua <ketua@komunitas.id>",
            to="Layan <cs@layan.test>",
            cc="Milis <milis@komunitas.id>",
            message_id="<c0@komunitas.id>",
            subject="Jadwal pelatihan",
            headers={"List-Id": "Milis Komunitas <milis.komunitas.id>"},
            date=day.replace(day=6),
        ),
        "c1": mail(
            sender="Anggota <anggota@komunitas.id>",
            to="Milis <milis@komunitas.id>",
            message_id="<c1@komunitas.id>",
            subject="Re: Jadwal pelatihan",
            in_reply_to="<c0@komunitas.id>",
            headers={"List-Id": "Milis Komunitas <milis.komunitas.id>"},
            date=day.replace(day=6, hour=3),
        ),
        # A known customer writes in, and answers themselves.
        "d0": mail(
            sender="Dewi Lama <dewi@pelanggan.id>",
            message_id="<d0@pelanggan.id>",
            subject="Minta penawaran",
            date=day.replace(day=7),
        ),
        "d1": mail(
            sender="Dewi Lama <dewi@pelanggan.id>",
            message_id="<d1@pelanggan.id>",
            subject="Re: Minta penawaran",
            in_reply_to="<d0@pelanggan.id>",
            date=day.replace(day=7, hour=4),
        ),
        # No Message-ID, no sender, and bytes that are not mail at all.
        "e0": mail(message_id="", sender="Tanpa Id <tanpa@id.id>", date=day.replace(day=8)),
        "e1": b"Subject: siapa?\r\n\r\nTanpa pengirim.\r\n",
        "e2": b"\x00\x01\x02 bukan surat",
    }
    for name, raw in messages.items():
        (folder / f"{name}.eml").write_bytes(raw)
    (folder / "b0-again.eml").write_bytes(messages["b0"])


@pytest.mark.parametrize("batch", ["1000", "3"])
def test_set_wise_and_per_message_imports_write_the_same_records(
    tmp_path: Path, batch: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The set-wise intake writes what the live intake writes for the same archive."""
    _varied_archive(tmp_path / "arsip")
    identity_add(
        contact=make_ticket(
            requester=ContactFactory(name="Dewi Lama"), subject="Kontrak lama"
        ).requester,
        kind="email",
        value="dewi@pelanggan.id",
    )
    fast, fast_picture = _imported(tmp_path / "arsip", "--batch", batch)
    slow, slow_picture = _imported(tmp_path / "arsip", "--batch", batch, "--per-message")
    assert fast == slow
    assert fast["read"] == 19 and fast["duplicates"] >= 1 and fast["kept_raw"] >= 1
    assert fast_picture == slow_picture
    # Both paths of the set-wise intake had their share of the archive.
    last = [r for r in caplog.records if r.getMessage() == "intake_batch"][-1]
    assert (last.fast, last.slow) == (5, 14)


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


@pytest.mark.corpus
@pytest.mark.slow
def test_both_intake_paths_agree_on_the_shared_mail() -> None:
    """Real mail (bounces, lists, odd charsets, broken messages): the same records either way."""
    mail_dir = SHARED / "mail"
    if not mail_dir.is_dir():
        pytest.skip(f"shared mail corpus not found at {mail_dir}")
    fast, fast_picture = _imported(mail_dir, "--batch", "100")
    slow, slow_picture = _imported(mail_dir, "--batch", "100", "--per-message")
    assert fast == slow
    assert fast_picture == slow_picture


def test_messages_parsed_by_worker_processes_give_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the next batches parsed and analysed in a worker process, nothing changes."""
    from layan.channels import prepare

    started: list[int] = []

    class Pool(prepare.ProcessPoolExecutor):
        def __init__(self, **options: Any) -> None:
            started.append(options["max_workers"])
            super().__init__(**options)

    _varied_archive(tmp_path / "arsip")
    monkeypatch.setattr(prepare, "POOL_AFTER", 0)
    monkeypatch.setattr(prepare, "ProcessPoolExecutor", Pool)
    pooled, pooled_picture = _imported(tmp_path / "arsip", "--batch", "4", "--jobs", "1")
    assert started == [1]
    inline, inline_picture = _imported(tmp_path / "arsip", "--batch", "4", "--jobs", "0")
    assert pooled == inline
    assert pooled_picture == inline_picture


def test_an_import_whose_workers_die_goes_on_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that dies breaks the pool: its batches are parsed in the importing process,
    with the same result."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from layan.channels import prepare

    class DeadPool:
        def __init__(self, **options: Any) -> None:
            pass

        def submit(self, *args: Any) -> Future[Any]:
            broken: Future[Any] = Future()
            broken.set_exception(BrokenProcessPool("a worker died"))
            return broken

        def shutdown(self, **options: Any) -> None:
            pass

    _varied_archive(tmp_path / "arsip")
    monkeypatch.setattr(prepare, "POOL_AFTER", 0)
    monkeypatch.setattr(prepare, "ProcessPoolExecutor", DeadPool)
    broken, broken_picture = _imported(tmp_path / "arsip", "--batch", "4", "--jobs", "1")
    inline, inline_picture = _imported(tmp_path / "arsip", "--batch", "4", "--jobs", "0")
    assert broken == inline
    assert broken_picture == inline_picture


def test_an_import_remembering_little_writes_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays bounded on any archive: what the set-wise intake forgot of earlier batches
    goes through the live intake, with the same result."""
    from layan.channels import bulk

    _varied_archive(tmp_path / "arsip")
    monkeypatch.setattr(bulk, "THREADS_KEPT", 1)
    monkeypatch.setattr(bulk, "CONTACTS_KEPT", 1)
    small, small_picture = _imported(tmp_path / "arsip", "--batch", "2")
    slow, slow_picture = _imported(tmp_path / "arsip", "--batch", "2", "--per-message")
    assert small == slow
    assert small_picture == slow_picture
