"""Reads built once (`layan.core.reads`): the same rows and objects as the ORM, one statement,
and builds that could answer wrongly refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction
from django.db.models import Model
from django.db.transaction import TransactionManagementError

from layan.core.reads import PreparedRead, PreparedValues
from layan.customers.models import Contact, Membership
from layan.customers.queries import customers_for, membership_for
from layan.customers.tests.factories import CustomerFactory, MembershipFactory
from layan.team.models import ApiToken, Role, User
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.team.tokens import token_create
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

tokens_by_name = PreparedRead(
    lambda name: ApiToken.objects.select_related("user").filter(name=name), name=str
)


def columns(row: Model) -> dict[str, object]:
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


def test_a_read_gives_the_row_and_its_related_row_as_the_orm_does(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    user = UserFactory(role=Role.MANAGER)
    token, _key = token_create(user=user, name="gudang")
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=datetime(2026, 3, 1, 8, 30, 15, 250, tzinfo=UTC)
    )
    token_create(user=UserFactory(), name="kasir")
    expected = ApiToken.objects.select_related("user").get(name="gudang")

    with django_assert_num_queries(1):  # the build itself reads nothing
        found = tokens_by_name.one(name="gudang")
        assert found is not None
        assert found.user.username == user.username  # brought along, not read again

    assert columns(found) == columns(expected)
    assert columns(found.user) == columns(expected.user)
    assert found.last_used_at == datetime(2026, 3, 1, 8, 30, 15, 250, tzinfo=UTC)
    assert not found._state.adding and found._state.db == "default"
    assert tokens_by_name.one(name="tidak ada") is None


def test_values_are_only_ever_parameters() -> None:
    """Text that looks like SQL is a value like any other."""
    token_create(user=UserFactory(), name="x' OR '1'='1")
    assert tokens_by_name.one(name="x' OR 1=1 --") is None
    found = tokens_by_name.one(name="x' OR '1'='1")
    assert found is not None and found.name == "x' OR '1'='1"


def test_more_than_one_row_is_an_error() -> None:
    token_create(user=UserFactory(), name="sama")
    token_create(user=UserFactory(), name="sama")
    with pytest.raises(ApiToken.MultipleObjectsReturned):
        tokens_by_name.one(name="sama")


def test_a_build_that_reads_the_database_is_refused() -> None:
    """What a build read would be baked into the statement, stale for every later call."""
    UserFactory(role=Role.MANAGER)
    managers = PreparedRead(
        lambda name: ApiToken.objects.filter(
            name=name, user__in=list(User.objects.filter(role=Role.MANAGER))
        ),
        name=str,
    )
    with pytest.raises(ImproperlyConfigured, match="must not query"):
        managers.one(name="gudang")


def test_a_lookup_that_changes_its_value_is_refused() -> None:
    loose = PreparedRead(lambda name: ApiToken.objects.filter(name__icontains=name), name=str)
    with pytest.raises(ImproperlyConfigured, match="changes a value"):
        loose.one(name="gudang")


def test_values_are_named_and_typed() -> None:
    with pytest.raises(ImproperlyConfigured):
        PreparedRead(lambda when: ApiToken.objects.filter(created_at=when), when=datetime)
    with pytest.raises(TypeError):
        tokens_by_name.one(nama="gudang")
    with pytest.raises(TypeError, match="must be str"):
        tokens_by_name.one(name=5)


def test_each_variant_is_built_for_itself() -> None:
    by_key = PreparedRead(lambda field, key: Contact.objects.filter(**{field: key}), key=int)
    first, second = Contact.objects.create(name="Rina"), Contact.objects.create(name="Budi")
    found = by_key.one("pk", key=first.pk)
    assert found is not None and found.name == "Rina"
    assert by_key.one("pk__gt", key=first.pk) == second


def test_a_read_keeps_a_bounded_number_of_statements_per_connection() -> None:
    """A read whose shape follows its callers (a limit, a variant per filter) keeps the
    newest `STATEMENTS_KEPT` statements on a connection; one dropped is built again."""
    from layan.core import reads

    contacts = [Contact.objects.create(name=f"Kontak {n:02d}") for n in range(3)]
    by_name = PreparedRead(
        lambda size, name: Contact.objects.filter(name__gte=name).order_by("name")[:size],
        name=str,
    )
    for size in range(1, reads.STATEMENTS_KEPT + 10):
        assert by_name.all(size, name="Kontak 00") == contacts[:size]
    kept = by_name._statements[connections["default"]]
    assert len(kept) == reads.STATEMENTS_KEPT
    assert (None, (1,), ()) not in kept  # the oldest went first
    assert by_name.all(1, name="Kontak 01") == contacts[1:2]


contacts_listed = PreparedRead(
    lambda *, keys, name: Contact.objects.filter(pk__in=keys, name__gte=name).order_by("pk"),
    keys=list,
    name=str,
)


def test_a_list_of_keys_finds_what_the_orm_finds_with_a_few_statements() -> None:
    """A list value is bound key by key into a statement built for a power of two of keys,
    padded with its first: every length, with repeats and keys that find nothing, gives the
    ORM's rows, and lengths 9 to 16 share one statement."""
    contacts = [Contact.objects.create(name=f"Kontak {n:02d}") for n in range(40)]
    pks = [contact.pk for contact in contacts]
    missing = max(pks) + 1000
    for size in [1, 2, 7, 8, 9, 15, 16, 17, 40]:
        keys = [*pks[-size:][::-1], pks[-1], missing]  # unordered, a repeat, one not found
        found = contacts_listed.all(keys=keys, name="Kontak 05")
        expected = list(Contact.objects.filter(pk__in=keys, name__gte="Kontak 05").order_by("pk"))
        assert found == expected, size
        assert [columns(row) for row in found] == [columns(row) for row in expected]
    kept = contacts_listed._statements[connections["default"]]
    assert sorted(size for _limit, _variant, ((_name, size),) in kept) == [8, 16, 32, 64]


