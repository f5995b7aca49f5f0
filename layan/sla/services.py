"""Writes of SLA configuration, and the evaluation that keeps each ticket's `TicketSla` current.

Which clock evaluates: the database's (`sla_now`). Workers may run on several machines whose
clocks drift apart; a worker running a few minutes fast would announce breaches that have not
happened, and a notice once sent cannot be taken back. The database is the one clock every
worker and web node shares, and the logbook already orders events by it. Replays (the demo,
imports, tests) pass `now` explicitly. The pure evaluator also reads a `now` before the last
event as that event, so a lagging clock never produces negative time.

A ticket is evaluated from its logbook: creation, customer messages, public replies and
status, priority, category and team changes. The policy is chosen again after each change that
can alter the choice, and a different choice becomes a policy change at that instant. The whole
history is measured on the calendar of the policy that applies now.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from layan.core.queueing import enqueue_with_commit
from layan.logbook.models import Direction, Entry, Kind
from layan.sla import deadlines
from layan.sla.calendars import (
    INDONESIAN_OFFICE_HOURS,
    WIB,
    BusinessCalendar,
    NoWorkingTime,
    calendar_build,
    indonesian_holidays,
)
from layan.sla.deadlines import Metric, SlaStatus, Target
from layan.sla.models import (
    METRIC_NAMES,
    Calendar,
    CalendarHoliday,
    Policy,
    PolicyTarget,
    StateChoice,
    TicketSla,
)
from layan.sla.queries import can_manage_sla
from layan.team.models import Role, Team, User
from layan.team.notifications import notify
from layan.tickets.models import ACTIVE_STATUSES, Ticket

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
HISTORY_KINDS = (Kind.MESSAGE, Kind.REPLY, Kind.STATUS, Kind.PRIORITY, Kind.CATEGORY, Kind.TEAM)
NO_TARGETS = deadlines.Policy(first_response={}, next_response={}, resolution={})


def sla_now() -> dt.datetime:
    """Return the database server's current time (UTC), the clock SLA evaluation trusts."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT statement_timestamp()")
            moment: dt.datetime = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")
            moment = dt.datetime.fromisoformat(cursor.fetchone()[0]).replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


# --- Configuration --------------------------------------------------------------------------


def _require_manager(actor: User | None) -> None:
    if actor is not None and not can_manage_sla(actor):
        raise PermissionDenied(_("Only admins and managers change SLA calendars and policies."))


