"""Generate a realistic installation of N tickets in bulk, deterministic for a seed.

Staff and teams are the demo's (created through the ORM: eleven users). Customers, contacts,
memberships, email identities, chains, tickets, logbook entries and tones are written through
the database driver in large batches (executemany on SQLite, COPY on PostgreSQL), one
transaction per batch; the per-ticket services would take hours for a million tickets.

Each ticket has five logbook entries forming a valid hash chain, computed with the product's
own `entry_body`, `entry_hash` and `content_digest`, so `layan logbook verify` passes: the
ticket opened, the customer's message, our reply, an internal note, and the change of status
(a change of priority for tickets still open). Tickets per customer follow a Zipf law whose
biggest customer has about 2% of all tickets. Columns this script does not know (added later
by others) get their model default; a new required column without a default stops the load
with its name.

    .venv/bin/python bench/dataset.py --tickets 100000 [--verify]   # fresh installation, figures
    .venv/bin/python bench/dataset.py --tickets 100000 --here       # into the configured database

`--here` prints one JSON line describing what was loaded (what `read_paths.py` reads).
"""

from __future__ import annotations

import argparse
import bisect
import io
import itertools
import json
import math
import multiprocessing
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from django.db.models import Model

PASSWORD = "bench-password-1042"  # noqa: S105 - every staff login of a generated installation
RARE_WORD = "hologram"  # in about one customer message of 5,000
COMMON_WORD = "mohon"  # in most Indonesian conversations
SEED = 1042
YEARS = 2
TICKETS_PER_CUSTOMER = 50
TOP_CUSTOMER_SHARE = 0.02
ENTRIES_PER_TICKET = 5
# Hashing the chains is half the work: one worker process does it while the main one writes
# (more workers were slower on two cores).
WORKERS = 1 if (os.cpu_count() or 1) > 1 else 0


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Adi Agus Ahmad Aldi Ani Arief Ayu Bagus Bayu Budi Cahya Citra Dani Desi Dewi Dian Dimas "
    "Eka Eko Endang Fajar Farah Fitri Galih Gilang Hana Hendra Heru Ika Ilham Indra Intan Irma "
    "Joko Kartika Lestari Lina Maya Mega Nanda Nia Nur Oki Putri Rahmat Rani Reza Rina Rizki "
    "Rudi Sari Siti Sri Taufik Tika Tri Wahyu Wati Wulan Yanti Yoga Yudi Yusuf Zahra"
)
LAST_NAMES = _words(
    "Hidayat Saputra Pratama Santoso Wijaya Kusuma Lestari Nugroho Setiawan Wibowo Siregar "
    "Nasution Harahap Sitompul Simanjuntak Gunawan Halim Tanoto Susanto Purnomo Rahman Hakim "
    "Permana Hartono Kurniawan Firmansyah Maulana Ramadhan Syahputra Utami Anggraini Puspita "
    "Wulandari Handayani Rahayu Suryadi Sutrisno Wahyudi Yulianto Effendi"
)
ENGLISH_NAMES = ("Michael Tan", "Sarah Lim", "David Chen", "Anna Johansson", "James Wong")
ORG_PREFIXES = ("PT", "PT", "PT", "CV", "CV", "Toko", "Klinik", "Hotel", "Koperasi", "Yayasan")
ORG_WORDS = _words(
    "Sinar Maju Jaya Abadi Sentosa Makmur Nusantara Bersama Mandiri Sejahtera Cahaya Karya "
    "Mulia Harapan Baru Prima Utama Gemilang Berkah Lestari Agung Kencana Samudra Bumi Langit "
    "Indah Rasa Tunas Citra Mitra Sumber Surya Bintang Permata Cipta Daya Graha Insan"
)
TRADES = _words(
    "Logistik Farma Katering Properti Elektrik Tekstil Digital Agro Kemasan Travel Konveksi "
    "Perikanan Kosmetik Mebel Otomotif Percetakan"
)
CITIES = _words(
    "Jakarta Surabaya Bandung Medan Semarang Makassar Palembang Tangerang Depok Bekasi Bogor "
    "Malang Yogyakarta Solo Denpasar Balikpapan Pontianak Manado Padang Pekanbaru"
)
FILLERS_ID = (
    "Nomor pesanan kami {order}, tolong dicek ya.",
    "Barangnya untuk acara kantor di {city} tanggal {day}.",
    "Mohon konfirmasinya secepatnya karena sudah ditanya atasan.",
    "Kalau bisa dikirim lewat kurir yang biasa saja.",
    "Sebelumnya kami pernah pesan {produk} dan hasilnya bagus.",
    "Terlampir foto dan faktur {invoice}.",
    "Tolong kabari juga estimasi biaya tambahannya.",
    "Kami butuh {qty} pcs, warnanya sama seperti contoh.",
)
FILLERS_EN = (
    "Our order number is {order}, please check.",
    "The goods are for an office event in {city} on the {day}th.",
    "Please confirm as soon as possible, my manager is asking.",
    "We ordered {produk} before and were happy with them.",
    "Invoice {invoice} is attached for reference.",
    "We need {qty} pieces in the same colour as the sample.",
)
RARE_ID = "Apakah bisa ditambah stiker " + RARE_WORD + " untuk keamanan produk?"
RARE_EN = "Could you add a " + RARE_WORD + " sticker for product security?"
NOTES_ID = (
    "Sudah dicek ke gudang, stok aman.",
    "Menunggu konfirmasi tim produksi soal jadwal cetak.",
    "Pelanggan lama, beri prioritas wajar saja.",
    "Faktur sudah diteruskan ke bagian keuangan.",
)
NOTES_EN = ("Checked with the warehouse: in stock.", "Waiting on production for a print slot.")

