"""The row writers (`layan.core.rows`): keys handed back in order, values as `save` writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model
from django.utils.translation import gettext_lazy
from django_tasks_db.models import DBTaskResult

from layan.channels.models import InboundRecord, OutboundRecord, Outcome
from layan.core.models import Blob
from layan.core.rows import (
    RowsAhead,
    related_keys_copy,
    row_preparer,
    rows_create,
    rows_insert,
)
from layan.customers.models import Contact, Customer, CustomerForm, Identity, Membership
from layan.logbook.models import Chain, Entry, EntryAttachment
from layan.tickets.models import Priority, StageSpell, Ticket, Tone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("chunk", [3, 1000])
def test_created_rows_get_their_own_keys_in_order(monkeypatch, chunk: int) -> None:
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, rows: chunk)
    Contact.objects.create(name="Sudah Ada")  # keys do not start at 1
    contacts = [Contact(name=f"Kontak {number}", notes="…" * number) for number in range(10)]
    rows_create(Contact, contacts)

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
    rows_create(Contact, [contact])
    rows_create(Customer, [customer])
    rows_insert(Membership, [membership])
    assert Membership.objects.filter(contact=contact, customer=customer, is_primary=True).exists()


def test_keys_are_copied_as_django_copies_them() -> None:
    """The import's own step leaves every row as Django's `_prepare_related_fields_for_save`
    does: keys of rows saved since are copied, keys already there stay, nothing else moves."""
    chain = Chain.objects.create(label="1", head_seq=0, head_hash="0" * 64)
    blob = Blob(sha256="ab" * 32, size=3)  # a key set by hand, not by the database
    saved_contact = Contact.objects.create(name="Sudah Ada")

    def rows() -> list[Entry]:
        later = Contact(name="Baru")
        built = [
            Entry(chain=chain, actor_contact=later, raw=blob, seq=1, prev_hash="", body_hash="a"),
            Entry(chain=chain, actor_contact=saved_contact, raw=None, seq=2, body_hash="b"),
            Entry(chain_id=chain.pk, seq=3, body_hash="c"),  # a key given, no row cached
        ]
        later.pk = 4242  # "saved" after the entries were built
        return built

    ours, django = rows(), rows()
    related_keys_copy(ours)
    for row in django:
        row._prepare_related_fields_for_save(operation_name="bulk_create")
    for mine, theirs in zip(ours, django, strict=True):
        assert (mine.chain_id, mine.actor_contact_id, mine.raw_id) == (
            theirs.chain_id,
            theirs.actor_contact_id,
            theirs.raw_id,
        )
        assert mine._state.fields_cache.keys() == theirs._state.fields_cache.keys()
    assert ours[0].actor_contact_id == 4242 and ours[0].raw_id == "ab" * 32


def test_an_unsaved_related_row_is_refused_and_a_changed_key_forgets_the_cached_row() -> None:
    contact = Contact(name="Belum Disimpan")
    membership = Membership(contact=contact, customer=Customer.objects.create(name="C"))
    with pytest.raises(ValueError, match="unsaved related object 'contact'"):
        related_keys_copy([membership])
    saved = Contact.objects.create(name="Lain")
    moved = Membership(contact=saved, customer=membership.customer)
    moved.contact_id = saved.pk + 1000  # the key was changed by hand after the row was set
    related_keys_copy([moved])
    assert moved.contact_id == saved.pk + 1000
    assert "contact" not in moved._state.fields_cache


def test_nothing_to_write_writes_nothing(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        rows_create(Contact, [])
        rows_insert(Contact, [])


class _Row:
    """Stands in for a model row: every field reads the one value under test."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __getattr__(self, name: str) -> object:
        return self.value


_SAMPLES: list[object] = [
    None,
    "",
    "Pesanan belum sampai",
    Outcome.THREADED,  # a choice: a subclass of str
    0,
    42,
    True,
    False,
    Priority.HIGH,
    1.5,
    b"\x00",
    gettext_lazy("Tiket"),
    datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta")),
    datetime(2026, 11, 23, 3, 0),  # naive: Django warns
    date(2026, 11, 23),
    {"kunci": [1, 2]},
    {},  # empty JSON values: encoded once per connection
    [],
    (),
    ["kata"],
]


