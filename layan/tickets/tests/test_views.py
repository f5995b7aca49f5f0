import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from layan.customers.models import Customer, CustomerKind
from layan.customers.tests.factories import CustomerFactory
from layan.logbook.models import Entry, Kind
from layan.logbook.services import NewAttachment
from layan.team.models import Role, User
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets.models import Ticket
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent() -> User:
    return UserFactory(role=Role.AGENT)


@pytest.fixture
def agent_client(client: Client, agent: User) -> Client:
    client.force_login(agent)
    return client


@pytest.fixture
def ticket(agent: User) -> Ticket:
    team = TeamFactory(members=[agent])
    return make_ticket(team=team, subject="Spanduk sobek saat dipasang")


def test_inbox_lists_visible_tickets(agent_client: Client, ticket: Ticket) -> None:
    response = agent_client.get(reverse("tickets:inbox"))
    assert response.status_code == 200
    assert "Spanduk sobek saat dipasang" in response.text
    assert f"#{ticket.reference}" in response.text


def test_inbox_htmx_request_gets_only_the_list(agent_client: Client, ticket: Ticket) -> None:
    response = agent_client.get(reverse("tickets:inbox"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="ticket-list"')
    assert "<html" not in response.text


def test_inbox_filters_by_a_customer_past_the_choices_limit(
    agent_client: Client, agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link "all tickets of this customer" filters by that customer even when the
    customer is not among the first customers the filter lists; a customer the agent may not
    see is dropped from the filter, not shown."""
    monkeypatch.setattr("layan.customers.queries.CHOICES_LIMIT", 1)
    team = TeamFactory(members=[agent])
    first = make_ticket(team=team, customer=CustomerFactory(name="Aneka Jaya"), subject="Satu")
    later = make_ticket(team=team, customer=CustomerFactory(name="Zamrud Abadi"), subject="Dua")
    hidden = make_ticket(customer=CustomerFactory(name="Bukan Urusan"), subject="Tiga")
    response = agent_client.get(reverse("tickets:inbox"), {"customer": later.customer_id})
    assert "Dua" in response.text
    assert "Satu" not in response.text
    assert f'value="{later.customer_id}" selected' in response.text
    response = agent_client.get(reverse("tickets:inbox"))
    assert f'<option value="{first.customer_id}">Aneka Jaya' in response.text
    assert f'<option value="{later.customer_id}"' not in response.text  # past the limit
    response = agent_client.get(reverse("tickets:inbox"), {"customer": hidden.customer_id})
    assert f'<option value="{hidden.customer_id}"' not in response.text
    assert "Satu" in response.text and "Dua" in response.text  # no filter: every ticket
    assert first.customer_id != later.customer_id


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "owner=%00",
        "team=abc",
        "customer=999999999999999999999999",
        "priority=<script>",
        "after=%%%",
        "q=" + "x" * 5000,
        "status=open&status=closed",
        "page=-1",
        "mood=furious",
        "sort=anger&after=YW5nZXJ8bmFufDE",
        "q=%22%20OR%20*",
    ],
)
def test_inbox_survives_malformed_query_strings(
    agent_client: Client, ticket: Ticket, query: str
) -> None:
    """A malformed filter falls back to its default; it never causes a 500."""
    response = agent_client.get(reverse("tickets:inbox") + "?" + query)
    assert response.status_code == 200


def test_inbox_page_query_count_is_pinned(
    agent_client: Client, agent: User, django_assert_max_num_queries: object
) -> None:
    team = TeamFactory(members=[agent])
    for number in range(20):
        # Every column a row shows: an owner or none, an internal customer, an angry or an
        # abusive customer (the SLA's due column: `sla/tests/test_views.py`).
        make_ticket(
            team=team,
            owner=agent if number % 2 else None,
            customer=CustomerFactory(kind=CustomerKind.INTERNAL) if number == 3 else None,
            text="Kalian penipu, bodoh!" if number % 5 == 0 else "Pesanan kami belum sampai.",
        )
    # An agent's page of ids from each team and from what they own: one statement each
    # (`layan.tickets.queries._scope_branches`).
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        response = agent_client.get(reverse("tickets:inbox"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<tr>") >= 20 and agent.name in page
    assert "internal" in page


def test_inbox_search_offers_the_ticket_and_customers_it_names(
    agent_client: Client, ticket: Ticket, django_assert_max_num_queries: object
) -> None:
    """`#ref` offers a jump to that ticket; a customer's name offers its page."""
    # A keyword's match is read first (`layan.search.queries.SHORT_MATCH`), and an agent's
    # page of ids from each team and from what they own (`queries._scope_branches`).
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        response = agent_client.get(reverse("tickets:inbox"), {"q": f"#{ticket.reference}"})
    shortcuts = response.text.split('class="shortcuts"')[1].split("</p>")[0]
    assert reverse("tickets:detail", args=[ticket.reference]) in shortcuts
    response = agent_client.get(reverse("tickets:inbox"), {"q": ticket.customer.name})
    shortcuts = response.text.split('class="shortcuts"')[1].split("</p>")[0]
    assert reverse("customers:detail", args=[ticket.customer_id]) in shortcuts


def test_inbox_sorted_by_anger_marks_angry_customers(agent_client: Client, agent: User) -> None:
    team = TeamFactory(members=[agent])
    calm = make_ticket(team=team, subject="Terima kasih atas bantuannya")
    angry = make_ticket(team=team, subject="Kecewa sekali dengan layanan")
    Ticket.objects.filter(pk=angry.pk).update(anger=0.93)
    response = agent_client.get(reverse("tickets:inbox"), {"sort": "anger", "status": ""})
    text = response.text
    assert text.index(angry.subject) < text.index(calm.subject)
    assert text.count('class="chip prio-high"') == 1


def test_ticket_page_shows_the_conversation(agent_client: Client, ticket: Ticket) -> None:
    response = agent_client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert response.status_code == 200
    assert "pesanan kami belum sampai" in response.text


@pytest.mark.parametrize("exchanges", [2, 12])
def test_ticket_page_query_count_is_pinned(
    agent_client: Client,
    ticket: Ticket,
    agent: User,
    exchanges: int,
    django_assert_max_num_queries: object,
) -> None:
    """The count does not grow with the conversation: no query per entry."""
    from layan.tickets.services import ticket_note_add, ticket_reply

    for number in range(exchanges):
        ticket_reply(ticket=ticket, actor=agent, text=f"Balasan {number}")
        ticket_note_add(ticket=ticket, actor=agent, text=f"Catatan {number}")
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        response = agent_client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert response.status_code == 200


def test_the_owner_and_team_choices_are_the_current_staff_and_teams(
    agent_client: Client, ticket: Ticket, agent: User
) -> None:
    """The choices are read anew on every page: staff and teams added, renamed or made
    inactive since the last page show as they are now, in the queryset's order, escaped, with
    the ticket's own owner and team chosen."""
    from django.utils import translation

    from layan.tickets.forms import TicketUpdateForm
    from layan.tickets.queries import assignable_owners

    url = reverse("tickets:detail", args=[ticket.reference])

    def select(name: str) -> str:
        text = agent_client.get(url).text
        return text.split(f'<select name="{name}"', 1)[1].split("</select>", 1)[0]

    agent_client.get(url)
    Ticket.objects.filter(pk=ticket.pk).update(owner=agent)
    zaenal = UserFactory(role=Role.AGENT, first_name="Zaenal <b>", last_name="")
    UserFactory(role=Role.VIEWER, first_name="Hanya Lihat")
    TeamFactory(name="Gudang & Kirim")
    owners = select("owner")
    expected = [str(user.pk) for user in assignable_owners()]
    assert owners.count("<option") == len(expected) + 1
    assert [part.split('"', 1)[0] for part in owners.split('value="')[2:]] == expected
    assert f'<option value="{agent.pk}" selected>' in owners
    assert "Zaenal &lt;b&gt;" in owners and "Hanya Lihat" not in owners
    with translation.override(agent.language):
        nobody = f' value="">{TicketUpdateForm.base_fields["owner"].empty_label}</option>'
    assert owners.split("<option", 2)[1].startswith(nobody)  # first
    assert f'<option value="{ticket.team_id}" selected>' in select("team")
    assert "Gudang &amp; Kirim" in select("team")
    User.objects.filter(pk=zaenal.pk).update(is_active=False)
    assert "Zaenal" not in select("owner")
    inbox = agent_client.get(reverse("tickets:inbox")).text
    assert "Gudang &amp; Kirim" in inbox and "Zaenal" not in inbox


def test_each_entry_shows_its_own_attachments_in_order_and_its_inline_images(
    agent_client: Client, agent: User
) -> None:
    """Attachments are read for the whole conversation at once and shown under the entry
    they came with, in their order; the mail's HTML shows its inline image from Layan."""
    from layan.tickets.services import ticket_message_add

    team = TeamFactory(members=[agent])

    def files(*names: str, inline: str = "") -> list[NewAttachment]:
        found = [
            NewAttachment(filename=n, content_type="text/plain", payload=n.encode()) for n in names
        ]
        if inline:
            found.append(
                NewAttachment(
                    filename=inline,
                    content_type="image/png",
                    payload=b"\x89PNG",
                    inline=True,
                    content_id="<logo@toko>",
                )
            )
        return found

    ticket = make_ticket(team=team, attachments=files("b-kedua.txt", "a-pertama.txt"))
    ticket_message_add(
        ticket=ticket,
        contact=ticket.requester,
        text="Ini fotonya",
        html='<p>Ini fotonya <img src="cid:logo@toko"></p>',
        channel="email",
        attachments=files("c-ketiga.txt", inline="logo.png"),
    )
    url = reverse("tickets:detail", args=[ticket.reference])
    text = agent_client.get(url).text
    first, second = text.split('class="entry entry-message')[1:3]
    assert first.index("b-kedua.txt") < first.index("a-pertama.txt")
    assert "c-ketiga.txt" not in first and "b-kedua.txt" not in second
    assert "c-ketiga.txt" in second and "logo.png" in second
    logo = Entry.objects.get(chain=ticket.chain, text="Ini fotonya").attachments.get(
        filename="logo.png"
    )
    inline = reverse("tickets:inline", args=[ticket.reference, logo.pk])
    assert f'src="{inline}"' in second.replace("&amp;", "&")

    with CaptureQueriesContext(connection) as before:
        agent_client.get(url)
    ticket_message_add(
        ticket=ticket, contact=ticket.requester, text="Lagi", attachments=files("d.txt", "e.txt")
    )
    with CaptureQueriesContext(connection) as after:
        assert "e.txt" in agent_client.get(url).text
    assert len(after) == len(before)


def test_the_ticket_page_lists_the_linked_tickets_its_reader_may_see_oldest_first(
    client: Client, agent: User
) -> None:
    """Linked tickets are listed oldest first, escaped, with a constant number of queries
    however many there are; a linked ticket of another team is not named to the agent (its
    subject is not theirs to read), and is to a manager."""
    from datetime import timedelta

    from django.utils import timezone

    from layan.channels.models import TicketLink

    team = TeamFactory(members=[agent])
    ticket = make_ticket(team=team)
    url = reverse("tickets:detail", args=[ticket.reference])

    def related(reader: User) -> str:
        client.force_login(reader)
        text = client.get(url).text
        if '<ul class="plain">' not in text:
            return ""
        return text.split('<ul class="plain">', 1)[1].split("</ul>", 1)[0]

    assert related(agent) == ""
    now = timezone.now()
    later = make_ticket(team=team, subject="Tagihan <ganda> bulan ini")
    earlier = make_ticket(team=team, subject="Kiriman kedua")
    hidden = make_ticket(team=TeamFactory(), subject="Rahasia tim gudang")
    for other, age in ((later, 0), (earlier, 1), (hidden, 2)):
        TicketLink.objects.create(
            ticket=ticket, other=other, reason="follow_up", created_at=now - timedelta(age)
        )
    related(agent)
    with CaptureQueriesContext(connection) as two:
        side = related(agent)
    assert side.index(f"#{earlier.reference}") < side.index(f"#{later.reference}")
    assert "Tagihan &lt;ganda&gt; bulan ini" in side
    assert reverse("tickets:detail", args=[later.reference]) in side
    assert "Rahasia" not in client.get(url).text and f"#{hidden.reference}" not in side
    for _ in range(2):
        TicketLink.objects.create(
            ticket=ticket, other=make_ticket(team=team), reason="follow_up", created_at=now
        )
    with CaptureQueriesContext(connection) as four:
        assert related(agent).count("<li>") == 4
    assert len(four) == len(two)
    manager_side = related(UserFactory(role=Role.MANAGER))
    assert manager_side.index(f"#{hidden.reference}") < manager_side.index(f"#{earlier.reference}")


def test_the_account_manager_on_the_ticket_page_costs_no_query(
    agent_client: Client, agent: User
) -> None:
    """The customer's account manager, named beside the ticket, is read with the ticket."""
    team = TeamFactory(members=[agent])
    managed = make_ticket(team=team)
    Customer.objects.filter(pk=managed.customer_id).update(
        account_manager=UserFactory(role=Role.ACCOUNT_MANAGER, first_name="Sari")
    )
    counts = []
    for ticket in (make_ticket(team=team), managed):
        with CaptureQueriesContext(connection) as queries:
            response = agent_client.get(reverse("tickets:detail", args=[ticket.reference]))
        counts.append(len(queries))
    assert "Sari" in response.text
    assert counts[0] == counts[1]


def test_someone_elses_ticket_is_404_not_403(agent_client: Client) -> None:
    other = make_ticket(team=TeamFactory())
    for name in ("detail",):
        assert (
            agent_client.get(reverse(f"tickets:{name}", args=[other.reference])).status_code == 404
        )
    for name in ("reply", "note", "update", "take", "tags"):
        response = agent_client.post(
            reverse(f"tickets:{name}", args=[other.reference]), {"text": "x"}
        )
        assert response.status_code == 404
    assert Entry.objects.filter(chain=other.chain).count() == 2


def test_unknown_ticket_is_404(agent_client: Client) -> None:
    assert agent_client.get("/tickets/987654321/").status_code == 404


def test_reply_without_htmx_redirects_to_the_ticket(agent_client: Client, ticket: Ticket) -> None:
    url = reverse("tickets:reply", args=[ticket.reference])
    response = agent_client.post(
        url, {"text": "Baik Ibu, kami kirim ulang besok pukul 10.00.", "version": ticket.version}
    )
    assert response.status_code == 302
    assert Entry.objects.filter(chain=ticket.chain, kind=Kind.REPLY).count() == 1


def test_reply_with_htmx_returns_the_conversation(agent_client: Client, ticket: Ticket) -> None:
    url = reverse("tickets:reply", args=[ticket.reference])
    response = agent_client.post(
        url,
        {"text": "Siap, kami proses.", "version": ticket.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="conversation"')
    assert "Siap, kami proses." in response.text


def test_empty_reply_is_a_400_with_the_form(agent_client: Client, ticket: Ticket) -> None:
    url = reverse("tickets:reply", args=[ticket.reference])
    response = agent_client.post(url, {"text": ""})
    assert response.status_code == 400
    assert Entry.objects.filter(chain=ticket.chain, kind=Kind.REPLY).count() == 0


def test_note_is_added(agent_client: Client, ticket: Ticket) -> None:
    url = reverse("tickets:note", args=[ticket.reference])
    agent_client.post(url, {"text": "Pelanggan lama, prioritaskan."})
    assert (
        Entry.objects.get(chain=ticket.chain, kind=Kind.NOTE).text
        == "Pelanggan lama, prioritaskan."
    )


def test_stale_property_update_is_409_and_shows_current_values(
    agent_client: Client, ticket: Ticket, agent: User
) -> None:
    url = reverse("tickets:update", args=[ticket.reference])
    form = {
        "version": ticket.version,
        "status": "open",
        "priority": "high",
        "category": "question",
        "owner": "",
        "team": ticket.team_id,
    }
    assert agent_client.post(url, form).status_code == 302
    form["priority"] = "low"
    response = agent_client.post(url, form, headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert 'value="high" selected' in response.text
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_attachment_download_is_forced_and_authorised(agent_client: Client, agent: User) -> None:
    team = TeamFactory(members=[agent])
    ticket = make_ticket(
        team=team,
        attachments=[
            NewAttachment(
                filename="<b>halo</b>.html",
                content_type="text/html",
                payload=b"<script>alert(1)</script>",
            )
        ],
    )
    attachment = Entry.objects.get(chain=ticket.chain, kind=Kind.MESSAGE).attachments.get()
    url = reverse("tickets:attachment", args=[ticket.reference, attachment.pk])
    response = agent_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    # The same attachment id under another ticket's reference is not found.
    other = make_ticket(team=team)
    assert (
        agent_client.get(
            reverse("tickets:attachment", args=[other.reference, attachment.pk])
        ).status_code
        == 404
    )


def test_create_ticket_on_behalf_of_a_customer(client: Client) -> None:
    manager = UserFactory(role=Role.MANAGER)
    client.force_login(manager)
    ticket = make_ticket()
    response = client.post(
        reverse("tickets:create"),
        {
            "customer": ticket.customer_id,
            "requester": ticket.requester_id,
            "subject": "Telepon: minta jadwal ulang",
            "text": "Pelanggan menelepon minta jadwal ulang.",
            "category": "request",
            "priority": "normal",
            "team": "",
        },
    )
    assert response.status_code == 302
    created = Ticket.objects.get(subject="Telepon: minta jadwal ulang")
    assert created.owner == manager
    message = Entry.objects.get(chain=created.chain, kind=Kind.MESSAGE)
    assert message.data == {"logged_by": manager.actor}


def test_create_ticket_refuses_a_contact_from_another_customer(client: Client) -> None:
    manager = UserFactory(role=Role.MANAGER)
    client.force_login(manager)
    ticket = make_ticket()
    other = CustomerFactory()
    response = client.post(
        reverse("tickets:create"),
        {
            "customer": other.pk,
            "requester": ticket.requester_id,
            "subject": "x",
            "text": "y",
            "category": "request",
            "priority": "normal",
        },
    )
    assert response.status_code == 400


def test_viewer_sees_no_composer(client: Client) -> None:
    viewer = UserFactory(role=Role.VIEWER)
    team = TeamFactory(members=[viewer])
    ticket = make_ticket(team=team)
    client.force_login(viewer)
    response = client.get(reverse("tickets:detail", args=[ticket.reference]))
    assert response.status_code == 200
    assert 'id="composer"' not in response.text
    response = client.post(reverse("tickets:reply", args=[ticket.reference]), {"text": "hai"})
    assert response.status_code == 400
    assert Entry.objects.filter(chain=ticket.chain, kind=Kind.REPLY).count() == 0


def test_pages_need_a_login(client: Client, ticket: Ticket) -> None:
    for url in (
        reverse("tickets:inbox"),
        reverse("tickets:detail", args=[ticket.reference]),
        reverse("customers:list"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("team:login"))


def test_a_new_ticket_starts_by_finding_the_customer(client: Client) -> None:
    """The new-ticket page searches customers instead of listing tens of thousands; an
    agent is offered only the customers of their tickets."""
    agent = UserFactory(role=Role.AGENT)
    team = TeamFactory(members=[agent])
    # A key past a thousand: links must not carry it as "12.345" (Indonesian digit groups).
    mine = make_ticket(
        team=team, customer=CustomerFactory(pk=12345, name="Toko Sinar Jaya")
    ).customer
    CustomerFactory(name="Toko Sinar Abadi")  # no ticket of the agent's
    client.force_login(agent)
    response = client.get(reverse("tickets:create"), {"q": "sinar"})
    assert response.status_code == 200
    assert f"?customer={mine.pk}" in response.text
    assert "Toko Sinar Abadi" not in response.text
    assert 'name="subject"' not in response.text
    response = client.get(reverse("tickets:create"), {"q": "tidak ada"})
    assert "customer-matches" not in response.text
    page = client.get(reverse("customers:detail", args=[mine.pk])).text
    assert "?customer=12345" in page and "customer=12.345" not in page


def test_the_form_offers_only_the_chosen_customer_and_their_contacts(client: Client) -> None:
    manager = UserFactory(role=Role.MANAGER)
    client.force_login(manager)
    ticket = make_ticket()
    other = make_ticket()
    response = client.get(reverse("tickets:create"), {"customer": ticket.customer_id})
    assert response.status_code == 200
    assert f'<option value="{ticket.requester_id}">' in response.text
    assert f'<option value="{other.requester_id}">' not in response.text
    assert f'<option value="{other.customer_id}"' not in response.text
    # A customer the user may not see, or no customer at all: back to finding one.
    agent = UserFactory(role=Role.AGENT)
    client.force_login(agent)
    response = client.get(reverse("tickets:create"), {"customer": ticket.customer_id})
    assert 'name="subject"' not in response.text and 'name="q"' in response.text
