"""The outbox against a real SMTP server on 127.0.0.1: outages, refusals, crashes."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import pytest
from django.conf import settings

from layan.channels import faults
from layan.channels.email.parse import parse_email
from layan.channels.email.threading import ticket_ref_from_message_id
from layan.channels.intake import receive
from layan.channels.models import Delivery, OutboundRecord
from layan.channels.outbox import outbox_due, outbox_send
from layan.channels.tests.mails import mail
from layan.channels.tests.servers import SmtpServer
from layan.core import clock
from layan.core.blobs import blob_read
from layan.logbook.models import Entry, Kind
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.models import Ticket
from layan.tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket() -> Ticket:
    result = receive(parse_email(mail(message_id="<awal@kopi.co.id>")), acknowledge=False)
    return Ticket.objects.get(reference=result.ticket)


def reply(
    ticket: Ticket, text: str = "Baik Ibu Siti, kami kirim ulang besok pukul 10.00."
) -> OutboundRecord:
    entry = ticket_reply(
        ticket=ticket, actor=UserFactory(role=Role.AGENT, first_name="Rina"), text=text
    )
    return OutboundRecord.objects.get(entry=entry)


def later(minutes: int = 180) -> clock.datetime:  # type: ignore[name-defined]
    return clock.now() + timedelta(minutes=minutes)


def test_a_reply_is_sent_once_and_threads_in_the_customers_mail_client(
    ticket: Ticket, smtp_server: SmtpServer
) -> None:
    outbound = reply(ticket)
    assert outbox_send(outbound.pk) == Delivery.SENT
    assert outbox_send(outbound.pk) == Delivery.SENT  # a second run changes nothing
    assert len(smtp_server.inbox) == 1
    delivered = smtp_server.inbox[0]
    assert delivered.recipients == ["siti@kopi.co.id"]
    parsed = message_from_bytes(delivered.data)
    assert parsed["In-Reply-To"] == "<awal@kopi.co.id>"
    assert "<awal@kopi.co.id>" in parsed["References"]
    assert f"[#{ticket.reference}]" in parsed["Subject"]
    assert "Rina" in parsed["From"]
    message_id = parsed["Message-ID"].strip("<>")
    assert ticket_ref_from_message_id(message_id, key=settings.LAYAN_THREAD_KEY.encode()) == str(
        ticket.reference
    )
    delivery = Entry.objects.get(chain=ticket.chain, kind=Kind.DELIVERY)
    assert delivery.data["status"] == "sent"


def test_sec_q08_an_smtp_outage_loses_nothing_and_sends_once(
    ticket: Ticket, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    outbound = reply(ticket)
    assert outbox_send(outbound.pk) == Delivery.QUEUED
    outbound.refresh_from_db()
    assert outbound.attempts == 1 and outbound.last_error
    assert settings.MAILERS["default"]["OPTIONS"].get(
        "password", ""
    ) not in outbound.last_error or (not settings.MAILERS["default"]["OPTIONS"].get("password"))
    assert outbound.pk not in outbox_due()  # it waits for its back-off
    smtp_server.start()
    with clock.clock_at(later()):
        assert outbound.pk in outbox_due()
        assert outbox_send(outbound.pk) == Delivery.SENT
        assert outbox_send(outbound.pk) == Delivery.SENT
    assert len(smtp_server.inbox) == 1


def test_a_temporary_refusal_is_retried_and_a_permanent_one_fails(
    ticket: Ticket, smtp_server: SmtpServer
) -> None:
    smtp_server.behaviour.fail_data.append("451 4.3.0 coba lagi nanti")
    outbound = reply(ticket)
    assert outbox_send(outbound.pk) == Delivery.QUEUED
    with clock.clock_at(later()):
        assert outbox_send(outbound.pk) == Delivery.SENT
    second = reply(ticket, "Balasan kedua.")
    smtp_server.behaviour.fail_data.append("554 5.7.1 ditolak")
    assert outbox_send(second.pk) == Delivery.FAILED
    failed = Entry.objects.filter(chain=ticket.chain, kind=Kind.DELIVERY).order_by("-seq").first()
    assert (
        failed is not None and failed.data["status"] == "failed" and "554" in failed.data["error"]
    )


def test_sec_q09_accepted_recipients_are_not_sent_again(
    ticket: Ticket, smtp_server: SmtpServer
) -> None:
    outbound = reply(ticket)
    OutboundRecord.objects.filter(pk=outbound.pk).update(
        recipients=["siti@kopi.co.id", "budi@kopi.co.id"]
    )
    smtp_server.behaviour.refuse["budi@kopi.co.id"] = "450 4.2.0 kotak penuh"
    assert outbox_send(outbound.pk) == Delivery.QUEUED
    outbound.refresh_from_db()
    assert outbound.recipient_status["siti@kopi.co.id"] == "sent"
    smtp_server.behaviour.refuse.clear()
    with clock.clock_at(later()):
        assert outbox_send(outbound.pk) == Delivery.SENT
    assert [d.recipients for d in smtp_server.inbox] == [["siti@kopi.co.id"], ["budi@kopi.co.id"]]


def test_sec_q08_a_crash_after_the_server_accepted_resends_the_identical_message(
    ticket: Ticket, smtp_server: SmtpServer
) -> None:
    """The worker dies after the server took the mail but before the status was saved. The
    retry sends the same bytes, so mail clients show one message."""
    outbound = reply(ticket)
    with faults.fail_at("outbox.after_send"), pytest.raises(faults.InjectedFault):
        outbox_send(outbound.pk)
    outbound.refresh_from_db()
    assert outbound.status == Delivery.SENDING
    with clock.clock_at(later(15)):  # the lease expired
        assert outbox_send(outbound.pk) == Delivery.SENT
    assert len(smtp_server.inbox) == 2
    assert smtp_server.inbox[0].data == smtp_server.inbox[1].data


@pytest.mark.parametrize("step", ["blob_prepare", "blob_rows_put"])
def test_a_reply_and_its_outbox_row_commit_together(ticket: Ticket, monkeypatch, step) -> None:  # type: ignore[no-untyped-def]
    """The mail's bytes fail to store before the reply's transaction, or its row inside it:
    either way neither the reply nor its outbox row is kept."""

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(f"layan.channels.outbox.{step}", broken)
    with pytest.raises(OSError):
        reply(ticket)
    assert not Entry.objects.filter(chain=ticket.chain, kind=Kind.REPLY).exists()
    assert not OutboundRecord.objects.exists()


def test_a_reply_to_a_ticket_changed_meanwhile_is_made_from_it(ticket: Ticket, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The reply and its mail are drafted before the transaction, from the ticket as read
    then. Renamed in between, the ticket's new subject is in both, and the chain verifies."""
    from layan.logbook.verify import ticket_chain_verified
    from layan.tickets import services

    stale = Ticket.objects.select_related("requester", "team").get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(subject="Pesanan kopi kedua")
    monkeypatch.setattr(services._ticket_seen, "one", lambda pk: stale)
    outbound = reply(ticket)
    assert outbound.entry.subject == "Pesanan kopi kedua"
    parsed = message_from_bytes(blob_read(outbound.raw_id))
    assert "Pesanan kopi kedua" in parsed["Subject"]
    assert ticket_chain_verified(ticket.chain, now=clock.now()).ok


