"""Reads behind the reports: SLA % per group, fairness of service across customers, the
complaint playbook and customer satisfaction.

Every report covers the tickets opened in a period (surveys: sent in it) and reads stored
state: each ticket's SLA state (`TicketSla`), its stage spells (`StageSpell`), its surveys. So
a report costs a few grouped queries, never an evaluation or a logbook replay per ticket. SLA
times are the SLA clock's: working hours of the policy's calendar, without paused time;
playbook times are clock time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layan.agreements.queries import with_verdict
from layan.customers.models import Customer, CustomerKind, RevenueTier
from layan.knowledge.models import Fault, Stage
from layan.logbook.models import Entry, Kind
from layan.reports.fairness import (
    FairnessParams,
    FairnessReport,
    Observation,
    fairness_report,
    quantile,
)
from layan.team.models import Role, Team, User
from layan.tickets.models import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    Category,
    Priority,
    StageSpell,
    Survey,
    Ticket,
)
from layan.tickets.queries import tickets_for

DECIDED = ("met", "breached")
SLA_METRICS = ("first_response", "next_response", "resolution")


def can_see_reports(user: User) -> bool:
    """Managers and admins see every report; account managers see their portfolio's."""
    return user.is_active and (user.sees_everything or user.role == Role.ACCOUNT_MANAGER)


def report_tickets_for(user: User) -> QuerySet[Ticket]:
    """Return the tickets a user's reports cover: all, or an account manager's portfolio."""
    tickets = Ticket.objects.all()
    if not can_see_reports(user):
        return tickets.none()
    if user.sees_everything:
        return tickets
    return tickets.filter(customer__account_manager=user)


@dataclass(frozen=True, slots=True)
class Period:
    """Tickets opened from `since` to `until`, both whole local days included."""

    since: dt.date
    until: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.since, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(
            self.until + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE)
        )

    def tickets(self, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
        return tickets.filter(created_at__gte=self.start, created_at__lt=self.end)


# --- SLA % per group ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlaRow:
    """Tickets of one group and how many of each metric's decided outcomes met the target."""

    key: str
    label: str
    tickets: int
    met: dict[str, int]
    decided: dict[str, int]

    def percent(self, metric: str) -> float | None:
        decided = self.decided[metric]
        return round(100 * self.met[metric] / decided, 1) if decided else None

    @property
    def first_response_percent(self) -> float | None:
        return self.percent("first_response")

    @property
    def next_response_percent(self) -> float | None:
        return self.percent("next_response")

    @property
    def resolution_percent(self) -> float | None:
        return self.percent("resolution")

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"group": self.label, "tickets": self.tickets}
        for metric in SLA_METRICS:
            row[f"{metric}_met"] = self.met[metric]
            row[f"{metric}_decided"] = self.decided[metric]
            row[f"{metric}_percent"] = self.percent(metric)
        return row


SLA_GROUPINGS = {
    "team": gettext_lazy("Team"),
    "owner": gettext_lazy("Owner"),
    "priority": gettext_lazy("Priority"),
    "month": gettext_lazy("Month"),
}


def _sla_counts() -> dict[str, Count]:
    counts = {"n": Count("pk")}
    for metric in SLA_METRICS:
        state = f"sla__{metric}_state"
        counts[f"{metric}_met"] = Count("pk", filter=Q(**{state: "met"}))
        counts[f"{metric}_decided"] = Count("pk", filter=Q(**{f"{state}__in": DECIDED}))
    return counts


def sla_summary(tickets: QuerySet[Ticket], *, period: Period, by: str) -> list[SlaRow]:
    """Return SLA % met per metric for each team, owner, priority or month of the period."""
    return sla_summaries(tickets, period=period, by=by)[0]


