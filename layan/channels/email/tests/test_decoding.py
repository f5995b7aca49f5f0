import random
import re

import pytest

from layan.channels.email.decoding import (
    clean_text,
    codec_for,
    decode_text,
    decode_words,
    header_text,
    message_ids,
    normalise_message_id,
    parse_addresses,
    safe_filename,
)
from layan.channels.types import Address


@pytest.mark.parametrize(
    ("charset", "codec"),
    [
        ("utf-8", "utf-8"),
        ('"UTF8"', "utf-8"),
        ("iso-8859-1", "cp1252"),
        ("Shift_JIS", "cp932"),
        ("ks_c_5601-1987", "cp949"),
        ("ISO-2022-JP", "iso2022_jp_ext"),
        ("koi8-r", "koi8-r"),
        ("x-mac-cyrillic", "mac-cyrillic"),
        ("_iso-2022-jp$ESC", "iso2022_jp_ext"),
        ("utf-8*en", "utf-8"),
        ("x-unknown", None),
        ("bogus-charset", None),
        ("base64", None),
        ("", None),
        (None, None),
    ],
)
def test_codec_for_maps_real_world_charset_names(charset, codec):
    """Declared charsets map to a text codec; unknown or non-text names give None (guess)."""
    assert codec_for(charset) == codec


@pytest.mark.parametrize(
    ("payload", "charset", "text", "noted"),
    [
        (b"plain", None, "plain", False),
        ("Grüße".encode(), "utf-8", "Grüße", False),
        ("Grüße".encode("cp1252"), "iso-8859-1", "Grüße", False),
        ("Grüße".encode(), "iso-8859-1", "Grüße", False),  # UTF-8 mislabelled as Latin-1
        ("Привет".encode("koi8-r"), "koi8-r", "Привет", False),
        ("日本語".encode("iso2022_jp"), "iso-2022-jp", "日本語", False),
        ("日本語".encode("shift_jis"), "shift_jis", "日本語", False),
        ("café".encode("cp1252"), "utf-8", "café", True),
        ("café".encode("cp1252"), "no-such-charset", "café", True),
        ("café".encode("cp1252"), None, "café", True),
    ],
)
def test_decode_text_falls_back_and_notes_bad_charsets(payload, charset, text, noted):
    """Bytes decode with the declared charset, then sensible fallbacks, and say when they did."""
    decoded, note = decode_text(payload, charset)
    assert decoded == text
    assert bool(note) is noted


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?UTF-8?B?SGFsbyBkdW5pYQ==?=", "Halo dunia"),
        ("=?utf-8?q?Pesanan_saya_belum_datang?=", "Pesanan saya belum datang"),
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),
        ("Re: =?utf-8?q?caf=C3=A9?= ok", "Re: café ok"),
        ("=?UTF-8?B?5pel5pys?= =?UTF-8?B?6Kqe?=", "日本語"),
        ("=?UTF-8?B?5pel5g==?= =?UTF-8?B?nKzoqp4=?=", "日本語"),  # characters split across words
        ("=?utf-8?q?spaces inside?=", "spaces inside"),
        ("=?ISO-2022-JP?B?GyRCJF4kXyRgJGEkYhsoQg==?=", "まみむめも"),
        ("=?bogus?q?caf=E9?=", "café"),
        ("=?utf-8?b?SGFsbw?=", "Halo"),  # padding missing
        ("no words here", "no words here"),
    ],
)
def test_decode_words_is_lenient(raw, decoded):
    """RFC 2047 encoded-words decode even when senders bend the rules."""
    assert decode_words(raw) == decoded


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Hello\r\nBcc: evil@example.com", "Hello Bcc: evil@example.com"),
        ("=?utf-8?q?Hello=0D=0ABcc:_evil@example.com?=", "Hello Bcc: evil@example.com"),
        ("=?utf-8?b?SGVsbG8NCkJjYzogZXZpbEBleGFtcGxlLmNvbQ==?=", "Hello Bcc: evil@example.com"),
        ("tab\there\x00nul\x1b[31m", "tab here nul [31m"),
        ("line\u2028sep\u0085next", "line sep next"),
        ("admin\u202egnp.exe", "admingnp.exe"),
        ("  many    spaces  ", "many spaces"),
    ],
)
def test_header_text_folds_control_characters(raw, clean):
    """Decoded header text never carries CR, LF or other control characters."""
    assert header_text(raw) == clean
    assert header_text(raw) == clean_text(header_text(raw))


