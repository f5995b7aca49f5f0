"""Copy every row of this installation's database into a new PostgreSQL database.

`layan copy-database --to postgres://...` moves an embedded installation (SQLite) onto
PostgreSQL, or one PostgreSQL server onto another. The target must have no tables at all, unless
the caller asks for it to be replaced (`--replace`): then every table, view and sequence in its
schema is dropped first. It is migrated by a separate `layan migrate` process pointed at it, so
every migration, data migrations included, runs exactly as it would for a new installation.

All rows are then written in one transaction on the target, so a crash or a failed check leaves
the schema and no data: never a half-filled database that looks complete. Before that
transaction commits, every table's row count is compared with the source and the logbook is
verified on the target and must report exactly what it reports on the source. The logbook's
append-only triggers stay in force throughout (inserting is all a copy does).

Rows are read in primary-key order with streaming queries and written in batches, so memory
stays flat however large the database is. Tables are copied in foreign-key order with
constraints checked after each statement; only tables that reference each other in a cycle are
copied with their checks deferred to the end of the group.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import batched
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.apps import apps
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Field, Model
from django.db.utils import ConnectionHandler, load_backend

from layan.core import clock
from layan.logbook.verify import VerifyReport, logbook_verify

logger = logging.getLogger(__name__)

TARGET_ALIAS = "layan_copy_target"
# Migrating a new, empty database takes seconds; this only stops a hung process.
MIGRATE_TIMEOUT = 1800


class CopyRefused(Exception):
    """The copy did not start: the target or the source is not in a state to copy."""


class CopyFailed(Exception):
    """The copy ran but a check failed; nothing was committed to the target."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    source_rows: int
    copied_rows: int
    target_rows: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.source_rows == self.copied_rows == self.target_rows


@dataclass
class CopyReport:
    target: str  # the URL without its password
    tables: list[TableCopy] = field(default_factory=list)
    not_copied: list[str] = field(default_factory=list)  # source tables that are no model's
    logbook_entries: int = 0
    logbook_chains: int = 0
    logbook_errors: int = 0
    search_tickets: int | None = None
    migrate_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(table.copied_rows for table in self.tables)


# --- Order ----------------------------------------------------------------------------------


def copy_order(references: Mapping[str, set[str]]) -> list[list[str]]:
    """Group tables so that every table comes after the tables it references.

    `references` maps each table to the tables its foreign keys point at. Tables that reference
    each other in a cycle (or themselves) form one group, to be filled with constraint checks
    deferred; every other group holds one table. Groups and their members are in a stable order.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    # Tarjan's algorithm emits a group only after every group it reaches: dependencies first.
    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(references.get(node, ())):
            if target not in references:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(references):
        if node not in index:
            visit(node)
    return groups


def group_is_cyclic(group: Sequence[str], references: Mapping[str, set[str]]) -> bool:
    return len(group) > 1 or group[0] in references.get(group[0], set())


def _copied_models() -> list[type[Model]]:
    """Every model whose table `migrate` creates, auto-created many-to-many tables included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]


def _columns(model: type[Model]) -> list[Field[Any, Any]]:
    return [
        f
        for f in model._meta.local_concrete_fields
        if f.column is not None and not getattr(f, "generated", False)
    ]


def _references(models: Sequence[type[Model]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for model in models:
        targets = graph.setdefault(model._meta.db_table, set())
        for column in _columns(model):
            if column.remote_field is not None and column.remote_field.model is not None:
                remote: Any = column.remote_field.model
                targets.add(remote._meta.db_table)
    return graph


# --- The copy -------------------------------------------------------------------------------


def url_without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + host))


def database_copy(
    *,
    target_url: str,
    batch: int = 5000,
    source: str = DEFAULT_DB_ALIAS,
    replace: bool = False,
    progress: Callable[[TableCopy], None] | None = None,
) -> CopyReport:
    """Migrate the empty PostgreSQL database at `target_url` and copy every row into it.

    Raises CopyRefused before anything is written (the target is not empty and `replace` is
    not set, the target is not PostgreSQL, the source lacks migrations) and CopyFailed when a
    check fails after the rows were written (then the transaction is rolled back and the target
    holds the schema only). With `replace`, whatever the target held is dropped first and is
    gone even when the copy then fails.
    """
    started = time.monotonic()
    report = CopyReport(target=url_without_password(target_url))
    target = _target_connect(target_url)
    try:
        _refuse_unless_migrated(connections[source], "the source")
        if replace:
            _target_clear(target)
        _refuse_unless_empty(target)
        migrating = time.monotonic()
        _target_migrate(target_url)
        report.migrate_seconds = time.monotonic() - migrating
        target.close()
        _refuse_unless_migrated(target, "the target")
        models = _copied_models()
        try:
            _copy_all(connections[source], target, models, report, batch=batch, progress=progress)
        except CopyFailed:
            raise
        except Exception as error:
            logger.exception("database_copy_failed", extra={"target": report.target})
            raise CopyFailed(f"The copy stopped: {error}. Nothing was committed.") from error
    finally:
        _target_disconnect(target)
    report.seconds = time.monotonic() - started
    logger.info(
        "database_copied",
        extra={
            "target": report.target,
            "tables": len(report.tables),
            "rows": report.rows,
            "seconds": round(report.seconds, 1),
        },
    )
    return report


