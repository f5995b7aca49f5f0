import email
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.channels.email import compose
from layan.channels.email.compose import MAX_REFERENCES, compose_email
from layan.channels.email.parse import parse_email
from layan.channels.types import Address, Attachment, Channel, InboundMessage, OutboundMessage

SENDER = Address("cs@layan.example", "Layan CS")
DATE = datetime(2024, 1, 2, 10, 15, tzinfo=timezone(timedelta(hours=7)))


def outbound(**fields) -> OutboundMessage:
    values = {
        "channel": Channel.EMAIL,
        "to": (Address("budi@contoh.co.id", "Budi Santoso"),),
        "subject": "Re: Pesanan belum datang [#1042]",
        "text": "Halo Pak Budi,\nterima kasih — pesanan sudah kami kirim.\n",
        "message_id": "layan.1042.n1.sig@layan.example",
        **fields,
    }
    return OutboundMessage(**values)


def headers_of(raw: bytes) -> list[tuple[str, str]]:
    return list(email.message_from_bytes(raw, policy=policy.default).items())


def test_composed_message_reads_back():
    """What we compose parses back to the same addresses, subject, ids and text."""
    raw = compose_email(
        outbound(
            cc=(Address("gudang@contoh.co.id"),),
            in_reply_to="ABC.123@mail.contoh.co.id",
            references=("root@contoh.co.id", "ABC.123@mail.contoh.co.id"),
            auto_submitted="auto-replied",
        ),
        sender=SENDER,
        date=DATE,
        reply_to=Address("tiket+1042@layan.example"),
    )
    message = parse_email(raw)
    assert isinstance(message, InboundMessage)
    assert message.sender == SENDER
    assert message.to == (Address("budi@contoh.co.id", "Budi Santoso"),)
    assert message.cc == (Address("gudang@contoh.co.id"),)
    assert message.reply_to == (Address("tiket+1042@layan.example"),)
    assert message.subject == "Re: Pesanan belum datang [#1042]"
    assert message.external_id == "layan.1042.n1.sig@layan.example"
    assert message.in_reply_to == "ABC.123@mail.contoh.co.id"
    assert message.references == ("root@contoh.co.id", "ABC.123@mail.contoh.co.id")
    assert message.sent_at == DATE
    assert message.text == "Halo Pak Budi,\nterima kasih — pesanan sudah kami kirim.\n"
    assert dict(message.headers)["Auto-Submitted"] == "auto-replied"
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_same_input_gives_identical_bytes():
    """Retries send byte-identical mail: nothing random goes into the message."""
    message = outbound(
        html="<p>Halo <img src='cid:logo@layan'></p>",
        attachments=(
            Attachment("logo.png", "image/png", b"\x89PNG", inline=True, content_id="logo@layan"),
            Attachment("faktur.pdf", "application/pdf", b"%PDF-1.4"),
        ),
    )
    assert compose_email(message, sender=SENDER, date=DATE) == compose_email(
        message, sender=SENDER, date=DATE
    )


def test_html_alternative_inline_images_and_attachments():
    """HTML travels as an alternative with its inline images related; files are attached."""
    raw = compose_email(
        outbound(
            html="<p>Halo <img src='cid:logo@layan'></p>",
            attachments=(
                Attachment(
                    "logo.png", "image/png", b"\x89PNG", inline=True, content_id="logo@layan"
                ),
                Attachment("../../faktur.pdf", "application/pdf", b"%PDF-1.4"),
                Attachment("lama.eml", "message/rfc822", b"Subject: x\r\n\r\nisi"),
            ),
        ),
        sender=SENDER,
        date=DATE,
    )
    tree = email.message_from_bytes(raw, policy=policy.default)
    types = [part.get_content_type() for part in tree.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "application/pdf",
        "application/octet-stream",
    ]
    parsed = parse_email(raw)
    assert isinstance(parsed, InboundMessage)
    assert [(a.filename, a.inline, a.content_id) for a in parsed.attachments] == [
        ("logo.png", True, "logo@layan"),
        ("faktur.pdf", False, ""),
        ("lama.eml", False, ""),
    ]