def hours_validate(zone: str, hours: Mapping[int, Sequence[str]]) -> None:
    """Raise ValidationError unless `zone` and `hours` make a usable calendar."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(_("Unknown time zone: %(zone)s.") % {"zone": zone}) from error
    try:
        calendar_build(zone=zone, hours=hours)
    except ValueError as error:
        raise ValidationError(str(error)) from error


def calendar_save(
    *,
    actor: User | None,
    calendar: Calendar | None = None,
    name: str,
    zone: str,
    hours: Mapping[int, Sequence[str]],
    national_holidays: bool = True,
    collective_leave: bool = True,
    is_default: bool = False,
) -> Calendar:
    """Create or change a calendar; making it the default takes that role from the old one."""
    _require_manager(actor)
    hours_validate(zone, hours)
    with transaction.atomic():
        if is_default:
            others = Calendar.objects.filter(is_default=True)
            if calendar is not None:
                others = others.exclude(pk=calendar.pk)
            others.update(is_default=False)
        calendar = calendar or Calendar()
        calendar.name = name.strip()
        calendar.zone = zone
        calendar.hours = {str(day): [text.strip() for text in hours[day]] for day in sorted(hours)}
        calendar.national_holidays = national_holidays
        calendar.collective_leave = collective_leave
        calendar.is_default = is_default
        calendar.save()
        _recompute_open_later()
    logger.info("sla_calendar_saved", extra={"calendar": calendar.pk})
    return calendar


def calendar_holiday_add(
    *, actor: User | None, calendar: Calendar, date: dt.date, name: str
) -> CalendarHoliday:
    """Close the office on `date` (replacing the name if the date is already a holiday)."""
    _require_manager(actor)
    with transaction.atomic():
        holiday, _created = CalendarHoliday.objects.update_or_create(
            calendar=calendar, date=date, defaults={"name": name.strip()}
        )
        calendar.save(update_fields=["updated_at"])
        _recompute_open_later()
    return holiday


def calendar_holiday_remove(*, actor: User | None, holiday: CalendarHoliday) -> None:
    _require_manager(actor)
    with transaction.atomic():
        calendar = holiday.calendar
        holiday.delete()
        calendar.save(update_fields=["updated_at"])
        _recompute_open_later()


@dataclass(frozen=True, slots=True)
class TargetSpec:
    metric: str
    priority: str
    minutes: int
    business: bool = True


def policy_save(
    *,
    actor: User | None,
    policy: Policy | None = None,
    name: str,
    targets: Sequence[TargetSpec],
    calendar: Calendar | None = None,
    position: int = 100,
    is_default: bool = False,
    is_active: bool = True,
    match_priority: str = "",
    match_category: str = "",
    match_channel: str = "",
    match_team: Team | None = None,
    pause_statuses: Iterable[str] = ("waiting_customer", "waiting_third_party"),
    at_risk_percent: int = 80,
) -> Policy:
    """Create or change a policy and replace its targets.

    A policy matches on ticket attributes only (priority, category, channel, team); there is
    no parameter for the customer, its revenue or its tier, by design.
    """
    _require_manager(actor)
    if not 1 <= at_risk_percent <= 100:
        raise ValidationError(_("The at-risk threshold is a percentage from 1 to 100."))
    if any(spec.minutes <= 0 for spec in targets):
        raise ValidationError(_("A target must be at least one minute."))
    if not is_default and not (match_priority or match_category or match_channel or match_team):
        raise ValidationError(
            _("A policy other than the default needs at least one condition to match.")
        )
    with transaction.atomic():
        if is_default:
            others = Policy.objects.filter(is_default=True)
            if policy is not None:
                others = others.exclude(pk=policy.pk)
            others.update(is_default=False)
        policy = policy or Policy()
        policy.name = name.strip()
        policy.calendar = calendar
        policy.position = position
        policy.is_default = is_default
        policy.is_active = is_active or is_default
        policy.match_priority = match_priority
        policy.match_category = match_category
        policy.match_channel = match_channel.strip().lower()
        policy.match_team = match_team
        policy.pause_statuses = sorted(set(pause_statuses))
        policy.at_risk_percent = at_risk_percent
        policy.save()
        policy.targets.all().delete()
        PolicyTarget.objects.bulk_create(
            PolicyTarget(
                policy=policy,
                metric=spec.metric,
                priority=spec.priority,
                minutes=spec.minutes,
                business=spec.business,
            )
            for spec in targets
        )
        _recompute_open_later()
    logger.info("sla_policy_saved", extra={"policy": policy.pk})
    return policy


def _recompute_open_later() -> None:
    from layan.sla.tasks import sla_recompute_open_task

    enqueue_with_commit(sla_recompute_open_task)


# --- Calendars and policies as the evaluator needs them ---------------------------------------


def _national_holidays(years: Iterable[int], collective_leave: bool) -> frozenset[dt.date]:
    return frozenset().union(*(_national_holidays_of(year, collective_leave) for year in years))


@lru_cache(maxsize=64)
def _national_holidays_of(year: int, collective_leave: bool) -> frozenset[dt.date]:
    """Return one year's holidays; cached per year, as batches ask for overlapping ranges."""
    return frozenset(
        day for day, _name in indonesian_holidays([year], collective_leave=collective_leave)
    )


def business_calendar(calendar: Calendar | None, *, years: Iterable[int]) -> BusinessCalendar:
    """Return the pure calendar of a row (None: Jakarta office hours) with holidays of `years`.

    Admin-added holidays come from `calendar.holidays.all()`, so prefetch them for many rows.
    """
    years = tuple(sorted(set(years)))
    if calendar is None:
        return calendar_build(
            zone=WIB, hours=INDONESIAN_OFFICE_HOURS, holidays=_national_holidays(years, True)
        )
    dates: set[dt.date] = {holiday.date for holiday in calendar.holidays.all()}
    if calendar.national_holidays:
        dates |= _national_holidays(years, calendar.collective_leave)
    hours = {int(day): intervals for day, intervals in calendar.hours.items()}
    return calendar_build(zone=calendar.zone, hours=hours, holidays=dates)


