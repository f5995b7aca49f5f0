"""Read paths at scale: a generated installation of N tickets, served by gunicorn and queried
in process.

1. `dataset.py` loads N tickets (default 100,000) into a fresh installation.
2. Every `http_load.py` scenario runs against gunicorn (req/s, p50, p99, errors).
3. In a Django process, the main queries run on their own: `inbox_for` with the common filters
   and as an agent, a deep inbox page, keyword search for a rare and a common word,
   `ticket_for` + `ticket_timeline`, a big customer's tickets, and the inbox, new-ticket,
   ticket, customer and both report pages rendered through the test client (query plus
   template, no HTTP). Per query: p50 and p99 over its runs, the number of SQL statements,
   and the slowest statement's time; `--explain FILE` also writes that statement and its
   plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).

On SQLite the loaded database is cached under bench/work/ (one file per ticket count, seed,
schema and generator version) and copied for later runs, so `make bench` does not spend
minutes regenerating 100,000 tickets each time; `--no-cache` loads afresh. The cached history
ends on the day the file was built (`until` in the figures). PostgreSQL always loads afresh.

    .venv/bin/python bench/read_paths.py --tickets 100000 [--explain plans.txt] [--no-cache]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/read_paths.py --tickets 1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from common import (  # noqa: E402
    DATABASE_FILE,
    WORK,
    db_label,
    installation,
    layan,
    migrated_template,
    prune,
    record,
    schema_digest,
    sqlite_copy,
)
from dataset import SEED, child_json, load_into  # noqa: E402
from http_load import AGENT, MANAGER, load_run  # noqa: E402


def queries_time(
    summary: Mapping[str, Any], *, runs: int, seconds: float, seed: int = 11
) -> dict[str, Any]:
    """Time the main read queries in this (Django) process; return figures and plans."""
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from layan.customers.models import Customer
    from layan.customers.queries import customer_choices
    from layan.team.models import User
    from layan.tickets.queries import (
        InboxFilters,
        customer_tickets,
        inbox_for,
        ticket_for,
        ticket_timeline,
    )
    from layan.wsgi import settle

    rng = random.Random(seed)
    manager = User.objects.get(username=MANAGER)
    agent = User.objects.get(username=AGENT)
    first, last = summary["first_reference"], summary["last_reference"]
    references = [rng.randint(first, last) for _ in range(max(runs, 1) + 1)]
    top = Customer.objects.get(pk=summary["top_customer"])
    rare, common = summary["rare_word"], summary["common_word"]

    def deep_cursor(pages: int) -> str:
        cursor = ""
        for _ in range(pages):
            cursor = inbox_for(manager, InboxFilters(status=""), cursor=cursor).next_cursor
        return cursor

    cursor_20 = deep_cursor(19)
    # Each request would empty the query log the counts are read from.
    request_started.disconnect(reset_queries)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    agent_client = Client(HTTP_HOST="127.0.0.1")
    agent_client.force_login(agent)

    def page(path: str, *, as_agent: bool = False) -> None:
        response = (agent_client if as_agent else client).get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")

    calls: dict[str, Callable[[int], object]] = {
        "inbox": lambda n: inbox_for(manager, InboxFilters()),
        "inbox_open_high": lambda n: inbox_for(
            manager, InboxFilters(status="open", priority="high")
        ),
        "inbox_owner_me": lambda n: inbox_for(manager, InboxFilters(owner="me")),
        "inbox_agent": lambda n: inbox_for(agent, InboxFilters()),
        "inbox_q_common": lambda n: inbox_for(manager, InboxFilters(q=common)),
        "inbox_page_20": lambda n: inbox_for(manager, InboxFilters(status=""), cursor=cursor_20),
        "search_rare": lambda n: inbox_for(manager, InboxFilters(status="", q=rare)),
        "search_common": lambda n: inbox_for(manager, InboxFilters(status="", q=common)),
        "ticket_timeline": lambda n: list(
            ticket_timeline(ticket_for(manager, references[n % len(references)]))
        ),
        "customer_top_tickets": lambda n: customer_tickets(top, user=manager),
        "agent_customer_choices": lambda n: customer_choices(agent),
        "view_inbox": lambda n: page("/tickets/"),
        "view_inbox_agent": lambda n: page("/tickets/", as_agent=True),
        "view_ticket_create": lambda n: page(f"/tickets/new/?customer={top.pk}"),
        "view_ticket": lambda n: page(f"/tickets/{references[n % len(references)]}/"),
        "view_customer_top": lambda n: page(f"/customers/{top.pk}/"),
        "view_reports_sla": lambda n: page("/reports/"),
        "view_reports_fairness": lambda n: page("/reports/fairness/"),
    }
    # A web worker settles after its first requests (`layan.wsgi`): warm every call, then the same.
    for call in calls.values():
        call(0)
    settle()
    figures: dict[str, Any] = {}
    plans: dict[str, dict[str, Any]] = {}
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as captured:
            call(len(references) - 1)
        timings = []
        deadline = time.monotonic() + seconds
        for number in range(runs):
            started = time.perf_counter()
            call(number)
            timings.append(time.perf_counter() - started)
            if time.monotonic() > deadline:
                break
        timings.sort()
        slowest_ms, slowest_sql = _slowest([query["sql"] for query in captured.captured_queries])
        figures[name] = {
            "runs": len(timings),
            "p50_ms": round(statistics.median(timings) * 1000, 2),
            "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000, 2),
            "queries": len(captured.captured_queries),
            "slowest_sql_ms": round(slowest_ms, 2),
        }
        if slowest_sql:
            plans[name] = {"sql": slowest_sql, "plan": plan_of(slowest_sql)}
    return {"queries": figures, "plans": plans}


def _slowest(statements: list[str]) -> tuple[float, str]:
    """Run each SELECT again to the last row (the driver's execute time alone leaves out most
    of an SQLite scan); return the slowest one's milliseconds and text."""
    from django.db import connection

    slowest = (0.0, "")
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            slowest = max(slowest, ((time.perf_counter() - started) * 1000, sql))
    return slowest


