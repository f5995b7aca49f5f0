"""Business calendars: working hours in a time zone, Indonesian holidays, business-time arithmetic.

Working intervals are wall-clock times in the calendar's zone, so 08:00 stays 08:00 across a DST
change, while durations are real elapsed time: an always-open calendar has a 23- or 25-hour day
when the clocks change. A boundary the clock shows twice (clocks go back) means its first
occurrence; a boundary the clock skips (clocks go forward) means the moment of the jump.

Every function takes aware datetimes and returns them in UTC. The search for working time walks
whole days, never minutes, and stops with `NoWorkingTime` instead of looping when none is left.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

UTC = dt.UTC
WIB = "Asia/Jakarta"
WITA = "Asia/Makassar"
WIT = "Asia/Jayapura"

DAY_SECONDS = 86_400
ONE_DAY = dt.timedelta(days=1)
ZERO = dt.timedelta(0)

# Office hours as most Indonesian offices keep them: a lunch break every day and a longer
# midday break on Friday for Friday prayers.
INDONESIAN_OFFICE_HOURS: Mapping[int, tuple[str, ...]] = {
    0: ("08:00-12:00", "13:00-17:00"),
    1: ("08:00-12:00", "13:00-17:00"),
    2: ("08:00-12:00", "13:00-17:00"),
    3: ("08:00-12:00", "13:00-17:00"),
    4: ("08:00-11:30", "13:00-17:00"),
}
ALWAYS_OPEN: Mapping[int, tuple[str, ...]] = {day: ("00:00-24:00",) for day in range(7)}

_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

Span = tuple[int, int]
"""A working interval as seconds after local midnight, end exclusive (86400 is 24:00)."""


class NoWorkingTime(ValueError):
    """The calendar has no working time left to reach the requested instant."""


class Holiday(NamedTuple):
    date: dt.date
    name: str


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Working intervals per weekday (Monday first) in `zone`, minus holidays and closures.

    `closures` are one-off aware (start, end) periods when the office is shut, such as an
    afternoon off for a company event; holidays are whole local dates.
    """

    zone: ZoneInfo
    week: tuple[tuple[Span, ...], ...]
    holidays: frozenset[dt.date] = frozenset()
    closures: tuple[tuple[dt.datetime, dt.datetime], ...] = ()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("A calendar needs working intervals for exactly seven weekdays.")
        for spans in self.week:
            previous_end = 0
            for start, end in spans:
                if not 0 <= start < end <= DAY_SECONDS or start < previous_end:
                    raise ValueError(f"Working intervals must be ordered and disjoint: {spans}.")
                previous_end = end
        if not any(self.week):
            raise NoWorkingTime("A calendar needs at least one working interval in the week.")
        for closed_from, closed_until in self.closures:
            if closed_from.tzinfo is None or closed_until.tzinfo is None:
                raise ValueError("A closure needs aware start and end.")
            if not closed_from < closed_until:
                raise ValueError("A closure must start before it ends.")


