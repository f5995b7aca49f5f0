import base64
import binascii
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.channels.email.parse import parse_email
from layan.channels.email.tests.conftest import fixture_bytes
from layan.channels.types import Address, AutoKind, Channel, InboundMessage, ParseFailure


def mail(*headers: str, body: str = "Halo.\n", eol: str = "\r\n") -> bytes:
    text = eol.join([*headers, "", body.replace("\n", eol)])
    return text.encode("utf-8", "surrogateescape")


def parsed(raw: bytes, **options) -> InboundMessage:
    result = parse_email(raw, **options)
    assert isinstance(result, InboundMessage), getattr(result, "reason", "")
    return result


BASIC = mail(
    "From: =?utf-8?q?Budi_Santoso?= <Budi@Contoh.CO.ID>",
    "To: CS <cs@layan.example>, other@layan.example",
    'Cc: "Tim, Gudang" <gudang@contoh.co.id>',
    "Reply-To: budi.pribadi@contoh.co.id",
    "Subject: =?utf-8?b?UGVzYW5hbiBiZWx1bSBkYXRhbmc=?= [#1042]",
    "Date: Tue, 02 Jan 2024 10:15:00 +0700",
    "Message-ID:   <ABC.123@mail.contoh.co.id> ",
    "In-Reply-To: <layan.1042.x@layan.example> (your message)",
    "References: <root@x>,<layan.1042.x@layan.example>",
    "Content-Type: text/plain; charset=utf-8",
    body="Selamat pagi,\npesanan saya belum datang.\n",
)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("channel", Channel.EMAIL),
        ("external_id", "ABC.123@mail.contoh.co.id"),
        ("sender", Address("budi@contoh.co.id", "Budi Santoso")),
        ("to", (Address("cs@layan.example", "CS"), Address("other@layan.example"))),
        ("cc", (Address("gudang@contoh.co.id", "Tim, Gudang"),)),
        ("reply_to", (Address("budi.pribadi@contoh.co.id"),)),
        ("subject", "Pesanan belum datang [#1042]"),
        ("text", "Selamat pagi,\npesanan saya belum datang.\n"),
        ("html", ""),
        ("sent_at", datetime(2024, 1, 2, 3, 15, tzinfo=UTC)),
        ("in_reply_to", "layan.1042.x@layan.example"),
        ("references", ("root@x", "layan.1042.x@layan.example")),
        ("auto", AutoKind.NONE),
        ("defects", ()),
    ],
)
def test_fields_of_a_plain_message(field, expected):
    """A well-formed message fills every field with decoded, normalised values."""
    assert getattr(parsed(BASIC), field) == expected


def test_raw_bytes_and_kept_headers_are_carried():
    """The exact bytes travel with the message, and the useful headers are kept decoded."""
    message = parsed(BASIC)
    assert message.raw == BASIC
    assert ("Subject", "Pesanan belum datang [#1042]") in message.headers
    assert message.sent_at is not None and message.sent_at.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty message"),
        (b"  \r\n\r\n ", "empty message"),
        (b"just some words, no headers at all", "no header fields found"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 64, "Outlook .msg"),
        (b"\x00\xff\xfe" * 200, "no header fields found"),
    ],
)
def test_unreadable_input_becomes_a_parse_failure(raw, reason):
    """Input that is not a message at all gives a ParseFailure with a reason, not an error."""
    result = parse_email(raw)
    assert isinstance(result, ParseFailure)
    assert reason in result.reason
    assert result.raw == raw


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_parse_without_raising(raw):
    """parse_email never raises, whatever it is given."""
    result = parse_email(raw)
    assert isinstance(result, InboundMessage | ParseFailure)


