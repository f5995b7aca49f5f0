"""Tell Indonesian, English and code-mixed messages apart with the team's word lists.

Only words on `data/language.tsv` count. A message is "mixed" when each language has at least
`MIXED_MIN_WORDS` listed words and neither has more than `DOMINANT_SHARE` of them; one stray
"please" or "thanks" in an Indonesian sentence does not make it mixed. With no listed word at all
the answer is Indonesian, Layan's first language, with even scores.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from layan.insight import lexicon

INDONESIAN, ENGLISH, MIXED = "id", "en", "mixed"
MIXED_MIN_WORDS = 2
DOMINANT_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class LanguageResult:
    """The language of a message and the share of its listed words in each language."""

    label: str
    scores: dict[str, float]


@functools.cache
def _words() -> dict[str, str]:
    rows = lexicon.read_rows(lexicon.DATA_DIR / "language.tsv", columns=2)
    table: dict[str, str] = {}
    for word, language in rows:
        if language not in {INDONESIAN, ENGLISH}:
            raise lexicon.LexiconError(f"language.tsv: {word!r} has unknown language {language!r}")
        table[word.lower()] = language
    return table


def detect_language(tokens: Sequence[str]) -> LanguageResult:
    """Return the language of normalised `tokens`."""
    words = _words()
    counts = {INDONESIAN: 0, ENGLISH: 0}
    for token in tokens:
        language = words.get(token)
        if language:
            counts[language] += 1
    total = counts[INDONESIAN] + counts[ENGLISH]
    if total == 0:
        return LanguageResult(INDONESIAN, {INDONESIAN: 0.5, ENGLISH: 0.5})
    shares = {language: round(count / total, 4) for language, count in counts.items()}
    if min(counts.values()) >= MIXED_MIN_WORDS and max(shares.values()) <= DOMINANT_SHARE:
        label = MIXED
    else:
        label = max(counts, key=lambda language: (counts[language], language == INDONESIAN))
    return LanguageResult(label, shares)
