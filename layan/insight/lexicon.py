"""Read the word lists under `data/` that people extend by hand.

Every list is UTF-8 text: blank lines and lines starting with `#` are ignored, columns are
separated by a tab. A malformed line raises `LexiconError` naming the file and line, so a
typo in a list fails loudly at load time instead of silently changing predictions.
"""

from __future__ import annotations

import functools
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


class LexiconError(ValueError):
    """A word list under `data/` is malformed."""


def read_rows(path: Path, *, columns: int) -> list[tuple[str, ...]]:
    """Return the rows of a tab-separated list that must have exactly `columns` columns."""
    rows: list[tuple[str, ...]] = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = tuple(cell.strip() for cell in line.split("\t"))
            if len(cells) != columns or not all(cells):
                raise LexiconError(
                    f"{path.name}, line {number}: expected {columns} tab-separated "
                    f"non-empty columns, got {len(cells)}: {line!r}"
                )
            rows.append(cells)
    return rows


def read_words(path: Path) -> frozenset[str]:
    """Return the lower-cased words of a one-word-per-line list."""
    return frozenset(row[0].lower() for row in read_rows(path, columns=1))


def read_weights(path: Path) -> dict[str, float]:
    """Return `phrase -> weight` from a two-column list whose weights lie in [-1, 1]."""
    weights: dict[str, float] = {}
    for phrase, value in read_rows(path, columns=2):
        try:
            weight = float(value)
        except ValueError:
            raise LexiconError(f"{path.name}: weight of {phrase!r} is not a number") from None
        if not -1.0 <= weight <= 1.0:
            raise LexiconError(f"{path.name}: weight of {phrase!r} is outside [-1, 1]")
        weights[" ".join(phrase.lower().split())] = weight
    return weights


@functools.cache
def slang() -> dict[str, tuple[str, ...]]:
    """Return informal word -> normal words."""
    rows = read_rows(DATA_DIR / "slang.tsv", columns=2)
    return {key.lower(): tuple(value.lower().split()) for key, value in rows}


@functools.cache
def emoji() -> dict[str, str]:
    """Return emoji or emoticon -> replacement words."""
    rows = read_rows(DATA_DIR / "emoji.tsv", columns=2)
    return {symbol.replace("\ufe0f", ""): words for symbol, words in rows}


@functools.cache
def double_letter_words() -> frozenset[str]:
    """Return words legitimately spelled with a doubled letter."""
    return read_words(DATA_DIR / "double_letters.txt")


@functools.cache
def nya_words() -> frozenset[str]:
    """Return words ending in "nya" that must not be split."""
    return read_words(DATA_DIR / "nya_words.txt")
