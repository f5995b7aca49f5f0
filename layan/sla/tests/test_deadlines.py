import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.sla.calendars import (
    ALWAYS_OPEN,
    INDONESIAN_OFFICE_HOURS,
    WIB,
    calendar_build,
    indonesian_holidays,
)
from layan.sla.deadlines import (
    Metric,
    Policy,
    State,
    Target,
    Transition,
    agent_reply,
    created,
    customer_message,
    policy_changed,
    priority_changed,
    sla_evaluate,
    sla_next_change,
    status_changed,
)

UTC = dt.UTC
JAKARTA = ZoneInfo(WIB)

# Holidays of 2025 and 2026 only, so the 2028 rows do not depend on dates not yet decreed.
OFFICE = calendar_build(
    zone=WIB,
    hours=INDONESIAN_OFFICE_HOURS,
    holidays=(holiday.date for holiday in indonesian_holidays(range(2025, 2027))),
)
AMSTERDAM_OFFICE = calendar_build(
    zone="Europe/Amsterdam", hours={day: ("09:00-17:00",) for day in range(5)}
)
AMSTERDAM_ALWAYS = calendar_build(zone="Europe/Amsterdam", hours=ALWAYS_OPEN)
NEW_YORK_OFFICE = calendar_build(
    zone="America/New_York", hours={day: ("09:00-17:00",) for day in range(5)}
)
UTC_ALWAYS = calendar_build(zone="UTC", hours=ALWAYS_OPEN)

POLICY = Policy(
    first_response={"urgent": Target(30), "high": Target(60), "normal": Target(120)},
    next_response={"urgent": Target(30), "normal": Target(240)},
    resolution={"urgent": Target(240), "normal": Target(480)},
)


def at(text: str, zone: str = WIB) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def evaluate(events, now, *, policy=POLICY, calendar=OFFICE):
    return sla_evaluate(events, policy=policy, calendar=calendar, now=now)


def first_response_only(minutes: int) -> Policy:
    return Policy(first_response={"normal": Target(minutes)}, next_response={}, resolution={})


@pytest.mark.parametrize(
    ("calendar", "opened", "minutes", "due"),
    [
        pytest.param(OFFICE, at("2026-03-02 11:00"), 120, at("2026-03-02 14:00"), id="lunch"),
        pytest.param(
            OFFICE, at("2026-03-06 11:00"), 60, at("2026-03-06 13:30"), id="friday-prayer"
        ),
        pytest.param(OFFICE, at("2026-08-14 16:00"), 120, at("2026-08-18 09:00"), id="17-august"),
        pytest.param(
            OFFICE, at("2025-08-15 16:00"), 120, at("2025-08-19 09:00"), id="cuti-bersama-aug"
        ),
        pytest.param(
            OFFICE, at("2026-12-23 16:00"), 120, at("2026-12-28 09:00"), id="cuti-bersama-natal"
        ),
        pytest.param(OFFICE, at("2026-03-06 16:30"), 60, at("2026-03-09 08:30"), id="weekend"),
        pytest.param(OFFICE, at("2026-03-03 16:00"), 120, at("2026-03-04 09:00"), id="overnight"),
        pytest.param(OFFICE, at("2026-03-02 08:00"), 3000, at("2026-03-10 10:30"), id="multi-day"),
        pytest.param(
            OFFICE, at("2026-02-02 08:00"), 4 * 2370, at("2026-03-03 17:00"), id="four-weeks"
        ),
        pytest.param(
            OFFICE, at("2026-03-07 10:00"), 60, at("2026-03-09 09:00"), id="opened-on-saturday"
        ),
        pytest.param(
            OFFICE, at("2026-03-03 05:00"), 30, at("2026-03-03 08:30"), id="opened-before-8"
        ),
        pytest.param(OFFICE, at("2025-12-31 16:00"), 120, at("2026-01-02 09:00"), id="year-end"),
        pytest.param(OFFICE, at("2028-02-28 16:00"), 120, at("2028-02-29 09:00"), id="leap-day"),
        pytest.param(
            UTC_ALWAYS,
            at("2028-02-28 12:00", "UTC"),
            2880,
            at("2028-03-01 12:00", "UTC"),
            id="leap-day-24-7",
        ),
        pytest.param(
            AMSTERDAM_OFFICE,
            at("2026-03-27 16:00", "Europe/Amsterdam"),
            120,
            at("2026-03-30 10:00", "Europe/Amsterdam"),
            id="dst-start-office",
        ),
        pytest.param(
            AMSTERDAM_OFFICE,
            at("2026-10-23 16:00", "Europe/Amsterdam"),
            120,
            at("2026-10-26 10:00", "Europe/Amsterdam"),
            id="dst-end-office",
        ),
        pytest.param(
            AMSTERDAM_ALWAYS,
            at("2026-03-28 12:00", "Europe/Amsterdam"),
            1440,
            at("2026-03-29 13:00", "Europe/Amsterdam"),
            id="dst-start-24-7",
        ),
        pytest.param(
            AMSTERDAM_ALWAYS,
            at("2026-10-24 12:00", "Europe/Amsterdam"),
            1440,
            at("2026-10-25 11:00", "Europe/Amsterdam"),
            id="dst-end-24-7",
        ),
        pytest.param(
            NEW_YORK_OFFICE,
            at("2026-03-06 16:00", "America/New_York"),
            120,
            at("2026-03-09 10:00", "America/New_York"),
            id="dst-start-new-york",
        ),
    ],
)
def test_first_response_due(calendar, opened, minutes, due):
    """A new ticket's first response is due after the target in working time, to the minute."""
    status = evaluate(
        [created(opened, priority="normal")],
        opened,
        policy=first_response_only(minutes),
        calendar=calendar,
    )

    assert status.first_response.state == State.ON_TRACK
    assert status.first_response.due_at == due
    assert status.first_response.due_at.tzinfo is UTC