def test_a_reply_goes_to_the_requester_set_meanwhile(ticket: Ticket, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The ticket passes to another contact between the reply's draft and its transaction:
    the mail goes to that contact's address, not to the one read before."""
    from layan.customers.tests.factories import IdentityFactory
    from layan.tickets import services

    stale = Ticket.objects.select_related("requester", "team").get(pk=ticket.pk)
    newcomer = IdentityFactory(value="budi@kopi.co.id").contact
    Ticket.objects.filter(pk=ticket.pk).update(requester=newcomer)
    monkeypatch.setattr(services._ticket_seen, "one", lambda pk: stale)
    outbound = reply(ticket)
    assert outbound.recipients == ["budi@kopi.co.id"]
    assert message_from_bytes(blob_read(outbound.raw_id))["To"].endswith("<budi@kopi.co.id>")


def test_a_reply_drafted_before_another_entry_is_stamped_after_it(ticket: Ticket, settings) -> None:  # type: ignore[no-untyped-def]
    """Another entry lands on the chain between a reply's draft and its transaction (here,
    from a handler run before the transaction): the reply follows it, in number and in time."""
    settings.LAYAN_REPLY_HANDLERS = [
        *settings.LAYAN_REPLY_HANDLERS,
        "layan.channels.tests.test_outbox.note_meanwhile",
    ]
    outbound = reply(ticket)
    note = Entry.objects.get(chain=ticket.chain, kind=Kind.NOTE)
    assert outbound.entry.seq == note.seq + 1
    assert outbound.entry.recorded_at >= note.recorded_at
    assert outbound.entry.occurred_at == outbound.entry.recorded_at
    from layan.logbook.verify import ticket_chain_verified

    assert ticket_chain_verified(ticket.chain, now=clock.now()).ok


def test_a_mail_that_comes_in_meanwhile_is_the_one_replied_to(ticket: Ticket, settings) -> None:  # type: ignore[no-untyped-def]
    """The customer writes again between the reply's draft and its transaction: the reply's
    mail is threaded under that newer mail, as if composed inside."""
    settings.LAYAN_REPLY_HANDLERS = [
        *settings.LAYAN_REPLY_HANDLERS,
        "layan.channels.tests.test_outbox.mail_meanwhile",
    ]
    outbound = reply(ticket)
    parsed = message_from_bytes(blob_read(outbound.raw_id))
    assert parsed["In-Reply-To"] == "<lagi@kopi.co.id>"
    assert parsed["References"].split() == ["<awal@kopi.co.id>", "<lagi@kopi.co.id>"]


def mail_meanwhile(*, ticket: Ticket, actor: object, text: str) -> None:
    """A reply handler through which the customer's next mail arrives before the reply's
    transaction."""
    receive(
        parse_email(
            mail(
                message_id="<lagi@kopi.co.id>",
                in_reply_to="<awal@kopi.co.id>",
                subject=f"Re: [#{ticket.reference}] Kemasan penyok saat diterima",
                body="Ini fotonya, Bu.",
            )
        ),
        acknowledge=False,
    )


def note_meanwhile(*, ticket: Ticket, actor: object, text: str) -> None:
    """A reply handler that writes a note on the ticket before the reply's transaction."""
    from layan.tickets.services import ticket_note_add

    ticket_note_add(ticket=ticket, actor=UserFactory(role=Role.AGENT), text="Sudah ditelepon.")


def test_no_mail_for_a_customer_without_an_email_address() -> None:
    from layan.tickets.tests.factories import make_ticket

    ticket = make_ticket()
    ticket_reply(ticket=ticket, actor=UserFactory(role=Role.AGENT), text="Lewat telepon saja.")
    assert not OutboundRecord.objects.exists()


def test_the_demo_queues_no_mail() -> None:
    from layan.demo import demo_load

    demo_load(password="demo-password-123", seed=3, ticket_count=15)
    assert not OutboundRecord.objects.exists()
