import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from layan.customers.imports import (
    RowError,
    contacts_export,
    contacts_import,
    customers_export,
    customers_import,
    idr_parse,
)
from layan.customers.models import Contact, Customer, Identity, Membership
from layan.customers.tests.factories import CustomerFactory
from layan.team.models import Role
from layan.team.tests.factories import UserFactory

CUSTOMERS = (
    "name;kind;revenue_tier;account_manager;city\n"
    "PT Sinar Jaya;external;key;rina;Jakarta\n"
    "Toko Roti Harum;eksternal;kecil;;Bogor\n"
)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.250.000", 1_250_000),
        ("Rp 1.250.000", 1_250_000),
        ("Rp1.250.000,-", 1_250_000),
        ("IDR 1.250.000,00", 1_250_000),
        ("1,250,000", 1_250_000),
        ("1,250,000.00", 1_250_000),
        ("1250000", 1_250_000),
        ("1250000,00", 1_250_000),
        ("1 250 000", 1_250_000),
        ("-1.500", -1_500),
        ("(2.000)", -2_000),
        ("950", 950),
        ("1.000", 1_000),
    ],
)
def test_idr_parse_reads_indonesian_and_plain_amounts(text: str, amount: int) -> None:
    assert idr_parse(text) == amount


@pytest.mark.parametrize("text", ["", "abc", "1.5", "1.250.000,50", "12.34.56", "1,2,3", "Rp"])
def test_idr_parse_refuses_what_is_not_whole_rupiah(text: str) -> None:
    with pytest.raises(ValueError):
        idr_parse(text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        CUSTOMERS.encode(),
        b"\xef\xbb\xbf" + CUSTOMERS.encode(),
        CUSTOMERS.replace(";", ",").encode(),
        CUSTOMERS.replace("\n", "\r\n").encode(),
    ],
    ids=["semicolon", "bom", "comma", "crlf"],
)
def test_customers_import_reads_every_common_flavour_of_csv(data: bytes) -> None:
    UserFactory(username="rina", role=Role.ACCOUNT_MANAGER)
    report = customers_import(actor=None, data=data)
    assert report.ok, report.errors
    assert (report.rows, report.created) == (2, 2)
    sinar = Customer.objects.get(name="PT Sinar Jaya")
    assert (sinar.revenue_tier, sinar.account_manager.username, sinar.city) == (
        "key",
        "rina",
        "Jakarta",
    )
    assert Customer.objects.get(name="Toko Roti Harum").revenue_tier == "small"


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing() -> None:
    UserFactory(username="rina", role=Role.ACCOUNT_MANAGER)
    customers_import(actor=None, data=CUSTOMERS.encode())
    again = customers_import(
        actor=None, data=b"\xef\xbb\xbf" + CUSTOMERS.replace(";", ",").encode()
    )
    assert again.ok, again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_a_file_with_one_bad_row_imports_nothing_and_says_where() -> None:
    UserFactory(username="rina", role=Role.ACCOUNT_MANAGER)
    data = (
        b"nama;jenis;tier;am\n"
        b"PT Baru Satu;external;key;rina\n"
        b";external;key;\n"
        b"PT Baru Tiga;galaksi;key;nobody\n"
        b"PT Baru Satu;external;small;\n"
    )
    with translation.override("en"):
        report = customers_import(actor=None, data=data)
        described = str(report.errors[1])
    assert not report.ok
    assert report.errors == [
        RowError(3, "name", "A customer needs a name."),
        RowError(4, "kind", "“galaksi” is not one of: external, internal."),
        RowError(4, "account_manager", "No such account manager."),
        RowError(5, "name", "This customer appears twice in the file."),
    ]
    assert described == "row 4, column kind: “galaksi” is not one of: external, internal."
    assert Customer.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\xff\xfename\n", RowError(0, "", "The file is not UTF-8 text.")),
        (b"", RowError(0, "", "The file is empty.")),
        (b"name;colour\nA;b\n", RowError(1, "colour", "Unknown column.")),
        (b"city\nBogor\n", RowError(1, "name", "Required column is missing.")),
        (
            b"name;city\nA;Bogor;extra\n",
            RowError(2, "", "The row has more cells than the header has columns."),
        ),
    ],
)
def test_file_level_problems_are_reported(data: bytes, error: RowError) -> None:
    with translation.override("en"):
        report = customers_import(actor=None, data=data)
    assert report.errors == [error]
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_dry_run_reports_the_real_counts_and_writes_nothing() -> None:
    UserFactory(username="rina", role=Role.ACCOUNT_MANAGER)
    report = customers_import(actor=None, data=CUSTOMERS.encode(), dry_run=True)
    assert report.ok and report.dry_run and report.created == 2
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_account_managers_import_into_their_own_portfolio_only() -> None:
    rina = UserFactory(username="rina", role=Role.ACCOUNT_MANAGER)
    budi = UserFactory(username="budi", role=Role.ACCOUNT_MANAGER)
    CustomerFactory(name="PT Milik Budi", account_manager=budi)
    report = customers_import(
        actor=rina, data=b"name;account_manager\nPT Milik Budi;\nPT Baru;budi\n"
    )
    assert [(error.row, error.column) for error in report.errors] == [
        (2, "name"),
        (3, "account_manager"),
    ]
    ok = customers_import(actor=rina, data=b"name\nPT Baru Rina\n")
    assert ok.ok and Customer.objects.get(name="PT Baru Rina").account_manager == rina
    for role in (Role.AGENT, Role.VIEWER):
        with pytest.raises(PermissionDenied):
            customers_import(actor=UserFactory(role=role), data=b"name\nX\n")


