"""Rows written in as few statements as the database allows, with the values the ORM would
write: the import's batches, and the single rows of the busiest services.

`Model.save()` and `bulk_create` build every statement through the query compiler and prepare
every value through several layers of the field. For a row of twenty columns that is a few
hundred microseconds, more than the database's own work. Here the statement is built once per
model and the values go through the last step only (`row_preparer`); a test holds both equal
for every field of the models written here.

These writers send no signals (Layan connects none to its own models) and are for models whose
rows need nothing `save()` adds beyond stamping `auto_now` times, which they do too.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

_Preparer = Callable[[Model], Any]


def rows_create(
    model: type[Model], rows: Sequence[Model], *, ahead: RowsAhead | None = None
) -> None:
    """Insert rows and give each its key, as `bulk_create` and `save` do, with the statement
    built once per chunk instead of through the query compiler for every value. For models
    whose key the database assigns.

    With `ahead` (`RowsAhead` of these same rows), the values prepared then are written, but
    for columns whose attribute changed since."""
    if not rows:
        return
    key = model._meta.pk
    assert key is not None and key.db_returning, f"{model._meta.label} does not number its rows"
    db = connections[DEFAULT_DB_ALIAS]
    fields, head, one = _insert_parts(model, rows, db)
    size = 1
    if len(rows) > 1:  # PostgreSQL takes at most 65,535 parameters; SQLite says its own limit
        size = max(1, min(db.ops.bulk_batch_size(fields, rows), 60_000 // len(fields)))
    tail = f" RETURNING {db.ops.quote_name(str(key.column))}"
    preparers = _insert_preparers(model, db)
    if ahead is not None:
        prepared = ahead.values_now(rows, preparers)
    else:
        prepared = [_insert_values(row, preparers) for row in rows]
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            values = [
                value for row_values in prepared[start : start + size] for value in row_values
            ]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, values)
            # Rows come back in the order they were given, as `bulk_create` relies on too.
            for row, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                setattr(row, key.attname, pk)
                row._state.adding = False
                row._state.db = db.alias


def rows_insert(model: type[Model], rows: Sequence[Model]) -> None:
    """Insert rows whose keys are given (as a UUID's default gives them) or that nobody reads
    back: one statement run for every row by the driver, the values prepared by their fields
    as `bulk_create` would."""
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]
    _fields, head, one = _insert_parts(model, rows, db)
    preparers = _insert_preparers(model, db)
    with db.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(head + one, _insert_values(rows[0], preparers))
        else:
            cursor.executemany(head + one, [_insert_values(row, preparers) for row in rows])
    for row in rows:
        row._state.adding = False
        row._state.db = db.alias


class RowsAhead:
    """New rows' values prepared before the transaction that inserts them (`rows_create`'s
    `ahead`), so that only what changed in between is prepared inside it.

    On SQLite a write transaction holds the one writer's turn, and preparing a row's values
    takes longer than inserting it. A service builds its rows, prepares them here, then in its
    transaction sets what depends on it (a reference taken from a counter, the key of a row
    written just before) and inserts them. A column is prepared again when its attribute no
    longer holds the very object it held (a new key, a new hash), and always when the value is
    a mutable container (a JSON field's dict or list may have changed in place).
    """

    __slots__ = ("_held", "_names", "_rows", "_values")

    def __init__(self, model: type[Model], rows: Sequence[Model]) -> None:
        db = connections[DEFAULT_DB_ALIAS]
        preparers = _insert_preparers(model, db)
        self._names = [field.attname for field in _insert_statement(model, db.vendor)[0]]
        self._rows = list(rows)
        # Prepared first: an automatic time is stamped on its row as it is prepared.
        self._values = [_insert_values(row, preparers) for row in rows]
        self._held = [[row.__dict__.get(name) for name in self._names] for row in rows]

    def values_now(self, rows: Sequence[Model], preparers: list[_Preparer]) -> list[list[Any]]:
        """Each row's values as they stand now."""
        if len(rows) != len(self._rows) or any(
            given is not kept for given, kept in zip(rows, self._rows, strict=True)
        ):
            raise ValueError("rows_create was given other rows than were prepared ahead")
        current = []
        for row, values, held in zip(rows, self._values, self._held, strict=True):
            now = row.__dict__
            fresh = list(values)
            for index, name in enumerate(self._names):
                value = now.get(name)
                if value is not held[index] or type(value) in _MUTABLE:
                    fresh[index] = preparers[index](row)
            current.append(fresh)
        return current


_MUTABLE = (dict, list)


def row_statement(model: type[Model], template: Model) -> tuple[str, list[Any], dict[str, int]]:
    """What inserting rows like `template` takes (`rows_insert`'s statement, for a model whose
    keys are given): the statement, `template`'s values as `rows_insert` would write them, and
    each column's place among them by attribute name. A caller that writes many rows
    differing from `template` in a few columns prepares those with `column_preparer`."""
    db = connections[DEFAULT_DB_ALIAS]
    fields, head, one = _insert_parts(model, [template], db)
    values = _insert_values(template, _insert_preparers(model, db))
    return head + one, values, {field.attname: index for index, field in enumerate(fields)}


def column_preparer(model: type[Model], attname: str) -> _Preparer:
    """The preparer `rows_insert` uses for the column of `model` named `attname`."""
    db = connections[DEFAULT_DB_ALIAS]
    fields = _insert_statement(model, db.vendor)[0]
    index = next(i for i, field in enumerate(fields) if field.attname == attname)
    return _insert_preparers(model, db)[index]


def _insert_parts(
    model: type[Model], rows: Sequence[Model], db: BaseDatabaseWrapper
) -> tuple[tuple[Field[Any, Any], ...], str, str]:
    """The columns an insert of `rows` writes, the statement's head up to
    VALUES, and one row's placeholders; related keys saved since are copied onto `rows`.
    A key the database assigns is left to it; any other key is written."""
    related_keys_copy(rows)
    return _insert_statement(model, db.vendor)


@cache
def _insert_statement(
    model: type[Model], vendor: str
) -> tuple[tuple[Field[Any, Any], ...], str, str]:
    """`_insert_parts` of `model` on `vendor`'s database, built once per process (a tuple of
    fields: every caller shares it)."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = tuple(
        field for field in meta.concrete_fields if not (field is meta.pk and field.db_returning)
    )
    # Table and column names come from the model, never from input.
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608
        quote(meta.db_table), ", ".join(quote(str(field.column)) for field in fields)
    )
    return fields, head, "({})".format(", ".join(["%s"] * len(fields)))


# Each thread has its own connection, and a preparer may hold its connection's adapters.
_preparers: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[type[Model], list[_Preparer]]] = (
    weakref.WeakKeyDictionary()
)


def _insert_preparers(model: type[Model], db: BaseDatabaseWrapper) -> list[_Preparer]:
    """The preparers of `_insert_parts`' columns, made once per connection."""
    made = _preparers.setdefault(db, {})
    preparers = made.get(model)
    if preparers is None:
        fields = _insert_statement(model, db.vendor)[0]
        preparers = made[model] = [row_preparer(field) for field in fields]
    return preparers


def _insert_values(row: Model, preparers: list[_Preparer]) -> list[Any]:
    return [prepared(row) for prepared in preparers]


# Fields whose values, of the plain types below, Django's `get_db_prep_save` hands on unchanged
# (text of any str type; exactly `bool` or `float`) or, for integers, hands to the backend's
# integer adapter (PostgreSQL wraps them in its sized integer types). Keys of rows the database
# numbers go as they are. Only these exact field classes: a subclass may convert otherwise.
_TEXT_FIELDS = (models.CharField, models.TextField, models.EmailField, models.SlugField)
_KEY_FIELDS = (models.ForeignKey, models.OneToOneField)
_INTEGER_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)
_AS_THEY_ARE: dict[type[Field[Any, Any]], type] = {
    models.AutoField: int,
    models.BigAutoField: int,
    models.BooleanField: bool,
    models.FloatField: float,
}


