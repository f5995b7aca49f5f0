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
import json
import math
from collections.abc import Callable, Mapping
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
        index = self.index
        word = [
            row
            for row in map(index.get, map(WORD.__add__, word_terms(text, self.config)))
            if row is not None
        ]
        found = np.concatenate([np.array(word, dtype=np.intp), *map(self._char_rows, text.tokens)])
        logits = self.intercept.astype(np.float64)
        if found.size:
            logits = logits + self._logits(found)
        if self.link == "ovr":
            shares = 1.0 / (1.0 + np.exp(-logits))
            shares = shares / shares.sum()
        elif logits.size == 1:
            positive = 1.0 / (1.0 + math.exp(-float(logits[0])))
            return {self.classes[0]: 1.0 - positive, self.classes[1]: positive}
        else:
            shifted = np.exp(logits - logits.max())
            shares = shifted / shifted.sum()
        return {label: float(share) for label, share in zip(self.classes, shares, strict=True)}

    def _token_rows(self, token: str) -> Rows:
        index = self.index
        terms = token_char_terms(token, self.config.char_min, self.config.char_max)
        found = np.array(
            [row for row in map(index.get, map(CHAR.__add__, terms)) if row is not None],
            dtype=np.intp,
        )
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
