import itertools
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Q
from django.http import Http404

from layan.customers.queries import contact_for, contacts_for, customer_for, customers_for
from layan.customers.tests.factories import CustomerFactory
from layan.logbook.services import NewAttachment
from layan.sla.models import TicketSla
from layan.team.models import Role, User
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets.models import ANGRY_AT, Status, Ticket
from layan.tickets.queries import (
    INBOX_SORTS,
    STATUS_GROUPS,
    InboxFilters,
    inbox_for,
    ticket_for,
    ticket_key_for,
    ticket_timeline,
    tickets_for,
)
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@dataclass
class World:
    users: dict[str, User]
    tickets: dict[str, Ticket]


@pytest.fixture
def world() -> World:
    """Two teams, two portfolios and four tickets that cut across them."""
    users = {
        "admin": UserFactory(role=Role.ADMIN),
        "manager": UserFactory(role=Role.MANAGER),
        "am1": UserFactory(role=Role.ACCOUNT_MANAGER),
        "am2": UserFactory(role=Role.ACCOUNT_MANAGER),
        "agent_a": UserFactory(role=Role.AGENT),
        "agent_b": UserFactory(role=Role.AGENT),
        "viewer": UserFactory(role=Role.VIEWER),
        "inactive": UserFactory(role=Role.ADMIN, is_active=False),
    }
    team_a = TeamFactory(members=[users["agent_a"], users["viewer"]])
    team_b = TeamFactory(members=[users["agent_b"]])
    c1 = CustomerFactory(account_manager=users["am1"])
    c2 = CustomerFactory(account_manager=users["am2"])
    tickets = {
        "t1": make_ticket(customer=c1, team=team_a),
        "t2": make_ticket(customer=c2, team=team_b),
        "t3": make_ticket(customer=c1, team=team_b, owner=users["agent_a"]),
        "t4": make_ticket(customer=c2),
    }
    return World(users=users, tickets=tickets)


VISIBLE = {
    "admin": {"t1", "t2", "t3", "t4"},
    "manager": {"t1", "t2", "t3", "t4"},
    "am1": {"t1", "t3"},
    "am2": {"t2", "t4"},
    "agent_a": {"t1", "t3"},
    "agent_b": {"t2", "t3"},
    "viewer": {"t1"},
    "inactive": set(),
}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_sec_a05_each_role_sees_exactly_its_tickets(world: World, role: str) -> None:
    """Role × object matrix over the list, the search, the detail and key lookups and the
    customers."""
    user = world.users[role]
    names = {
        name
        for name, ticket in world.tickets.items()
        if tickets_for(user).filter(pk=ticket.pk).exists()
    }
    assert names == VISIBLE[role]
    page = inbox_for(user, InboxFilters(status=""))
    assert {t.pk for t in page.tickets} == {world.tickets[n].pk for n in VISIBLE[role]}
    searched = inbox_for(user, InboxFilters(status="", q="Pesanan"))
    assert {t.pk for t in searched.tickets} == {world.tickets[n].pk for n in VISIBLE[role]}
    for name, ticket in world.tickets.items():
        if name in VISIBLE[role]:
            assert ticket_for(user, ticket.reference) == ticket
            assert ticket_key_for(user, ticket.reference) == ticket
            assert customer_for(user, ticket.customer_id) == ticket.customer
            assert contact_for(user, ticket.requester_id) == ticket.requester
        else:
            with pytest.raises(Http404):
                ticket_for(user, ticket.reference)
            with pytest.raises(Http404):
                ticket_key_for(user, ticket.reference)
    visible_customers = {t.customer_id for n, t in world.tickets.items() if n in VISIBLE[role]}
    assert set(customers_for(user).values_list("pk", flat=True)) == visible_customers
    visible_contacts = {t.requester_id for n, t in world.tickets.items() if n in VISIBLE[role]}
    assert set(contacts_for(user).values_list("pk", flat=True)) >= visible_contacts


@pytest.mark.parametrize("role", ["admin", "am1", "agent_b"])
def test_ticket_for_reads_the_ticket_and_its_page_rows_in_one_statement(
    world: World, role: str, django_assert_num_queries: object
) -> None:
    """One statement per scope (everything, a portfolio, teams), the visibility included."""
    shown = world.tickets["t3"]  # every one of these sees it: portfolio, team, everything
    for _ in range(2):  # built on the first call, reused on the second
        with django_assert_num_queries(1):  # type: ignore[operator]
            ticket = ticket_for(world.users[role], f"#{shown.reference}")
            related = (
                ticket.customer.account_manager,
                ticket.requester,
                ticket.owner,
                ticket.team,
                ticket.chain,
            )
        assert ticket == shown and ticket.subject == shown.subject
        assert related == (
            world.users["am1"],
            shown.requester,
            world.users["agent_a"],
            shown.team,
            shown.chain,
        )


