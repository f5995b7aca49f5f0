"""Rebuild the ticket search index from the tickets and their logbook entries."""

from __future__ import annotations

import logging

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from layan.search.schema import statements

logger = logging.getLogger(__name__)


def search_rebuild(*, connection: BaseDatabaseWrapper | None = None) -> int:
    """Recompute every ticket's document in one transaction and return how many there are.

    The triggers keep the index current; a rebuild is for an index restored from elsewhere,
    a database copied without it, or a change of how documents are built.
    """
    connection = connection or default_connection
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in statements(connection, action="rebuild"):
            cursor.execute(statement)
        cursor.execute("SELECT count(*) FROM search_ticket")
        (count,) = cursor.fetchone()
    logger.info("search_rebuilt", extra={"tickets": count, "vendor": connection.vendor})
    return int(count)