def row_preparer(field: Field[Any, Any], *, update: bool = False) -> _Preparer:
    """How `field`'s value of a row is written: as `save` writes it into a new row, or, for an
    `update`, the value as it stands (automatic times are not stamped again).

    `get_db_prep_save` goes through several layers for every value, which costs more than the
    database's own work. For plain text, numbers, flags, keys
    and aware times, only its last step is taken (see `_AS_THEY_ARE`); any other value goes the
    whole way. A test holds both equal for every field of the models written this way.
    """
    attname = field.attname

    def full(row: Model) -> Any:
        value = getattr(row, attname) if update else field.pre_save(row, add=True)
        return field.get_db_prep_save(value, connection)

    target: Field[Any, Any] | None = field
    if isinstance(field, models.ForeignKey):  # written as the key it points at
        target = field.target_field if type(field) in _KEY_FIELDS else None
    if target is None:
        return full
    kind = type(target)
    if isinstance(target, models.DateTimeField) and kind is models.DateTimeField:
        if not update and (target.auto_now or target.auto_now_add):
            return full  # a new row's time is stamped when it is written
        moment = connection.ops.adapt_datetimefield_value
        # The same instants recur in a flush (its own time is on every row): each is adapted
        # once. Equal aware times are the same instant, which adapts to the same value. The
        # preparer lives as long as its connection: the instants it keeps are bounded.
        adapted: dict[datetime, Any] = {}

        def aware(row: Model) -> Any:
            value = getattr(row, attname)
            if type(value) is datetime and value.tzinfo is not None:
                known = adapted.get(value)
                if known is None:
                    if len(adapted) >= 256:
                        adapted.clear()
                    known = adapted[value] = moment(value)
                return known
            return moment(value) if value is None else full(row)

        return aware
    if kind in _TEXT_FIELDS:

        def text(row: Model) -> Any:
            value = getattr(row, attname)
            return value if value is None or isinstance(value, str) else full(row)

        return text
    if kind in _INTEGER_FIELDS:
        integer, internal = connection.ops.adapt_integerfield_value, target.get_internal_type()

        def whole(row: Model) -> Any:
            value = getattr(row, attname)
            return integer(value, internal) if value is None or type(value) is int else full(row)

        return whole
    if kind is models.JSONField:
        # Most JSON values written are empty (an entry's data, a tone's quoted words, a task's
        # workers): each empty kind is encoded once per connection, if it encodes to text.
        empties: dict[type, Any] = {}
        kinds: tuple[list[Any] | dict[str, Any], ...] = ([], {})
        for empty in kinds:
            encoded = target.get_db_prep_save(empty, connection)
            if isinstance(encoded, str):
                empties[type(empty)] = encoded

        def json(row: Model) -> Any:
            value = getattr(row, attname)
            if not value and type(value) in empties:
                return empties[type(value)]
            return full(row)

        return json
    plain = _AS_THEY_ARE.get(kind)
    if plain is None:
        return full

    def as_it_is(row: Model) -> Any:
        value = getattr(row, attname)
        return value if value is None or type(value) is plain else full(row)

    return as_it_is