def test_a_quick_reply_meets_first_response_and_leaves_next_response_idle():
    """A public reply within target meets it; no next response is owed until the customer writes."""
    status = evaluate(
        [created(at("2026-03-02 09:00"), priority="normal"), agent_reply(at("2026-03-02 09:40"))],
        at("2026-03-02 10:00"),
    )

    assert status.first_response.state == State.MET
    assert status.first_response.completed_at == at("2026-03-02 09:40")
    assert status.first_response.elapsed_seconds == 40 * 60
    assert status.first_response.remaining_seconds == 80 * 60
    assert status.next_response.state == State.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("now", "state", "remaining_minutes"),
    [
        (at("2026-03-02 10:35"), State.ON_TRACK, 25),
        (at("2026-03-02 10:36"), State.AT_RISK, 24),
        (at("2026-03-02 11:00"), State.BREACHED, 0),
        (at("2026-03-02 11:30"), State.BREACHED, -30),
        (at("2026-03-02 20:00"), State.BREACHED, -300),
    ],
)
def test_first_response_turns_at_risk_at_80_percent_then_breaches(now, state, remaining_minutes):
    """The state follows elapsed working time: at risk from 80 %, breached from the due instant."""
    status = evaluate([created(at("2026-03-02 09:00"), priority="normal")], now)

    assert status.first_response.state == state
    assert status.first_response.remaining_seconds == remaining_minutes * 60
    if state == State.BREACHED:
        assert status.first_response.breached_at == at("2026-03-02 11:00")
        assert status.first_response.due_at == at("2026-03-02 11:00")


@pytest.mark.parametrize(
    ("reply", "state"),
    [(at("2026-03-02 11:00"), State.MET), (at("2026-03-02 11:01"), State.BREACHED)],
)
def test_a_reply_at_the_due_instant_still_meets_the_target(reply, state):
    """A reply exactly at the deadline meets it; a minute later it is breached."""
    status = evaluate(
        [created(at("2026-03-02 09:00"), priority="normal"), agent_reply(reply)], reply
    )

    assert status.first_response.state == state


def test_internal_notes_do_not_answer_the_customer():
    """An internal note leaves the first response owed."""
    status = evaluate(
        [
            created(at("2026-03-02 09:00"), priority="normal"),
            agent_reply(at("2026-03-02 09:10"), public=False),
        ],
        at("2026-03-02 11:30"),
    )

    assert status.first_response.state == State.BREACHED