HEADER_LINES = st.lists(
    st.sampled_from(
        [
            "From: a@b.c",
            "From: =?utf-8?q?=0D=0A?= <x@y.z>",
            "To: undisclosed-recipients:;",
            "Subject: =?bogus?B?!!!?=",
            "Content-Type: multipart/mixed; boundary=b",
            "Content-Type: text/plain; charset=x-unknown",
            "Content-Transfer-Encoding: base64",
            "Content-Transfer-Encoding: quoted-printable",
            "Content-Disposition: attachment; filename*=bogus''%FF%FE",
            "Date: not a date",
            "References: <<<>>> ,,, a@b",
            "\tcontinued",
        ]
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(HEADER_LINES, st.text(max_size=300))
def test_hostile_headers_and_bodies_parse_without_raising(headers, body):
    """Broken header combinations and arbitrary bodies still give a result."""
    raw = "\r\n".join([*headers, "", "--b", *body.splitlines(), "--b--"]).encode(
        "utf-8", "surrogatepass"
    )
    assert isinstance(parse_email(raw), InboundMessage | ParseFailure)


@pytest.mark.parametrize("eol", ["\r\n", "\n", "\r"])
def test_line_endings_do_not_matter(eol):
    """CRLF, LF and CR-only messages read the same."""
    raw = mail("From: a@b.co", "Subject: Line\r\n endings", body="one\ntwo\n", eol=eol)
    message = parsed(raw)
    assert (message.subject, message.text) == ("Line endings", "one\ntwo\n")


def test_cr_only_fixture_matches_its_lf_original():
    """A message stored with CR-only line ends parses like the same message with LF."""
    lf = parsed(fixture_bytes("sisimai/lhost-postfix-01.eml"))
    cr = parsed(fixture_bytes("sisimai/lhost-postfix-01-cr.eml"))
    assert (cr.subject, cr.sender, cr.auto, cr.bounced_recipients) == (
        lf.subject,
        lf.sender,
        lf.auto,
        lf.bounced_recipients,
    )


@pytest.mark.parametrize(
    ("charset", "encoding", "text"),
    [
        ("utf-8", "8bit", "Terima kasih — sudah sampai"),
        ("iso-8859-1", "quoted-printable", "Grüße aus Köln"),
        ("windows-1252", "8bit", "“Smart quotes” – and €"),
        ("koi8-r", "base64", "Здравствуйте"),
        ("iso-2022-jp", "7bit", "日本語のメール"),
        ("shift_jis", "base64", "日本語のメール"),
        ("gb2312", "base64", "你好，世界"),
        ("euc-kr", "base64", "안녕하세요"),
        ("x-no-such-charset", "8bit", "café"),
        ("", "8bit", "naïve"),
    ],
)
def test_body_charsets(charset, encoding, text):
    """Bodies decode from real-world charsets, including unknown ones."""
    codec = {"x-no-such-charset": "cp1252", "": "cp1252"}.get(charset, charset)
    payload = text.encode(codec)
    if encoding == "base64":
        body = base64.b64encode(payload).decode()
    elif encoding == "quoted-printable":
        body = binascii.b2a_qp(payload).decode()
    else:
        body = payload.decode("ascii", "surrogateescape")
    content_type = f"text/plain; charset={charset}" if charset else "text/plain"
    raw = mail(
        "From: a@b.co",
        f"Content-Type: {content_type}",
        f"Content-Transfer-Encoding: {encoding}",
        body=body,
    )
    assert parsed(raw).text.strip() == text


@pytest.mark.parametrize(
    ("name", "subject", "sender", "text"),
    [
        ("mikel-mail/japanese_iso_2022.eml", "まみむめも", "raasdnil@gmail.com", "すみません。"),
        ("mikel-mail/japanese_shift_jis.eml", "test", "xxxxxxx@docomo.ne.jp", "あいうえお"),
        ("mikel-mail/ks_c_5601-1987.eml", "test", "from@example.com", "스티해"),
        ("mikel-mail/utf8_headers.eml", "Säying Hello", "jdöe@mächine.example", "body"),
    ],
)
def test_real_messages_in_other_scripts(name, subject, sender, text):
    """Japanese, Korean and raw UTF-8 (RFC 6532) messages decode fully."""
    message = parsed(fixture_bytes(name))
    assert (message.subject, message.sender.address if message.sender else None) == (
        subject,
        sender,
    )
    assert text in message.text


def test_raw_eight_bit_headers_are_read_as_utf8_or_the_body_charset():
    """Unencoded 8-bit headers decode as UTF-8, else in the charset the body declares."""
    utf8 = mail("From: Jöhn <j@x.de>", "Subject: Grüße")
    latin = (
        b"From: j@x.de\r\nSubject: Gr\xfc\xdfe\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nx"
    )
    assert (parsed(utf8).subject, parsed(utf8).sender) == ("Grüße", Address("j@x.de", "Jöhn"))
    assert parsed(latin).subject == "Grüße"


@pytest.mark.parametrize(
    "subject",
    [
        "=?utf-8?q?Hello=0D=0ABcc:_evil@example.com?=",
        "=?utf-8?b?SGVsbG8NCkJjYzogZXZpbEBleGFtcGxlLmNvbQ==?=",
        "=?utf-8?q?Hello=0ABcc:_evil@example.com?=",
        "=?utf-8?q?Hello=E2=80=A8Bcc:_evil@example.com?=",
    ],
)
def test_decoded_subject_cannot_smuggle_a_header(subject):
    """An encoded CR/LF in the subject comes out as a space (CVE-2024-6923 style payloads)."""
    message = parsed(mail("From: a@b.co", f"Subject: {subject}"))
    assert message.subject == "Hello Bcc: evil@example.com"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (
            "Tue, 02 Jan 2024 10:15:00 +0700",
            datetime(2024, 1, 2, 10, 15, tzinfo=timezone(timedelta(hours=7))),
        ),
        ("2 Jan 2024 10:15:00 -0000", datetime(2024, 1, 2, 10, 15, tzinfo=UTC)),
        ("Tue, 2 Jan 24 10:15 GMT", datetime(2024, 1, 2, 10, 15, tzinfo=UTC)),
        (
            "Tue, 02 Jan 2024 10:15:00 +0700 (WIB)",
            datetime(2024, 1, 2, 10, 15, tzinfo=timezone(timedelta(hours=7))),
        ),
        ("yesterday", None),
        ("Tue, 32 Jan 2024 10:15:00 +0000", None),
    ],
)
def test_dates_are_aware_or_none(date, expected):
    """Date becomes an aware datetime; an unreadable one becomes None and a defect."""
    message = parsed(mail("From: a@b.co", f"Date: {date}"))
    assert message.sent_at == expected
    assert ("unreadable Date header" in message.defects) is (expected is None)


