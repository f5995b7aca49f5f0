"""PostgreSQL's prepared statements: on by default, `off` for poolers, checked on a real
server when the suite runs on one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

PRINT_OPTIONS = (
    "import json, layan.settings as s; print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"
)


def _options(prepare: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAYAN_DB_PREPARE"}
    env["DATABASE_URL"] = "postgres://layan@db.invalid:5432/layan"
    if prepare is not None:
        env["LAYAN_DB_PREPARE"] = prepare
    return subprocess.run(
        [sys.executable, "-c", PRINT_OPTIONS], env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("prepare", "options"),
    [
        (None, {"server_side_binding": True, "prepare_threshold": 5}),
        ("2", {"server_side_binding": True, "prepare_threshold": 2}),
        ("off", {}),
        ("OFF ", {}),
    ],
)
def test_prepared_statements_are_on_unless_turned_off(prepare, options) -> None:
    done = _options(prepare)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == options


def test_a_wrong_setting_is_refused_with_what_it_takes() -> None:
    done = _options("sometimes")
    assert done.returncode != 0
    assert "LAYAN_DB_PREPARE must be a number of runs or 'off'" in done.stderr


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own")
def test_a_statement_run_often_is_prepared_on_the_server() -> None:
    from layan.tickets.models import Ticket

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # psycopg forgets its own list of them too
    for _ in range(8):
        list(Ticket.objects.filter(reference=41_999).values_list("pk"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"tickets_ticket"."reference" = $1' in text for text in prepared), prepared
