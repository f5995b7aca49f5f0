"""Foreign keys that lead another index have no index of their own (`layan.core.indexes`)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db

# Keys whose own index `key_indexes_dropped` removed: the tables written for every ticket,
# message, customer and checkpoint.
DROPPED = {
    ("logbook", "entry", "chain"),
    ("logbook", "entry", "actor_contact"),
    ("logbook", "entryattachment", "entry"),
    ("logbook", "checkpointhead", "chain"),
    ("customers", "customer", "account_manager"),
    ("customers", "membership", "contact"),
    ("customers", "membership", "customer"),
    ("channels", "inboundrecord", "mailbox"),
    ("channels", "ticketlink", "ticket"),
    ("tickets", "ticket", "customer"),
    ("tickets", "ticket", "requester"),
    ("tickets", "ticket", "owner"),
    ("tickets", "ticket", "team"),
    ("tickets", "tone", "contact"),
    ("tickets", "checklisttick", "ticket"),
    ("tickets", "stagespell", "ticket"),
}
# Tables of a few rows per customer or per month, and Django's own many-to-many tables, left
# as Django made them.
LEFT = {
    "agreements_dealmove",
    "agreements_order",
    "agreements_invoice",
    "agreements_verdict",
    "agreements_agreementattachment",
    "agreements_deal",
    "agreements_agreement",
    "agreements_orderrequest",
    "agreements_revenue",
    "agreements_target",
    "knowledge_articleversion",
    "sla_calendarholiday",
    "sla_policytarget",
    "team_notification",
    "team_team_members",
    "team_user_groups",
    "team_user_user_permissions",
    "tickets_ticket_tags",
}
# The migration before `key_indexes_dropped` in each app, in the order they are taken back.
BEFORE = [("logbook", "0005"), ("tickets", "0008"), ("channels", "0001"), ("customers", "0005")]


def _indexes(table: str, *, unique: bool | None = None) -> dict[str, list[str]]:
    """The table's indexes and unique constraints by name (only those of `unique`, if given)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: list(item["columns"])
        for name, item in constraints.items()
        if (item["index"] or item["unique"])
        and not item["primary_key"]
        and unique in (None, item["unique"])
    }


def _triggers(table: str) -> set[str]:
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])
        return {row[0] for row in cursor.fetchall()}


def _own_index_name(app_label: str, model_name: str, field_name: str) -> tuple[str, str]:
    model = apps.get_model(app_label, model_name)
    column = model._meta.get_field(field_name).column
    with connection.schema_editor() as editor:
        name = editor._create_index_name(model._meta.db_table, [column])
    return model._meta.db_table, name


def test_no_key_has_an_index_another_index_leads_with() -> None:
    """In Layan's own tables, no single-column index repeats the first column of a wider
    index or unique constraint: that index serves the lookups, the narrow one costs writes."""
    tables = {
        model._meta.db_table
        for config in apps.get_app_configs()
        if config.name.startswith("layan.")
        for model in config.get_models(include_auto_created=True)
    }
    repeated = []
    for table in sorted(tables - LEFT):
        wide = [columns for columns in _indexes(table).values() if len(columns) > 1]
        for name, columns in _indexes(table, unique=False).items():
            if len(columns) == 1 and any(other[0] == columns[0] for other in wide):
                repeated.append(f"{table}.{name}")
    assert repeated == []


@pytest.mark.django_db(transaction=True)
def test_the_migrations_drop_the_indexes_and_make_them_again_backwards() -> None:
    expected = [_own_index_name(*key) for key in sorted(DROPPED)]
    assert all(name not in _indexes(table) for table, name in expected)
    triggers = _triggers("logbook_entry")
    guards = (
        {"logbook_entry_guard"}
        if connection.vendor == "postgresql"
        else {"logbook_entry_no_update", "logbook_entry_no_delete"}
    )
    assert guards | {"search_entry_added"} <= triggers
    try:
        for app_label, migration in BEFORE:
            call_command("migrate", app_label, migration, verbosity=0)
        missing = [name for table, name in expected if name not in _indexes(table)]
        assert missing == []
    finally:
        call_command("migrate", verbosity=0)
    assert all(name not in _indexes(table) for table, name in expected)
    # No table was rebuilt: the logbook keeps its append-only and search triggers.
    assert _triggers("logbook_entry") == triggers
    executor = MigrationExecutor(connection)
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())
