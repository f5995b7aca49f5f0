"""The HTTP API acts as one member of staff: same visibility, same rights, same logbook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from layan.channels.models import OutboundRecord
from layan.customers.tests.factories import CustomerFactory, IdentityFactory
from layan.logbook.models import Entry, Kind
from layan.logbook.services import entry_redact
from layan.management.commands.openapi import openapi_text
from layan.team.models import Role, User
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.team.tokens import token_create, token_revoke
from layan.tickets.models import Ticket, Tone
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

SNAPSHOT = Path(__file__).resolve().parents[3] / "docs" / "api" / "openapi.json"


def bearer(user: User) -> dict[str, str]:
    _token, key = token_create(user=user, name="uji")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def agent() -> User:
    return UserFactory(role=Role.AGENT)


@pytest.fixture
def ticket(agent: User) -> Ticket:
    return make_ticket(team=TeamFactory(members=[agent]), subject="Kemasan penyok")


def call(client: Client, method: str, url: str, headers: dict[str, str], body: object = None):  # type: ignore[no-untyped-def]
    return getattr(client, method)(
        url,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers=headers,
    )


def test_openapi_snapshot_is_current() -> None:
    """The committed docs/api/openapi.json is what the API serves (`layan openapi -o ...`)."""
    assert SNAPSHOT.read_text() == openapi_text()


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer layan_salah"}, {"Authorization": "Basic eDp5"}]
)
def test_without_a_valid_token_everything_is_401(client: Client, ticket: Ticket, headers) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
    assert client.get(f"/api/v1/tickets/{ticket.reference}", headers=headers).status_code == 401


def test_a_revoked_token_or_inactive_user_is_refused(client: Client, agent: User) -> None:
    token, key = token_create(user=agent, name="lama")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    token_revoke(token=token)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401
    other = UserFactory(role=Role.MANAGER)
    headers = bearer(other)
    other.is_active = False
    other.save()
    assert client.get("/api/v1/tickets", headers=headers).status_code == 401


def test_the_list_shows_what_the_user_may_see(client: Client, agent: User, ticket: Ticket) -> None:
    hidden = make_ticket(team=TeamFactory())
    response = client.get("/api/v1/tickets", headers=bearer(agent))
    assert response.status_code == 200
    references = [item["reference"] for item in response.json()["items"]]
    assert ticket.reference in references and hidden.reference not in references
    assert (
        client.get(f"/api/v1/tickets/{hidden.reference}", headers=bearer(agent)).status_code == 404
    )


def test_the_list_searches_filters_by_mood_and_sorts_by_anger(
    client: Client, agent: User, ticket: Ticket
) -> None:
    angry = make_ticket(team=ticket.team, subject="Barang rusak, saya kecewa")
    Ticket.objects.filter(pk=angry.pk).update(anger=0.88)
    headers = bearer(agent)

    def references(**query: str) -> list[int]:
        response = client.get("/api/v1/tickets", query, headers=headers)
        assert response.status_code == 200
        return [item["reference"] for item in response.json()["items"]]

    assert references(sort="anger") == [angry.reference, ticket.reference]
    assert references(mood="angry") == [angry.reference]
    assert references(q="penyok") == [ticket.reference]
    assert client.get("/api/v1/tickets", {"sort": "loudest"}, headers=headers).status_code == 422


def test_the_list_by_an_owner_number_no_key_can_hold_is_empty(client: Client, agent: User) -> None:
    """`?owner=` takes any digits; a number beyond the key column names nobody."""
    response = client.get("/api/v1/tickets", {"owner": "9" * 25}, headers=bearer(agent))
    assert response.status_code == 200
    assert response.json() == {"items": [], "next": ""}


def test_a_ticket_with_its_timeline(client: Client, agent: User, ticket: Ticket) -> None:
    body = client.get(f"/api/v1/tickets/{ticket.reference}", headers=bearer(agent)).json()
    assert body["subject"] == "Kemasan penyok" and body["version"] == 1
    assert [entry["kind"] for entry in body["entries"]] == ["created", "message"]


def test_a_ticket_is_read_in_three_statements_and_shows_no_redacted_text(
    client: Client, agent: User, ticket: Ticket, django_assert_num_queries: Any
) -> None:
    message = ticket.chain.entries.get(kind=Kind.MESSAGE)
    entry_redact(entry=message, actor=UserFactory(role=Role.ADMIN), reason="Permintaan PDP")
    headers = bearer(agent)
    client.get(f"/api/v1/tickets/{ticket.reference}", headers=headers)  # notes the token's use
    # The token, the ticket with its visibility, the entries' own columns.
    with django_assert_num_queries(3) as captured:
        body = client.get(f"/api/v1/tickets/{ticket.reference}", headers=headers).json()
    token_read = captured.captured_queries[0]["sql"]
    assert "key_sha256" in token_read and '"password"' not in token_read  # never needed
    entries = {entry["kind"]: entry for entry in body["entries"]}
    assert [entry["seq"] for entry in body["entries"]] == [1, 2, 3]
    assert entries["message"]["redacted"] is True and entries["message"]["text"] == ""
    assert entries["redaction"]["text"] == "Permintaan PDP"
    assert body["customer"]["id"] == ticket.customer_id and body["team"]["id"] == ticket.team_id


def test_open_a_ticket_through_the_api(client: Client) -> None:
    manager = UserFactory(role=Role.MANAGER)
    existing = make_ticket()
    response = call(
        client,
        "post",
        "/api/v1/tickets",
        bearer(manager),
        {
            "customer_id": existing.customer_id,
            "requester_id": existing.requester_id,
            "subject": "Dari sistem ERP",
            "text": "Pesanan 1042 dibatalkan pelanggan.",
            "category": "request",
            "priority": "high",
        },
    )
    assert response.status_code == 201, response.content
    created = Ticket.objects.get(reference=response.json()["reference"])
    assert created.channel == "api" and created.priority == "high"
    message = Entry.objects.get(chain=created.chain, kind=Kind.MESSAGE)
    assert message.data == {"logged_by": manager.actor}


def opening(existing: Ticket, subject: str, text: str) -> dict[str, Any]:
    """A new ticket's body for the customer and requester of `existing`."""
    return {
        "customer_id": existing.customer_id,
        "requester_id": existing.requester_id,
        "subject": subject,
        "text": text,
    }


