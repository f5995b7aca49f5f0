"""Business calendars, SLA policies and each ticket's evaluated SLA state.

The time math lives in the pure modules `calendars.py` and `deadlines.py`; these models only
hold what an admin configured and what the last evaluation found.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layan.sla.calendars import WIB
from layan.sla.deadlines import DEFAULT_PAUSE_STATUSES, Metric, State
from layan.team.models import Team
from layan.tickets.models import Ticket


class MetricChoice(models.TextChoices):
    FIRST_RESPONSE = Metric.FIRST_RESPONSE.value, _("First response")
    NEXT_RESPONSE = Metric.NEXT_RESPONSE.value, _("Next response")
    RESOLUTION = Metric.RESOLUTION.value, _("Resolution")


class StateChoice(models.TextChoices):
    ON_TRACK = State.ON_TRACK.value, _("On track")
    AT_RISK = State.AT_RISK.value, _("At risk")
    BREACHED = State.BREACHED.value, _("Breached")
    MET = State.MET.value, _("Met")
    PAUSED = State.PAUSED.value, _("Paused")
    NOT_APPLICABLE = State.NOT_APPLICABLE.value, _("No target")


def default_pause_statuses() -> list[str]:
    return sorted(DEFAULT_PAUSE_STATUSES)


class Calendar(models.Model):
    """Working hours in one time zone, with Indonesian holidays and dates an admin adds.

    `hours` maps a weekday ("0" is Monday) to intervals written "08:00-12:00"; several per day
    leave room for a lunch break or Friday prayers.
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    zone = models.CharField(_("time zone"), max_length=64, default=WIB)
    hours = models.JSONField(_("working hours"), default=dict)
    national_holidays = models.BooleanField(_("Indonesian national holidays"), default=True)
    collective_leave = models.BooleanField(_("collective leave (cuti bersama)"), default=True)
    is_default = models.BooleanField(_("default calendar"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CalendarHoliday(models.Model):
    """A date the office is closed, added by an admin (a company anniversary, a local holiday)."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Policy(models.Model):
    """Targets per priority, chosen for a ticket by its priority, category, channel or team.

    Policies are tried in `position` order and the first whose every set condition matches
    wins; the default policy applies when none does. There is deliberately no condition on the
    customer, its revenue or its tier: every customer gets the same service levels.
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("calendar"),
        help_text=_("Empty: the default calendar."),
    )
    position = models.PositiveIntegerField(_("match order"), default=100)
    is_default = models.BooleanField(_("default policy"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    match_priority = models.CharField(_("when priority is"), max_length=10, blank=True)
    match_category = models.CharField(_("when category is"), max_length=12, blank=True)
    match_channel = models.CharField(_("when channel is"), max_length=20, blank=True)
    # PROTECT: a policy that lost its team condition would silently apply to every ticket.
    match_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("when team is"),
    )
    pause_statuses = models.JSONField(
        _("statuses that pause the clock"), default=default_pause_statuses, blank=True
    )
    at_risk_percent = models.PositiveSmallIntegerField(_("at risk from (% of target)"), default=80)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-is_default", "position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="policy_one_default"
            ),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=1, at_risk_percent__lte=100),
                name="policy_at_risk_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def matches(self, *, priority: str, category: str, channel: str, team_id: int | None) -> bool:
        """Tell whether every condition this policy sets holds for a ticket."""
        return (
            (not self.match_priority or self.match_priority == priority)
            and (not self.match_category or self.match_category == category)
            and (not self.match_channel or self.match_channel == channel)
            and (self.match_team_id is None or self.match_team_id == team_id)
        )


class PolicyTarget(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=20, choices=MetricChoice.choices)
    priority = models.CharField(_("priority"), max_length=10)
    minutes = models.PositiveIntegerField(_("minutes"))
    business = models.BooleanField(_("in working hours"), default=True)

    class Meta:
        ordering = ["policy", "metric", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "metric", "priority"], name="target_once_per_priority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.metric} {self.priority} {self.minutes} min"


METRIC_NAMES = tuple(metric.value for metric in Metric)
RUNNING_STATES = (StateChoice.ON_TRACK, StateChoice.AT_RISK)


def _state_field() -> models.CharField:
    return models.CharField(
        max_length=16, choices=StateChoice.choices, default=StateChoice.NOT_APPLICABLE
    )


