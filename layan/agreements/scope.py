"""Read a customer's words for the signs of a revision, an out-of-scope request, or a price
comparison with a competitor.

Pure phrase matching on normalised text (lower case, NFKC, punctuation as spaces), in Indonesian
and English. The answers are suggestions for a person to confirm, so the lists favour phrases
that rarely mean anything else and the few common false friends are excluded explicitly
("tambah parah" is a complaint getting worse, not extra work; "di luar kota" is a place).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

REVISION = "revision"
OUT_OF_SCOPE = "out_of_scope"

_ORDINALS = r"(?:\d+|kedua|ketiga|keempat|kelima|keenam|ketujuh|kedelapan|kesembilan|kesepuluh)"

# (pattern, kind, label): the label is what the suggestion shows as the reason.
_SCOPE_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), kind, label)
    for pattern, kind, label in (
        (rf"\brevisi (?:yang )?(?:ke ?{_ORDINALS}|{_ORDINALS})\b", REVISION, "revisi ke-"),
        (r"\b(?:minta|mohon|tolong|ada) revisi\b", REVISION, "revisi"),
        (r"\brevisi (?:lagi|sekali lagi|tambahan)\b", REVISION, "revisi lagi"),
        (r"\bdi ?revisi\b", REVISION, "direvisi"),
        (r"\b(?:ubah|diubah|rubah|dirubah) lagi\b", REVISION, "ubah lagi"),
        (r"\b(?:ganti|diganti) lagi\b", REVISION, "ganti lagi"),
        (r"\b(?:perbaiki|diperbaiki|koreksi|edit) lagi\b", REVISION, "perbaiki lagi"),
        (r"\bone more (?:change|revision|round|tweak)\b", REVISION, "one more change"),
        (r"\banother (?:revision|round of changes|change)\b", REVISION, "another revision"),
        (r"\b(?:change|revise|edit) (?:it |this |that )?again\b", REVISION, "change again"),
        (r"\b\d+(?:st|nd|rd|th) revision\b", REVISION, "nth revision"),
        (
            r"\b(?:di|ke)?tambah(?:kan|in)?\b(?! (?:parah|lama|buruk|kecewa|mahal|lambat|rusak)\b)",
            OUT_OF_SCOPE,
            "tambah",
        ),
        (r"\btambahan\b", OUT_OF_SCOPE, "tambahan"),
        (
            r"\bdi ?luar\b(?! (?:kota|negeri|negri|kantor|rumah|jam|pulau|jawa|daerah|ruangan|"
            r"gedung|sana|sini|hujan|dugaan)\b)",
            OUT_OF_SCOPE,
            "di luar",
        ),
        (r"\bbisa sekalian\b", OUT_OF_SCOPE, "bisa sekalian"),
        (r"(?<!bisa )\bsekalian\b", OUT_OF_SCOPE, "sekalian"),
        (r"\balso add\b", OUT_OF_SCOPE, "also add"),
        (r"\bcan you also\b", OUT_OF_SCOPE, "can you also"),
        (r"\bout of scope\b", OUT_OF_SCOPE, "out of scope"),
        (r"\bnot in the (?:brief|quote|contract|agreement)\b", OUT_OF_SCOPE, "not in the brief"),
        (r"\b(?:an )?extra (?:page|item|design|version|feature|size)s?\b", OUT_OF_SCOPE, "extra"),
        (r"\bin addition\b", OUT_OF_SCOPE, "in addition"),
    )
)

_PRICE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), label)
    for pattern, label in (
        (r"\b(?:di|ke) ?tempat lain\b.{0,40}\b(?:lebih )?(?:murah|miring|hemat)", "di tempat lain"),
        (r"\bharga (?:di )?sebelah\b", "harga di sebelah"),
        (r"\b(?:toko|vendor|percetakan|penjual) (?:sebelah|lain)\b", "vendor lain"),
        (r"\bkompetitor\b", "kompetitor"),
        (r"\bpesaing\b", "pesaing"),
        (r"\bkok lebih mahal\b", "kok lebih mahal"),
        (r"\blebih murah (?:di|dari) (?!kami\b)\w+", "lebih murah di"),
        (r"\bcheaper (?:elsewhere|at|from|with)\b", "cheaper elsewhere"),
        (r"\bcompetitors?\b", "competitor"),
        (r"\bbetter (?:price|deal|offer) (?:from|at|elsewhere)\b", "better price from"),
        (r"\b(?:other|another) (?:vendor|supplier|printer|agency)\b", "another vendor"),
        (r"\bprice ?match\b", "price match"),
    )
)

# Any of them: most messages compare no price, and one search then answers for all twelve.
_PRICE_ANY = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _label in _PRICE_PATTERNS))
# Every phrase above holds one of these words: a message with none of them (most do not) needs
# neither normalising nor the search. Word characters pass `normalise` unchanged, so finding
# none in the folded text means none in the normalised one. (test_scope holds the list to the
# phrases.)
_PRICE_WORDS = (
    "lain",  # di tempat lain, vendor lain
    "sebelah",  # harga sebelah, toko sebelah
    "kompetitor",
    "pesaing",
    "mahal",
    "murah",
    "cheaper",
    "competitor",
    "better",
    "vendor",
    "supplier",
    "printer",
    "agency",
    "price",
)

_NOT_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class ScopeHint:
    """What a message seems to ask for, and the phrases that say so."""

    kind: str  # REVISION or OUT_OF_SCOPE
    phrases: tuple[str, ...]


def normalise(text: str) -> str:
    """Return `text` lower-cased, NFKC-folded, with every run of non-word characters as a space.

    Hyphens go too, so "revisi ke-3" and "revisi ke 3" read the same.
    """
    return _spaced(_folded(text))


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _spaced(folded: str) -> str:
    return " " + _NOT_WORD.sub(" ", folded).strip() + " "


def scope_hint(text: str) -> ScopeHint | None:
    """Return the kind of request `text` reads as, or None when it reads as neither.

    When both kinds are present the one with more matching phrases wins; a tie is a revision,
    the milder reading.
    """
    clean = normalise(text)
    found: dict[str, list[str]] = {REVISION: [], OUT_OF_SCOPE: []}
    for pattern, kind, label in _SCOPE_PATTERNS:
        if pattern.search(clean) and label not in found[kind]:
            found[kind].append(label)
    revisions, extras = found[REVISION], found[OUT_OF_SCOPE]
    if not revisions and not extras:
        return None
    if len(extras) > len(revisions):
        return ScopeHint(OUT_OF_SCOPE, tuple(extras))
    return ScopeHint(REVISION, tuple(revisions))


def price_comparisons(text: str) -> tuple[str, ...]:
    """Return the phrases in `text` that compare our price with someone else's."""
    folded = _folded(text)
    if not any(word in folded for word in _PRICE_WORDS):
        return ()
    clean = _spaced(folded)
    if not _PRICE_ANY.search(clean):
        return ()
    return tuple(label for pattern, label in _PRICE_PATTERNS if pattern.search(clean))