def test_references_are_bounded_and_end_with_the_parent():
    """References keep the root and the newest ids, with the parent last."""
    references = tuple(f"m{n}@x" for n in range(100))
    raw = compose_email(
        outbound(in_reply_to="parent@x", references=references), sender=SENDER, date=DATE
    )
    parsed = parse_email(raw)
    assert isinstance(parsed, InboundMessage)
    assert len(parsed.references) == MAX_REFERENCES
    assert parsed.references[0] == "m0@x"
    assert parsed.references[-1] == "parent@x"


def test_unusable_correspondent_ids_are_dropped_not_fatal():
    """A malformed id from a correspondent is left out rather than blocking the reply."""
    raw = compose_email(
        outbound(in_reply_to="bad id\r\nBcc: x@y.z", references=("ok@x", "no at sign", "a b@c")),
        sender=SENDER,
        date=DATE,
    )
    names = [name for name, _ in headers_of(raw)]
    assert "In-Reply-To" not in names
    assert dict(headers_of(raw))["References"] == "<ok@x>"


# Payloads after the reports of CVE-2024-6923 (CPython email header injection through
# newlines in a decoded header) and CVE-2012-4730 (Request Tracker header injection through
# a crafted subject), plus the other line breaks that mail software treats as new lines.
INJECTIONS = [
    "Hi\r\nBcc: evil@example.com",
    "Hi\nBcc: evil@example.com",
    "Hi\rBcc: evil@example.com",
    "Hi\r\n\r\nInjected body",
    "Hi\x0bBcc: evil@example.com",
    "Hi\x0cBcc: evil@example.com",
    "Hi\x85Bcc: evil@example.com",
    "Hi\u2028Bcc: evil@example.com",
    "=?utf-8?q?Hi=0D=0ABcc:_evil@example.com?=",
    "=?utf-8?q?=3D=3Futf-8=3Fq=3FHi=3D0D=3D0ABcc:=5Fevil@example.com=3F=3D?=",
]


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("where", ["subject", "to_name", "cc_name", "sender_name"])
def test_header_injection_through_free_text_is_impossible(payload, where):
    """CR/LF and other line breaks in subjects and names never start a new header."""
    message = outbound(
        subject=payload if where == "subject" else "Pesanan",
        to=(Address("budi@contoh.co.id", payload if where == "to_name" else "Budi"),),
        cc=(Address("ani@contoh.co.id", payload if where == "cc_name" else "Ani"),),
    )
    sender = Address("cs@layan.example", payload if where == "sender_name" else "CS")
    raw = compose_email(message, sender=sender, date=DATE)
    names = [name.lower() for name, _ in headers_of(raw)]
    assert "bcc" not in names
    assert len(names) == len(set(names))
    assert set(names) == {
        "from", "to", "cc", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding",
    }  # fmt: skip
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc") for line in head.split(b"\r\n"))


@pytest.mark.parametrize(
    "fields",
    [
        {"to": (Address("budi@contoh.co.id\r\nBcc: evil@example.com"),)},
        {"to": (Address("budi@contoh.co.id>, evil@example.com"),)},
        {"to": (Address("not an address"),)},
        {"cc": (Address("ani@contoh.co.id\nX: y"),)},
        {"message_id": "id@x\r\nBcc: evil@example.com"},
        {"message_id": ""},
        {"to": ()},
        {"auto_submitted": "auto-replied\r\nBcc: evil@example.com"},
        {"attachments": (Attachment("a.png", "image/png", b"x", True, "a\r\nb@c"),),
         "html": "<p>x</p>"},
    ],
)  # fmt: skip
def test_identifiers_with_line_breaks_are_refused(fields):
    """Addresses, ids and header tokens that are not well formed stop the message."""
    with pytest.raises(ValueError):
        compose_email(outbound(**fields), sender=SENDER, date=DATE)


def test_naive_date_is_refused():
    """The Date header needs a time zone."""
    with pytest.raises(ValueError, match="timezone"):
        compose_email(outbound(), sender=SENDER, date=datetime(2024, 1, 2, 10, 15))