def test_a_list_of_keys_is_one_to_keys_max_integers_used_whole() -> None:
    from layan.core.reads import KEYS_MAX

    with pytest.raises(ValueError, match="1 to"):
        contacts_listed.all(keys=[], name="")
    with pytest.raises(ValueError, match="1 to"):
        contacts_listed.all(keys=list(range(1, KEYS_MAX + 2)), name="")
    with pytest.raises(TypeError):
        contacts_listed.all(keys=["1"], name="")
    with pytest.raises(TypeError):
        contacts_listed.all(keys=(1, 2), name="")
    first_three = PreparedRead(lambda *, keys: Contact.objects.filter(pk__in=keys[:3]), keys=list)
    with pytest.raises(ImproperlyConfigured, match="land whole"):
        first_three.all(keys=[1, 2, 3, 4])


ROLES = [Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER, Role.AGENT, Role.VIEWER]


@pytest.mark.parametrize("role", ROLES)
def test_membership_is_found_exactly_when_its_customer_is_visible(role: Role) -> None:
    """For every role, the read built once finds the membership of each customer the user
    sees (as `customers_for` says) and of no other."""
    user = UserFactory(role=role)
    team = TeamFactory(members=[user])
    portfolio = MembershipFactory(customer=CustomerFactory(account_manager=user))
    teams = make_ticket(team=team)
    owned = make_ticket(owner=user)
    unseen = make_ticket()
    memberships = [
        portfolio,
        *(Membership.objects.get(contact=t.requester) for t in (teams, owned, unseen)),
    ]
    visible = set(customers_for(user).values_list("pk", flat=True))

    for membership in memberships:
        found = membership_for(user, membership.customer_id, membership.contact_id)
        if membership.customer_id in visible:
            assert found == membership
            assert found is not None and found.customer.name == membership.customer.name
            assert found.contact.name == membership.contact.name
            # Only the names: not the notes, nor the temperament's history.
            assert {"notes", "temperament_series"} <= found.customer.get_deferred_fields()
            assert {"notes", "temperament_series"} <= found.contact.get_deferred_fields()
        else:
            assert found is None
    assert membership_for(user, portfolio.customer_id, owned.requester_id) is None  # no such pair
    user.is_active = False
    assert membership_for(user, owned.customer_id, owned.requester_id) is None