def calendar_build(
    *,
    zone: str,
    hours: Mapping[int, Iterable[str]],
    holidays: Iterable[dt.date] = (),
    closures: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> BusinessCalendar:
    """Return a calendar from weekday (0 = Monday) to intervals written "08:00-12:00".

    "24:00" is allowed as an end. Raises ValueError for an unknown zone or a malformed interval.
    """
    if not set(hours) <= set(range(7)):
        raise ValueError("Working hours are keyed by weekday, 0 (Monday) to 6 (Sunday).")
    week = tuple(
        tuple(sorted(_parse_interval(text) for text in hours.get(day, ()))) for day in range(7)
    )
    return BusinessCalendar(
        zone=ZoneInfo(zone),
        week=week,
        holidays=frozenset(holidays),
        closures=tuple(
            sorted((start.astimezone(UTC), end.astimezone(UTC)) for start, end in closures)
        ),
    )


def _parse_interval(text: str) -> Span:
    match = _INTERVAL.match(text.strip())
    if match is None:
        raise ValueError(f"Working interval {text!r} is not written as HH:MM-HH:MM.")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ValueError(f"Working interval {text!r} is not a time of day.")
    return start_h * 3600 + start_m * 60, end_h * 3600 + end_m * 60


def indonesian_holidays(
    years: Iterable[int],
    *,
    collective_leave: bool = True,
    extra: Iterable[tuple[dt.date, str]] = (),
    language: str = "id",
) -> list[Holiday]:
    """Return Indonesian holidays for `years` plus `extra` dates an admin added, sorted by date.

    National holidays are the `holidays` package's "public" category; collective leave (cuti
    bersama) is its "government" category, listed only once decreed for that year. Dates of
    lunar holidays not yet decreed end in "(perkiraan)" (estimated). `language` is "id" or
    "en_US". A date with several holidays gets their names joined by "; ".
    """
    import holidays as holidays_lib  # 10 MB: only a process that builds calendars loads it

    categories = (holidays_lib.PUBLIC, holidays_lib.GOVERNMENT)
    table = holidays_lib.country_holidays(
        "ID",
        years=list(years),
        categories=categories if collective_leave else categories[:1],
        language=language,
    )
    names: dict[dt.date, list[str]] = {}
    for day, name in [*table.items(), *extra]:
        day_names = names.setdefault(day, [])
        if name not in day_names:
            day_names.append(name)
    return [Holiday(day, "; ".join(day_names)) for day, day_names in sorted(names.items())]


def business_time_between(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime
) -> dt.timedelta:
    """Return the working time between two instants; zero when `end` is not after `start`."""
    start, end = _utc(start), _utc(end)
    total = ZERO
    if end <= start:
        return total
    day = _local_date(calendar, start) - ONE_DAY
    last = _local_date(calendar, end)
    while day <= last:
        for span_start, span_end in _day_spans(calendar, day):
            overlap = min(span_end, end) - max(span_start, start)
            if overlap > ZERO:
                total += overlap
        day += ONE_DAY
    return total


def business_minutes_between(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime
) -> int:
    """Return the whole working minutes between two instants."""
    return business_time_between(calendar, start, end) // dt.timedelta(minutes=1)


def add_business_time(
    calendar: BusinessCalendar, start: dt.datetime, amount: dt.timedelta
) -> dt.datetime:
    """Return the first instant at which `amount` of working time has elapsed since `start`.

    A zero amount returns `start` itself, even outside working hours.
    """
    if amount < ZERO:
        raise ValueError("Business time to add must not be negative.")
    start = _utc(start)
    left = amount
    if not left:
        return start
    for span_start, span_end in _spans_from(calendar, start):
        span_start = max(span_start, start)
        if span_start >= span_end:
            continue
        if span_end - span_start >= left:
            return span_start + left
        left -= span_end - span_start
    raise AssertionError("unreachable: _spans_from never ends without raising")


def add_business_minutes(
    calendar: BusinessCalendar, start: dt.datetime, minutes: int
) -> dt.datetime:
    """Return the first instant at which `minutes` of working time have elapsed since `start`."""
    return add_business_time(calendar, start, dt.timedelta(minutes=minutes))


def next_opening(calendar: BusinessCalendar, at: dt.datetime) -> dt.datetime:
    """Return the first instant at or after `at` that is inside working hours."""
    at = _utc(at)
    for span_start, span_end in _spans_from(calendar, at):
        if span_end > at:
            return max(span_start, at)
    raise AssertionError("unreachable: _spans_from never ends without raising")


def is_open(calendar: BusinessCalendar, at: dt.datetime) -> bool:
    """Return whether `at` falls inside working hours (start inclusive, end exclusive)."""
    at = _utc(at)
    day = _local_date(calendar, at)
    spans = [*_day_spans(calendar, day - ONE_DAY), *_day_spans(calendar, day)]
    return any(span_start <= at < span_end for span_start, span_end in spans)


def _utc(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("Business-time arithmetic needs aware datetimes.")
    return instant.astimezone(UTC)


def _local_date(calendar: BusinessCalendar, instant: dt.datetime) -> dt.date:
    return instant.astimezone(calendar.zone).date()


def _spans_from(
    calendar: BusinessCalendar, instant: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Yield working intervals in order, from the local day before `instant` on, without end."""
    day = _local_date(calendar, instant) - ONE_DAY
    # After the last holiday or closure the week repeats, so seven empty days in a row past it
    # mean there is no working time left at all.
    last_special = max(
        [*calendar.holidays, *(_local_date(calendar, end) for _, end in calendar.closures)],
        default=day,
    )
    empty_days = 0
    while True:
        spans = _day_spans(calendar, day)
        yield from spans
        empty_days = empty_days + 1 if not spans and day > last_special else 0
        if empty_days >= 7:
            raise NoWorkingTime(f"No working time in the calendar after {instant.isoformat()}.")
        day += ONE_DAY


def _day_spans(calendar: BusinessCalendar, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    pattern = calendar.week[day.weekday()]
    if not pattern or day in calendar.holidays:
        return []
    zone = calendar.zone
    spans = [
        (_wall_instant(zone, day, start), _wall_instant(zone, day, end)) for start, end in pattern
    ]
    for closed_from, closed_until in calendar.closures:
        spans = [
            (piece_start, piece_end)
            for span_start, span_end in spans
            for piece_start, piece_end in (
                (span_start, min(span_end, closed_from)),
                (max(span_start, closed_until), span_end),
            )
            if piece_start < piece_end
        ]
    # An interval lying wholly inside an hour the clock skips is empty.
    return [(span_start, span_end) for span_start, span_end in spans if span_start < span_end]


def _wall_instant(zone: ZoneInfo, day: dt.date, second: int) -> dt.datetime:
    """Return the UTC instant at which the clock first shows `second` after midnight of `day`."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=second)
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # The clock skipped this wall time, so the boundary is the jump itself; offsets change on
    # whole seconds, so a bisection between the two readings of the skipped time finds it.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, zone).replace(tzinfo=None) < naive:
            low = middle
        else:
            high = middle
    return dt.datetime.fromtimestamp(high, UTC)
