from datetime import date, timedelta

import pytest
from django.db.models import Value
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from layan.agreements import services
from layan.agreements.models import RequestKind, Revenue
from layan.agreements.queries import (
    HealthColumn,
    attention_for,
    deal_for,
    deals_for,
    order_for,
    orders_for,
    pipeline_board,
    portfolio_for,
    revenue_for,
    tickets_visible,
    verdict_of,
    with_verdict,
)
from layan.agreements.tests.factories import Account, make_account, make_confirmed, make_order
from layan.core import clock
from layan.customers.models import Customer
from layan.team.models import Role, User
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets.queries import tickets_for
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, object]:
    """Two portfolios; an agent and a viewer whose team handles a ticket of the first."""
    mine, theirs = make_account(name="PT Punya Rina"), make_account(name="PT Punya Budi")
    agent, viewer = UserFactory(role=Role.AGENT), UserFactory(role=Role.VIEWER)
    make_ticket(customer=mine.customer, team=TeamFactory(members=[agent, viewer]))
    for account in (mine, theirs):
        services.deal_create(actor=account.manager, customer=account.customer, title="Brosur")
        make_order(account)
        services.revenue_set(
            actor=account.manager, customer=account.customer, month=date(2025, 1, 1), amount=9
        )
    return {
        "mine": mine,
        "theirs": theirs,
        "agent": agent,
        "viewer": viewer,
        "manager": UserFactory(role=Role.MANAGER),
        "inactive": UserFactory(role=Role.MANAGER, is_active=False),
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("rina", {"PT Punya Rina"}),
        ("manager", {"PT Punya Rina", "PT Punya Budi"}),
        ("agent", {"PT Punya Rina"}),
        ("viewer", {"PT Punya Rina"}),
        ("inactive", set()),
    ],
)
def test_sec_a05_each_role_reads_exactly_its_deals_orders_and_revenue(
    world: dict[str, object], who: str, sees: set[str]
) -> None:
    """Deals, orders and revenue follow the customers a user sees; the rest is 404."""
    user = world["mine"].manager if who == "rina" else world[who]  # type: ignore[attr-defined]
    assert {deal.customer.name for deal in deals_for(user)} == sees
    assert {order.customer.name for order in orders_for(user)} == sees
    assert {item.customer.name for item in revenue_for(user)} == sees
    theirs: Account = world["theirs"]  # type: ignore[assignment]
    hidden = theirs.customer.orders.get()
    if "PT Punya Budi" not in sees:
        with pytest.raises(Http404):
            order_for(user, hidden.number)
        with pytest.raises(Http404):
            deal_for(user, theirs.customer.deals.get().pk)


def test_unknown_or_malformed_numbers_are_404(world: dict[str, object]) -> None:
    manager: User = world["manager"]  # type: ignore[assignment]
    for number in ("999999", "abc", "", None):
        with pytest.raises(Http404):
            order_for(manager, number)  # type: ignore[arg-type]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ACCOUNT_MANAGER, Role.AGENT, Role.VIEWER])
def test_tickets_visible_is_the_ticket_apps_own_rule(role: str) -> None:
    """The string-lookup copy of the visibility rule agrees with tickets_for for every role."""
    account = make_account()
    user = account.manager if role == Role.ACCOUNT_MANAGER else UserFactory(role=role)
    team = TeamFactory(members=[user])
    tickets = [
        make_ticket(customer=account.customer, team=team),
        make_ticket(customer=account.customer),
        make_ticket(customer=account.customer, owner=user),
        make_ticket(team=team),
    ]
    expected = set(tickets_for(user).filter(customer=account.customer).values_list("pk", flat=True))
    assert set(tickets_visible(user, account.customer).values_list("pk", flat=True)) == expected
    assert tickets[0].pk in expected


