"""SLA deadlines of one ticket from its event history; pure time math with `now` as an argument.

How the clocks run:

- A clock runs only while the ticket is open: a status in the policy's pause statuses stops every
  clock, and a resolved or closed ticket runs none.
- First response is owed from creation until the first public agent reply. Next response is owed
  from the first customer message after a public reply until the next public reply; further
  customer messages meanwhile do not restart it. Internal notes answer nothing.
- Resolution runs from creation until the ticket is resolved or closed. Reopening resumes it with
  the time already spent, so time spent resolved does not count and resolving early to stop the
  clock gains nothing.
- Resolving answers a reply still owed (a closing "thank you" needs no answer): that reply is
  dropped unless it had already breached, in which case the breach stands. A customer message
  on a resolved ticket makes a reply owed again from the moment the ticket reopens.
- A priority or policy change applies from its instant on. Time already elapsed is kept, as
  measured under the earlier target, and counts against the new one: remaining = new target -
  elapsed, and a metric whose elapsed time already exceeds the new target breaches at the change.
  Time under a policy with no target for a metric does not count towards it.
- An event at exactly the due instant meets the target; without one the metric is breached from
  the due instant on.
- Events are sorted stably by time, creation first among equals. An event stamped before the
  creation counts as at the creation, and a `now` before the last event is read as the last
  event, so workers whose clocks disagree by a few minutes never produce negative time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from layan.sla.calendars import BusinessCalendar, add_business_time, business_time_between

ZERO = dt.timedelta(0)
DONE_STATUSES = frozenset({"resolved", "closed"})
DEFAULT_PAUSE_STATUSES = frozenset({"waiting_customer", "waiting_third_party"})


class Metric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class State(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    PAUSED = "paused"
    NOT_APPLICABLE = "not_applicable"


class EventKind(StrEnum):
    CREATED = "created"
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    STATUS = "status"
    PRIORITY = "priority"
    POLICY = "policy"


@dataclass(frozen=True, slots=True)
class Target:
    """A time limit in minutes, counted in working time of the calendar or in calendar time."""

    minutes: int
    business: bool = True

    def __post_init__(self) -> None:
        if self.minutes < 0:
            raise ValueError("An SLA target must not be negative.")

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Policy:
    """Targets per priority for each metric; a priority missing from a mapping has no target."""

    first_response: Mapping[str, Target]
    next_response: Mapping[str, Target]
    resolution: Mapping[str, Target]
    pause_statuses: frozenset[str] = DEFAULT_PAUSE_STATUSES
    at_risk_fraction: float = 0.8

    def __post_init__(self) -> None:
        if not 0 < self.at_risk_fraction <= 1:
            raise ValueError("The at-risk fraction must lie in (0, 1].")

    def target(self, metric: Metric, priority: str) -> Target | None:
        targets = {
            Metric.FIRST_RESPONSE: self.first_response,
            Metric.NEXT_RESPONSE: self.next_response,
            Metric.RESOLUTION: self.resolution,
        }[metric]
        return targets.get(priority)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a ticket's history; build it with the functions below."""

    at: dt.datetime
    kind: EventKind
    status: str | None = None
    priority: str | None = None
    policy: Policy | None = None
    public: bool = True

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("SLA events need aware datetimes.")
        if self.kind in (EventKind.CREATED, EventKind.PRIORITY) and self.priority is None:
            raise ValueError(f"A {self.kind} event needs a priority.")
        if self.kind == EventKind.STATUS and self.status is None:
            raise ValueError("A status event needs the new status.")
        if self.kind == EventKind.POLICY and self.policy is None:
            raise ValueError("A policy event needs the new policy.")


def created(at: dt.datetime, *, priority: str, status: str = "open") -> Event:
    """Return the event that opens a ticket."""
    return Event(at, EventKind.CREATED, status=status, priority=priority)


def customer_message(at: dt.datetime) -> Event:
    """Return the event for a message from the customer."""
    return Event(at, EventKind.CUSTOMER_MESSAGE)


def agent_reply(at: dt.datetime, *, public: bool = True) -> Event:
    """Return the event for an agent's message; an internal note has `public=False`."""
    return Event(at, EventKind.AGENT_REPLY, public=public)


def status_changed(at: dt.datetime, status: str) -> Event:
    """Return the event for a change of ticket status."""
    return Event(at, EventKind.STATUS, status=status)


def priority_changed(at: dt.datetime, priority: str) -> Event:
    """Return the event for a change of ticket priority."""
    return Event(at, EventKind.PRIORITY, priority=priority)


def policy_changed(at: dt.datetime, policy: Policy) -> Event:
    """Return the event for a new SLA policy that applies from `at` on."""
    return Event(at, EventKind.POLICY, policy=policy)


