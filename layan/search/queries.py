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


def ticket_match(text: str) -> Q:
    """Return a filter of the tickets whose conversation holds every word of `text`.

    The ticket's reference is part of its document, so `#1042` finds ticket 1042 (and any
    conversation that mentions 1042). Text without a single word matches nothing.
    """
    terms = search_terms(text)
    if not terms:
        return Q(pk__in=[])
    # The SQL is constant; the words travel as bound parameters.
    if connection.vendor == "postgresql":
        query = tsquery_text(terms)
        return Q(pk__in=RawSQL(_POSTGRES_MATCH, [query, query]))  # noqa: S611
    return Q(pk__in=RawSQL(_SQLITE_MATCH, [fts5_query(terms)]))  # noqa: S611
