import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from layan.core import clock
from layan.core.clock import clock_at
from layan.sla.models import Calendar, Policy
from layan.sla.services import sla_refresh
from layan.sla.tests.factories import standard_setup
from layan.team.models import Notification, Role, User
from layan.team.notifications import notify
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets.queries import InboxFilters, inbox_for
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")


def login(client: Client, role: str) -> User:
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def policy_post(**changes: str) -> dict[str, str]:
    data = {
        "name": "WhatsApp",
        "position": "10",
        "match_channel": "whatsapp",
        "at_risk_percent": "75",
        "pause_statuses": ["waiting_customer"],
        "first_response_business": "1",
        "next_response_business": "1",
        "resolution_business": "0",
        "first_response_urgent": "15",
        "first_response_normal": "60",
        "resolution_normal": "1440",
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_a_manager_creates_a_policy_through_the_form(client: Client) -> None:
    standard_setup()
    login(client, Role.MANAGER)
    response = client.post(reverse("sla:policy_create"), policy_post())
    assert response.status_code == 302
    policy = Policy.objects.get(name="WhatsApp")
    assert (policy.match_channel, policy.at_risk_percent) == ("whatsapp", 75)
    assert policy.pause_statuses == ["waiting_customer"]
    targets = {(t.metric, t.priority): (t.minutes, t.business) for t in policy.targets.all()}
    assert targets == {
        ("first_response", "urgent"): (15, True),
        ("first_response", "normal"): (60, True),
        ("resolution", "normal"): (1440, False),
    }


def test_a_policy_without_any_condition_must_be_the_default(client: Client) -> None:
    standard_setup()
    login(client, Role.ADMIN)
    response = client.post(reverse("sla:policy_create"), policy_post(match_channel=""))
    assert response.status_code == 400
    assert not Policy.objects.filter(name="WhatsApp").exists()


def test_the_policy_form_offers_no_customer_revenue_or_tier(client: Client) -> None:
    standard_setup()
    login(client, Role.MANAGER)
    html = client.get(reverse("sla:policy_create")).text
    names = set(re.findall(r'name="([^"]+)"', html))
    assert {"match_priority", "match_category", "match_channel", "match_team"} <= names
    assert not [name for name in names if re.search("revenue|tier|customer", name)]


def test_a_calendar_with_lunch_and_holidays_is_edited(client: Client) -> None:
    standard_setup()
    login(client, Role.MANAGER)
    response = client.post(
        reverse("sla:calendar_create"),
        {
            "name": "Makassar",
            "zone": "WITA",
            "national_holidays": "on",
            "day_0": "08:00-12:00, 13:00-17:00",
            "day_4": "08:00-11:30; 13:00-17:00",
        },
    )
    assert response.status_code == 302
    calendar = Calendar.objects.get(name="Makassar")
    assert calendar.zone == "Asia/Makassar"
    assert calendar.hours == {
        "0": ["08:00-12:00", "13:00-17:00"],
        "4": ["08:00-11:30", "13:00-17:00"],
    }
    client.post(
        reverse("sla:holiday_add", args=[calendar.pk]), {"date": "2026-09-01", "name": "HUT"}
    )
    page = client.get(reverse("sla:calendar", args=[calendar.pk]))
    assert "HUT" in page.text and "Hari Kemerdekaan" in page.text
    holiday = calendar.holidays.get()
    client.post(reverse("sla:holiday_remove", args=[calendar.pk, holiday.pk]))
    assert not calendar.holidays.exists()


def test_a_malformed_calendar_is_a_400(client: Client) -> None:
    login(client, Role.MANAGER)
    response = client.post(
        reverse("sla:calendar_create"), {"name": "X", "zone": "Asia/Jakarta", "day_0": "9-5"}
    )
    assert response.status_code == 400
    assert not Calendar.objects.filter(name="X").exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER, Role.VIEWER])
def test_sla_configuration_is_closed_to_other_roles(client: Client, role: str) -> None:
    policy = standard_setup()
    login(client, role)
    assert client.get(reverse("sla:policies")).status_code == 403
    assert client.post(reverse("sla:policy", args=[policy.pk]), policy_post()).status_code == 403
    calendar = Calendar.objects.get()
    response = client.post(
        reverse("sla:holiday_add", args=[calendar.pk]), {"date": "2026-09-01", "name": "HUT"}
    )
    assert response.status_code == 403
    assert not calendar.holidays.exists()


def test_policy_list_query_count_is_pinned(
    client: Client, django_assert_max_num_queries: object
) -> None:
    standard_setup()
    login(client, Role.ADMIN)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        assert client.get(reverse("sla:policies")).status_code == 200