@dataclass(frozen=True, slots=True)
class MetricStatus:
    """Where one metric stands; durations are whole seconds, instants are UTC.

    `remaining_seconds` is negative once breached. `due_at` is set while the clock runs (and
    after a breach, where it equals `breached_at`); `at_risk_at` is set while the clock runs and
    the at-risk threshold still lies ahead.
    """

    metric: Metric
    state: State
    due_at: dt.datetime | None = None
    at_risk_at: dt.datetime | None = None
    elapsed_seconds: int = 0
    remaining_seconds: int | None = None
    target_seconds: int | None = None
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SlaStatus:
    evaluated_at: dt.datetime
    first_response: MetricStatus
    next_response: MetricStatus
    resolution: MetricStatus

    @property
    def metrics(self) -> tuple[MetricStatus, MetricStatus, MetricStatus]:
        return (self.first_response, self.next_response, self.resolution)


@dataclass(frozen=True, slots=True)
class Transition:
    at: dt.datetime
    metric: Metric
    state: State


def sla_evaluate(
    events: Iterable[Event], *, policy: Policy, calendar: BusinessCalendar, now: dt.datetime
) -> SlaStatus:
    """Return the state of every SLA metric of a ticket at `now`.

    `policy` applies from creation until a policy event replaces it. The history needs exactly
    one creation event.
    """
    ordered = _ordered(events)
    clock = _TicketClock(ordered[0], policy=policy, calendar=calendar)
    previous = ordered[0].at
    for event in ordered[1:]:
        clock.advance(previous, event.at, inclusive=False)
        clock.apply(event)
        previous = event.at
    now = max(_utc(now), previous)
    clock.advance(previous, now, inclusive=True)
    return SlaStatus(
        evaluated_at=now,
        first_response=clock.report(Metric.FIRST_RESPONSE, now),
        next_response=clock.report(Metric.NEXT_RESPONSE, now),
        resolution=clock.report(Metric.RESOLUTION, now),
    )


def sla_next_change(status: SlaStatus) -> Transition | None:
    """Return the next moment a metric turns at risk or breached if nothing else happens.

    Schedule the warning or breach notice for that instant and evaluate again then; any new
    event on the ticket calls for a new evaluation and a new schedule.
    """
    upcoming = []
    for metric in status.metrics:
        if metric.state not in (State.ON_TRACK, State.AT_RISK) or metric.due_at is None:
            continue
        if metric.at_risk_at is not None and metric.at_risk_at < metric.due_at:
            upcoming.append(Transition(metric.at_risk_at, metric.metric, State.AT_RISK))
        else:
            upcoming.append(Transition(metric.due_at, metric.metric, State.BREACHED))
    return min(upcoming, key=lambda transition: transition.at, default=None)


def _ordered(events: Iterable[Event]) -> list[Event]:
    events = list(events)
    creations = [event for event in events if event.kind == EventKind.CREATED]
    if len(creations) != 1:
        raise ValueError(f"A ticket history needs one creation event, not {len(creations)}.")
    opened_at = _utc(creations[0].at)
    clamped = [replace(event, at=max(_utc(event.at), opened_at)) for event in events]
    return sorted(clamped, key=lambda event: (event.at, event.kind != EventKind.CREATED))


@dataclass
class _Cycle:
    """One stretch during which a metric is owed, from start to answer."""

    started_at: dt.datetime
    elapsed: dt.timedelta = ZERO
    completed_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    # The target in force when the cycle completed, which later changes must not rewrite.
    final_target: dt.timedelta | None = None


