"""Turn a raw chat or e-mail message into the tokens every model reads.

The output looks like the IndoNLU SmSA corpus the sentiment model learns from: lower case,
punctuation as separate tokens, "-nya" split off, slang spelled out ("gk" -> "tidak"),
stretched letters shortened ("kecewaaa" -> "kecewa"), emoji replaced by words ("😡" ->
"marah sekali"), and URLs, e-mail addresses, mentions and numbers replaced by placeholders.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from layan.insight import lexicon

# How many distinct words each per-word cache of the analysis keeps (normalisation, the abuse
# lexicon's matches, each model's character n-gram rows). A web worker lives for weeks and meets
# every name, code and typo its customers write, so the caches fill up: at 65,536 words each
# they grew a process by about 80 MB (made-up words, measured; bench/README.md, sixteenth
# round). At 8,192 they stay under about 12 MB, and texts it has not seen are analysed as fast.
WORDS_CACHED = 8192

URL = "_url_"
EMAIL = "_email_"
MENTION = "_user_"
NUMBER = "_num_"

_INVISIBLE = re.compile("[\ufe0e\ufe0f\u200d\u200b\U0001f3fb-\U0001f3ff]")
_LINK = re.compile(
    r"(?P<url>(?:https?://|www\.)\S+)"
    r"|(?P<email>[\w.+-]+@[\w-]+\.[\w.-]+)"
    r"|(?P<mention>@\w+)"
)
_LINK_TOKENS = {"url": URL, "email": EMAIL, "mention": MENTION}
_TOKEN = re.compile(
    r"(?P<placeholder>_(?:url|email|user)_)"
    r"|(?P<number>\d+(?:[.,:/]\d+)*(?![^\W\d_]))"
    r"|(?P<word>[^\W_]+(?:['-][^\W_]+)*)"
    r"|(?P<punct>[!?]+|[.,;:]+)"
)
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_WORD = re.compile(r"\b[^\W\d_]{2,}\b")
_REPEAT = re.compile(r"([^\W\d_])\1{2,}")
_LAUGH = re.compile(r"(?:wk|kw|ha|he|hi|ah|eh)+[hk]?")
_REDUPLICATED = re.compile(r"([^\W\d_]{2,})2")


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Tokens of a message plus the typographic signals lower-casing throws away."""

    tokens: tuple[str, ...]
    caps_words: int
    exclamations: int
    words: int


def normalize(text: str) -> NormalizedText:
    """Normalise `text` into model tokens."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    caps = len(_CAPS_WORD.findall(text))
    words = len(_WORD.findall(text))
    exclamations = text.count("!")
    if "@" in text or "http" in text or "www." in text:
        text = _LINK.sub(_link_token, text)
    if not text.isascii():
        text = _emoji_pattern().sub(_emoji_words, text)
    text = _emoticon_pattern().sub(_emoji_words, text).lower()
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind == "word":
            tokens.extend(normalize_word(value))
        elif kind == "punct":
            tokens.extend(_punctuation(value))
        elif kind == "number":
            tokens.append(NUMBER)
        else:
            tokens.append(value)
    return NormalizedText(tuple(tokens), caps, exclamations, words)


@functools.lru_cache(maxsize=WORDS_CACHED)
def normalize_word(word: str) -> tuple[str, ...]:
    """Return the normal form of one lower-case word as one or more tokens."""
    slang = lexicon.slang()
    if word in slang:
        return slang[word]
    reduplicated = _REDUPLICATED.fullmatch(word)
    if reduplicated:
        base = normalize_word(reduplicated.group(1))
        return (f"{base[0]}-{base[0]}",) if len(base) == 1 else base
    word = _shorten_repeats(word)
    if len(word) >= 4 and _LAUGH.fullmatch(word):
        return ("haha",)
    if word in slang:
        return slang[word]
    if len(word) >= 6 and word.endswith("nya") and word not in lexicon.nya_words():
        stem = normalize_word(word[:-3])
        return (*stem, "nya")
    return (word,)


def _shorten_repeats(word: str) -> str:
    if not _REPEAT.search(word):
        return word
    doubled = _REPEAT.sub(r"\1\1", word)
    if doubled in lexicon.double_letter_words() or doubled in lexicon.slang():
        return doubled
    return _REPEAT.sub(r"\1", word)


def _punctuation(run: str) -> list[str]:
    if run[0] in "!?":
        return [mark for mark in "?!" if mark in run]
    return [run[0]]


@functools.cache
def _emoji_pattern() -> re.Pattern[str]:
    symbols = sorted((s for s in lexicon.emoji() if not s.isascii()), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, symbols)) or "(?!)")


@functools.cache
def _emoticon_pattern() -> re.Pattern[str]:
    symbols = sorted((s for s in lexicon.emoji() if s.isascii()), key=len, reverse=True)
    parts = []
    for symbol in symbols:
        # An emoticon glued to a word ("enak:)") counts, one inside a word ("maxD") does not.
        before = r"(?<![:;=<>])" if not symbol[0].isalnum() else r"(?<!\w)"
        parts.append(before + re.escape(symbol) + r"(?!\w)")
    if not parts:
        return re.compile("(?!)")
    # Checking the first character up front keeps the scan fast on ordinary text.
    starts = "".join(sorted({re.escape(symbol[0]) for symbol in symbols}))
    return re.compile(f"(?=[{starts}])(?:{'|'.join(parts)})")


def _link_token(match: re.Match[str]) -> str:
    return f" {_LINK_TOKENS[match.lastgroup or 'url']} "


def _emoji_words(match: re.Match[str]) -> str:
    return f" {lexicon.emoji()[match.group()]} "
