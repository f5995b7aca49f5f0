"""Gap-free counters for human references (ticket #1042)."""

from __future__ import annotations

from django.db import connection, transaction

from layan.core.models import Counter

# The table name comes from the model, never from input.
_TAKE = f"UPDATE {Counter._meta.db_table} SET value = value + %s WHERE name = %s RETURNING value"  # noqa: S608


def counter_next(name: str, *, start: int = 1) -> int:
    """Return the next value of counter `name`; call inside the transaction that uses it.

    The row lock the increment takes serialises concurrent callers until they commit, and a
    rolled-back transaction gives its number back, so references have no gaps.
    """
    return counter_take(name, 1, start=start)


def counter_take(name: str, count: int, *, start: int = 1) -> int:
    """Take the next `count` values of counter `name` at once; return the first of them.

    The same rules as `counter_next`: inside the transaction that uses them, no gaps.
    """
    if count < 1:
        raise ValueError("take at least one value")
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [count, name])
        row = cursor.fetchone()
        if row is None:
            with transaction.atomic():
                Counter.objects.get_or_create(name=name, defaults={"value": start - 1})
            cursor.execute(_TAKE, [count, name])
            row = cursor.fetchone()
    return int(row[0]) - count + 1
