from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from layan.logbook.models import Entry, Kind
from layan.logbook.services import entry_redact
from layan.search.queries import ticket_match
from layan.search.services import search_rebuild
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.models import Ticket
from layan.tickets.queries import InboxFilters, inbox_for
from layan.tickets.services import ticket_note_add, ticket_reply
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def found(text: str) -> set[int]:
    return set(Ticket.objects.filter(ticket_match(text)).values_list("reference", flat=True))


@pytest.fixture
def admin():
    return UserFactory(role=Role.ADMIN)


@pytest.fixture
def tickets(admin):
    invoice = make_ticket(
        subject="Tagihan bulan Oktober",
        text="Selamat siang, tagihan kami dobel untuk invoice INV-2023-0042.",
    )
    parcel = make_ticket(
        subject="Parcel not delivered",
        text="Hello, our parcel with the spare parts has not arrived yet.",
    )
    ticket_reply(ticket=parcel, actor=admin, text="We have asked the courier about the parcel.")
    ticket_note_add(ticket=parcel, actor=admin, text="Kurir JNE berjanji besok pagi.")
    return {"invoice": invoice, "parcel": parcel}


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("tagihan", {"invoice"}),  # the customer's message and the subject
        ("Oktober", {"invoice"}),  # the subject only
        ("courier", {"parcel"}),  # our reply
        ("kurir besok", {"parcel"}),  # an internal note, every word required
        ("kurir tagihan", set()),  # words from two tickets: neither has both
        ("INV-2023-0042", {"invoice"}),
        ("tagih", {"invoice"}),  # longer words match as prefixes
        ("PARCEL", {"parcel"}),
        ("spare parts arrived", {"parcel"}),
        ("nothing-like-this", set()),
        ("?!", set()),
    ],
)
def test_a_word_anywhere_in_the_conversation_finds_the_ticket(tickets, typed, names) -> None:
    """Subject, customer messages, replies and notes are all searched, every word required."""
    assert found(typed) == {tickets[name].reference for name in names}


def test_the_reference_finds_its_ticket(tickets) -> None:
    """`#1042` and `1042` find ticket 1042, and a number is never a prefix of another."""
    reference = tickets["parcel"].reference
    assert reference in found(f"#{reference}")
    assert reference in found(str(reference))
    assert found(str(reference)[:-1]) == set()


def test_operators_typed_by_a_user_are_words(tickets) -> None:
    """Query syntax of FTS5 or tsquery in the box never errors and never widens the search."""
    for typed in ['"', "OR", "tagihan OR parcel", "NOT parcel", "parcel*", "(", "a & | ! :*"]:
        found(typed)
    assert found("tagihan OR parcel") == set()


def test_a_redaction_stops_the_redacted_words_matching(tickets, admin) -> None:
    """Redacted content leaves the index at once; the rest of the conversation still matches."""
    ticket = tickets["invoice"]
    message = Entry.objects.get(chain=ticket.chain, kind=Kind.MESSAGE)
    assert found("dobel") == {ticket.reference}
    entry_redact(entry=message, actor=admin, reason="Nomor rekening pribadi")
    assert found("dobel") == set()
    assert found("Oktober") == {ticket.reference}


def test_a_new_subject_is_searchable(tickets) -> None:
    ticket = tickets["parcel"]
    Ticket.objects.filter(pk=ticket.pk).update(subject="Suku cadang tertahan di gudang")
    assert found("gudang") == {ticket.reference}
    assert found("courier") == {ticket.reference}


def test_a_message_added_later_is_searchable_at_once(tickets, admin) -> None:
    ticket = tickets["invoice"]
    assert found("kwitansi") == set()
    ticket_reply(ticket=ticket, actor=admin, text="Kwitansi pengganti sudah kami kirim.")
    assert found("kwitansi") == {ticket.reference}


def test_a_rebuild_gives_the_same_answers(tickets, admin) -> None:
    """The index rebuilt from the tables matches what the triggers maintained."""
    entry_redact(
        entry=Entry.objects.get(chain=tickets["invoice"].chain, kind=Kind.MESSAGE),
        actor=admin,
        reason="salah kirim",
    )
    words = ["tagihan", "dobel", "courier", "kurir", "oktober", "parcel"]
    before = {word: found(word) for word in words}
    assert search_rebuild() == Ticket.objects.count()
    assert {word: found(word) for word in words} == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps the documents' text")
def test_the_documents_kept_are_those_a_rebuild_makes(tickets, admin) -> None:
    """A ticket opened with its message (its entries go in before it), then replied to (the
    reply appended to the document), holds the same text a rebuild makes."""
    ticket_reply(ticket=tickets["invoice"], actor=admin, text="Kami cek dulu, Bu.")

    def documents() -> list[tuple[int, str, str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rowid, head, body FROM search_ticket ORDER BY rowid")
            return [(rowid, head, body.strip()) for rowid, head, body in cursor.fetchall()]

    kept = documents()
    assert "dobel" in kept[0][2] and "Kami cek dulu" in kept[0][2]
    search_rebuild()
    assert documents() == kept


def test_the_command_reports_and_rebuilds(tickets, capsys) -> None:
    call_command("search-index")
    assert "2 of 2 tickets indexed" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_ticket")
    with pytest.raises(SystemExit):
        call_command("search-index")
    call_command("search-index", "--rebuild")
    assert "rebuilt the search index of 2 tickets" in capsys.readouterr().out
    assert found("courier") == {tickets["parcel"].reference}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming is PostgreSQL's")
@pytest.mark.parametrize(
    ("typed", "name"),
    [("kiriman", "shipped"), ("pembayaran", "paid"), ("delivering", "delivery")],
)
def test_postgresql_stems_indonesian_and_english(typed, name) -> None:
    """`kiriman` finds `dikirimkan`, `pembayaran` finds `dibayar`; `delivering` `delivered`."""
    tickets = {
        "shipped": make_ticket(subject="Barang", text="Barang sudah dikirimkan kemarin."),
        "paid": make_ticket(subject="Tagihan", text="Tagihan itu sudah dibayar lunas."),
        "delivery": make_ticket(subject="Goods", text="The goods were delivered late."),
    }
    assert tickets[name].reference in found(typed)


def test_search_in_the_inbox_is_two_queries(tickets, admin, django_assert_num_queries) -> None:
    """The inbox with a keyword costs one query more than without one: the match is read
    first (see `SHORT_MATCH`)."""
    with django_assert_num_queries(2):
        page = inbox_for(admin, InboxFilters(status="", q="parcel"))
    assert [t.reference for t in page.tickets] == [tickets["parcel"].reference]


@pytest.mark.parametrize("short", [0, 1, 1000])
def test_long_and_short_matches_give_the_same_tickets(tickets, monkeypatch, short) -> None:
    """Whether the match is handed over as a list or kept as a subquery changes the plan,
    never the answer."""
    monkeypatch.setattr("layan.search.queries.SHORT_MATCH", short)
    make_ticket(subject="Parcel again", text="Another parcel, still missing.")
    assert len(found("parcel")) == 2
    assert found("parcel still") == {max(found("parcel"))}
    assert found("nothing-like-this") == set()


class TestAnyInput(HypothesisTestCase):
    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
    @given(st.text(max_size=120))
    def test_any_text_is_a_valid_query(self, typed: str) -> None:
        """Nothing typed into the box makes the database raise."""
        with CaptureQueriesContext(connection):
            list(Ticket.objects.filter(ticket_match(typed))[:5])
