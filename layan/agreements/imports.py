"""Import and export monthly revenue per customer as CSV, with the customers importer's rules:
all or nothing, per-row errors, `;` or `,`, Indonesian amounts, idempotent by customer and
month."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from layan.agreements.models import Revenue
from layan.agreements.permissions import can_manage
from layan.agreements.queries import revenue_for
from layan.agreements.services import revenue_set
from layan.customers.imports import (
    CONTACT_COLUMNS,
    CREATED,
    CUSTOMER_COLUMNS,
    UNCHANGED,
    UPDATED,
    Columns,
    ImportReport,
    RowError,
    contacts_export,
    contacts_import,
    csv_write,
    customers_export,
    customers_import,
    idr_parse,
    import_run,
    normalise_name,
)
from layan.customers.models import Customer
from layan.customers.queries import customers_for
from layan.team.models import Role, User

KINDS = ("customers", "contacts", "revenue")

REVENUE_COLUMNS = Columns(
    names=("customer", "month", "amount", "note"),
    required=frozenset({"customer", "month", "amount"}),
    aliases={
        "pelanggan": "customer",
        "bulan": "month",
        "periode": "month",
        "jumlah": "amount",
        "nilai": "amount",
        "pendapatan": "amount",
        "catatan": "note",
    },
)
COLUMNS = {"customers": CUSTOMER_COLUMNS, "contacts": CONTACT_COLUMNS, "revenue": REVENUE_COLUMNS}

_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "january", "jan"),
            ("februari", "february", "feb", "pebruari"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "aug", "agt"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov", "nop", "nopember"),
            ("desember", "december", "des", "dec"),
        ),
        start=1,
    )
    for name in names
}


def month_parse(text: str) -> date:
    """Return the first day of the month written as 2025-03, 2025-03-01, 03/2025 or Maret 2025."""
    value = text.strip().lower()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", value)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    elif match := re.fullmatch(r"(\d{1,2})[/.-](\d{4})", value):
        year, month = int(match.group(2)), int(match.group(1))
    elif match := re.fullmatch(r"([a-z]+)\.?\s+(\d{4})", value):
        year, month = int(match.group(2)), _MONTH_NAMES.get(match.group(1), 0)
    else:
        raise ValueError(_("“%(v)s” is not a month (use 2025-03).") % {"v": text})
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValueError(_("“%(v)s” is not a month (use 2025-03).") % {"v": text})
    return date(year, month, 1)


@dataclass
class _RevenueRow:
    customer: Customer
    month: date
    amount: int
    note: str


def revenue_import(*, actor: User | None, data: bytes, dry_run: bool = False) -> ImportReport:
    """Record monthly revenue from CSV; a customer and month already stored is corrected."""
    if actor is not None and not (actor.sees_everything or actor.role == Role.ACCOUNT_MANAGER):
        raise PermissionDenied(_("Only account managers, managers and admins import revenue."))
    visible = customers_for(actor) if actor is not None else Customer.objects.all()
    seen: set[tuple[int, date]] = set()

    def parse(row: int, cells: dict[str, str], errors: list[RowError]) -> _RevenueRow | None:
        before = len(errors)
        name = normalise_name(cells.get("customer", ""))
        customers = list(visible.filter(name__iexact=name)[:2]) if name else []
        if len(customers) != 1:
            message = (
                _("Several customers have this name.") if customers else _("No such customer.")
            )
            errors.append(RowError(row, "customer", message))
        elif actor is not None and not can_manage(actor, customers[0]):
            errors.append(
                RowError(row, "customer", _("You cannot change this customer's revenue."))
            )
        month = amount = None
        try:
            month = month_parse(cells.get("month", ""))
        except ValueError as error:
            errors.append(RowError(row, "month", str(error)))
        try:
            amount = idr_parse(cells.get("amount", ""))
        except ValueError as error:
            errors.append(RowError(row, "amount", str(error)))
        if len(errors) > before or month is None or amount is None:
            return None
        key = (customers[0].pk, month)
        if key in seen:
            errors.append(RowError(row, "month", _("This customer and month appear twice.")))
            return None
        seen.add(key)
        return _RevenueRow(
            customer=customers[0], month=month, amount=amount, note=cells.get("note", "")
        )

    def write(item: _RevenueRow) -> str:
        stored = Revenue.objects.filter(customer=item.customer, month=item.month).first()
        note = item.note or (stored.note if stored else "")
        if stored is not None and stored.amount == item.amount and stored.note == note:
            return UNCHANGED
        revenue_set(
            actor=actor, customer=item.customer, month=item.month, amount=item.amount, note=note
        )
        return UPDATED if stored else CREATED

    return import_run(
        kind="revenue",
        data=data,
        columns=REVENUE_COLUMNS,
        parse=parse,
        write=write,
        dry_run=dry_run,
    )


def revenue_export(*, user: User | None, target: TextIO) -> int:
    revenue = revenue_for(user) if user is not None else Revenue.objects.select_related("customer")
    rows = (
        (item.customer.name, f"{item.month:%Y-%m}", item.amount, item.note)
        for item in revenue.order_by("customer__name", "month", "pk").iterator(chunk_size=1000)
    )
    return csv_write(target, REVENUE_COLUMNS.names, rows)


def csv_import(
    kind: str, *, actor: User | None, data: bytes, dry_run: bool = False
) -> ImportReport:
    """Import a file of `kind` (customers, contacts or revenue)."""
    importers = {
        "customers": customers_import,
        "contacts": contacts_import,
        "revenue": revenue_import,
    }
    return importers[kind](actor=actor, data=data, dry_run=dry_run)


def csv_export(kind: str, *, user: User | None, target: TextIO) -> int:
    """Export `kind` as CSV that imports back unchanged; return the number of rows."""
    exporters = {
        "customers": customers_export,
        "contacts": contacts_export,
        "revenue": revenue_export,
    }
    return exporters[kind](user=user, target=target)
