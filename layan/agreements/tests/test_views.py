from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from layan.agreements import services
from layan.agreements.models import (
    Agreement,
    AgreementStatus,
    Deal,
    Order,
    OrderRequest,
    Revenue,
    Stage,
    Verdict,
)
from layan.agreements.tests.factories import (
    Account,
    make_account,
    make_agreement,
    make_confirmed,
    make_order,
)
from layan.customers.models import Customer
from layan.team.models import Role
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> Account:
    return make_account(name="PT Kopi Senja")


@pytest.fixture
def am_client(client: Client, account: Account) -> Client:
    client.force_login(account.manager)
    return client


# --- Pipeline -----------------------------------------------------------------------------------


def test_board_shows_the_portfolios_deals_by_stage(am_client: Client, account: Account) -> None:
    services.deal_create(
        actor=account.manager, customer=account.customer, title="Kalender meja", value=18_500_000
    )
    other = make_account(name="PT Lain")
    services.deal_create(actor=other.manager, customer=other.customer, title="Rahasia orang")
    response = am_client.get(reverse("agreements:pipeline"))
    assert response.status_code == 200
    assert "Kalender meja" in response.text and "Rp 18.500.000" in response.text
    assert "Rahasia orang" not in response.text
    assert 'draggable="true"' in response.text


def test_board_query_count_is_pinned(
    am_client: Client, account: Account, django_assert_max_num_queries: object
) -> None:
    for number in range(20):
        services.deal_create(actor=account.manager, customer=account.customer, title=f"D{number}")
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        response = am_client.get(reverse("agreements:pipeline"))
    assert response.status_code == 200


def test_managers_filter_the_board_by_account_manager(client: Client, account: Account) -> None:
    services.deal_create(actor=account.manager, customer=account.customer, title="Punya Rina")
    other = make_account()
    services.deal_create(actor=other.manager, customer=other.customer, title="Punya Budi")
    client.force_login(UserFactory(role=Role.MANAGER))
    everyone = client.get(reverse("agreements:pipeline"))
    assert "Punya Rina" in everyone.text and "Punya Budi" in everyone.text
    one = client.get(
        reverse("agreements:pipeline") + f"?am={account.manager.pk}",
        headers={"HX-Request": "true"},
    )
    assert one.text.lstrip().startswith('<section id="board"')
    assert "Punya Rina" in one.text and "Punya Budi" not in one.text