@pytest.mark.parametrize("role", ROLES)
def test_the_customer_choices_are_the_customers_each_role_sees_by_name(
    role: Role, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For every role, the choices built once are `customers_for`'s first customers by name,
    with their names, at whatever limit; an inactive user has none."""
    from layan.customers import queries

    user = UserFactory(role=role)
    team = TeamFactory(members=[user])
    CustomerFactory(name="Zebra Cetak", account_manager=user)
    CustomerFactory(name="Anggrek Sablon", account_manager=user)
    make_ticket(team=team, customer=CustomerFactory(name="Aneka <Jaya>"))
    make_ticket(owner=user, customer=CustomerFactory(name="Mitra Abadi"))
    make_ticket(customer=CustomerFactory(name="Bukan Urusan"))

    def expected(limit: int) -> list[tuple[int, str]]:
        return list(customers_for(user).values_list("pk", "name")[:limit])

    assert queries.customer_choices(user) == expected(queries.CHOICES_LIMIT)
    assert len(expected(queries.CHOICES_LIMIT)) >= 2
    monkeypatch.setattr(queries, "CHOICES_LIMIT", 1)
    assert queries.customer_choices(user) == expected(1)
    user.is_active = False
    assert queries.customer_choices(user) == []


def test_first_takes_the_first_row_of_the_order_and_all_takes_every_row() -> None:
    newest_first = PreparedRead(
        lambda user: ApiToken.objects.filter(user_id=user).order_by("-created_at", "-pk"),
        user=int,
    )
    user = UserFactory()
    assert newest_first.first(user=user.pk) is None
    token_create(user=user, name="lama")
    token_create(user=user, name="baru")
    found = newest_first.first(user=user.pk)
    assert found is not None and found.name == "baru"
    assert [token.name for token in newest_first.all(user=user.pk)] == ["baru", "lama"]
    assert newest_first.all(user=UserFactory().pk) == []


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="this database does not lock rows"
)
def test_a_read_that_locks_runs_only_inside_a_transaction() -> None:
    """As Django refuses `select_for_update` outside a transaction, so does a read built once
    inside one and called again outside."""
    locking = PreparedRead(
        lambda name: ApiToken.objects.select_for_update().filter(name=name), name=str
    )
    token_create(user=UserFactory(), name="kunci")
    with transaction.atomic():
        assert locking.one(name="kunci") is not None
    with pytest.raises(TransactionManagementError):
        locking.one(name="kunci")


def test_values_come_back_as_the_orm_gives_them_in_order(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    user = UserFactory()
    for name in ("gudang", "kasir", "rina"):
        token_create(user=user, name=name)
    ApiToken.objects.filter(name="kasir").update(
        last_used_at=datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    )
    named = PreparedValues(
        lambda user: (
            ApiToken.objects.filter(user_id=user)
            .exclude(name="rina")
            .order_by("-name")
            .values_list("name", "last_used_at")
        ),
        user=int,
    )
    expected = list(
        ApiToken.objects.filter(user=user)
        .exclude(name="rina")
        .order_by("-name")
        .values_list("name", "last_used_at")
    )
    with django_assert_num_queries(1):
        assert named.rows(user=user.pk) == expected
    assert expected == [("kasir", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)), ("gudang", None)]
    assert named.rows(user=UserFactory().pk) == []


def test_only_model_rows_or_a_values_list_are_prepared() -> None:
    as_dicts = PreparedValues(
        lambda user: ApiToken.objects.filter(user_id=user).values("name"), user=int
    )
    with pytest.raises(ImproperlyConfigured, match="ValuesListIterable"):
        as_dicts.rows(user=1)
    names = PreparedRead(
        lambda user: ApiToken.objects.filter(user_id=user).values("name"), user=int
    )
    with pytest.raises(ImproperlyConfigured, match="ModelIterable"):
        names.one(user=1)
