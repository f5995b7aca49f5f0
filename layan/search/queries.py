"""Keyword search of tickets through the full-text index (see `schema.py`)."""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from layan.search.terms import fts5_query, search_terms, tsquery_text
from layan.tickets.models import Ticket

_POSTGRES_MATCH = (
    "SELECT ticket_id FROM search_ticket"
    " WHERE document @@ (to_tsquery('indonesian', %s) || to_tsquery('english', %s))"
)
_SQLITE_MATCH = "SELECT rowid FROM search_ticket WHERE search_ticket MATCH %s"

# A match up to this size is read first and handed to the ticket query as a list of ids; a
# longer one stays a subquery that the ticket query walks its own order against. Neither
# planner can tell how many documents a word matches, and each picks one plan for every word:
#
# - PostgreSQL guesses a word absent from the column's statistics at about 0.3 % of the rows
#   (3,000 at a million tickets), so for a rare word it walked the inbox order and tested
#   every ticket against the match (1.3 s at a million tickets, for 85 matches).
# - SQLite fetched every matching ticket by key and sorted them all: for a word in 48,000 of
#   100,000 tickets, 48,000 tickets and their joined rows read to show 50 (65 ms). Walking
#   the inbox order and testing each ticket against the match, read once into a temporary
#   index, finds the first 50 after about a hundred (8 ms); for a rare word that walk would
#   read the whole index, so the short list keeps the fetch by key.
#
# A known short list gives both the right plan for rare words: fetch those tickets by key and
# sort them. A longer match is the case where walking the order until a page is full is
# right; on SQLite the unary `+` keeps the planner from fetching by key instead.
SHORT_MATCH = 1000


def ticket_match(text: str) -> Q:
    """Return a filter of the tickets whose conversation holds every word of `text`.

    The ticket's reference is part of its document, so `#1042` finds ticket 1042 (and any
    conversation that mentions 1042). Text without a single word matches nothing. It reads
    the index once here (see `SHORT_MATCH`).
    """
    terms = search_terms(text)
    if not terms:
        return Q(pk__in=[])
    # The SQL is constant; the words travel as bound parameters.
    if connection.vendor == "postgresql":
        query = tsquery_text(terms)
        sql, params, walked = _POSTGRES_MATCH, [query, query], "{} IN ({})"
    else:
        sql, params, walked = _SQLITE_MATCH, [fts5_query(terms)], "+{} IN ({})"
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", [*params, SHORT_MATCH + 1])
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) <= SHORT_MATCH:
        return Q(pk__in=ids)
    column = f'"{Ticket._meta.db_table}"."id"'
    return Q(RawSQL(walked.format(column, sql), params, output_field=BooleanField()))  # noqa: S611
