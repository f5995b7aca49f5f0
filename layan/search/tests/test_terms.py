from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.search.terms import (
    MAX_TERMS,
    fts5_query,
    reference_in,
    search_terms,
    tsquery_text,
)


@pytest.mark.parametrize(
    ("typed", "terms"),
    [
        ("Tagihan listrik", ["tagihan", "listrik"]),
        ('"pesanan" OR NOT (kirim*)', ["pesanan", "or", "not", "kirim"]),
        ("INV-2023/001", ["inv", "2023", "001"]),
        ("café ÉTÉ", ["café", "été"]),
        ("ﬁle", ["file"]),  # NFKC folds the ligature
        ("a a a b", ["a", "b"]),
        ("  \t ", []),
        ("!!! ??? ***", []),
        ("snake_case", ["snake", "case"]),
    ],
)
def test_search_terms_keep_words_only(typed: str, terms: list[str]) -> None:
    """Only letters and digits survive; operators and punctuation of any query language go."""
    assert search_terms(typed) == terms


def test_search_terms_are_bounded() -> None:
    """A pasted essay becomes at most MAX_TERMS words of bounded length."""
    terms = search_terms(" ".join(f"kata{n}" for n in range(100)) + " " + "x" * 500)
    assert len(terms) == MAX_TERMS
    assert all(len(term) <= 40 for term in search_terms("y" * 500))


@pytest.mark.parametrize(
    ("terms", "fts5", "tsquery"),
    [
        (["tagihan"], '"tagihan"*', "tagihan:*"),
        (["pak", "budi"], '"pak" AND "budi"*', "pak & budi:*"),
        (["1042"], '"1042"', "1042"),
        (["rp", "150000", "refund"], '"rp" AND "150000" AND "refund"*', "rp & 150000 & refund:*"),
    ],
)
def test_queries_require_every_term(terms: list[str], fts5: str, tsquery: str) -> None:
    """Every word must match; longer words match as prefixes, numbers only whole."""
    assert fts5_query(terms) == fts5
    assert tsquery_text(terms) == tsquery


@pytest.mark.parametrize(
    ("typed", "reference"),
    [("#1042", 1042), (" 1042 ", 1042), ("1042a", None), ("#", None), ("٣٤", None), ("", None)],
)
def test_reference_in(typed: str, reference: int | None) -> None:
    assert reference_in(typed) == reference


@given(st.text(max_size=300))
def test_any_text_gives_operator_free_queries(typed: str) -> None:
    """Whatever is typed, the query holds only words, quotes we add and our own operators."""
    for term in search_terms(typed):
        assert term and all(ch.isalnum() for ch in term)
    assert '""' not in fts5_query(search_terms(typed))
