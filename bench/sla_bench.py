"""SLA at scale: evaluate 100,000 tickets, the periodic scan, and the fairness report.

Runs on a scratch SQLite database (default; a copy of the migrated template in bench/work,
removed afterwards) or on PostgreSQL when DATABASE_URL is set (a database of its own,
`layan_bench_<random>`, is created beside the one named and dropped afterwards). Tickets and their logbook
entries are bulk-inserted (the services would take hours for 100,000), with a history shaped
like the demo's: a first reply, sometimes a wait on the customer and an answer, mostly resolved.

Prints one JSON line and appends it to bench/results.jsonl.

    .venv/bin/python bench/sla_bench.py [--tickets 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/layan .venv/bin/python bench/sla_bench.py
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from common import DATABASE_FILE, db_label, migrated_template, record, sqlite_copy  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
SCRATCH: Path | None = None
DATABASE = ""  # the PostgreSQL database this run creates and drops
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    DATABASE = f"layan_bench_{os.urandom(4).hex()}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    os.environ["DATABASE_URL"] = f"{os.environ['DATABASE_URL'].rpartition('/')[0]}/{DATABASE}"
elif not os.environ.get("DATABASE_URL"):
    SCRATCH = Path(tempfile.mkdtemp(prefix="layan-sla-bench-"))
    os.environ["LAYAN_DATA_DIR"] = str(SCRATCH)
    sqlite_copy(migrated_template(), SCRATCH / DATABASE_FILE)
os.environ.setdefault("LAYAN_LOG_LEVEL", "ERROR")


def cleanup() -> None:
    """Drop this run's database or data directory (also at exit, whatever stopped the run)."""
    from django.db import connections

    connections.close_all()
    if DATABASE:
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE], check=False
        )
    if SCRATCH is not None:
        shutil.rmtree(SCRATCH, ignore_errors=True)


atexit.register(cleanup)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Warnings are mailed too; the bench keeps them in memory instead of reaching for SMTP.
settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402

JAKARTA = ZoneInfo("Asia/Jakarta")
SEED = 2026
TIERS = [("small", 0.45), ("medium", 0.25), ("large", 0.2), ("key", 0.1)]
PRIORITIES = [("normal", 0.6), ("high", 0.2), ("low", 0.12), ("urgent", 0.08)]
BATCH = 5000


def pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in table], weights=[w for _, w in table])[0]


def insert_rows(model: type, columns: list[str], rows: list[tuple]) -> None:
    """INSERT many rows with one prepared statement (Django's bulk_create is 10x slower here).

    Columns not given get their field's default, so fields added later need no change here.
    """
    given = set(columns)
    defaults = [
        field
        for field in model._meta.concrete_fields
        if field.column not in given and not field.primary_key and not field.null
    ]
    extra = tuple(field.get_db_prep_save(field.get_default(), connection) for field in defaults)
    quote = connection.ops.quote_name
    names = [*columns, *(field.column for field in defaults)]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(column) for column in names),
        ", ".join(["%s"] * len(names)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [row + extra for row in rows])


