"""The demo's pipeline, orders, agreements, revenue and targets, and three clients built to be
a Yes, a No and a Bad client. Loaded at the end of `layan.demo.demo_load`, through the same
services the product uses, replaying history with `clock_at`."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from layan.agreements import services
from layan.agreements.models import Agreement, Order, RequestKind, Stage
from layan.agreements.queries import months_back, order_allowance
from layan.core.clock import clock_at
from layan.customers.models import Contact, Customer
from layan.team.models import Role, User

YES_CLIENT = "PT Kopi Kenangan Senja"
NO_CLIENT = "Warung Sate Pak Kumis"
BAD_CLIENT = "CV Maju Bersama Elektrik"
LATE_CLIENT = "PT Arunika Properti"
AT_RISK_CLIENT = "Hotel Puri Indah Bali"

# Monthly revenue range per tier, in millions of rupiah.
TIER_REVENUE = {"key": (60, 120), "large": (25, 60), "medium": (8, 25), "small": (1, 6)}

PIPELINE = [
    ("Kalender meja 2026", 18_500_000),
    ("Brosur promosi akhir tahun", 7_200_000),
    ("Kemasan hampers Lebaran", 42_000_000),
    ("Seragam dan ID card karyawan", 12_750_000),
    ("Spanduk pembukaan cabang", 4_300_000),
    ("Buku tahunan", 56_000_000),
    ("Stiker label produk", 3_150_000),
    ("Map dan kop surat", 5_600_000),
]
# The stages each pipeline deal goes through after it is added as a lead.
PATHS = [
    [],
    [Stage.PITCHING],
    [Stage.PITCHING, Stage.NEGOTIATING],
    [Stage.PITCHING, Stage.NEGOTIATING, Stage.WON],
    [Stage.PITCHING, Stage.LOST],
]
LOST_REASONS = [
    "Anggaran dipotong tahun ini.",
    "Memilih percetakan langganan lama.",
    "Proyek ditunda sampai kuartal depan.",
]

SPEC = (
    "<p><strong>{title}</strong></p>"
    "<ul><li>Bahan: art carton 310 gsm, laminasi doff</li>"
    "<li>Ukuran dan desain sesuai file yang disetujui</li>"
    "<li>Jumlah: {quantity} pcs</li>"
    "<li>Pengiriman ke alamat kantor pelanggan</li></ul>"
)
TERMS = (
    "Harga sudah termasuk desain, cetak dan ongkos kirim di Jabodetabek.\n"
    "Pembayaran: 50% di muka, 50% saat barang diterima, jatuh tempo 14 hari.\n"
    "Revisi di luar jumlah yang disepakati dikenakan biaya tambahan."
)


def agreements_demo_load(*, now: datetime, seed: int = 1042) -> None:
    """Write the demo's agreements data; call after staff, customers and tickets exist."""
    rng = random.Random(seed)  # noqa: S311 - seeded on purpose: the same demo every time
    today = timezone.localdate(now)
    staff = {user.username: user for user in User.objects.all()}
    customers = {
        customer.name: customer
        for customer in Customer.objects.select_related("account_manager").order_by("pk")
    }
    with transaction.atomic():
        _revenue_and_targets(rng, customers, staff, now=now, today=today)
        _pipeline(rng, customers, now=now)
        _yes_client(customers[YES_CLIENT], now=now)
        _no_client(customers[NO_CLIENT], now=now)
        _bad_client(customers[BAD_CLIENT], manager=staff["dewi"], now=now)
        _late_and_at_risk(customers[LATE_CLIENT], customers[AT_RISK_CLIENT], now=now)


def _manager(customer: Customer) -> User:
    manager = customer.account_manager
    assert manager is not None, customer
    return manager


def _contact(customer: Customer) -> Contact:
    contact = customer.contacts.order_by("pk").first()
    assert contact is not None, customer
    return contact


def _revenue_and_targets(
    rng: random.Random,
    customers: dict[str, Customer],
    staff: dict[str, User],
    *,
    now: datetime,
    today: date,
) -> None:
    months = months_back(today, 7)
    planned: dict[int, int] = {}
    with clock_at(now - timedelta(days=1)):
        for customer in customers.values():
            low, high = TIER_REVENUE[customer.revenue_tier]
            base = rng.uniform(low, high) * (0.4 if customer.is_internal else 1.0)
            for month in months:
                amount = round(base * rng.uniform(0.6, 1.3) * 20) * 50_000
                if month == months[-1]:
                    # The current month is still running.
                    amount = amount * today.day // 31
                services.revenue_set(
                    actor=None, customer=customer, month=month, amount=amount, note=""
                )
            if customer.account_manager_id:
                planned[customer.account_manager_id] = planned.get(
                    customer.account_manager_id, 0
                ) + round(base * 1_000_000)
        for user in staff.values():
            if user.role != Role.ACCOUNT_MANAGER or user.pk not in planned:
                continue
            goal = round(planned[user.pk] * 1.1 / 5_000_000) * 5_000_000
            for month in months:
                services.target_set(actor=None, account_manager=user, month=month, amount=goal)


