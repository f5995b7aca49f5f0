"""The logbook as stored: append-only in the database, and every kind of tampering caught.

Tampering goes around the application the way an attacker with database access would: the
triggers are dropped, rows are changed with plain SQL-level updates, the triggers come back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from layan.core import clock
from layan.core.blobs import blob_exists
from layan.core.models import BlobBytes, blob_storage_name
from layan.logbook.bodies import entry_body
from layan.logbook.chain import Code, content_digest, entry_hash
from layan.logbook.merkle import TreeSummary
from layan.logbook.models import Chain, Checkpoint, Entry, Kind, SigningKey
from layan.logbook.services import (
    NewAttachment,
    chain_writes,
    checkpoint_create,
    checkpoint_export,
    entry_append,
    entry_redact,
    signing_key_revoke,
)
from layan.logbook.signing import SignedCheckpoint, checkpoint_hash, checkpoint_sign, key_generate
from layan.logbook.triggers import triggers_install, triggers_uninstall
from layan.logbook.verify import checkpoint_from_file, logbook_verify
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets import services as tickets
from layan.tickets.models import Ticket, Tone
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

ENTRIES = 120


@contextmanager
def triggers_off() -> Iterator[None]:
    triggers_uninstall(connection)
    try:
        yield
    finally:
        triggers_install(connection)


def codes(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {str(f.problem.code) for f in report.findings if f.severity == "error"}


@pytest.fixture(autouse=True)
def _own_blob_store(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """These tests damage and erase stored bytes; give each its own store."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "blobs"},
        },
    }


@pytest.fixture
def log() -> Ticket:
    """A ticket with a long conversation, raw email bytes and attachments, checkpointed."""
    ticket = make_ticket(raw=b"From: a@b.c\r\nSubject: x\r\n\r\nhalo\r\n")
    agent = UserFactory(role=Role.AGENT)
    start = ticket.created_at
    for number in range(ENTRIES - 2):
        with clock.clock_at(start + timedelta(minutes=number + 1)):
            if number % 3 == 0:
                tickets.ticket_message_add(
                    ticket=ticket,
                    contact=ticket.requester,
                    text=f"Pesan pelanggan {number}",
                    raw=f"raw {number}".encode(),
                    attachments=[NewAttachment("foto.jpg", "image/jpeg", f"jpg{number}".encode())],
                )
            elif number % 3 == 1:
                tickets.ticket_reply(ticket=ticket, actor=agent, text=f"Balasan {number}")
            else:
                tickets.ticket_note_add(ticket=ticket, actor=agent, text=f"Catatan {number}")
    make_ticket()  # a second chain, so checkpoints cover more than one
    checkpoint_create()
    return ticket


def verify(**kwargs):  # type: ignore[no-untyped-def]
    return logbook_verify(now=clock.now() + timedelta(minutes=1), **kwargs)


def entry(ticket: Ticket, seq: int) -> Entry:
    return Entry.objects.get(chain=ticket.chain, seq=seq)


def test_untouched_log_verifies_clean(log: Ticket) -> None:
    report = verify()
    assert report.ok, [f.describe() for f in report.findings]
    assert report.entries == Entry.objects.count()
    assert report.chains == 2
    assert verify(ticket=str(log.reference)).ok


def test_sec_e12_database_refuses_updates_and_deletes(log: Ticket) -> None:
    """Even below the ORM the log cannot be edited or shortened."""
    target = entry(log, 3)
    assert target.attachments.exists()
    statements = [
        lambda: Entry.objects.filter(pk=target.pk).update(text="diubah"),
        lambda: Entry.objects.filter(pk=target.pk).update(kind="note"),
        lambda: Entry.objects.filter(pk=target.pk).delete(),
        lambda: Chain.objects.filter(pk=log.chain_id).update(head_seq=3),
        lambda: Chain.objects.filter(pk=log.chain_id).delete(),
        lambda: target.attachments.all().delete(),
        # A "redaction" that also changes what the chain covers is refused as well.
        lambda: Entry.objects.filter(pk=target.pk).update(
            subject="", text="", html="", content_salt="", redacted=True, kind="note"
        ),
    ]
    for statement in statements:
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            statement()
    with connection.cursor() as cursor, pytest.raises(DatabaseError), transaction.atomic():
        cursor.execute("DELETE FROM logbook_entry")
    assert verify().ok


