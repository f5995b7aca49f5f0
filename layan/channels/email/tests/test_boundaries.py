"""The stand-in for the boundary patterns `email.feedparser` compiles for every multipart."""

import email.feedparser
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from layan.channels.email import boundaries
from layan.channels.email.parse import parse_email

SEPARATORS = [
    "--b",
    "--==_mimepart_6571e2b1c3d5a_1f2a3b4c5d6e7f",
    "----=_Part_123_456.789",
    "--(a+b)*[c]?{d}|e^f$g.h\\i",  # every character a pattern would read as syntax
    "--boundary with spaces",
    "--émoji-✓-batas",
    "--tab\there",
]
ENDINGS = ["", "\n", "\r\n", "\r", "  \n", "\t\r\n", " x\n", "--", "--\n", "--  \r\n", "---\n"]


def _lines(separator: str) -> Iterator[str]:
    for ending in ENDINGS:
        yield separator + ending
    yield separator[:-1] + "\n"  # one character short
    yield " " + separator + "\n"  # not at the start of the line
    yield separator.upper() + "\n"  # another case: a different boundary
    yield separator + separator + "\n"
    yield ""


def _compiled(separator: str) -> re.Pattern[str]:
    """The pattern as `email.feedparser` builds it."""
    return re.compile(
        "(?P<sep>" + re.escape(separator) + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
    )


@pytest.mark.parametrize("separator", SEPARATORS)
def test_a_boundary_line_matches_where_the_compiled_pattern_does(separator: str) -> None:
    pattern = _compiled(separator)
    stand_in = email.feedparser.re.compile(pattern.pattern)
    assert isinstance(stand_in, boundaries.BoundaryLine)
    assert stand_in.separator == separator
    for line in _lines(separator):
        expected, got = pattern.match(line), stand_in.match(line)
        assert (got is None) == (expected is None), repr(line)
        if expected is not None and got is not None:
            for group in ("end", "ws", "linesep"):
                assert got.group(group) == expected.group(group), (repr(line), group)


def test_other_patterns_are_compiled_as_before() -> None:
    compile_ = email.feedparser.re.compile
    assert compile_(r"(\r\n|\r|\n)") == re.compile(r"(\r\n|\r|\n)")
    shaped = _compiled("--b").pattern
    assert isinstance(compile_(shaped, re.IGNORECASE), re.Pattern)  # flags: not the parser's
    assert email.feedparser.re.escape("a.b") == re.escape("a.b")


def test_the_parser_uses_the_stand_in_for_a_multipart_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If a later Python builds the pattern differently, parsing stays right but loses the
    shortcut: this says so."""
    made: list[str] = []
    original = boundaries.BoundaryLine.__init__

    def counted(self: boundaries.BoundaryLine, separator: str) -> None:
        made.append(separator)
        original(self, separator)

    monkeypatch.setattr(boundaries.BoundaryLine, "__init__", counted)
    raw = (
        b"From: a@b.co\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="batas.1"\r\n\r\n'
        b"--batas.1\r\nContent-Type: text/plain\r\n\r\nhalo\r\n"
        b"--batas.1\r\nContent-Type: text/html\r\n\r\n<p>halo</p>\r\n--batas.1--\r\n"
    )
    message = parse_email(raw)
    assert made == ["--batas.1"]
    assert getattr(message, "text", "").strip() == "halo"


@contextmanager
def _plain_re() -> Iterator[None]:
    stand_in = email.feedparser.re
    email.feedparser.re = re
    try:
        yield
    finally:
        email.feedparser.re = stand_in


@pytest.mark.corpus
def test_real_mail_parses_the_same_with_and_without_the_stand_in(shared_mail: Path) -> None:
    """Every message of the shared corpus (nested multiparts, broken boundaries, bounces)."""
    assert isinstance(email.feedparser.re, type(boundaries._BoundaryRe()))
    paths = sorted(path for path in shared_mail.rglob("*") if path.is_file())
    raws = [path.read_bytes() for path in paths]
    faster = [repr(parse_email(raw)) for raw in raws]
    with _plain_re():
        plain = [repr(parse_email(raw)) for raw in raws]
    different = [str(path) for path, a, b in zip(paths, faster, plain, strict=True) if a != b]
    assert len(raws) > 500
    assert different == []
