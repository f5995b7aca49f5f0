"""Verdict suggestions: the pure rule, and the signals gathered for customers built to be a Yes,
a No and a Bad client, each signal linking to its evidence."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from layan.agreements import services
from layan.agreements.models import RequestKind, Stage
from layan.agreements.queries import verdict_suggestion
from layan.agreements.tests.factories import (
    Account,
    make_account,
    make_agreement,
    make_confirmed,
)
from layan.agreements.verdicts import BAD, NO, YES, SignalCounts, trouble_score, verdict_suggest
from layan.core import clock
from layan.tickets.services import ticket_message_add
from layan.tickets.tests.factories import make_ticket


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        (SignalCounts(), None),
        (SignalCounts(won_deals=1), YES),
        (SignalCounts(confirmed_agreements=2, delivered_orders=1), YES),
        (SignalCounts(lost_deals=2), NO),
        (SignalCounts(won_deals=1, lost_deals=3), YES),
        (SignalCounts(won_deals=1, over_allowance=1), YES),
        (SignalCounts(won_deals=1, over_allowance=1, price_comparisons=1), BAD),
        (SignalCounts(won_deals=2, out_of_scope=1, late_payments=1, price_comparisons=1), BAD),
        (SignalCounts(won_deals=1, out_of_scope=2), YES),
        (SignalCounts(abusive_messages=2), BAD),
        (SignalCounts(lost_deals=1, price_comparisons=2), NO),
    ],
)
def test_verdict_suggest(counts: SignalCounts, verdict: str | None) -> None:
    """Trouble from three points is Bad; otherwise a yes is Yes, a lost pitch is No."""
    assert verdict_suggest(counts) == verdict


def test_trouble_weighs_revisions_and_abuse_double() -> None:
    counts = SignalCounts(over_allowance=1, abusive_messages=1, out_of_scope=1, late_payments=1)
    assert trouble_score(counts) == 6


def _won(account: Account, title: str = "Kemasan kopi") -> None:
    deal = services.deal_create(
        actor=account.manager, customer=account.customer, title=title, value=10_000_000
    )
    services.deal_move(actor=account.manager, deal=deal, stage=Stage.WON)


@pytest.mark.django_db
def test_a_yes_client_is_suggested_yes_with_its_evidence() -> None:
    account = make_account(name="PT Kopi Senja")
    _won(account)
    order, _agreement = make_confirmed(account)
    services.order_deliver(actor=account.manager, order=order)
    today = timezone.localdate(clock.now())
    services.invoice_create(
        actor=account.manager,
        customer=account.customer,
        order=order,
        number="INV-1",
        amount=10_000_000,
        issued_on=today - timedelta(days=20),
        due_on=today - timedelta(days=6),
        paid_on=today - timedelta(days=8),
    )
    suggestion = verdict_suggestion(account.customer, today=today)
    assert suggestion.verdict == YES
    assert {signal.kind for signal in suggestion.signals} == {
        "won_deals",
        "confirmed_agreements",
        "delivered_orders",
    }
    assert all(signal.url for signal in suggestion.signals)
    assert suggestion.of("confirmed_agreements")[0].url == reverse(
        "agreements:order", args=[order.number]
    )


@pytest.mark.django_db
def test_a_no_client_is_suggested_no_with_the_lost_deals() -> None:
    account = make_account(name="Warung Sate")
    for title in ("Spanduk", "Menu laminasi"):
        deal = services.deal_create(actor=account.manager, customer=account.customer, title=title)
        services.deal_move(
            actor=account.manager, deal=deal, stage=Stage.LOST, reason="Belum ada anggaran"
        )
    suggestion = verdict_suggestion(account.customer, today=date.today())
    assert suggestion.verdict == NO
    assert [signal.kind for signal in suggestion.signals] == ["lost_deals", "lost_deals"]
    assert all(signal.detail == "Belum ada anggaran" for signal in suggestion.signals)
    assert all("/pipeline/deals/" in signal.url for signal in suggestion.signals)


@pytest.mark.django_db
def test_a_bad_client_is_suggested_bad_and_every_reason_links_to_its_evidence() -> None:
    account = make_account(name="CV Maju Elektrik")
    _won(account)
    order, _agreement = make_confirmed(account, revisions_allowed=1)
    tickets = [
        make_ticket(customer=account.customer, requester=account.contact, subject=subject)
        for subject in ("Revisi 1", "Revisi 2", "Tambah halaman")
    ]
    for ticket, kind in zip(
        tickets, (RequestKind.REVISION, RequestKind.REVISION, RequestKind.OUT_OF_SCOPE), strict=True
    ):
        services.order_request_link(actor=account.manager, order=order, ticket=ticket, kind=kind)
    comparison = ticket_message_add(
        ticket=tickets[0],
        contact=account.contact,
        text="Di tempat lain lebih murah, harga di sebelah cuma 20 juta.",
    )
    abuse = ticket_message_add(
        ticket=tickets[1], contact=account.contact, text="Dasar bodoh, kerja kalian kayak anjing!"
    )
    today = timezone.localdate(clock.now())
    services.invoice_create(
        actor=account.manager,
        customer=account.customer,
        order=order,
        number="INV-9",
        amount=5_000_000,
        issued_on=today - timedelta(days=30),
        due_on=today - timedelta(days=16),
    )
    suggestion = verdict_suggestion(account.customer, today=today)

    assert suggestion.verdict == BAD
    counts = suggestion.counts
    assert (counts.over_allowance, counts.out_of_scope, counts.late_payments) == (1, 1, 1)
    assert counts.price_comparisons == 1 and counts.abusive_messages == 1
    over = suggestion.of("over_allowance")[0]
    assert over.url == reverse("tickets:detail", args=[tickets[1].reference])
    assert suggestion.of("out_of_scope")[0].url == reverse(
        "tickets:detail", args=[tickets[2].reference]
    )
    price = suggestion.of("price_comparisons")[0]
    assert price.url == reverse("tickets:detail", args=[tickets[0].reference]) + (
        f"#e{comparison.seq}"
    )
    assert "di tempat lain" in price.detail and "harga di sebelah" in price.detail
    abusive = suggestion.of("abusive_messages")[0]
    assert abusive.url.endswith(f"#e{abuse.seq}")
    assert suggestion.of("late_payments")[0].url == reverse("agreements:order", args=[order.number])
    assert all(signal.url for signal in suggestion.signals)


@pytest.mark.django_db
def test_price_talk_in_the_portal_counts_too() -> None:
    """A customer's answer to an agreement is an inbound message like any other."""
    account = make_account()
    order, _agreement = make_confirmed(account)
    second = make_agreement(order, account.manager, price=30_000_000)
    second = services.agreement_send(actor=account.manager, agreement=second)
    services.agreement_changes_request(agreement=second, comment="Kompetitor lebih murah.")
    suggestion = verdict_suggestion(account.customer, today=date.today())
    signal = suggestion.of("price_comparisons")[0]
    assert signal.label == order.ref
    assert signal.url.startswith(reverse("agreements:order", args=[order.number]) + "#e")