def plan_of(sql: str) -> list[str]:
    """Return the database's plan for one captured statement."""
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return [f"{row[0]}/{row[1]} {row[3]}" for row in rows]
    return [row[0] for row in rows]


def _in_process(
    env: dict[str, str], summary: Mapping[str, Any], *, runs: int, seconds: float
) -> dict[str, Any]:
    arguments = [str(Path(__file__).resolve()), "--in-process", json.dumps(summary)]
    return child_json([*arguments, "--runs", str(runs), "--seconds", str(seconds)], env)


def cached_dataset(tickets: int) -> tuple[Path, Path]:
    """Return where the loaded SQLite database of `tickets` tickets and its summary are cached:
    one file per schema (as migrated, so an edit that leaves the schema alone keeps the cache)
    and version of the generator."""
    schema = schema_digest(migrated_template())
    generator = hashlib.sha256((BENCH / "dataset.py").read_bytes()).hexdigest()[:6]
    stem = f"dataset-{tickets}-seed{SEED}-{schema[:6]}{generator}"
    return WORK / f"{stem}.sqlite3", WORK / f"{stem}.json"


def upgrade_cached(tickets: int, database: Path, described: Path) -> bool:
    """Bring a dataset cached under an older schema up to date with `layan migrate`, as a real
    installation is upgraded, instead of generating it again. Kept only when the result has
    exactly the schema a fresh migration gives (not so when a migration was edited in place)."""
    generator = database.stem[-6:]
    for old in sorted(WORK.glob(f"dataset-{tickets}-seed{SEED}-*{generator}.sqlite3")):
        if old == database or not old.with_suffix(".json").exists():
            continue
        scratch = Path(tempfile.mkdtemp(prefix="layan-bench-upgrade-"))
        try:
            sqlite_copy(old, scratch / DATABASE_FILE)
            env = {**os.environ, "LAYAN_DATA_DIR": str(scratch), "LAYAN_LOG_LEVEL": "WARNING"}
            env["DJANGO_SETTINGS_MODULE"] = "layan.settings"
            env.pop("DATABASE_URL", None)
            layan(["migrate", "--verbosity", "0"], env)
            if schema_digest(scratch / DATABASE_FILE) != schema_digest(migrated_template()):
                continue
            sqlite_copy(scratch / DATABASE_FILE, database)
            described.write_text(old.with_suffix(".json").read_text())
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        prune(database)
        return True
    return False