def test_sec_e01_changed_field_is_named_by_seq(log: Ticket) -> None:
    with triggers_off():
        Entry.objects.filter(pk=entry(log, 17).pk).update(channel="whatsapp")
    report = verify()
    assert not report.ok
    assert report.first_bad is not None and report.first_bad.problem.seq == 17
    assert report.first_bad.problem.code == Code.CONTENT_CHANGED


def test_sec_e01_changed_text_is_caught_by_the_content_digest(log: Ticket) -> None:
    with triggers_off():
        Entry.objects.filter(pk=entry(log, 20).pk).update(text="Saya tidak pernah bilang begitu")
    report = verify()
    assert report.first_bad is not None and report.first_bad.problem.seq == 20
    assert report.first_bad.problem.code == Code.DIGEST_MISMATCH


def test_sec_e02_deleted_entry_is_a_gap(log: Ticket) -> None:
    with triggers_off():
        victim = entry(log, 40)
        victim.attachments.all().delete()
        Tone.objects.filter(entry=victim).delete()
        Entry.objects.filter(pk=victim.pk).delete()
    report = verify()
    assert Code.ENTRY_MISSING in codes(report)
    assert report.first_bad is not None and report.first_bad.problem.seq in (40, 41)


def test_sec_e03_inserted_entry_is_caught(log: Ticket) -> None:
    """A forged entry slipped in after entry 30, correctly linked and hashed, with the later
    entries renumbered: the entry after it still names entry 30 as its predecessor."""
    original = entry(log, 30)
    with triggers_off():
        later = Entry.objects.filter(chain=log.chain, seq__gt=30)
        later.update(seq=F("seq") + 1_000_000)
        Entry.objects.filter(chain=log.chain, seq__gt=1_000_000).update(seq=F("seq") - 999_999)
        forged = Entry.objects.get(pk=original.pk)
        forged.pk = None
        forged.seq = 31
        forged.prev_hash = original.body_hash
        forged.kind = Kind.MESSAGE
        forged.text = "Pelanggan setuju membayar penuh."
        forged.content_sha256 = content_digest(
            bytes.fromhex(forged.content_salt),
            {"subject": forged.subject, "text": forged.text, "html": forged.html},
        )
        forged.body_hash = entry_hash(
            entry_body(forged, chain_label=log.chain.label, attachments=[])
        )
        Entry.objects.bulk_create([forged])
    report = verify(ticket=str(log.reference))
    assert Code.ENTRY_INSERTED in codes(report)
    assert report.first_bad is not None and report.first_bad.problem.seq in (31, 32)


def test_sec_e04_swapped_entries_are_caught(log: Ticket) -> None:
    first, second = entry(log, 50), entry(log, 51)
    with triggers_off():
        Entry.objects.filter(pk=first.pk).update(seq=1_000_000)
        Entry.objects.filter(pk=second.pk).update(seq=50)
        Entry.objects.filter(pk=first.pk).update(seq=51)
    report = verify()
    assert report.first_bad is not None and report.first_bad.problem.seq == 50
    assert Code.REORDERED in codes(report) or Code.ENTRY_MISSING in codes(report)


def test_sec_e05_tail_truncation_is_caught_against_the_checkpoint(log: Ticket) -> None:
    with triggers_off():
        doomed = Entry.objects.filter(chain=log.chain, seq__gt=ENTRIES - 5)
        for item in doomed:
            item.attachments.all().delete()
        Tone.objects.filter(entry__in=doomed).delete()
        doomed.delete()
        last = entry(log, ENTRIES - 5)
        Chain.objects.filter(pk=log.chain_id).update(head_seq=last.seq, head_hash=last.body_hash)
    report = verify()
    assert Code.TRUNCATED in codes(report)