@pytest.mark.django_db
def test_recorded_verdict_keeps_the_suggestion_it_was_made_with() -> None:
    account = make_account()
    _won(account)
    suggestion = verdict_suggestion(account.customer, today=date.today())
    verdict = services.verdict_record(
        actor=account.manager,
        customer=account.customer,
        verdict="yes",
        reason="Bayar tepat waktu.",
        requires_approval=True,
        suggestion=suggestion,
    )
    assert verdict.suggested == YES
    assert verdict.signals[0]["kind"] == "won_deals"
    assert verdict.requires_approval is False  # only a Bad verdict can require approval


@pytest.mark.django_db
def test_abuse_comes_from_the_tone_stored_with_a_ticket_message_and_is_analysed_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ticket's message was analysed when it arrived: its tone is read, not analysed again.
    An answer to an agreement has no tone, so it is analysed when the page asks."""
    from layan.agreements import queries

    account = make_account()
    ticket = make_ticket(customer=account.customer, requester=account.contact, subject="Tanya")
    on_ticket = ticket_message_add(
        ticket=ticket, contact=account.contact, text="Dasar bodoh, kerja kalian kayak anjing!"
    )
    order, _agreement = make_confirmed(account)
    second = services.agreement_send(
        actor=account.manager, agreement=make_agreement(order, account.manager, price=9_000_000)
    )
    services.agreement_changes_request(agreement=second, comment="Dasar bodoh, harga apa ini!")
    analysed: list[str] = []
    real = queries.predict

    def counting(task: str, text: str):  # type: ignore[no-untyped-def]
        analysed.append(text)
        return real(task, text)

    monkeypatch.setattr(queries, "predict", counting)
    suggestion = verdict_suggestion(account.customer, today=date.today())
    abusive = suggestion.of("abusive_messages")
    assert sorted(signal.label for signal in abusive) == sorted([f"#{ticket.reference}", order.ref])
    assert next(s for s in abusive if s.label == f"#{ticket.reference}").url.endswith(
        f"#e{on_ticket.seq}"
    )
    assert all("bodoh" in signal.detail for signal in abusive)
    assert on_ticket.text not in analysed  # read from its tone
    assert any("harga apa ini" in text for text in analysed)  # the agreement answer


@pytest.mark.django_db
def test_the_suggestion_costs_as_many_queries_for_three_late_invoices_as_for_one() -> None:
    """Each late invoice links to its order, read with the invoice, not one query each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = make_account()
    order, _agreement = make_confirmed(account)
    today = timezone.localdate(clock.now())

    def late(number: str) -> None:
        services.invoice_create(
            actor=account.manager,
            customer=account.customer,
            order=order,
            number=number,
            amount=1_000_000,
            issued_on=today - timedelta(days=30),
            due_on=today - timedelta(days=10),
        )

    late("INV-1")
    with CaptureQueriesContext(connection) as one:
        verdict_suggestion(account.customer, today=today)
    late("INV-2")
    late("INV-3")
    with CaptureQueriesContext(connection) as three:
        suggestion = verdict_suggestion(account.customer, today=today)
    assert len(three) == len(one)
    urls = {signal.url for signal in suggestion.of("late_payments")}
    assert urls == {reverse("agreements:order", args=[order.number])}
    assert len(suggestion.of("late_payments")) == 3