@contextmanager
def loaded(tickets: int, *, cache: bool) -> Iterator[tuple[dict[str, str], dict[str, Any], str]]:
    """Yield an installation holding `tickets` generated tickets, its summary, and how it was
    obtained: "loaded" (generated now), "cached" (copied from bench/work), "upgraded" (an older
    cached copy migrated to the current schema) or "built" (generated now and cached)."""
    if not cache or db_label() != "sqlite":
        with installation() as env:
            yield env, load_into(env, tickets=tickets), "loaded"
        return
    database, described = cached_dataset(tickets)
    how = "cached"
    if not (database.exists() and described.exists()):
        how = "upgraded" if upgrade_cached(tickets, database, described) else "built"
    if how != "built":
        with installation(database) as env:
            yield env, json.loads(described.read_text()), how
        return
    with installation() as env:
        summary = load_into(env, tickets=tickets)
        # Cached before any request writes to it.
        sqlite_copy(Path(env["LAYAN_DATA_DIR"]) / DATABASE_FILE, database)
        described.write_text(json.dumps(summary))
        prune(database)
        yield env, summary, how


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="per HTTP scenario")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60, help="time limit per scenario")
    parser.add_argument("--runs", type=int, default=30, help="per in-process query")
    parser.add_argument("--only", nargs="*", help="run only these HTTP scenarios")
    parser.add_argument("--threads", type=int, default=4, help="per gunicorn worker")
    parser.add_argument("--no-http", action="store_true", help="only the in-process queries")
    parser.add_argument("--no-cache", action="store_true", help="generate the dataset afresh")
    parser.add_argument("--explain", type=Path, help="write the slowest statements' plans here")
    parser.add_argument("--in-process", metavar="SUMMARY", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.in_process:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
        import layan.wsgi  # set up as a web worker is, settled after loading  # noqa: F401

        summary = json.loads(options.in_process)
        print(json.dumps(queries_time(summary, runs=options.runs, seconds=options.seconds)))
        return
    started = time.perf_counter()
    with loaded(options.tickets, cache=not options.no_cache) as (env, summary, how):
        ready = time.perf_counter()
        http: dict[str, Any] = {}
        if not options.no_http:
            http = load_run(
                env,
                summary,
                requests=options.requests,
                concurrency=options.concurrency,
                seconds=options.seconds,
                only=set(options.only or ()),
                threads=options.threads,
            )
        served = time.perf_counter()
        measured = _in_process(env, summary, runs=options.runs, seconds=options.seconds)
        finished = time.perf_counter()
    if options.explain:
        lines = []
        for name, item in measured["plans"].items():
            sql = re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", item["sql"], count=1)
            lines += [f"== {name} ({measured['queries'][name]['slowest_sql_ms']} ms)", sql]
            lines += [*item["plan"], ""]
        options.explain.write_text("\n".join(lines))
    record(
        "read_paths",
        {
            "tickets": options.tickets,
            "entries": summary["entries"],
            "customers": summary["customers"],
            "dataset": how,
            "until": summary["until"],
            # Generating the dataset (when it was: `dataset` says), or copying the cached one.
            "load_seconds": round(ready - started, 1),
            "load_rows_per_s": summary["rows_per_s"],
            "http_seconds": round(served - ready, 1),
            "queries_seconds": round(finished - served, 1),
            "requests": options.requests,
            "concurrency": options.concurrency,
            **http,
            "in_process": measured["queries"],
        },
        db=db_label(),
    )


if __name__ == "__main__":
    main()
