import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.channels.email.parse import parse_email
from layan.channels.email.tests.conftest import fixture_bytes
from layan.channels.email.threading import (
    Forward,
    candidate_ids,
    detect_forward,
    make_message_id,
    normalise_subject,
    strip_subject_prefixes,
    subject_ticket_ref,
    subject_with_ticket_ref,
    ticket_ref_from_message_id,
)
from layan.channels.types import Address, Channel, InboundMessage

KEY = b"k" * 32


@pytest.mark.parametrize("ticket_ref", ["1042", "T-1042", "abc_9", "9" * 64])
def test_our_message_ids_round_trip(ticket_ref):
    """A Message-ID we made gives its ticket back, with or without angle brackets."""
    ident = make_message_id(ticket_ref=ticket_ref, key=KEY, domain="Mail.Layan.Example")
    assert ident.endswith("@mail.layan.example")
    assert ticket_ref_from_message_id(ident, key=KEY) == ticket_ref
    assert ticket_ref_from_message_id(f" <{ident}> ", key=KEY) == ticket_ref


def test_message_id_is_deterministic_with_a_nonce_and_unique_without():
    """The same nonce gives the same id (retries); no nonce gives a fresh one each time."""
    fixed = {make_message_id(ticket_ref="1", key=KEY, domain="x.id", nonce="n1") for _ in range(3)}
    fresh = {make_message_id(ticket_ref="1", key=KEY, domain="x.id") for _ in range(50)}
    assert len(fixed) == 1
    assert len(fresh) == 50


GOOD = make_message_id(ticket_ref="1042", key=KEY, domain="layan.example", nonce="abc")


@pytest.mark.parametrize(
    "forged",
    [
        GOOD.replace("1042", "1043"),
        GOOD.replace(".abc.", ".abd."),
        GOOD[:-20] + ("a" if GOOD[-20] != "a" else "b") + GOOD[-19:],
        GOOD.split("@")[0][:-1] + "@layan.example",
        "layan.1042.abc.aaaaaaaaaaaaaaaaaaaaaaaa@layan.example",
        "CAKsfaBUUGqVZ@mail.gmail.com",
        "",
        "layan.1042@layan.example",
    ],
)
def test_forged_or_altered_ids_give_nothing(forged):
    """Changing any part of a signed id, or a foreign id, yields None."""
    assert ticket_ref_from_message_id(forged, key=KEY) is None


def test_ids_signed_with_another_key_are_rejected():
    """An id made under another key does not verify."""
    assert ticket_ref_from_message_id(GOOD, key=b"other key" * 4) is None


def test_case_folded_signature_still_verifies():
    """Systems that upper-case ids do not break threading."""
    local, domain = GOOD.split("@")
    ref, rest = local[len("layan.") :].split(".", 1)
    assert ticket_ref_from_message_id(f"LAYAN.{ref}.{rest.upper()}@{domain}", key=KEY) == "1042"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ticket_ref": "10 42"}, "ticket_ref"),
        ({"ticket_ref": "1042\r\nBcc: x"}, "ticket_ref"),
        ({"ticket_ref": ""}, "ticket_ref"),
        ({"key": b""}, "key"),
        ({"domain": "evil.example>\r\nBcc: x"}, "domain"),
        ({"nonce": "a.b"}, "nonce"),
    ],
)
def test_make_message_id_refuses_bad_input(kwargs, message):
    """Only safe characters can enter a Message-ID."""
    arguments = {"ticket_ref": "1042", "key": KEY, "domain": "layan.example", **kwargs}
    with pytest.raises(ValueError, match=message):
        make_message_id(**arguments)


@given(st.text(max_size=200))
def test_arbitrary_ids_never_raise(value):
    """Looking up any string is safe, and text that we did not sign never verifies."""
    assert ticket_ref_from_message_id(value, key=KEY) is None


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("Re: RE: Balas: AW: Fwd: FW: Tr: WG: SV: Antw: Odp: Bls: Pesanan", "Pesanan"),
        ("Re[2]: Re(3): RE^4: Pesanan", "Pesanan"),
        ("[EXTERNAL] Re: Pesanan", "Pesanan"),
        ("RE : Fwd:Re:Pesanan", "Pesanan"),
        ("Re：回复: 转发: Pesanan", "Pesanan"),
        ("*** EXTERNAL *** Re: Pesanan", "Pesanan"),
        ("TRS: BLS: Pesanan", "Pesanan"),
        ("Regarding: Pesanan", "Regarding: Pesanan"),
        ("Rekap penjualan", "Rekap penjualan"),
        ("Re:", ""),
    ],
)
def test_strip_subject_prefixes(subject, stripped):
    """Stacks of reply and forward prefixes in many languages come off; real words stay."""
    assert strip_subject_prefixes(subject) == stripped


