from __future__ import annotations

import factory

from layan.customers.models import Contact, Customer, Identity, Membership


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"PT Pelanggan {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name", locale="id_ID")
    honorific = "Ibu"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    contact = factory.SubFactory(ContactFactory)
    customer = factory.SubFactory(CustomerFactory)
    is_primary = True


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    contact = factory.SubFactory(ContactFactory)
    kind = "email"
    value = factory.Sequence(lambda n: f"orang{n}@contoh.co.id")
