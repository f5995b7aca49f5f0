"""The satisfaction report, on surveys whose answers are known."""

import csv
import datetime as dt
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from layan.core.clock import clock_at
from layan.customers.models import Customer
from layan.customers.tests.factories import CustomerFactory
from layan.reports.queries import (
    Period,
    report_surveys_for,
    satisfaction_lowest,
    satisfaction_summary,
    satisfaction_total,
)
from layan.team.models import Role, Team, User
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets import services
from layan.tickets.models import Survey
from layan.tickets.satisfaction import (
    survey_answer,
    survey_consent,
    survey_consent_revoke,
    survey_create,
)
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
START = datetime(2026, 7, 6, 9, 0, tzinfo=WIB)
PERIOD = Period(since=dt.date(2026, 7, 1), until=dt.date(2026, 7, 31))
QUERY = "since=2026-07-01&until=2026-07-31"


def surveyed(
    *,
    customer: Customer,
    owner: User,
    team: Team,
    day: int,
    category: str = "question",
    rating: int | None = None,
    comment: str = "",
    consent: str = "",
) -> Survey:
    """Resolve a ticket on `day` of July, send its survey and record the customer's answer."""
    moment = START + timedelta(days=day)
    with clock_at(moment):
        ticket = make_ticket(customer=customer, team=team, owner=owner, category=category)
        if category == "complaint":
            services.ticket_fault_assess(
                ticket=ticket, actor=owner, fault="ours", note="Salah kirim."
            )
        services.ticket_update(
            ticket=ticket, actor=owner, version=ticket.version, status="resolved"
        )
        ticket.refresh_from_db()
        created = survey_create(ticket=ticket)
    assert created is not None
    survey = created[0]
    if rating is not None:
        with clock_at(moment + timedelta(hours=3)):
            survey = survey_answer(survey=survey, rating=rating, comment=comment)
            if consent:
                survey = survey_consent(survey=survey, given=consent != "declined")
            if consent == "revoked":
                survey = survey_consent_revoke(survey=survey)
    return survey


@pytest.fixture
def answers() -> dict[str, object]:
    """Six surveys in July (ratings 5, 5, 4, 2, 1 and one unanswered) and one in June.

    Budi (team Layanan) handled the questions of a small customer, Wati (team Produksi) the
    complaints of a key customer.
    """
    budi = UserFactory(role=Role.AGENT, first_name="Budi", last_name="Santoso")
    wati = UserFactory(role=Role.AGENT, first_name="Wati", last_name="Lestari")
    layanan = TeamFactory(name="Layanan", members=[budi])
    produksi = TeamFactory(name="Produksi", members=[wati])
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    small = CustomerFactory(name="Warung Kecil", revenue_tier="small", account_manager=rina)
    key = CustomerFactory(name="PT Besar", revenue_tier="key")
    mine = {"customer": small, "owner": budi, "team": layanan}
    theirs = {"customer": key, "owner": wati, "team": produksi, "category": "complaint"}
    surveyed(**mine, day=0, rating=5, comment="Cepat sekali!", consent="given")
    surveyed(**mine, day=1, rating=5, comment="Ramah.", consent="revoked")
    surveyed(**mine, day=2, rating=4, comment="Baik.", consent="declined")
    surveyed(**theirs, day=3, rating=2, comment="Lama dibalas.")
    surveyed(**theirs, day=4, rating=1, comment="Barang rusak, tidak diganti.")
    surveyed(**mine, day=5)
    surveyed(**mine, day=-20, rating=1, comment="Juni")
    return {"budi": budi, "wati": wati, "rina": rina}


def test_the_totals_count_sent_answered_ratings_and_consent(answers) -> None:
    total = satisfaction_total(
        satisfaction_summary(Survey.objects.all(), period=PERIOD, by="owner")
    )
    assert (total.sent, total.answered) == (6, 5)
    assert total.response_percent == 83.3
    assert total.average_rating == 3.4
    assert total.csat_percent == 60.0
    assert total.rating_counts == [1, 1, 0, 1, 2]
    assert total.consent_counts == [1, 1, 1]  # given, declined, revoked


@pytest.mark.parametrize(
    ("by", "key", "sent", "answered", "average", "csat"),
    [
        ("team", "Layanan", 4, 3, 4.67, 100.0),
        ("team", "Produksi", 2, 2, 1.5, 0.0),
        ("category", "question", 4, 3, 4.67, 100.0),
        ("category", "complaint", 2, 2, 1.5, 0.0),
        ("owner", "Wati Lestari", 2, 2, 1.5, 0.0),
    ],
)
def test_each_grouping_splits_the_surveys(answers, by, key, sent, answered, average, csat) -> None:
    rows = satisfaction_summary(Survey.objects.all(), period=PERIOD, by=by)
    row = next(row for row in rows if key in (row.key, row.label))
    assert (row.sent, row.answered, row.average_rating, row.csat_percent) == (
        sent,
        answered,
        average,
        csat,
    )