def sla_summaries(
    tickets: QuerySet[Ticket], *, period: Period, by: str
) -> tuple[list[SlaRow], list[SlaRow]]:
    """Return the SLA rows per `by` and per month of the period, from one grouped scan (per
    month, both are the months).

    The month of each ticket is found by comparing its opening time with the local month
    starts of the period (a CASE), not by truncating each date: on SQLite Django truncates
    dates in Python, once per row (eight times slower than the rest of the query at 15,000
    tickets).
    """
    if by not in SLA_GROUPINGS:
        raise ValueError(f"Unknown grouping {by!r}.")
    starts = _month_starts(period)
    month = Case(
        *(
            When(created_at__lt=following, then=Value(index))
            for index, following in enumerate(starts[1:])
        ),
        default=Value(len(starts) - 1),
        output_field=IntegerField(),
    )
    field = {"team": "team_id", "owner": "owner_id", "priority": "priority", "month": None}[by]
    keys = {"month_index": month} | ({"group": F(field)} if field is not None else {})
    grouped: Any = period.tickets(tickets).order_by().values(**keys)
    counted: list[dict[str, Any]] = list(grouped.annotate(**_sla_counts()))
    per_group: dict[Any, Counter[str]] = defaultdict(Counter)
    per_month: dict[Any, Counter[str]] = defaultdict(Counter)
    for row in counted:
        figures = {
            name: value for name, value in row.items() if name not in ("group", "month_index")
        }
        per_month[starts[row["month_index"]]].update(figures)
        if field is not None:
            per_group[row["group"]].update(figures)
    months = sorted(_sla_rows("month", per_month), key=lambda row: row.key)
    if field is None:
        return months, months
    rows = _sla_rows(by, per_group)
    if by == "priority":
        order = list(reversed(Priority.values))
        rows.sort(key=lambda row: order.index(row.key) if row.key in order else 9)
    else:
        rows.sort(key=lambda row: (-row.tickets, row.label))
    return rows, months


def _month_starts(period: Period) -> list[dt.datetime]:
    """The local starts of the months the period touches, first to last."""
    zone = ZoneInfo(settings.TIME_ZONE)
    starts = []
    year, month = period.since.year, period.since.month
    while (year, month) <= (period.until.year, period.until.month):
        starts.append(dt.datetime(year, month, 1, tzinfo=zone))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def _sla_rows(by: str, groups: dict[Any, Counter[str]]) -> list[SlaRow]:
    labels = _labels(by, list(groups))
    return [
        SlaRow(
            key=_key(group),
            label=labels.get(group, _key(group)),
            tickets=figures["n"],
            met={metric: figures[f"{metric}_met"] for metric in SLA_METRICS},
            decided={metric: figures[f"{metric}_decided"] for metric in SLA_METRICS},
        )
        for group, figures in groups.items()
    ]


