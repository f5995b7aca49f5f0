"""Fairness statistics: is any group of customers served notably slower than everyone else?

One report covers one measure (first-response or resolution time, with its SLA outcome) split
by one grouping (revenue tier, client verdict, internal or external). Each group is compared
with all other tickets together. A group gets a warning only when the evidence is both
statistically sound and large enough to matter:

- Times are right-skewed with long tails, so groups are summarised by median and 90th
  percentile and compared with the one-sided Mann-Whitney U test (is a ticket of this group
  likely to wait longer than one of the rest?). It is rank based, needs no normality, is not
  moved by a few extreme tickets and is deterministic. Its normal approximation, with tie and
  continuity corrections, is accurate once both samples hold about 20 tickets.
- SLA % uses the one-sided Fisher exact test, because met rates sit near 100 % where the
  normal approximation of a two-proportion z-test is poor.
- Every group is a separate test, so each family of tests (times, SLA %) gets the
  Holm-Bonferroni correction: the chance of any false alarm in the report stays at `alpha`
  without assuming the tests are independent, and Holm is never weaker than Bonferroni.
- Significance alone flags trivial gaps once samples are large, so a warning also needs a
  practical effect: the group's median at least `min_relative_gap` (25 %) above the rest's,
  or its SLA % at least `min_sla_gap_points` (10 points) below.
- A group with fewer than `min_count` (20) tickets, or facing fewer than that, is not tested;
  a small group is flagged "too few tickets" instead, whatever its gap looks like.

Percentiles interpolate linearly between order statistics (Hyndman and Fan type 7, as numpy's
default and spreadsheets' PERCENTILE.INC): for sorted x_1..x_n the q-quantile lies at position
h = (n - 1)q + 1 between x_floor(h) and x_floor(h)+1.

Tickets without a time (no reply or not resolved yet) are left out of the times; pass their
SLA outcome once past due, so a group whose tickets stay open still shows in SLA %.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

ALL_GROUPS = "(all)"


class Finding(StrEnum):
    SLOWER = "slower"
    LOWER_SLA = "lower_sla"
    TOO_FEW_TICKETS = "too_few_tickets"


@dataclass(frozen=True, slots=True)
class Observation:
    """One ticket: its group, its time in seconds if it has one, and whether it met the SLA."""

    group: str
    seconds: float | None = None
    met: bool | None = None


@dataclass(frozen=True, slots=True)
class FairnessParams:
    alpha: float = 0.05
    min_count: int = 20
    min_relative_gap: float = 0.25
    min_sla_gap_points: float = 10.0


@dataclass(frozen=True, slots=True)
class GroupResult:
    """One row of the report; times in seconds, p-values Holm-adjusted and one-sided.

    `relative_gap` is the group's median over the rest's minus one (0.25 = 25 % slower).
    `prob_slower` is the chance that a ticket of the group took longer than one of the rest,
    ties counting half (0.5 = no difference). `sla_gap_points` is the group's SLA % minus the
    rest's. Comparisons are None when they were not made.
    """

    group: str
    tickets: int
    count: int
    median_seconds: float | None
    p90_seconds: float | None
    sla_count: int
    sla_met_percent: float | None
    relative_gap: float | None = None
    prob_slower: float | None = None
    p_value: float | None = None
    sla_gap_points: float | None = None
    sla_p_value: float | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def warning(self) -> bool:
        return Finding.SLOWER in self.findings or Finding.LOWER_SLA in self.findings

    def as_row(self) -> dict[str, str | int | float | None]:
        """Return the row as plain values for CSV or JSON; findings joined by spaces."""
        return {
            "group": self.group,
            "tickets": self.tickets,
            "count": self.count,
            "median_seconds": self.median_seconds,
            "p90_seconds": self.p90_seconds,
            "sla_count": self.sla_count,
            "sla_met_percent": self.sla_met_percent,
            "relative_gap": self.relative_gap,
            "prob_slower": self.prob_slower,
            "p_value": self.p_value,
            "sla_gap_points": self.sla_gap_points,
            "sla_p_value": self.sla_p_value,
            "findings": " ".join(self.findings),
        }


@dataclass(frozen=True, slots=True)
class FairnessReport:
    groups: tuple[GroupResult, ...]
    overall: GroupResult
    params: FairnessParams = field(default_factory=FairnessParams)

    @property
    def warnings(self) -> tuple[GroupResult, ...]:
        return tuple(group for group in self.groups if group.warning)

    def rows(self) -> list[dict[str, str | int | float | None]]:
        """Return one plain row per group, then the row for all tickets."""
        return [group.as_row() for group in (*self.groups, self.overall)]


def fairness_report(
    observations: Iterable[Observation], *, params: FairnessParams | None = None
) -> FairnessReport:
    """Return per-group statistics and warnings for groups served notably worse than the rest."""
    params = params or FairnessParams()
    # A canonical order makes floating-point sums, and so the report, independent of input order.
    observations = sorted(observations, key=_canonical)
    tickets = Counter(o.group for o in observations)
    seconds_by: dict[str, list[float]] = defaultdict(list)
    outcomes_by: dict[str, list[bool]] = defaultdict(list)
    for o in observations:
        if o.seconds is not None:
            seconds_by[o.group].append(o.seconds)
        if o.met is not None:
            outcomes_by[o.group].append(o.met)
    timed = [(o.group, o.seconds) for o in observations if o.seconds is not None]
    ranks, tie_term = _mid_ranks([seconds for _, seconds in timed])
    rank_sums: dict[str, float] = defaultdict(float)
    for (group, _), rank in zip(timed, ranks, strict=True):
        rank_sums[group] += rank
    all_seconds = sorted(seconds for _, seconds in timed)
    all_outcomes = [o.met for o in observations if o.met is not None]

    results = []
    for name in sorted(tickets):
        seconds, outcomes = seconds_by[name], outcomes_by[name]
        result = _summary(name, tickets[name], seconds, outcomes)
        rest_count = len(all_seconds) - len(seconds)
        if min(len(seconds), rest_count) >= params.min_count:
            u = rank_sums[name] - len(seconds) * (len(seconds) + 1) / 2
            rest_median = quantile(_without(all_seconds, seconds), 0.5)
            result = replace(
                result,
                relative_gap=_relative_gap(result.median_seconds, rest_median),
                prob_slower=u / (len(seconds) * rest_count),
                p_value=_mann_whitney_greater_p(u, len(seconds), rest_count, tie_term),
            )
        rest_rated = len(all_outcomes) - len(outcomes)
        if min(len(outcomes), rest_rated) >= params.min_count:
            met, met_total = sum(outcomes), sum(all_outcomes)
            result = replace(
                result,
                sla_gap_points=100 * met / len(outcomes) - 100 * (met_total - met) / rest_rated,
                sla_p_value=fisher_lower_p(met, len(outcomes), met_total, len(all_outcomes)),
            )
        results.append(result)

    time_p = _holm_optional([result.p_value for result in results])
    sla_p = _holm_optional([result.sla_p_value for result in results])
    results = [
        replace(result, p_value=p, sla_p_value=q)
        for result, p, q in zip(results, time_p, sla_p, strict=True)
    ]
    groups = tuple(replace(result, findings=_findings(result, params)) for result in results)
    overall = _summary(ALL_GROUPS, len(observations), all_seconds, all_outcomes)
    return FairnessReport(groups=groups, overall=overall, params=params)


def quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """Return the q-quantile of sorted values by linear interpolation (type 7); None if empty."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low])


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Return Holm-Bonferroni adjusted p-values in the input order."""
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for step, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - step) * p_values[index]))
        adjusted[index] = running
    return adjusted


def mann_whitney_greater_p(sample: Sequence[float], others: Sequence[float]) -> float:
    """Return the one-sided p-value that `sample` tends to be larger than `others`."""
    ranks, tie_term = _mid_ranks([*sample, *others])
    u = sum(ranks[: len(sample)]) - len(sample) * (len(sample) + 1) / 2
    return _mann_whitney_greater_p(u, len(sample), len(others), tie_term)


def fisher_lower_p(successes: int, draws: int, total_successes: int, total: int) -> float:
    """Return the one-sided Fisher exact p-value that `draws` hold this few successes or fewer.

    The draws are a subset of `total` items of which `total_successes` are successes.
    """
    failures = total - total_successes
    log_all = _log_comb(total, draws)
    lowest = max(0, draws - failures)
    p = sum(
        math.exp(_log_comb(total_successes, k) + _log_comb(failures, draws - k) - log_all)
        for k in range(lowest, successes + 1)
    )
    return min(1.0, p)


def _canonical(observation: Observation) -> tuple[str, bool, float, bool, bool]:
    return (
        observation.group,
        observation.seconds is None,
        observation.seconds or 0.0,
        observation.met is None,
        bool(observation.met),
    )


def _summary(
    name: str, tickets: int, seconds: Sequence[float], outcomes: Sequence[bool]
) -> GroupResult:
    return GroupResult(
        group=name,
        tickets=tickets,
        count=len(seconds),
        median_seconds=quantile(seconds, 0.5),
        p90_seconds=quantile(seconds, 0.9),
        sla_count=len(outcomes),
        sla_met_percent=100 * sum(outcomes) / len(outcomes) if outcomes else None,
    )


def _holm_optional(p_values: Sequence[float | None]) -> list[float | None]:
    adjusted = iter(holm_adjust([p for p in p_values if p is not None]))
    return [None if p is None else next(adjusted) for p in p_values]


def _findings(result: GroupResult, params: FairnessParams) -> tuple[Finding, ...]:
    findings = []
    if (
        result.p_value is not None
        and result.relative_gap is not None
        and result.p_value <= params.alpha
        and result.relative_gap >= params.min_relative_gap
    ):
        findings.append(Finding.SLOWER)
    if (
        result.sla_p_value is not None
        and result.sla_gap_points is not None
        and result.sla_p_value <= params.alpha
        and -result.sla_gap_points >= params.min_sla_gap_points
    ):
        findings.append(Finding.LOWER_SLA)
    if result.tickets < params.min_count:
        findings.append(Finding.TOO_FEW_TICKETS)
    return tuple(findings)


def _mid_ranks(values: Sequence[float]) -> tuple[list[float], float]:
    """Return 1-based ranks in input order, ties sharing their mean rank, and sum(t^3 - t)."""
    order = sorted(range(len(values)), key=lambda index: values[index])
    ranks = [0.0] * len(values)
    tie_term = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        size = end - start + 1
        tie_term += size**3 - size
        start = end + 1
    return ranks, tie_term


def _mann_whitney_greater_p(u: float, n1: int, n2: int, tie_term: float) -> float:
    total = n1 + n2
    variance = n1 * n2 / 12 * ((total + 1) - tie_term / (total * (total - 1)))
    if variance <= 0:
        return 1.0
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return min(1.0, 0.5 * math.erfc(z / math.sqrt(2)))


def _relative_gap(group_median: float | None, rest_median: float | None) -> float | None:
    # Against a rest median of zero no ratio is meaningful; the test then cannot warn.
    if group_median is None or not rest_median:
        return None
    return group_median / rest_median - 1


def _without(sorted_all: Sequence[float], sorted_part: Sequence[float]) -> list[float]:
    """Return the sorted multiset difference of two sorted sequences."""
    rest: list[float] = []
    index = 0
    for value in sorted_all:
        if index < len(sorted_part) and sorted_part[index] == value:
            index += 1
        else:
            rest.append(value)
    return rest


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
