"""Score how urgent a message is from the team's cue list (`data/urgency.tsv`).

Cues are phrases on the normalised tokens with a weight. Positive weights combine as
1 - (1 - w1)(1 - w2)...; repeated "!" and shouting add a small cue each. Negative cues
("tidak mendesak", "no rush") multiply the result by (1 + weight) and hide the positive cues
they contain. A score of `THRESHOLD` or more is urgent.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from layan.insight import lexicon
from layan.insight.normalize import NormalizedText

URGENT, NORMAL = "urgent", "normal"
THRESHOLD = 0.5
EXCLAIM_WEIGHT = 0.15
SHOUT_WEIGHT = 0.15


@dataclass(frozen=True, slots=True)
class UrgencyResult:
    """Whether a message is urgent, how strongly, and the cues found."""

    label: str
    score: float
    cues: tuple[str, ...]


@functools.cache
def _cues() -> dict[str, list[tuple[tuple[str, ...], float]]]:
    """Return first word -> [(phrase, weight)], so a scan only tries phrases that can match."""
    weights = lexicon.read_weights(lexicon.DATA_DIR / "urgency.tsv")
    by_first: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for phrase, weight in weights.items():
        words = tuple(phrase.split())
        by_first.setdefault(words[0], []).append((words, weight))
    return by_first


def detect_urgency(text: NormalizedText) -> UrgencyResult:
    """Score the urgency of a normalised message."""
    cues = _cues()
    tokens = text.tokens
    matches: list[tuple[int, int, tuple[str, ...], float]] = []
    for start, token in enumerate(tokens):
        for phrase, weight in cues.get(token, ()):
            end = start + len(phrase)
            if tokens[start:end] == phrase:
                matches.append((start, end, phrase, weight))
    calming = [(start, end) for start, end, _, weight in matches if weight < 0]
    found: list[str] = []
    urgent_part = 1.0
    calm_factor = 1.0
    for start, end, phrase, weight in matches:
        if weight < 0:
            calm_factor *= 1.0 + weight
        elif any(c_start <= start and end <= c_end for c_start, c_end in calming):
            continue
        else:
            urgent_part *= 1.0 - weight
        found.append(" ".join(phrase))
    if text.exclamations >= 2:
        urgent_part *= 1.0 - EXCLAIM_WEIGHT
        found.append("!!")
    if text.caps_words >= 2 and text.caps_words * 2 >= text.words:
        urgent_part *= 1.0 - SHOUT_WEIGHT
        found.append("CAPS")
    score = round((1.0 - urgent_part) * calm_factor, 4)
    return UrgencyResult(
        URGENT if score >= THRESHOLD else NORMAL, score, tuple(dict.fromkeys(found))
    )