def _key(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m")
    return "" if value is None else str(value)


def _labels(by: str, keys: list[Any]) -> dict[Any, str]:
    if by == "tier":
        return {key: _tier_label(key) if key else _("No tier") for key in keys}
    if by == "category":
        return {key: str(Category(key).label) for key in keys if key in Category.values}
    if by == "team":
        names = dict(Team.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
        return {key: names.get(key, _("No team")) if key else _("No team") for key in keys}
    if by == "owner":
        people = User.objects.in_bulk([k for k in keys if k])
        return {key: people[key].name if key in people else _("Nobody") for key in keys}
    if by == "priority":
        return {key: str(Priority(key).label) for key in keys if key in Priority.values}
    return {key: _key(key) for key in keys}


# --- Fairness -------------------------------------------------------------------------------


MEASURES = {
    "first_response": gettext_lazy("First response"),
    "resolution": gettext_lazy("Resolution"),
}
GROUPINGS = {
    "tier": gettext_lazy("Revenue tier"),
    "verdict": gettext_lazy("Client verdict"),
    "kind": gettext_lazy("Internal or external"),
}
NO_VERDICT = "-"


def _tier_label(value: str) -> str:
    return str(RevenueTier(value).label) if value in RevenueTier.values else value


def _kind_label(value: str) -> str:
    return str(CustomerKind(value).label) if value in CustomerKind.values else value


def verdicts_available() -> bool:
    """Client verdicts come from the agreements app; every customer has one (or none yet)."""
    return True


def group_label(grouping: str, group: str) -> str:
    if grouping == "tier":
        return _tier_label(group)
    if grouping == "kind":
        return _kind_label(group)
    return _("No verdict") if group == NO_VERDICT else group.title()


@dataclass(frozen=True, slots=True)
class FairnessTicket:
    """One ticket behind a fairness figure."""

    ticket_id: int
    reference: int
    subject: str
    customer_id: int
    customer: str
    group: str
    seconds: int | None
    met: bool | None
    created_at: dt.datetime


def _fairness_rows(
    tickets: QuerySet[Ticket], *, period: Period, measure: str, grouping: str
) -> Iterator[FairnessTicket]:
    if measure not in MEASURES or grouping not in GROUPINGS:
        raise ValueError(f"Unknown measure {measure!r} or grouping {grouping!r}.")
    state, seconds, completed = (
        f"sla__{measure}_{part}" for part in ("state", "seconds", "completed_at")
    )
    rows = (
        period.tickets(tickets)
        .filter(sla__isnull=False)
        .order_by("pk")
        .values_list(
            "pk",
            "reference",
            "subject",
            "customer_id",
            "customer__name",
            "customer__revenue_tier",
            "customer__kind",
            "created_at",
            state,
            seconds,
            completed,
        )
    )
    verdict_of: Callable[[int], str] | None = None
    if grouping == "verdict":
        ids = set(period.tickets(tickets).values_list("customer_id", flat=True).distinct())
        verdicts = {
            pk: verdict or NO_VERDICT
            for pk, verdict in with_verdict(Customer.objects.filter(pk__in=ids)).values_list(
                "pk",
                "verdict",  # type: ignore[misc]  # an annotation
            )
        }
        verdict_of = verdicts.__getitem__
    for pk, reference, subject, customer_id, name, tier, kind, created, st, secs, done in rows:
        if grouping == "tier":
            group = tier
        elif grouping == "kind":
            group = kind
        else:
            assert verdict_of is not None
            group = verdict_of(customer_id)
        yield FairnessTicket(
            ticket_id=pk,
            reference=reference,
            subject=subject,
            customer_id=customer_id,
            customer=name,
            group=group,
            seconds=secs if done is not None else None,
            met=True if st == "met" else False if st == "breached" else None,
            created_at=created,
        )


@dataclass(frozen=True, slots=True)
class FairnessSection:
    measure: str
    grouping: str
    report: FairnessReport

    @property
    def measure_label(self) -> str:
        return str(MEASURES[self.measure])

    @property
    def grouping_label(self) -> str:
        return str(GROUPINGS[self.grouping])

    def label(self, group: str) -> str:
        return group_label(self.grouping, group)


def fairness_for(
    tickets: QuerySet[Ticket],
    *,
    period: Period,
    measure: str,
    grouping: str,
    params: FairnessParams | None = None,
) -> FairnessSection | None:
    """Return the fairness report of one measure by one grouping; None if it cannot be made.

    The verdict grouping needs customers with a `verdict`; without it there is no section.
    """
    if grouping == "verdict" and not verdicts_available():
        return None
    observations = [
        Observation(row.group, None if row.seconds is None else float(row.seconds), row.met)
        for row in _fairness_rows(tickets, period=period, measure=measure, grouping=grouping)
    ]
    return FairnessSection(measure, grouping, fairness_report(observations, params=params))


def fairness_tickets(
    tickets: QuerySet[Ticket],
    *,
    period: Period,
    measure: str,
    grouping: str,
    group: str,
    limit: int = 500,
) -> list[FairnessTicket]:
    """Return the tickets behind one group's figures, slowest first (those without a time last)."""
    if grouping == "verdict" and not verdicts_available():
        return []
    rows = [
        row
        for row in _fairness_rows(tickets, period=period, measure=measure, grouping=grouping)
        if group in ("", row.group)
    ]
    rows.sort(key=lambda row: (row.seconds is None, -(row.seconds or 0), row.reference))
    return rows[:limit]


# --- Complaint playbook ---------------------------------------------------------------------


PLAYBOOK_GROUPINGS = {
    "team": gettext_lazy("Team"),
    "owner": gettext_lazy("Owner"),
    "tier": gettext_lazy("Revenue tier"),
}
_TICKET_GROUP_FIELDS = {"team": "team_id", "owner": "owner_id", "tier": "customer__revenue_tier"}
STAGES: tuple[str, ...] = tuple(Stage.values)
# Fault assessments in the order the page shows them; "" is a complaint not assessed yet.
FAULTS: tuple[str, ...] = (*Fault.values, "")


def fault_label(value: str) -> str:
    return str(Fault(value).label) if value in Fault.values else _("Not assessed")


def complaints_in(tickets: QuerySet[Ticket], *, period: Period) -> QuerySet[Ticket]:
    """Return the complaints among the tickets opened in the period."""
    return period.tickets(tickets).filter(category=Category.COMPLAINT).order_by()


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """How one group's complaints stand: counts of complaints."""

    key: str
    label: str
    complaints: int
    done: int
    reconciled: int
    reopened: int
    faults: dict[str, int]

    @property
    def active(self) -> int:
        return self.complaints - self.done

    @property
    def fault_counts(self) -> list[int]:
        return [self.faults[fault] for fault in FAULTS]

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "group": self.label,
            "complaints": self.complaints,
            "resolved_or_closed": self.done,
            "still_open": self.active,
            "reached_reconcile": self.reconciled,
            "reopened": self.reopened,
        }
        for fault in FAULTS:
            row[f"fault_{fault or 'not_assessed'}"] = self.faults[fault]
        return row


def outcomes_total(rows: list[OutcomeRow]) -> OutcomeRow:
    """Add the groups' counts up (every complaint is in exactly one group)."""
    return OutcomeRow(
        key="",
        label=_("All complaints"),
        complaints=sum(row.complaints for row in rows),
        done=sum(row.done for row in rows),
        reconciled=sum(row.reconciled for row in rows),
        reopened=sum(row.reopened for row in rows),
        faults={fault: sum(row.faults[fault] for row in rows) for fault in FAULTS},
    )


def _ticket_group(by: str) -> str:
    if by not in PLAYBOOK_GROUPINGS:
        raise ValueError(f"Unknown grouping {by!r}.")
    return _TICKET_GROUP_FIELDS[by]


@dataclass(frozen=True, slots=True)
class StageRow:
    """One playbook stage over the period's complaints; times in seconds of clock time."""

    stage: str
    complaints: int  # that spent time in it
    timed: int  # spells that ended, behind the median and 90th percentile
    median_seconds: float | None
    p90_seconds: float | None
    current: int  # open complaints in it now
    waiting_since: dt.datetime | None  # when the one waiting longest of those entered it
    skipped: int  # went on to a later stage without passing through this one

    @property
    def label(self) -> str:
        return str(Stage(self.stage).label)


@dataclass(frozen=True, slots=True)
class GroupStageRow:
    """One group's median and 90th percentile time in each stage (seconds of clock time)."""

    key: str
    label: str
    timed: dict[str, int]
    median_seconds: dict[str, float | None]
    p90_seconds: dict[str, float | None]

    @property
    def cells(self) -> list[tuple[float | None, int]]:
        return [(self.median_seconds[stage], self.timed[stage]) for stage in STAGES]


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont: linear interpolation between order statistics (type 7,
    as `fairness.quantile`)."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"

    def __init__(self, expression: Any, *, fraction: float) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile's fraction lies between 0 and 1.")
        super().__init__(expression, fraction=float(fraction))


def _spells(complaints: QuerySet[Ticket]) -> QuerySet[Any]:
    """One row per stage spell of the complaints (a join, so scope and period filter once).

    A spell ends when the next stage starts; the current stage of a resolved or closed
    complaint ends at the resolution, and that of an open complaint has no end yet.
    """
    return complaints.annotate(
        spell_stage=F("stage_spells__stage"),
        spell_entered=F("stage_spells__entered_at"),
        spell_ended=Coalesce("stage_spells__left_at", "resolved_at"),
    ).filter(spell_stage__isnull=False)


def _timed(spells: QuerySet[Any]) -> QuerySet[Any]:
    # A stage entered after the resolution has no time of its own.
    return spells.filter(spell_ended__gte=F("spell_entered")).annotate(
        spell_time=ExpressionWrapper(
            F("spell_ended") - F("spell_entered"), output_field=DurationField()
        )
    )


def _seconds(value: dt.timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _stage_percentiles(
    spells: QuerySet[Any], field: str
) -> tuple[dict[str, Any], dict[tuple[Any, str], Any]]:
    """Return (count, median, p90) of spell times per stage, and per group and stage.

    PostgreSQL computes them; elsewhere the times of the period's spells are read as plain
    numbers (one tuple each) and sorted here, the same interpolation either way.
    """
    timed = _timed(spells)
    if connection.vendor == "postgresql":
        figures = {
            "n": Count("pk"),
            "median": Percentile("spell_time", fraction=0.5),
            "p90": Percentile("spell_time", fraction=0.9),
        }
        overall = {
            row["spell_stage"]: (row["n"], _seconds(row["median"]), _seconds(row["p90"]))
            for row in timed.values("spell_stage").annotate(**figures)
        }
        grouped = {
            (row["group"], row["spell_stage"]): (
                row["n"],
                _seconds(row["median"]),
                _seconds(row["p90"]),
            )
            for row in timed.values("spell_stage", group=F(field)).annotate(**figures)
        }
        return overall, grouped
    by_stage: dict[str, list[float]] = defaultdict(list)
    by_group: dict[tuple[Any, str], list[float]] = defaultdict(list)
    for group, stage, time in timed.values_list(field, "spell_stage", "spell_time"):
        by_stage[stage].append(time.total_seconds())
        by_group[group, stage].append(time.total_seconds())

    def summary(times: list[float]) -> tuple[int, float | None, float | None]:
        times.sort()
        return len(times), quantile(times, 0.5), quantile(times, 0.9)

    return (
        {stage: summary(times) for stage, times in by_stage.items()},
        {key: summary(times) for key, times in by_group.items()},
    )


def _skipped(complaints: QuerySet[Ticket]) -> dict[str, int]:
    """Count, per stage, the complaints that reached a later stage without spending time in it."""
    furthest = Case(
        *[When(stage_spells__stage=stage, then=Value(i)) for i, stage in enumerate(STAGES)],
        output_field=IntegerField(),
    )
    visits = {
        f"in{i}": Count("stage_spells", filter=Q(stage_spells__stage=stage))
        for i, stage in enumerate(STAGES)
    }
    per_complaint = complaints.annotate(furthest=Max(furthest), **visits)
    counts = per_complaint.aggregate(
        **{
            f"skipped{i}": Count("pk", filter=Q(**{f"in{i}": 0, "furthest__gt": i}))
            for i in range(len(STAGES))
        }
    )
    return {stage: counts[f"skipped{i}"] or 0 for i, stage in enumerate(STAGES)}


@dataclass(frozen=True, slots=True)
class PlaybookReport:
    outcomes: list[OutcomeRow]
    stages: list[StageRow]
    groups: list[GroupStageRow]

    @property
    def total(self) -> OutcomeRow:
        return outcomes_total(self.outcomes)


def _outcome_counts(complaints: QuerySet[Ticket], field: str) -> list[Any]:
    reopened = Entry.objects.filter(
        chain_id=OuterRef("chain_id"),
        kind=Kind.STATUS,
        data__from__in=[status.value for status in DONE_STATUSES],
        data__to__in=[status.value for status in ACTIVE_STATUSES],
    )
    reconciled = StageSpell.objects.filter(ticket_id=OuterRef("pk"), stage=Stage.RECONCILE)
    counts: dict[str, Count] = {
        "n": Count("pk"),
        "done": Count("pk", filter=Q(status__in=DONE_STATUSES)),
        "reconciled": Count("pk", filter=Q(Exists(reconciled))),
        "reopened": Count("pk", filter=Q(Exists(reopened))),
    }
    for index, fault in enumerate(FAULTS):
        counts[f"fault{index}"] = Count("pk", filter=Q(fault=fault))
    return list(complaints.values(group=F(field)).annotate(**counts))


def _stage_counts(spells: QuerySet[Any]) -> dict[str, dict[str, Any]]:
    waiting = Q(spell_ended__isnull=True)
    return {
        row["spell_stage"]: row
        for row in spells.values("spell_stage").annotate(
            complaints=Count("pk", distinct=True),
            current=Count("pk", filter=waiting),
            waiting_since=Min("spell_entered", filter=waiting),
        )
    }


def playbook_report(tickets: QuerySet[Ticket], *, period: Period, by: str) -> PlaybookReport:
    """Return how the period's complaints stand and the time they spent in each stage, overall
    and per team, owner or revenue tier.

    Reached Reconcile: the complaint spent time in that stage. Reopened: its logbook holds a
    change of status from resolved or closed back to an active one. Times are clock time from
    entering a stage until the next stage (or the resolution); the stage an open complaint is
    in now has no time yet: it is counted apart, with the moment the one waiting longest
    entered it.
    """
    field = _ticket_group(by)
    complaints = complaints_in(tickets, period=period)
    outcome_rows = _outcome_counts(complaints, field)
    spells = _spells(complaints)
    counts = _stage_counts(spells)
    overall, grouped = _stage_percentiles(spells, field)
    skipped = _skipped(complaints)
    labels = _labels(by, [row["group"] for row in outcome_rows])
    outcomes = [
        OutcomeRow(
            key=_key(row["group"]),
            label=labels.get(row["group"], _key(row["group"])),
            complaints=row["n"],
            done=row["done"],
            reconciled=row["reconciled"],
            reopened=row["reopened"],
            faults={fault: row[f"fault{index}"] for index, fault in enumerate(FAULTS)},
        )
        for row in outcome_rows
    ]
    outcomes.sort(key=lambda row: (-row.complaints, row.label))
    nothing: tuple[int, float | None, float | None] = (0, None, None)
    stages = [
        StageRow(
            stage=stage,
            complaints=counts.get(stage, {}).get("complaints", 0),
            timed=overall.get(stage, nothing)[0],
            median_seconds=overall.get(stage, nothing)[1],
            p90_seconds=overall.get(stage, nothing)[2],
            current=counts.get(stage, {}).get("current", 0),
            waiting_since=counts.get(stage, {}).get("waiting_since"),
            skipped=skipped[stage],
        )
        for stage in STAGES
    ]
    groups = [
        GroupStageRow(
            key=_key(key),
            label=labels.get(key, _key(key)),
            timed={stage: grouped.get((key, stage), nothing)[0] for stage in STAGES},
            median_seconds={stage: grouped.get((key, stage), nothing)[1] for stage in STAGES},
            p90_seconds={stage: grouped.get((key, stage), nothing)[2] for stage in STAGES},
        )
        for key in {group for group, _stage in grouped}
    ]
    groups.sort(key=lambda row: (-sum(row.timed.values()), row.label))
    return PlaybookReport(outcomes=outcomes, stages=stages, groups=groups)


# --- Satisfaction ---------------------------------------------------------------------------


SATISFACTION_GROUPINGS = {
    "owner": gettext_lazy("Owner"),
    "team": gettext_lazy("Team"),
    "category": gettext_lazy("Ticket category"),
}
# The owner is the survey's (who handled the ticket when it was resolved: the credit).
_SURVEY_GROUP_FIELDS = {
    "owner": "owner_id",
    "team": "ticket__team_id",
    "category": "ticket__category",
}
RATINGS = (1, 2, 3, 4, 5)
SATISFIED_FROM = 4  # a rating of 4 or 5 counts as satisfied (CSAT)
CONSENTS = (Survey.Consent.GIVEN, Survey.Consent.DECLINED, Survey.Consent.REVOKED)


def report_surveys_for(user: User) -> QuerySet[Survey]:
    """Return the surveys a user's reports cover: those of the tickets `report_tickets_for`
    covers."""
    surveys = Survey.objects.all()
    if not can_see_reports(user):
        return surveys.none()
    if user.sees_everything:
        return surveys
    return surveys.filter(ticket__in=report_tickets_for(user))


def surveys_sent_in(surveys: QuerySet[Survey], *, period: Period) -> QuerySet[Survey]:
    """Return the surveys sent in the period (answered then or later)."""
    return surveys.filter(created_at__gte=period.start, created_at__lt=period.end).order_by()


@dataclass(frozen=True, slots=True)
class SatisfactionRow:
    """One group's surveys: how many went out, how many came back and what they said."""

    key: str
    label: str
    sent: int
    answered: int
    rating_sum: int
    ratings: dict[int, int]
    consents: dict[str, int]

    @property
    def response_percent(self) -> float | None:
        return round(100 * self.answered / self.sent, 1) if self.sent else None

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.answered, 2) if self.answered else None

    @property
    def satisfied(self) -> int:
        return sum(count for rating, count in self.ratings.items() if rating >= SATISFIED_FROM)

    @property
    def csat_percent(self) -> float | None:
        return round(100 * self.satisfied / self.answered, 1) if self.answered else None

    @property
    def rating_counts(self) -> list[int]:
        return [self.ratings[rating] for rating in RATINGS]

    @property
    def consent_counts(self) -> list[int]:
        return [self.consents[consent] for consent in CONSENTS]

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "group": self.label,
            "sent": self.sent,
            "answered": self.answered,
            "response_percent": self.response_percent,
            "average_rating": self.average_rating,
            "csat_percent": self.csat_percent,
        }
        for rating in RATINGS:
            row[f"rating_{rating}"] = self.ratings[rating]
        for consent in CONSENTS:
            row[f"testimonial_{consent}"] = self.consents[consent]
        return row


