"""Header fields written without the `email` package's header objects (`fields`): folded
within the line limit, and read back by the `email` package as what was meant."""

from email import policy
from email.parser import BytesHeaderParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.channels.email import fields
from layan.channels.email.decoding import clean_text

# Free text as `compose` hands it over: one line, single spaces.
one_line = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300
).map(clean_text)


def within_limits(line: str) -> bool:
    return len(line) <= (fields.WORDS_LIMIT if "=?" in line else fields.LIMIT)


def read_back(*lines: str) -> dict[str, object]:
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    message = BytesHeaderParser(policy=policy.default).parsebytes(head)
    return {name: message[name] for name in message}


@given(one_line)
def test_any_subject_reads_back_as_written_or_is_refused(subject: str) -> None:
    line = fields.field("Subject", fields.unstructured(subject))
    if line is None:  # a word longer than a line: the caller composes otherwise
        assert any(len(word) > fields.LIMIT - 10 for word in subject.split(" "))
        return
    assert all(within_limits(part) for part in line.split("\r\n"))
    assert str(read_back(line)["Subject"]) == subject


@given(one_line, st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True))
def test_any_display_name_reads_back_as_written(display: str, local: str) -> None:
    box = fields.mailbox(display, local, "contoh.co.id")
    if box is None:  # a run of encoded text longer than one word: composed otherwise
        assert not display.isascii() and len(display.encode()) > 39
        return
    line = fields.field("To", fields.address_list([box, ["ani@contoh.co.id"]]))
    if line is None:  # a word longer than a line: composed otherwise
        assert any(len(word) > fields.LIMIT - 5 for word in box)
        return
    assert all(within_limits(part) for part in line.split("\r\n"))
    first, second = read_back(line)["To"].addresses  # type: ignore[attr-defined]
    assert (first.display_name, first.username, first.domain) == (display, local, "contoh.co.id")
    assert (second.display_name, second.addr_spec) == ("", "ani@contoh.co.id")


@pytest.mark.parametrize(
    ("display", "words"),
    [
        ("Budi Santoso", ["Budi", "Santoso"]),
        ("Budi S.", ['"Budi S."']),  # "." is not an atom's
        ('Budi "Bos" \\ S', ['"Budi \\"Bos\\" \\\\ S"']),
        ("Bü", ["=?utf-8?b?QsO8?="]),
        ("Dewi Lestari · Layan", ["Dewi", "Lestari", "=?utf-8?b?wrc=?=", "Layan"]),
        ("Bü Bü S.", ["=?utf-8?b?QsO8IELDvCBTLg==?="]),  # one run: the space inside it
        ("Bü " * 20, None),  # a run longer than one word
        ("=?utf-8?q?x?=", ["=?utf-8?b?PT91dGYtOD9xP3g/PQ==?="]),  # never decoded on reading
        ("", []),
    ],
)
def test_display_names_are_atoms_a_quoted_string_or_encoded_words(
    display: str, words: list[str] | None
) -> None:
    assert fields.phrase(display) == words


def test_a_subject_keeps_its_ascii_words_plain() -> None:
    words = fields.unstructured("Re: Pesanan — tolong dicek")
    assert words == ["Re:", "Pesanan", "=?utf-8?b?4oCU?=", "tolong", "dicek"]


def test_encoded_words_hold_whole_characters_and_fit_a_line() -> None:
    words = fields.encoded_words("Pesanan 😀 " * 20)
    assert len(words) > 1
    assert all(len(word) <= 64 for word in words)
    line = fields.field("Reply-To", words)
    assert line is not None and all(len(part) <= 76 for part in line.split("\r\n"))


def test_a_local_part_the_package_would_quote_is_left_to_it() -> None:
    assert fields.mailbox("Budi", ".budi", "contoh.co.id") is None
    assert fields.mailbox("Budi", "budi.", "contoh.co.id") is None


def test_a_word_that_cannot_fit_gives_up() -> None:
    assert fields.field("Message-ID", ["<" + "x" * 63 + ">"]) is not None  # 77 characters
    assert fields.field("Subject", ["x" * 80]) is None
    assert fields.field("References", ["<a@b>", "<" + "c" * 80 + "@d>"]) is None
    assert fields.field("Subject", []) == "Subject:"
