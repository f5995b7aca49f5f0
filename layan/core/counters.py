"""Gap-free counters for human references (ticket #1042)."""

from __future__ import annotations

from django.db import connection, transaction

from layan.core.models import Counter

# The table name comes from the model, never from input.
_NEXT = f"UPDATE {Counter._meta.db_table} SET value = value + 1 WHERE name = %s RETURNING value"  # noqa: S608


def counter_next(name: str, *, start: int = 1) -> int:
    """Return the next value of counter `name`; call inside the transaction that uses it.

    The row lock the increment takes serialises concurrent callers until they commit, and a
    rolled-back transaction gives its number back, so references have no gaps.
    """
    with connection.cursor() as cursor:
        cursor.execute(_NEXT, [name])
        row = cursor.fetchone()
        if row is None:
            with transaction.atomic():
                Counter.objects.get_or_create(name=name, defaults={"value": start - 1})
            cursor.execute(_NEXT, [name])
            row = cursor.fetchone()
    return int(row[0])