@dataclass
class _TicketClock:
    opening: Event
    policy: Policy
    calendar: BusinessCalendar
    priority: str = field(init=False)
    status: str = field(init=False)
    cycles: dict[Metric, list[_Cycle]] = field(init=False)
    owed: Metric | None = field(init=False)
    unanswered: bool = False

    def __post_init__(self) -> None:
        assert self.opening.priority is not None
        assert self.opening.status is not None
        self.priority = self.opening.priority
        self.status = self.opening.status
        start = self.opening.at
        self.cycles = {
            Metric.FIRST_RESPONSE: [_Cycle(start)],
            Metric.NEXT_RESPONSE: [],
            Metric.RESOLUTION: [_Cycle(start)],
        }
        self.owed = Metric.FIRST_RESPONSE
        if self.status in DONE_STATUSES:
            self.cycles[Metric.FIRST_RESPONSE].clear()
            self.cycles[Metric.RESOLUTION][0].completed_at = start
            self.owed = None

    def running(self) -> list[tuple[Metric, _Cycle]]:
        """Return the cycles still open, whether or not their clocks run now."""
        current = []
        if self.owed is not None:
            current.append((self.owed, self.cycles[self.owed][-1]))
        resolution = self.cycles[Metric.RESOLUTION][-1]
        if resolution.completed_at is None:
            current.append((Metric.RESOLUTION, resolution))
        return current

    def ticking(self) -> bool:
        return self.status not in self.policy.pause_statuses and self.status not in DONE_STATUSES

    def measure(self, target: Target, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        if target.business:
            return business_time_between(self.calendar, start, end)
        return max(end - start, ZERO)

    def deadline(self, target: Target, start: dt.datetime, left: dt.timedelta) -> dt.datetime:
        if target.business:
            return add_business_time(self.calendar, start, left)
        return start + left

    def advance(self, start: dt.datetime, end: dt.datetime, *, inclusive: bool) -> None:
        """Count the time from `start` to `end` on every running clock and note breaches.

        With `inclusive`, a deadline falling exactly on `end` is breached; an event at `end`
        is applied before that and can still meet it.
        """
        for metric, cycle in self.running():
            target = self.policy.target(metric, self.priority)
            if target is None:
                continue
            left = target.duration - cycle.elapsed
            if cycle.breached_at is None and left < ZERO:
                cycle.breached_at = start
            if not self.ticking():
                continue
            spent = self.measure(target, start, end)
            if cycle.breached_at is None and spent >= left:
                due = self.deadline(target, start, left)
                if due < end or (inclusive and due == end):
                    cycle.breached_at = due
            cycle.elapsed += spent

    def apply(self, event: Event) -> None:
        match event.kind:
            case EventKind.CREATED:
                raise ValueError("A ticket history needs one creation event.")
            case EventKind.CUSTOMER_MESSAGE:
                if self.status in DONE_STATUSES:
                    self.unanswered = True
                elif self.owed is None:
                    self.owe_reply(event.at)
            case EventKind.AGENT_REPLY if event.public:
                self.unanswered = False
                if self.owed is not None:
                    self.complete(self.owed, event.at)
                    self.owed = None
            case EventKind.STATUS:
                assert event.status is not None
                self.change_status(event.status, event.at)
            case EventKind.PRIORITY:
                assert event.priority is not None
                self.priority = event.priority
            case EventKind.POLICY:
                assert event.policy is not None
                self.policy = event.policy

    def change_status(self, status: str, at: dt.datetime) -> None:
        was_done, self.status = self.status in DONE_STATUSES, status
        if status in DONE_STATUSES and not was_done:
            self.complete(Metric.RESOLUTION, at)
            if self.owed is not None:
                if self.cycles[self.owed][-1].breached_at is None:
                    self.cycles[self.owed].pop()
                else:
                    self.complete(self.owed, at)
                self.owed = None
            self.unanswered = False
        elif was_done and status not in DONE_STATUSES:
            resolution = self.cycles[Metric.RESOLUTION][-1]
            resolution.completed_at = resolution.final_target = None
            if self.unanswered:
                self.unanswered = False
                self.owe_reply(at)

    def owe_reply(self, at: dt.datetime) -> None:
        # Creation always opens a first-response cycle; it is missing only when resolving
        # dropped it before any reply, and then the first reply is still what is owed.
        self.owed = (
            Metric.NEXT_RESPONSE if self.cycles[Metric.FIRST_RESPONSE] else Metric.FIRST_RESPONSE
        )
        self.cycles[self.owed].append(_Cycle(at))

    def complete(self, metric: Metric, at: dt.datetime) -> None:
        cycle = self.cycles[metric][-1]
        target = self.policy.target(metric, self.priority)
        cycle.completed_at = at
        cycle.final_target = None if target is None else target.duration

    def report(self, metric: Metric, now: dt.datetime) -> MetricStatus:
        if not self.cycles[metric]:
            return MetricStatus(metric, State.NOT_APPLICABLE)
        cycle = self.cycles[metric][-1]
        target = self.policy.target(metric, self.priority)
        if cycle.completed_at is not None:
            limit = cycle.final_target
        else:
            limit = None if target is None else target.duration
        status = MetricStatus(
            metric,
            State.NOT_APPLICABLE,
            elapsed_seconds=_seconds(cycle.elapsed),
            started_at=cycle.started_at,
            completed_at=cycle.completed_at,
            breached_at=cycle.breached_at,
        )
        if limit is None:
            return status
        status = replace(
            status,
            target_seconds=_seconds(limit),
            remaining_seconds=_seconds(limit - cycle.elapsed),
        )
        if cycle.completed_at is not None:
            return replace(status, state=State.MET if cycle.breached_at is None else State.BREACHED)
        if cycle.breached_at is not None:
            return replace(status, state=State.BREACHED, due_at=cycle.breached_at)
        if target is None or not self.ticking():
            return replace(status, state=State.PAUSED)
        due_at = self.deadline(target, now, limit - cycle.elapsed)
        warn_after = limit * self.policy.at_risk_fraction
        if cycle.elapsed >= warn_after:
            return replace(status, state=State.AT_RISK, due_at=due_at)
        at_risk_at = self.deadline(target, now, warn_after - cycle.elapsed)
        return replace(status, state=State.ON_TRACK, due_at=due_at, at_risk_at=at_risk_at)


def _seconds(duration: dt.timedelta) -> int:
    return duration // dt.timedelta(seconds=1)


def _utc(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("SLA time math needs aware datetimes.")
    return instant.astimezone(dt.UTC)
