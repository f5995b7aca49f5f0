import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.sla.calendars import (
    ALWAYS_OPEN,
    INDONESIAN_OFFICE_HOURS,
    WIB,
    NoWorkingTime,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    calendar_build,
    indonesian_holidays,
    is_open,
    next_opening,
)

UTC = dt.UTC
JAKARTA = ZoneInfo(WIB)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

OFFICE = calendar_build(
    zone=WIB,
    hours=INDONESIAN_OFFICE_HOURS,
    holidays=(holiday.date for holiday in indonesian_holidays(range(2025, 2027))),
)
AMSTERDAM_OFFICE = calendar_build(
    zone="Europe/Amsterdam", hours={day: ("09:00-17:00",) for day in range(5)}
)
AMSTERDAM_ALWAYS = calendar_build(zone="Europe/Amsterdam", hours=ALWAYS_OPEN)
# A Sunday night shift whose start the clock skips in spring and shows twice in autumn.
AMSTERDAM_NIGHT = calendar_build(zone="Europe/Amsterdam", hours={6: ("02:30-06:00",)})
NEW_YORK_ALWAYS = calendar_build(zone="America/New_York", hours=ALWAYS_OPEN)


def wib(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JAKARTA)


def ams(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    ("year", "day", "name"),
    [
        (2026, dt.date(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia"),
        (2026, dt.date(2026, 12, 24), "Cuti Bersama Hari Raya Natal"),
        (2025, dt.date(2025, 8, 18), "Cuti Bersama Hari Kemerdekaan Republik Indonesia"),
        (2026, dt.date(2026, 3, 21), "Hari Raya Idul Fitri"),
    ],
)
def test_indonesian_holidays_include_national_days_and_collective_leave(year, day, name):
    """National holidays and cuti bersama both come from the holidays package, in Indonesian."""
    assert (day, name) in indonesian_holidays([year])


def test_indonesian_holidays_can_leave_out_collective_leave():
    """Offices that work on cuti bersama keep only the national holidays."""
    days = {holiday.date for holiday in indonesian_holidays([2026], collective_leave=False)}

    assert dt.date(2026, 8, 17) in days
    assert dt.date(2026, 12, 24) not in days


def test_indonesian_holidays_merge_admin_dates_in_date_order():
    """Dates an admin adds appear sorted among the national ones, sharing a date when needed."""
    extra = [(dt.date(2026, 8, 17), "Ulang tahun kantor"), (dt.date(2026, 8, 3), "Rapat tahunan")]

    listed = [
        holiday for holiday in indonesian_holidays([2026], extra=extra) if holiday.date.month == 8
    ]

    assert listed == [
        (dt.date(2026, 8, 3), "Rapat tahunan"),
        (dt.date(2026, 8, 17), "Hari Kemerdekaan Republik Indonesia; Ulang tahun kantor"),
        (dt.date(2026, 8, 25), "Maulid Nabi Muhammad"),
    ]


def test_indonesian_holidays_speak_english_on_request():
    """Names follow the requested language."""
    listed = dict(indonesian_holidays([2026], language="en_US"))

    assert listed[dt.date(2026, 8, 17)] == "Independence Day"


@pytest.mark.parametrize(
    ("calendar", "start", "end", "minutes"),
    [
        pytest.param(OFFICE, wib("2026-03-02 07:00"), wib("2026-03-02 18:00"), 480, id="lunch"),
        pytest.param(OFFICE, wib("2026-03-06 07:00"), wib("2026-03-06 18:00"), 450, id="friday"),
        pytest.param(OFFICE, wib("2026-03-06 12:00"), wib("2026-03-09 09:00"), 300, id="weekend"),
        pytest.param(OFFICE, wib("2026-08-17 08:00"), wib("2026-08-17 17:00"), 0, id="holiday"),
        pytest.param(OFFICE, wib("2026-03-02 18:00"), wib("2026-03-02 07:00"), 0, id="reversed"),
        pytest.param(
            AMSTERDAM_ALWAYS, ams("2026-03-29 00:00"), ams("2026-03-30 00:00"), 23 * 60, id="23h"
        ),
        pytest.param(
            AMSTERDAM_ALWAYS, ams("2026-10-25 00:00"), ams("2026-10-26 00:00"), 25 * 60, id="25h"
        ),
        pytest.param(
            AMSTERDAM_NIGHT,
            ams("2026-03-29 00:00"),
            ams("2026-03-30 00:00"),
            180,
            id="shift-starts-at-the-jump",
        ),
        pytest.param(
            AMSTERDAM_NIGHT,
            ams("2026-10-25 00:00"),
            ams("2026-10-26 00:00"),
            270,
            id="shift-starts-at-first-0230",
        ),
    ],
)
def test_business_minutes_between(calendar, start, end, minutes):
    """Only working intervals count, measured in real time across clock changes."""
    assert business_minutes_between(calendar, start, end) == minutes


@pytest.mark.parametrize(
    ("at", "opening", "open_now"),
    [
        (wib("2026-03-02 07:59"), wib("2026-03-02 08:00"), False),
        (wib("2026-03-02 08:00"), wib("2026-03-02 08:00"), True),
        (wib("2026-03-02 12:00"), wib("2026-03-02 13:00"), False),
        (wib("2026-03-06 11:45"), wib("2026-03-06 13:00"), False),
        (wib("2026-03-06 17:00"), wib("2026-03-09 08:00"), False),
        (wib("2026-12-23 17:30"), wib("2026-12-28 08:00"), False),
        (wib("2026-03-03 10:15"), wib("2026-03-03 10:15"), True),
    ],
)
def test_next_opening_and_is_open(at, opening, open_now):
    """The next opening is `at` itself inside hours, else the start of the next interval."""
    assert next_opening(OFFICE, at) == opening
    assert next_opening(OFFICE, at).tzinfo is UTC
    assert is_open(OFFICE, at) is open_now


def test_closures_remove_working_time():
    """A one-off closure takes its hours out of the working day."""
    closed = calendar_build(
        zone=WIB,
        hours=INDONESIAN_OFFICE_HOURS,
        closures=[(wib("2026-03-04 14:00"), wib("2026-03-05 10:00"))],
    )

    assert business_minutes_between(closed, wib("2026-03-04 08:00"), wib("2026-03-05 17:00")) == (
        5 * 60 + 6 * 60
    )
    assert add_business_minutes(closed, wib("2026-03-04 13:30"), 60) == wib("2026-03-05 10:30")


def test_a_week_without_working_hours_is_rejected():
    """A calendar with no working time at all is an error, not an endless search."""
    with pytest.raises(NoWorkingTime):
        calendar_build(zone=WIB, hours={})


def test_holidays_covering_every_working_day_end_the_search():
    """When holidays swallow every working day, the search still ends after the last one."""
    mondays = {dt.date(2026, 1, 5) + dt.timedelta(weeks=week) for week in range(200)}
    calendar = calendar_build(zone=WIB, hours={0: ("08:00-09:00",)}, holidays=mondays)

    assert next_opening(calendar, wib("2026-01-01 00:00")) == wib("2029-11-05 08:00")


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({0: ("8-12",)}, "HH:MM"),
        ({0: ("08:00-24:30",)}, "time of day"),
        ({0: ("13:00-12:00",)}, "ordered"),
        ({0: ("08:00-12:00", "11:00-13:00")}, "disjoint"),
        ({7: ("08:00-12:00",)}, "weekday"),
    ],
)
def test_malformed_hours_are_rejected(hours, message):
    """Working hours that cannot be meant are refused with a reason."""
    with pytest.raises(ValueError, match=message):
        calendar_build(zone=WIB, hours=hours)