def test_clean_text_gives_what_its_three_passes_give_on_any_text() -> None:
    """Plain printable ASCII takes a shorter way; every text gets the same answer."""

    def passes(value: str) -> str:
        value = re.sub(
            "[\u202a-\u202e\u2066-\u2069]",
            "",
            re.sub("[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", value),
        )
        return re.sub(r"\s+", " ", value).strip()

    rng = random.Random(7)
    spaces = [" ", "  ", "\t", "a", "b", ":"]
    anything = [chr(code) for code in range(128)] + ["\xa0", "\u3000", "\u202e", "\x85", "é"]
    for round_ in range(20_000):
        pool = spaces if round_ % 2 else anything
        value = "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))
        assert clean_text(value) == passes(value), repr(value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Budi <Budi@Contoh.CO.ID>"], [Address("budi@contoh.co.id", "Budi")]),
        (
            ['"Santoso, Budi" <b@x.id>, c@y.id'],
            [Address("b@x.id", "Santoso, Budi"), Address("c@y.id")],
        ),
        (["=?utf-8?q?Jo=2C_Doe?= <j@x.org>"], [Address("j@x.org", "Jo, Doe")]),
        (["tyra3l@gmail.com (Ferenc Kovacs)"], [Address("tyra3l@gmail.com", "Ferenc Kovacs")]),
        (["Big Bug bb@bug.com"], [Address("bb@bug.com")]),
        (["tim@a.com concierge@a.com"], [Address("tim@a.com"), Address("concierge@a.com")]),
        (["Team: a@b.c, d@e.f;"], [Address("a@b.c"), Address("d@e.f")]),
        (["undisclosed-recipients:;"], []),
        (['"Jöhn" <jdöe@mächine.example>'], [Address("jdöe@mächine.example", "Jöhn")]),
        (["<mailto:x@y.z>"], [Address("x@y.z")]),
        (["a@b.c", "A@B.C"], [Address("a@b.c")]),
        (["MAILER-DAEMON (Mail Delivery System)"], []),
        (
            ["=?utf-8?q?Evil=0D=0ABcc=3A_x=40y=2Ez?= <e@v.il>"],
            [Address("e@v.il", "Evil Bcc: x@y.z")],
        ),
    ],
)
def test_parse_addresses(values, expected):
    """Address headers give lower-cased addresses with decoded, single-line display names."""
    assert list(parse_addresses(values)) == expected


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("<a@b>", ["a@b"]),
        ("  <a@b> <c@d>\r\n\t<e@f>", ["a@b", "c@d", "e@f"]),
        ("<a@b>,<c@d>", ["a@b", "c@d"]),
        ("a@b c@d", ["a@b", "c@d"]),
        ("<a@b> (Fred's message of Monday)", ["a@b"]),
        ("<fold\r\n ed@id>", ["folded@id"]),
        ("<a@b> <a@b>", ["a@b"]),
        ("<>", []),
        ("junk without ids", []),
        ("", []),
        (None, []),
    ],
)
def test_message_ids_tolerate_junk(raw, ids):
    """Id-list headers give ids without brackets, in order, without duplicates or junk."""
    assert message_ids(raw) == ids
    assert normalise_message_id(raw) == (ids[0] if ids else "")


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("invoice.pdf", "application/pdf", "invoice.pdf"),
        ("../../etc/passwd", "text/plain", "passwd"),
        ("C:\\Users\\budi\\foto.jpg", "image/jpeg", "foto.jpg"),
        (".htaccess", "text/plain", "htaccess"),
        ("...", "text/plain", "attachment.txt"),
        ("na\x00me\r\n.txt", "text/plain", "na_me__.txt"),
        ("evil\u202eexe.txt", "text/plain", "evil_exe.txt"),
        ('a<b>:"c"|?*.txt', "text/plain", "a_b___c____.txt"),
        ("CON.txt", "text/plain", "_CON.txt"),
        ("", "image/png", "attachment.png"),
        (None, "message/rfc822", "attachment.eml"),
        (None, "application/x-unknown-thing", "attachment.bin"),
        ("a" * 300 + ".pdf", "application/pdf", "a" * 176 + ".pdf"),
    ],
)
def test_safe_filename(name, content_type, expected):
    """Attachment names lose paths, controls and leading dots, and are never empty."""
    assert safe_filename(name, content_type) == expected