def pure_policy(policy: Policy) -> deadlines.Policy:
    """Return the targets of a policy row (with `targets` prefetched) for the evaluator."""
    targets: dict[str, dict[str, Target]] = {name: {} for name in METRIC_NAMES}
    for target in policy.targets.all():
        targets[target.metric][target.priority] = Target(target.minutes, business=target.business)
    return deadlines.Policy(
        first_response=targets[Metric.FIRST_RESPONSE],
        next_response=targets[Metric.NEXT_RESPONSE],
        resolution=targets[Metric.RESOLUTION],
        pause_statuses=frozenset(policy.pause_statuses),
        at_risk_fraction=policy.at_risk_percent / 100,
    )


@dataclass
class PolicyBook:
    """Every active policy in match order, with the default, their targets and calendars."""

    ordered: list[Policy]
    default: Policy | None
    default_calendar: Calendar | None
    years: tuple[int, ...]
    _pure: dict[int, deadlines.Policy] = field(default_factory=dict)
    _calendars: dict[int | None, BusinessCalendar] = field(default_factory=dict)

    @classmethod
    def load(cls, *, years: Iterable[int]) -> PolicyBook:
        policies = list(
            Policy.objects.filter(is_active=True)
            .select_related("calendar")
            .prefetch_related("targets", "calendar__holidays")
            .order_by("position", "id")
        )
        default_calendar = Calendar.objects.prefetch_related("holidays").filter(is_default=True)
        return cls(
            ordered=[policy for policy in policies if not policy.is_default],
            default=next((policy for policy in policies if policy.is_default), None),
            default_calendar=default_calendar.first(),
            years=tuple(sorted(set(years))),
        )

    def choose(
        self, *, priority: str, category: str, channel: str, team_id: int | None
    ) -> Policy | None:
        for policy in self.ordered:
            if policy.matches(
                priority=priority, category=category, channel=channel, team_id=team_id
            ):
                return policy
        return self.default

    def pure(self, policy: Policy | None) -> deadlines.Policy:
        if policy is None:
            return NO_TARGETS
        if policy.pk not in self._pure:
            self._pure[policy.pk] = pure_policy(policy)
        return self._pure[policy.pk]

    def calendar(self, policy: Policy | None) -> BusinessCalendar:
        row = policy.calendar if policy is not None and policy.calendar else self.default_calendar
        key = row.pk if row is not None else None
        if key not in self._calendars:
            self._calendars[key] = business_calendar(row, years=self.years)
        return self._calendars[key]


# --- Evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    kind: str
    direction: str
    at: dt.datetime
    data: Mapping[str, Any]


def _first_from(entries: Sequence[HistoryEntry], kind: str, current: str) -> str:
    for entry in entries:
        if entry.kind == kind:
            return str(entry.data.get("from", current))
    return current


def ticket_history(
    ticket: Ticket, entries: Sequence[HistoryEntry], book: PolicyBook
) -> tuple[list[deadlines.Event], Policy | None, Policy | None]:
    """Return the SLA events of a ticket, the policy it started under and the one now in force.

    `entries` are the ticket's logbook entries of HISTORY_KINDS in chain order. The attributes
    at creation are read from the first change of each, so later edits do not rewrite the past.
    """
    priority = _first_from(entries, Kind.PRIORITY, ticket.priority)
    category = _first_from(entries, Kind.CATEGORY, ticket.category)
    team = _first_from(entries, Kind.TEAM, str(ticket.team_id or ""))

    def chosen() -> Policy | None:
        return book.choose(
            priority=priority,
            category=category,
            channel=ticket.channel,
            team_id=int(team) if team.isdigit() else None,
        )

    first = current = chosen()
    events = [deadlines.created(ticket.created_at, priority=priority)]
    for entry in entries:
        to = str(entry.data.get("to", ""))
        if entry.kind == Kind.MESSAGE and entry.direction == Direction.IN:
            events.append(deadlines.customer_message(entry.at))
        elif entry.kind == Kind.REPLY:
            events.append(deadlines.agent_reply(entry.at))
        elif entry.kind == Kind.STATUS and to:
            events.append(deadlines.status_changed(entry.at, to))
        elif entry.kind == Kind.PRIORITY and to:
            priority = to
            events.append(deadlines.priority_changed(entry.at, to))
        elif entry.kind == Kind.CATEGORY and to:
            category = to
        elif entry.kind == Kind.TEAM:
            team = to
        if entry.kind in (Kind.PRIORITY, Kind.CATEGORY, Kind.TEAM):
            now_chosen = chosen()
            if now_chosen != current:
                events.append(deadlines.policy_changed(entry.at, book.pure(now_chosen)))
                current = now_chosen
    return events, first, current


