import csv
import datetime as dt
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.translation import override

from layan.core.clock import clock_at
from layan.customers.models import Customer
from layan.customers.tests.factories import CustomerFactory
from layan.reports.fairness import Finding
from layan.reports.queries import (
    Period,
    fairness_for,
    fairness_tickets,
    sla_summaries,
    sla_summary,
)
from layan.sla.services import sla_refresh
from layan.sla.tests.factories import standard_setup
from layan.team.models import Role, User
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets import services as tickets
from layan.tickets.models import Ticket
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
# Five weeks without a holiday in Indonesia: 6 July to 7 August 2026.
MONDAY = datetime(2026, 7, 6, 8, 30, tzinfo=WIB)
PERIOD = Period(since=dt.date(2026, 7, 1), until=dt.date(2026, 8, 31))
QUERY = "since=2026-07-01&until=2026-08-31"
# A normal ticket's first reply is due within 2 working hours.
TARGETS = {
    "first_response": (30, 60, 120, 480),
    "next_response": (60, 60, 120, 240),
    "resolution": (480, 960, 960, 2400),
}


def answered(customer: Customer, *, opened: datetime, minutes: int, owner: User, team) -> Ticket:
    with clock_at(opened):
        ticket = make_ticket(customer=customer, team=team, owner=owner, subject=f"Order {minutes}")
    with clock_at(opened + timedelta(minutes=minutes)):
        tickets.ticket_reply(ticket=ticket, actor=owner, text="Baik, kami proses.")
    return ticket


