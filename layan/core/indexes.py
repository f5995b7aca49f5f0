"""Migrations that drop the index Django gives a foreign key when another index leads with it.

Django indexes every foreign key column on its own. Where an index of the model already starts
with that column (a unique constraint on `(chain, seq)`, an inbox index on `(customer,
updated_at)`), that index serves every lookup by the key, and the key's own index only costs a
write per row and its space. `fk_indexes_dropped` turns the `AlterField(db_index=False)` that
`makemigrations` writes into a plain `DROP INDEX` (and `CREATE INDEX` backwards): on SQLite,
Django would otherwise rebuild the whole table, and with it lose the table's triggers.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def fk_indexes_dropped(
    app_label: str, altered: list[migrations.AlterField]
) -> migrations.SeparateDatabaseAndState:
    """The migration operation for `altered`, fields of `app_label` now with `db_index=False`:
    the state changes as `altered` say; the database drops each field's own index."""
    fields = [(operation.model_name, operation.name) for operation in altered]

    def indexes(apps: StateApps, editor: BaseDatabaseSchemaEditor) -> list[tuple[str, str, str]]:
        found = []
        for model_name, field_name in fields:
            model: Any = apps.get_model(app_label, model_name)
            table, column = model._meta.db_table, model._meta.get_field(field_name).column
            # The name Django gave the index when it made the key (`_create_index_sql`).
            name = editor._create_index_name(table, [column])  # type: ignore[attr-defined]
            found.append((name, table, column))
        return found

    def drop(apps: StateApps, editor: BaseDatabaseSchemaEditor) -> None:
        for name, _table, _column in indexes(apps, editor):
            editor.execute(f"DROP INDEX IF EXISTS {editor.quote_name(name)}")

    def create(apps: StateApps, editor: BaseDatabaseSchemaEditor) -> None:
        quote = editor.quote_name
        for name, table, column in indexes(apps, editor):
            editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote(column)})"
            )

    return migrations.SeparateDatabaseAndState(
        state_operations=list(altered),
        database_operations=[migrations.RunPython(drop, create, elidable=False)],
    )
