from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from layan.agreements import events, services
from layan.agreements.models import (
    Acceptance,
    Agreement,
    AgreementStatus,
    Deal,
    DealMove,
    OrderStatus,
    RequestKind,
    Revenue,
    Stage,
)
from layan.agreements.queries import order_allowance
from layan.agreements.services import agreement_digest
from layan.agreements.tests.factories import (
    Account,
    make_account,
    make_agreement,
    make_confirmed,
    make_order,
)
from layan.customers.tests.factories import CustomerFactory
from layan.logbook.models import Direction, Entry, Kind
from layan.team.models import Role
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _events(order: object) -> list[str]:
    return list(
        Entry.objects.filter(chain=order.chain)  # type: ignore[attr-defined]
        .order_by("seq")
        .values_list("data__event", flat=True)
    )


# --- Pipeline ---------------------------------------------------------------------------------


def test_every_stage_change_is_recorded_with_who_and_when() -> None:
    account = make_account()
    deal = services.deal_create(
        actor=account.manager, customer=account.customer, title="Kalender 2026", value=5_000_000
    )
    services.deal_move(actor=account.manager, deal=deal, stage=Stage.PITCHING)
    services.deal_move(actor=account.manager, deal=deal, stage=Stage.WON)
    moves = list(DealMove.objects.filter(deal=deal).values_list("from_stage", "to_stage", "actor"))
    assert moves == [
        ("", Stage.LEAD, account.manager.pk),
        (Stage.LEAD, Stage.PITCHING, account.manager.pk),
        (Stage.PITCHING, Stage.WON, account.manager.pk),
    ]
    deal.refresh_from_db()
    assert deal.closed_at is not None


def test_a_lost_deal_needs_a_reason() -> None:
    account = make_account()
    deal = services.deal_create(actor=account.manager, customer=account.customer, title="Brosur")
    with pytest.raises(ValidationError):
        services.deal_move(actor=account.manager, deal=deal, stage=Stage.LOST, reason="  ")
    services.deal_move(actor=account.manager, deal=deal, stage=Stage.LOST, reason="Harga")
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason) == (Stage.LOST, "Harga")
    services.deal_move(actor=account.manager, deal=deal, stage=Stage.NEGOTIATING)
    deal.refresh_from_db()
    assert (deal.lost_reason, deal.closed_at) == ("", None)


@pytest.mark.parametrize(
    ("role", "own", "allowed"),
    [
        (Role.ACCOUNT_MANAGER, True, True),
        (Role.ACCOUNT_MANAGER, False, False),
        (Role.MANAGER, False, True),
        (Role.ADMIN, False, True),
        (Role.AGENT, False, False),
        (Role.VIEWER, False, False),
    ],
)
def test_pipeline_and_order_writes_follow_the_portfolio(
    role: str, own: bool, allowed: bool
) -> None:
    """Account managers change their own portfolio; managers everything; others nothing."""
    account = make_account()
    user = account.manager if own else UserFactory(role=role)
    deal = services.deal_create(actor=account.manager, customer=account.customer, title="Stiker")
    order, agreement = make_confirmed(account)
    draft = make_agreement(order, account.manager)
    writes = [
        lambda: services.deal_create(actor=user, customer=account.customer, title="Map"),
        lambda: services.deal_move(actor=user, deal=deal, stage=Stage.PITCHING),
        lambda: make_order(Account(user, account.customer, account.contact)),
        lambda: make_agreement(order, user),
        lambda: services.agreement_update(
            actor=user, agreement=draft, spec="x", price=1, revisions_allowed=1
        ),
        lambda: services.agreement_send(actor=user, agreement=draft),
        lambda: services.order_promise(actor=user, order=order, promised_on=date(2030, 1, 1)),
        lambda: services.order_delay(
            actor=user, order=order, new_date=date(2030, 2, 1), reason="Stok", language="id"
        ),
        lambda: services.revenue_set(
            actor=user, customer=account.customer, month=date(2025, 1, 1), amount=1
        ),
        lambda: services.invoice_create(
            actor=user,
            customer=account.customer,
            number="I-1",
            amount=1,
            issued_on=date(2025, 1, 1),
            due_on=date(2025, 1, 15),
        ),
        lambda: services.verdict_record(
            actor=user, customer=account.customer, verdict="yes", reason="Baik"
        ),
        lambda: services.order_deliver(actor=user, order=order),
    ]
    for write in writes:
        if allowed:
            write()
        else:
            with pytest.raises(PermissionDenied):
                write()
    assert agreement.status == AgreementStatus.CONFIRMED


