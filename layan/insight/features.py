"""Extract the n-gram terms the linear models weigh.

Training (scikit-learn's TfidfVectorizer with these functions as analysers) and run time
(`model.LinearModel`) share this code, so both see exactly the same terms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from layan.insight.normalize import NormalizedText

SHOUT = "__shout__"
EXCLAIM = "__exclaim__"


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Which n-grams a model reads; stored inside each trained artefact."""

    word_max: int = 2
    char_min: int = 2
    char_max: int = 5
    signals: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the config as plain JSON values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        """Build a config from `to_dict()` output."""
        return cls(**data)


def word_terms(text: NormalizedText, config: FeatureConfig) -> list[str]:
    """Return word n-grams up to `config.word_max` plus typographic signal terms."""
    tokens = text.tokens
    terms = list(tokens)
    for size in range(2, config.word_max + 1):
        terms.extend(" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1))
    if config.signals:
        # Shouting and "!!!" carry anger that lower-casing and punctuation folding remove.
        if text.caps_words >= 2 and text.caps_words * 2 >= text.words:
            terms.append(SHOUT)
        if text.exclamations >= 3:
            terms.append(EXCLAIM)
    return terms


def char_terms(text: NormalizedText, config: FeatureConfig) -> list[str]:
    """Return character n-grams inside each token padded with one space on each side."""
    terms: list[str] = []
    for token in text.tokens:
        terms.extend(token_char_terms(token, config.char_min, config.char_max))
    return terms


def token_char_terms(token: str, low: int, high: int) -> list[str]:
    """Return the character n-grams of one token, sizes `low` to `high`."""
    padded = f" {token} "
    length = len(padded)
    terms: list[str] = []
    for size in range(low, min(high, length) + 1):
        terms.extend(padded[i : i + size] for i in range(length - size + 1))
    return terms