@pytest.mark.parametrize(
    "reference", ["abc", "", "#", "-1", str(2**63), "99999999999999999999", None]
)
def test_ticket_for_malformed_reference_is_404(world: World, reference: object) -> None:
    with pytest.raises(Http404):
        ticket_for(world.users["admin"], reference)  # type: ignore[arg-type]


def test_keyset_pages_cover_every_ticket_once() -> None:
    admin = UserFactory(role=Role.ADMIN)
    customer = CustomerFactory()
    made = {make_ticket(customer=customer).pk for _ in range(7)}
    seen: list[int] = []
    cursor = ""
    while True:
        page = inbox_for(admin, InboxFilters(status=""), cursor=cursor, page_size=3)
        seen.extend(t.pk for t in page.tickets)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("sort", ["activity", "anger", "due"])
def test_keyset_pages_in_every_order_cover_every_ticket_once(sort: str) -> None:
    """Ties on the key (equal anger, no deadline) are broken by id, so no ticket repeats."""
    admin = UserFactory(role=Role.ADMIN)
    customer = CustomerFactory()
    angers = [0.9, 0.2, 0.9, 0.0, 0.55, 0.9, 0.0]
    made = [make_ticket(customer=customer) for _ in angers]
    for ticket, anger in zip(made, angers, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(anger=anger)
    seen: list[Ticket] = []
    cursor = ""
    while True:
        page = inbox_for(admin, InboxFilters(status="", sort=sort), cursor=cursor, page_size=2)
        seen.extend(page.tickets)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(t.pk for t in seen) == sorted(t.pk for t in made)
    if sort == "anger":
        order = [(t.anger, t.pk) for t in seen]
        assert order == sorted(order, reverse=True)


@pytest.mark.parametrize(
    ("mood", "expected"), [("", {0, 1, 2}), ("angry", {0, 2}), ("abusive", {2})]
)
def test_mood_filters_angry_and_abusive_customers(mood: str, expected: set[int]) -> None:
    admin = UserFactory(role=Role.ADMIN)
    made = [make_ticket() for _ in range(3)]
    Ticket.objects.filter(pk=made[0].pk).update(anger=0.81)
    Ticket.objects.filter(pk=made[1].pk).update(anger=0.49)
    Ticket.objects.filter(pk=made[2].pk).update(anger=0.5, abusive=True)
    page = inbox_for(admin, InboxFilters(status="", mood=mood))
    assert {t.pk for t in page.tickets} == {made[n].pk for n in expected}


def test_a_cursor_of_another_order_means_first_page() -> None:
    """Switching the sort with an old cursor in the URL starts again instead of skipping."""
    admin = UserFactory(role=Role.ADMIN)
    customer = CustomerFactory()
    for _ in range(3):
        make_ticket(customer=customer)
    first = inbox_for(admin, InboxFilters(status=""), page_size=1)
    page = inbox_for(admin, InboxFilters(status="", sort="anger"), cursor=first.next_cursor)
    assert len(page.tickets) == 3


@pytest.mark.parametrize("cursor", ["YW5nZXJ8bmFufDE", "YW5nZXJ8aW5mfDE", "YW5nZXJ8fDE"])
def test_an_anger_cursor_without_a_finite_value_means_first_page(cursor: str) -> None:
    admin = UserFactory(role=Role.ADMIN)
    make_ticket()
    assert len(inbox_for(admin, InboxFilters(status="", sort="anger"), cursor=cursor).tickets) == 1


@pytest.mark.parametrize(
    "cursor",
    ["!!!", "bm90LWEtY3Vyc29y", "MjAyNi0xMS0yMnwx", "x" * 500, "YW5nZXJ8MC41fDE"],
)
def test_malformed_cursor_means_first_page(cursor: str) -> None:
    admin = UserFactory(role=Role.ADMIN)
    make_ticket()
    page = inbox_for(admin, InboxFilters(status=""), cursor=cursor)
    assert len(page.tickets) == 1


@pytest.mark.parametrize("count", [3, 12])
def test_inbox_query_count_does_not_grow_with_tickets(
    count: int, django_assert_num_queries: object
) -> None:
    agent = UserFactory(role=Role.AGENT)
    team = TeamFactory(members=[agent])
    for _ in range(count):
        make_ticket(team=team, owner=agent)
    # The user's teams, a page of ids from the team and from the tickets they own, then the
    # page of tickets with customer, requester, owner and team.
    with django_assert_num_queries(4):  # type: ignore[operator]
        page = inbox_for(agent, InboxFilters())
        for ticket in page.tickets:
            _ = (ticket.customer.name, ticket.requester.name, ticket.owner, ticket.team)


def test_the_timeline_reads_entries_their_rows_and_attachments_in_two_statements(
    django_assert_num_queries: object,
) -> None:
    owner = UserFactory(role=Role.AGENT)
    files = [
        NewAttachment(filename=name, content_type="text/plain", payload=name.encode())
        for name in ("nota.txt", "foto.txt", "resi.txt")
    ]
    ticket = make_ticket(owner=owner, attachments=files)
    with django_assert_num_queries(2):  # type: ignore[operator]
        timeline = ticket_timeline(ticket)
        seen = [
            (
                entry.kind,
                entry.actor_user,
                entry.actor_contact,
                [a.filename for a in entry.files],
            )
            for entry in timeline
        ]
    assert seen == [
        ("created", None, ticket.requester, []),
        ("message", None, ticket.requester, ["nota.txt", "foto.txt", "resi.txt"]),
        ("owner", None, None, []),
    ]
    message = timeline[1]
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert message.tone is not None and message.tone.entry_id == message.pk


def _pages(user: User, filters: InboxFilters, *, page_size: int) -> list[int]:
    """Every ticket of the inbox, page after page, in the order it shows them."""
    seen: list[int] = []
    cursor = ""
    while True:
        page = inbox_for(user, filters, cursor=cursor, page_size=page_size)
        seen += [ticket.pk for ticket in page.tickets]
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("branches_max", [8, 0])
def test_an_agents_inbox_read_branch_by_branch_is_every_visible_ticket_in_order(
    monkeypatch: pytest.MonkeyPatch, branches_max: int
) -> None:
    """Read a team at a time and the owned tickets apart (`_scope_branches`), or with the
    teams together past `BRANCHES_MAX`, an agent's inbox shows exactly the tickets they may
    see, each once, in every order and status group, page after page, ties included."""
    monkeypatch.setattr("layan.tickets.queries.BRANCHES_MAX", branches_max)
    rng = random.Random(7)
    agent = UserFactory(role=Role.AGENT)
    other = UserFactory(role=Role.AGENT)  # in no team: only what they own
    teams = [TeamFactory(members=[agent]), TeamFactory(members=[agent]), TeamFactory()]
    statuses = list(Status.values)
    base = make_ticket(team=teams[0]).updated_at
    for number in range(24):
        ticket = make_ticket(
            team=rng.choice([*teams, None]), owner=rng.choice([agent, other, None])
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            status=rng.choice(statuses),
            # Ties on every key: the id decides among them.
            updated_at=base - timedelta(minutes=rng.randint(0, 6)),
            anger=rng.choice([0.0, 0.5, 0.9]),
        )
        due = None if number % 3 == 0 else base + timedelta(hours=rng.randint(1, 4))
        TicketSla.objects.filter(ticket_id=ticket.pk).update(next_due_at=due)
    # The first page's branches are statements built once per shape of filters: the filters
    # narrow every branch, with values that change between calls.
    narrowed: list[tuple[dict[str, Any], Q]] = [
        ({}, Q()),
        ({"owner": "me"}, Q(owner=agent)),
        ({"owner": "none"}, Q(owner__isnull=True)),
        ({"owner": str(other.pk)}, Q(owner=other)),
        ({"team": teams[0].pk}, Q(team=teams[0])),
        ({"team": teams[2].pk}, Q(team=teams[2])),
        ({"mood": "angry"}, Q(anger__gte=ANGRY_AT)),
    ]
    for user, group, (sort, order), (chosen, condition) in itertools.product(
        [agent, other], ["", *STATUS_GROUPS], INBOX_SORTS.items(), narrowed
    ):
        if chosen.get("owner") == "me":
            condition = Q(owner=user)
        visible = tickets_for(user).filter(condition)
        expected = visible.filter(status__in=STATUS_GROUPS[group]) if group else visible
        key = "-" + order.key if order.descending else order.key
        rows = expected.order_by(key, "-pk" if order.descending else "pk")
        want = [ticket.pk for ticket in rows]
        if order.nulls_last:
            keys = dict(rows.values_list("pk", order.key))
            want = [pk for pk in want if keys[pk] is not None] + [
                pk for pk in want if keys[pk] is None
            ]
        filters = InboxFilters(status=group, sort=sort, **chosen)
        got = _pages(user, filters, page_size=4)
        assert got == want, (user, group, sort, chosen)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ACCOUNT_MANAGER])