def test_next_response_runs_from_the_first_unanswered_customer_message():
    """Follow-ups while a reply is owed do not restart the next-response clock."""
    status = evaluate(
        [
            created(at("2026-03-02 09:00"), priority="normal"),
            agent_reply(at("2026-03-02 09:30")),
            customer_message(at("2026-03-02 10:00")),
            customer_message(at("2026-03-02 10:45")),
        ],
        at("2026-03-02 11:00"),
    )

    assert status.next_response.state == State.ON_TRACK
    assert status.next_response.started_at == at("2026-03-02 10:00")
    assert status.next_response.due_at == at("2026-03-02 15:00")


@pytest.mark.parametrize(
    ("now", "state", "due", "elapsed_minutes"),
    [
        (at("2026-03-02 15:00"), State.PAUSED, None, 60),
        (at("2026-03-03 10:00"), State.ON_TRACK, at("2026-03-04 09:00"), 60),
        (at("2026-03-03 11:00"), State.ON_TRACK, at("2026-03-04 09:00"), 120),
    ],
)
def test_waiting_on_the_customer_pauses_resolution(now, state, due, elapsed_minutes):
    """Time spent waiting on the customer does not count; the clock resumes where it stopped."""
    events = [
        created(at("2026-03-02 09:00"), priority="normal"),
        agent_reply(at("2026-03-02 09:30")),
        status_changed(at("2026-03-02 10:00"), "waiting_customer"),
        status_changed(at("2026-03-03 10:00"), "open"),
    ]

    status = evaluate([event for event in events if event.at <= now], now)

    assert status.resolution.state == state
    assert status.resolution.due_at == due
    assert status.resolution.elapsed_seconds == elapsed_minutes * 60


@pytest.mark.parametrize(
    ("new_policy", "state", "due", "breached"),
    [
        pytest.param(
            Policy(first_response={}, next_response={}, resolution={"normal": Target(240)}),
            State.ON_TRACK,
            at("2026-03-02 14:00"),
            None,
            id="shorter-target",
        ),
        pytest.param(
            Policy(
                first_response={},
                next_response={},
                resolution={"normal": Target(600, business=False)},
            ),
            State.ON_TRACK,
            at("2026-03-02 19:00"),
            None,
            id="calendar-time",
        ),
        pytest.param(
            Policy(first_response={}, next_response={}, resolution={"normal": Target(60)}),
            State.BREACHED,
            at("2026-03-02 11:00"),
            at("2026-03-02 11:00"),
            id="already-exceeded",
        ),
        pytest.param(
            Policy(first_response={}, next_response={}, resolution={}),
            State.NOT_APPLICABLE,
            None,
            None,
            id="no-target",
        ),
    ],
)
def test_a_policy_change_keeps_elapsed_time_and_applies_the_new_target(
    new_policy, state, due, breached
):
    """After a policy change the 120 minutes already spent count against the new target."""
    events = [
        created(at("2026-03-02 09:00"), priority="normal"),
        policy_changed(at("2026-03-02 11:00"), new_policy),
    ]

    status = evaluate(events, at("2026-03-02 11:00"))

    assert status.resolution.state == state
    assert status.resolution.due_at == due
    assert status.resolution.breached_at == breached
    assert status.resolution.elapsed_seconds == 120 * 60


@pytest.mark.parametrize(
    ("raised_at", "state", "due"),
    [
        (at("2026-03-02 09:10"), State.ON_TRACK, at("2026-03-02 09:30")),
        (at("2026-03-02 09:45"), State.BREACHED, at("2026-03-02 09:45")),
    ],
)
def test_raising_the_priority_shortens_the_running_target(raised_at, state, due):
    """An urgent ticket owes its reply within 30 minutes of creation, counted from the start."""
    events = [
        created(at("2026-03-02 09:00"), priority="normal"),
        priority_changed(raised_at, "urgent"),
    ]

    status = evaluate(events, raised_at)

    assert status.first_response.state == state
    assert status.first_response.due_at == due


def test_a_priority_change_after_a_reply_does_not_rewrite_it():
    """A response met under one priority stays met when the priority is raised later."""
    events = [
        created(at("2026-03-02 09:00"), priority="normal"),
        agent_reply(at("2026-03-02 10:00")),
        priority_changed(at("2026-03-02 10:30"), "urgent"),
    ]

    status = evaluate(events, at("2026-03-02 11:00"))

    assert status.first_response.state == State.MET
    assert status.first_response.target_seconds == 120 * 60
    assert status.resolution.target_seconds == 240 * 60


