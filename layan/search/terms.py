"""Turn what someone typed into a search box into safe full-text queries (pure)."""

from __future__ import annotations

import re
import unicodedata

# Letters and digits only: every operator of either query language is dropped, so nothing a
# user types can change the shape of the query.
_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 8
MAX_TERM_LENGTH = 40
# Shorter words match exactly: a prefix of two or three letters matches half the vocabulary.
PREFIX_FROM = 4


def search_terms(text: str) -> list[str]:
    """Return the distinct lower-case words of `text`, in order, at most `MAX_TERMS`."""
    words: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        word = word[:MAX_TERM_LENGTH]
        if word not in words:
            words.append(word)
        if len(words) == MAX_TERMS:
            break
    return words


def fts5_query(terms: list[str]) -> str:
    """Return an SQLite FTS5 MATCH expression requiring every term (longer ones as prefixes)."""
    return " AND ".join(f'"{term}"' + ("*" if _prefix(term) else "") for term in terms)


def tsquery_text(terms: list[str]) -> str:
    """Return PostgreSQL `to_tsquery` input requiring every term (longer ones as prefixes)."""
    return " & ".join(term + (":*" if _prefix(term) else "") for term in terms)


def _prefix(term: str) -> bool:
    # A number is looked up whole: "104" must not find tickets 1040 to 1049.
    return len(term) >= PREFIX_FROM and not term.isdigit()


def reference_in(text: str) -> int | None:
    """Return the ticket reference `text` names (`#1042` or `1042`), or None."""
    candidate = text.strip().removeprefix("#")
    if candidate.isascii() and candidate.isdigit() and len(candidate) <= 18:
        return int(candidate)
    return None
