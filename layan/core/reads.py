"""Reads built once: the busiest requests' lookups compiled to SQL once per connection, then
run with each request's values.

Building a query through the ORM (a queryset, its filters, `select_related`, the compiler)
costs more than the database's work for a lookup by key: the API's token and membership
reads took nearly a third of a ticket opening. A `PreparedRead` builds its queryset once
with stand-in values, finds where those values land among the statement's parameters, and
from then on runs the statement with the real values, turning rows into instances the way
the ORM does (the same columns, converters and `select_related` objects).

The queryset must take its values only as filter values: the build runs with the database
closed to it, so a build that reads anything (and would bake that into the statement) fails
at once rather than answering wrongly, and a value must land in the parameters as given (an
exact match on a key or text; a value the lookup changes, as `icontains` does, fails the
build). The structure of the query may depend on a few labelled cases (`variant`), built once
each; a case may leave a value out.

A value may also be a list of keys (kind `list`), for `pk__in` and the like: the statement
is built for a number of keys rounded up to a power of two (at least 8), and a shorter list
is padded with its own first key, which `IN` reads once. So a list of any length up to
`KEYS_MAX` takes one of a few statements, not one each. An empty list is refused: the ORM
answers no rows without asking the database, and so must the caller.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.transaction import TransactionManagementError

# Stand-ins no constant of a build equals: numbers near the top of a 32-bit column's range
# (beyond it, Django compiles an exact match on such a column to "no rows"), and text that a
# lookup would never be asked for.
_FIRST_NUMBER = 2_147_483_000
_KINDS = (int, str, list)
# A list's stand-ins count down from here, inside a 32-bit column's range too.
_FIRST_KEY = -2_000_000_000
KEYS_MAX = 4096  # the most keys a list value may hold
_KEYS_LEAST = 8  # the fewest a list's statement is built for
# Statements a read keeps per connection, the oldest dropped first: a read whose shape follows
# its callers' choices (the inbox's filters) must not grow without end in a long-lived worker.
STATEMENTS_KEPT = 64


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]  # the constants, with None where a value goes
    # (position in params, value's name, its index in a list value or None, the driver's
    # wrapper the ORM puts such a value in)
    slots: tuple[tuple[int, str, int | None, type | None], ...]
    model: type[Model] | None  # None for a `values_list`'s rows
    fields: tuple[str, ...]  # attnames of the model's columns, in the row's order
    start: int
    end: int
    populators: tuple[Any, ...]  # Django's RelatedPopulator per select_related object
    annotations: tuple[tuple[str, int], ...]  # (name, position in the row) of each annotation
    fetch_mode: Any
    locks: bool  # SELECT ... FOR UPDATE: only inside a transaction
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


class _Prepared[Q: QuerySet[Any, Any]]:
    """A query built by `build(*variant, **values)` once per connection, variant and limit."""

    _iterable: type = ModelIterable  # what the built queryset must yield

    def __init__(self, build: Callable[..., Q], **kinds: type) -> None:
        for name, kind in kinds.items():
            if kind not in _KINDS:
                raise ImproperlyConfigured(
                    f"Value {name!r} must be int, str or list, not {kind!r}."
                )
        self._build = build
        self._kinds = kinds
        # One connection per thread: each thread fills its own connection's entry.
        self._statements: weakref.WeakKeyDictionary[
            BaseDatabaseWrapper, dict[Hashable, _Statement]
        ] = weakref.WeakKeyDictionary()

    def _run(
        self,
        limit: int | None,
        variant: tuple[Hashable, ...],
        using: str,
        values: dict[str, Any],
    ) -> tuple[_Statement, list[Any], BaseDatabaseWrapper]:
        if values.keys() != self._kinds.keys():
            raise TypeError(f"Expected values {sorted(self._kinds)}, got {sorted(values)}.")
        sizes: list[tuple[str, int]] = []
        for name, kind in self._kinds.items():  # the ORM would convert; a statement does not
            if type(values[name]) is not kind:
                raise TypeError(f"{name} must be {kind.__name__}, not {values[name]!r}.")
            if kind is list:
                sizes.append((name, _keys_size(name, values[name])))
        connection = connections[using]
        built = self._statements.setdefault(connection, {})
        key = (limit, variant, tuple(sizes))
        statement = built.get(key)
        if statement is None:
            statement = self._compile(connection, limit, variant, dict(sizes))
            while len(built) >= STATEMENTS_KEPT:
                del built[next(iter(built))]
            built[key] = statement
        if statement.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(statement.params)
        for position, name, index, wrapper in statement.slots:
            value = values[name]
            if index is not None:  # a list's key, or its first key where the list is shorter
                value = value[index] if index < len(value) else value[0]
            params[position] = value if wrapper is None else wrapper(value)
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        return statement, rows, connection

    def _compile(
        self,
        connection: BaseDatabaseWrapper,
        limit: int | None,
        variant: tuple[Hashable, ...],
        sizes: dict[str, int],
    ) -> _Statement:
        stand_ins: dict[str, Any] = {}
        # Each key of each list value: (name, index) by its stand-in.
        keys: dict[int, tuple[str, int]] = {}
        for number, (name, kind) in enumerate(self._kinds.items()):
            if kind is list:
                start = _FIRST_KEY - len(keys)
                stand_ins[name] = [start - index for index in range(sizes[name])]
                keys.update({start - index: (name, index) for index in range(sizes[name])})
            elif kind is int:
                stand_ins[name] = _FIRST_NUMBER + number
            else:
                stand_ins[name] = f"\x00{name}:{number}\x00"

        def closed(*args: Any) -> Any:
            raise ImproperlyConfigured("A prepared read's build must not query the database.")

        with connection.execute_wrapper(closed):
            queryset = self._build(*variant, **stand_ins)
            if limit is not None:
                queryset = queryset[:limit]
            fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]
            compiler = queryset.query.get_compiler(connection=connection)
            # A read that locks is built inside its first caller's transaction; `_run` makes
            # every later call show the same, as the compiler does here.
            sql, raw_params = compiler.as_sql()
        params: list[Any] = []
        slots: list[tuple[int, str, int | None, type | None]] = []
        texts = [stand_in for stand_in in stand_ins.values() if isinstance(stand_in, str)]
        scalars = {n: s for n, s in stand_ins.items() if not isinstance(s, list)}
        for position, param in enumerate(raw_params):
            # PostgreSQL's driver gets integers in its sized types, subclasses of int.
            slot = next(
                (n for n, s in scalars.items() if isinstance(param, type(s)) and param == s),
                None,
            )
            listed = keys.get(param) if isinstance(param, int) else None
            if slot is not None or listed is not None:
                params.append(None)
                kind = type(param)
                wrapper = None if kind in _KINDS else kind
                if listed is not None:
                    slots.append((position, listed[0], listed[1], wrapper))
                else:
                    assert slot is not None
                    slots.append((position, slot, None, wrapper))
            elif isinstance(param, str) and any(text in param for text in texts):
                raise ImproperlyConfigured(f"A lookup changes a value on its way: {sql}")
            else:
                params.append(param)
        # A list lands whole, each key once, or (left out by a case) not at all.
        landed = [(name, index) for _position, name, index, _wrapper in slots if index is not None]
        for name, size in sizes.items():
            indexes = sorted(index for named, index in landed if named == name)
            if indexes and indexes != list(range(size)):
                raise ImproperlyConfigured(f"A list's keys must land whole, as given: {sql}")
        select = compiler.select
        klass_info = compiler.klass_info
        if queryset._iterable_class is not self._iterable:
            raise ImproperlyConfigured(
                f"{type(self).__name__} reads {self._iterable.__name__}'s rows, not "
                f"{queryset._iterable_class.__name__}'s."
            )
        if self._iterable is not ModelIterable:
            klass_info = None  # the row is the answer: no instance is made
        chosen = klass_info["select_fields"] if klass_info else [0, -1]  # no model: no slice
        start, end = chosen[0], chosen[-1] + 1
        converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
        return _Statement(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            model=klass_info["model"] if klass_info else None,
            fields=tuple(column[0].target.attname for column in select[start:end])
            if klass_info
            else (),
            start=start,
            end=end,
            populators=tuple(
                get_related_populators(klass_info, select, connection.alias, fetch_mode)
                if klass_info
                else ()
            ),
            annotations=tuple(compiler.annotation_col_map.items()) if klass_info else (),
            fetch_mode=fetch_mode,
            locks=bool(queryset.query.select_for_update)
            and connection.features.has_select_for_update,
            converters=tuple(
                (position, tuple(functions), expression)
                for position, (functions, expression) in converters.items()
            ),
        )

    @staticmethod
    def _converted(
        statement: _Statement, row: Sequence[Any], connection: BaseDatabaseWrapper
    ) -> list[Any]:
        values = list(row)
        for position, functions, expression in statement.converters:
            value = values[position]
            for convert in functions:
                value = convert(value, expression, connection)
            values[position] = value
        return values


def _keys_size(name: str, keys: list[Any]) -> int:
    """The number of keys `keys`' statement is built for: a power of two, at least
    `_KEYS_LEAST`; the list must hold 1 to `KEYS_MAX` integers."""
    if not keys or len(keys) > KEYS_MAX:
        raise ValueError(f"{name} must hold 1 to {KEYS_MAX} keys, not {len(keys)}.")
    if any(type(key) is not int for key in keys):
        raise TypeError(f"{name} must hold integers.")
    return max(_KEYS_LEAST, 1 << (len(keys) - 1).bit_length())


class PreparedRead[M: Model](_Prepared[QuerySet[M]]):
    """A lookup of model rows, run with new values by `one` (a unique row), `first` or `all`."""

    def one(self, *variant: Hashable, using: str = DEFAULT_DB_ALIAS, **values: Any) -> M | None:
        """Return the one row the query finds for `values`, or None; more than one is an error,
        as `QuerySet.get` says it."""
        statement, rows, connection = self._run(2, variant, using, values)
        if not rows:
            return None
        if len(rows) > 1:
            model: Any = statement.model
            raise model.MultipleObjectsReturned(
                f"More than one {model._meta.object_name} for {values}."
            )
        return self._instance(statement, rows[0], connection)

    def first(self, *variant: Hashable, using: str = DEFAULT_DB_ALIAS, **values: Any) -> M | None:
        """Return the first row of the query's order for `values`, or None."""
        statement, rows, connection = self._run(1, variant, using, values)
        return self._instance(statement, rows[0], connection) if rows else None

    def all(self, *variant: Hashable, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[M]:
        """Return every row the query finds for `values`, in its order, as instances."""
        statement, rows, connection = self._run(None, variant, using, values)
        return [self._instance(statement, row, connection) for row in rows]

    def _instance(
        self, statement: _Statement, row: Sequence[Any], connection: BaseDatabaseWrapper
    ) -> M:
        values = self._converted(statement, row, connection)
        assert statement.model is not None
        instance = statement.model.from_db(
            connection.alias,
            statement.fields,
            values[statement.start : statement.end],
            fetch_mode=statement.fetch_mode,
        )
        for populator in statement.populators:
            populator.populate(values, instance)
        for name, position in statement.annotations:  # as the ORM sets them
            setattr(instance, name, values[position])
        return cast(M, instance)


class PreparedValues(_Prepared[QuerySet[Any, tuple[Any, ...]]]):
    """A `values_list` query's rows (not `flat`), run with new values by `rows`."""

    _iterable = ValuesListIterable

    def rows(
        self, *variant: Hashable, using: str = DEFAULT_DB_ALIAS, **values: Any
    ) -> list[tuple[Any, ...]]:
        """Return every row the query finds for `values`, as tuples in the query's order."""
        statement, rows, connection = self._run(None, variant, using, values)
        if not statement.converters:
            return [tuple(row) for row in rows]
        return [tuple(self._converted(statement, row, connection)) for row in rows]