def test_reopening_resumes_resolution_and_owes_a_reply():
    """A message on a resolved ticket is owed a reply once it reopens; resolution resumes."""
    events = [
        created(at("2026-03-02 09:00"), priority="normal"),
        agent_reply(at("2026-03-02 09:30")),
        status_changed(at("2026-03-02 10:00"), "resolved"),
        customer_message(at("2026-03-03 09:00")),
        status_changed(at("2026-03-03 09:05"), "open"),
    ]

    resolved = evaluate(events[:3], at("2026-03-02 16:00"))
    reopened = evaluate(events, at("2026-03-03 10:05"))

    assert resolved.resolution.state == State.MET
    assert resolved.resolution.completed_at == at("2026-03-02 10:00")
    assert reopened.resolution.state == State.ON_TRACK
    assert reopened.resolution.completed_at is None
    assert reopened.resolution.elapsed_seconds == 120 * 60
    assert reopened.resolution.due_at == at("2026-03-04 08:05")
    assert reopened.next_response.started_at == at("2026-03-03 09:05")
    assert reopened.next_response.due_at == at("2026-03-03 14:05")


def test_resolving_answers_a_closing_thank_you():
    """Resolving after a customer's last message drops that reply but keeps earlier cycles."""
    events = [
        created(at("2026-03-02 09:00"), priority="normal"),
        agent_reply(at("2026-03-02 09:30")),
        customer_message(at("2026-03-02 10:00")),
        agent_reply(at("2026-03-02 10:20")),
        customer_message(at("2026-03-02 10:30")),
        status_changed(at("2026-03-02 10:40"), "resolved"),
    ]

    status = evaluate(events, at("2026-03-05 09:00"))

    assert status.next_response.state == State.MET
    assert status.next_response.completed_at == at("2026-03-02 10:20")
    assert status.resolution.state == State.MET


def test_resolving_does_not_erase_a_breach():
    """A reply owed past its deadline stays breached when the ticket is resolved without it."""
    events = [
        created(at("2026-03-02 09:00"), priority="normal"),
        status_changed(at("2026-03-02 14:00"), "resolved"),
    ]

    status = evaluate(events, at("2026-03-02 15:00"))

    assert status.first_response.state == State.BREACHED
    assert status.first_response.breached_at == at("2026-03-02 11:00")
    assert status.resolution.state == State.MET


HISTORY = [
    created(at("2026-03-02 09:00"), priority="normal"),
    customer_message(at("2026-03-02 09:00")),
    agent_reply(at("2026-03-02 09:20")),
    customer_message(at("2026-03-02 09:50")),
    status_changed(at("2026-03-02 10:00"), "waiting_third_party"),
    status_changed(at("2026-03-02 13:30"), "open"),
    agent_reply(at("2026-03-02 14:00")),
]


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(HISTORY[::-1], id="reversed"),
        pytest.param(random.Random(7).sample(HISTORY, len(HISTORY)), id="shuffled"),
        pytest.param(HISTORY[1:] + HISTORY[:1], id="creation-last"),
    ],
)
def test_events_out_of_order_give_the_same_result(events):
    """The history is sorted before it is read, creation first among equal times."""
    now = at("2026-03-02 15:00")

    assert evaluate(events, now) == evaluate(HISTORY, now)
    assert evaluate(events, now).next_response.elapsed_seconds == 40 * 60


def test_a_worker_clock_five_minutes_behind_never_yields_negative_time():
    """A `now` before the last event is read as that event; early stamps count from creation."""
    events = [
        customer_message(at("2026-03-02 08:57")),
        created(at("2026-03-02 09:00"), priority="normal"),
        agent_reply(at("2026-03-02 09:30")),
    ]

    status = evaluate(events, at("2026-03-02 09:25"))

    assert status.evaluated_at == at("2026-03-02 09:30")
    assert status.first_response.state == State.MET
    assert status.first_response.elapsed_seconds == 30 * 60
    assert status.resolution.elapsed_seconds == 30 * 60


