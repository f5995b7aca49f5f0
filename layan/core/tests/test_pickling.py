import copy
import pickle
from dataclasses import dataclass, field

import pytest

from layan.channels.email.parse import parse_email
from layan.channels.prepare import Prepared, prepare
from layan.channels.types import InboundMessage, ParseFailure
from layan.core.pickling import pickled_by_fields


def _mail_with_attachment() -> bytes:
    return (
        b"From: Budi Santoso <budi@example.co.id>\r\n"
        b"To: layanan@example.com\r\n"
        b"Subject: =?utf-8?q?Tagihan_ganda_=E2=80=94_mohon_dicek?=\r\n"
        b"Message-ID: <tagihan-1@example.co.id>\r\n"
        b"References: <a@example.co.id> <b@example.co.id>\r\n"
        b"Date: Mon, 23 Nov 2026 09:15:00 +0700\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Saya ditagih dua kali bulan ini, tolong segera diperbaiki!\r\n"
        b'--b\r\nContent-Type: application/pdf; name="tagihan.pdf"\r\n'
        b"Content-Disposition: attachment; filename=tagihan.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
    )


def test_a_prepared_message_comes_back_equal_through_pickle_and_copies() -> None:
    prepared = prepare(_mail_with_attachment(), 10_000_000)
    assert prepared is not None and prepared.analysis is not None
    message = prepared.message
    assert isinstance(message, InboundMessage)
    assert message.attachments and message.references and message.sender is not None
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(prepared, protocol=protocol))  # noqa: S301
        assert again == prepared
        assert type(again) is Prepared and type(again.message) is InboundMessage
        assert again.message.attachments[0].payload == b"%PDF-1.4\n"
        assert again.analysis is not None
        assert again.analysis.tokens == prepared.analysis.tokens
    assert copy.copy(prepared) == prepared
    deep = copy.deepcopy(prepared)
    assert deep == prepared and deep.message.meta is not message.meta


def test_a_parse_failure_round_trips() -> None:
    failure = parse_email(b"\x00" * 10, max_attachment_bytes=1000)
    assert isinstance(failure, ParseFailure) and failure.reason
    assert pickle.loads(pickle.dumps(failure)) == failure  # noqa: S301


def test_only_classes_rebuilt_from_their_fields_are_accepted() -> None:
    @dataclass(frozen=True, slots=True)
    class Hidden:
        shown: str
        hidden: str = field(default="", init=False)

    with pytest.raises(TypeError, match="cannot be rebuilt"):
        pickled_by_fields(Hidden)

    @dataclass(frozen=True)
    class Converted:
        value: str

        def __post_init__(self) -> None:
            object.__setattr__(self, "value", self.value.strip())

    with pytest.raises(TypeError, match="cannot be rebuilt"):
        pickled_by_fields(Converted)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Base:
    name: str


@dataclass(frozen=True, slots=True)
class Child(Base):
    extra: int = 0


def test_a_subclass_must_say_so_itself() -> None:
    assert pickle.loads(pickle.dumps(Base("a"))) == Base("a")  # noqa: S301
    with pytest.raises(TypeError, match="decorate Child"):
        pickle.dumps(Child("a", 1))