@pytest.mark.parametrize(
    ("headers", "in_reply_to", "references"),
    [
        (["In-Reply-To: <a@x>", "References: <r@x> <a@x>"], "a@x", ("r@x", "a@x")),
        (["In-Reply-To: a@x", "References: r@x, a@x"], "a@x", ("r@x", "a@x")),
        (["In-Reply-To:", "References: <r@x>\r\n\t<a@x>"], "", ("r@x", "a@x")),
        (["In-Reply-To: <a@x> <b@x>"], "a@x", ()),
        (["References: <r@x> <bad id> <a@x>"], "", ("r@x", "badid", "a@x")),
        (["References: not ids at all"], "", ()),
    ],
)
def test_thread_headers_are_tolerant(headers, in_reply_to, references):
    """In-Reply-To and References survive commas, missing brackets and folding."""
    message = parsed(mail("From: a@b.co", *headers))
    assert (message.in_reply_to, message.references) == (in_reply_to, references)


def test_long_reference_chains_keep_the_root_and_the_newest():
    """A very long References header is cut to the root plus the newest ids."""
    ids = " ".join(f"<m{n}@x>" for n in range(300))
    message = parsed(mail("From: a@b.co", f"References: {ids}"))
    assert len(message.references) == 50
    assert message.references[0] == "m0@x" and message.references[-1] == "m299@x"


