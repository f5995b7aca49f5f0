import pytest

from layan.channels.email.parse import parse_email
from layan.channels.email.tests.conftest import fixture_bytes
from layan.channels.types import AutoKind, InboundMessage


def parsed(raw: bytes) -> InboundMessage:
    result = parse_email(raw)
    assert isinstance(result, InboundMessage)
    return result


def mail(*headers: str, body: str = "Halo.") -> bytes:
    return "\r\n".join([*headers, "", body]).encode()


PERSON = ("From: Budi <budi@contoh.co.id>", "To: cs@layan.example")


@pytest.mark.parametrize(
    ("headers", "kind", "reason"),
    [
        ((), AutoKind.NONE, ""),
        (("Auto-Submitted: no",), AutoKind.NONE, ""),
        (
            ("Auto-Submitted: auto-replied",),
            AutoKind.AUTO_REPLY,
            "header:auto-submitted=auto-replied",
        ),
        (
            ("Auto-Submitted: auto-generated; owner-email=x@y.z",),
            AutoKind.AUTO_GENERATED,
            "header:auto-submitted=auto-generated",
        ),
        (
            ("Auto-Submitted: auto-notified",),
            AutoKind.AUTO_GENERATED,
            "header:auto-submitted=auto-notified",
        ),
        (("X-Autoreply: yes",), AutoKind.AUTO_REPLY, "header:x-autoreply"),
        (("X-Autorespond: Out of office",), AutoKind.AUTO_REPLY, "header:x-autorespond"),
        (("Precedence: auto_reply",), AutoKind.AUTO_REPLY, "header:precedence"),
        (
            ("X-Auto-Response-Suppress: All",),
            AutoKind.AUTO_GENERATED,
            "header:x-auto-response-suppress",
        ),
        (
            ("X-Auto-Response-Suppress: DR, OOF, AutoReply",),
            AutoKind.AUTO_GENERATED,
            "header:x-auto-response-suppress",
        ),
        (
            ("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent",),
            AutoKind.AUTO_GENERATED,
            "header:x-ms-exchange-generated",
        ),
        (("Precedence: bulk",), AutoKind.BULK, "header:precedence=bulk"),
        (("Precedence: junk",), AutoKind.BULK, "header:precedence=junk"),
        (("Precedence: list",), AutoKind.BULK, "header:precedence=list"),
        (("List-Id: <promo.toko.example>",), AutoKind.BULK, "header:list-id"),
        (("List-Unsubscribe: <mailto:u@toko.example>",), AutoKind.BULK, "header:list-unsubscribe"),
        (("X-Loop: helpdesk@layan.example",), AutoKind.AUTO_GENERATED, "header:x-loop"),
        (("Return-Path: <>",), AutoKind.AUTO_GENERATED, "header:null-return-path"),
        (
            tuple(f"Received: from hop{n}" for n in range(45)),
            AutoKind.AUTO_GENERATED,
            "loop:too-many-hops",
        ),
    ],
)
def test_header_signals(headers, kind, reason):
    """RFC 3834 and vendor headers mark automatic mail; a plain message stays a person's."""
    message = parsed(mail(*PERSON, "Subject: Pesanan", *headers))
    assert (message.auto, message.meta.get("auto_reason", "")) == (kind, reason)


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("Out of Office: Pesanan", AutoKind.AUTO_REPLY),
        ("Automatic reply: Pesanan", AutoKind.AUTO_REPLY),
        ("Auto Reply: Pesanan", AutoKind.AUTO_REPLY),
        ("AutoReply - Pesanan", AutoKind.AUTO_REPLY),
        ("Balasan otomatis: Pesanan", AutoKind.AUTO_REPLY),
        ("Sedang cuti sampai 5 Januari", AutoKind.AUTO_REPLY),
        ("Away until May 5", AutoKind.AUTO_REPLY),
        ("Abwesenheitsnotiz: Pesanan", AutoKind.AUTO_REPLY),
        ("Réponse automatique : Pesanan", AutoKind.AUTO_REPLY),
        ("[AUTO GENERATED] Laporan harian", AutoKind.AUTO_GENERATED),
        ("Cuti bersama tanggal berapa?", AutoKind.NONE),
        ("Vacation package inquiry", AutoKind.NONE),
        ("Re: Out of office hours support", AutoKind.NONE),
        ("Away team jerseys order", AutoKind.NONE),
    ],
)
def test_out_of_office_subjects(subject, kind):
    """Out-of-office subjects (Indonesian and others) are auto-replies; lookalikes are not."""
    assert parsed(mail(*PERSON, f"Subject: {subject}")).auto == kind


DSN = "\r\n".join(
    [
        "From: Mail Delivery System <MAILER-DAEMON@mx.layan.example>",
        "To: cs@layan.example",
        "Subject: Undelivered Mail Returned to Sender",
        "Message-ID: <dsn-1@mx.layan.example>",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        "",
        "--r",
        "Content-Type: text/plain",
        "",
        "This is the mail system at host mx.layan.example.",
        "--r",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.layan.example",
        "",
        "Final-Recipient: rfc822; Budi@Contoh.co.id",
        "Action: {action}",
        "Status: {status}",
        "Diagnostic-Code: smtp; 550 5.1.1 <budi@contoh.co.id>: user unknown",
        "",
        "Final-Recipient: rfc822; ani@contoh.co.id",
        "Action: delivered",
        "Status: 2.0.0",
        "",
        "--r",
        "Content-Type: {returned}",
        "",
        "From: cs@layan.example",
        "Message-ID: <layan.1042.abc.sig@layan.example>",
        "Subject: Balasan tiket",
        "",
        "Isi balasan",
        "--r--",
        "",
    ]
)


