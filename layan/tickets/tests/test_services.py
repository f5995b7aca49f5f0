from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from layan.core.clock import clock_at
from layan.logbook.chain import GENESIS, entry_hash
from layan.logbook.models import Direction, Entry, Kind
from layan.logbook.services import NewAttachment
from layan.team.models import Role
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets import services
from layan.tickets.models import Status, Ticket
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def kinds(ticket: Ticket) -> list[str]:
    return list(
        Entry.objects.filter(chain=ticket.chain).order_by("seq").values_list("kind", flat=True)
    )


def test_ticket_open_gives_references_in_order_and_logs_the_first_message() -> None:
    first = make_ticket()
    second = make_ticket()
    assert second.reference == first.reference + 1
    assert first.reference >= 1000
    assert kinds(first) == [Kind.CREATED, Kind.MESSAGE]
    message = Entry.objects.get(chain=first.chain, kind=Kind.MESSAGE)
    assert message.direction == Direction.IN
    assert message.actor == f"contact:{first.requester_id}"
    # The returned ticket already counts its first message, as the stored row does.
    assert first.message_count == 1
    assert first.last_customer_message_at == message.occurred_at
    first.refresh_from_db()
    assert first.message_count == 1
    assert first.last_customer_message_at == message.occurred_at


def test_entries_form_a_hash_chain() -> None:
    """Each entry points at its predecessor's hash, and its own hash covers its body."""
    from layan.logbook.bodies import entry_body

    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    services.ticket_reply(ticket=ticket, actor=agent, text="Baik Ibu, kami cek sekarang.")
    services.ticket_note_add(ticket=ticket, actor=agent, text="Cek gudang.")
    entries = list(Entry.objects.filter(chain=ticket.chain).order_by("seq"))
    assert [entry.seq for entry in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == GENESIS
    for previous, entry in pairwise(entries):
        assert entry.prev_hash == previous.body_hash
    for entry in entries:
        body = entry_body(entry, chain_label=str(ticket.reference), attachments=[])
        assert entry_hash(body) == entry.body_hash
    ticket.chain.refresh_from_db()
    assert ticket.chain.head_seq == 4
    assert ticket.chain.head_hash == entries[-1].body_hash


def test_attachments_are_stored_by_content_and_covered_by_the_chain() -> None:
    ticket = make_ticket(
        attachments=[
            NewAttachment(
                filename="faktur.pdf", content_type="application/pdf", payload=b"%PDF-1.4 faktur"
            )
        ],
    )
    entry = Entry.objects.get(chain=ticket.chain, kind=Kind.MESSAGE)
    attachment = entry.attachments.get()
    assert attachment.filename == "faktur.pdf"
    assert attachment.blob.size == len(b"%PDF-1.4 faktur")


def test_first_reply_sets_first_response_once() -> None:
    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    start = ticket.created_at
    with clock_at(start + timedelta(minutes=30)):
        services.ticket_reply(ticket=ticket, actor=agent, text="Halo Ibu.")
    with clock_at(start + timedelta(hours=2)):
        services.ticket_reply(ticket=ticket, actor=agent, text="Sudah kami kirim.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == start + timedelta(minutes=30)
    assert ticket.last_reply_at == start + timedelta(hours=2)


def test_reply_can_set_status_and_records_it() -> None:
    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    services.ticket_reply(
        ticket=ticket,
        actor=agent,
        text="Mohon kirim foto.",
        status=Status.WAITING_CUSTOMER,
        version=ticket.version,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    assert kinds(ticket)[-2:] == [Kind.REPLY, Kind.STATUS]


def test_customer_message_reopens_a_resolved_ticket() -> None:
    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    services.ticket_update(
        ticket=ticket, actor=agent, version=ticket.version, status=Status.RESOLVED
    )
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None
    services.ticket_message_add(ticket=ticket, contact=ticket.requester, text="Masih belum sampai.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.resolved_at is None
    assert kinds(ticket)[-2:] == [Kind.MESSAGE, Kind.STATUS]


def test_stale_update_is_refused_with_the_current_ticket() -> None:
    """Two agents edit the same ticket: the second, working from an old version, gets a conflict."""
    ticket = make_ticket()
    first, second = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    loaded_version = ticket.version
    services.ticket_update(ticket=ticket, actor=first, version=loaded_version, priority="high")
    with pytest.raises(services.TicketConflict) as conflict:
        services.ticket_update(ticket=ticket, actor=second, version=loaded_version, priority="low")
    assert conflict.value.ticket.priority == "high"
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_update_without_changes_keeps_version() -> None:
    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    updated = services.ticket_update(
        ticket=ticket, actor=agent, version=ticket.version, status=ticket.status
    )
    assert updated.version == ticket.version


def test_owner_change_records_the_handover_note() -> None:
    ticket = make_ticket()
    rina, agus = UserFactory(role=Role.ACCOUNT_MANAGER), UserFactory(role=Role.AGENT)
    services.ticket_update(ticket=ticket, actor=rina, version=ticket.version, owner=rina)
    ticket.refresh_from_db()
    services.ticket_update(
        ticket=ticket,
        actor=rina,
        version=ticket.version,
        owner=agus,
        handover_note="Pelanggan minta dikabari tiap sore.",
    )
    entry = Entry.objects.filter(chain=ticket.chain, kind=Kind.OWNER).order_by("-seq").first()
    assert entry is not None
    assert entry.text == "Pelanggan minta dikabari tiap sore."
    assert entry.data["from"] == rina.actor and entry.data["to"] == agus.actor


def test_viewer_cannot_own_tickets() -> None:
    ticket = make_ticket()
    admin, viewer = UserFactory(role=Role.ADMIN), UserFactory(role=Role.VIEWER)
    with pytest.raises(ValidationError):
        services.ticket_update(ticket=ticket, actor=admin, version=ticket.version, owner=viewer)


@pytest.mark.parametrize(
    "action",
    [
        lambda t, u: services.ticket_reply(ticket=t, actor=u, text="Halo"),
        lambda t, u: services.ticket_note_add(ticket=t, actor=u, text="Catatan"),
        lambda t, u: services.ticket_update(
            ticket=t, actor=u, version=t.version, status="resolved"
        ),
        lambda t, u: services.ticket_take(ticket=t, actor=u),
        lambda t, u: services.ticket_tags_set(ticket=t, actor=u, names=["x"]),
    ],
)
def test_viewer_cannot_write(action) -> None:
    ticket = make_ticket()
    viewer = UserFactory(role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        action(ticket, viewer)
    assert kinds(ticket) == [Kind.CREATED, Kind.MESSAGE]


def test_take_gives_the_ticket_to_exactly_one_agent() -> None:
    ticket = make_ticket()
    first, second = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    assert services.ticket_take(ticket=ticket, actor=first) is True
    assert services.ticket_take(ticket=ticket, actor=second) is False
    ticket.refresh_from_db()
    assert ticket.owner == first
    assert kinds(ticket).count(Kind.OWNER) == 1


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_reply_and_note_are_refused(text: str) -> None:
    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    with pytest.raises(ValidationError):
        services.ticket_reply(ticket=ticket, actor=agent, text=text)
    with pytest.raises(ValidationError):
        services.ticket_note_add(ticket=ticket, actor=agent, text=text)


def test_tags_are_normalised_and_changes_logged() -> None:
    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    assert services.ticket_tags_set(
        ticket=ticket, actor=agent, names=["Keluhan", "#VIP", "keluhan"]
    ) == ["keluhan", "vip"]
    services.ticket_tags_set(ticket=ticket, actor=agent, names=["vip"])
    tag_entries = Entry.objects.filter(chain=ticket.chain, kind=Kind.TAGS).order_by("seq")
    assert [entry.data for entry in tag_entries] == [
        {"added": ["keluhan", "vip"], "removed": []},
        {"added": [], "removed": ["keluhan"]},
    ]


def test_team_change_is_logged_with_names() -> None:
    ticket = make_ticket()
    team = TeamFactory(name="Keuangan")
    agent = UserFactory(role=Role.AGENT)
    services.ticket_update(ticket=ticket, actor=agent, version=ticket.version, team=team)
    entry = Entry.objects.get(chain=ticket.chain, kind=Kind.TEAM)
    assert entry.data["to_label"] == "Keuangan"


def test_closing_sets_resolved_and_closed_times() -> None:
    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    services.ticket_update(ticket=ticket, actor=agent, version=ticket.version, status=Status.CLOSED)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None and ticket.resolved_at is not None
    assert ticket.is_done


@pytest.mark.parametrize(
    "status", [None, Status.WAITING_CUSTOMER], ids=["reply", "reply-and-status"]
)
def test_after_a_reply_the_callers_ticket_holds_what_is_stored(status: Status | None) -> None:
    """Whether the reply changes the status or not, the ticket the caller passed in ends
    with every column as the database now has it."""
    ticket = make_ticket()
    agent = UserFactory(role=Role.AGENT)
    before = ticket.updated_at
    services.ticket_reply(ticket=ticket, actor=agent, text="Baik Ibu.", status=status)

    stored = Ticket.objects.get(pk=ticket.pk)
    columns = [field.attname for field in Ticket._meta.concrete_fields]
    assert {name: getattr(ticket, name) for name in columns} == {
        name: getattr(stored, name) for name in columns
    }
    assert ticket.first_response_at is not None and ticket.updated_at > before