def test_a_drop_moves_the_deal_and_returns_the_board(am_client: Client, account: Account) -> None:
    deal = services.deal_create(actor=account.manager, customer=account.customer, title="Kalender")
    response = am_client.post(
        reverse("agreements:deal_move", args=[deal.pk]),
        {"stage": "won"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="board"')
    deal.refresh_from_db()
    assert deal.stage == Stage.WON


def test_without_javascript_the_cards_form_moves_and_redirects(
    am_client: Client, account: Account
) -> None:
    deal = services.deal_create(actor=account.manager, customer=account.customer, title="Kalender")
    url = reverse("agreements:deal_move", args=[deal.pk])
    refused = am_client.post(url, {"stage": "lost", "reason": ""})
    assert refused.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == Stage.LEAD
    moved = am_client.post(url, {"stage": "lost", "reason": "Anggaran habis", "next": "deal"})
    assert moved["Location"] == reverse("agreements:deal", args=[deal.pk])
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason) == (Stage.LOST, "Anggaran habis")
    page = am_client.get(moved["Location"])
    assert "Anggaran habis" in page.text


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_read_the_board_but_move_nothing(
    client: Client, account: Account, role: str
) -> None:
    deal = services.deal_create(actor=account.manager, customer=account.customer, title="Brosur")
    user = UserFactory(role=role)
    make_ticket(customer=account.customer, team=TeamFactory(members=[user]))
    client.force_login(user)
    board = client.get(reverse("agreements:pipeline"))
    assert "Brosur" in board.text and 'draggable="true"' not in board.text
    client.post(reverse("agreements:deal_move", args=[deal.pk]), {"stage": "won"})
    deal.refresh_from_db()
    assert deal.stage == Stage.LEAD
    response = client.post(
        reverse("agreements:deal_create"), {"customer": account.customer.pk, "title": "X"}
    )
    assert response.status_code == 400 and Deal.objects.count() == 1


def test_someone_elses_deal_and_order_are_404(am_client: Client) -> None:
    other = make_account()
    deal = services.deal_create(actor=other.manager, customer=other.customer, title="X")
    order = make_order(other)
    assert am_client.get(reverse("agreements:deal", args=[deal.pk])).status_code == 404
    assert (
        am_client.post(
            reverse("agreements:deal_move", args=[deal.pk]), {"stage": "won"}
        ).status_code
        == 404
    )
    for name in ("order", "order_link", "order_delay", "version_create"):
        assert am_client.get(reverse(f"agreements:{name}", args=[order.number])).status_code == 404
    for name in ("order_promise", "order_deliver", "order_change_request", "order_approve"):
        assert am_client.post(reverse(f"agreements:{name}", args=[order.number])).status_code == 404
    assert am_client.get(reverse("agreements:verdict", args=[other.customer.pk])).status_code == 404


# --- Orders and agreements ----------------------------------------------------------------------


def test_open_an_order_write_send_and_show_the_link(am_client: Client, account: Account) -> None:
    response = am_client.post(
        reverse("agreements:order_create"),
        {
            "customer": account.customer.pk,
            "contact": account.contact.pk,
            "title": "Kemasan kopi 250 g",
            "promised_on": "2030-03-01",
        },
    )
    order = Order.objects.get()
    assert response["Location"] == reverse("agreements:order", args=[order.number])
    response = am_client.post(
        reverse("agreements:version_create", args=[order.number]),
        {
            "spec": "Kotak 20 x 10 cm\nArt carton 310 gsm",
            "price": "25.000.000",
            "currency": "IDR",
            "deadline": "2030-02-20",
            "revisions_allowed": "2",
            "terms": "DP 50%",
            "attachments": [SimpleUploadedFile("desain.pdf", b"%PDF-1.4", "application/pdf")],
        },
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.price == 25_000_000 and agreement.attachments.get().filename == "desain.pdf"
    am_client.post(
        reverse("agreements:version_send", args=[order.number, 1]),
        {"contact": account.contact.pk},
    )
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SENT
    page = am_client.get(reverse("agreements:order", args=[order.number]))
    assert f"/p/agreements/{agreement.pk}/" in page.text
    file = am_client.get(
        reverse("agreements:attachment", args=[order.number, agreement.attachments.get().pk])
    )
    assert file["Content-Disposition"].startswith("attachment")


def test_a_sent_version_cannot_be_edited_through_the_page(
    am_client: Client, account: Account
) -> None:
    order, agreement = make_confirmed(account)
    url = reverse("agreements:version_edit", args=[order.number, agreement.version])
    assert am_client.get(url).status_code == 302
    am_client.post(url, {"spec": "lain", "price": "1", "currency": "IDR", "revisions_allowed": 9})
    agreement.refresh_from_db()
    assert agreement.price == 25_000_000 and agreement.revisions_allowed == 2


def test_order_page_query_count_is_pinned(
    am_client: Client, account: Account, django_assert_max_num_queries: object
) -> None:
    order, _agreement = make_confirmed(account)
    for number in range(3):
        make_agreement(order, account.manager, price=number)
    for _ in range(5):
        services.order_request_link(
            actor=account.manager,
            order=order,
            ticket=make_ticket(customer=account.customer, requester=account.contact),
            kind="revision",
        )
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        response = am_client.get(reverse("agreements:order", args=[order.number]))
    assert response.status_code == 200
    assert "Beyond what was agreed" in response.text or "Melebihi yang disepakati" in response.text


def test_orders_list_query_count_is_pinned(
    am_client: Client, account: Account, django_assert_max_num_queries: object
) -> None:
    for number in range(12):
        make_order(account, title=f"Pesanan {number}")
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        response = am_client.get(reverse("agreements:orders"))
    assert response.text.count("ORD-") == 12


def test_an_agent_counts_a_ticket_from_the_list_of_the_customers_tickets(
    client: Client, account: Account
) -> None:
    order, _agreement = make_confirmed(account, revisions_allowed=0)
    agent = UserFactory(role=Role.AGENT)
    team = TeamFactory(members=[agent])
    mine = make_ticket(
        customer=account.customer,
        requester=account.contact,
        team=team,
        subject="Logo",
        text="Mbak, ini revisi ke-3 ya, logonya dibesarkan.",
    )
    hidden = make_ticket(customer=account.customer, requester=account.contact, subject="Rahasia")
    client.force_login(agent)
    page = client.get(reverse("agreements:order_link", args=[order.number]))
    assert mine.ref in page.text and "revisi ke-" in page.text
    assert hidden.ref not in page.text
    response = client.post(
        reverse("agreements:order_link", args=[order.number]),
        {"ticket": hidden.pk, "kind": "revision"},
    )
    assert response.status_code == 400 and not OrderRequest.objects.exists()
    response = client.post(
        reverse("agreements:order_link", args=[order.number]),
        {"ticket": mine.pk, "kind": "revision", "note": "Logo lebih besar"},
    )
    assert response.status_code == 302
    assert OrderRequest.objects.get().over_allowance


def test_viewers_cannot_count_tickets(client: Client, account: Account) -> None:
    order, _agreement = make_confirmed(account)
    viewer = UserFactory(role=Role.VIEWER)
    ticket = make_ticket(customer=account.customer, team=TeamFactory(members=[viewer]))
    client.force_login(viewer)
    response = client.post(
        reverse("agreements:order_link", args=[order.number]),
        {"ticket": ticket.pk, "kind": "revision"},
    )
    assert response.status_code == 403 and not OrderRequest.objects.exists()


def test_one_click_change_request(am_client: Client, account: Account) -> None:
    order, _agreement = make_confirmed(account, revisions_allowed=0)
    services.order_request_link(
        actor=account.manager,
        order=order,
        ticket=make_ticket(customer=account.customer, requester=account.contact),
        kind="out_of_scope",
    )
    assert (
        'id="allowance-warning"'
        in am_client.get(reverse("agreements:order", args=[order.number])).text
    )
    am_client.post(
        reverse("agreements:order_change_request", args=[order.number]),
        {"extra_price": "Rp 2.000.000"},
    )
    change = Agreement.objects.get(order=order, version=2)
    assert (change.status, change.price) == (AgreementStatus.SENT, 27_000_000)
    assert (
        'id="allowance-warning"'
        not in am_client.get(reverse("agreements:order", args=[order.number])).text
    )


def test_delay_notice_preview_then_record(am_client: Client, account: Account) -> None:
    order = make_order(account, promised_on=date(2030, 3, 3))
    url = reverse("agreements:order_delay", args=[order.number])
    data = {"new_date": "2030-03-10", "reason": "Mesin potong rusak.", "language": "id"}
    preview = am_client.post(url, {**data, "preview": "1"})
    assert "Yth. Ibu Rina" in preview.text and "Minggu, 10 Maret 2030" in preview.text
    order.refresh_from_db()
    assert order.promised_on == date(2030, 3, 3)
    am_client.post(url, {**data, "language": "en", "record": "1"})
    order.refresh_from_db()
    assert order.promised_on == date(2030, 3, 10)


def test_diff_shows_two_versions_side_by_side(am_client: Client, account: Account) -> None:
    order, _agreement = make_confirmed(account)
    make_agreement(order, account.manager, price=31_000_000, spec="Kotak 20 x 10 cm, 3.000 pcs.")
    response = am_client.get(reverse("agreements:version_diff", args=[order.number]))
    assert response.status_code == 200
    assert "25.000.000" in response.text and "31.000.000" in response.text
    assert (
        am_client.get(
            reverse("agreements:version_diff", args=[order.number]) + "?a=7&b=1"
        ).status_code
        == 404
    )


def test_bad_clients_order_waits_for_a_managers_click(client: Client, account: Account) -> None:
    manager = UserFactory(role=Role.MANAGER)
    services.verdict_record(
        actor=manager,
        customer=account.customer,
        verdict="bad",
        reason="Selalu minta lebih",
        requires_approval=True,
    )
    order = make_order(account)
    client.force_login(account.manager)
    client.post(reverse("agreements:order_approve", args=[order.number]))
    order.refresh_from_db()
    assert order.status == "pending_approval"
    client.force_login(manager)
    client.post(reverse("agreements:order_approve", args=[order.number]))
    order.refresh_from_db()
    assert order.status == "open"


# --- Portfolio, revenue, verdicts, imports ------------------------------------------------------


def test_portfolio_page_query_count_is_pinned(
    am_client: Client, account: Account, django_assert_max_num_queries: object
) -> None:
    for number in range(8):
        customer = make_account(manager=account.manager, name=f"PT Pelanggan {number}").customer
        services.revenue_set(
            actor=account.manager, customer=customer, month=date.today(), amount=1_000_000
        )
        make_order(account, title=f"Pesanan {number}", promised_on=date.today())
    with django_assert_max_num_queries(9):  # type: ignore[operator]
        response = am_client.get(reverse("agreements:portfolio"))
    assert response.status_code == 200
    assert response.text.count('href="/customers/') >= 9
    assert "<svg" in response.text


def test_revenue_form_takes_indonesian_amounts(am_client: Client, account: Account) -> None:
    response = am_client.post(
        reverse("agreements:revenue"),
        {"customer": account.customer.pk, "month": "2025-03", "amount": "1.250.000"},
    )
    assert response.status_code == 302
    assert Revenue.objects.get().amount == 1_250_000


def test_targets_page_is_for_managers(client: Client, account: Account) -> None:
    client.force_login(account.manager)
    assert client.get(reverse("agreements:targets")).status_code == 403
    client.force_login(UserFactory(role=Role.MANAGER))
    response = client.post(
        reverse("agreements:targets"),
        {"account_manager": account.manager.pk, "month": "2025-03", "amount": "100.000.000"},
    )
    assert response.status_code == 302


def test_recording_a_verdict(client: Client, account: Account) -> None:
    url = reverse("agreements:verdict", args=[account.customer.pk])
    agent = UserFactory(role=Role.AGENT)
    make_ticket(customer=account.customer, team=TeamFactory(members=[agent]))
    client.force_login(agent)
    assert client.get(url).status_code == 200
    assert client.post(url, {"verdict": "bad", "reason": "x"}).status_code == 403
    client.force_login(account.manager)
    assert client.post(url, {"verdict": "bad", "reason": ""}).status_code == 400
    response = client.post(
        url, {"verdict": "bad", "reason": "Revisi terus", "requires_approval": "on"}
    )
    assert response.status_code == 302
    verdict = Verdict.objects.get()
    assert (verdict.verdict, verdict.requires_approval, verdict.decided_by) == (
        "bad",
        True,
        account.manager,
    )


def test_customer_page_shows_the_panel(
    am_client: Client, account: Account, django_assert_max_num_queries: object
) -> None:
    make_confirmed(account)
    services.deal_create(actor=account.manager, customer=account.customer, title="Kalender 2026")
    url = reverse("customers:detail", args=[account.customer.pk])
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        response = am_client.get(url)
    assert 'id="customer-agreements"' in response.text
    assert "Kalender 2026" in response.text and "ORD-" in response.text


def test_import_page_reports_errors_per_row_and_imports_nothing(
    client: Client, account: Account
) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    upload = SimpleUploadedFile(
        "pelanggan.csv", "nama;kota\nPT Baru;Bogor\n;Depok\n".encode("utf-8-sig"), "text/csv"
    )
    response = client.post(reverse("agreements:import"), {"kind": "customers", "file": upload})
    assert response.status_code == 400
    assert 'id="import-errors"' in response.text
    assert Customer.objects.count() == 1
    upload = SimpleUploadedFile("pelanggan.csv", b"nama;kota\nPT Baru;Bogor\n", "text/csv")
    response = client.post(reverse("agreements:import"), {"kind": "customers", "file": upload})
    assert response.status_code == 200 and Customer.objects.count() == 2


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_cannot_import(client: Client, role: str) -> None:
    client.force_login(UserFactory(role=role))
    upload = SimpleUploadedFile("p.csv", b"name\nPT X\n", "text/csv")
    response = client.post(reverse("agreements:import"), {"kind": "customers", "file": upload})
    assert response.status_code == 403 and not Customer.objects.exists()


def test_export_is_scoped_to_the_user(am_client: Client, account: Account) -> None:
    make_account(name="PT Orang Lain")
    response = am_client.get(reverse("agreements:export", args=["customers"]))
    assert response["Content-Type"].startswith("text/csv")
    assert "PT Kopi Senja" in response.text and "PT Orang Lain" not in response.text
    assert am_client.get("/portfolio/export/users.csv").status_code == 404


def test_pages_need_a_login(client: Client, account: Account) -> None:
    order = make_order(account)
    for url in (
        reverse("agreements:pipeline"),
        reverse("agreements:portfolio"),
        reverse("agreements:order", args=[order.number]),
        reverse("agreements:export", args=["customers"]),
    ):
        assert client.get(url).status_code == 302


@pytest.mark.parametrize(
    ("name", "limit"),
    [("order_link", 8), ("version_diff", 7), ("revenue", 7), ("verdict", 14)],
)
def test_other_list_pages_query_counts_are_pinned(
    am_client: Client,
    account: Account,
    django_assert_max_num_queries: object,
    name: str,
    limit: int,
) -> None:
    order, _agreement = make_confirmed(account)
    for number in range(6):
        make_agreement(order, account.manager, price=number)
        make_ticket(customer=account.customer, requester=account.contact, text="revisi ke-3")
        services.revenue_set(
            actor=account.manager,
            customer=account.customer,
            month=date(2025, number + 1, 1),
            amount=1,
        )
    args = (
        [account.customer.pk] if name == "verdict" else [] if name == "revenue" else [order.number]
    )
    with django_assert_max_num_queries(limit):  # type: ignore[operator]
        response = am_client.get(reverse(f"agreements:{name}", args=args))
    assert response.status_code == 200
