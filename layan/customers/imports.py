"""Import and export customers and contacts as CSV.

An import is all or nothing: every row is checked first, and only a file without errors is
written, in one transaction. Files may be UTF-8 with or without a byte-order mark, separated by
`;` (what spreadsheets write in Indonesian locales) or `,`; amounts may be written the
Indonesian way ("Rp 1.250.000"). Importing the same file twice changes nothing the second
time: customers are matched by name, contacts by email (else by name within the customer).
An empty cell leaves the stored value as it is.

The reader and report here are shared by the other importers (revenue lives in agreements).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from layan.core.identity import InvalidIdentity, email_normalise, phone_normalise
from layan.customers import services
from layan.customers.models import (
    Contact,
    Customer,
    CustomerForm,
    CustomerKind,
    Honorific,
    Identity,
    Membership,
    MembershipRole,
    RevenueTier,
)
from layan.customers.queries import customers_for
from layan.team.models import Role, User

MAX_ROWS = 20_000
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


# --- Reading CSV --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # the line's row number in the file; the header is row 1, 0 is the whole file
    column: str
    message: str

    def __str__(self) -> str:
        where = _("row %(row)s") % {"row": self.row} if self.row else _("file")
        if self.column:
            where += ", " + _("column %(column)s") % {"column": self.column}
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class Columns:
    """The columns of one kind of file: canonical names, which are required, and aliases."""

    names: tuple[str, ...]
    required: frozenset[str]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def canonical(self, header: str) -> str:
        key = re.sub(r"[\s\-]+", "_", header.strip().lstrip("\ufeff").strip().lower())
        return self.aliases.get(key, key)


def csv_read(
    data: bytes, columns: Columns
) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """Return the file's data rows (row number, cells by canonical column) and file errors."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(0, "", _("The file is not UTF-8 text."))]
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        return [], [RowError(0, "", _("The file is empty."))]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[RowError] = []
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] = []
    try:
        for raw in reader:
            number = reader.line_num
            if not header:
                if not any(cell.strip() for cell in raw):
                    continue
                header = [columns.canonical(cell) for cell in raw]
                errors.extend(_header_errors(header, raw, columns, number))
                if errors:
                    return [], errors
                continue
            if not any(cell.strip() for cell in raw):
                continue
            if len(raw) > len(header):
                errors.append(
                    RowError(number, "", _("The row has more cells than the header has columns."))
                )
                continue
            cells = {
                name: _unescape(raw[index].strip()) if index < len(raw) else ""
                for index, name in enumerate(header)
            }
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                return [], [RowError(0, "", _("At most %(n)s rows per file.") % {"n": MAX_ROWS})]
    except csv.Error as error:
        errors.append(RowError(reader.line_num, "", _("Unreadable CSV: %(e)s") % {"e": error}))
    return rows, errors


def _header_errors(
    header: list[str], raw: list[str], columns: Columns, number: int
) -> list[RowError]:
    errors = []
    seen: set[str] = set()
    for name, original in zip(header, raw, strict=True):
        if name not in columns.names:
            errors.append(RowError(number, original.strip(), _("Unknown column.")))
        elif name in seen:
            errors.append(RowError(number, original.strip(), _("Column appears twice.")))
        seen.add(name)
    for name in sorted(columns.required - set(header)):
        errors.append(RowError(number, name, _("Required column is missing.")))
    return errors


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(value: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in _FORMULA_START else value


def csv_write(target: TextIO, names: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a header and rows as comma-separated UTF-8 text; return the number of rows."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(names)
    count = 0
    for row in rows:
        writer.writerow([_escape("" if value is None else str(value)) for value in row])
        count += 1
    return count


# --- Values -------------------------------------------------------------------------------------

_GROUPED_ID = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,(\d{1,2}))?$")
_GROUPED_EN = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.(\d{1,2}))?$")
_PLAIN = re.compile(r"^\d+(?:[.,](\d{1,2}))?$")


def idr_parse(text: str) -> int:
    """Return whole rupiah from "1.250.000", "Rp 1.250.000,-", "1,250,000", "1250000,00".

    Dots group thousands the Indonesian way; a comma then starts decimals, which must be zero
    because rupiah have no cents. Raises ValueError with a message for people.
    """
    value = unicodedata.normalize("NFKC", text).strip().removesuffix(",-").removesuffix(".-")
    negative = value.startswith("-") or (value.startswith("(") and value.endswith(")"))
    value = value.strip("-()").strip()
    value = re.sub(r"^(?:rp\.?|idr)\s*", "", value, flags=re.IGNORECASE)
    value = re.sub(r"(?<=\d)[\s\u00a0](?=\d{3}\b)", "", value)
    for pattern, group in ((_GROUPED_ID, "."), (_GROUPED_EN, ","), (_PLAIN, "")):
        match = pattern.match(value)
        if not match:
            continue
        cents = match.group(1)
        if cents and int(cents):
            raise ValueError(_("Rupiah amounts have no cents: “%(v)s”.") % {"v": text})
        whole = re.split(r"[.,]\d{1,2}$", value)[0] if cents else value
        amount = int(whole.replace(group, "") if group else whole)
        return -amount if negative else amount
    raise ValueError(_("“%(v)s” is not an amount in rupiah.") % {"v": text})


