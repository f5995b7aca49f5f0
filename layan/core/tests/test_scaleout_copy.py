"""`layan copy-database`: the installation's database copied into a new PostgreSQL database.

The source is the test database (SQLite in the first CI pass, PostgreSQL in the second); the
target is a PostgreSQL database each test creates and drops. Without PostgreSQL the tests skip,
except when CI=true, where they fail.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from layan import dbcopy
from layan.channels.email.parse import parse_email
from layan.channels.intake import receive
from layan.channels.tests.mails import mail
from layan.core.tests import processes
from layan.demo import demo_load
from layan.logbook.models import Entry
from layan.logbook.services import checkpoint_create
from layan.tickets.models import Ticket

POSTGRES_URL = os.environ.get(
    "LAYAN_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


@pytest.mark.parametrize(
    ("references", "groups"),
    [
        ({"a": set()}, [["a"]]),
        (
            {"entry": {"chain"}, "chain": set(), "ticket": {"chain"}},
            [["chain"], ["entry"], ["ticket"]],
        ),
        ({"article": {"version"}, "version": {"article"}}, [["article", "version"]]),
        ({"node": {"node"}, "leaf": {"node"}}, [["node"], ["leaf"]]),
        ({"x": {"elsewhere"}}, [["x"]]),
        (
            {"d": {"c"}, "c": {"b"}, "b": {"c", "a"}, "a": set()},
            [["a"], ["b", "c"], ["d"]],
        ),
    ],
)
def test_copy_order_puts_referenced_tables_first_and_cycles_together(
    references: dict[str, set[str]], groups: list[list[str]]
) -> None:
    assert dbcopy.copy_order(references) == groups


@pytest.mark.parametrize(
    ("group", "cyclic"), [(["a"], False), (["node"], True), (["article", "version"], True)]
)
def test_a_group_is_cyclic_when_it_references_itself(group: list[str], cyclic: bool) -> None:
    references = {"a": {"b"}, "node": {"node"}, "article": {"version"}, "version": {"article"}}
    assert dbcopy.group_is_cyclic(group, references) is cyclic


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://layan:rahasia@db:5432/layan", "postgres://layan:***@db:5432/layan"),
        ("postgres://postgres@127.0.0.1/layan", "postgres://postgres@127.0.0.1/layan"),
    ],
)
def test_the_target_is_shown_without_its_password(url: str, shown: str) -> None:
    assert dbcopy.url_without_password(url) == shown


def test_a_target_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("copy-database", "--to", "sqlite:////tmp/layan-copy.sqlite3")


# --- Against PostgreSQL ---------------------------------------------------------------------


def _admin() -> Any:
    import psycopg

    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        processes.unavailable(f"PostgreSQL at {POSTGRES_URL}", error)


def _recreate(name: str) -> None:
    from psycopg import sql

    with _admin() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    from psycopg import sql

    name = f"layan_so_copy_{os.getpid()}_{secrets.token_hex(3)}"
    _recreate(name)
    # The command migrates the target in a `layan` process: it must see this test's data dir.
    monkeypatch.setenv("LAYAN_DATA_DIR", str(settings.DATA_DIR))
    yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path="/" + name))
    with _admin() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _query(url: str, statement: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        return conn.execute(statement).fetchall()


def _execute(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
        conn.execute(statement)


def _count(url: str, table: str) -> int:
    from psycopg import sql

    statement = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    return int(_query(url, statement)[0][0])


def _layan(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `layan` the way the installation will after the move: DATABASE_URL on the target."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(DATABASE_URL=url, LAYAN_DATA_DIR=str(settings.DATA_DIR), LAYAN_TASKS="dummy")
    return processes.run([sys.executable, "-m", "layan", *args], env=env, timeout=120)


@pytest.fixture
def business(db: None) -> None:
    """A small demo business, a mailed-in attachment and a signed checkpoint."""
    demo_load(password="demo-password-123", seed=11, ticket_count=8)
    raw = mail(attachments=[("foto.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 foto kemasan")])
    receive(parse_email(raw), acknowledge=False)
    checkpoint_create()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def test_a_copy_that_stops_half_way_commits_nothing_and_a_replacing_copy_then_works(
    business: None, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One story, so that the target is migrated twice rather than three times:

    1. a copy that fails after some tables were written leaves the schema and no rows;
    2. a plain second run refuses the target, which is not empty;
    3. a run told to replace it drops everything there (a stray table and view included),
       copies, and every table's row count matches the source;
    4. on the target the logbook verifies, its append-only triggers hold, and new tickets and
       entries continue the numbering (the sequences were reset);
    5. a further copy is refused and leaves the target as it was.
    """
    copy_table = dbcopy._table_copy
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> dbcopy.TableCopy:
        calls["n"] += 1
        if calls["n"] == 20:
            raise OSError("disk full")
        return copy_table(*args, **kwargs)

    monkeypatch.setattr(dbcopy, "_table_copy", failing)
    with pytest.raises(CommandError, match="disk full") as stopped:
        call_command("copy-database", "--to", target, stdout=io.StringIO())

    assert "--replace" in str(stopped.value)
    assert calls["n"] == 20
    for table in ("tickets_ticket", "logbook_entry", "logbook_chain", "team_user"):
        assert _count(target, table) == 0, table

    monkeypatch.setattr(dbcopy, "_table_copy", copy_table)
    with pytest.raises(CommandError, match="not empty"):
        call_command("copy-database", "--to", target, stdout=io.StringIO())

    _execute(target, "CREATE TABLE left_behind (id int)")
    _execute(target, "CREATE VIEW left_behind_view AS SELECT id FROM left_behind")
    out = io.StringIO()
    call_command("copy-database", "--to", target, "--replace", "--batch", "7", stdout=out)

    assert "every table's row count matches the source" in out.getvalue()
    source = _row_counts()
    assert source["tickets_ticket"] == 9 and source["logbook_entryattachment"] == 1
    # The mail and its attachment are small: their bytes are rows, copied with the rest and
    # re-read by the verification on the target below.
    assert source["core_blobbytes"] >= 2
    for table, count in source.items():
        assert _count(target, table) == count, table
    left = _query(
        target,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name LIKE 'left_behind%'",
    )
    assert left == []

    # One process on the target, as the installation will run after the move: `layan logbook
    # verify`, then a new ticket.
    after = _layan(
        target,
        "shell",
        "--no-imports",
        "-c",
        "import io, json\n"
        "from django.core.management import call_command\n"
        "from layan.customers.models import Membership\n"
        "from layan.tickets.services import ticket_open\n"
        "out = io.StringIO()\n"
        "call_command('logbook', 'verify', '--json', stdout=out)\n"
        "m = Membership.objects.select_related('customer', 'contact').first()\n"
        "t, e = ticket_open(actor=None, customer=m.customer, requester=m.contact,\n"
        "                   subject='Setelah pindah', text='Halo dari PostgreSQL')\n"
        "print(json.dumps({'verify': json.loads(out.getvalue()),\n"
        "                  'id': t.pk, 'reference': t.reference, 'entry': e.pk}))",
    )
    assert after.returncode == 0, after.stdout[-3000:] + after.stderr[-3000:]
    result = json.loads(after.stdout.strip().splitlines()[-1])
    report = result["verify"]
    assert report["ok"] and report["entries"] == Entry.objects.count()
    assert report["checkpoint"] is not None
    newest = Ticket.objects.order_by("-pk").first()
    assert newest is not None
    assert result["id"] > newest.pk and result["reference"] == newest.reference + 1
    assert result["entry"] > Entry.objects.order_by("-pk").values_list("pk", flat=True)[0]

    import psycopg

    with pytest.raises(psycopg.Error, match="append-only"):
        _query(
            target,
            "UPDATE logbook_entry SET text = 'diubah' "
            "WHERE id = (SELECT min(id) FROM logbook_entry)",
        )

    if apps.is_installed("layan.search"):
        # The nine copied tickets were indexed at the end of the copy, the new one by the
        # search triggers the copy put back.
        assert _count(target, "search_ticket") == 10

    kept = {table: _count(target, table) for table in ("tickets_ticket", "logbook_entry")}
    assert kept["tickets_ticket"] == source["tickets_ticket"] + 1
    with pytest.raises(CommandError, match="not empty"):
        call_command("copy-database", "--to", target, stdout=io.StringIO())
    assert {table: _count(target, table) for table in kept} == kept