MULTIPART = mail(
    "From: a@b.co",
    'Content-Type: multipart/mixed; boundary="outer"',
    body="\n".join(
        [
            "--outer",
            'Content-Type: multipart/alternative; boundary="alt"',
            "",
            "--alt",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Teks biasa",
            "--alt",
            'Content-Type: multipart/related; boundary="rel"',
            "",
            "--rel",
            "Content-Type: text/html; charset=utf-8",
            "",
            '<p>Teks <b>HTML</b><img src="cid:logo@x"></p>',
            "--rel",
            "Content-Type: image/png",
            "Content-ID: <logo@x>",
            "Content-Transfer-Encoding: base64",
            "",
            base64.b64encode(b"\x89PNG fake").decode(),
            "--rel--",
            "--alt--",
            "--outer",
            'Content-Type: application/pdf; name="=?utf-8?q?Fakt=C3=BAra?= ../x.pdf"',
            'Content-Disposition: attachment; filename="../../etc/Fakt\u00fara.pdf"',
            "Content-Transfer-Encoding: base64",
            "",
            base64.b64encode(b"%PDF-1.4 " + b"x" * 20).decode(),
            "--outer",
            "Content-Type: application/octet-stream",
            "Content-Transfer-Encoding: base64",
            "",
            base64.b64encode(b"\x00" * 10).decode(),
            "--outer",
            "Content-Type: message/rfc822",
            "",
            "From: inner@x.org",
            "Subject: Pesan lama",
            "",
            "isi lama",
            "--outer--",
        ]
    ),
)


def test_multipart_bodies_and_attachments():
    """Text, HTML, inline images, files and enclosed messages land in their fields."""
    message = parsed(MULTIPART)
    assert message.text == "Teks biasa"
    assert message.html.startswith("<p>Teks <b>HTML</b>")
    summary = [(a.filename, a.content_type, a.inline, a.content_id) for a in message.attachments]
    assert summary == [
        ("attachment.png", "image/png", True, "logo@x"),
        ("Faktúra.pdf", "application/pdf", False, ""),
        ("attachment.bin", "application/octet-stream", False, ""),
        ("Pesan lama.eml", "message/rfc822", False, ""),
    ]
    assert message.attachments[0].payload == b"\x89PNG fake"
    assert b"Subject: Pesan lama" in message.attachments[3].payload


def test_oversized_attachments_are_left_out_and_noted():
    """An attachment over the limit is not included; the defects say so."""
    message = parsed(MULTIPART, max_attachment_bytes=9)
    assert [a.filename for a in message.attachments] == ["attachment.png"]
    assert len(message.defects) == 3
    assert any("left out" in defect and "Faktúra.pdf" in defect for defect in message.defects)


def test_html_only_message_gets_readable_text():
    """When only HTML came, the text is derived from it; the HTML is kept as sent."""
    html = (
        "<html><head><style>p{}</style></head>"
        "<body><p>Halo&nbsp;Budi,</p><blockquote>lama</blockquote></body></html>"
    )
    message = parsed(mail("From: a@b.co", "Content-Type: text/html; charset=utf-8", body=html))
    assert message.text == "Halo Budi,\n\n> lama"
    assert message.html == html