def satisfaction_total(rows: list[SatisfactionRow]) -> SatisfactionRow:
    """Add the groups' counts up (every survey is in exactly one group)."""
    return SatisfactionRow(
        key="",
        label=_("All surveys"),
        sent=sum(row.sent for row in rows),
        answered=sum(row.answered for row in rows),
        rating_sum=sum(row.rating_sum for row in rows),
        ratings={rating: sum(row.ratings[rating] for row in rows) for rating in RATINGS},
        consents={consent: sum(row.consents[consent] for row in rows) for consent in CONSENTS},
    )


def satisfaction_summary(
    surveys: QuerySet[Survey], *, period: Period, by: str
) -> list[SatisfactionRow]:
    """Return the surveys sent in the period per owner, team or ticket category.

    Response rate, average and CSAT % (the share of 4 and 5) count every answer to a survey
    sent in the period, whenever it came.
    """
    if by not in SATISFACTION_GROUPINGS:
        raise ValueError(f"Unknown grouping {by!r}.")
    answered = Q(answered_at__isnull=False)
    counts: dict[str, Aggregate] = {
        "sent": Count("pk"),
        "answered": Count("pk", filter=answered),
        "rating_sum": Sum("rating", filter=answered),
    }
    for rating in RATINGS:
        counts[f"rating{rating}"] = Count("pk", filter=answered & Q(rating=rating))
    for consent in CONSENTS:
        counts[f"consent_{consent}"] = Count("pk", filter=Q(consent=consent))
    rows: list[Any] = list(
        surveys_sent_in(surveys, period=period)
        .values(group=F(_SURVEY_GROUP_FIELDS[by]))
        .annotate(**counts)
    )
    labels = _labels(by, [row["group"] for row in rows])
    result = [
        SatisfactionRow(
            key=_key(row["group"]),
            label=labels.get(row["group"], _key(row["group"])),
            sent=row["sent"],
            answered=row["answered"],
            rating_sum=row["rating_sum"] or 0,
            ratings={rating: row[f"rating{rating}"] for rating in RATINGS},
            consents={consent: row[f"consent_{consent}"] for consent in CONSENTS},
        )
        for row in rows
    ]
    if by == "category":
        order = [Category.COMPLAINT.value, Category.REQUEST.value, Category.QUESTION.value]
        return sorted(result, key=lambda row: order.index(row.key) if row.key in order else 9)
    return sorted(result, key=lambda row: (-row.sent, row.label))