def _pipeline(rng: random.Random, customers: dict[str, Customer], *, now: datetime) -> None:
    names = [
        name
        for name, customer in customers.items()
        if customer.account_manager_id and not customer.is_internal
    ]
    for index, (title, value) in enumerate(PIPELINE * 2):
        customer = customers[names[(index * 7) % len(names)]]
        started = now - timedelta(days=rng.randrange(10, 80), hours=rng.randrange(0, 8))
        with clock_at(started):
            deal = services.deal_create(
                actor=customer.account_manager,
                customer=customer,
                title=title,
                value=value,
                contact=_contact(customer),
            )
        path = PATHS[index % len(PATHS)]
        moment = started
        for stage in path:
            moment += timedelta(days=rng.randrange(2, 9))
            if moment >= now:
                break
            with clock_at(moment):
                services.deal_move(
                    actor=customer.account_manager,
                    deal=deal,
                    stage=stage,
                    reason=rng.choice(LOST_REASONS) if stage == Stage.LOST else "",
                )


def _won_order(
    customer: Customer,
    *,
    title: str,
    price: int,
    quantity: int,
    started: datetime,
    promised_in: int,
) -> tuple[Order, Agreement]:
    """Pitch, win, open an order, write version 1 and have the customer confirm it."""
    manager = _manager(customer)
    contact = _contact(customer)
    with clock_at(started):
        deal = services.deal_create(
            actor=manager, customer=customer, title=title, value=price, contact=contact
        )
    with clock_at(started + timedelta(days=3)):
        services.deal_move(actor=manager, deal=deal, stage=Stage.NEGOTIATING)
    with clock_at(started + timedelta(days=6)):
        services.deal_move(actor=manager, deal=deal, stage=Stage.WON)
        order = services.order_create(
            actor=manager,
            customer=customer,
            contact=contact,
            title=title,
            deal=deal,
            promised_on=timezone.localdate(started) + timedelta(days=promised_in),
        )
        agreement = services.agreement_create(
            actor=manager,
            order=order,
            spec=SPEC.format(title=title, quantity=f"{quantity:,}".replace(",", ".")),
            price=price,
            revisions_allowed=2,
            deadline=order.promised_on,
            terms=TERMS,
        )
        agreement = services.agreement_send(actor=manager, agreement=agreement)
    with clock_at(started + timedelta(days=7, hours=2)):
        services.agreement_confirm(
            agreement=agreement, ip="203.0.113.24", user_agent="Mozilla/5.0 (Windows NT 10.0)"
        )
    order.refresh_from_db()
    return order, agreement


def _tickets(customer: Customer, count: int) -> list[object]:
    return list(customer.tickets.order_by("created_at", "pk")[:count])


def _yes_client(customer: Customer, *, now: datetime) -> None:
    manager = _manager(customer)
    order, _agreement = _won_order(
        customer,
        title="Cetak cup kopi 12 oz",
        price=36_000_000,
        quantity=20_000,
        started=now - timedelta(days=95),
        promised_in=30,
    )
    for ticket in _tickets(customer, 1):
        with clock_at(now - timedelta(days=80)):
            services.order_request_link(
                actor=manager, order=order, ticket=ticket, kind=RequestKind.REVISION
            )
    with clock_at(now - timedelta(days=66)):
        services.order_deliver(actor=manager, order=order)
        services.invoice_create(
            actor=manager,
            customer=customer,
            order=order,
            number="INV/2025/0311",
            amount=36_000_000,
            issued_on=timezone.localdate(now - timedelta(days=66)),
            due_on=timezone.localdate(now - timedelta(days=52)),
            paid_on=timezone.localdate(now - timedelta(days=55)),
        )
    _won_order(
        customer,
        title="Sleeve dan tatakan gelas",
        price=14_500_000,
        quantity=10_000,
        started=now - timedelta(days=20),
        promised_in=30,
    )
    with clock_at(now - timedelta(days=10)):
        services.verdict_record(
            actor=manager,
            customer=customer,
            verdict="yes",
            reason="Membayar tepat waktu, revisi sesuai kesepakatan, dua proyek berjalan lancar.",
        )