@pytest.mark.django_db
def test_contacts_import_matches_by_email_then_by_name() -> None:
    customer = CustomerFactory(name="PT Sinar Jaya")
    data = (
        b"customer;name;panggilan;sapaan;bahasa;email;telepon;peran\n"
        b"PT Sinar Jaya;Rina Kusuma;Rina;ibu;id;Rina@Sinar.co.id;0812 3456 7890;keuangan\n"
        b"PT Sinar Jaya;Budi Santoso;;Bapak;English;;;\n"
    )
    first = contacts_import(actor=None, data=data)
    assert first.ok, first.errors
    rina = Contact.objects.get(name="Rina Kusuma")
    assert (rina.honorific, rina.preferred_name) == ("Ibu", "Rina")
    assert set(rina.identities.values_list("kind", "value")) == {
        ("email", "rina@sinar.co.id"),
        ("phone", "+6281234567890"),
    }
    assert Membership.objects.get(contact=rina, customer=customer).role == "finance"
    again = contacts_import(actor=None, data=data)
    assert (again.created, again.unchanged) == (0, 2)
    renamed = contacts_import(
        actor=None,
        data=b"customer,name,email\nPT Sinar Jaya,Rina K. Wardani,rina@sinar.co.id\n",
    )
    assert renamed.updated == 1
    assert Contact.objects.count() == 2
    assert Contact.objects.get(identities__value="rina@sinar.co.id").name == "Rina K. Wardani"


@pytest.mark.django_db
def test_contacts_import_reports_bad_addresses_and_unknown_customers() -> None:
    CustomerFactory(name="PT Sinar Jaya")
    data = (
        b"customer;name;email;phone;honorific\n"
        b"PT Sinar Jaya;Rina;bukan-email;;Ibu\n"
        b"PT Tidak Ada;Budi;budi@contoh.co.id;12;Tuan\n"
        b"PT Sinar Jaya;Sari;sari@contoh.co.id;;\n"
        b"PT Sinar Jaya;Sari Dua;SARI@contoh.co.id;;\n"
    )
    report = contacts_import(actor=None, data=data)
    assert [(error.row, error.column) for error in report.errors] == [
        (2, "email"),
        (3, "customer"),
        (3, "phone"),
        (3, "honorific"),
        (5, "email"),
    ]
    assert Contact.objects.count() == 0 and Identity.objects.count() == 0


@pytest.mark.django_db
def test_a_conflict_found_while_writing_rolls_back_the_whole_file() -> None:
    """Checks that only the database can make (an address taken meanwhile) still undo it all."""
    customer = CustomerFactory(name="PT Sinar Jaya")
    owner = Contact.objects.create(name="Pemilik Nomor")
    Identity.objects.create(contact=owner, kind="phone", value="+6281111111111")
    data = (
        b"customer;name;email;phone\n"
        b"PT Sinar Jaya;Rina;rina@contoh.co.id;\n"
        b"PT Sinar Jaya;Budi;budi@contoh.co.id;08111111111 1\n"
    )
    report = contacts_import(actor=None, data=data)
    assert not report.ok and report.errors[0].row == 3
    assert report.created == 0
    assert not Membership.objects.filter(customer=customer).exists()


@pytest.mark.django_db
def test_exports_import_back_unchanged() -> None:
    rina = UserFactory(username="rina", role=Role.ACCOUNT_MANAGER)
    customers_import(
        actor=None,
        data=b'name;account_manager;notes\nPT Sinar;rina;=HYPERLINK("x")\n',
    )
    contacts_import(
        actor=None,
        data=b"customer;name;email;phone\nPT Sinar;Rina;rina@sinar.co.id;+62 812 1111 2222\n",
    )
    customers_csv, contacts_csv = io.StringIO(), io.StringIO()
    assert customers_export(user=rina, target=customers_csv) == 1
    assert contacts_export(user=None, target=contacts_csv) == 1
    assert "'=HYPERLINK" in customers_csv.getvalue()  # a formula cell is defused
    assert "'+6281211112222" in contacts_csv.getvalue()
    again = customers_import(actor=None, data=customers_csv.getvalue().encode())
    assert again.ok and again.unchanged == 1
    assert Customer.objects.get().notes == '=HYPERLINK("x")'
    contacts_again = contacts_import(actor=None, data=contacts_csv.getvalue().encode())
    assert contacts_again.ok and contacts_again.unchanged == 1