@dataclass(frozen=True, slots=True)
class LowAnswer:
    """A poorly rated answer; `reference` is None when the reader may not open the ticket."""

    rating: int
    comment: str
    answered_at: dt.datetime
    reference: int | None
    subject: str
    customer: str
    owner: str


def satisfaction_lowest(
    surveys: QuerySet[Survey], *, period: Period, viewer: User, limit: int = 10
) -> list[LowAnswer]:
    """Return the lowest-rated answers to the period's surveys, the most recent first."""
    answers = list(
        surveys_sent_in(surveys, period=period)
        .filter(answered_at__isnull=False)
        .select_related("ticket__customer", "owner")
        .order_by("rating", "-answered_at", "-pk")[:limit]
    )
    visible = set(
        tickets_for(viewer)
        .filter(pk__in=[answer.ticket_id for answer in answers])
        .values_list("pk", flat=True)
    )
    return [
        LowAnswer(
            rating=answer.rating or 0,
            comment=answer.comment,
            answered_at=answer.answered_at or answer.created_at,
            reference=answer.ticket.reference if answer.ticket_id in visible else None,
            subject=answer.ticket.subject if answer.ticket_id in visible else "",
            customer=answer.ticket.customer.name,
            owner=answer.owner.name if answer.owner else "",
        )
        for answer in answers
    ]