@pytest.mark.parametrize(
    "model",
    [
        Chain,
        Ticket,
        StageSpell,
        InboundRecord,
        OutboundRecord,
        Entry,
        EntryAttachment,
        Tone,
        Contact,
        Identity,
        Customer,
        Membership,
        Blob,
        DBTaskResult,
    ],
    ids=lambda model: model.__name__,
)
@pytest.mark.parametrize("update", [False, True], ids=["insert", "update"])
def test_values_are_written_as_django_prepares_them(model: type[Model], update: bool) -> None:
    """Every field of every model written here gives the database what `save` would, for
    values of every kind; where Django refuses a value, so do these writers."""
    checked = 0
    for field in model._meta.concrete_fields:
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if stamped and not update:
            continue  # a new row's time is stamped by Django's own code
        prepare = row_preparer(field, update=update)
        for value in _SAMPLES:
            row = _Row(value)
            try:
                expected = field.get_db_prep_save(value, connection)
            except (TypeError, ValueError, ValidationError, RuntimeWarning) as error:
                with pytest.raises(type(error)):
                    prepare(row)  # type: ignore[arg-type]
                continue
            got = prepare(row)  # type: ignore[arg-type]
            # PostgreSQL's JSON wrapper has no equality of its own: compare what it wraps.
            assert type(got) is type(expected), (field, value)
            assert getattr(got, "obj", got) == getattr(expected, "obj", expected), (field, value)
            checked += 1
    assert checked > 0


def _stored(model: type[Model], pk: int) -> dict[str, object]:
    row = model.objects.get(pk=pk)  # type: ignore[attr-defined]
    return {
        field.attname: getattr(row, field.attname)
        for field in model._meta.concrete_fields
        if field.attname != "id"
    }


def test_rows_prepared_ahead_are_written_as_they_stand_at_the_insert() -> None:
    """Values prepared before a transaction are written unless their attribute changed since
    (a new object in it, or a dict changed in place); the rows written are the ones a plain
    insert of the same rows writes."""
    contact = Contact.objects.create(name="Rina")
    chains = [Chain.objects.create(label=label, head_seq=0, head_hash="0" * 64) for label in "12"]
    moment = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def entries() -> list[Entry]:
        common = {"kind": "message", "direction": "in", "channel": "api", "occurred_at": moment}
        return [
            Entry(actor_contact=contact, text="Halo", data={"a": 1}, recorded_at=moment, **common),
            Entry(actor="system", subject="Dibuka", recorded_at=moment, **common),
        ]

    ahead_rows, plain_rows = entries(), entries()
    ahead = RowsAhead(Entry, ahead_rows)
    # What a transaction sets after they were prepared:
    for rows, chain in zip((ahead_rows, plain_rows), chains, strict=True):
        for seq, row in enumerate(rows, start=1):
            row.chain, row.seq, row.prev_hash = chain, seq, "p"
            row.body_hash = f"{chain.label}-{seq}"
        rows[0].data["b"] = [2]  # changed in place
        rows[1].text = "Tiket dibuka"
    rows_create(Entry, ahead_rows, ahead=ahead)
    rows_create(Entry, plain_rows)
    for mine, plain in zip(ahead_rows, plain_rows, strict=True):
        differ = {"chain_id": 0, "body_hash": ""}  # each set has its own chain
        assert _stored(Entry, mine.pk) | differ == _stored(Entry, plain.pk) | differ
    first = Entry.objects.get(pk=ahead_rows[0].pk)
    assert (first.chain_id, first.seq, first.data) == (chains[0].pk, 1, {"a": 1, "b": [2]})
    assert Entry.objects.get(pk=ahead_rows[1].pk).text == "Tiket dibuka"


def test_rows_prepared_ahead_are_refused_for_other_rows() -> None:
    built = [Contact(name="Satu"), Contact(name="Dua")]
    ahead = RowsAhead(Contact, built)
    with pytest.raises(ValueError, match="other rows"):
        rows_create(Contact, [Contact(name="Satu"), built[1]], ahead=ahead)
    with pytest.raises(ValueError, match="other rows"):
        rows_create(Contact, built[:1], ahead=ahead)
    assert not Contact.objects.exists()