def test_targets_and_approvals_are_for_managers() -> None:
    account = make_account()
    for role in (Role.ACCOUNT_MANAGER, Role.AGENT, Role.VIEWER):
        user = UserFactory(role=role)
        with pytest.raises(PermissionDenied):
            services.target_set(
                actor=user, account_manager=account.manager, month=date(2025, 1, 1), amount=1
            )
        with pytest.raises(PermissionDenied):
            services.order_approve(actor=user, order=make_order(account))
    target = services.target_set(
        actor=UserFactory(role=Role.MANAGER),
        account_manager=account.manager,
        month=date(2025, 1, 17),
        amount=100_000_000,
    )
    assert target.month == date(2025, 1, 1)


# --- Orders and agreement versions ------------------------------------------------------------


def test_an_order_has_its_own_logbook_chain() -> None:
    account = make_account()
    order = make_order(account, promised_on=date(2030, 5, 1))
    assert order.chain.label == f"order-{order.number}"
    assert _events(order) == [events.ORDER_CREATED, events.PROMISE_SET]


def test_send_and_confirm_record_who_when_where_and_the_exact_digest() -> None:
    account = make_account()
    order = make_order(account)
    agreement = make_agreement(order, account.manager, deadline=date(2030, 3, 1), terms="DP 50%")
    sent = services.agreement_send(actor=account.manager, agreement=agreement)
    assert sent.status == AgreementStatus.SENT and sent.sent_to == account.contact
    acceptance = services.agreement_confirm(
        agreement=sent, ip="198.51.100.4", user_agent="Mozilla/5.0 (Android 14)"
    )
    assert acceptance.contact == account.contact
    assert (acceptance.ip, acceptance.user_agent) == ("198.51.100.4", "Mozilla/5.0 (Android 14)")
    assert acceptance.digest == sent.digest == agreement_digest(sent)
    entry = acceptance.entry
    assert entry.actor_contact == account.contact
    assert entry.direction == Direction.IN and entry.channel == "portal"
    assert entry.data["digest"] == sent.digest and entry.data["ip"] == "198.51.100.4"
    assert _events(order) == [
        events.ORDER_CREATED,
        events.VERSION_CREATED,
        events.VERSION_SENT,
        events.VERSION_CONFIRMED,
    ]
    with pytest.raises(services.AgreementNotOpen):
        services.agreement_confirm(agreement=sent, ip=None, user_agent="")
    assert Acceptance.objects.count() == 1


@pytest.mark.parametrize("status", [AgreementStatus.SENT, AgreementStatus.CONFIRMED])
def test_a_sent_or_confirmed_version_never_changes(status: str) -> None:
    """Its terms are frozen in the service; a change is a new version to confirm again."""
    account = make_account()
    order = make_order(account)
    agreement = services.agreement_send(
        actor=account.manager, agreement=make_agreement(order, account.manager)
    )
    if status == AgreementStatus.CONFIRMED:
        services.agreement_confirm(agreement=agreement, ip=None, user_agent="")
    before = Agreement.objects.values().get(pk=agreement.pk)
    with pytest.raises(services.AgreementFrozen):
        services.agreement_update(
            actor=account.manager,
            agreement=agreement,
            spec="Sesuatu yang lain",
            price=1,
            revisions_allowed=9,
        )
    assert Agreement.objects.values().get(pk=agreement.pk) == before
    second = make_agreement(order, account.manager, price=30_000_000)
    assert second.version == 2 and second.status == AgreementStatus.DRAFT


def test_a_version_changed_behind_the_services_back_cannot_be_confirmed() -> None:
    account = make_account()
    order = make_order(account)
    agreement = services.agreement_send(
        actor=account.manager, agreement=make_agreement(order, account.manager)
    )
    Agreement.objects.filter(pk=agreement.pk).update(price=1)
    with pytest.raises(services.AgreementNotOpen):
        services.agreement_confirm(agreement=agreement, ip=None, user_agent="")


def test_sending_a_newer_version_supersedes_the_one_waiting() -> None:
    account = make_account()
    order = make_order(account)
    first = services.agreement_send(
        actor=account.manager, agreement=make_agreement(order, account.manager)
    )
    second = services.agreement_send(
        actor=account.manager, agreement=make_agreement(order, account.manager, price=1_000)
    )
    first.refresh_from_db()
    assert (first.status, second.status) == (AgreementStatus.SUPERSEDED, AgreementStatus.SENT)