def _no_client(customer: Customer, *, now: datetime) -> None:
    manager = _manager(customer)
    for days, title, value, reason in (
        (70, "Spanduk dan menu laminasi", 2_400_000, "Anggaran belum ada tahun ini."),
        (30, "Neon box depan warung", 6_800_000, "Memilih membuat sendiri."),
    ):
        with clock_at(now - timedelta(days=days)):
            deal = services.deal_create(
                actor=manager, customer=customer, title=title, value=value, stage=Stage.PITCHING
            )
        with clock_at(now - timedelta(days=days - 5)):
            services.deal_move(actor=manager, deal=deal, stage=Stage.LOST, reason=reason)
    with clock_at(now - timedelta(days=20)):
        services.verdict_record(
            actor=manager,
            customer=customer,
            verdict="no",
            reason=(
                "Dua kali ditawarkan, belum butuh. Tetap jadi kontak; tawarkan lagi tahun depan."
            ),
        )


def _bad_client(customer: Customer, *, manager: User, now: datetime) -> None:
    account_manager = _manager(customer)
    order, agreement = _won_order(
        customer,
        title="Katalog produk 24 halaman",
        price=28_000_000,
        quantity=1_000,
        started=now - timedelta(days=60),
        promised_in=21,
    )
    for number, ticket in enumerate(_tickets(customer, 4), start=1):
        with clock_at(now - timedelta(days=50 - number * 3)):
            services.order_request_link(
                actor=account_manager,
                order=order,
                ticket=ticket,
                kind=RequestKind.OUT_OF_SCOPE if number == 4 else RequestKind.REVISION,
                note="Minta ganti foto produk lagi" if number < 4 else "Tambah 4 halaman",
            )
    with clock_at(now - timedelta(days=44)):
        if order_allowance(order).pending:
            second = services.change_request_issue(
                actor=account_manager,
                order=order,
                extra_price=4_500_000,
                note="Tambahan halaman dan revisi di luar kesepakatan awal.",
            )
        else:
            second = services.agreement_create(
                actor=account_manager,
                order=order,
                spec=agreement.spec_html,
                price=agreement.price + 4_500_000,
                revisions_allowed=3,
                deadline=agreement.deadline,
                terms=agreement.terms,
                change_note="Tambah 4 halaman di luar kesepakatan awal.",
                keep_attachments_of=agreement,
            )
            second = services.agreement_send(actor=account_manager, agreement=second)
    with clock_at(now - timedelta(days=43)):
        services.agreement_changes_request(
            agreement=second,
            comment=(
                "Kok lebih mahal? Di tempat lain lebih murah, harga di sebelah cuma 22 juta "
                "sudah termasuk tambahan halaman."
            ),
        )
    with clock_at(now - timedelta(days=42)):
        third = services.agreement_create(
            actor=account_manager,
            order=order,
            spec=agreement.spec_html,
            price=agreement.price + 3_000_000,
            revisions_allowed=3,
            deadline=agreement.deadline,
            terms=agreement.terms,
            change_note="Harga tambahan dikurangi menjadi Rp 3.000.000.",
            keep_attachments_of=agreement,
        )
        third = services.agreement_send(actor=account_manager, agreement=third)
    with clock_at(now - timedelta(days=41)):
        services.agreement_changes_request(
            agreement=third,
            comment="Kompetitor kasih revisi gratis. Tolong samakan, atau kami pindah vendor.",
        )
    with clock_at(now - timedelta(days=30)):
        services.order_deliver(actor=account_manager, order=order)
        services.invoice_create(
            actor=account_manager,
            customer=customer,
            order=order,
            number="INV/2025/0402",
            amount=28_000_000,
            issued_on=timezone.localdate(now - timedelta(days=30)),
            due_on=timezone.localdate(now - timedelta(days=16)),
        )
    with clock_at(now - timedelta(days=5)):
        services.verdict_record(
            actor=manager,
            customer=customer,
            verdict="bad",
            reason=(
                "Setuju di awal, lalu minta revisi di luar jatah, membandingkan harga dengan "
                "kompetitor, dan tagihan belum dibayar lewat jatuh tempo."
            ),
            requires_approval=True,
        )
    with clock_at(now - timedelta(days=2)):
        services.order_create(
            actor=account_manager,
            customer=customer,
            contact=_contact(customer),
            title="Brosur pameran elektronik",
        )


def _late_and_at_risk(late: Customer, at_risk: Customer, *, now: datetime) -> None:
    order, _agreement = _won_order(
        late,
        title="Brosur perumahan cluster baru",
        price=19_800_000,
        quantity=5_000,
        started=now - timedelta(days=40),
        promised_in=36,
    )
    with clock_at(now - timedelta(days=3)):
        services.order_delay(
            actor=late.account_manager,
            order=order,
            new_date=timezone.localdate(now - timedelta(days=1)),
            reason="Kertas art carton yang dipesan terlambat datang dari pemasok.",
            language=_contact(late).language,
        )
    _won_order(
        at_risk,
        title="Amenities kit kamar: kemasan dan label",
        price=47_000_000,
        quantity=8_000,
        started=now - timedelta(days=25),
        promised_in=27,
    )
