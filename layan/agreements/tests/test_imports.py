import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from layan.agreements.imports import month_parse, revenue_import
from layan.agreements.models import Revenue
from layan.customers.models import Customer
from layan.customers.tests.factories import CustomerFactory
from layan.team.models import Role
from layan.team.tests.factories import UserFactory


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2025-03", date(2025, 3, 1)),
        ("2025-3", date(2025, 3, 1)),
        ("2025-03-17", date(2025, 3, 1)),
        ("03/2025", date(2025, 3, 1)),
        ("3.2025", date(2025, 3, 1)),
        ("Maret 2025", date(2025, 3, 1)),
        ("Agt 2025", date(2025, 8, 1)),
        ("December 2025", date(2025, 12, 1)),
    ],
)
def test_month_parse(text: str, month: date) -> None:
    assert month_parse(text) == month


@pytest.mark.parametrize("text", ["", "2025", "13/2025", "2025-00", "Bulan 2025", "03/1999"])
def test_month_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        month_parse(text)


REVENUE = (
    "\ufeffpelanggan;bulan;jumlah;catatan\n"
    "PT Sinar Jaya;2025-01;Rp 1.250.000;Januari\n"
    "PT Sinar Jaya;02/2025;2.500.000,00;\n"
    "Toko Roti;Maret 2025;750000;\n"
)


@pytest.mark.django_db
def test_revenue_import_is_idempotent_and_corrects_a_month() -> None:
    sinar = CustomerFactory(name="PT Sinar Jaya")
    CustomerFactory(name="Toko Roti")
    first = revenue_import(actor=None, data=REVENUE.encode())
    assert first.ok, first.errors
    assert first.created == 3
    assert Revenue.objects.get(customer=sinar, month=date(2025, 1, 1)).amount == 1_250_000
    again = revenue_import(actor=None, data=REVENUE.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    fixed = revenue_import(
        actor=None, data=b"customer,month,amount\nPT Sinar Jaya,2025-01,1.300.000\n"
    )
    assert fixed.updated == 1
    stored = Revenue.objects.get(customer=sinar, month=date(2025, 1, 1))
    assert (stored.amount, stored.note) == (1_300_000, "Januari")


@pytest.mark.django_db
def test_revenue_import_rejects_bad_rows_and_writes_nothing() -> None:
    CustomerFactory(name="PT Sinar Jaya")
    data = (
        b"customer;month;amount\n"
        b"PT Sinar Jaya;2025-01;1.250.000\n"
        b"PT Entah;2025-01;1.000\n"
        b"PT Sinar Jaya;kemarin;1,5\n"
        b"PT Sinar Jaya;2025-01;2.000\n"
    )
    with translation.override("en"):
        report = revenue_import(actor=None, data=data)
    assert [(error.row, error.column, error.message) for error in report.errors] == [
        (3, "customer", "No such customer."),
        (4, "month", "“kemarin” is not a month (use 2025-03)."),
        (4, "amount", "Rupiah amounts have no cents: “1,5”."),
        (5, "month", "This customer and month appear twice."),
    ]
    assert not Revenue.objects.exists()


@pytest.mark.django_db
def test_account_managers_import_revenue_of_their_portfolio_only() -> None:
    rina = UserFactory(role=Role.ACCOUNT_MANAGER)
    CustomerFactory(name="PT Milik Rina", account_manager=rina)
    CustomerFactory(name="PT Milik Budi", account_manager=UserFactory(role=Role.ACCOUNT_MANAGER))
    report = revenue_import(
        actor=rina,
        data=b"customer;month;amount\nPT Milik Rina;2025-01;1000\nPT Milik Budi;2025-01;1000\n",
    )
    assert [(error.row, error.column) for error in report.errors] == [(3, "customer")]
    assert not Revenue.objects.exists()


@pytest.mark.django_db
def test_import_command_exits_non_zero_on_any_error(tmp_path: Path) -> None:
    CustomerFactory(name="PT Sinar Jaya")
    bad = tmp_path / "revenue.csv"
    bad.write_text("customer;month;amount\nPT Sinar Jaya;2025-01;1.000\nPT Entah;2025-01;5\n")
    errors = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "revenue", str(bad), stderr=errors)
    assert errors.getvalue() == "row 3, column customer: No such customer.\n"
    assert not Revenue.objects.exists()


@pytest.mark.django_db
def test_import_command_dry_run_then_real_run(tmp_path: Path) -> None:
    UserFactory(username="rina", role=Role.ACCOUNT_MANAGER)
    path = tmp_path / "customers.csv"
    path.write_bytes("name,account_manager\nPT Baru,rina\n".encode("utf-8-sig"))
    out = io.StringIO()
    call_command("import", "customers", str(path), "--dry-run", stdout=out)
    assert "would import 1 row(s): 1 new" in out.getvalue()
    assert not Customer.objects.exists()
    call_command("import", "customers", str(path), stdout=out)
    assert Customer.objects.get().account_manager.username == "rina"


@pytest.mark.django_db
def test_import_command_refuses_a_missing_file_and_an_unknown_user(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import", "customers", str(tmp_path / "nope.csv"))
    path = tmp_path / "customers.csv"
    path.write_text("name\nX\n")
    with pytest.raises(CommandError, match="No active staff user"):
        call_command("import", "customers", str(path), "--as", "siapa")


@pytest.mark.django_db
def test_export_command_writes_what_import_reads(tmp_path: Path) -> None:
    sinar = CustomerFactory(name="PT Sinar Jaya")
    Revenue.objects.create(
        customer=sinar, month=date(2025, 1, 1), amount=1_250_000, updated_at="2025-02-01T00:00Z"
    )
    out = io.StringIO()
    call_command("export", "revenue", stdout=out)
    assert out.getvalue() == "customer,month,amount,note\nPT Sinar Jaya,2025-01,1250000,\n"
    target = tmp_path / "revenue.csv"
    call_command("export", "revenue", "--output", str(target), stderr=io.StringIO())
    report = revenue_import(actor=None, data=target.read_bytes())
    assert report.ok and report.unchanged == 1