def test_opening_a_ticket_checks_the_requester_in_one_query(
    client: Client, django_assert_num_queries: Any
) -> None:
    headers = bearer(UserFactory(role=Role.MANAGER))
    existing = make_ticket()
    payload = opening(existing, "Dari sistem ERP", "Pesanan 1042 dibatalkan pelanggan.")
    call(client, "post", "/api/v1/tickets", headers, payload)  # the token's first use
    # Token and user; the requester's membership with customer and contact; then the
    # ticket's writes in one transaction (savepoint, counter, the chain with its head, both
    # entries in one statement, the ticket with its first message's marks, tone, release),
    # with its follow-up task on the database queue (RQ gets it after).
    queue_write = 1 if settings.TASK_BACKEND == "db" else 0
    with django_assert_num_queries(2 + 7 + queue_write):
        response = call(client, "post", "/api/v1/tickets", headers, payload)
    assert response.status_code == 201, response.content


def test_an_opened_ticket_answers_with_its_first_message_counted(client: Client) -> None:
    existing = make_ticket()
    text = "Saya sangat kecewa dan marah, pesanan saya rusak dan tidak ada yang membalas!"
    payload = opening(existing, "Kecewa sekali", text)
    response = call(
        client, "post", "/api/v1/tickets", bearer(UserFactory(role=Role.MANAGER)), payload
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(reference=response.json()["reference"])
    tone = Tone.objects.get(ticket=ticket)
    assert ticket.message_count == 1
    assert ticket.last_customer_message_at == tone.occurred_at
    assert ticket.anger == tone.anger > 0
    assert ticket.abusive is tone.abusive
    assert response.json()["anger"] == round(tone.anger, 3)


def test_open_a_ticket_for_a_contact_of_another_customer_is_refused(client: Client) -> None:
    manager = UserFactory(role=Role.MANAGER)
    existing = make_ticket()
    response = call(
        client,
        "post",
        "/api/v1/tickets",
        bearer(manager),
        {
            "customer_id": CustomerFactory().pk,
            "requester_id": existing.requester_id,
            "subject": "x",
            "text": "y",
        },
    )
    assert response.status_code == 422


@pytest.mark.parametrize("customer", ["theirs", "hers"])
def test_open_a_ticket_naming_what_they_may_not_see_is_404(client: Client, customer: str) -> None:
    """Someone else's customer; or one of hers, with someone else's contact as the requester."""
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    theirs = make_ticket(
        customer=CustomerFactory(account_manager=UserFactory(role=Role.ACCOUNT_MANAGER))
    )
    if customer == "theirs":
        customer_id = theirs.customer_id
    else:
        customer_id = CustomerFactory(account_manager=rina).pk
    response = call(
        client,
        "post",
        "/api/v1/tickets",
        bearer(rina),
        {
            "customer_id": customer_id,
            "requester_id": theirs.requester_id,
            "subject": "x",
            "text": "y",
        },
    )
    assert response.status_code == 404


def test_a_reply_by_mail_reads_what_it_needs_in_few_queries(
    client: Client, agent: User, ticket: Ticket, django_assert_num_queries: Any
) -> None:
    IdentityFactory(contact=ticket.requester, kind="email", value="siti@kopi.co.id")
    headers = bearer(agent)
    url = f"/api/v1/tickets/{ticket.reference}/replies"
    call(client, "post", url, headers, {"text": "Baik Ibu, kami cek dulu."})  # token's first use
    # Token and user, the ticket (the agent's teams asked within its query). Before the
    # transaction, what the reply and its mail are drafted from: the ticket with its
    # requester and team, the customer's address, the thread's mail ids from entries and
    # outbox. Then one transaction
    # (savepoint; the ticket locked with its chain, requester and team; the entry; the raw
    # mail's blob and its bytes, small enough for the database; the outbox row, with its send
    # task queued; the ticket's times; the chain's head; release, with the follow-up task
    # queued). The caller's ticket takes the locked row's columns: no read after.
    queue_writes = 2 if settings.TASK_BACKEND == "db" else 0
    with django_assert_num_queries(2 + 4 + 9 + queue_writes) as captured:
        response = call(client, "post", url, headers, {"text": "Sudah kami kirim ulang, Bu."})
    assert response.status_code == 201, response.content
    # Nor what it does not use of the requester: the notes, the temperament's history.
    read = " ".join(query["sql"] for query in captured.captured_queries)
    assert "temperament_series" not in read and '"notes"' not in read
    assert OutboundRecord.objects.filter(ticket=ticket).count() == 2


def test_reply_note_and_a_stale_patch(client: Client, agent: User, ticket: Ticket) -> None:
    headers = bearer(agent)
    reply = call(
        client,
        "post",
        f"/api/v1/tickets/{ticket.reference}/replies",
        headers,
        {"text": "Baik Ibu, kami kirim ulang besok pukul 10.00."},
    )
    assert reply.status_code == 201 and reply.json()["kind"] == "reply"
    note = call(
        client,
        "post",
        f"/api/v1/tickets/{ticket.reference}/notes",
        headers,
        {"text": "Cek gudang."},
    )
    assert note.status_code == 201
    first = call(
        client,
        "patch",
        f"/api/v1/tickets/{ticket.reference}",
        headers,
        {"version": 1, "priority": "urgent"},
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = call(
        client,
        "patch",
        f"/api/v1/tickets/{ticket.reference}",
        headers,
        {"version": 1, "priority": "low"},
    )
    assert stale.status_code == 409 and stale.json()["priority"] == "urgent"


@pytest.mark.parametrize(
    "body",
    [{"text": ""}, {"text": "   "}, {}, {"text": 5}, {"text": "ok", "status": "bukan-status"}],
)
def test_bad_input_is_a_clear_4xx(client: Client, agent: User, ticket: Ticket, body: dict) -> None:  # type: ignore[type-arg]
    response = call(
        client, "post", f"/api/v1/tickets/{ticket.reference}/replies", bearer(agent), body
    )
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


@pytest.mark.parametrize("what", ["replies", "notes"])
def test_writing_on_a_ticket_they_may_not_see_is_404(
    client: Client, agent: User, what: str
) -> None:
    """Another team's ticket, and a reference that does not exist: both 404, nothing written."""
    elsewhere = make_ticket(team=TeamFactory())
    entries = Entry.objects.filter(chain=elsewhere.chain).count()
    for reference in (elsewhere.reference, 999_999):
        url = f"/api/v1/tickets/{reference}/{what}"
        response = call(client, "post", url, bearer(agent), {"text": "Halo"})
        assert response.status_code == 404, (reference, response.content)
    assert Entry.objects.filter(chain=elsewhere.chain).count() == entries


def test_viewers_read_but_do_not_write(client: Client) -> None:
    viewer = UserFactory(role=Role.VIEWER)
    ticket = make_ticket(team=TeamFactory(members=[viewer]))
    headers = bearer(viewer)
    assert client.get(f"/api/v1/tickets/{ticket.reference}", headers=headers).status_code == 200
    response = call(
        client, "post", f"/api/v1/tickets/{ticket.reference}/notes", headers, {"text": "coba"}
    )
    assert response.status_code == 403


def test_customers_are_scoped(client: Client) -> None:
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    mine = CustomerFactory(account_manager=rina, name="PT Milik Rina")
    theirs = CustomerFactory(name="PT Orang Lain")
    headers = bearer(rina)
    names = [c["name"] for c in client.get("/api/v1/customers", headers=headers).json()]
    assert names == ["PT Milik Rina"]
    assert client.get(f"/api/v1/customers/{mine.pk}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/customers/{theirs.pk}", headers=headers).status_code == 404


def test_the_list_query_count_is_pinned(
    client: Client, agent: User, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    team = TeamFactory(members=[agent])
    for _ in range(15):
        make_ticket(team=team)
    headers = bearer(agent)
    # Two of them read a page of ids from the team and from what the agent owns (see
    # `layan.tickets.queries._scope_branches`).
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/tickets", headers=headers).status_code == 200
