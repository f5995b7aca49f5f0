"""The complaint playbook report, on complaints whose stage times are known to the minute."""

import csv
import datetime as dt
import importlib
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from layan.core.clock import clock_at
from layan.customers.tests.factories import ContactFactory, CustomerFactory, MembershipFactory
from layan.reports.queries import Period, playbook_report
from layan.team.models import Role, User
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets import services
from layan.tickets.models import StageSpell, Ticket
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2026, 7, 6, 9, 0, tzinfo=WIB)
PERIOD = Period(since=dt.date(2026, 7, 1), until=dt.date(2026, 7, 31))
QUERY = "since=2026-07-01&until=2026-07-31"
HOUR = 3600.0
backfill_migration = importlib.import_module("layan.tickets.migrations.0005_stage_spell_backfill")


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def stage(ticket: Ticket, actor: User, name: str, hours: float) -> None:
    with clock_at(at(hours)):
        services.ticket_stage_set(ticket=ticket, actor=actor, stage=name)


def assess(ticket: Ticket, actor: User, fault: str, hours: float) -> None:
    with clock_at(at(hours)):
        services.ticket_fault_assess(ticket=ticket, actor=actor, fault=fault, note="Sudah dicek.")


def set_status(ticket: Ticket, actor: User, status: str, hours: float) -> None:
    ticket.refresh_from_db()
    with clock_at(at(hours)):
        services.ticket_update(ticket=ticket, actor=actor, version=ticket.version, status=status)


@pytest.fixture
def playbook() -> dict[str, object]:
    """Three complaints in July and one in June, with these stays (hours) in each stage:

    full (small tier): listen 1, clarify 2, explain 3, options 4, resolve 5, reconcile 1,
        then resolved: the reconcile stay ends at the resolution.
    waiting (key tier): listen 2, clarify 4, options since then (explain skipped), still open.
    reopened (small tier): a question that became a complaint; listen 3, clarify 1,
        resolve 2 until resolved (explain and options skipped); the customer wrote again,
        so it is open again and still in Resolve.
    """
    agent = UserFactory(role=Role.AGENT, first_name="Budi", last_name="Santoso")
    other = UserFactory(role=Role.AGENT, first_name="Wati", last_name="Lestari")
    team = TeamFactory(name="Layanan", members=[agent, other])
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    small = CustomerFactory(name="Warung Kecil", revenue_tier="small", account_manager=rina)
    key = CustomerFactory(name="PT Besar", revenue_tier="key")

    with clock_at(at(0)):
        full = make_ticket(customer=small, team=team, owner=agent, category="complaint")
    for name, hours in [("clarify", 1), ("explain", 3), ("options", 6)]:
        stage(full, agent, name, hours)
    assess(full, agent, "customer", 9)
    stage(full, agent, "resolve", 10)
    stage(full, agent, "reconcile", 15)
    set_status(full, agent, "resolved", 16)

    with clock_at(at(24)):
        waiting = make_ticket(customer=key, team=team, owner=other, category="complaint")
    stage(waiting, other, "clarify", 26)
    stage(waiting, other, "options", 30)

    with clock_at(at(48)):
        reopened = make_ticket(customer=small, team=team, owner=agent, category="question")
    with clock_at(at(49)):
        services.ticket_update(
            ticket=reopened, actor=agent, version=reopened.version, category="complaint"
        )
    stage(reopened, agent, "clarify", 52)
    assess(reopened, agent, "ours", 52.5)
    stage(reopened, agent, "resolve", 53)
    set_status(reopened, agent, "resolved", 55)
    with clock_at(at(72)):
        services.ticket_message_add(
            ticket=reopened, contact=reopened.requester, text="Masih salah, mohon dicek lagi."
        )

    with clock_at(at(-30 * 24)):
        make_ticket(customer=small, team=team, owner=agent, category="complaint")  # June
    with clock_at(at(5)):
        make_ticket(customer=small, team=team, owner=agent, category="question")
    return {"agent": agent, "other": other, "team": team, "rina": rina}