def test_naive_datetimes_are_rejected():
    """Business-time arithmetic refuses naive datetimes rather than guessing a zone."""
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(OFFICE, dt.datetime(2026, 3, 2, 9), 10)


CALENDARS = st.sampled_from(
    [OFFICE, AMSTERDAM_OFFICE, AMSTERDAM_ALWAYS, AMSTERDAM_NIGHT, NEW_YORK_ALWAYS]
)
INSTANTS = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(calendar=CALENDARS, start=INSTANTS, minutes=st.integers(0, 20_000))
def test_due_time_is_never_before_start(calendar, start, minutes):
    """Adding working time never moves backwards."""
    assert add_business_minutes(calendar, start, minutes) >= start


@given(calendar=CALENDARS, start=INSTANTS, minutes=st.integers(0, 20_000))
def test_adding_then_measuring_gives_the_same_minutes(calendar, start, minutes):
    """Measuring from start to the computed deadline returns exactly the minutes added."""
    due = add_business_minutes(calendar, start, minutes)

    assert business_minutes_between(calendar, start, due) == minutes


@given(
    calendar=CALENDARS,
    start=INSTANTS,
    first=st.timedeltas(dt.timedelta(0), dt.timedelta(days=20)),
    second=st.timedeltas(dt.timedelta(0), dt.timedelta(days=20)),
)
def test_business_time_is_additive_and_monotone(calendar, start, first, second):
    """Splitting a span anywhere keeps its working time, so a later end never gives less."""
    middle, end = start + first, start + first + second
    whole = business_time_between(calendar, start, end)

    assert whole == business_time_between(calendar, start, middle) + business_time_between(
        calendar, middle, end
    )
    assert whole >= business_time_between(calendar, start, middle)


@given(calendar=CALENDARS, start=INSTANTS, minutes=st.integers(1, 20_000))
def test_deadline_is_the_first_instant_reaching_the_target(calendar, start, minutes):
    """One second before the deadline the target is not yet reached."""
    due = add_business_time(calendar, start, dt.timedelta(minutes=minutes))

    before = business_time_between(calendar, start, due - dt.timedelta(seconds=1))
    assert before < dt.timedelta(minutes=minutes)
