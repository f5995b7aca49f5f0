"""IMAP polling against a real Dovecot on 127.0.0.1, including crashes at every step."""

from __future__ import annotations

import pytest

from layan.channels import faults
from layan.channels.email.imap import mailbox_poll
from layan.channels.models import InboundRecord, Mailbox, OutboundRecord, Outcome
from layan.channels.tests.mails import mail
from layan.channels.tests.servers import DovecotServer
from layan.logbook.models import Entry, Kind
from layan.tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.imap]


def seen_flags(dovecot: DovecotServer) -> list[bool]:
    return ["\\Seen" in flags for flags in dovecot.flags()]


def test_poll_imports_new_mail_and_marks_it_seen_after_commit(
    dovecot: DovecotServer, imap_mailbox: Mailbox
) -> None:
    dovecot.append(mail(message_id="<satu@kopi.co.id>"))
    dovecot.append(
        mail(
            message_id="<dua@kopi.co.id>",
            subject="Re: Kemasan penyok",
            in_reply_to="<satu@kopi.co.id>",
        )
    )
    result = mailbox_poll(imap_mailbox)
    assert (result.fetched, result.imported, result.failed) == (2, 2, 0)
    assert Ticket.objects.count() == 1
    ticket = Ticket.objects.get()
    assert ticket.team == imap_mailbox.team
    assert Entry.objects.filter(chain=ticket.chain, kind=Kind.MESSAGE).count() == 2
    assert seen_flags(dovecot) == [True, True]
    assert InboundRecord.objects.filter(flagged=True).count() == 2
    again = mailbox_poll(imap_mailbox)
    assert again.fetched == 0


STEPS = [
    "imap.after_fetch",
    "intake.before_record",
    "intake.after_record",
    "intake.before_entry",
    "intake.before_commit",
    "imap.after_commit",
    "imap.after_flag",
]


@pytest.mark.parametrize("step", STEPS)
def test_sec_q01_a_crash_at_any_step_loses_nothing_and_duplicates_nothing(
    dovecot: DovecotServer, imap_mailbox: Mailbox, step: str
) -> None:
    """Kill the poller at each step between fetch and flag, run it again: exactly one ticket,
    one follow-up, one acknowledgement."""
    dovecot.append(mail(message_id="<awal@kopi.co.id>"))
    dovecot.append(
        mail(
            message_id="<lanjut@kopi.co.id>",
            subject="Re: Kemasan penyok",
            in_reply_to="<awal@kopi.co.id>",
            body="Ini fotonya.",
        )
    )
    for _ in range(2):  # crash on the first message, then on the second
        mailbox = Mailbox.objects.get(pk=imap_mailbox.pk)
        with faults.fail_at(step), pytest.raises(faults.InjectedFault):
            mailbox_poll(mailbox)
    mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    assert Ticket.objects.count() == 1
    ticket = Ticket.objects.get()
    messages = Entry.objects.filter(chain=ticket.chain, kind=Kind.MESSAGE)
    assert sorted(messages.values_list("external_id", flat=True)) == [
        "awal@kopi.co.id",
        "lanjut@kopi.co.id",
    ]
    assert OutboundRecord.objects.filter(entry__kind=Kind.EVENT).count() == 1
    assert seen_flags(dovecot) == [True, True]


def test_sec_q03_a_poison_message_never_blocks_the_others(
    dovecot: DovecotServer, imap_mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from layan.channels import intake

    real = intake._process

    def process(record, message, mailbox, **kwargs):  # type: ignore[no-untyped-def]
        if message.subject == "RACUN":
            raise ValueError("parser exploded")
        return real(record, message, mailbox, **kwargs)

    monkeypatch.setattr(intake, "_process", process)
    dovecot.append(mail(subject="RACUN", message_id="<racun@kopi.co.id>"))
    dovecot.append(mail(subject="Pesanan baru", message_id="<baik@kopi.co.id>"))
    first = mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    assert (first.imported, first.failed) == (1, 1)
    for _ in range(2):
        mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    poison = InboundRecord.objects.get(external_id="racun@kopi.co.id")
    assert poison.outcome == Outcome.QUARANTINED and poison.attempts == 3
    assert "parser exploded" in poison.reason
    assert poison.raw.size > 0
    assert Ticket.objects.count() == 1
    assert seen_flags(dovecot) == [True, True]


def test_sec_q05_a_rebuilt_mailbox_imports_nothing_twice(
    dovecot: DovecotServer, imap_mailbox: Mailbox
) -> None:
    dovecot.append(mail(message_id="<lama@kopi.co.id>"))
    mailbox_poll(imap_mailbox)
    dovecot.reset_mailbox()
    dovecot.append(mail(message_id="<baru@kopi.co.id>", subject="Pertanyaan lain"))
    result = mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    assert result.uidvalidity_changed
    assert (result.duplicates, result.imported) == (1, 1)
    assert Ticket.objects.count() == 2


def test_sec_q06_a_backlog_is_taken_in_bounded_batches(
    dovecot: DovecotServer, imap_mailbox: Mailbox
) -> None:
    for number in range(7):
        dovecot.append(mail(subject=f"Antrian {number}"))
    runs = []
    while True:
        result = mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk), batch=3)
        runs.append(result.imported)
        if not result.fetched:
            break
    assert runs == [3, 3, 1, 0]
    assert Ticket.objects.count() == 7


def test_sec_d01_a_login_failure_is_recorded_without_the_password(
    dovecot: DovecotServer, imap_mailbox: Mailbox
) -> None:
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(password="kata-sandi-salah-123")
    result = mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    assert result.error
    stored = Mailbox.objects.get(pk=imap_mailbox.pk).last_error
    assert stored and "kata-sandi-salah-123" not in stored


def test_move_after_import(dovecot: DovecotServer, imap_mailbox: Mailbox) -> None:
    with dovecot.client() as client:
        client.create("Diproses")
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(action="move", move_to="Diproses")
    dovecot.append(mail())
    mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    assert dovecot.flags() == []
    assert len(dovecot.flags("Diproses")) == 1