@pytest.mark.django_db
def test_the_customer_panel_shows_the_customers_own_newest_deals_orders_and_verdict() -> None:
    """The panel's reads, built once, give what the querysets give: the five newest deals and
    orders, newest first, the newest verdict, nothing of another customer; and a customer with
    none of them shows none."""
    from layan.agreements.models import Deal, Order, Verdict
    from layan.agreements.queries import customer_panel
    from layan.agreements.tests.factories import make_order

    account, other = make_account(name="PT Tujuh"), make_account(name="CV Lain")
    for number in range(7):
        services.deal_create(actor=account.manager, customer=account.customer, title=f"D{number}")
        make_order(account, title=f"O{number}")
    services.deal_create(actor=other.manager, customer=other.customer, title="Milik lain")
    make_order(other, title="Pesanan lain")
    for verdict in ("no", "yes"):
        services.verdict_record(
            actor=account.manager, customer=account.customer, verdict=verdict, reason="Catatan"
        )
    services.verdict_record(actor=other.manager, customer=other.customer, verdict="bad", reason="x")
    today = timezone.localdate(clock.now())
    panel = customer_panel(account.manager, account.customer, today=today)
    newest = ("-updated_at", "-pk")
    assert panel.deals == list(Deal.objects.filter(customer=account.customer).order_by(*newest)[:5])
    assert [order for order, _state in panel.orders] == list(
        Order.objects.filter(customer=account.customer).order_by(*newest)[:5]
    )
    expected = Verdict.objects.filter(customer=account.customer).order_by("-decided_at", "-pk")
    assert panel.verdict == expected.first()
    assert panel.verdict is not None and panel.verdict.verdict == "yes"
    assert panel.verdict.decided_by == account.manager
    empty = make_account(name="UD Kosong")
    bare = customer_panel(empty.manager, empty.customer, today=today)
    assert (bare.verdict, bare.deals, bare.orders) == (None, [], [])