def test_the_lowest_answers_come_first_with_their_comment(answers) -> None:
    manager = UserFactory(role=Role.MANAGER)
    lowest = satisfaction_lowest(Survey.objects.all(), period=PERIOD, viewer=manager, limit=3)
    assert [(answer.rating, answer.comment) for answer in lowest] == [
        (1, "Barang rusak, tidak diganti."),
        (2, "Lama dibalas."),
        (4, "Baik."),
    ]
    assert all(answer.reference for answer in lowest)
    assert lowest[0].owner == "Wati Lestari"


def test_a_ticket_the_reader_may_not_open_is_not_linked(answers) -> None:
    """Budi's team cannot see Wati's tickets: her answers show without reference or subject."""
    lowest = satisfaction_lowest(Survey.objects.all(), period=PERIOD, viewer=answers["budi"])
    hidden = [answer for answer in lowest if answer.reference is None]
    assert sorted(answer.rating for answer in hidden) == [1, 2]
    assert all(answer.subject == "" for answer in hidden)


def test_an_account_manager_covers_only_their_portfolio(answers) -> None:
    surveys = report_surveys_for(answers["rina"])
    total = satisfaction_total(satisfaction_summary(surveys, period=PERIOD, by="owner"))
    assert (total.sent, total.answered, total.rating_counts) == (4, 3, [0, 0, 0, 1, 2])
    assert report_surveys_for(answers["budi"]).count() == 0


# --- The page ---------------------------------------------------------------------------------


def test_a_manager_sees_the_figures_the_chart_and_the_low_answers(client: Client, answers) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    page = client.get(reverse("reports:satisfaction") + f"?{QUERY}&by=team")
    assert page.status_code == 200
    assert "<svg" in page.text and "Barang rusak, tidak diganti." in page.text
    assert "Juni" not in page.text
    assert page.context["total"].csat_percent == 60.0


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_the_satisfaction_report_is_closed_to_agents_and_viewers(client: Client, role: str) -> None:
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("reports:satisfaction")).status_code == 403


def test_an_account_manager_page_leaves_other_customers_out(client: Client, answers) -> None:
    client.force_login(answers["rina"])
    page = client.get(reverse("reports:satisfaction") + f"?{QUERY}")
    assert page.status_code == 200
    assert "Cepat sekali!" in page.text and "Barang rusak" not in page.text


def test_the_csv_has_one_row_per_group_and_the_total(client: Client, answers) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get(reverse("reports:satisfaction") + f"?{QUERY}&by=category&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["sent"], row["answered"], row["rating_5"]) for row in rows] == [
        ("2", "2", "0"),  # complaints
        ("4", "3", "2"),  # questions
        ("6", "5", "2"),  # all
    ]
    assert rows[-1]["testimonial_revoked"] == "1" and rows[-1]["csat_percent"] == "60.0"


def test_the_satisfaction_report_query_count_is_pinned(
    client: Client, answers, django_assert_num_queries
) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    # session, user, summary, owners' names, lowest answers, their visibility, notifications
    with django_assert_num_queries(7):
        page = client.get(reverse("reports:satisfaction") + f"?{QUERY}&by=owner")
        assert page.status_code == 200


@pytest.mark.parametrize("by", ["owner", "team", "category"])
def test_the_query_count_does_not_grow_with_surveys_or_groups(
    client: Client, answers, by: str
) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    url = reverse("reports:satisfaction") + f"?{QUERY}&by={by}"
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for day, category in enumerate(["request", "complaint", "question"], start=6):
        owner = UserFactory(role=Role.AGENT)
        team = TeamFactory(members=[owner])
        surveyed(
            customer=CustomerFactory(),
            owner=owner,
            team=team,
            day=day,
            category=category,
            rating=3,
            comment="Lumayan.",
        )
    with CaptureQueriesContext(connection) as after:
        page = client.get(url)
    assert (page.context["total"].sent, page.context["total"].answered) == (9, 8)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_a_period_without_surveys_shows_empty_figures(client: Client) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    page = client.get(reverse("reports:satisfaction") + f"?{QUERY}")
    assert page.status_code == 200
    total = page.context["total"]
    assert (page.context["rows"], page.context["lowest"]) == ([], [])
    assert (total.sent, total.response_percent, total.average_rating, total.csat_percent) == (
        0,
        None,
        None,
        None,
    )
    assert 'colspan="14"' in page.text and 'class="overall"' not in page.text


def test_unanswered_surveys_count_as_sent_only(answers) -> None:
    """The response rate counts them; the average and CSAT % do not."""
    rows = satisfaction_summary(Survey.objects.all(), period=PERIOD, by="owner")
    budi = next(row for row in rows if row.label == "Budi Santoso")
    assert (budi.sent, budi.answered, budi.response_percent) == (4, 3, 75.0)
    assert (budi.average_rating, budi.csat_percent, budi.rating_counts) == (
        4.67,
        100.0,
        [0, 0, 0, 1, 2],
    )


@pytest.mark.parametrize("query", ["since=nonsense", "by=<b>", "until=2026-02-30"])
def test_malformed_queries_fall_back_to_defaults(client: Client, query: str) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    assert client.get(reverse("reports:satisfaction") + f"?{query}").status_code == 200
