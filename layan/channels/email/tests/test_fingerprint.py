import pytest

from layan.channels.email.fingerprint import content_fingerprint

MESSAGE = (
    b"From: Siti <siti@kopi.co.id>\r\nTo: cs@layan.test\r\nSubject: Tagihan\r\n"
    b"Message-ID: <abc@kopi.co.id>\r\n\r\nTagihan saya dobel.\r\n"
)


@pytest.mark.parametrize(
    "variant",
    [
        b"Received: from mx.kopi.co.id by mx.layan.test;\r\n\tSun, 22 Nov 2026 10:00:00 +0700\r\n"
        + MESSAGE,
        b"Return-Path: <siti@kopi.co.id>\r\nDelivered-To: cs@layan.test\r\n" + MESSAGE,
        MESSAGE.replace(b"\r\n", b"\n"),
    ],
)
def test_trace_headers_and_line_endings_do_not_change_the_fingerprint(variant: bytes) -> None:
    assert content_fingerprint(variant) == content_fingerprint(MESSAGE)


@pytest.mark.parametrize(
    "variant",
    [
        MESSAGE.replace(b"dobel", b"lunas"),
        MESSAGE.replace(b"Siti <siti@", b"Siti <bukan-siti@"),
        MESSAGE.replace(b"Subject: Tagihan", b"Subject: Tagihan lagi"),
    ],
)
def test_anything_the_sender_wrote_changes_it(variant: bytes) -> None:
    assert content_fingerprint(variant) != content_fingerprint(MESSAGE)