@pytest.mark.parametrize(
    ("name", "complaints", "timed", "median_hours", "p90_hours", "current", "skipped"),
    [
        ("listen", 3, 3, 2.0, 2.8, 0, 0),
        ("clarify", 3, 3, 2.0, 3.6, 0, 0),
        ("explain", 1, 1, 3.0, 3.0, 0, 2),
        ("options", 2, 1, 4.0, 4.0, 1, 1),
        ("resolve", 2, 1, 5.0, 5.0, 1, 0),
        ("reconcile", 1, 1, 1.0, 1.0, 0, 0),
    ],
)
def test_stage_times_count_each_stay_until_the_next_stage_or_the_resolution(
    playbook, name, complaints, timed, median_hours, p90_hours, current, skipped
) -> None:
    report = playbook_report(Ticket.objects.all(), period=PERIOD, by="team")
    row = next(row for row in report.stages if row.stage == name)
    assert (row.complaints, row.timed, row.current, row.skipped) == (
        complaints,
        timed,
        current,
        skipped,
    )
    assert row.median_seconds == pytest.approx(median_hours * HOUR)
    assert row.p90_seconds == pytest.approx(p90_hours * HOUR)


def test_the_longest_wait_in_a_stage_is_dated_from_entering_it(playbook) -> None:
    report = playbook_report(Ticket.objects.all(), period=PERIOD, by="team")
    waiting = {row.stage: row.waiting_since for row in report.stages}
    assert waiting["options"] == at(30)
    assert waiting["resolve"] == at(53)
    assert waiting["listen"] is None


@pytest.mark.parametrize(
    ("by", "group", "stage_name", "median_hours", "timed"),
    [
        ("tier", "small", "listen", 2.0, 2),
        ("tier", "key", "listen", 2.0, 1),
        ("tier", "small", "clarify", 1.5, 2),
        ("tier", "key", "options", None, 0),
        ("owner", "Budi Santoso", "resolve", 5.0, 1),
        ("owner", "Wati Lestari", "clarify", 4.0, 1),
    ],
)
def test_stage_times_per_group(playbook, by, group, stage_name, median_hours, timed) -> None:
    report = playbook_report(Ticket.objects.all(), period=PERIOD, by=by)
    row = next(row for row in report.groups if group in (row.key, row.label))
    assert row.timed[stage_name] == timed
    expected = None if median_hours is None else pytest.approx(median_hours * HOUR)
    assert row.median_seconds[stage_name] == expected


def test_outcomes_count_resolution_reconcile_reopening_and_fault(playbook) -> None:
    report = playbook_report(Ticket.objects.all(), period=PERIOD, by="tier")
    rows = {row.key: row for row in report.outcomes}
    small, key = rows["small"], rows["key"]
    assert (small.complaints, small.done, small.active) == (2, 1, 1)
    assert (small.reconciled, small.reopened) == (1, 1)
    assert small.faults == {
        "undetermined": 0,
        "ours": 1,
        "customer": 1,
        "third_party": 0,
        "": 0,
    }
    assert (key.complaints, key.done, key.reconciled, key.reopened) == (1, 0, 0, 0)
    assert key.faults[""] == 1


def test_a_complaint_opened_outside_the_period_is_left_out(playbook) -> None:
    june = Period(since=dt.date(2026, 6, 1), until=dt.date(2026, 6, 30))
    report = playbook_report(Ticket.objects.all(), period=june, by="team")
    assert [(row.label, row.complaints, row.active) for row in report.outcomes] == [
        ("Layanan", 1, 1)
    ]
    assert [(row.stage, row.current) for row in report.stages if row.complaints] == [("listen", 1)]


# --- The page ---------------------------------------------------------------------------------


def test_a_manager_sees_the_stage_table_and_the_chart(client: Client, playbook) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    page = client.get(reverse("reports:playbook") + f"?{QUERY}&by=tier")
    assert page.status_code == 200
    assert 'data-stage="reconcile"' in page.text and "<svg" in page.text
    assert "Warung" not in page.text  # grouped by tier: the labels are tiers
    assert page.context["total"].complaints == 3


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_the_playbook_report_is_closed_to_agents_and_viewers(client: Client, role: str) -> None:
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("reports:playbook")).status_code == 403