def sla_fields(status: SlaStatus) -> dict[str, Any]:
    """Return the `TicketSla` columns that record `status`."""
    values: dict[str, Any] = {"evaluated_at": status.evaluated_at}
    for metric in status.metrics:
        prefix = metric.metric.value
        values[f"{prefix}_state"] = metric.state.value
        values[f"{prefix}_due_at"] = metric.due_at
        values[f"{prefix}_at_risk_at"] = metric.at_risk_at
        values[f"{prefix}_started_at"] = metric.started_at
        values[f"{prefix}_completed_at"] = metric.completed_at
        values[f"{prefix}_breached_at"] = metric.breached_at
        values[f"{prefix}_seconds"] = max(metric.elapsed_seconds, 0)
        values[f"{prefix}_target_seconds"] = metric.target_seconds
    values["next_due_at"] = min(
        (m.due_at for m in status.metrics if m.due_at is not None and m.completed_at is None),
        default=None,
    )
    change = deadlines.sla_next_change(status)
    values["next_change_at"] = change.at if change else None
    return values


def ticket_sla_evaluate(
    ticket: Ticket, entries: Sequence[HistoryEntry], *, book: PolicyBook, now: dt.datetime
) -> TicketSla:
    """Return an unsaved `TicketSla` for `ticket` at `now`."""
    events, first, current = ticket_history(ticket, entries, book)
    status = deadlines.sla_evaluate(
        events, policy=book.pure(first), calendar=book.calendar(current), now=now
    )
    return TicketSla(ticket=ticket, policy=current, **sla_fields(status))


_STORED_FIELDS = [
    name for name in (f.name for f in TicketSla._meta.concrete_fields) if name not in ("ticket",)
]


def _entries_by_chain(chain_ids: Sequence[int]) -> dict[int, list[HistoryEntry]]:
    found: dict[int, list[HistoryEntry]] = {chain_id: [] for chain_id in chain_ids}
    rows = (
        Entry.objects.filter(chain_id__in=chain_ids, kind__in=HISTORY_KINDS)
        .order_by("chain_id", "seq")
        .values_list("chain_id", "kind", "direction", "occurred_at", "data")
    )
    for chain_id, kind, direction, occurred_at, data in rows.iterator(chunk_size=2000):
        found[chain_id].append(HistoryEntry(kind, direction, occurred_at, data or {}))
    return found


@dataclass
class RefreshResult:
    evaluated: int = 0
    failed: int = 0
    notified: int = 0


def sla_refresh(
    ticket_ids: Sequence[int],
    *,
    now: dt.datetime,
    alert: bool = True,
    email: bool = True,
    book: PolicyBook | None = None,
) -> RefreshResult:
    """Evaluate and store the SLA of tickets at `now`, and warn people of risks and breaches.

    Safe to run twice and concurrently: the tickets' rows are locked while their logbooks are
    read, the same lock every ticket change takes, so the stored state is never older than a
    committed change. Warnings are sent once per metric cycle (see `sla_alerts`).
    """
    result = RefreshResult()
    for start in range(0, len(ticket_ids), BATCH_SIZE):
        batch = sorted(ticket_ids[start : start + BATCH_SIZE])
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update(of=("self",))
                .select_related("owner", "team__manager")
                .filter(pk__in=batch)
                .order_by("pk")
            )
            if not tickets:
                continue
            years = range(min(t.created_at for t in tickets).year, now.year + 2)
            if book is None or not set(years) <= set(book.years):
                book = PolicyBook.load(years=years)
            history = _entries_by_chain([ticket.chain_id for ticket in tickets])
            rows = []
            for ticket in tickets:
                try:
                    rows.append(
                        ticket_sla_evaluate(ticket, history[ticket.chain_id], book=book, now=now)
                    )
                except (NoWorkingTime, ValueError):
                    logger.exception("sla_evaluation_failed", extra={"ticket": ticket.pk})
                    result.failed += 1
            TicketSla.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["ticket"],
                update_fields=_STORED_FIELDS,
            )
            result.evaluated += len(rows)
            if alert:
                for row in rows:
                    result.notified += sla_alerts(row, now=now, email=email)
    return result