def test_an_inbox_first_page_built_once_is_the_query_built_each_time(role: Role) -> None:
    """The first page of an inbox without a keyword is a statement built once per shape of
    filters (`_inbox_page`): for every filter, order and column set, with values that change
    between calls, it gives the tickets, their order, their sort key and the columns the
    queryset built each time gives; and paging on from it covers every ticket once."""
    from layan.tickets.models import Category, Priority
    from layan.tickets.queries import INBOX_ROW_COLUMNS, _inbox_tickets

    rng = random.Random(11)
    user = UserFactory(role=role)
    owners = [user, UserFactory(role=Role.AGENT), None]
    teams = [TeamFactory(), TeamFactory(), None]
    customers = [CustomerFactory(account_manager=user), CustomerFactory(), CustomerFactory()]
    base = make_ticket(customer=customers[0]).updated_at
    for number in range(30):
        ticket = make_ticket(
            customer=rng.choice(customers), team=rng.choice(teams), owner=rng.choice(owners)
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            status=rng.choice(list(Status.values)),
            priority=rng.choice(list(Priority.values)),
            category=rng.choice(list(Category.values)),
            updated_at=base - timedelta(minutes=rng.randint(0, 5)),
            anger=rng.choice([0.0, 0.5, 0.9]),
            abusive=number % 7 == 0,
        )
        due = None if number % 3 == 0 else base + timedelta(hours=rng.randint(1, 4))
        TicketSla.objects.filter(ticket_id=ticket.pk).update(next_due_at=due)
    other = owners[1]
    assert other is not None and teams[0] is not None and teams[1] is not None
    choices: list[dict[str, object]] = [
        {},
        {"status": ""},
        {"status": "done"},
        {"status": "open", "owner": "me"},
        {"owner": "none"},
        {"owner": str(other.pk)},
        {"owner": str(user.pk), "status": ""},
        {"team": teams[0].pk},
        {"team": teams[1].pk, "status": ""},
        {"priority": "high", "status": ""},
        {"priority": "low", "status": ""},
        {"category": "complaint", "status": ""},
        {"customer": customers[1].pk, "status": ""},
        {"customer": customers[2].pk},
        {"mood": "angry", "status": ""},
        {"mood": "abusive", "status": ""},
    ]
    checked = 0
    for chosen, sort, columns in itertools.product(
        choices, list(INBOX_SORTS), [(), INBOX_ROW_COLUMNS]
    ):
        filters = InboxFilters(**chosen, sort=sort)  # type: ignore[arg-type]
        page = inbox_for(user, filters, page_size=4, columns=columns)
        expected = list(
            _inbox_tickets(
                "all" if role == Role.MANAGER else "portfolio",
                user=user.pk,
                teams=[],
                filters=filters,
                columns=columns,
            )[:5]
        )
        got = [(t.pk, t.inbox_key) for t in page.tickets]  # type: ignore[attr-defined]
        assert got == [(t.pk, t.inbox_key) for t in expected[:4]], (chosen, sort)  # type: ignore[attr-defined]
        assert bool(page.next_cursor) == (len(expected) > 4)
        for shown, wanted in zip(page.tickets, expected, strict=False):
            for name in columns or ("subject", "status"):
                path = name.split("__")
                assert _read(shown, path) == _read(wanted, path), (name, chosen)
        checked += bool(page.tickets)
        if not columns:
            assert sorted(_pages(user, filters, page_size=3)) == sorted(
                t.pk
                for t in _inbox_tickets(
                    "all" if role == Role.MANAGER else "portfolio",
                    user=user.pk,
                    teams=[],
                    filters=filters,
                    columns=(),
                )
            )
    assert checked > len(choices)  # most shapes found tickets
    for beyond in ({"team": 2**63}, {"customer": -(2**63) - 1}, {"owner": "9" * 25}):
        assert inbox_for(user, InboxFilters(status="", **beyond)).tickets == []  # type: ignore[arg-type]


def _read(instance: object, path: list[str]) -> object:
    """The value at `path` (a ticket without an SLA row reads None there)."""
    from django.core.exceptions import ObjectDoesNotExist

    for name in path:
        try:
            instance = getattr(instance, name) if instance is not None else None
        except ObjectDoesNotExist:
            return None
    return instance