# (share of tickets, value): priority, channel; statuses depend on the ticket's age.
PRIORITIES = ((15, "low"), (55, "normal"), (22, "high"), (8, "urgent"))
CHANNELS = ((55, "email"), (30, "whatsapp"), (8, "ui"), (7, "webform"))
ACTIVE = ((75, "open"), (18, "waiting_customer"), (7, "waiting_third_party"))
# Team per category: (share, team name); a few tickets have no team at all.
TEAM_OF_CATEGORY = {
    "complaint": ((70, "Layanan Pelanggan"), (30, "Produksi")),
    "request": ((40, "Layanan Pelanggan"), (50, "Produksi"), (10, "Keuangan")),
    "question": ((60, "Layanan Pelanggan"), (30, "Keuangan"), (10, "Produksi")),
}
OWNER_WEIGHT = {"agent": 6, "account_manager": 3, "manager": 1, "admin": 0, "viewer": 0}


def zipf_exponent(count: int, top_share: float) -> float:
    """Return the exponent s for which the first of `count` Zipf weights k^-s has `top_share`."""
    low, high = 0.0, 3.0
    for _ in range(50):
        middle = (low + high) / 2
        total = sum(k**-middle for k in range(1, count + 1))
        if 1 / total < top_share:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _pick(rng: random.Random, table: Sequence[tuple[int, str]]) -> str:
    point = rng.random() * sum(weight for weight, _ in table)
    for weight, value in table:
        point -= weight
        if point < 0:
            return value
    return table[-1][1]


# --- Writing rows in bulk -----------------------------------------------------------------------


class BulkTable:
    """Insert rows into one model's table through the driver, defaulting every column not given.

    Rows are tuples in the order of `given` (attribute names, `id` included). Values are plain
    Python: aware datetimes and dicts are adapted here, once per column kind.
    """

    def __init__(self, model: type[Model], given: Sequence[str], *, moment: datetime) -> None:
        from django.db import connection
        from django.db.models import DateTimeField, JSONField

        self.connection = connection
        self.vendor = connection.vendor
        fields = {field.attname: field for field in model._meta.concrete_fields}
        unknown = [name for name in given if name not in fields]
        if unknown:
            raise LookupError(f"{model.__name__} has no fields {unknown}")
        rest = [field for name, field in fields.items() if name not in given]
        self.table = model._meta.db_table
        quote = connection.ops.quote_name
        self.columns = ", ".join(
            quote(str(field.column)) for field in [*(fields[name] for name in given), *rest]
        )
        self.extra = tuple(self._default(field, moment) for field in rest)
        self.adapters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(given):
            field = fields[name]
            if isinstance(field, DateTimeField) and self.vendor == "sqlite":
                self.adapters.append((index, _sqlite_datetime))
            elif isinstance(field, JSONField):
                self.adapters.append((index, _json_adapter(self.vendor)))
        self.count = 0

    def _default(self, field: Any, moment: datetime) -> Any:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value: Any = moment
        else:
            value = field.get_default()
        if value is None and not field.null:
            raise LookupError(
                f"{self.table}.{field.column} is required and has no default: "
                "bench/dataset.py must learn what to put there"
            )
        return field.get_db_prep_save(value, connection=self.connection)

    def write(self, rows: Iterable[tuple[Any, ...]]) -> None:
        prepared = []
        for row in rows:
            values = list(row)
            for index, adapt in self.adapters:
                values[index] = adapt(values[index])
            prepared.append((*values, *self.extra))
        if not prepared:
            return
        self.connection.ensure_connection()
        if self.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                statement = (
                    f"COPY {self.connection.ops.quote_name(self.table)} ({self.columns}) FROM STDIN"
                )
                with cursor.cursor.copy(statement) as copy:
                    for prepared_row in prepared:
                        copy.write_row(prepared_row)
        else:
            marks = ", ".join("?" * len(prepared[0]))
            raw = self.connection.connection
            assert raw is not None
            raw.executemany(
                f'INSERT INTO "{self.table}" ({self.columns}) VALUES ({marks})', prepared
            )
        self.count += len(prepared)