def test_changes_requested_keep_the_customers_words() -> None:
    account = make_account()
    order = make_order(account)
    agreement = services.agreement_send(
        actor=account.manager, agreement=make_agreement(order, account.manager)
    )
    with pytest.raises(ValidationError):
        services.agreement_changes_request(agreement=agreement, comment="   ")
    services.agreement_changes_request(agreement=agreement, comment="Tolong DP 30% saja.")
    entry = Entry.objects.filter(chain=order.chain).order_by("-seq").first()
    assert entry is not None and entry.text == "Tolong DP 30% saja."
    assert entry.actor_contact == account.contact and entry.kind == Kind.EVENT


def test_spec_is_sanitised_and_plain_text_keeps_its_lines() -> None:
    account = make_account()
    order = make_order(account)
    html = make_agreement(
        order,
        account.manager,
        spec='<p onclick="x()">Kotak</p><script>alert(1)</script><a href="javascript:x">a</a>',
    )
    assert "script" not in html.spec_html and "onclick" not in html.spec_html
    assert "javascript" not in html.spec_html
    plain = make_agreement(order, account.manager, spec="Baris satu\nBaris <dua>")
    assert plain.spec_html == "<p>Baris satu<br>Baris &lt;dua&gt;</p>"


# --- Revisions and change requests ------------------------------------------------------------


def test_revisions_count_against_the_confirmed_allowance() -> None:
    account = make_account()
    order, _agreement = make_confirmed(account, revisions_allowed=2)
    rows = [
        services.order_request_link(
            actor=account.manager,
            order=order,
            ticket=make_ticket(customer=account.customer, requester=account.contact),
            kind=RequestKind.REVISION,
        )
        for _ in range(3)
    ]
    assert [(row.number, row.allowed, row.over_allowance) for row in rows] == [
        (1, 2, False),
        (2, 2, False),
        (3, 2, True),
    ]
    allowance = order_allowance(order)
    assert (allowance.used, allowance.allowed, allowance.over) == (3, 2, 1)
    assert allowance.pending == [rows[2]]
    assert _events(order).count(events.REQUEST_COUNTED) == 3


def test_a_ticket_is_counted_once_and_only_on_its_customers_order() -> None:
    account = make_account()
    order, _agreement = make_confirmed(account)
    ticket = make_ticket(customer=account.customer, requester=account.contact)
    services.order_request_link(
        actor=account.manager, order=order, ticket=ticket, kind=RequestKind.REVISION
    )
    with pytest.raises(ValidationError):
        services.order_request_link(
            actor=account.manager, order=order, ticket=ticket, kind=RequestKind.OUT_OF_SCOPE
        )
    with pytest.raises(ValidationError):
        services.order_request_link(
            actor=account.manager,
            order=order,
            ticket=make_ticket(customer=CustomerFactory()),
            kind=RequestKind.REVISION,
        )


def test_agents_count_tickets_and_viewers_do_not() -> None:
    account = make_account()
    order, _agreement = make_confirmed(account)
    agent, viewer = UserFactory(role=Role.AGENT), UserFactory(role=Role.VIEWER)
    TeamFactory(members=[agent, viewer])
    ticket = make_ticket(customer=account.customer, requester=account.contact)
    with pytest.raises(PermissionDenied):
        services.order_request_link(
            actor=viewer, order=order, ticket=ticket, kind=RequestKind.REVISION
        )
    row = services.order_request_link(
        actor=agent, order=order, ticket=ticket, kind=RequestKind.REVISION
    )
    assert row.created_by == agent