@pytest.mark.parametrize(
    ("action", "status", "returned", "kind", "recipients"),
    [
        ("failed", "5.1.1", "message/rfc822", AutoKind.BOUNCE, ("budi@contoh.co.id",)),
        ("failed", "5.1.1", "text/rfc822-headers", AutoKind.BOUNCE, ("budi@contoh.co.id",)),
        ("delayed", "4.4.1", "message/rfc822", AutoKind.DELAY, ("budi@contoh.co.id",)),
        (
            "delivered",
            "2.0.0",
            "message/rfc822",
            AutoKind.AUTO_GENERATED,
            ("budi@contoh.co.id", "ani@contoh.co.id"),
        ),
    ],
)
def test_delivery_status_notifications(action, status, returned, kind, recipients):
    """RFC 3464 reports give the kind, the failed recipients and our original Message-ID."""
    raw = DSN.format(action=action, status=status, returned=returned).encode()
    message = parsed(raw)
    assert message.auto == kind
    assert message.bounced_recipients == recipients
    assert message.bounced_message_id == "layan.1042.abc.sig@layan.example"
    if kind == AutoKind.BOUNCE:
        assert message.meta["bounce_status"] == "budi@contoh.co.id 5.1.1"


@pytest.mark.parametrize(
    ("headers", "body", "kind"),
    [
        (
            ("From: Mail Delivery System <Mailer-Daemon@mx.example.net>",
             "Subject: Mail delivery failed: returning message to sender"),
            "This message was created automatically by mail delivery software.\n\n"
            "  budi@contoh.co.id\n    SMTP error from remote mail server after RCPT TO:\n"
            "    550 5.1.1 User unknown\n\n"
            "------ This is a copy of the message, including all the headers. ------\n\n"
            "Message-ID: <layan.7.n.sig@layan.example>\nFrom: cs@layan.example\n",
            AutoKind.BOUNCE,
        ),
        (
            ("From: postmaster@contoh.co.id", "Subject: Delivery Status Notification (Delay)"),
            "Delivery to the following recipient has been delayed: budi@contoh.co.id\n"
            "Message will be retried for 2 more days.\n",
            AutoKind.DELAY,
        ),
        (
            ("From: Budi <budi@contoh.co.id>", "Subject: Fwd: Undelivered Mail Returned to Sender"),
            "Kenapa email saya ke kalian gagal? user unknown 550 5.1.1",
            AutoKind.NONE,
        ),
        (
            ("From: Budi <budi@contoh.co.id>", "Subject: Email saya undeliverable terus"),
            "Tolong bantu, katanya undeliverable.",
            AutoKind.NONE,
        ),
        (
            ("From: postmaster@contoh.co.id", "Subject: email bounce notification"),
            "Your message was rejected: mailbox full.",
            AutoKind.NONE,
        ),
    ],
)  # fmt: skip
def test_bounces_that_are_not_reports(headers, body, kind):
    """Free-text bounces need two signals; a customer writing about a bounce stays a person."""
    message = parsed(mail(*headers, "To: cs@layan.example", body=body))
    assert message.auto == kind
    if kind == AutoKind.BOUNCE:
        assert message.bounced_recipients == ("budi@contoh.co.id",)
        assert message.bounced_message_id == "layan.7.n.sig@layan.example"


@pytest.mark.parametrize(
    ("name", "kind", "original", "recipients"),
    [
        ("sisimai/lhost-postfix-01.eml", AutoKind.BOUNCE, "", ("r@p351355.pool.example.ne.jp",)),
        ("sisimai/lhost-exim-01.eml", AutoKind.BOUNCE, "E1P1ce6-000Egt-GZ@e1.example.org",
         ("kijitora@example.ed.jp",)),
        ("sisimai/rfc3834-01.eml", AutoKind.AUTO_REPLY, "", ()),
        ("sisimai/arf-01.eml", AutoKind.COMPLAINT, "", ()),
        ("sisimai/not-bounce-02.eml", AutoKind.NONE, "", ()),
        ("flanker/complaint-yahoo.eml", AutoKind.COMPLAINT,
         "20120711015015.4A8BE2E088E@www.example.com", ("user@yahoo.com",)),
        ("flanker/bounce-gmail-invalid-address.eml", AutoKind.BOUNCE,
         "CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com",
         ("awfawfawfawfawfaw@someserverhere.com",)),
        ("talon/iphone.eml", AutoKind.NONE, "", ()),
    ],
)  # fmt: skip
def test_real_automatic_mail(name, kind, original, recipients):
    """Real bounces, complaints and auto-replies are recognised; an attached .eml is not."""
    message = parsed(fixture_bytes(name))
    assert (message.auto, message.bounced_message_id, message.bounced_recipients) == (
        kind,
        original,
        recipients,
    )