def sla_scan(*, now: dt.datetime, limit: int = 5000) -> RefreshResult:
    """Evaluate the tickets whose SLA turns at risk or breached by `now`, and any never evaluated.

    The scheduler runs this every minute; a ticket change is evaluated by its own task, so the
    scan only has to catch the passing of time (and tasks lost to a crash).
    """
    due = list(
        TicketSla.objects.filter(next_change_at__lte=now)
        .order_by("next_change_at")
        .values_list("ticket_id", flat=True)[:limit]
    )
    missing = list(
        Ticket.objects.filter(sla__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    result = sla_refresh([*due, *missing], now=now)
    if result.evaluated or result.failed:
        logger.info(
            "sla_scanned",
            extra={"evaluated": result.evaluated, "notified": result.notified},
        )
    return result


def sla_recompute(
    *, now: dt.datetime, only_active: bool = True, alert: bool = True
) -> RefreshResult:
    """Evaluate every ticket (or every active one) again, after a policy or calendar change."""
    tickets = Ticket.objects.order_by("pk")
    if only_active:
        tickets = tickets.filter(status__in=ACTIVE_STATUSES)
    ids = list(tickets.values_list("pk", flat=True))
    result = RefreshResult()
    first = tickets.values_list("created_at", flat=True).first()
    book = PolicyBook.load(years=range(first.year if first else now.year, now.year + 2))
    for start in range(0, len(ids), BATCH_SIZE * 10):
        part = sla_refresh(ids[start : start + BATCH_SIZE * 10], now=now, book=book, alert=alert)
        result.evaluated += part.evaluated
        result.failed += part.failed
        result.notified += part.notified
    return result


# --- Warnings -------------------------------------------------------------------------------


def _recipients(ticket: Ticket, *, breach: bool) -> list[User]:
    """The owner is warned of a risk; a breach also goes to the team's manager.

    A ticket nobody owns warns the team's manager, and one without a team's manager falls to
    the managers, so that a warning always reaches someone.
    """
    people: list[User] = []
    if ticket.owner is not None and ticket.owner.is_active:
        people.append(ticket.owner)
    manager = ticket.team.manager if ticket.team is not None else None
    if manager is not None and manager.is_active and (breach or not people):
        people.append(manager)
    if not people:
        people = list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk"))
    unique: dict[int, User] = {person.pk: person for person in people}
    return list(unique.values())


def sla_alerts(row: TicketSla, *, now: dt.datetime, email: bool = True) -> int:
    """Notify people of every running metric at risk or breached; return the notices created.

    The dedupe key names the ticket, the metric, the start of the cycle and the kind of
    notice, so each happens once however often or wherever this runs, while a new cycle (the
    next reply owed) can warn again.
    """
    ticket = row.ticket
    created = 0
    for metric in row.metrics:
        state = metric.state_at(now)
        if not metric.running or state not in (StateChoice.AT_RISK, StateChoice.BREACHED):
            continue
        breach = state == StateChoice.BREACHED
        started = getattr(row, f"{metric.name}_started_at")
        key = f"sla:{ticket.pk}:{metric.name}:{started.isoformat() if started else ''}:{state}"
        for person in _recipients(ticket, breach=breach):
            with translation.override(person.language):
                title, body = _notice_text(ticket, metric.label, metric.due_at, breach=breach)
            notice = notify(
                user=person,
                key=key,
                kind=f"sla_{state}",
                title=title,
                body=body,
                url=reverse("tickets:detail", args=[ticket.reference]),
                email=email,
            )
            created += notice is not None
    return created


def _notice_text(
    ticket: Ticket, metric_label: str, due_at: dt.datetime | None, *, breach: bool
) -> tuple[str, str]:
    when = formats.date_format(timezone.localtime(due_at), "j M Y H:i") if due_at else ""
    values = {"ref": ticket.ref, "metric": metric_label, "when": when, "subject": ticket.subject}
    if breach:
        title = _("SLA breached: %(ref)s %(metric)s") % values
        body = _("%(metric)s of %(ref)s “%(subject)s” was due %(when)s and is overdue.") % values
    else:
        title = _("SLA at risk: %(ref)s %(metric)s") % values
        body = _("%(metric)s of %(ref)s “%(subject)s” is due %(when)s.") % values
    return title, body