def _sqlite_datetime(value: datetime | None) -> str | None:
    # Django's SQLite backend stores naive UTC as str(datetime).
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return str(value.replace(tzinfo=None))


def _json_adapter(vendor: str) -> Callable[[Any], Any]:
    if vendor == "postgresql":
        from psycopg.types.json import Jsonb

        return Jsonb
    return json.dumps


def next_id(model: type[Model]) -> int:
    from django.db.models import Max

    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


# --- The people ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Staff:
    users: dict[str, int]  # username -> id
    roles: dict[int, str]
    teams: dict[str, int]  # team name -> id
    owners: dict[str, tuple[list[int], list[int]]]  # team name -> (owner ids, cumulative weights)
    account_managers: list[int]


def staff_create() -> Staff:
    """Create the demo's staff and teams (a handful of rows, through the ORM)."""
    from django.contrib.auth.hashers import make_password

    from layan.demo_data import STAFF, TEAMS
    from layan.team.models import Role, Team, User

    # One hash for all: the same login everywhere, and a deterministic database.
    password = make_password(PASSWORD, salt="layanbenchsalt01")
    users = {}
    for username, first, last, role, _teams in STAFF:
        users[username] = User.objects.create(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@layan.test",
            role=role,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
    teams = {
        name: Team.objects.create(name=name, email=address, manager=users[manager])
        for name, address, manager in TEAMS
    }
    members: dict[str, list[User]] = {name: [] for name in teams}
    for username, _first, _last, _role, member_of in STAFF:
        for name in member_of:
            teams[name].members.add(users[username])
            members[name].append(users[username])
    owners = {}
    for name, people in members.items():
        able = [user for user in people if OWNER_WEIGHT[user.role]]
        owners[name] = (
            [user.pk for user in able],
            list(itertools.accumulate(OWNER_WEIGHT[user.role] for user in able)),
        )
    return Staff(
        users={name: user.pk for name, user in users.items()},
        roles={user.pk: user.role for user in users.values()},
        teams={name: team.pk for name, team in teams.items()},
        owners=owners,
        account_managers=[u.pk for u in users.values() if u.role == Role.ACCOUNT_MANAGER],
    )


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    first: str
    honorific: str
    language: str


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    name: str
    domain: str
    contacts: tuple[Person, ...]


def customers_create(
    rng: random.Random, *, count: int, staff: Staff, moment: datetime
) -> tuple[list[Client], list[float]]:
    """Write `count` customers with their contacts; return them with cumulative Zipf weights,
    biggest customer first."""
    from layan.customers.models import Contact, Customer, Identity, Membership

    exponent = zipf_exponent(count, TOP_CUSTOMER_SHARE)
    weights = [k**-exponent for k in range(1, count + 1)]
    customer_table = BulkTable(
        Customer,
        ["id", "name", "form", "kind", "revenue_tier", "account_manager_id", "industry", "city"],
        moment=moment,
    )
    contact_table = BulkTable(
        Contact, ["id", "name", "preferred_name", "honorific", "language"], moment=moment
    )
    membership_table = BulkTable(
        Membership, ["id", "contact_id", "customer_id", "role", "is_primary"], moment=moment
    )
    identity_table = BulkTable(
        Identity, ["id", "contact_id", "kind", "value", "verified"], moment=moment
    )
    customer_id, contact_id = next_id(Customer), next_id(Contact)
    membership_id, identity_id = next_id(Membership), next_id(Identity)
    clients: list[Client] = []
    customers, contacts, memberships, identities = [], [], [], []
    for rank in range(count):
        share = rank / count
        tier = "key" if share < 0.01 else "large" if share < 0.06 else "medium"
        tier = tier if share < 0.26 else "small"
        individual = tier == "small" and rng.random() < 0.4
        city = rng.choice(CITIES)
        if individual:
            person = _person(rng)
            name = f"{person[2]} {person[0]}"
            domain = "gmail.com"
            people = [person]
            trade = ""
        else:
            trade = rng.choice(TRADES)
            words = rng.sample(ORG_WORDS, 2)
            name = f"{rng.choice(ORG_PREFIXES)} {words[0]} {words[1]} {trade}"
            domain = f"{words[0]}{words[1]}{trade}".lower() + ".co.id"
            size = {"key": 5, "large": 3, "medium": 2, "small": 1}[tier]
            people = [_person(rng) for _ in range(size)]
        manager = None if individual else staff.account_managers[rank % len(staff.account_managers)]
        kind = "internal" if rng.random() < 0.02 else "external"
        customers.append(
            (
                customer_id,
                name,
                "individual" if individual else "organisation",
                kind,
                tier,
                manager,
                trade,
                city,
            )
        )
        persons = []
        for position, (full, first, honorific, language) in enumerate(people):
            contacts.append((contact_id, full, first, honorific, language))
            role = ("contact_person", "decision_maker", "finance", "user", "user")[position]
            memberships.append((membership_id, contact_id, customer_id, role, True))
            local = ".".join(full.lower().split()[:2])
            address = f"{local}.{contact_id}@{domain}"
            identities.append((identity_id, contact_id, "email", address, True))
            persons.append(Person(contact_id, full, first, honorific, language))
            contact_id += 1
            membership_id += 1
            identity_id += 1
        clients.append(Client(customer_id, name, domain, tuple(persons)))
        customer_id += 1
    from django.db import transaction

    with transaction.atomic():
        customer_table.write(customers)
        contact_table.write(contacts)
        membership_table.write(memberships)
        identity_table.write(identities)
    return clients, list(itertools.accumulate(weights))


def _person(rng: random.Random) -> tuple[str, str, str, str]:
    if rng.random() < 0.08:
        full = rng.choice(ENGLISH_NAMES)
        return full, full.split()[0], rng.choice(("Mr", "Ms")), "en"
    first = rng.choice(FIRST_NAMES)
    full = f"{first} {rng.choice(LAST_NAMES)}"
    return full, first, rng.choice(("Bapak", "Ibu", "Kak", "Mas", "Mbak")), "id"


# --- Tickets and their logbook --------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    """The attributes `entry_body` reads, without a model instance per entry."""

    seq: int
    prev_hash: str
    kind: str
    direction: str
    channel: str
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    content_sha256: str
    raw_id: None
    data: dict[str, Any]


ENTRY_FIELDS = [
    "id",
    "chain_id",
    "seq",
    "prev_hash",
    "body_hash",
    "kind",
    "direction",
    "channel",
    "actor",
    "actor_user_id",
    "actor_contact_id",
    "occurred_at",
    "recorded_at",
    "subject",
    "text",
    "html",
    "content_salt",
    "content_sha256",
    "data",
    "external_id",
    "redacted",
]
TICKET_FIELDS = [
    "id",
    "reference",
    "subject",
    "customer_id",
    "requester_id",
    "owner_id",
    "team_id",
    "status",
    "priority",
    "category",
    "channel",
    "chain_id",
    "version",
    "created_at",
    "updated_at",
    "last_customer_message_at",
    "last_reply_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "message_count",
    "anger",
    "abusive",
]
TONE_FIELDS = [
    "id",
    "entry_id",
    "ticket_id",
    "contact_id",
    "occurred_at",
    "language",
    "sentiment",
    "negative",
    "neutral",
    "positive",
    "anger",
    "abusive",
    "urgent",
]


@dataclass(slots=True)
class Batch:
    """Rows of one batch of tickets, ready for `BulkTable.write`, and what they hold."""

    chains: list[tuple[Any, ...]]
    tickets: list[tuple[Any, ...]]
    entries: list[tuple[Any, ...]]
    tones: list[tuple[Any, ...]]
    statuses: dict[str, int]
    rare: int
    common: int


class TicketMaker:
    """Build the rows of tickets, batch by batch, without touching the database.

    Each batch has its own random generator (seeded with the seed and the batch's first index),
    so batches can be built in any process and in any order with the same result.
    """

    def __init__(
        self,
        *,
        total: int,
        seed: int,
        until: datetime,
        staff: Staff,
        clients: list[Client],
        cumulative: list[float],
        first_reference: int,
        bases: dict[str, int],
    ) -> None:
        from layan.demo_data import PRODUCTS, PRODUCTS_EN, SCENARIOS

        self.total, self.seed, self.until = total, seed, until
        self.staff, self.clients, self.cumulative = staff, clients, cumulative
        self.scenarios = {
            language: [s for s in SCENARIOS if s["lang"] == language] for language in ("id", "en")
        }
        self.products = {"id": PRODUCTS, "en": PRODUCTS_EN}
        self.first_reference = first_reference
        self.bases = bases
        self.span = YEARS * 365 * 86400.0

    def moment_of(self, index: int, rng: random.Random) -> float:
        """Seconds before `until` at which ticket `index` was opened: later tickets are newer,
        and the business grows, so recent months are busier."""
        position = (index + rng.random()) / self.total
        return self.span * (1 - position**0.8)

    def batch(self, start: int, count: int) -> Batch:
        from layan.logbook.bodies import entry_body
        from layan.logbook.chain import GENESIS, content_digest, entry_hash
        from layan.logbook.models import Entry

        rng = random.Random(f"{self.seed}:{start}")
        made = Batch([], [], [], [], {}, 0, 0)
        chains, tickets, entries, tones = made.chains, made.tickets, made.entries, made.tones
        for index in range(start, start + count):
            reference = self.first_reference + index
            label = str(reference)
            ticket_id = self.bases["ticket"] + index
            chain_id = self.bases["chain"] + index
            plan = self._plan(index, rng, made)
            prev = GENESIS
            entry_id = self.bases["entry"] + index * ENTRIES_PER_TICKET
            message_entry = entry_id + 1
            for seq, (
                kind,
                direction,
                channel,
                actor,
                user,
                contact,
                at,
                subject,
                text,
                data,
            ) in enumerate(plan["entries"], 1):
                salt = rng.randbytes(16)
                draft = _Draft(
                    seq=seq,
                    prev_hash=prev,
                    kind=kind,
                    direction=direction,
                    channel=channel,
                    actor=actor,
                    occurred_at=at,
                    recorded_at=at,
                    content_sha256=content_digest(
                        salt, {"subject": subject, "text": text, "html": ""}
                    ),
                    raw_id=None,
                    data=data,
                )
                body_hash = entry_hash(
                    entry_body(cast(Entry, draft), chain_label=label, attachments=[])
                )
                external = plan["external_id"] if kind == "message" else ""
                entries.append(
                    (
                        entry_id,
                        chain_id,
                        seq,
                        prev,
                        body_hash,
                        kind,
                        direction,
                        channel,
                        actor,
                        user,
                        contact,
                        at,
                        at,
                        subject,
                        text,
                        "",
                        salt.hex(),
                        draft.content_sha256,
                        data,
                        external,
                        False,
                    )
                )
                prev = body_hash
                entry_id += 1
            chains.append((chain_id, label, ENTRIES_PER_TICKET, prev))
            times = plan["times"]
            status = plan["status"]
            tickets.append(
                (
                    ticket_id,
                    reference,
                    plan["subject"],
                    plan["customer"],
                    plan["requester"],
                    plan["owner"],
                    plan["team"],
                    status,
                    plan["priority"],
                    plan["category"],
                    plan["channel"],
                    chain_id,
                    2,
                    times[0],
                    times[-1],
                    times[1],
                    times[2],
                    times[2],
                    times[-1] if status in ("resolved", "closed") else None,
                    times[-1] if status == "closed" else None,
                    1,
                    plan["anger"],
                    plan["abusive"],
                )
            )
            tones.append(
                (
                    self.bases["tone"] + index,
                    message_entry,
                    ticket_id,
                    plan["requester"],
                    times[1],
                    plan["language"],
                    plan["sentiment"],
                    *plan["scores"],
                    plan["anger"],
                    plan["abusive"],
                    plan["priority"] == "urgent",
                )
            )
        return made

    def _plan(self, index: int, rng: random.Random, made: Batch) -> dict[str, Any]:
        client = self.clients[
            bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])
            if len(self.clients) > 1
            else 0
        ]
        person = rng.choice(client.contacts)
        language = person.language
        scenario = rng.choice(self.scenarios[language])
        category = str(scenario["category"])
        priority = _pick(rng, PRIORITIES)
        channel = _pick(rng, CHANNELS)
        team_name = _pick(rng, TEAM_OF_CATEGORY[category]) if rng.random() > 0.03 else ""
        age = self.moment_of(index, rng)
        opened = self.until - timedelta(seconds=age)
        days = age / 86400
        active_chance = 0.6 if days < 7 else 0.35 if days < 30 else 0.095
        if rng.random() < active_chance:
            status = _pick(rng, ACTIVE)
        elif days < 14 or rng.random() < 0.1:
            status = "resolved"
        else:
            status = "closed"
        made.statuses[status] = made.statuses.get(status, 0) + 1
        owners, weights = self.staff.owners.get(team_name) or self.staff.owners["Layanan Pelanggan"]
        owner: int | None = owners[bisect.bisect(weights, rng.random() * weights[-1])]
        writer = owner
        if rng.random() < (0.06 if status in ("open", "waiting_customer") else 0.01):
            owner = None
        product = rng.choice(self.products[language])
        values = {
            "sapa": f"{person.honorific} {person.first}".strip(),
            "agent": "Tim Layanan" if language == "id" else "Customer Care",
            "ref": f"#{self.first_reference + index}",
            "produk": product,
            "produk_en": product,
            "tanggal": f"{rng.randrange(1, 29)} {('Maret', 'Juni', 'Oktober')[index % 3]}",
        }
        turns = cast(list[tuple[str, str]], scenario["turns"])
        message = next(text for who, text in turns if who == "c").format(**values)
        fillers = FILLERS_ID if language == "id" else FILLERS_EN
        extra = {
            "order": f"SO-{rng.randrange(100_000, 999_999)}",
            "invoice": f"INV/{opened.year}/{rng.randrange(1000, 99999)}",
            "city": rng.choice(CITIES),
            "day": rng.randrange(1, 29),
            "qty": rng.choice((50, 100, 250, 500, 1000)),
            "produk": product,
        }
        message += " " + " ".join(f.format(**extra) for f in rng.sample(fillers, 2))
        if rng.random() < 1 / 5000:
            message += " " + (RARE_ID if language == "id" else RARE_EN)
            made.rare += 1
        reply = next(text for who, text in turns if who == "a").format(**values)
        note = next((text for who, text in turns if who == "n"), "")
        note = (
            note.format(**values)
            if note
            else rng.choice(NOTES_ID if language == "id" else NOTES_EN)
        )
        if COMMON_WORD in message.lower():
            made.common += 1
        subject = " ".join(str(scenario["subject"]).format(**values).split())[:300]
        # Reply after a median of 50 minutes, note soon after, status change hours later.
        gaps = [
            0.0,
            1.0,
            rng.lognormvariate(math.log(50 * 60), 1.0),
            rng.uniform(60, 7200),
            rng.lognormvariate(math.log(20 * 3600), 1.2),
        ]
        offsets = list(itertools.accumulate(gaps))
        room = age - 60
        if offsets[-1] > room:
            offsets = [offset * room / offsets[-1] for offset in offsets]
        times = [opened + timedelta(seconds=offset) for offset in offsets]
        requester = f"contact:{person.id}"
        staff_actor = f"user:{writer}"
        logged = channel == "ui"
        if status == "open":
            old_priority = "low" if priority == "normal" else "normal"
            last = ("priority", {"from": old_priority, "to": priority})
        else:
            last = ("status", {"from": "open", "to": status})
        entries = [
            (
                "created",
                "internal",
                channel,
                staff_actor if logged else requester,
                writer if logged else None,
                None if logged else person.id,
                times[0],
                subject,
                "",
                {"requester": requester, "customer": client.name},
            ),
            (
                "message",
                "in",
                channel,
                requester,
                None,
                person.id,
                times[1],
                subject,
                message,
                {"logged_by": staff_actor} if logged else {},
            ),
            ("reply", "out", "ui", staff_actor, writer, None, times[2], subject, reply, {}),
            ("note", "internal", "ui", staff_actor, writer, None, times[3], "", note, {}),
            (
                last[0],
                "internal",
                "ui",
                staff_actor,
                writer,
                None,
                times[4],
                "",
                "",
                {**last[1], "from_label": "", "to_label": ""},
            ),
        ]
        angry = category == "complaint" and rng.random() < 0.35
        anger = round(rng.uniform(0.55, 0.95) if angry else rng.uniform(0.0, 0.3), 4)
        sentiment = "negative" if category == "complaint" else rng.choice(("neutral", "positive"))
        negative = anger if sentiment == "negative" else round(rng.uniform(0.0, 0.2), 4)
        positive = round((1 - negative) * (0.7 if sentiment == "positive" else 0.2), 4)
        return {
            "customer": client.id,
            "requester": person.id,
            "owner": owner,
            "team": self.staff.teams.get(team_name),
            "status": status,
            "priority": priority,
            "category": category,
            "channel": channel,
            "subject": subject,
            "language": language,
            "sentiment": sentiment,
            "scores": (negative, round(1 - negative - positive, 4), positive),
            "anger": anger,
            "abusive": angry and rng.random() < 0.03,
            "times": times,
            "entries": entries,
            "external_id": f"<{index}.{client.id}@mail.{client.domain}>"
            if channel == "email"
            else "",
        }