@pytest.mark.parametrize(
    "encoding",
    ["x-uuencode", "uuencode", "x-uue"],
)
def test_uuencoded_attachments(encoding):
    """A uuencoded part decodes to its bytes."""
    data = b"uuencoded payload \x00\x01\x02" * 5
    lines = [
        binascii.b2a_uu(data[i : i + 45]).decode().rstrip("\n") for i in range(0, len(data), 45)
    ]
    body = "\n".join(["--b", "Content-Type: text/plain", "", "see file", "--b",
                      "Content-Type: application/octet-stream",
                      'Content-Disposition: attachment; filename="f.bin"',
                      f"Content-Transfer-Encoding: {encoding}", "",
                      "begin 644 f.bin", *lines, "`", "end", "--b--"])  # fmt: skip
    message = parsed(mail("From: a@b.co", "Content-Type: multipart/mixed; boundary=b", body=body))
    assert [(a.filename, a.payload) for a in message.attachments] == [("f.bin", data)]


def test_uuencoded_block_inside_plain_text_becomes_an_attachment():
    """An old-style uuencoded file inside a text body moves out into an attachment."""
    data = b"old school"
    block = f"begin 644 notes.txt\n{binascii.b2a_uu(data).decode()}`\nend\n"
    message = parsed(mail("From: a@b.co", body=f"Lihat lampiran.\n{block}Terima kasih\n"))
    assert message.text == "Lihat lampiran.\nTerima kasih\n"
    assert [(a.filename, a.payload) for a in message.attachments] == [("notes.txt", data)]


@pytest.mark.parametrize(
    ("encoding", "payload", "text", "defect"),
    [
        ("base64;", base64.b64encode(b"semicolon").decode(), "semicolon", False),
        ("Quoted Printable", "caf=C3=A9", "café", False),
        ("7-bit", "seven", "seven", False),
        ("text/html", "<b>odd</b>", "<b>odd</b>", True),
        ("base64", "SGFsbw", "Halo", False),  # padding missing
    ],
)
def test_misspelt_transfer_encodings(encoding, payload, text, defect):
    """Misspelt Content-Transfer-Encoding values still decode, or are kept and noted."""
    raw = mail("From: a@b.co", "Content-Type: text/plain; charset=utf-8",
               f"Content-Transfer-Encoding: {encoding}", body=payload)  # fmt: skip
    message = parsed(raw)
    assert message.text.strip() == text
    assert any("Content-Transfer-Encoding" in item for item in message.defects) is defect


def test_broken_multipart_still_yields_text_and_defects():
    """A multipart without its closing boundary keeps its text and reports the defect."""
    raw = mail("From: a@b.co", "Content-Type: multipart/mixed; boundary=b",
               body="--b\nContent-Type: text/plain\n\nstill readable\n")  # fmt: skip
    message = parsed(raw)
    assert "still readable" in message.text
    assert "CloseBoundaryNotFoundDefect" in message.defects


def test_non_ascii_attachment_names_and_enclosed_messages_from_real_mail():
    """A raw 8-bit file name and an attached message/rfc822 come through intact."""
    named = parsed(fixture_bytes("mikel-mail/attachment_nonascii_filename.eml"))
    enclosed = parsed(fixture_bytes("mikel-mail/attachment_message_rfc822.eml"))
    assert [a.filename for a in named.attachments] == ["ciële.txt"]
    assert [(a.filename, a.content_type) for a in enclosed.attachments] == [
        ("ForwardedMessage.eml", "message/rfc822")
    ]


def test_obsolete_header_syntax_is_repaired():
    """Header names followed by spaces before the colon (RFC 5322 obs-syntax) are read."""
    raw = b"Subject   : Hello\r\nFrom : a@b.co\r\n\r\nbody"
    assert (parsed(raw).subject, parsed(raw).sender) == ("Hello", Address("a@b.co"))


def test_missing_sender_is_a_defect_not_a_failure():
    """A message without From parses, with no sender and a defect saying so."""
    message = parsed(mail("Subject: anonymous"))
    assert message.sender is None
    assert "no sender address" in message.defects


def test_nul_characters_never_reach_text():
    """NUL bytes in bodies are dropped, since databases refuse them in text columns."""
    message = parsed(mail("From: a@b.co", body="a\x00b"))
    assert message.text == "ab"