def test_the_ticket_page_shows_state_and_due_time(client: Client) -> None:
    standard_setup()
    agent = login(client, Role.AGENT)
    team = TeamFactory(members=[agent])
    opened = clock.now() - timedelta(days=30)
    with clock_at(opened):
        ticket = make_ticket(team=team, owner=agent)
    sla_refresh([ticket.pk], now=clock.now(), alert=False)
    html = client.get(reverse("tickets:detail", args=[ticket.reference])).text
    assert 'id="sla"' in html
    assert "sla-breached" in html
    assert "Standar" in html


def test_the_ticket_page_says_when_not_yet_evaluated(client: Client) -> None:
    agent = login(client, Role.AGENT)
    ticket = make_ticket(team=TeamFactory(members=[agent]))
    html = client.get(reverse("tickets:detail", args=[ticket.reference])).text
    assert 'id="sla"' in html and "sla-metric" not in html


def test_inbox_sorts_by_due_soonest_across_pages(client: Client) -> None:
    """Keyset pages in due order cover every ticket once, those without a deadline last."""
    standard_setup()
    agent = login(client, Role.AGENT)
    team = TeamFactory(members=[agent])
    start = datetime(2026, 2, 2, 8, tzinfo=WIB)
    tickets = []
    for minute, priority in enumerate(["low", "urgent", "normal", "high", "low", "urgent", "high"]):
        with clock_at(start + timedelta(minutes=17 * minute)):
            tickets.append(make_ticket(team=team, owner=agent, priority=priority))
    sla_refresh([t.pk for t in tickets[:-1]], now=start + timedelta(hours=2), alert=False)
    seen, cursor = [], ""
    while True:
        page = inbox_for(agent, InboxFilters(sort="due"), cursor=cursor, page_size=2)
        seen += page.tickets
        cursor = page.next_cursor
        if not cursor:
            break
    assert sorted(t.pk for t in seen) == sorted(t.pk for t in tickets)
    dues = [t.sla.next_due_at for t in seen[:-1]]
    assert dues == sorted(dues)
    assert seen[-1] == tickets[-1]
    response = client.get(reverse("tickets:inbox") + "?sort=due")
    assert response.status_code == 200 and "sla-state" in response.text
    # A cursor of the other order, or an unknown order, starts again from the first page.
    activity = inbox_for(agent, InboxFilters(), page_size=2).next_cursor
    assert inbox_for(agent, InboxFilters(sort="due"), cursor=activity).tickets[0] == seen[0]
    assert client.get(reverse("tickets:inbox") + "?sort=bogus&after=x").status_code == 200


def test_inbox_due_sort_query_count_is_pinned(
    client: Client, django_assert_max_num_queries: object
) -> None:
    standard_setup()
    agent = login(client, Role.AGENT)
    team = TeamFactory(members=[agent])
    tickets = [make_ticket(team=team, owner=agent) for _ in range(15)]
    sla_refresh([t.pk for t in tickets], now=clock.now(), alert=False)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = client.get(reverse("tickets:inbox") + "?sort=due")
    assert response.status_code == 200
    assert response.text.count('class="sla-state') == 15


def test_notifications_page_badge_and_reading(client: Client) -> None:
    user = login(client, Role.AGENT)
    other = UserFactory()
    for number in range(3):
        notify(
            user=user,
            key=f"k{number}",
            kind="sla_at_risk",
            title=f"Tiket {number}",
            url="/tickets/",
        )
    notify(user=other, key="k0", kind="sla_at_risk", title="Bukan untukmu")
    html = client.get(reverse("sla:notifications")).text
    assert "Tiket 2" in html and "Bukan untukmu" not in html
    assert badge(client) == "3"  # the other user's notice is not counted
    first = Notification.objects.filter(user=user).first()
    response = client.post(reverse("sla:notification_open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    assert badge(client) == "2"
    foreign = Notification.objects.get(user=other)
    assert client.post(reverse("sla:notification_open", args=[foreign.pk])).status_code == 404
    client.post(reverse("sla:notifications_read"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=other, read_at__isnull=True).exists()
    assert badge(client) is None


def badge(client: Client) -> str | None:
    """The unread count the page header shows, or None without a badge."""
    found = re.search(
        r'class="notif-link">[^<]*<span class="badge prio-urgent"[^>]*>(\d+)</span>',
        client.get(reverse("tickets:inbox")).text,
    )
    return found.group(1) if found else None


def test_notify_twice_creates_one_notice() -> None:
    user = UserFactory()
    assert notify(user=user, key="same", kind="x", title="A") is not None
    assert notify(user=user, key="same", kind="x", title="A") is None
    assert Notification.objects.count() == 1


def test_notifications_page_query_count_is_pinned(
    client: Client, django_assert_max_num_queries: object
) -> None:
    user = login(client, Role.AGENT)
    for number in range(20):
        notify(user=user, key=f"k{number}", kind="x", title=f"T{number}", email=False)
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        assert client.get(reverse("sla:notifications")).status_code == 200
