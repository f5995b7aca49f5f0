"""Store and apply the TF-IDF + logistic regression models under `models/`.

A model is two files, readable without pickle:
- `<name>.json.gz`: classes, feature config, intercepts, the term list (row order) and the
  training summary;
- `<name>.npy`: float32 rows, one per term: the idf weight, then one coefficient per output.

The link says how logits become probabilities: "softmax" (multinomial; a single output is the
logit of the second class) or "ovr" (one logistic output per class, normalised to sum to one).
Terms are prefixed by block ("w " word n-grams, "c " character n-grams). Each block is
TF-IDF weighted with sublinear tf and L2-normalised on its own, as at training time.
"""

from __future__ import annotations

import functools
import gzip
import io
import itertools
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from layan.insight.features import FeatureConfig, char_terms, token_char_terms, word_terms
from layan.insight.normalize import WORDS_CACHED, NormalizedText

FORMAT = 1
LINKS = ("softmax", "ovr")
WORD, CHAR = "w ", "c "

Floats = npt.NDArray[np.floating[Any]]
Rows = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Terms:
    """The word and character terms of one text under one feature config."""

    word: list[str]
    char: list[str]

    @classmethod
    def of(cls, text: NormalizedText, config: FeatureConfig) -> Terms:
        """Extract the terms of `text`."""
        return cls(word_terms(text, config), char_terms(text, config))


@dataclass(frozen=True)
class LinearModel:
    """A multinomial (or binary) logistic regression over TF-IDF n-grams."""

    name: str
    classes: tuple[str, ...]
    config: FeatureConfig
    index: Mapping[str, int]
    table: Floats
    intercept: Floats
    summary: Mapping[str, Any]
    link: str = "softmax"
    _char_rows: Callable[[str], Rows] = field(init=False, repr=False, compare=False)
    # Which rows of `table` are word terms (the others are character terms).
    _word_rows: npt.NDArray[np.bool_] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Tokens repeat across messages, so their character n-gram rows are worth remembering.
        cached = functools.lru_cache(maxsize=WORDS_CACHED)(self._token_rows)
        object.__setattr__(self, "_char_rows", cached)
        words = np.zeros(len(self.table), dtype=np.bool_)
        words[[row for term, row in self.index.items() if term.startswith(WORD)]] = True
        object.__setattr__(self, "_word_rows", words)

    def probabilities(self, text: NormalizedText) -> dict[str, float]:
        """Return class -> probability for one normalised text."""
        word = _term_rows(self.index, WORD, word_terms(text, self.config))
        found = np.concatenate([np.array(word, dtype=np.intp), *map(self._char_rows, text.tokens)])
        logits = self.intercept.astype(np.float64)
        if found.size:
            logits = logits + self._logits(found)
        return _shares(self.link, self.classes, logits)

    def _token_rows(self, token: str) -> Rows:
        found = np.array(_char_term_rows(self.index, token, self.config), dtype=np.intp)
        found.flags.writeable = False  # kept in the cache and shared by every text
        return found

    def _logits(self, found: Rows) -> Floats:
        """Weigh the rows of a text's terms, one row per occurrence: sublinear tf x idf, each
        block (word, character) L2-normalised on its own.

        `numpy.unique` counts the occurrences: for a text's few thousand character n-grams, a
        fraction of what a Counter takes."""
        rows, counts = np.unique(found, return_counts=True)
        weights = self.table[rows]
        values = (1.0 + np.log(counts, dtype=np.float32)) * weights[:, 0]
        squares = values * values
        words = self._word_rows[rows]
        for block in (words, ~words):
            norm = math.sqrt(float(squares[block].sum()))
            if norm:
                values[block] /= norm
        return values @ weights[:, 1:]


def _shares(link: str, classes: tuple[str, ...], logits: Floats | list[float]) -> dict[str, float]:
    """Class -> probability from a model's logits (a handful of numbers: plain floats)."""
    values = [float(logit) for logit in logits]
    if len(values) == 1 and link != "ovr":
        positive = math.exp(_log_sigmoid(values[0]))
        return {classes[0]: 1.0 - positive, classes[1]: positive}
    if link == "ovr":  # each class's own sigmoid, normalised to sum to one
        values = [_log_sigmoid(value) for value in values]
    top = max(values)  # in logarithms, so that no share overflows or all vanish
    shares = [math.exp(value - top) for value in values]
    total = sum(shares)
    return {label: share / total for label, share in zip(classes, shares, strict=True)}


def _log_sigmoid(value: float) -> float:
    """log(1 / (1 + e^-value)), without overflow however far the value lies from zero."""
    if value >= 0:
        return -math.log1p(math.exp(-value))
    return value - math.log1p(math.exp(value))


def _term_rows(index: Mapping[str, int], prefix: str, terms: list[str]) -> list[int]:
    """The rows of `index` that `terms` of one block (`prefix`) have, in order."""
    return [row for row in map(index.get, map(prefix.__add__, terms)) if row is not None]


def _char_term_rows(index: Mapping[str, int], token: str, config: FeatureConfig) -> list[int]:
    """The rows of `index` that one token's character n-grams have, in order."""
    return _term_rows(index, CHAR, token_char_terms(token, config.char_min, config.char_max))


@dataclass(frozen=True, slots=True)
class _Head:
    """What a model set keeps of one model: how its logits become probabilities, and where
    its weights sit in the set's table (its idf column, then its coefficients)."""

    classes: tuple[str, ...]
    link: str
    intercept: tuple[float, ...]
    idf: int
    stop: int