def test_an_account_manager_sees_only_their_portfolio(client: Client, playbook) -> None:
    client.force_login(playbook["rina"])
    response = client.get(reverse("reports:playbook") + f"?{QUERY}&by=tier&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["complaints"] for row in rows] == ["2", "2"]  # the small tier, then the total


def test_the_csv_has_outcomes_and_hours_per_stage(client: Client, playbook) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get(reverse("reports:playbook") + f"?{QUERY}&by=owner&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = {row["group"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert len(rows) == 3
    total = list(rows.values())[-1]
    assert (total["complaints"], total["reopened"], total["reached_reconcile"]) == ("3", "1", "1")
    assert (total["listen_median_hours"], total["clarify_p90_hours"]) == ("2.0", "3.6")
    assert rows["Wati Lestari"]["options_timed"] == "0"
    assert rows["Wati Lestari"]["options_median_hours"] == ""


def test_the_playbook_report_query_count_is_pinned(
    client: Client, playbook, django_assert_num_queries
) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    # session, user, outcomes, stage counts, stage times (two on PostgreSQL), skipped stages,
    # owners' names, notifications
    expected = 9 if connection.vendor == "postgresql" else 8
    with django_assert_num_queries(expected):
        assert client.get(reverse("reports:playbook") + f"?{QUERY}&by=owner").status_code == 200


@pytest.mark.parametrize("by", ["owner", "team", "tier"])
def test_the_query_count_does_not_grow_with_complaints_or_groups(
    client: Client, playbook, by: str
) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    url = reverse("reports:playbook") + f"?{QUERY}&by={by}"
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for index, tier in enumerate(["medium", "large", "key", "small"]):
        owner = UserFactory(role=Role.AGENT)
        team = TeamFactory(members=[owner])
        with clock_at(at(100 + index)):
            ticket = make_ticket(
                customer=CustomerFactory(revenue_tier=tier),
                team=team,
                owner=owner,
                category="complaint",
            )
        stage(ticket, owner, "clarify", 101 + index)
        assess(ticket, owner, "customer", 102 + index)
        stage(ticket, owner, "resolve", 103 + index)
    with CaptureQueriesContext(connection) as after:
        page = client.get(url)
    assert page.context["total"].complaints == 7
    assert len(after.captured_queries) == len(before.captured_queries)


def test_a_complaint_reconciled_after_its_resolution_has_no_reconcile_time(playbook) -> None:
    """Resolved first, then moved to Reconcile: Resolve runs until Reconcile starts; the
    Reconcile stay starts after the resolution, so it is neither timed nor waiting."""
    agent = playbook["agent"]
    with clock_at(at(200)):
        ticket = make_ticket(category="complaint", owner=agent)
    assess(ticket, agent, "customer", 201)
    stage(ticket, agent, "resolve", 202)
    set_status(ticket, agent, "resolved", 204)
    stage(ticket, agent, "reconcile", 206)
    report = playbook_report(Ticket.objects.filter(pk=ticket.pk), period=PERIOD, by="team")
    rows = {row.stage: row for row in report.stages}
    assert (rows["resolve"].timed, rows["resolve"].median_seconds) == (1, 4 * HOUR)
    assert (rows["reconcile"].complaints, rows["reconcile"].timed) == (1, 0)
    assert rows["reconcile"].current == 0 and rows["reconcile"].median_seconds is None
    assert (report.total.done, report.total.active, report.total.reconciled) == (1, 0, 1)
    assert [row.skipped for row in report.stages] == [0, 1, 1, 1, 0, 0]


def test_a_period_without_complaints_shows_empty_tables(client: Client) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    with clock_at(at(0)):
        make_ticket(category="question")
    page = client.get(reverse("reports:playbook") + f"?{QUERY}")
    assert page.status_code == 200
    report = page.context["report"]
    assert (report.outcomes, report.groups, page.context["total"].complaints) == ([], [], 0)
    assert all(
        (row.complaints, row.timed, row.current, row.median_seconds) == (0, 0, 0, None)
        for row in report.stages
    )
    assert 'colspan="11"' in page.text and 'colspan="7"' in page.text  # the empty-table rows
    assert 'class="overall"' not in page.text


def test_a_question_that_stopped_being_a_complaint_leaves_the_report(playbook) -> None:
    agent = playbook["agent"]
    with clock_at(at(300)):
        ticket = make_ticket(category="complaint", owner=agent)
    before = playbook_report(Ticket.objects.all(), period=PERIOD, by="team").total.complaints
    ticket.refresh_from_db()
    with clock_at(at(301)):
        services.ticket_update(
            ticket=ticket, actor=agent, version=ticket.version, category="question"
        )
    after = playbook_report(Ticket.objects.all(), period=PERIOD, by="team").total.complaints
    assert (before, after) == (4, 3)


@pytest.mark.parametrize("query", ["since=nonsense", "by=x", "since=2026-03-01&until=2026-02-01"])
def test_malformed_queries_fall_back_to_defaults(client: Client, query: str) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    assert client.get(reverse("reports:playbook") + f"?{query}").status_code == 200


# --- The read model -------------------------------------------------------------------------


def spells(ticket: Ticket) -> list[tuple[str, datetime, datetime | None]]:
    return list(
        StageSpell.objects.filter(ticket=ticket)
        .order_by("entered_at", "pk")
        .values_list("stage", "entered_at", "left_at")
    )


def test_services_write_a_spell_per_stage_and_end_the_one_before() -> None:
    agent = UserFactory(role=Role.AGENT)
    with clock_at(at(0)):
        ticket = make_ticket(category="complaint")
    stage(ticket, agent, "clarify", 1)
    stage(ticket, agent, "clarify", 2)  # already there: nothing changes
    stage(ticket, agent, "listen", 3)  # back a step
    assert spells(ticket) == [
        ("listen", at(0), at(1)),
        ("clarify", at(1), at(3)),
        ("listen", at(3), None),
    ]
    assert StageSpell.objects.get(ticket=ticket, left_at=None).entered_by == agent


def test_a_ticket_that_becomes_a_complaint_starts_listening_then() -> None:
    agent = UserFactory(role=Role.AGENT)
    with clock_at(at(0)):
        ticket = make_ticket(category="question")
    assert spells(ticket) == []
    with clock_at(at(2)):
        services.ticket_update(
            ticket=ticket, actor=agent, version=ticket.version, category="complaint"
        )
    assert spells(ticket) == [("listen", at(2), None)]


def all_spells() -> list[tuple[int, str, datetime, datetime | None, int | None]]:
    return list(
        StageSpell.objects.order_by("ticket_id", "entered_at", "pk").values_list(
            "ticket_id", "stage", "entered_at", "left_at", "entered_by_id"
        )
    )


def test_the_backfill_rebuilds_from_the_logbook_the_spells_the_services_wrote(playbook) -> None:
    agent = playbook["agent"]
    customer = CustomerFactory()
    contact = ContactFactory()
    MembershipFactory(contact=contact, customer=customer)
    with clock_at(at(90)):  # a phone complaint: the agent who logged it starts Listen
        logged, _entry = services.ticket_open(
            actor=agent,
            customer=customer,
            requester=contact,
            subject="Telepon",
            category="complaint",
        )
    assert StageSpell.objects.get(ticket=logged).entered_by == agent
    written = all_spells()
    assert len(written) == 14
    assert {spell[4] for spell in written if spell[1] != "listen"} == {
        playbook["agent"].pk,
        playbook["other"].pk,
    }
    StageSpell.objects.all().delete()
    backfill_migration.backfill(apps, None)
    assert all_spells() == written
    backfill_migration.remove(apps, None)
    assert not StageSpell.objects.exists()