def test_non_ascii_domains_are_punycoded_and_names_encoded():
    """International domains become IDNA, display names become encoded-words."""
    raw = compose_email(
        outbound(to=(Address("budi@bücher.example", "Bü Santoso"),)),
        sender=SENDER,
        date=datetime(2024, 1, 2, tzinfo=UTC),
    )
    assert b"budi@xn--bcher-kva.example" in raw
    assert raw.isascii()


one_line = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)


@given(
    subject=one_line,
    to_name=one_line,
    sender_name=one_line,
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400),
)
@settings(max_examples=150, deadline=None)
def test_a_text_mail_reads_back_as_written(
    subject: str, to_name: str, sender_name: str, text: str
) -> None:
    """The fields Layan writes itself read back as meant, in Layan's parser and in the
    `email` package's, and the body is the one the `email` package writes. (The package's
    own fields are not the measure: it can fold a long encoded name before the comma that
    follows it, as an encoded-word, which readers then take as part of the next name.)"""
    message = outbound(
        subject=subject,
        to=(Address("budi@contoh.co.id", to_name), Address("ani@contoh.co.id", "Ani")),
        text=text,
        in_reply_to="ABC.123@mail.contoh.co.id",
        references=tuple(f"ref{number}.abcdefgh@mail.contoh.co.id" for number in range(6)),
    )
    sender = Address("cs@layan.example", sender_name)
    with patch.object(compose, "_mime_mail", wraps=compose._mime_mail) as package_wrote:
        ours = compose_email(message, sender=sender, date=DATE, reply_to=SENDER)
    with patch.object(compose, "_plain_mail", return_value=None):
        theirs = compose_email(message, sender=sender, date=DATE, reply_to=SENDER)
    if package_wrote.called:  # a run of encoded text too long for one word in a name
        assert ours == theirs
        return

    assert ours.isascii() and ours.count(b"\r\n") == ours.count(b"\n")
    assert max(len(line) for line in ours.split(b"\r\n")) <= 78
    assert ours.split(b"\r\n\r\n", 1)[1] == theirs.split(b"\r\n\r\n", 1)[1]  # the same body
    names = {"sender": compose._free_text(sender_name), "to": compose._free_text(to_name)}
    subject = compose._free_text(subject)
    package = email.message_from_bytes(ours, policy=policy.default)
    assert str(package["Subject"]) == subject
    assert package["From"].addresses[0].display_name == names["sender"]
    assert [(box.display_name, box.addr_spec) for box in package["To"].addresses] == [
        (names["to"], "budi@contoh.co.id"),
        ("Ani", "ani@contoh.co.id"),
    ]

    def shown(address: str, name: str) -> Address:  # as Layan's parser tidies a name
        name = name.strip("\"' ")
        return Address(address, "" if name.lower() == address else name)

    read = parse_email(ours)
    assert read.subject == subject
    assert read.sender == shown("cs@layan.example", names["sender"])
    assert read.to == (shown("budi@contoh.co.id", names["to"]), Address("ani@contoh.co.id", "Ani"))
    assert read.text == parse_email(theirs).text
    assert read.references[-1] == read.in_reply_to == "ABC.123@mail.contoh.co.id"
    assert read.sent_at == DATE and read.reply_to == (SENDER,)


def test_a_reply_is_written_without_the_email_packages_header_objects() -> None:
    """The common case takes the quick way: a reply as the outbox makes it, with Layan's own
    Message-ID (77 characters on its line) and a sender's name that is not plain ASCII."""
    message = outbound(
        message_id="layan.1000.01998e6e8d5181ba.ond7xoyzzhhij7oqkyp4g5ce@layan.test",
        in_reply_to="7.33@mail.mandiribumikosmetik.co.id",
        references=("7.33@mail.mandiribumikosmetik.co.id",),
    )
    with patch.object(compose, "_mime_mail") as slow:
        raw = compose_email(
            message,
            sender=Address("cs@layan.example", "Dewi Lestari · Layan"),
            date=DATE,
            reply_to=Address("cs@layan.example", "Layan"),
        )
    slow.assert_not_called()
    assert b"From: Dewi Lestari =?utf-8?b?wrc=?= Layan <cs@layan.example>\r\n" in raw
    assert b"\r\nMessage-ID: <layan.1000.01998e6e8d5181ba.ond7xoyzzhhij7oqkyp4g5ce@" in raw