class TicketSla(models.Model):
    """Where each SLA metric of one ticket stood when it was last evaluated.

    Per metric: the state, when it is due, when it turns at risk, when it breached, when it was
    answered, and the SLA-clock time spent on it (working time without pauses, in seconds, as
    the target counts it). A running metric can turn at risk or breached without any event, so
    `state_at(now)` reads the stored instants rather than trusting a possibly old state.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    evaluated_at = models.DateTimeField()
    # Earliest deadline of a running metric, an overdue one included: the inbox's "due soonest".
    next_due_at = models.DateTimeField(null=True, blank=True)
    # When a metric next turns at risk or breached if nothing happens: the scan's work list.
    next_change_at = models.DateTimeField(null=True, blank=True)

    first_response_state = _state_field()
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at_risk_at = models.DateTimeField(null=True, blank=True)
    first_response_started_at = models.DateTimeField(null=True, blank=True)
    first_response_completed_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(default=0)
    first_response_target_seconds = models.PositiveIntegerField(null=True, blank=True)

    next_response_state = _state_field()
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_at_risk_at = models.DateTimeField(null=True, blank=True)
    next_response_started_at = models.DateTimeField(null=True, blank=True)
    next_response_completed_at = models.DateTimeField(null=True, blank=True)
    next_response_breached_at = models.DateTimeField(null=True, blank=True)
    next_response_seconds = models.PositiveIntegerField(default=0)
    next_response_target_seconds = models.PositiveIntegerField(null=True, blank=True)

    resolution_state = _state_field()
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_at_risk_at = models.DateTimeField(null=True, blank=True)
    resolution_started_at = models.DateTimeField(null=True, blank=True)
    resolution_completed_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(default=0)
    resolution_target_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")
        indexes = [
            # inbox "due soonest": ORDER BY next_due_at ASC NULLS LAST, ticket_id (keyset)
            models.Index(fields=["next_due_at", "ticket"], name="ticketsla_due"),
            # periodic scan: WHERE next_change_at <= now ORDER BY next_change_at
            models.Index(
                fields=["next_change_at"],
                condition=Q(next_change_at__isnull=False),
                name="ticketsla_next_change",
            ),
        ]

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}"

    def metric(self, name: str) -> MetricSla:
        return MetricSla(self, name)

    @property
    def metrics(self) -> list[MetricSla]:
        return [MetricSla(self, name) for name in METRIC_NAMES]

    def due_state_at(self, now: datetime) -> tuple[str, str]:
        """Return the state at `now` of the most urgent running metric and its label (a list's
        due column), or two empty strings."""
        if self.next_due_at is None:
            return "", ""
        for metric in self.metrics:
            if metric.running and metric.due_at == self.next_due_at:
                state = metric.state_at(now)
                return state, str(StateChoice(state).label)
        return "", ""


class MetricSla:
    """A read-only view of one metric's columns of a `TicketSla` row."""

    def __init__(self, row: TicketSla, name: str) -> None:
        self.row = row
        self.name = name

    def _get(self, suffix: str) -> object:
        return getattr(self.row, f"{self.name}_{suffix}")

    @property
    def label(self) -> str:
        return str(MetricChoice(self.name).label)

    @property
    def state(self) -> str:
        return str(self._get("state"))

    @property
    def due_at(self) -> datetime | None:
        return self._get("due_at")  # type: ignore[return-value]

    @property
    def at_risk_at(self) -> datetime | None:
        return self._get("at_risk_at")  # type: ignore[return-value]

    @property
    def completed_at(self) -> datetime | None:
        return self._get("completed_at")  # type: ignore[return-value]

    @property
    def breached_at(self) -> datetime | None:
        return self._get("breached_at")  # type: ignore[return-value]

    @property
    def seconds(self) -> int:
        return int(self._get("seconds"))  # type: ignore[call-overload]

    @property
    def target_seconds(self) -> int | None:
        return self._get("target_seconds")  # type: ignore[return-value]

    def state_at(self, now: datetime) -> str:
        """Return the state at `now`, moving a running metric on past thresholds it crossed."""
        state = self.state
        if state in RUNNING_STATES and self.due_at is not None and now >= self.due_at:
            return StateChoice.BREACHED
        if state == StateChoice.ON_TRACK and self.at_risk_at is not None and now >= self.at_risk_at:
            return StateChoice.AT_RISK
        return state

    def state_label_at(self, now: datetime) -> str:
        return str(StateChoice(self.state_at(now)).label)

    @property
    def running(self) -> bool:
        """Tell whether the metric is still owed (its clock may be paused)."""
        return self.completed_at is None and self.state not in (
            StateChoice.MET,
            StateChoice.NOT_APPLICABLE,
        )
