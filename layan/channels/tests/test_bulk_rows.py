"""The import's own row writers: keys handed back in order, values as the ORM would write them."""

from __future__ import annotations

import pytest
from django.db import connection

from layan.channels.bulk import _create_rows, _insert_rows
from layan.customers.models import Contact, Customer, CustomerForm, Membership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("chunk", [3, 1000])
def test_created_rows_get_their_own_keys_in_order(monkeypatch, chunk: int) -> None:
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, rows: chunk)
    Contact.objects.create(name="Sudah Ada")  # keys do not start at 1
    contacts = [Contact(name=f"Kontak {number}", notes="…" * number) for number in range(10)]
    _create_rows(Contact, contacts)

    assert all(not contact._state.adding for contact in contacts)
    stored = dict(Contact.objects.filter(pk__in=[c.pk for c in contacts]).values_list("pk", "name"))
    assert stored == {contact.pk: contact.name for contact in contacts}
    # Defaults and automatic times are filled as `save` fills them.
    first = Contact.objects.get(pk=contacts[0].pk)
    assert first.language == "id" and first.created_at is not None
    assert first.created_at == contacts[0].created_at


def test_related_rows_take_the_keys_given_after_they_were_built() -> None:
    contact, customer = Contact(name="Rina"), Customer(name="Rina", form=CustomerForm.INDIVIDUAL)
    membership = Membership(contact=contact, customer=customer, is_primary=True)
    _create_rows(Contact, [contact])
    _create_rows(Customer, [customer])
    _insert_rows(Membership, [membership])
    assert Membership.objects.filter(contact=contact, customer=customer, is_primary=True).exists()


def test_nothing_to_write_writes_nothing(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        _create_rows(Contact, [])
        _insert_rows(Contact, [])