def test_with_verdict_annotates_the_newest_verdict_for_grouping() -> None:
    judged, unjudged = make_account(name="PT Dinilai"), make_account(name="PT Belum")
    manager = UserFactory(role=Role.MANAGER)
    services.verdict_record(
        actor=manager, customer=judged.customer, verdict="yes", reason="Awalnya baik"
    )
    services.verdict_record(
        actor=manager, customer=judged.customer, verdict="bad", reason="Revisi tanpa henti"
    )
    rows = dict(with_verdict(Customer.objects.all()).values_list("name", "verdict"))
    assert rows == {"PT Dinilai": "bad", "PT Belum": ""}
    assert verdict_of(judged.customer) == "bad" and verdict_of(unjudged.customer) == ""
    grouped = with_verdict(Customer.objects.all()).filter(verdict="bad")
    assert list(grouped.values_list("name", flat=True)) == ["PT Dinilai"]


def test_pipeline_board_query_count_is_pinned(
    django_assert_num_queries: object,
) -> None:
    account = make_account()
    for number in range(15):
        services.deal_create(
            actor=account.manager, customer=account.customer, title=f"Deal {number}"
        )
    with django_assert_num_queries(1):  # type: ignore[operator]
        columns = pipeline_board(account.manager)
        names = [deal.customer.account_manager.name for column in columns for deal in column.deals]
    assert len(names) == 15
    assert [column.stage for column in columns] == [
        "lead",
        "pitching",
        "negotiating",
        "won",
        "lost",
    ]


def test_attention_lists_what_the_account_manager_must_act_on() -> None:
    account = make_account()
    today = timezone.localdate(clock.now())
    order, _agreement = make_confirmed(account, revisions_allowed=0)
    services.order_request_link(
        actor=account.manager,
        order=order,
        ticket=make_ticket(customer=account.customer, requester=account.contact),
        kind=RequestKind.REVISION,
    )
    late = make_order(account, promised_on=today - timedelta(days=1))
    risky = make_order(account, promised_on=today + timedelta(days=2))
    make_order(account, promised_on=today + timedelta(days=30))
    found = [
        (item.order.number, item.reason) for item in attention_for(account.manager, today=today)
    ]
    assert found == [
        (late.number, "late"),
        (order.number, "change_request"),
        (risky.number, "at_risk"),
    ]


def test_portfolio_compares_target_and_achieved_per_month(
    django_assert_max_num_queries: object,
) -> None:
    account = make_account()
    other = make_account()
    manager = UserFactory(role=Role.MANAGER)
    today = date(2025, 3, 20)
    for month, amount in ((date(2025, 2, 1), 40), (date(2025, 3, 1), 30)):
        Revenue.objects.create(
            customer=account.customer, month=month, amount=amount, updated_at=timezone.now()
        )
        Revenue.objects.create(
            customer=other.customer, month=month, amount=1000, updated_at=timezone.now()
        )
    services.target_set(
        actor=manager, account_manager=account.manager, month=date(2025, 3, 1), amount=60
    )
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        mine = portfolio_for(account.manager, account_manager=None, today=today)
    assert [(m.month, m.target, m.achieved) for m in mine.months[-2:]] == [
        (date(2025, 2, 1), 0, 40),
        (date(2025, 3, 1), 60, 30),
    ]
    assert mine.this_month.percent == 50
    assert [row.customer for row in mine.rows] == [account.customer]
    everyone = portfolio_for(manager, account_manager=None, today=today)
    assert everyone.this_month.achieved == 1030


MOOD = HealthColumn(
    key="mood",
    label="Temperament",
    annotate=lambda customers: customers.annotate(mood=Value("calm")),
)


@override_settings(LAYAN_PORTFOLIO_HEALTH_COLUMNS=["layan.agreements.tests.test_queries.MOOD"])
def test_other_apps_add_health_columns_through_the_setting(client: object) -> None:
    """The hook a temperament column plugs into: an annotation plus a label, named in settings."""
    account = make_account()
    data = portfolio_for(account.manager, account_manager=None, today=date(2025, 3, 1))
    assert [column.label for column in data.columns] == ["Temperament"]
    assert data.rows[0].extra == ["calm"]
    client.force_login(account.manager)  # type: ignore[attr-defined]
    page = client.get("/portfolio/")  # type: ignore[attr-defined]
    assert "Temperament" in page.text and "calm" in page.text