def _choice(
    value: str, choices: Mapping[str, str], column: str, errors: list[RowError], row: int
) -> str | None:
    key = value.strip().lower()
    if key in choices:
        return choices[key]
    errors.append(
        RowError(
            row,
            column,
            _("“%(v)s” is not one of: %(choices)s.")
            % {"v": value, "choices": ", ".join(sorted(set(choices.values())))},
        )
    )
    return None


def _choices(enum: Any, **aliases: str) -> dict[str, str]:
    table = {str(value): str(value) for value in enum.values if value}
    table.update({str(label).lower(): str(value) for value, label in enum.choices if value})
    table.update(aliases)
    return table


def _staff(value: str) -> User | None:
    return (
        User.objects.filter(
            Q(username__iexact=value) | Q(email__iexact=value),
            is_active=True,
            role__in=(Role.ACCOUNT_MANAGER, Role.MANAGER, Role.ADMIN),
        )
        .order_by("pk")
        .first()
    )


def normalise_name(value: str) -> str:
    return " ".join(value.split())


# --- The engine ---------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def import_run[T](
    *,
    kind: str,
    data: bytes,
    columns: Columns,
    parse: Callable[[int, dict[str, str], list[RowError]], T | None],
    write: Callable[[T], str],
    dry_run: bool,
) -> ImportReport:
    """Check every row with `parse`, then, only if none failed, `write` them all at once.

    `parse` appends its problems to the errors and returns None for a bad row; `write` returns
    CREATED, UPDATED or UNCHANGED, or raises ValidationError/PermissionDenied, which rolls the
    whole file back and is reported against its row. A dry run writes and rolls back, so its
    counts are the real ones.
    """
    rows, errors = csv_read(data, columns)
    report = ImportReport(kind=kind, dry_run=dry_run, rows=len(rows), errors=errors)
    if errors:
        return report
    planned: list[tuple[int, T]] = []
    for number, cells in rows:
        item = parse(number, cells, report.errors)
        if item is not None:
            planned.append((number, item))
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for number, item in planned:
                try:
                    outcome = write(item)
                except (ValidationError, PermissionDenied) as error:
                    report.errors.extend(_row_errors(number, error))
                    raise _Rollback from error
                setattr(report, outcome, getattr(report, outcome) + 1)
            if dry_run:
                raise _Rollback
    except _Rollback:
        if report.errors:
            report.created = report.updated = report.unchanged = 0
    return report


def _row_errors(number: int, error: ValidationError | PermissionDenied) -> list[RowError]:
    if isinstance(error, PermissionDenied):
        return [RowError(number, "", str(error) or _("Not allowed."))]
    if hasattr(error, "error_dict"):
        return [
            RowError(number, "" if name == "__all__" else name, " ".join(messages))
            for name, messages in error.message_dict.items()
        ]
    return [RowError(number, "", " ".join(error.messages))]


# --- Customers ----------------------------------------------------------------------------------

CUSTOMER_COLUMNS = Columns(
    names=("name", "form", "kind", "revenue_tier", "account_manager", "industry", "city", "notes"),
    required=frozenset({"name"}),
    aliases={
        "nama": "name",
        "bentuk": "form",
        "jenis": "kind",
        "tier": "revenue_tier",
        "tingkat_pendapatan": "revenue_tier",
        "am": "account_manager",
        "industri": "industry",
        "kota": "city",
        "catatan": "notes",
    },
)
_FORMS = _choices(
    CustomerForm, organisasi="organisation", perorangan="individual", individu="individual"
)
_KINDS = _choices(CustomerKind, eksternal="external", internal="internal")
_TIERS = _choices(RevenueTier, kecil="small", menengah="medium", besar="large", utama="key")


@dataclass
class _CustomerRow:
    customer: Customer | None
    values: dict[str, Any]


