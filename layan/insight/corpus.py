"""Read labelled text files in the formats of the public Indonesian corpora and Layan's own.

Formats (detected from the header, or named explicitly):
- `smsa`: IndoNLU SmSA, `text<TAB>label` without a header (sentiment);
- `prdect`: PRDECT-ID CSV with `Customer Review`, `Sentiment`, `Emotion` (sentiment, anger);
- `emot`: IndoNLU EmoT CSV `label,tweet` (anger: "anger" against every other emotion);
- `hatespeech`: Ibrohim & Budi CSV `Tweet,HS,Abusive,...` (abuse);
- `layan`: Layan's TSV with a header naming a `text` column and one column per task; lines
  starting with `#` are comments.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TASKS = ("sentiment", "anger", "abuse", "language", "urgency")
FORMATS = ("smsa", "prdect", "emot", "hatespeech", "layan")

ANGER, NO_ANGER = "anger", "no_anger"
ABUSIVE, NOT_ABUSIVE = "abusive", "not_abusive"

_BYTE_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")


class CorpusError(ValueError):
    """A labelled file cannot be read for the requested task."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text."""

    text: str
    label: str


def detect_format(path: Path) -> str:
    """Guess the format of `path` from its first non-comment line."""
    with path.open(encoding="utf-8-sig") as handle:
        first = next((line for line in handle if line.strip() and not line.startswith("#")), "")
    header = first.strip().lower()
    if "customer review" in header and "emotion" in header:
        return "prdect"
    if header.startswith("label,tweet"):
        return "emot"
    if header.startswith("tweet,hs,abusive"):
        return "hatespeech"
    if "\t" in header and "text" in header.split("\t"):
        return "layan"
    if "\t" in header and header.rsplit("\t", 1)[1] in {"positive", "neutral", "negative"}:
        return "smsa"
    raise CorpusError(f"{path.name}: cannot tell the format; pass one of {', '.join(FORMATS)}")


def read_examples(path: Path, task: str, *, format: str | None = None) -> list[Example]:
    """Return the examples of `path` labelled for `task`."""
    if task not in TASKS:
        raise CorpusError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    kind = format or detect_format(path)
    if kind not in FORMATS:
        raise CorpusError(f"unknown format {kind!r}; expected one of {', '.join(FORMATS)}")
    text = path.read_text(encoding="utf-8-sig")
    reader = {
        "smsa": _smsa,
        "prdect": _prdect,
        "emot": _emot,
        "hatespeech": _hatespeech,
        "layan": _layan,
    }[kind]
    return list(reader(text, task, path.name))


def _unsupported(kind: str, task: str, name: str) -> CorpusError:
    return CorpusError(f"{name}: the {kind} format has no {task} labels")


def _smsa(text: str, task: str, name: str) -> Iterator[Example]:
    if task != "sentiment":
        raise _unsupported("smsa", task, name)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        body, sep, label = line.rpartition("\t")
        if not sep:
            raise CorpusError(f"{name}, line {number}: expected text<TAB>label")
        yield Example(body, label.strip())


def _prdect(text: str, task: str, name: str) -> Iterator[Example]:
    if task not in {"sentiment", "anger"}:
        raise _unsupported("prdect", task, name)
    for row in csv.DictReader(io.StringIO(text)):
        review = row["Customer Review"]
        if task == "sentiment":
            yield Example(review, row["Sentiment"].strip().lower())
        else:
            yield Example(review, ANGER if row["Emotion"].strip() == "Anger" else NO_ANGER)


def _emot(text: str, task: str, name: str) -> Iterator[Example]:
    if task != "anger":
        raise _unsupported("emot", task, name)
    for row in csv.DictReader(io.StringIO(text)):
        yield Example(row["tweet"], ANGER if row["label"].strip() == "anger" else NO_ANGER)


def _hatespeech(text: str, task: str, name: str) -> Iterator[Example]:
    if task != "abuse":
        raise _unsupported("hatespeech", task, name)
    for row in csv.DictReader(io.StringIO(text)):
        label = ABUSIVE if row["Abusive"].strip() == "1" else NOT_ABUSIVE
        yield Example(_decode_byte_escapes(row["Tweet"]), label)


def _layan(text: str, task: str, name: str) -> Iterator[Example]:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    if rows.fieldnames is None or task not in rows.fieldnames or "text" not in rows.fieldnames:
        raise _unsupported("layan", task, name)
    for row in rows:
        yield Example(row["text"], row[task].strip())


def _decode_byte_escapes(text: str) -> str:
    """Turn literal `\\xf0\\x9f\\x98\\x84` runs (how that corpus stores emoji) back into text."""

    def decode(match: re.Match[str]) -> str:
        raw = bytes.fromhex(match.group().replace("\\x", ""))
        return raw.decode("utf-8", errors="ignore")

    return _BYTE_ESCAPES.sub(decode, text)