def _target_connect(url: str) -> BaseDatabaseWrapper:
    """Open the target under its own alias, beside (not in) the configured databases."""
    config = dict(dj_database_url.parse(url, conn_max_age=0))
    if not str(config.get("ENGINE", "")).endswith("postgresql"):
        raise CopyRefused("The target must be a PostgreSQL URL (postgres://user@host/name).")
    filled = ConnectionHandler().configure_settings({DEFAULT_DB_ALIAS: config})[DEFAULT_DB_ALIAS]
    target: BaseDatabaseWrapper = load_backend(filled["ENGINE"]).DatabaseWrapper(
        filled, TARGET_ALIAS
    )
    # Registered so that querysets and transactions can name it by its alias.
    connections[TARGET_ALIAS] = target
    return target


def _target_disconnect(target: BaseDatabaseWrapper) -> None:
    target.close()
    del connections[TARGET_ALIAS]


def _refuse_unless_empty(target: BaseDatabaseWrapper) -> None:
    with target.cursor() as cursor:
        tables = target.introspection.table_names(cursor)
    if tables:
        raise CopyRefused(
            f"The target database is not empty ({len(tables)} tables, e.g. {tables[0]}). "
            "copy-database only fills a new, empty database; if an earlier copy stopped "
            "half-way, drop the database and create it again, or run the copy again with "
            "--replace to drop everything in it first."
        )


def _target_clear(target: BaseDatabaseWrapper) -> None:
    """Drop every table, view and sequence in the target's current schema, in one transaction.

    Functions and text search configurations stay: Layan's migrations create theirs with
    CREATE OR REPLACE, and other schemas are not touched.
    """
    try:
        relations = _target_drop_all(target)
    except DatabaseError as error:
        raise CopyRefused(f"Clearing the target for --replace failed: {error}") from error
    if relations:
        logger.warning("database_copy_target_cleared", extra={"relations": relations})


def _target_drop_all(target: BaseDatabaseWrapper) -> int:
    kinds = {"v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE", "S": "SEQUENCE"}
    quote = target.ops.quote_name
    with transaction.atomic(using=target.alias), target.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
            "AND NOT (c.relkind = 'r' AND c.relispartition) "
            "ORDER BY c.relkind = 'S', c.relname"
        )
        relations = cursor.fetchall()
        for name, kind in relations:
            # CASCADE takes dependent views and constraints along; IF EXISTS skips what an
            # earlier CASCADE (or an owned sequence's table) already took.
            cursor.execute(f"DROP {kinds.get(kind, 'TABLE')} IF EXISTS {quote(name)} CASCADE")
    return len(relations)


def _refuse_unless_migrated(connection: BaseDatabaseWrapper, name: str) -> None:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        first = pending[0][0]
        raise CopyRefused(
            f"{name.capitalize()} lacks {len(pending)} migrations (first: {first.app_label}."
            f"{first.name}); run `layan migrate` on it with this version of Layan first."
        )


