"""Load Layan's demo: a believable Indonesian service business, deterministic for a given seed.

Everything is written through the same services the product uses, so the logbook chains, the
counters and the timestamps are what a real installation would hold. Dates are laid out
backwards from the moment of loading, so the demo always looks current.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from layan.agreements.demo import agreements_demo_load
from layan.core.clock import clock_at
from layan.customers.models import Contact, Customer
from layan.customers.services import contact_create, customer_create, membership_add
from layan.demo_data import (
    CONTACT_NAMES,
    CUSTOMERS,
    PRODUCTS,
    PRODUCTS_EN,
    SCENARIOS,
    STAFF,
    SURVEY_COMMENTS,
    TEAMS,
)
from layan.knowledge.demo import knowledge_demo_load
from layan.knowledge.models import Stage
from layan.sla.demo import sla_demo_load
from layan.team.models import Role, Team, User
from layan.tickets import services as tickets
from layan.tickets.models import Status, Survey, Ticket
from layan.tickets.satisfaction import survey_answer, survey_consent, survey_create
from layan.tickets.tone import temperament_refresh

JAKARTA = ZoneInfo("Asia/Jakarta")
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
# Median minutes before we answer, and how much slower the demo business is, unfairly, with
# its smallest customers: the fairness report must catch this.
REPLY_MEDIAN_MINUTES = 50
SLOWER_FOR_SMALL = 2.6
TIER_WEIGHT = {"key": 5, "large": 3, "medium": 2, "small": 1}
# Satisfaction surveys: how many customers answer, and how they rate (1 to 5); a complaint
# leaves more of them unhappy.
SURVEY_ANSWER_RATE = 0.6
RATING_WEIGHTS = {"complaint": (8, 10, 17, 30, 35), "other": (2, 3, 8, 32, 55)}


@dataclass(frozen=True)
class DemoSummary:
    staff: int
    customers: int
    contacts: int
    tickets: int
    password: str


def demo_load(*, password: str, seed: int = 1042, ticket_count: int = 300) -> DemoSummary:
    """Create the demo business. Call on an empty database (`layan setup` checks)."""
    rng = random.Random(seed)
    now = datetime.now(tz=JAKARTA).replace(second=0, microsecond=0)
    start = now - timedelta(days=130)
    with transaction.atomic(), clock_at(start):
        staff = _staff(password)
        teams = _teams(staff)
        customers = _customers(staff, rng)
        knowledge_demo_load(author=staff["dewi"])
    planned = _plan(rng, customers, now=now, count=ticket_count)
    with tickets.changes_quiet():
        for plan in planned:
            with transaction.atomic():
                _play(plan, staff=staff, teams=teams, rng=rng, now=now)
    for ticket in Ticket.objects.select_related("requester", "customer"):
        temperament_refresh(ticket=ticket)
    sla_demo_load()
    agreements_demo_load(now=now, seed=seed)
    return DemoSummary(
        staff=len(staff),
        customers=len(customers),
        contacts=sum(len(members) for _customer, members in customers),
        tickets=len(planned),
        password=password,
    )


def _staff(password: str) -> dict[str, User]:
    users = {}
    for username, first, last, role, _teams in STAFF:
        user = User.objects.create_user(
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@layan.test",
            role=role,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        users[username] = user
    return users


def _teams(staff: dict[str, User]) -> dict[str, Team]:
    teams = {}
    for name, address, manager in TEAMS:
        teams[name] = Team.objects.create(name=name, email=address, manager=staff[manager])
    for username, _first, _last, _role, member_of in STAFF:
        for name in member_of:
            teams[name].members.add(staff[username])
    return teams


def _domain(name: str) -> str:
    words = re.sub(r"[^a-z ]", "", name.lower()).split()
    words = [word for word in words if word not in {"pt", "cv", "pte", "ltd"}]
    return "".join(words[:2]) + ".co.id"


def _customers(staff: dict[str, User], rng: random.Random) -> list[tuple[Customer, list[Contact]]]:
    pool = list(CONTACT_NAMES)
    rng.shuffle(pool)
    used = 0
    result = []
    for name, form, kind, tier, industry, city, manager in CUSTOMERS:
        customer = customer_create(
            actor=None,
            name=name,
            form=form,
            kind=kind,
            revenue_tier=tier,
            account_manager=staff[manager],
            industry=industry,
            city=city,
            notes=_customer_note(name, tier, kind),
        )
        members = []
        if form == "individual":
            honorific, _, person = name.partition(" ")
            first = person.split()[0]
            language = "en" if honorific in {"Mr", "Ms"} else "id"
            members.append(
                contact_create(
                    actor=None,
                    name=person,
                    preferred_name=first,
                    honorific=honorific,
                    language=language,
                    customer=customer,
                    email=f"{first.lower()}.{person.split()[-1].lower()}@gmail.com",
                    phone=f"0812{rng.randrange(10_000_000, 99_999_999)}",
                )
            )
        else:
            domain = "kantor.layan.test" if kind == "internal" else _domain(name)
            roles = ["contact_person", "decision_maker", "finance"]
            for index in range(1 if tier == "small" else 2 if tier != "key" else 3):
                full, preferred, honorific, language = pool[used % len(pool)]
                if name.endswith("Pte Ltd") or name == "Nordic Home Living":
                    full, preferred, honorific, language = CONTACT_NAMES[-4 + index % 4]
                used += 1
                local = ".".join(full.lower().split()[:2])
                members.append(
                    contact_create(
                        actor=None,
                        name=full,
                        preferred_name=preferred,
                        honorific=honorific,
                        language=language,
                        customer=customer,
                        role=roles[index],
                        job_title=_job(roles[index], language),
                        email=f"{local}@{domain}",
                        phone=f"+62 81{rng.randrange(1, 9)} {rng.randrange(1000, 9999)} "
                        f"{rng.randrange(1000, 9999)}",
                    )
                )
        result.append((customer, members))
    # A few contacts work for two customers (a consultant, a group company).
    shared = result[0][1][0]
    membership_add(contact=shared, customer=result[14][0], role="user")
    return result


def _job(role: str, language: str) -> str:
    jobs = {
        "contact_person": ("Staf Pengadaan", "Procurement Officer"),
        "decision_maker": ("Manajer Operasional", "Operations Manager"),
        "finance": ("Staf Keuangan", "Finance Officer"),
    }
    indonesian, english = jobs[role]
    return english if language == "en" else indonesian


def _customer_note(name: str, tier: str, kind: str) -> str:
    if kind == "internal":
        return "Pelanggan internal: tagihan lewat alokasi biaya antardivisi."
    if tier == "key":
        return "Pelanggan utama. Rapat evaluasi tiap kuartal; kontrak tahunan."
    if tier == "small":
        return "Pesan sesekali, biasanya lewat WhatsApp."
    return ""


@dataclass
class _Plan:
    created_at: datetime
    customer: Customer
    contact: Contact
    scenario: dict[str, object]
    product: str
    product_en: str
    channel: str


def _plan(
    rng: random.Random,
    customers: list[tuple[Customer, list[Contact]]],
    *,
    now: datetime,
    count: int,
) -> list[_Plan]:
    weights = [TIER_WEIGHT[customer.revenue_tier] for customer, _members in customers]
    plans = []
    for _ in range(count):
        customer, members = rng.choices(customers, weights=weights)[0]
        contact = rng.choice(members)
        english = contact.language == "en"
        candidates = [s for s in SCENARIOS if (s["lang"] == "en") == english]
        scenario = rng.choice(candidates)
        days_ago = rng.random() ** 1.3 * 120
        created = _business_time(now - timedelta(days=days_ago), rng)
        if created > now - timedelta(minutes=30):
            created = now - timedelta(minutes=rng.randrange(30, 600))
        channel = rng.choices(["email", "whatsapp", "ui", "webform"], weights=[6, 3, 1, 1])[0]
        plans.append(
            _Plan(
                created_at=created,
                customer=customer,
                contact=contact,
                scenario=scenario,
                product=rng.choice(PRODUCTS),
                product_en=rng.choice(PRODUCTS_EN),
                channel=channel,
            )
        )
    plans.sort(key=lambda plan: plan.created_at)
    return plans


def _business_time(moment: datetime, rng: random.Random) -> datetime:
    """Move a moment into office hours (customers write mostly then)."""
    local = moment.astimezone(JAKARTA)
    if local.weekday() >= 5 and rng.random() < 0.8:
        local -= timedelta(days=local.weekday() - 4)
    if not 8 <= local.hour < 18:
        local = local.replace(hour=rng.randrange(8, 17), minute=rng.randrange(0, 60))
    return local


def _reply_delay(rng: random.Random, customer: Customer) -> timedelta:
    minutes = REPLY_MEDIAN_MINUTES * math.exp(rng.gauss(0, 0.8))
    if customer.revenue_tier == "small" and customer.kind == "external":
        minutes *= SLOWER_FOR_SMALL
    return timedelta(minutes=max(3.0, minutes))


def _date_id(moment: datetime) -> str:
    local = moment.astimezone(JAKARTA)
    return f"{DAYS_ID[local.weekday()]}, {local.day} {MONTHS_ID[local.month - 1]}"


def _date_en(moment: datetime) -> str:
    return moment.astimezone(JAKARTA).strftime("%A, %d %B")


def _team_for(scenario: dict[str, object], teams: dict[str, Team]) -> Team:
    subject = str(scenario["subject"]).lower()
    if any(word in subject for word in ("faktur", "tagihan", "biaya", "billing", "qris")):
        return teams["Keuangan"]
    if scenario["category"] == "request" and "revisi" in subject:
        return teams["Produksi"]
    return teams["Layanan Pelanggan"]


def _play_complaint(
    ticket: Ticket,
    owner: User,
    scenario: dict[str, object],
    moment: datetime,
    *,
    now: datetime,
    finished: bool,
) -> datetime:
    """Walk the playbook as the conversation went: clarify, explain, offer options, assess the
    fault, resolve and, once settled, reconcile."""
    stages = [Stage.CLARIFY, Stage.EXPLAIN, Stage.OPTIONS]
    if finished and scenario["end"] in (Status.RESOLVED, Status.CLOSED):
        stages += [Stage.RESOLVE, Stage.RECONCILE]
    for stage in stages:
        moment += timedelta(minutes=17)
        if moment >= now:
            break
        with clock_at(moment):
            if stage == Stage.RESOLVE:
                tickets.ticket_fault_assess(
                    ticket=ticket,
                    actor=owner,
                    fault=str(scenario["fault"]),
                    note=str(scenario["fault_note"]),
                )
            tickets.ticket_stage_set(ticket=ticket, actor=owner, stage=stage)
    return moment


def _survey_answer(survey: Survey, *, ticket: Ticket, language: str, now: datetime) -> None:
    """Let the customer answer the satisfaction survey of a resolution, or not.

    Drawn from a stream of its own (seeded by the ticket), so the rest of the demo stays the
    same whether or not surveys are answered.
    """
    rng = random.Random(ticket.reference)
    answered = survey.created_at + timedelta(minutes=rng.randrange(20, 3 * 24 * 60))
    if rng.random() >= SURVEY_ANSWER_RATE or answered >= now:
        return
    kind = "complaint" if ticket.is_complaint else "other"
    rating = rng.choices((1, 2, 3, 4, 5), weights=RATING_WEIGHTS[kind])[0]
    comments = SURVEY_COMMENTS["en" if language == "en" else "id"][rating]
    comment = rng.choice(comments) if rng.random() < 0.7 else ""
    with clock_at(answered):
        survey = survey_answer(survey=survey, rating=rating, comment=comment)
        if survey.consent == Survey.Consent.ASKED and rng.random() < 0.5:
            survey_consent(
                survey=survey,
                given=rng.random() < 0.7,
                display_name=ticket.requester.address_name,
            )


def _play(
    plan: _Plan,
    *,
    staff: dict[str, User],
    teams: dict[str, Team],
    rng: random.Random,
    now: datetime,
) -> Ticket:
    scenario = plan.scenario
    team = _team_for(scenario, teams)
    members = [user for user in team.members.all() if user.role != Role.VIEWER]
    manager = plan.customer.account_manager
    owner = manager if manager and rng.random() < 0.45 else rng.choice(members)
    english = scenario["lang"] == "en"
    values = {
        "sapa": plan.contact.address_name,
        "agent": owner.name,
        "produk": plan.product,
        "produk_en": plan.product_en,
        "tanggal": (_date_en if english else _date_id)(plan.created_at + timedelta(days=3)),
        "ref": "",
    }
    turns: list[tuple[str, str]] = list(scenario["turns"])  # type: ignore[call-overload]
    moment = plan.created_at
    with clock_at(moment):
        ticket, _entry = tickets.ticket_open(
            actor=owner if plan.channel == "ui" else None,
            customer=plan.customer,
            requester=plan.contact,
            subject=str(scenario["subject"]).format(**values),
            text=turns[0][1].format(**values),
            channel=plan.channel,
            priority=str(scenario["priority"]),
            category=str(scenario["category"]),
            team=team,
            occurred_at=moment,
        )
    values["ref"] = ticket.ref
    owned = False
    finished = True
    for who, text in turns[1:]:
        if who == "c":
            moment += timedelta(minutes=rng.randrange(20, 60 * 20))
        elif who == "a":
            moment += _reply_delay(rng, plan.customer)
        else:
            moment += timedelta(minutes=rng.randrange(2, 30))
        if moment >= now:
            finished = False
            break
        with clock_at(moment):
            ticket.refresh_from_db()
            if not owned and who in {"a", "n"}:
                tickets.ticket_update(
                    ticket=ticket, actor=owner, version=ticket.version, owner=owner
                )
                owned = True
            if who == "c":
                tickets.ticket_message_add(
                    ticket=ticket,
                    contact=plan.contact,
                    text=text.format(**values),
                    channel=plan.channel,
                )
            elif who == "a":
                tickets.ticket_reply(
                    ticket=ticket,
                    actor=owner,
                    text=text.format(**values),
                    channel="ui",
                    deliver=False,  # demo history: nothing to send
                )
            else:
                tickets.ticket_note_add(ticket=ticket, actor=owner, text=text.format(**values))
    if scenario["category"] == "complaint" and "fault" in scenario:
        moment = _play_complaint(ticket, owner, scenario, moment, now=now, finished=finished)
    end = str(scenario["end"])
    if finished and end != Status.OPEN:
        moment += timedelta(minutes=rng.randrange(5, 240))
        if moment < now:
            with clock_at(moment):
                ticket.refresh_from_db()
                tickets.ticket_update(
                    ticket=ticket, actor=owner, version=ticket.version, status=end
                )
                ticket.refresh_from_db()
                created = survey_create(ticket=ticket)
                if end == Status.RESOLVED and now - moment > timedelta(days=21):
                    ticket.refresh_from_db()
                    tickets.ticket_update(
                        ticket=ticket, actor=owner, version=ticket.version, status=Status.CLOSED
                    )
            if created is not None:
                _survey_answer(created[0], ticket=ticket, language=plan.contact.language, now=now)
    if rng.random() < 0.3:
        with clock_at(min(moment + timedelta(minutes=1), now)):
            tags = {"complaint": ["keluhan"], "request": ["pesanan"], "question": ["info"]}
            tickets.ticket_tags_set(
                ticket=ticket, actor=owner, names=tags[str(scenario["category"])]
            )
    return ticket