def customers_import(*, actor: User | None, data: bytes, dry_run: bool = False) -> ImportReport:
    """Create or update customers from CSV; `actor` None is the system (the command line)."""
    if actor is not None and not (actor.sees_everything or actor.role == Role.ACCOUNT_MANAGER):
        raise PermissionDenied(_("Only account managers, managers and admins import customers."))
    seen: set[str] = set()

    def parse(row: int, cells: dict[str, str], errors: list[RowError]) -> _CustomerRow | None:
        before = len(errors)
        name = normalise_name(cells.get("name", ""))
        if not name:
            errors.append(RowError(row, "name", _("A customer needs a name.")))
            return None
        if name.lower() in seen:
            errors.append(RowError(row, "name", _("This customer appears twice in the file.")))
        seen.add(name.lower())
        values: dict[str, Any] = {}
        for column, table in (("form", _FORMS), ("kind", _KINDS), ("revenue_tier", _TIERS)):
            if cells.get(column):
                values[column] = _choice(cells[column], table, column, errors, row)
        if cells.get("account_manager"):
            manager = _staff(cells["account_manager"])
            if manager is None:
                errors.append(RowError(row, "account_manager", _("No such account manager.")))
            values["account_manager"] = manager
        for column in ("industry", "city", "notes"):
            if cells.get(column):
                values[column] = cells[column]
        matches = list(Customer.objects.filter(name__iexact=name)[:2])
        if len(matches) > 1:
            errors.append(RowError(row, "name", _("Several customers have this name.")))
        existing = matches[0] if matches else None
        limited = actor is not None and not actor.sees_everything
        if limited and existing is not None and existing.account_manager != actor:
            errors.append(
                RowError(row, "name", _("A customer with this name is outside your portfolio."))
            )
        if limited and values.get("account_manager") not in (None, actor):
            errors.append(
                RowError(row, "account_manager", _("You can only import into your own portfolio."))
            )
        if len(errors) > before:
            return None
        values["name"] = name
        return _CustomerRow(customer=existing, values=values)

    def write(item: _CustomerRow) -> str:
        if item.customer is None:
            services.customer_create(actor=actor, **item.values)
            return CREATED
        customer = Customer.objects.select_for_update().get(pk=item.customer.pk)
        changed = [name for name, value in item.values.items() if getattr(customer, name) != value]
        if not changed:
            return UNCHANGED
        for name in changed:
            setattr(customer, name, item.values[name])
        customer.full_clean()
        customer.save(update_fields=[*changed, "updated_at"])
        return UPDATED

    return import_run(
        kind="customers",
        data=data,
        columns=CUSTOMER_COLUMNS,
        parse=parse,
        write=write,
        dry_run=dry_run,
    )


def customers_export(*, user: User | None, target: TextIO) -> int:
    """Write the customers `user` sees (all for the system) in the import's columns."""
    customers = (
        customers_for(user)
        if user is not None
        else Customer.objects.select_related("account_manager").order_by("name", "pk")
    )
    rows = (
        (
            customer.name,
            customer.form,
            customer.kind,
            customer.revenue_tier,
            customer.account_manager.username if customer.account_manager else "",
            customer.industry,
            customer.city,
            customer.notes,
        )
        for customer in customers.iterator(chunk_size=1000)
    )
    return csv_write(target, CUSTOMER_COLUMNS.names, rows)


# --- Contacts -----------------------------------------------------------------------------------

CONTACT_COLUMNS = Columns(
    names=(
        "customer",
        "name",
        "preferred_name",
        "honorific",
        "language",
        "job_title",
        "role",
        "email",
        "phone",
    ),
    required=frozenset({"customer", "name"}),
    aliases={
        "pelanggan": "customer",
        "nama": "name",
        "panggilan": "preferred_name",
        "sapaan": "honorific",
        "bahasa": "language",
        "jabatan": "job_title",
        "peran": "role",
        "telepon": "phone",
        "hp": "phone",
        "ponsel": "phone",
    },
)
_LANGUAGES = {
    "id": "id",
    "en": "en",
    "indonesia": "id",
    "bahasa indonesia": "id",
    "english": "en",
    "inggris": "en",
}
_ROLES = _choices(
    MembershipRole,
    narahubung="contact_person",
    pengambil_keputusan="decision_maker",
    keuangan="finance",
    pengguna="user",
)
_HONORIFICS = {str(value).lower(): str(value) for value in Honorific.values if value}


@dataclass
class _ContactRow:
    customer: Customer
    contact: Contact | None
    values: dict[str, Any]
    role: str
    email: str
    phone: str