def populate(count: int, *, now: datetime) -> None:
    """Insert staff, customers, tickets and their logbook entries in bulk."""
    from django.core.management.color import no_style
    from django.db import transaction

    from layan.customers.models import Contact, Customer
    from layan.logbook.models import Chain, Entry
    from layan.sla.calendars import INDONESIAN_OFFICE_HOURS
    from layan.sla.demo import STANDARD, targets_table
    from layan.sla.models import Policy
    from layan.sla.services import calendar_save, policy_save
    from layan.team.models import Role, Team, User
    from layan.tickets.models import Ticket

    rng = random.Random(SEED)
    calendar_save(
        actor=None,
        name="Jakarta",
        zone="Asia/Jakarta",
        hours=INDONESIAN_OFFICE_HOURS,
        is_default=True,
    )
    policy_save(
        actor=None,
        policy=Policy.objects.filter(is_default=True).first(),
        name="Standar",
        is_default=True,
        targets=targets_table(STANDARD),
    )
    manager = User.objects.create(username="manager", role=Role.MANAGER, email="m@layan.test")
    agents = User.objects.bulk_create(
        User(username=f"agent{n}", role=Role.AGENT, email=f"a{n}@layan.test") for n in range(20)
    )
    teams = [Team.objects.create(name=f"Team {n}", manager=manager) for n in range(3)]
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"Customer {n}",
            revenue_tier=pick(rng, TIERS),
            kind="internal" if n % 12 == 0 else "external",
        )
        for n in range(400)
    )
    contacts = Contact.objects.bulk_create(Contact(name=f"Contact {n}") for n in range(400))
    adapt = connection.ops.adapt_datetimefield_value
    counter = iter(range(1, 10**12))

    def fake_hash() -> str:
        return f"{next(counter):064x}"

    for start in range(0, count, BATCH):
        chains, tickets, entries = [], [], []
        for number in range(start + 1, min(start + BATCH, count) + 1):
            index = rng.randrange(len(customers))
            customer, contact = customers[index], contacts[index]
            created = office_moment(rng, now=now)
            slow = 2.6 if customer.revenue_tier == "small" and customer.kind == "external" else 1
            history, status, moment = history_of(rng, created=created, now=now, slow=slow)
            chains.append((number, str(1000 + number), len(history), "0" * 64, 0, adapt(now)))
            tickets.append(
                (
                    number,
                    1000 + number,
                    f"Bench ticket {number}",
                    customer.pk,
                    contact.pk,
                    agents[rng.randrange(len(agents))].pk,
                    teams[rng.randrange(len(teams))].pk,
                    status,
                    pick(rng, PRIORITIES),
                    "question",
                    "email",
                    number,
                    1,
                    adapt(created),
                    adapt(created + moment),
                    1,
                )
            )
            for seq, (kind, direction, offset, data) in enumerate(history, start=1):
                at = adapt(created + offset)
                entries.append(
                    (
                        number,
                        seq,
                        fake_hash(),
                        fake_hash(),
                        kind,
                        direction,
                        "email",
                        "system",
                        at,
                        at,
                        "",
                        "",
                        "",
                        "",
                        fake_hash(),
                        json.dumps(data),
                        "",
                        False,
                    )
                )
        with transaction.atomic():
            insert_rows(
                Chain,
                ["id", "label", "head_seq", "head_hash", "checkpointed_seq", "updated_at"],
                chains,
            )
            insert_rows(
                Ticket,
                [
                    "id",
                    "reference",
                    "subject",
                    "customer_id",
                    "requester_id",
                    "owner_id",
                    "team_id",
                    "status",
                    "priority",
                    "category",
                    "channel",
                    "chain_id",
                    "version",
                    "created_at",
                    "updated_at",
                    "message_count",
                ],
                tickets,
            )
            insert_rows(
                Entry,
                [
                    "chain_id",
                    "seq",
                    "prev_hash",
                    "body_hash",
                    "kind",
                    "direction",
                    "channel",
                    "actor",
                    "occurred_at",
                    "recorded_at",
                    "subject",
                    "text",
                    "html",
                    "content_salt",
                    "content_sha256",
                    "data",
                    "external_id",
                    "redacted",
                ],
                entries,
            )
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Chain, Ticket]):
            cursor.execute(statement)


def office_moment(rng: random.Random, *, now: datetime) -> datetime:
    """Return a moment in the last 180 days, on a weekday between 08:00 and 17:00 in Jakarta,
    when customers mostly write."""
    while True:
        day = (now - timedelta(days=rng.randrange(0, 180))).astimezone(JAKARTA).date()
        moment = datetime.combine(day, datetime.min.time(), tzinfo=JAKARTA) + timedelta(
            minutes=rng.randrange(8 * 60, 17 * 60)
        )
        if day.weekday() < 5 and moment < now:
            return moment.astimezone(UTC)