def test_sec_e06_rewritten_history_with_fresh_hashes_differs_from_the_checkpoint(
    log: Ticket,
) -> None:
    """The attacker changes an old reply and recomputes every hash after it: each chain looks
    perfect, but the signed root no longer matches."""
    with triggers_off():
        target = entry(log, 10)
        salt = bytes.fromhex(target.content_salt)
        new_text = "Kami tidak pernah menjanjikan pengiriman gratis."
        Entry.objects.filter(pk=target.pk).update(
            text=new_text,
            content_sha256=content_digest(
                salt, {"subject": target.subject, "text": new_text, "html": target.html}
            ),
        )
        previous = entry(log, 9).body_hash
        for item in Entry.objects.filter(chain=log.chain, seq__gte=10).order_by("seq"):
            item.prev_hash = previous
            attachments = [
                {"sha256": a.blob_id, "size": a.blob.size, "name": a.filename}
                for a in item.attachments.order_by("position")
            ]
            item.body_hash = entry_hash(
                entry_body(item, chain_label=log.chain.label, attachments=attachments)
            )
            Entry.objects.filter(pk=item.pk).update(
                prev_hash=item.prev_hash, body_hash=item.body_hash
            )
            previous = item.body_hash
        Chain.objects.filter(pk=log.chain_id).update(head_hash=previous)
    report = verify()
    assert Code.HEAD_MISMATCH in codes(report)
    # The chains themselves look perfect: only the signed checkpoint exposes the rewrite.
    assert not codes(report) & {Code.CONTENT_CHANGED, Code.DIGEST_MISMATCH, Code.ENTRY_MISSING}


def test_sec_e07_two_checkpoints_of_one_size_with_different_roots(log: Ticket) -> None:
    from layan.logbook.services import signing_key_load

    key = signing_key_load()
    latest = Checkpoint.objects.latest()
    forged = checkpoint_sign(
        key=key,
        tree=TreeSummary(root="a" * 64, tickets=latest.tickets, size=latest.size),
        created_at=clock.now(),
        previous=latest.statement_hash,
    )
    statement = dict(forged.statement)
    Checkpoint.objects.create(
        size=statement["size"],
        tickets=statement["tickets"],
        root=statement["root"],
        created_at=clock.now(),
        key_id=statement["key_id"],
        previous=statement["previous"],
        statement=statement,
        signature=forged.signature.hex(),
        statement_hash=checkpoint_hash(statement),
    )
    assert Code.EQUIVOCATION in codes(verify())


def test_sec_e08_restored_backup_is_older_than_the_outside_checkpoint(
    log: Ticket, tmp_path: Path
) -> None:
    agent = UserFactory(role=Role.AGENT)
    for number in range(5):
        tickets.ticket_reply(ticket=log, actor=agent, text=f"Setelah cadangan {number}")
    newest = checkpoint_create()
    outside = tmp_path / "checkpoint.json"
    outside.write_text(json.dumps(checkpoint_export(newest)))
    # "Restore the backup": the five replies and the newest checkpoint disappear.
    with triggers_off():
        newest.heads.all().delete()
        Checkpoint.objects.filter(pk=newest.pk).delete()
        Tone.objects.filter(entry__chain=log.chain, entry__seq__gt=ENTRIES).delete()
        Entry.objects.filter(chain=log.chain, seq__gt=ENTRIES).delete()
        last = entry(log, ENTRIES)
        Chain.objects.filter(pk=log.chain_id).update(head_seq=last.seq, head_hash=last.body_hash)
    assert verify().ok  # on its own the restored database looks fine
    anchor, key = checkpoint_from_file(outside)
    report = verify(anchor=anchor, anchor_key=key)
    assert Code.ROLLBACK in codes(report)


def test_sec_e09_changed_stored_bytes_with_the_log_intact(log: Ticket) -> None:
    """Bytes kept in the database, changed behind Layan's back, no longer match their entry."""
    target = entry(log, 3)
    assert target.raw_id
    changed = BlobBytes.objects.filter(blob_id=target.raw_id).update(data=b"raw yang dipalsukan")
    assert changed == 1
    report = verify()
    assert report.first_bad is not None
    assert report.first_bad.problem.code == Code.DIGEST_MISMATCH
    assert report.first_bad.problem.seq == 3


def test_sec_e09_a_changed_blob_file_with_the_log_intact(settings) -> None:  # type: ignore[no-untyped-def]
    """The same for bytes too big for the database, which are files in the storage."""
    settings.LAYAN_BLOB_INLINE_BYTES = 16
    ticket = make_ticket(raw=b"From: a@b.c\r\nSubject: x\r\n\r\nhalo dari berkas\r\n")
    target = Entry.objects.get(chain=ticket.chain, kind=Kind.MESSAGE)
    assert target.raw_id and not BlobBytes.objects.exists()
    name = blob_storage_name(target.raw_id)
    default_storage.delete(name)
    default_storage.save(name, __import__("io").BytesIO(b"raw yang dipalsukan"))
    report = verify()
    assert report.first_bad is not None
    assert report.first_bad.problem.code == Code.DIGEST_MISMATCH
    assert report.first_bad.problem.seq == target.seq