_MAKER: TicketMaker | None = None  # the maker a worker process builds batches with


def _batch_in_worker(span: tuple[int, int]) -> Batch:
    assert _MAKER is not None
    return _MAKER.batch(*span)


def dataset_load(
    *,
    tickets: int,
    seed: int = SEED,
    until: datetime | None = None,
    batch: int = 2000,
    workers: int = 0,
    rebuild_search: bool = False,
) -> dict[str, Any]:
    """Fill the configured (empty) database with a generated installation; return what it holds.

    `until` is the moment the history ends (default: the start of today, UTC); together with
    `seed` and `tickets` it fixes every row. With `workers`, batches are built (hashed) in that
    many forked processes while this one writes. The search index (if the product has one)
    is checked, and rebuilt when it is out of step or `rebuild_search` asks for it.
    """
    global _MAKER
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Max, Min

    from layan.core.models import Counter
    from layan.logbook.models import Chain, Entry
    from layan.tickets.models import Ticket, Tone

    until = until or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    _connection_tune()
    rng = random.Random(seed)
    staff = staff_create()
    clients, cumulative = customers_create(
        rng, count=max(10, tickets // TICKETS_PER_CUSTOMER), staff=staff, moment=until
    )
    people_seconds = time.perf_counter() - started
    maker = TicketMaker(
        total=tickets,
        seed=seed,
        until=until,
        staff=staff,
        clients=clients,
        cumulative=cumulative,
        first_reference=settings.LAYAN_TICKET_REFERENCE_START,
        bases={
            "ticket": next_id(Ticket),
            "chain": next_id(Chain),
            "entry": next_id(Entry),
            "tone": next_id(Tone),
        },
    )
    tables = {
        "chains": BulkTable(Chain, ["id", "label", "head_seq", "head_hash"], moment=until),
        "tickets": BulkTable(Ticket, TICKET_FIELDS, moment=until),
        "entries": BulkTable(Entry, ENTRY_FIELDS, moment=until),
        "tones": BulkTable(Tone, TONE_FIELDS, moment=until),
    }
    spans = [(start, min(batch, tickets - start)) for start in range(0, tickets, batch)]
    statuses: dict[str, int] = {}
    rare = common = 0

    def write(made: Batch) -> None:
        nonlocal rare, common
        with transaction.atomic():
            for name, table in tables.items():
                table.write(getattr(made, name))
        for status, count in made.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        rare += made.rare
        common += made.common

    if workers:
        _MAKER = maker
        # Forked workers inherit the maker; none of them may share this process's connection.
        connection.close()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            _connection_tune()
            for made in pool.imap(_batch_in_worker, spans):
                write(made)
        _MAKER = None
    else:
        for span in spans:
            write(maker.batch(*span))
    last_reference = maker.first_reference + tickets - 1
    Counter.objects.update_or_create(name="ticket", defaults={"value": last_reference})
    _sequences_reset()
    write_seconds = time.perf_counter() - started
    search = search_index(rebuild=rebuild_search)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    contacts = sum(len(client.contacts) for client in clients)
    # Customers, and per contact its row, membership and identity.
    rows = sum(table.count for table in tables.values()) + len(clients) + 3 * contacts
    history = Entry.objects.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    top = clients[0]
    return {
        "tickets": tickets,
        "customers": len(clients),
        "contacts": contacts,
        "entries": tables["entries"].count,
        "rows": rows,
        "seconds": round(seconds, 1),
        "people_seconds": round(people_seconds, 1),
        "rows_per_s": round(rows / write_seconds),
        "tickets_per_s": round(tickets / write_seconds),
        "workers": workers,
        **search,
        "statuses": dict(sorted(statuses.items())),
        "first_reference": maker.first_reference,
        "last_reference": last_reference,
        "history": [history["first"].isoformat(), history["last"].isoformat()],
        "rare_word": RARE_WORD,
        "rare_tickets": rare,
        "common_word": COMMON_WORD,
        "common_tickets": common,
        "top_customer": top.id,
        "customer_ids": [clients[0].id, clients[-1].id],
        # (customer, contact) pairs, biggest customers first, for writes through the API.
        "pairs": [[client.id, client.contacts[0].id] for client in clients[:20]],
        "password": PASSWORD,
        "seed": seed,
        "until": until.isoformat(),
    }


def search_index(*, rebuild: bool) -> dict[str, Any]:
    """Check the ticket search index (`layan search-index`), rebuilding it when asked or when
    it is out of step; return what happened and how long the rebuild took."""
    from django.core.management import call_command, get_commands

    if "search-index" not in get_commands():
        return {"search_index": "none"}
    if not rebuild:
        try:
            call_command("search-index", stdout=io.StringIO(), stderr=io.StringIO())
        except SystemExit:
            rebuild = True
        else:
            # The product's triggers indexed every row as it was written.
            return {"search_index": "in step"}
    started = time.perf_counter()
    call_command("search-index", "--rebuild", stdout=io.StringIO())
    return {"search_index": "rebuilt", "search_rebuild_s": round(time.perf_counter() - started, 1)}


def _connection_tune() -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # A bigger page cache for this connection keeps the index inserts off the disk.
            cursor.execute("PRAGMA cache_size=-262144")


def _sequences_reset() -> None:
    """Move primary-key sequences past the ids written explicitly (PostgreSQL)."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), list(apps.get_models()))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# --- Command line --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--until", help="end of the history, ISO 8601 (default: today 00:00 UTC)")
    parser.add_argument("--here", action="store_true", help="load into the configured database")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="processes that build and hash batches"
    )
    parser.add_argument("--verify", action="store_true", help="then run `layan logbook verify`")
    parser.add_argument(
        "--rebuild-search", action="store_true", help="rebuild the search index after the load"
    )
    options = parser.parse_args()
    until = datetime.fromisoformat(options.until) if options.until else None
    if options.here:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
        django.setup()
        summary = dataset_load(
            tickets=options.tickets,
            seed=options.seed,
            until=until,
            workers=options.workers,
            rebuild_search=options.rebuild_search,
        )
        print(json.dumps(summary))
        return
    from common import db_label, installation, layan, record

    with installation() as env:
        summary = load_into(
            env,
            tickets=options.tickets,
            seed=options.seed,
            until=options.until,
            rebuild_search=options.rebuild_search,
        )
        figures: dict[str, Any] = {
            key: summary[key]
            for key in (
                "tickets",
                "customers",
                "contacts",
                "entries",
                "rows",
                "seconds",
                "rows_per_s",
                "tickets_per_s",
                "search_index",
                "statuses",
                "rare_tickets",
                "common_tickets",
            )
        }
        if "search_rebuild_s" in summary:
            figures["search_rebuild_s"] = summary["search_rebuild_s"]
        if options.verify:
            started = time.perf_counter()
            layan(["logbook", "checkpoint"], env)
            figures["checkpoint_seconds"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "layan", "logbook", "verify", "--no-blobs", "--json"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            report = json.loads(result.stdout)
            figures["verify_seconds"] = round(time.perf_counter() - started, 1)
            figures["verify_ok"] = report["ok"]
            figures["verify_entries"] = report["entries"]
    record("dataset", figures, db=db_label())


def load_into(
    env: dict[str, str],
    *,
    tickets: int,
    seed: int = SEED,
    until: str | None = None,
    rebuild_search: bool = False,
) -> dict[str, Any]:
    """Load a dataset into the installation `env` describes, in a child process."""
    command = [str(Path(__file__).resolve()), "--here", "--tickets", str(tickets)]
    command += ["--seed", str(seed)] + (["--until", until] if until else [])
    command += ["--rebuild-search"] if rebuild_search else []
    return child_json(command, env)


def child_json(arguments: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a Python child with `env`; return the JSON of its last line, or raise with its
    error output."""
    result = subprocess.run(
        [sys.executable, *arguments],
        env={**env, "LAYAN_LOG_LEVEL": "WARNING"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{arguments[0]} failed:\n{result.stderr[-4000:]}")
    return cast(dict[str, Any], json.loads(result.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