def history_of(
    rng: random.Random, *, created: datetime, now: datetime, slow: float
) -> tuple[list[tuple[str, str, timedelta, dict[str, str]]], str, timedelta]:
    """Return a ticket's entries (kind, direction, offset, data), final status, last offset."""
    history: list[tuple[str, str, timedelta, dict[str, str]]] = [
        ("created", "internal", timedelta(0), {}),
        ("message", "in", timedelta(0), {}),
    ]
    moment = timedelta(minutes=slow * rng.lognormvariate(3.9, 0.8))
    status = "open"
    if created + moment >= now:
        return history, status, timedelta(0)
    history.append(("reply", "out", moment, {}))
    roll = rng.random()
    if roll < 0.25:
        moment += timedelta(minutes=5)
        history.append(("status", "internal", moment, {"from": "open", "to": "waiting_customer"}))
        status = "waiting_customer"
        moment += timedelta(minutes=rng.randrange(20, 3000))
        if created + moment >= now:
            return history, status, moment
        history.append(("message", "in", moment, {}))
        history.append(("status", "internal", moment, {"from": "waiting_customer", "to": "open"}))
        status = "open"
        moment += timedelta(minutes=slow * rng.lognormvariate(4.2, 0.9))
        if created + moment >= now:
            return history, status, moment
        history.append(("reply", "out", moment, {}))
    if roll < 0.85:
        moment += timedelta(minutes=rng.randrange(10, 2000))
        if created + moment < now:
            history.append(("status", "internal", moment, {"from": "open", "to": "resolved"}))
            status = "resolved"
    return history, status, moment


def timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()

    from layan.reports.queries import GROUPINGS, Period, fairness_for, sla_summary
    from layan.sla.models import TicketSla
    from layan.sla.services import sla_recompute, sla_scan
    from layan.tickets.models import Ticket

    # Notices link to tickets: resolve the URLconf now rather than halfway through the run.
    reverse("tickets:inbox")
    try:
        # On SQLite nothing to do unless the template is stale.
        call_command("migrate", verbosity=0)
        now = datetime.now(UTC).replace(microsecond=0)
        _, insert_s = timed(populate, args.tickets, now=now)
        evaluated, evaluate_s = timed(sla_recompute, now=now, only_active=False, alert=False)
        # A day later: every warning and breach of one working day, as after a scheduler outage.
        later = now + timedelta(days=1)
        due = TicketSla.objects.filter(next_change_at__lte=later).count()
        scanned, scan_s = timed(sla_scan, now=later)
        idle, idle_s = timed(sla_scan, now=later + timedelta(seconds=5))
        period = Period(since=(now - timedelta(days=181)).date(), until=now.date())
        tickets = Ticket.objects.all()
        sections = {}
        fairness_s = 0.0
        for grouping in GROUPINGS:
            section, seconds = timed(
                fairness_for, tickets, period=period, measure="first_response", grouping=grouping
            )
            fairness_s += seconds
            if section is not None:
                sections[grouping] = [g.group for g in section.report.warnings]
        _, summary_s = timed(sla_summary, tickets, period=period, by="team")
        figures = {
            "tickets": args.tickets,
            "insert_s": round(insert_s, 1),
            "evaluate_all_s": round(evaluate_s, 1),
            "evaluate_per_s": round(evaluated.evaluated / evaluate_s),
            "scan_due_tickets": due,
            "scan_s": round(scan_s, 2),
            "scan_notified": scanned.notified,
            "scan_idle_ms": round(idle_s * 1000, 1),
            "fairness_first_response_s": round(fairness_s, 2),
            "sla_summary_by_team_ms": round(summary_s * 1000, 1),
            "fairness_warnings": sections,
        }
        from layan.logbook.models import Entry

        figures["entries"] = Entry.objects.count()
        assert idle.evaluated == 0
    finally:
        cleanup()
    record("sla", figures, db=db_label())


if __name__ == "__main__":
    main()