def rows_update(model: type[Model], fields: Sequence[str], rows: Sequence[Any]) -> None:
    """Write `fields` of each row by its key: one statement run for every row by the driver
    (`bulk_update` builds a CASE expression per field and row, and `QuerySet.update` a query
    through the compiler, slower than the work itself)."""
    if not rows:
        return
    related_keys_copy(rows)
    sql, preparers = _update_parts(model, tuple(fields))
    values = [[prepared(row) for prepared in preparers] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        if len(values) == 1:  # the busiest services' case: a plain statement costs less
            cursor.execute(sql, values[0])
        else:
            cursor.executemany(sql, values)


_updates: weakref.WeakKeyDictionary[
    BaseDatabaseWrapper, dict[tuple[type[Model], tuple[str, ...]], tuple[str, list[_Preparer]]]
] = weakref.WeakKeyDictionary()


def _update_parts(model: type[Model], fields: tuple[str, ...]) -> tuple[str, list[_Preparer]]:
    """The statement writing `fields` of a row of `model`, and their preparers, made once per
    connection."""
    made = _updates.setdefault(connections[connection.alias], {})
    parts = made.get((model, fields))
    if parts is None:
        meta = model._meta
        quote = connection.ops.quote_name
        columns = [cast(Field[Any, Any], meta.get_field(name)) for name in fields]
        assert meta.pk is not None
        # Table and column names come from the model, never from input.
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
            quote(meta.db_table),
            ", ".join(f"{quote(str(column.column))} = %s" for column in columns),
            quote(str(meta.pk.column)),
        )
        preparers = [row_preparer(column, update=True) for column in columns]
        parts = made[(model, fields)] = (sql, preparers)
    return parts


def related_keys_copy(rows: Sequence[Model]) -> None:
    """Copy onto each row the keys of related rows saved after it was built (the entry of a
    tone or of a record), as `save` and `bulk_create` do.

    Django's own step (`_prepare_related_fields_for_save`) walks every field of every row. A
    relation to a saved row's primary key, the import's only kind, is settled here from the
    row's cache; any other case (an unsaved related row, a key that no longer matches) is
    left to Django's step, which raises or forgets the cached row as it always does."""
    if not rows:
        return
    plain, keys = _relations(type(rows[0]))
    for row in rows:
        if not (plain and _keys_copied(row, keys)):
            row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]


@cache
def _relations(model: type[Model]) -> tuple[bool, tuple[tuple[str, str, Sequence[Any]], ...]]:
    """Whether every relation of `model` points at a primary key (and none is generic), and
    each relation's cache name, key attribute and empty values."""
    meta = model._meta
    relations = [
        cast(models.ForeignObject[Any, Any], field)
        for field in meta.concrete_fields
        if field.is_relation
    ]
    plain = all(field.target_field.primary_key for field in relations) and not any(
        field.is_relation for field in meta.private_fields
    )
    return plain, tuple(
        (field.cache_name, field.attname, field.empty_values) for field in relations
    )


def _keys_copied(row: Model, keys: Sequence[tuple[str, str, Sequence[Any]]]) -> bool:
    """Copy the keys of `row`'s cached related rows onto it; False when one needs Django's
    step: its row is unsaved, or `row` holds another key for it."""
    cache, values = row._state.fields_cache, row.__dict__
    for name, attname, empty in keys:
        related = cache.get(name)
        if related is None:
            continue
        key = related.pk
        if key is None:
            return False
        held = values.get(attname)
        if held in empty:
            values[attname] = key
        elif held != key:
            return False
    return True
