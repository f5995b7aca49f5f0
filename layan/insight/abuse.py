"""Find abusive language with the team's lexicon (`data/abuse.tsv`).

No permissively licensed labelled abuse corpus exists for Indonesian, so this is a lexicon
matcher rather than a trained model. Each written word is tried as written, with stretched
letters shortened, with digits and symbols read as letters ("b4ngs4t", "a$$hole") and with
masks filled in ("anj*ng", "f**k": each `*` stands for one letter). Phrases ("otak udang")
match on the normalised tokens. Mild terms count more when the message is aimed at someone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from layan.insight import lexicon
from layan.insight.normalize import WORDS_CACHED, NormalizedText

ABUSIVE, NOT_ABUSIVE = "abusive", "not_abusive"
THRESHOLD = 0.5
# A mild term aimed at someone ("dasar bodoh", "kamu gila") is meant as an insult.
TARGET_BONUS = 0.2
TARGET_WORDS = frozenset(
    {"kamu", "kalian", "anda", "kau", "engkau", "dasar", "you", "your", "ur", "lu", "lo", "elo"}
)

_RAW_WORD = re.compile(r"[\w*@$]+(?:[-'][\w*@$]+)*")
_LEET = str.maketrans(
    {"4": "a", "@": "a", "1": "i", "3": "e", "0": "o", "5": "s", "$": "s", "7": "t"}
)
_REPEAT = re.compile(r"(.)\1{2,}")
_REPEAT_TWO = re.compile(r"(.)\1+")


@dataclass(frozen=True, slots=True)
class AbuseResult:
    """Whether a message is abusive, how strongly, and which lexicon terms matched."""

    label: str
    score: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class _Lexicon:
    words: dict[str, float]
    phrases: dict[str, float]
    by_length: dict[int, tuple[str, ...]]
    literal: frozenset[str]


@functools.cache
def _lexicon() -> _Lexicon:
    weights = lexicon.read_weights(lexicon.DATA_DIR / "abuse.tsv")
    words = {term: weight for term, weight in weights.items() if " " not in term}
    phrases = {term: weight for term, weight in weights.items() if " " in term}
    by_length: dict[int, list[str]] = {}
    # File order decides which spelling a masked word reports, so list the common one first.
    for word in words:
        by_length.setdefault(len(word), []).append(word)
    return _Lexicon(
        words,
        phrases,
        {size: tuple(terms) for size, terms in by_length.items()},
        lexicon.read_words(lexicon.DATA_DIR / "abuse_literal.txt"),
    )


def detect_abuse(raw: str, text: NormalizedText) -> AbuseResult:
    """Score the abuse in `raw`, whose normalised form is `text`."""
    found = {term for term in _terms(raw, text.tokens) if not _literal(term, text.tokens)}
    if not found:
        return AbuseResult(NOT_ABUSIVE, 0.0, ())
    table = _lexicon()
    aimed = any(token in TARGET_WORDS for token in text.tokens)
    clean = 1.0
    for term in found:
        weight = table.words.get(term, table.phrases.get(term, 0.0))
        if aimed:
            weight = min(1.0, weight + TARGET_BONUS)
        clean *= 1.0 - weight
    score = round(1.0 - clean, 4)
    return AbuseResult(ABUSIVE if score >= THRESHOLD else NOT_ABUSIVE, score, tuple(sorted(found)))


def _terms(raw: str, tokens: Sequence[str]) -> set[str]:
    table = _lexicon()
    found: set[str] = set()
    for word in _RAW_WORD.findall(raw.lower()):
        found.update(_match_raw(word))
    if table.phrases:
        joined = f" {' '.join(tokens)} "
        found.update(phrase for phrase in table.phrases if f" {phrase} " in joined)
    return found


@functools.lru_cache(maxsize=WORDS_CACHED)
def _match_raw(word: str) -> tuple[str, ...]:
    """Return the lexicon terms a raw written word (maybe hyphenated) stands for."""
    parts = {word, *word.split("-")} if "-" in word else {word}
    terms = {_match_word(part.strip("*_'")) for part in parts}
    return tuple(sorted(term for term in terms if term))


def _literal(term: str, tokens: Sequence[str]) -> bool:
    """Tell whether every occurrence of an ambiguous `term` sits next to a literal-use word."""
    table = _lexicon()
    if table.words.get(term, 1.0) >= 1.0:
        return False
    places = [i for i, token in enumerate(tokens) if _match_word(token) == term]
    return bool(places) and all(
        (i > 0 and tokens[i - 1] in table.literal)
        or (i + 1 < len(tokens) and tokens[i + 1] in table.literal)
        for i in places
    )


@functools.lru_cache(maxsize=WORDS_CACHED)
def _match_word(word: str) -> str | None:
    if len(word) < 2:
        return None
    words = _lexicon().words
    if word.endswith("2") and word[:-1].isalpha():
        word = word[:-1]
    readable = word.translate(_LEET)
    for candidate in (
        word,
        readable,
        _REPEAT.sub(r"\1", readable),
        _REPEAT_TWO.sub(r"\1", readable),
    ):
        if candidate in words:
            return candidate
    if "*" in readable:
        return _unmask(readable)
    return None


def _unmask(word: str) -> str | None:
    visible = sum(char.isalpha() for char in word)
    if visible < 2 or visible * 2 < len(word):
        return None
    pattern = re.compile("".join("[a-z]" if char == "*" else re.escape(char) for char in word))
    for term in _lexicon().by_length.get(len(word), ()):
        if pattern.fullmatch(term):
            return term
    return None