def contacts_import(*, actor: User | None, data: bytes, dry_run: bool = False) -> ImportReport:
    """Create or update contacts and their place at a customer from CSV."""
    if actor is not None and not (actor.sees_everything or actor.role == Role.ACCOUNT_MANAGER):
        raise PermissionDenied(_("Only account managers, managers and admins import contacts."))
    visible = customers_for(actor) if actor is not None else Customer.objects.all()
    seen: set[str] = set()

    def parse(row: int, cells: dict[str, str], errors: list[RowError]) -> _ContactRow | None:
        before = len(errors)
        name = normalise_name(cells.get("name", ""))
        if not name:
            errors.append(RowError(row, "name", _("A contact needs a name.")))
        customer_name = normalise_name(cells.get("customer", ""))
        customers = list(visible.filter(name__iexact=customer_name)[:2]) if customer_name else []
        if len(customers) != 1:
            message = (
                _("Several customers have this name.") if customers else _("No such customer.")
            )
            errors.append(RowError(row, "customer", message))
        email = phone = ""
        if cells.get("email"):
            try:
                email = email_normalise(cells["email"])
            except InvalidIdentity:
                errors.append(RowError(row, "email", _("Not a valid email address.")))
            if email and email in seen:
                errors.append(RowError(row, "email", _("This email appears twice in the file.")))
            seen.add(email)
        if cells.get("phone"):
            try:
                phone = phone_normalise(cells["phone"])
            except InvalidIdentity:
                errors.append(RowError(row, "phone", _("Not a valid phone number.")))
        values: dict[str, Any] = {}
        if cells.get("honorific"):
            values["honorific"] = _choice(cells["honorific"], _HONORIFICS, "honorific", errors, row)
        if cells.get("language"):
            values["language"] = _choice(cells["language"], _LANGUAGES, "language", errors, row)
        for column in ("preferred_name", "job_title"):
            if cells.get(column):
                values[column] = cells[column]
        role = _choice(cells["role"], _ROLES, "role", errors, row) if cells.get("role") else None
        if len(errors) > before:
            return None
        customer = customers[0]
        contact = _contact_match(customer, name, email)
        if contact is not None and phone:
            owner = (
                Identity.objects.filter(kind="phone", value=phone).exclude(contact=contact).first()
            )
            if owner is not None:
                errors.append(RowError(row, "phone", _("This number belongs to another contact.")))
                return None
        values["name"] = name
        return _ContactRow(
            customer=customer,
            contact=contact,
            values=values,
            role=role or MembershipRole.CONTACT_PERSON,
            email=email,
            phone=phone,
        )

    def write(item: _ContactRow) -> str:
        if item.contact is None:
            services.contact_create(
                actor=actor,
                customer=item.customer,
                role=item.role,
                email=item.email,
                phone=item.phone,
                **item.values,
            )
            return CREATED
        contact = Contact.objects.select_for_update().get(pk=item.contact.pk)
        changed = [name for name, value in item.values.items() if getattr(contact, name) != value]
        for name in changed:
            setattr(contact, name, item.values[name])
        if changed:
            contact.full_clean()
            contact.save(update_fields=[*changed, "updated_at"])
        membership = Membership.objects.filter(contact=contact, customer=item.customer).first()
        if membership is None or membership.role != item.role:
            services.membership_add(contact=contact, customer=item.customer, role=item.role)
            changed.append("membership")
        for kind, value in (("email", item.email), ("phone", item.phone)):
            if value and not contact.identities.filter(kind=kind, value=value).exists():
                services.identity_add(contact=contact, kind=kind, value=value)
                changed.append(kind)
        return UPDATED if changed else UNCHANGED

    return import_run(
        kind="contacts",
        data=data,
        columns=CONTACT_COLUMNS,
        parse=parse,
        write=write,
        dry_run=dry_run,
    )


def _contact_match(customer: Customer, name: str, email: str) -> Contact | None:
    if email:
        identity = (
            Identity.objects.select_related("contact").filter(kind="email", value=email).first()
        )
        if identity is not None:
            return identity.contact
    return (
        Contact.objects.filter(memberships__customer=customer, name__iexact=name)
        .order_by("pk")
        .first()
    )


def contacts_export(*, user: User | None, target: TextIO) -> int:
    """Write one row per contact and customer, in the import's columns."""
    customers = customers_for(user) if user is not None else Customer.objects.all()
    memberships = (
        Membership.objects.filter(customer__in=customers.values("pk"))
        .select_related("customer", "contact")
        .prefetch_related("contact__identities")
        .order_by("customer__name", "contact__name", "pk")
    )

    def first(contact: Contact, kind: str) -> str:
        values = sorted(item.value for item in contact.identities.all() if item.kind == kind)
        return values[0] if values else ""

    rows = (
        (
            membership.customer.name,
            membership.contact.name,
            membership.contact.preferred_name,
            membership.contact.honorific,
            membership.contact.language,
            membership.contact.job_title,
            membership.role,
            first(membership.contact, "email"),
            first(membership.contact, "phone"),
        )
        for membership in memberships.iterator(chunk_size=1000)
    )
    return csv_write(target, CONTACT_COLUMNS.names, rows)