def test_change_request_is_a_new_version_with_the_extra_price_sent_for_confirmation() -> None:
    account = make_account()
    order, first = make_confirmed(account, revisions_allowed=2, price=25_000_000)
    tickets = [make_ticket(customer=account.customer, requester=account.contact) for _ in range(4)]
    for ticket, kind in zip(tickets, ["revision"] * 3 + ["out_of_scope"], strict=True):
        services.order_request_link(actor=account.manager, order=order, ticket=ticket, kind=kind)
    with pytest.raises(ValidationError):
        services.change_request_issue(actor=account.manager, order=order, extra_price=-1)

    change = services.change_request_issue(
        actor=account.manager, order=order, extra_price=3_500_000, note="Termasuk 2 halaman."
    )

    assert change.version == 2 and change.status == AgreementStatus.SENT
    assert change.price == 28_500_000 and change.extra_price == 3_500_000
    assert change.revisions_allowed == 3
    assert (change.spec_html, change.terms) == (first.spec_html, first.terms)
    assert f"#{tickets[2].reference}" in change.change_note
    assert f"#{tickets[3].reference}" in change.change_note
    assert "Termasuk 2 halaman." in change.change_note
    assert order_allowance(order).pending == []
    assert _events(order)[-3:] == [
        events.VERSION_CREATED,
        events.CHANGE_REQUEST_ISSUED,
        events.VERSION_SENT,
    ]
    with pytest.raises(ValidationError):
        services.change_request_issue(actor=account.manager, order=order, extra_price=1)


# --- A Bad client's new orders ----------------------------------------------------------------


def test_a_bad_verdict_can_hold_new_orders_for_a_managers_approval() -> None:
    account = make_account()
    manager = UserFactory(role=Role.MANAGER)
    services.verdict_record(
        actor=manager,
        customer=account.customer,
        verdict="bad",
        reason="Revisi di luar jatah berulang kali.",
        requires_approval=True,
    )
    order = make_order(account)
    assert order.status == OrderStatus.PENDING_APPROVAL
    agreement = make_agreement(order, account.manager)
    with pytest.raises(PermissionDenied):
        services.agreement_send(actor=account.manager, agreement=agreement)
    services.order_approve(actor=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN and order.approved_by == manager
    services.agreement_send(actor=account.manager, agreement=agreement)
    assert events.ORDER_APPROVED in _events(order)
    by_manager = services.order_create(
        actor=manager, customer=account.customer, contact=account.contact, title="Brosur"
    )
    assert by_manager.status == OrderStatus.OPEN


@pytest.mark.parametrize(("verdict", "approval"), [("bad", False), ("no", True), ("yes", True)])
def test_only_a_bad_verdict_with_the_setting_holds_orders(verdict: str, approval: bool) -> None:
    account = make_account()
    services.verdict_record(
        actor=account.manager,
        customer=account.customer,
        verdict=verdict,
        reason="Alasan",
        requires_approval=approval,
    )
    assert make_order(account).status == OrderStatus.OPEN


# --- Commitments, revenue ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "greeting", "words"),
    [("id", "Yth. Ibu Rina", "Tanggal penyerahan yang baru"), ("en", "Dear Ibu Rina", "new")],
)
def test_delay_notice_moves_the_date_and_is_logged(
    language: str, greeting: str, words: str
) -> None:
    account = make_account()
    order = make_order(account, promised_on=date(2030, 3, 3))
    notice = services.order_delay(
        actor=account.manager,
        order=order,
        new_date=date(2030, 3, 10),
        reason="Kertas dari pemasok terlambat.",
        language=language,
    )
    order.refresh_from_db()
    assert order.promised_on == date(2030, 3, 10)
    assert notice.notice.startswith(greeting)
    assert words in notice.notice and "Kertas dari pemasok terlambat." in notice.notice
    assert order.ref in notice.summary and account.customer.name in notice.summary
    entry = Entry.objects.filter(chain=order.chain).order_by("-seq").first()
    assert entry is not None and entry.data["event"] == events.DELAY_NOTICE
    assert entry.text == notice.notice and entry.data["summary"] == notice.summary
    assert (entry.data["from"], entry.data["to"]) == ("2030-03-03", "2030-03-10")


def test_revenue_is_one_figure_per_customer_and_month() -> None:
    account = make_account()
    services.revenue_set(
        actor=account.manager, customer=account.customer, month=date(2025, 3, 17), amount=5
    )
    services.revenue_set(
        actor=account.manager, customer=account.customer, month=date(2025, 3, 1), amount=7
    )
    assert list(Revenue.objects.values_list("month", "amount")) == [(date(2025, 3, 1), 7)]


def test_delivering_an_order_records_the_day() -> None:
    account = make_account()
    order = make_order(account, promised_on=date.today() + timedelta(days=5))
    services.order_deliver(actor=account.manager, order=order, delivered_on=date(2030, 1, 2))
    order.refresh_from_db()
    assert (order.status, order.delivered_on) == (OrderStatus.DELIVERED, date(2030, 1, 2))
    with pytest.raises(ValidationError):
        services.order_deliver(actor=account.manager, order=order)
    assert Deal.objects.count() == 0