@pytest.mark.parametrize(
    ("subject", "prefix", "ref"),
    [
        ("Re: Pesanan [#1042]", "#", "1042"),
        ("Re: [#1042] Pesanan", "#", "1042"),
        ("Re: Pesanan [ # 1042 ]", "#", "1042"),
        ("Fwd: [#7] lama [#1042]", "#", "1042"),
        ("Pesanan #1042", "#", None),
        ("Re: Pesanan [LYN-77]", "LYN-", "77"),
        ("Re: Pesanan [#1042]", "LYN-", None),
    ],
)
def test_subject_ticket_ref(subject, prefix, ref):
    """The subject token gives a ticket reference; the prefix is configurable."""
    assert subject_ticket_ref(subject, prefix=prefix) == ref


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Pesanan belum datang", "Pesanan belum datang [#1042]"),
        ("Re: Pesanan [#1042]", "Re: Pesanan [#1042]"),
        ("Re: [#999] Pesanan", "Re: Pesanan [#1042]"),
        ("Line\r\nBcc: x@y.z", "Line Bcc: x@y.z [#1042]"),
        ("", "[#1042]"),
    ],
)
def test_subject_with_ticket_ref(subject, expected):
    """The token is added once, replacing an older one, on a single line."""
    assert subject_with_ticket_ref(subject, "1042") == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Re: Pesanan belum datang!", "Pesanan  belum DATANG"),
        ("Fwd: [EXTERNAL] Invoice #55 [#1042]", "invoice 55"),
        ("ＦＵＬＬ　ＷＩＤＴＨ", "full width"),
    ],
)
def test_normalise_subject_matches_variants(a, b):
    """Subjects that differ only by prefixes, tokens, case, width or punctuation compare equal."""
    assert normalise_subject(a) == normalise_subject(b)


def message(**fields) -> InboundMessage:
    return InboundMessage(channel=Channel.EMAIL, raw=b"", **fields)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"in_reply_to": "p@x", "references": ("r@x", "q@x", "p@x")}, ["p@x", "q@x", "r@x"]),
        ({"references": ("r@x", "q@x")}, ["q@x", "r@x"]),
        ({"in_reply_to": "p@x"}, ["p@x"]),
        ({"external_id": "me@x", "in_reply_to": "me@x", "references": ("r@x",)}, ["r@x"]),
        ({}, []),
    ],
)
def test_candidate_ids_order(fields, expected):
    """In-Reply-To comes first, then References newest first, without repeats or self."""
    assert candidate_ids(message(**fields)) == expected


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        (
            "Fwd: Pesanan",
            "Tolong dicek.\n\n---------- Forwarded message ---------\n"
            "From: Ani <ani@contoh.co.id>\n"
            "Date: Sen, 1 Jan 2024\nSubject: Pesanan\nTo: budi@contoh.co.id\n\nIsi",
            Forward(Address("ani@contoh.co.id", "Ani"), "Pesanan", "Sen, 1 Jan 2024"),
        ),
        (
            "Pesanan",
            "Lihat bawah.\n\n-------- Pesan yang diteruskan --------\n"
            "Dari: Ani <ani@contoh.co.id>\n"
            "Tanggal: 1 Januari 2024\nPerihal: Pesanan\n\nIsi",
            Forward(Address("ani@contoh.co.id", "Ani"), "Pesanan", "1 Januari 2024"),
        ),
        (
            "Fw: Pesanan",
            "Begin forwarded message:\n\n> From: ani@contoh.co.id\n> Subject: Pesanan\n\n> Isi",
            Forward(Address("ani@contoh.co.id"), "Pesanan", ""),
        ),
        (
            "FW: Pesanan",
            "Info.\n\n-----Original Message-----\nFrom: Ani [mailto:ani@contoh.co.id]\n"
            "Sent: Monday\nSubject: Pesanan\n\nIsi",
            Forward(Address("ani@contoh.co.id", "Ani"), "Pesanan", "Monday"),
        ),
        ("Fwd: Pesanan", "Just this, no header block.", Forward()),
        ("Re: Pesanan", "Info.\n\n-----Original Message-----\nFrom: ani@contoh.co.id\n", None),
        ("Pesanan", "Saya forward pesan ini ke gudang.", None),
    ],
)
def test_detect_forward(subject, text, expected):
    """Forwards are recognised by subject or body marker and name the original sender."""
    assert detect_forward(subject=subject, text=text) == expected


def test_forward_in_real_mail():
    """A Thunderbird message quoting Outlook's separator with a plain subject is not a forward."""
    parsed = parse_email(fixture_bytes("django-helpdesk/forwarded-message.eml"))
    assert isinstance(parsed, InboundMessage)
    assert detect_forward(subject=parsed.subject, text=parsed.text) is None
    assert detect_forward(subject="Fwd: " + parsed.subject, text=parsed.text) == Forward(
        Address("noreply@github.com", "GitHub"),
        "[GitHub API] Update notice for access token [SEC=UNOFFICIAL]",
        "Tuesday, 6 April 2021 9:09 AM",
    )
