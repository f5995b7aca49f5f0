"""Keyword search of tickets through the full-text index (see `schema.py`)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from layan.search.terms import fts5_query, search_terms, tsquery_text

_POSTGRES_MATCH = (
    "SELECT ticket_id FROM search_ticket"
    " WHERE document @@ (to_tsquery('indonesian', %s) || to_tsquery('english', %s))"
)
_SQLITE_MATCH = "SELECT rowid FROM search_ticket WHERE search_ticket MATCH %s"

# On PostgreSQL, a match set up to this size is read first and handed to the ticket query as
# a list of ids. The planner cannot estimate how many documents a word matches (a word absent
# from the column's statistics is guessed at about 0.3 % of the rows: 3,000 at a million
# tickets), so for a rare word it walked the inbox order and tested every ticket against the
# match (1.3 s at a million tickets, for 85 matches). A known short list gives it the right
# plan: fetch those tickets by key and sort them. A longer match keeps the subquery, where
# walking the inbox order until a page is full is the right plan.
SHORT_MATCH = 1000


def ticket_match(text: str) -> Q:
    """Return a filter of the tickets whose conversation holds every word of `text`.

    The ticket's reference is part of its document, so `#1042` finds ticket 1042 (and any
    conversation that mentions 1042). Text without a single word matches nothing. On
    PostgreSQL it reads the index once here (see `SHORT_MATCH`).
    """
    terms = search_terms(text)
    if not terms:
        return Q(pk__in=[])
    # The SQL is constant; the words travel as bound parameters.
    if connection.vendor == "postgresql":
        query = tsquery_text(terms)
        with connection.cursor() as cursor:
            cursor.execute(f"{_POSTGRES_MATCH} LIMIT %s", [query, query, SHORT_MATCH + 1])
            ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= SHORT_MATCH:
            return Q(pk__in=ids)
        return Q(pk__in=RawSQL(_POSTGRES_MATCH, [query, query]))  # noqa: S611
    return Q(pk__in=RawSQL(_SQLITE_MATCH, [fts5_query(terms)]))  # noqa: S611
