"""`layan copy-database`: the installation's database copied into a new PostgreSQL database.

The source is the test database (SQLite in the first CI pass); the target is a PostgreSQL
database each test creates and drops. Without PostgreSQL the tests skip, except in CI.
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
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {error}")
        pytest.skip(f"PostgreSQL is not reachable: {error}")


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

    with psycopg.connect(url) as conn:
        return conn.execute(statement).fetchall()


def _count(url: str, table: str) -> int:
    from psycopg import sql

    statement = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    return int(_query(url, statement)[0][0])


def _layan(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `layan` the way the installation will after the move: DATABASE_URL on the target."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(DATABASE_URL=url, LAYAN_DATA_DIR=str(settings.DATA_DIR), LAYAN_TASKS="dummy")
    return subprocess.run(
        [sys.executable, "-m", "layan", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


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


def test_copy_database_moves_every_row_and_the_target_works(business: None, target: str) -> None:
    """Counts match table by table, the logbook verifies on the target, its triggers hold, new
    tickets continue the numbering, and a second copy into the same database is refused."""
    out = io.StringIO()
    call_command("copy-database", "--to", target, "--batch", "7", stdout=out)

    assert "every table's row count matches the source" in out.getvalue()
    source = _row_counts()
    assert source["tickets_ticket"] == 9 and source["logbook_entryattachment"] == 1
    for table, count in source.items():
        assert _count(target, table) == count, table

    verified = _layan(target, "logbook", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["ok"] and report["entries"] == Entry.objects.count()
    assert report["checkpoint"] is not None

    import psycopg

    with pytest.raises(psycopg.Error, match="append-only"):
        _query(
            target,
            "UPDATE logbook_entry SET text = 'diubah' "
            "WHERE id = (SELECT min(id) FROM logbook_entry)",
        )

    if apps.is_installed("layan.search"):
        assert _count(target, "search_ticket") == 9

    opened = _layan(
        target,
        "shell",
        "--no-imports",
        "-c",
        "import json\n"
        "from layan.customers.models import Membership\n"
        "from layan.tickets.services import ticket_open\n"
        "m = Membership.objects.select_related('customer', 'contact').first()\n"
        "t, e = ticket_open(actor=None, customer=m.customer, requester=m.contact,\n"
        "                   subject='Setelah pindah', text='Halo dari PostgreSQL')\n"
        "print(json.dumps({'id': t.pk, 'reference': t.reference, 'entry': e.pk}))",
    )
    assert opened.returncode == 0, opened.stderr
    ticket = json.loads(opened.stdout.strip().splitlines()[-1])
    newest = Ticket.objects.order_by("-pk").first()
    assert newest is not None
    assert ticket["id"] > newest.pk and ticket["reference"] == newest.reference + 1
    assert ticket["entry"] > Entry.objects.order_by("-pk").values_list("pk", flat=True)[0]

    with pytest.raises(CommandError, match="not empty"):
        call_command("copy-database", "--to", target, stdout=io.StringIO())


def test_a_copy_that_stops_half_way_commits_nothing(
    business: None, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after some tables were written leaves the target with its schema and no rows,
    and a second run refuses it until it is created anew."""
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

    assert "drop it, create it again" in str(stopped.value)
    assert calls["n"] == 20
    for table in ("tickets_ticket", "logbook_entry", "logbook_chain", "team_user"):
        assert _count(target, table) == 0, table
    with pytest.raises(CommandError, match="not empty"):
        call_command("copy-database", "--to", target, stdout=io.StringIO())