def _target_migrate(url: str) -> None:
    """Run `layan migrate` in its own process with the target as its only database.

    Data migrations write through the default database; in this process that is the source.
    """
    try:
        result = subprocess.run(
            # `layan copy-database` ran the system checks before it started.
            [sys.executable, "-m", "layan", "migrate", "--no-input", "--skip-checks", "-v", "1"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
            timeout=MIGRATE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as error:
        raise CopyRefused(
            f"Migrating the target did not finish within {MIGRATE_TIMEOUT} s; it was stopped."
        ) from error
    if result.returncode != 0:
        raise CopyRefused("Migrating the target failed:\n" + result.stderr[-4000:])


def _copy_all(
    source: BaseDatabaseWrapper,
    target: BaseDatabaseWrapper,
    models: Sequence[type[Model]],
    report: CopyReport,
    *,
    batch: int,
    progress: Callable[[TableCopy], None] | None,
) -> None:
    by_table = {model._meta.db_table: model for model in models}
    references = _references(models)
    with source.cursor() as cursor:
        source_tables = set(source.introspection.table_names(cursor))
    report.not_copied = sorted(source_tables - set(by_table))
    snapshot = source.vendor == "postgresql" and not source.in_atomic_block
    with transaction.atomic(using=source.alias), transaction.atomic(using=target.alias):
        # One snapshot of the source for the whole copy; on SQLite the transaction is IMMEDIATE
        # already, which also keeps writers out until the copy is done.
        if snapshot:
            with source.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with target.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # Rows the target's migrations made (content types, default calendars) give way
            # to the source's, which other rows reference by primary key.
            for statement in target.ops.sql_flush(no_style(), list(by_table)):
                cursor.execute(statement)
        search = _search_suspend(target)
        for group in copy_order(references):
            cyclic = group_is_cyclic(group, references)
            if cyclic:
                _constraints(target, "DEFERRED")
            for table in group:
                if table not in source_tables:
                    continue
                copied = _table_copy(source, target, by_table[table], batch=batch)
                report.tables.append(copied)
                if progress is not None:
                    progress(copied)
            if cyclic:
                _constraints(target, "IMMEDIATE")
        with target.cursor() as cursor:
            for statement in target.ops.sequence_reset_sql(no_style(), list(models)):
                cursor.execute(statement)
        _check_counts(report)
        _check_logbook(source, target, report)
        if search:
            report.search_tickets = _search_restore(target)


def _constraints(target: BaseDatabaseWrapper, mode: str) -> None:
    # Switching back to IMMEDIATE checks every deferred row of the group at that moment.
    with target.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS ALL {mode}")


def _table_copy(
    source: BaseDatabaseWrapper,
    target: BaseDatabaseWrapper,
    model: type[Model],
    *,
    batch: int,
) -> TableCopy:
    """Copy one table in primary-key order with one COPY statement per `batch` rows.

    Values go through the fields' own conversions (to Python from the source, to the database
    for the target) but never through `save()` or `pre_save()`, which would stamp `auto_now`
    fields with the time of the copy. Foreign keys are checked at the end of each statement, so
    what the server holds for those checks stays within one batch.
    """
    started = time.monotonic()
    columns = _columns(model)
    quote = target.ops.quote_name
    table = model._meta.db_table
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(table), ", ".join(quote(str(column.column)) for column in columns)
    )
    rows = model._base_manager.using(source.alias).order_by("pk")
    source_rows = rows.count()
    copied = 0
    stream: Iterator[tuple[Any, ...]] = rows.values_list(
        *[column.attname for column in columns]
    ).iterator(chunk_size=batch)
    with target.cursor() as cursor:
        driver: Any = cursor.cursor  # psycopg's own cursor, which speaks COPY
        for chunk in batched(stream, batch):
            with driver.copy(statement) as copy:
                for row in chunk:
                    copy.write_row(
                        [
                            column.get_db_prep_save(value, target)
                            for column, value in zip(columns, row, strict=True)
                        ]
                    )
            copied += len(chunk)
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 - quoted model table
        (target_rows,) = cursor.fetchone()
    return TableCopy(
        table=table,
        source_rows=source_rows,
        copied_rows=copied,
        target_rows=int(target_rows),
        seconds=time.monotonic() - started,
    )


def _check_counts(report: CopyReport) -> None:
    wrong = [table for table in report.tables if not table.ok]
    if wrong:
        details = ", ".join(
            f"{t.table} (source {t.source_rows}, copied {t.copied_rows}, target {t.target_rows})"
            for t in wrong
        )
        raise CopyFailed(f"Row counts differ: {details}. Nothing was committed.")


class _Pinned:
    """A database router that sends every query to one database."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return self.alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return self.alias


@contextmanager
def queries_routed_to(alias: str) -> Iterator[None]:
    """Send the ORM's queries to `alias` for the duration (the verifier reads through the ORM)."""
    saved = router.routers
    router.routers = [_Pinned(alias), *saved]
    try:
        yield
    finally:
        router.routers = saved


def _logbook_summary(report: VerifyReport) -> tuple[int, int, int, int, dict[str, int]]:
    return report.entries, report.chains, report.errors, report.warnings, report.totals


def _check_logbook(
    source: BaseDatabaseWrapper, target: BaseDatabaseWrapper, report: CopyReport
) -> None:
    """The target's logbook must verify exactly as the source's does.

    A source with findings (a tampered entry) is copied with them: the copy must preserve the
    evidence, not refuse it. Files are not re-read: the copy does not move them. Bytes the
    database keeps (`BlobBytes`) are rows, copied and counted like any other.
    """
    now = clock.now()
    with queries_routed_to(source.alias):
        before = logbook_verify(now=now, blobs=False)
    with queries_routed_to(target.alias):
        after = logbook_verify(now=now, blobs=False)
    if _logbook_summary(before) != _logbook_summary(after):
        raise CopyFailed(
            "The logbook verifies differently on the target "
            f"({after.entries} entries, {after.errors} errors) than on the source "
            f"({before.entries} entries, {before.errors} errors). Nothing was committed."
        )
    report.logbook_entries = after.entries
    report.logbook_chains = after.chains
    report.logbook_errors = after.errors


def _search_suspend(target: BaseDatabaseWrapper) -> bool:
    """Take the ticket search index and its triggers off the target while rows pour in.

    Its triggers rebuild a ticket's whole document for every ticket and entry inserted; one
    set-based rebuild at the end gives the same index in a fraction of the time.
    """
    if not apps.is_installed("layan.search"):
        return False
    from layan.search.schema import search_uninstall

    search_uninstall(target)
    return True


def _search_restore(target: BaseDatabaseWrapper) -> int:
    from layan.search.schema import search_install
    from layan.search.services import search_rebuild

    search_install(target)
    return search_rebuild(connection=target)