class ModelSet:
    """Linear models that read the same terms (one `FeatureConfig`), applied in one pass.

    Applying models one by one looks each term of a text up once per model, and gathers each
    model's rows from its own table. Here their term lists are merged into one index, and
    their weights into one table whose row for a term holds every model's idf weight and
    coefficients side by side, zeros where a model lacks the term (it then weighs nothing
    there, as in the model alone). A text's terms are looked up and counted once for every
    model, and the answers are those of each `LinearModel.probabilities`.

    The pass is written for web workers of several threads. numpy lets other threads run
    during a sort, a two-dimensional gather or an operation on more than a few hundred
    values, and with other threads waiting each such operation costs a hand-over of Python's
    lock and back. With four threads analysing at once, `LinearModel`'s pass cost three times
    its processor time alone. Here the terms are counted with a `Counter` (no sort), the
    table is kept a column per array and gathered a column at a time, and every operation
    works on the text's own few hundred values: 65 us alone, about 70 us with four threads.

    The set keeps no reference to the models it was made from.
    """

    def __init__(self, models: Sequence[LinearModel]) -> None:
        if not models or any(model.config != models[0].config for model in models):
            raise ValueError("a model set needs models with one feature config")
        index: dict[str, int] = {}
        for model in models:
            for term in sorted(model.index, key=model.index.__getitem__):
                index.setdefault(term, len(index))
        table = np.zeros((len(index), sum(model.table.shape[1] for model in models)), np.float32)
        heads = []
        start = 0
        for model in models:
            stop = start + model.table.shape[1]
            ours = np.fromiter(map(index.__getitem__, model.index), dtype=np.intp)
            table[ours, start:stop] = model.table[np.fromiter(model.index.values(), np.intp)]
            intercept = tuple(model.intercept.astype(np.float64).tolist())
            heads.append(_Head(model.classes, model.link, intercept, start, stop))
            start = stop
        self.config = models[0].config
        self.index = index
        # One contiguous array per column: a text's rows are gathered column by column.
        self.columns = tuple(np.ascontiguousarray(table[:, column]) for column in range(start))
        self.heads = tuple(heads)
        # Tokens repeat across messages, so their character n-gram rows are worth remembering.
        self.char_rows = functools.lru_cache(maxsize=WORDS_CACHED)(self._token_rows)

    def _token_rows(self, token: str) -> tuple[int, ...]:
        return tuple(_char_term_rows(self.index, token, self.config))

    def probabilities(self, text: NormalizedText) -> tuple[dict[str, float], ...]:
        """Return each model's class -> probability for one normalised text, in order."""
        # Counted in the order first met: the word terms' rows, then the characters'.
        counts = Counter(_term_rows(self.index, WORD, word_terms(text, self.config)))
        words = len(counts)
        counts.update(itertools.chain.from_iterable(map(self.char_rows, text.tokens)))
        if not counts:
            return tuple(
                _shares(head.link, head.classes, list(head.intercept)) for head in self.heads
            )
        rows = np.fromiter(counts, dtype=np.intp, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        columns = self.columns
        answers = []
        for head in self.heads:
            # tf x idf, each block (word, character terms) L2-normalised on its own.
            values = tf * columns[head.idf][rows]
            for block in (values[:words], values[words:]):
                norm = math.sqrt(float(block @ block))
                if norm:
                    block /= norm
            logits = [
                base + float(values @ columns[column][rows])
                for base, column in zip(head.intercept, range(head.idf + 1, head.stop), strict=True)
            ]
            answers.append(_shares(head.link, head.classes, logits))
        return tuple(answers)


def model_save(model: LinearModel, directory: Path) -> None:
    """Write `model` as `<name>.json.gz` and `<name>.npy`, byte for byte reproducibly."""
    terms = sorted(model.index, key=model.index.__getitem__)
    meta = {
        "format": FORMAT,
        "name": model.name,
        "classes": list(model.classes),
        "config": model.config.to_dict(),
        "intercept": [float(value) for value in model.intercept],
        "link": model.link,
        "summary": dict(model.summary),
        "terms": terms,
    }
    payload = json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    buffer = io.BytesIO()
    # mtime=0 and no file name keep the gzip header identical between runs.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        out.write(payload.encode("utf-8"))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{model.name}.json.gz").write_bytes(buffer.getvalue())
    np.save(directory / f"{model.name}.npy", model.table.astype(np.float32), allow_pickle=False)


def model_load(directory: Path, name: str) -> LinearModel:
    """Read the model `name` from `directory`; never unpickles."""
    with gzip.open(directory / f"{name}.json.gz", "rt", encoding="utf-8") as handle:
        meta = json.load(handle)
    if meta.get("format") != FORMAT or meta.get("link") not in LINKS:
        raise ValueError(f"{name}: unsupported model format {meta.get('format')!r}")
    table = np.load(directory / f"{name}.npy", allow_pickle=False).astype(np.float32)
    terms: list[str] = meta["terms"]
    if table.shape[0] != len(terms):
        raise ValueError(f"{name}: {len(terms)} terms but {table.shape[0]} weight rows")
    return LinearModel(
        name=meta["name"],
        classes=tuple(meta["classes"]),
        config=FeatureConfig.from_dict(meta["config"]),
        index={term: row for row, term in enumerate(terms)},
        table=table,
        intercept=np.asarray(meta["intercept"], dtype=np.float32),
        summary=meta["summary"],
        link=meta["link"],
    )