def test_sec_e10_checkpoint_from_an_unknown_or_revoked_key(log: Ticket, tmp_path: Path) -> None:
    stranger = key_generate(tmp_path / "stranger.pem")
    latest = Checkpoint.objects.latest()
    forged = checkpoint_sign(
        key=stranger,
        tree=TreeSummary(root=latest.root, tickets=latest.tickets, size=latest.size),
        created_at=clock.now(),
        previous=latest.statement_hash,
    )
    assert Code.BAD_SIGNATURE in codes(verify(anchor=forged, anchor_key=None))
    signing_key_revoke(key=SigningKey.objects.get(), reason="kunci bocor")
    assert Code.BAD_SIGNATURE in codes(verify())


def test_sec_e11_time_going_backwards_is_a_warning_not_silence(log: Ticket) -> None:
    with clock.clock_at(log.created_at - timedelta(days=3)):
        entry_append(chain=log.chain, kind=Kind.EVENT, direction="internal", channel="system")
    report = verify(ticket=str(log.reference))
    assert report.ok
    assert Code.TIME_ANOMALY in {str(f.problem.code) for f in report.findings}


def test_sec_e13_failed_log_write_rolls_back_the_business_write(
    log: Ticket, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = UserFactory(role=Role.AGENT)
    before = Entry.objects.filter(chain=log.chain).count()
    log.refresh_from_db()
    last_reply = log.last_reply_at

    def broken(body: object) -> str:
        raise OSError("logbook storage unavailable")

    monkeypatch.setattr("layan.logbook.services.entry_hash", broken)
    with pytest.raises(OSError):
        tickets.ticket_reply(ticket=log, actor=agent, text="Ini tidak boleh tersimpan.")
    log.refresh_from_db()
    assert log.last_reply_at == last_reply
    assert Entry.objects.filter(chain=log.chain).count() == before


def test_sec_e14_redaction_erases_content_and_the_chain_still_verifies(
    log: Ticket,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    admin = UserFactory(role=Role.ADMIN)
    target = entry(log, 3)
    raw_id = target.raw_id or ""
    assert blob_exists(raw_id)
    with django_capture_on_commit_callbacks(execute=True):
        record = entry_redact(
            entry=target, actor=admin, reason="Permintaan penghapusan data (UU PDP)"
        )
    target.refresh_from_db()
    assert target.redacted and target.text == "" and target.content_salt == ""
    assert record.kind == Kind.REDACTION and record.data == {"seq": 3}
    assert not blob_exists(raw_id) and not BlobBytes.objects.filter(blob_id=raw_id).exists()
    report = verify()
    assert report.ok, [f.describe() for f in report.findings]
    assert Code.CONTENT_ERASED in {str(f.problem.code) for f in report.findings}


def test_redaction_is_for_admins_and_happens_once(log: Ticket) -> None:
    from django.core.exceptions import PermissionDenied

    from layan.logbook.services import RedactionRefused

    with pytest.raises(PermissionDenied):
        entry_redact(entry=entry(log, 2), actor=UserFactory(role=Role.MANAGER), reason="x")
    admin = UserFactory(role=Role.ADMIN)
    entry_redact(entry=entry(log, 2), actor=admin, reason="PDP")
    with pytest.raises(RedactionRefused):
        entry_redact(entry=entry(log, 2), actor=admin, reason="PDP")


def test_checkpoint_stores_only_moved_chains(log: Ticket) -> None:
    quiet = checkpoint_create()
    assert quiet.heads.count() == 0
    tickets.ticket_note_add(ticket=log, actor=UserFactory(role=Role.AGENT), text="bergerak")
    moved = checkpoint_create()
    assert list(moved.heads.values_list("chain_id", flat=True)) == [log.chain_id]
    assert moved.previous == quiet.statement_hash
    assert verify().ok


def test_outside_checkpoint_file_round_trip(log: Ticket, tmp_path: Path) -> None:
    path = tmp_path / "cp.json"
    path.write_text(json.dumps(checkpoint_export(Checkpoint.objects.latest())))
    anchor, key = checkpoint_from_file(path)
    assert isinstance(anchor, SignedCheckpoint) and key is not None
    assert verify(anchor=anchor, anchor_key=key).ok


# --- Several appends under one head write ---------------------------------------------------


def _append_notes(ticket: Ticket, count: int) -> list[Entry]:
    return [
        entry_append(
            chain=ticket.chain, kind=Kind.NOTE, direction="internal", channel="ui", text=f"n{i}"
        )
        for i in range(count)
    ]


def test_a_run_of_appends_locks_once_and_writes_the_head_once(log: Ticket) -> None:
    head = log.chain.head_seq
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        chain_writes(log.chain),
    ):
        added = _append_notes(log, 3)
    chain_sql = [q["sql"] for q in queries.captured_queries if '"logbook_chain"' in q["sql"]]
    assert [sql.split()[0] for sql in chain_sql] == ["SELECT", "UPDATE"]
    assert [e.seq for e in added] == [head + 1, head + 2, head + 3]
    stored = Chain.objects.get(pk=log.chain.pk)
    assert (stored.head_seq, stored.head_hash) == (head + 3, added[-1].body_hash)
    assert (log.chain.head_seq, log.chain.head_hash) == (stored.head_seq, stored.head_hash)
    assert verify().ok


def test_a_failed_run_of_appends_leaves_the_chain_as_it_was(log: Ticket) -> None:
    before = Chain.objects.get(pk=log.chain.pk)
    count = Entry.objects.filter(chain=log.chain).count()
    with (
        pytest.raises(RuntimeError, match="stop"),
        transaction.atomic(),
        chain_writes(log.chain),
    ):
        _append_notes(log, 2)
        raise RuntimeError("stop")
    after = Chain.objects.get(pk=log.chain.pk)
    assert (after.head_seq, after.head_hash) == (before.head_seq, before.head_hash)
    assert Entry.objects.filter(chain=log.chain).count() == count
    log.refresh_from_db()
    _append_notes(log, 1)  # the chain goes on from where it was
    assert verify().ok


def test_a_nested_run_leaves_the_head_to_the_outer_one(log: Ticket) -> None:
    with (
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
        chain_writes(log.chain),
    ):
        _append_notes(log, 1)
        with chain_writes(log.chain):
            _append_notes(log, 1)
        _append_notes(log, 1)
    updates = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "logbook_chain"')]
    assert len(updates) == 1
    assert verify().ok


def test_opening_a_ticket_writes_its_new_chain_in_one_go() -> None:
    with CaptureQueriesContext(connection) as queries:
        ticket = make_ticket(text="Printer kami rusak.")
    chain_sql = [
        q["sql"].split()[0] for q in queries.captured_queries if "logbook_chain" in q["sql"]
    ]
    assert chain_sql == ["INSERT"]  # written once, its head already at the last entry
    entries = list(Entry.objects.filter(chain=ticket.chain).order_by("seq"))
    assert [entry.seq for entry in entries] == [1, 2]
    ticket.chain.refresh_from_db()
    assert (ticket.chain.head_seq, ticket.chain.head_hash) == (2, entries[-1].body_hash)
    assert verify(ticket=str(ticket.reference)).ok


def test_a_ticket_opened_with_its_mail_and_attachments_verifies() -> None:
    """The entries drafted before the transaction are sealed with the blobs stored in it."""
    raw = b"From: ani@contoh.co.id\r\nSubject: Foto\r\n\r\nFoto kerusakan terlampir.\r\n"
    ticket = make_ticket(
        text="Foto kerusakan terlampir.",
        raw=raw,
        attachments=[NewAttachment("rusak.jpg", "image/jpeg", b"jpg-bytes")],
    )
    message = Entry.objects.get(chain=ticket.chain, kind=Kind.MESSAGE)
    assert message.raw is not None and message.raw.size == len(raw)
    assert [a.filename for a in message.attachments.all()] == ["rusak.jpg"]
    assert verify(ticket=str(ticket.reference)).ok
    forged = entry_body(message, chain_label=ticket.chain.label, attachments=[])
    assert entry_hash(forged) != message.body_hash  # the seal covers the attachment


def test_one_chain_is_checked_in_five_statements_every_time(log: Ticket) -> None:
    """A ticket page checks its chain on every view: the same few statements each time, and
    the check still finds an attachment that is gone."""
    label = str(log.reference)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert verify(ticket=label).ok
        counts.append(len(queries))
    # The chain, its entries, their attachments, the bytes the database keeps for them (one read
    # for all), the checkpoint head.
    assert counts == [5, 5]
    with triggers_off():
        entry(log, 3).attachments.all().delete()
    report = verify(ticket=label)
    assert not report.ok
    assert report.first_bad is not None and report.first_bad.problem.seq == 3
