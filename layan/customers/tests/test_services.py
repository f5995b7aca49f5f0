import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from layan.customers import services
from layan.customers.models import Identity, Membership
from layan.customers.queries import contact_primary_customer
from layan.customers.tests.factories import ContactFactory, CustomerFactory
from layan.team.models import Role
from layan.team.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_account_manager_creates_customers_into_their_portfolio() -> None:
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    customer = services.customer_create(actor=rina, name="  PT   Sinar  Jaya ")
    assert customer.name == "PT Sinar Jaya"
    assert customer.account_manager == rina


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_do_not_create_customers(role: str) -> None:
    with pytest.raises(PermissionDenied):
        services.customer_create(actor=UserFactory(role=role), name="PT X")


def test_customer_needs_a_name() -> None:
    with pytest.raises(ValidationError):
        services.customer_create(actor=None, name="   ")


def test_contact_create_with_identities_and_primary_membership() -> None:
    customer = CustomerFactory()
    contact = services.contact_create(
        actor=None,
        name="Rina Kusuma Wardani",
        preferred_name="Rina",
        honorific="Ibu",
        customer=customer,
        email="Rina@Contoh.co.id",
        phone="0812 3456 7890",
    )
    assert contact.address_name == "Ibu Rina"
    assert set(contact.identities.values_list("kind", "value")) == {
        ("email", "rina@contoh.co.id"),
        ("phone", "+6281234567890"),
    }
    assert contact_primary_customer(contact) == customer


def test_second_membership_is_not_primary_unless_asked() -> None:
    contact = ContactFactory()
    first, second = CustomerFactory(), CustomerFactory()
    services.membership_add(contact=contact, customer=first)
    services.membership_add(contact=contact, customer=second)
    assert contact_primary_customer(contact) == first
    services.membership_add(contact=contact, customer=second, primary=True)
    assert contact_primary_customer(contact) == second
    assert Membership.objects.filter(contact=contact, is_primary=True).count() == 1


def test_one_primary_membership_is_enforced_by_the_database() -> None:
    contact = ContactFactory()
    Membership.objects.create(contact=contact, customer=CustomerFactory(), is_primary=True)
    with pytest.raises(IntegrityError):
        Membership.objects.create(contact=contact, customer=CustomerFactory(), is_primary=True)


def test_identity_belongs_to_one_contact_only() -> None:
    first, second = ContactFactory(), ContactFactory()
    services.identity_add(contact=first, kind="email", value="budi@toko.id")
    assert services.identity_add(contact=first, kind="email", value="BUDI@toko.id").contact == first
    with pytest.raises(ValidationError):
        services.identity_add(contact=second, kind="email", value="Budi@Toko.ID")


def test_invalid_identity_is_a_clear_validation_error() -> None:
    with pytest.raises(ValidationError) as error:
        services.identity_add(contact=ContactFactory(), kind="phone", value="12")
    assert "12" in str(error.value)


def test_contact_for_identity_finds_or_creates() -> None:
    contact, created = services.contact_for_identity(
        kind="email", value="Siti@Kopi.co.id", name="Siti Nurhaliza"
    )
    assert created and contact is not None and contact.name == "Siti Nurhaliza"
    again, created_again = services.contact_for_identity(kind="email", value="siti@kopi.co.id")
    assert again == contact and not created_again
    assert Identity.objects.count() == 1
    missing, made = services.contact_for_identity(
        kind="email", value="baru@kopi.co.id", create=False
    )
    assert missing is None and not made


def test_customer_individual_for_a_newcomer() -> None:
    contact = ContactFactory(name="Dimas Anggara")
    customer = services.customer_individual_for(contact)
    assert customer.form == "individual" and customer.name == "Dimas Anggara"
    assert services.customer_individual_for(contact) == customer