@pytest.fixture
def business():
    """25 tickets each of a small and a key customer; the small one waits 3 h, the key 40 min."""
    standard_setup(table=TARGETS)
    agent = UserFactory(role=Role.AGENT)
    team = TeamFactory(name="Layanan", members=[agent])
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    small = CustomerFactory(name="Warung Kecil", revenue_tier="small", account_manager=rina)
    key = CustomerFactory(name="=HYPERLINK(1)", revenue_tier="key")
    made = []
    for day in range(25):
        opened = MONDAY + timedelta(days=7 * (day // 5) + day % 5)
        made.append(answered(small, opened=opened, minutes=180 + day, owner=agent, team=team))
        made.append(answered(key, opened=opened, minutes=40 + day, owner=agent, team=team))
    sla_refresh([t.pk for t in made], now=MONDAY + timedelta(days=60), alert=False)
    return {"agent": agent, "team": team, "rina": rina, "small": small, "key": key}


def test_fairness_flags_the_slower_tier_and_lists_its_tickets(business) -> None:
    section = fairness_for(
        Ticket.objects.all(), period=PERIOD, measure="first_response", grouping="tier"
    )
    groups = {group.group: group for group in section.report.groups}
    assert groups["small"].findings == (Finding.SLOWER, Finding.LOWER_SLA)
    # Working minutes: 180 + day, except Fridays' prayer break stops the clock at 180.
    assert groups["small"].median_seconds == 188 * 60
    assert groups["key"].findings == ()
    assert groups["small"].sla_met_percent == 0.0
    drill = fairness_tickets(
        Ticket.objects.all(),
        period=PERIOD,
        measure="first_response",
        grouping="tier",
        group="small",
    )
    assert len(drill) == 25 and drill[0].seconds == 203 * 60
    assert {row.customer for row in drill} == {"Warung Kecil"}


def test_sla_summary_counts_met_and_breached_per_group(business) -> None:
    by_team = sla_summary(Ticket.objects.all(), period=PERIOD, by="team")
    assert [(row.label, row.tickets) for row in by_team] == [("Layanan", 50)]
    assert by_team[0].met["first_response"] == 25
    assert by_team[0].first_response_percent == 50.0
    by_month = sla_summary(Ticket.objects.all(), period=PERIOD, by="month")
    assert [row.label for row in by_month] == ["2026-07", "2026-08"]
    assert sum(row.tickets for row in by_month) == 50
    earlier = Period(since=dt.date(2025, 1, 1), until=dt.date(2025, 12, 31))
    assert sla_summary(Ticket.objects.all(), period=earlier, by="priority") == []


def test_months_are_local_months_across_a_year_end() -> None:
    """A ticket opened at 00:30 on the 1st in Jakarta is in that month, though it is still
    the previous month in UTC; every month and every group is read from one scan."""
    team = TeamFactory(name="Malam")
    moments = [
        datetime(2025, 12, 31, 23, 30, tzinfo=WIB),
        datetime(2026, 1, 1, 0, 30, tzinfo=WIB),  # 31 December, 17:30 UTC
        datetime(2026, 1, 31, 23, 59, tzinfo=WIB),
        datetime(2026, 2, 1, 0, 0, tzinfo=WIB),
        datetime(2026, 3, 15, 12, 0, tzinfo=WIB),
    ]
    for number, moment in enumerate(moments):
        with clock_at(moment):
            make_ticket(subject=f"Malam {number}", team=team if number % 2 else None)
    period = Period(since=dt.date(2025, 12, 1), until=dt.date(2026, 3, 31))
    with override("en"):
        by_team, months = sla_summaries(Ticket.objects.all(), period=period, by="team")
    assert [(row.label, row.tickets) for row in months] == [
        ("2025-12", 1),
        ("2026-01", 2),
        ("2026-02", 1),
        ("2026-03", 1),
    ]
    assert sorted((row.label, row.tickets) for row in by_team) == [("Malam", 2), ("No team", 3)]
    assert sla_summary(Ticket.objects.all(), period=period, by="month") == months
    narrow = Period(since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 31))
    assert [
        (row.label, row.tickets)
        for row in sla_summary(Ticket.objects.all(), period=narrow, by="month")
    ] == [("2026-01", 2)]


def test_client_verdicts_are_a_grouping(business) -> None:
    """Customers judged Bad here are the slow ones: the verdict grouping shows it."""
    from layan.agreements.services import verdict_record
    from layan.customers.models import Customer

    manager = UserFactory(role=Role.MANAGER)
    for customer in Customer.objects.all():
        bad = customer.revenue_tier == "small"
        verdict_record(
            actor=manager,
            customer=customer,
            verdict="bad" if bad else "yes",
            reason="Revisi berulang di luar kesepakatan" if bad else "Klien yang baik",
        )
    section = fairness_for(
        Ticket.objects.all(), period=PERIOD, measure="first_response", grouping="verdict"
    )
    assert section is not None
    groups = {group.group: group for group in section.report.groups}
    assert set(groups) == {"bad", "yes"}
    assert Finding.SLOWER in groups["bad"].findings


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
@pytest.mark.parametrize("name", ["reports:sla", "reports:fairness", "reports:fairness_tickets"])
def test_reports_are_closed_to_agents_and_viewers(client: Client, role: str, name: str) -> None:
    client.force_login(UserFactory(role=role))
    assert client.get(reverse(name)).status_code == 403


def test_an_account_manager_sees_only_their_portfolio(client: Client, business) -> None:
    client.force_login(business["rina"])
    page = client.get(reverse("reports:fairness_tickets") + f"?{QUERY}&grouping=tier&group=")
    assert page.status_code == 200
    assert "Warung Kecil" in page.text and "HYPERLINK" not in page.text
    report = client.get(reverse("reports:sla") + f"?{QUERY}&by=priority&format=csv")
    rows = list(csv.DictReader(io.StringIO(report.content.decode())))
    assert [row["tickets"] for row in rows] == ["25"]


def test_a_manager_sees_the_fairness_warning_and_the_rule(client: Client, business) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    page = client.get(reverse("reports:fairness") + f"?{QUERY}")
    assert page.status_code == 200
    assert "fairness-warning" in page.text
    assert "Mann" in page.text and "Holm" in page.text
    assert 'data-group="small"' in page.text and "<svg" in page.text


def test_csv_exports_neutralise_formulas(client: Client, business) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get(
        reverse("reports:fairness_tickets") + f"?{QUERY}&grouping=tier&group=key&format=csv"
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 25
    assert {row["customer"] for row in rows} == {"'=HYPERLINK(1)"}
    fairness = client.get(reverse("reports:fairness") + f"?{QUERY}&format=csv")
    groups = {
        (r["grouping"], r["group"]) for r in csv.DictReader(io.StringIO(fairness.content.decode()))
    }
    assert ("tier", "small") in groups and ("kind", "external") in groups


@pytest.mark.parametrize(
    ("name", "query", "limit"),
    [
        ("reports:sla", "&by=owner", 8),
        ("reports:fairness", "", 10),
        ("reports:fairness_tickets", "&grouping=tier&group=small", 6),
    ],
)
def test_report_query_counts_are_pinned(
    client: Client, business, django_assert_max_num_queries, name: str, query: str, limit: int
) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    with django_assert_max_num_queries(limit):
        assert client.get(reverse(name) + f"?{QUERY}{query}").status_code == 200


@pytest.mark.parametrize(
    "query", ["since=nonsense", "since=2026-03-01&until=2026-02-01", "by=x", "measure=<b>"]
)
def test_malformed_report_queries_fall_back_to_defaults(client: Client, query: str) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    assert client.get(reverse("reports:sla") + f"?{query}").status_code == 200
    assert client.get(reverse("reports:fairness") + f"?{query}").status_code == 200


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_report_command_prints_every_format(business, fmt: str) -> None:
    out = io.StringIO()
    call_command(
        "report",
        "fairness",
        "--since",
        "2026-07-01",
        "--until",
        "2026-08-31",
        "--format",
        fmt,
        stdout=out,
    )
    text = out.getvalue()
    if fmt == "json":
        document = json.loads(text)
        tiers = next(s for s in document["sections"] if s["grouping"] == "tier")
        assert tiers["warnings"] == ["small"]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {row["group"] for row in rows if row["grouping"] == "tier"} == {
            "small",
            "key",
            "(all)",
        }
    else:
        assert "WARNING: tier small" in text
    sla = io.StringIO()
    call_command(
        "report", "sla", "--since", "2026-07-01", "--by", "priority", "--format", fmt, stdout=sla
    )
    assert "normal" in sla.getvalue() or "Normal" in sla.getvalue()
