"""The intake: one message in, exactly one right thing out, whatever the message is."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from layan.channels.email.parse import parse_email
from layan.channels.email.threading import make_message_id
from layan.channels.intake import receive
from layan.channels.models import InboundRecord, OutboundRecord, Outcome, TicketLink
from layan.channels.tests.mails import mail
from layan.channels.types import Channel, ParseFailure
from layan.logbook.models import Entry, Kind
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.models import Status, Ticket
from layan.tickets.services import ticket_reply, ticket_update

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "email" / "tests" / "fixtures"


def take(raw: bytes, **kwargs):  # type: ignore[no-untyped-def]
    return receive(parse_email(raw), **kwargs)


def signed_id(ticket: Ticket) -> str:
    return make_message_id(
        ticket_ref=str(ticket.reference),
        key=settings.LAYAN_THREAD_KEY.encode(),
        domain=settings.LAYAN_MAIL_DOMAIN,
    )


def test_a_new_mail_opens_a_ticket_with_the_raw_bytes_in_the_logbook() -> None:
    raw = mail(attachments=[("foto.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 foto")])
    result = take(raw)
    assert result.outcome == Outcome.NEW_TICKET
    ticket = Ticket.objects.get(reference=result.ticket)
    assert ticket.subject == "Kemasan penyok saat diterima"
    assert ticket.requester.name == "Siti Nurhaliza"
    assert ticket.customer.form == "individual"
    message = Entry.objects.get(chain=ticket.chain, kind=Kind.MESSAGE)
    assert message.raw is not None and message.raw.size == len(raw)
    assert message.attachments.get().filename == "foto.jpg"
    assert message.external_id.startswith("uji-")


def test_the_same_message_twice_is_one_ticket() -> None:
    raw = mail()
    first, second = take(raw), take(raw)
    assert second.outcome == Outcome.DUPLICATE and second.ticket == first.ticket
    assert Ticket.objects.count() == 1 and InboundRecord.objects.count() == 1


def test_sec_q04_a_copied_message_id_does_not_suppress_a_different_message() -> None:
    """An attacker who sends first with the Message-ID of a genuine mail cannot make us drop
    the genuine one: same id, different content, both are kept."""
    take(
        mail(
            sender="Penipu <penipu@jahat.example>",
            message_id="<asli@kopi.co.id>",
            body="Abaikan saja.",
        )
    )
    genuine = take(mail(message_id="<asli@kopi.co.id>"))
    assert genuine.outcome == Outcome.NEW_TICKET
    assert Ticket.objects.count() == 2


def test_the_same_mail_by_imap_and_by_pipe_is_recognised() -> None:
    raw = mail()
    take(raw, source="pipe")
    relayed = b"Received: from mx.kopi.co.id by mx.layan.test; Sat, 21 Nov 2026\r\n" + raw
    assert take(relayed).outcome == Outcome.DUPLICATE


def test_a_mail_without_message_id_is_deduplicated_by_content() -> None:
    raw = mail(message_id="")
    assert take(raw).outcome == Outcome.NEW_TICKET
    assert take(raw).outcome == Outcome.DUPLICATE


def test_a_reply_to_our_signed_message_id_joins_that_ticket() -> None:
    """A reply whose References point to our Message-ID joins that ticket."""
    opened = take(mail())
    ticket = Ticket.objects.get(reference=opened.ticket)
    reply = take(
        mail(subject="Re: sesuatu yang lain sama sekali", in_reply_to=f"<{signed_id(ticket)}>")
    )
    assert reply.outcome == Outcome.THREADED and reply.ticket == ticket.reference


def test_a_forged_signature_does_not_join() -> None:
    opened = take(mail())
    ticket = Ticket.objects.get(reference=opened.ticket)
    forged = signed_id(ticket).replace("layan.", "layan.x", 1)
    stranger = take(
        mail(
            sender="Orang Lain <lain@jahat.example>",
            subject="Re: apa saja",
            in_reply_to=f"<{forged}>",
        )
    )
    assert stranger.outcome == Outcome.NEW_TICKET and stranger.ticket != ticket.reference


def test_a_participant_replying_to_a_stored_message_joins() -> None:
    first = take(mail(message_id="<awal@kopi.co.id>", cc="Budi <budi@kopi.co.id>"))
    reply = take(
        mail(
            sender="Budi <budi@kopi.co.id>",
            subject="Re: Kemasan penyok",
            in_reply_to="<awal@kopi.co.id>",
            references="<awal@kopi.co.id>",
        )
    )
    assert reply.outcome == Outcome.THREADED and reply.ticket == first.ticket


def test_sec_m01_a_stranger_cannot_join_by_references_or_subject_token() -> None:
    """Knowing a Message-ID or a ticket number is not enough: someone outside the ticket opens
    a new ticket, linked to the one they named, and learns nothing of it."""
    first = take(mail(message_id="<rahasia@kopi.co.id>"))
    ticket = Ticket.objects.get(reference=first.ticket)
    by_reference = take(
        mail(
            sender="Penyusup <penyusup@jahat.example>",
            subject="Re: Kemasan",
            in_reply_to="<rahasia@kopi.co.id>",
            cc="siti@kopi.co.id",
        )
    )
    by_token = take(
        mail(
            sender="Penyusup <penyusup@jahat.example>", subject=f"Re: tolong [#{ticket.reference}]"
        )
    )
    for result in (by_reference, by_token):
        assert result.outcome == Outcome.NEW_TICKET and result.ticket != ticket.reference
        assert TicketLink.objects.filter(
            ticket__reference=result.ticket, other=ticket, reason="possibly_related"
        ).exists()
    assert Entry.objects.filter(chain=ticket.chain, kind=Kind.MESSAGE).count() == 1


def test_sec_m01_a_forged_from_caught_by_dmarc_does_not_join() -> None:
    first = take(mail(message_id="<asal@kopi.co.id>"))
    spoofed = take(
        mail(
            subject="Re: Kemasan",
            in_reply_to="<asal@kopi.co.id>",
            headers={
                "Authentication-Results": "mx.layan.test; spf=fail smtp.mailfrom=kopi.co.id; "
                "dmarc=fail header.from=kopi.co.id"
            },
        )
    )
    assert spoofed.outcome == Outcome.NEW_TICKET and spoofed.ticket != first.ticket


@pytest.mark.parametrize("prefix", ["Re: RE: Balas:", "AW:", "Fwd:", "Bls: [EXTERNAL]"])
def test_the_subject_token_works_through_mangled_prefixes(prefix: str) -> None:
    first = take(mail())
    ticket = Ticket.objects.get(reference=first.ticket)
    reply = take(mail(subject=f"{prefix} Kemasan penyok [#{ticket.reference}]", body="Sudah?"))
    assert reply.outcome == Outcome.THREADED and reply.ticket == ticket.reference


def test_a_reply_to_a_closed_ticket_opens_a_follow_up() -> None:
    first = take(mail())
    ticket = Ticket.objects.get(reference=first.ticket)
    ticket_update(
        ticket=ticket,
        actor=UserFactory(role=Role.AGENT),
        version=ticket.version,
        status=Status.CLOSED,
    )
    later = take(mail(subject=f"Re: Kemasan [#{ticket.reference}]", body="Masalahnya kambuh."))
    assert later.outcome == Outcome.NEW_TICKET
    assert TicketLink.objects.filter(
        ticket__reference=later.ticket, other=ticket, reason="follow_up"
    ).exists()


def test_a_customer_reply_reopens_a_resolved_ticket() -> None:
    first = take(mail())
    ticket = Ticket.objects.get(reference=first.ticket)
    ticket_update(
        ticket=ticket,
        actor=UserFactory(role=Role.AGENT),
        version=ticket.version,
        status=Status.RESOLVED,
    )
    take(mail(subject=f"Re: Kemasan [#{ticket.reference}]", body="Belum beres."))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_an_out_of_office_reply_is_logged_but_changes_nothing() -> None:
    first = take(mail())
    ticket = Ticket.objects.get(reference=first.ticket)
    ticket_update(
        ticket=ticket,
        actor=UserFactory(role=Role.AGENT),
        version=ticket.version,
        status=Status.WAITING_CUSTOMER,
    )
    ooo = take(
        mail(
            subject=f"Balasan otomatis: Kemasan [#{ticket.reference}]",
            body="Saya sedang cuti sampai 1 Desember.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert ooo.outcome == Outcome.AUTO_REPLY and ooo.ticket == ticket.reference
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    stray = take(mail(subject="Out of Office", headers={"Auto-Submitted": "auto-replied"}))
    assert stray.outcome == Outcome.AUTO_REPLY and stray.ticket is None


def test_sec_q16_our_own_message_coming_back_is_not_a_customer_message() -> None:
    first = take(mail())
    ticket = Ticket.objects.get(reference=first.ticket)
    ours = take(
        mail(sender="Layanan Pelanggan <cs@layan.test>", message_id=f"<{signed_id(ticket)}>")
    )
    assert ours.outcome == Outcome.OWN_MESSAGE
    assert Entry.objects.filter(chain=ticket.chain, kind=Kind.MESSAGE).count() == 1


def test_an_unreadable_message_is_kept_raw_with_a_reason() -> None:
    failure = ParseFailure(channel=Channel.EMAIL, raw=b"\x00\x01 bukan email", reason="not mail")
    result = receive(failure)
    assert result.outcome == Outcome.KEPT_RAW and result.reason == "not mail"
    record = InboundRecord.objects.get()
    assert record.raw.size == len(b"\x00\x01 bukan email")
    assert Ticket.objects.count() == 0


def test_sec_h01_decoded_header_injection_stays_text() -> None:
    raw = mail(subject="=?utf-8?q?Halo=0D=0ABcc:_korban@contoh.id?=")
    result = take(raw)
    ticket = Ticket.objects.get(reference=result.ticket)
    assert "\r" not in ticket.subject and "\n" not in ticket.subject


def test_sec_f01_oversized_attachments_are_not_stored(settings) -> None:  # type: ignore[no-untyped-def]
    raw = mail(
        attachments=[
            ("besar.bin", "application/octet-stream", b"x" * 2048),
            ("kecil.txt", "text/plain", b"ok"),
        ]
    )
    result = receive(parse_email(raw, max_attachment_bytes=1024))
    message = Entry.objects.get(chain__label=str(result.ticket), kind=Kind.MESSAGE)
    assert [a.filename for a in message.attachments.all()] == ["kecil.txt"]
    assert "defects" in message.data


def test_html_is_sanitised_and_inline_images_keep_their_cid() -> None:
    raw = mail(
        html='<p onclick="x()">Halo<script>alert(1)</script><img src="cid:logo@kopi">'
        '<a href="javascript:alert(2)">klik</a></p>'
    )
    result = take(raw)
    message = Entry.objects.get(chain__label=str(result.ticket), kind=Kind.MESSAGE)
    assert "script" not in message.html and "onclick" not in message.html
    assert "javascript:" not in message.html
    assert 'src="cid:logo@kopi"' in message.html


# --- acknowledgements (L01) -------------------------------------------------------------------


def acknowledgements() -> int:
    return OutboundRecord.objects.filter(entry__kind=Kind.EVENT).count()


def test_sec_l01_a_person_gets_one_acknowledgement_marked_auto_submitted() -> None:
    take(mail())
    outbound = OutboundRecord.objects.get()
    from layan.core.blobs import blob_read

    raw = blob_read(outbound.raw_id)
    assert b"Auto-Submitted: auto-replied" in raw
    assert outbound.recipients == ["siti@kopi.co.id"]
    event = outbound.entry
    assert event.kind == Kind.EVENT and event.data == {"event": "acknowledgement"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"List-Id": "<pengumuman.kopi.co.id>"},
    ],
)
def test_sec_l01_no_acknowledgement_to_machines(headers: dict[str, str]) -> None:
    take(mail(subject="Pengumuman", headers=headers))
    assert acknowledgements() == 0


def test_sec_l01_no_acknowledgement_to_our_own_addresses(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LAYAN_OWN_ADDRESSES = ["noreply@layan.test"]
    take(mail(sender="Sistem <noreply@layan.test>"))
    assert acknowledgements() == 0


def test_sec_l01_acknowledgements_are_bounded_per_person(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LAYAN_ACK_LIMIT_PER_DAY = 2
    for number in range(5):
        take(mail(subject=f"Pertanyaan {number}"))
    assert Ticket.objects.count() == 5
    assert acknowledgements() == 2


def test_import_style_intake_sends_no_acknowledgement() -> None:
    take(mail(), acknowledge=False, trust_sent_at=True)
    assert acknowledgements() == 0
    message = Entry.objects.get(kind=Kind.MESSAGE)
    assert message.occurred_at.year == 2026 and message.occurred_at.day == 20


# --- bounces ----------------------------------------------------------------------------------


def test_a_bounce_marks_our_reply_bounced_on_its_ticket() -> None:
    first = take(mail())
    ticket = Ticket.objects.get(reference=first.ticket)
    ticket_reply(ticket=ticket, actor=UserFactory(role=Role.AGENT), text="Kami kirim ulang.")
    reply_out = OutboundRecord.objects.filter(entry__kind=Kind.REPLY).get()
    dsn = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.kopi.co.id>\r\n"
        b"To: cs@layan.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn-1@mx.kopi.co.id>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.kopi.co.id\r\n\r\nFinal-Recipient: rfc822; siti@kopi.co.id\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <" + reply_out.message_id.encode() + b">\r\nSubject: Re: x\r\n\r\n"
        b"--b--\r\n"
    )
    result = take(dsn)
    assert result.outcome == Outcome.BOUNCE and result.ticket == ticket.reference
    reply_out.refresh_from_db()
    assert reply_out.status == "bounced"
    assert Entry.objects.filter(chain=ticket.chain, kind=Kind.DELIVERY).exists()


@pytest.mark.parametrize(
    "name",
    [
        "sisimai/lhost-postfix-01.eml",
        "sisimai/lhost-exim-01.eml",
        "flanker/bounce-gmail-invalid-address.eml",
    ],
)
def test_real_bounces_open_no_ticket(name: str) -> None:
    result = take((FIXTURES / name).read_bytes())
    assert result.outcome == Outcome.BOUNCE
    assert Ticket.objects.count() == 0
    assert acknowledgements() == 0


def test_a_real_gmail_reply_is_shown_with_its_quote_folded() -> None:
    from layan.channels.templatetags.mail import reply_parts

    raw = (FIXTURES / "talon" / "iphone.eml").read_bytes()
    result = take(raw)
    message = Entry.objects.get(chain__label=str(result.ticket), kind=Kind.MESSAGE)
    parts = reply_parts(message)
    assert parts.new.strip() and parts.new.strip() in message.text
    assert len(parts.new) < len(message.text)