@pytest.mark.parametrize(
    ("now", "transition"),
    [
        (
            at("2026-03-02 09:00"),
            Transition(at("2026-03-02 10:36"), Metric.FIRST_RESPONSE, State.AT_RISK),
        ),
        (
            at("2026-03-02 10:40"),
            Transition(at("2026-03-02 11:00"), Metric.FIRST_RESPONSE, State.BREACHED),
        ),
        (
            at("2026-03-02 11:00"),
            Transition(at("2026-03-02 16:24"), Metric.RESOLUTION, State.AT_RISK),
        ),
        (at("2026-03-03 09:00"), None),
    ],
)
def test_next_change_names_the_next_warning_or_breach(now, transition):
    """The scheduler learns when and which metric turns at risk or breached next."""
    status = evaluate([created(at("2026-03-02 09:00"), priority="normal")], now)

    assert sla_next_change(status) == transition


def test_following_next_change_announces_each_warning_and_breach_once():
    """Evaluating at each announced instant shows that state, then moves on to a later change."""
    events = [created(at("2026-03-02 09:00"), priority="normal")]
    now = at("2026-03-02 09:00")
    seen = []

    while (transition := sla_next_change(evaluate(events, now))) is not None:
        assert transition.at > now
        now = transition.at
        metric = next(m for m in evaluate(events, now).metrics if m.metric == transition.metric)
        assert metric.state == transition.state
        seen.append((transition.metric, transition.state, transition.at))

    assert seen == [
        (Metric.FIRST_RESPONSE, State.AT_RISK, at("2026-03-02 10:36")),
        (Metric.FIRST_RESPONSE, State.BREACHED, at("2026-03-02 11:00")),
        (Metric.RESOLUTION, State.AT_RISK, at("2026-03-02 16:24")),
        (Metric.RESOLUTION, State.BREACHED, at("2026-03-03 09:00")),
    ]


@pytest.mark.parametrize(
    "events",
    [
        pytest.param([], id="no-creation"),
        pytest.param(
            [
                created(at("2026-03-02 09:00"), priority="normal"),
                created(at("2026-03-02 10:00"), priority="normal"),
            ],
            id="two-creations",
        ),
    ],
)
def test_a_history_needs_exactly_one_creation(events):
    """Without a single creation event there is no start to measure from."""
    with pytest.raises(ValueError, match="one creation event"):
        evaluate(events, at("2026-03-02 12:00"))


def test_naive_now_is_rejected():
    """A naive `now` is refused instead of being read in the server's zone."""
    with pytest.raises(ValueError, match="aware"):
        evaluate([created(at("2026-03-02 09:00"), priority="normal")], dt.datetime(2026, 3, 2))


EVENT_BUILDERS = [
    lambda when: customer_message(when),
    lambda when: agent_reply(when),
    lambda when: agent_reply(when, public=False),
    lambda when: status_changed(when, "waiting_customer"),
    lambda when: status_changed(when, "waiting_third_party"),
    lambda when: status_changed(when, "open"),
    lambda when: status_changed(when, "resolved"),
    lambda when: priority_changed(when, "urgent"),
    lambda when: priority_changed(when, "normal"),
]
OPENED = at("2026-03-02 09:00")
HISTORIES = st.lists(
    st.tuples(st.integers(0, 7 * 24 * 60), st.integers(0, len(EVENT_BUILDERS) - 1)), max_size=12
).map(
    lambda steps: (
        [created(OPENED, priority="normal")]
        + [EVENT_BUILDERS[kind](OPENED + dt.timedelta(minutes=offset)) for offset, kind in steps]
    )
)


@given(
    events=HISTORIES,
    first=st.integers(0, 14 * 24 * 60),
    second=st.integers(0, 14 * 24 * 60),
)
def test_elapsed_time_never_decreases_as_now_advances(events, first, second):
    """For a fixed history a later `now` never shows less elapsed time; due never precedes start."""
    earlier = OPENED + dt.timedelta(minutes=min(first, second))
    later = OPENED + dt.timedelta(minutes=max(first, second))

    before, after = evaluate(events, earlier), evaluate(events, later)

    for old, new in zip(before.metrics, after.metrics, strict=True):
        assert 0 <= old.elapsed_seconds <= new.elapsed_seconds
        if new.due_at is not None:
            assert new.due_at >= new.started_at
