import csv
import io
import json
import random

import pytest

from layan.reports.fairness import (
    ALL_GROUPS,
    FairnessParams,
    Finding,
    Observation,
    fairness_report,
    fisher_lower_p,
    holm_adjust,
    mann_whitney_greater_p,
    quantile,
)

HOUR = 3600.0


def response_times(seed: int, count: int, *, scale: float = 1.0) -> list[float]:
    """Right-skewed times around a two-hour median, as first responses tend to be."""
    rng = random.Random(seed)
    return [scale * rng.lognormvariate(0, 0.8) * 2 * HOUR for _ in range(count)]


def observations(group: str, seconds: list[float], met_every: int = 0) -> list[Observation]:
    """Tickets of one group; with `met_every`=k, every k-th ticket misses the SLA."""
    return [
        Observation(group, value, met=not met_every or index % met_every != 0)
        for index, value in enumerate(seconds, start=1)
    ]


def by_group(report):
    return {group.group: group for group in report.groups}


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5.5, 9.1),
        ([7], 7, 7),
        ([1, 3], 2, 2.8),
        ([], None, None),
    ],
)
def test_quantile_interpolates_linearly_between_order_statistics(values, median, p90):
    """Median and 90th percentile follow Hyndman-Fan type 7, as spreadsheets' PERCENTILE.INC."""
    assert quantile(values, 0.5) == pytest.approx(median)
    assert quantile(values, 0.9) == pytest.approx(p90)


@pytest.mark.parametrize(
    ("raw", "adjusted"),
    [
        ([0.01, 0.04, 0.03], [0.03, 0.06, 0.06]),
        ([0.5, 0.001], [0.5, 0.002]),
        ([0.6, 0.7, 0.9], [1.0, 1.0, 1.0]),
        ([], []),
    ],
)
def test_holm_adjustment(raw, adjusted):
    """Holm multiplies the k-th smallest p-value by (m - k + 1) and keeps the order monotone."""
    assert holm_adjust(raw) == pytest.approx(adjusted)


def test_mann_whitney_matches_the_reference_normal_approximation():
    """The one-sided p-value equals scipy's asymptotic test with continuity correction."""
    slower = [4, 5, 6, 7, 9, 12]
    faster = [1, 2, 3, 3, 5, 8, 2, 4]

    assert mann_whitney_greater_p(slower, faster) == pytest.approx(0.0116269595, rel=1e-8)
    assert mann_whitney_greater_p([1, 1, 1], [1, 1, 1]) == 1.0


def test_fisher_matches_the_reference_exact_test():
    """12 of 20 met against 45 of 50 gives scipy's one-sided Fisher p-value."""
    assert fisher_lower_p(12, 20, 57, 70) == pytest.approx(0.0065186830, rel=1e-8)
    assert fisher_lower_p(20, 20, 57, 70) == pytest.approx(1.0)


def test_equal_groups_raise_no_warning():
    """Tiers served from the same distribution get no warning."""
    data = [
        *observations("gold", response_times(1, 150), met_every=10),
        *observations("silver", response_times(2, 150), met_every=10),
        *observations("bronze", response_times(3, 150), met_every=10),
    ]

    report = fairness_report(data)

    assert report.warnings == ()
    assert all(group.findings == () for group in report.groups)
    assert all(0.3 < group.prob_slower < 0.7 for group in report.groups)


def test_a_clearly_slower_group_with_enough_tickets_is_flagged():
    """Small customers waiting twice as long, on 60 tickets, raise a warning for them alone."""
    data = [
        *observations("large", response_times(1, 200)),
        *observations("medium", response_times(2, 200)),
        *observations("small", response_times(3, 60, scale=2.0), met_every=3),
    ]

    groups = by_group(fairness_report(data))

    assert groups["small"].findings == (Finding.SLOWER, Finding.LOWER_SLA)
    assert groups["small"].relative_gap > 0.5
    assert groups["small"].p_value < 0.001
    assert groups["small"].sla_gap_points == pytest.approx(100 * 40 / 60 - 100)
    assert groups["large"].findings == ()
    assert groups["medium"].findings == ()


def test_a_large_gap_on_three_tickets_is_only_too_few():
    """Three very slow tickets are not evidence: no warning, but marked as too few tickets."""
    data = [
        *observations("external", response_times(1, 300)),
        *observations("internal", [40 * HOUR, 50 * HOUR, 60 * HOUR], met_every=1),
    ]

    internal = by_group(fairness_report(data))["internal"]

    assert internal.findings == (Finding.TOO_FEW_TICKETS,)
    assert not internal.warning
    assert internal.p_value is None
    assert internal.median_seconds == 50 * HOUR


def test_a_significant_but_tiny_difference_raises_no_warning():
    """Eight percent slower over thousands of tickets is significant yet below the effect size."""
    base = response_times(1, 3000)
    data = [*observations("yes", base), *observations("no", [1.08 * value for value in base])]

    no = by_group(fairness_report(data))["no"]

    assert no.p_value < 0.05
    assert no.relative_gap == pytest.approx(0.08)
    assert no.findings == ()


def test_a_significant_but_tiny_sla_difference_raises_no_warning():
    """SLA at 94 % against 96 % over thousands of tickets is significant but under 10 points."""
    data = [
        *[Observation("bad", met=index % 50 >= 3) for index in range(5000)],
        *[Observation("yes", met=index % 50 >= 2) for index in range(5000)],
    ]

    bad = by_group(fairness_report(data))["bad"]

    assert bad.sla_met_percent == pytest.approx(94.0)
    assert bad.sla_p_value < 0.05
    assert bad.findings == ()


def test_parameters_change_the_thresholds():
    """A stricter effect size suppresses a warning that the default raises."""
    data = [
        *observations("large", response_times(1, 200)),
        *observations("small", response_times(3, 60, scale=1.6)),
    ]

    default = by_group(fairness_report(data))["small"]
    strict = by_group(fairness_report(data, params=FairnessParams(min_relative_gap=2.0)))["small"]

    assert Finding.SLOWER in default.findings
    assert Finding.SLOWER not in strict.findings


def test_the_same_tickets_in_any_order_give_the_same_report():
    """The report is deterministic: repeated and reordered input yield identical results."""
    data = [
        *observations("gold", response_times(1, 80), met_every=7),
        *observations("silver", response_times(2, 80, scale=1.5), met_every=4),
        Observation("silver"),
        Observation("bronze", 5 * HOUR),
    ]
    shuffled = random.Random(9).sample(data, len(data))

    assert fairness_report(data) == fairness_report(data)
    assert fairness_report(shuffled) == fairness_report(data)


def test_rows_serialise_to_json_and_csv():
    """Rows hold plain values, one per group and one for all tickets."""
    data = [
        *observations("gold", response_times(1, 30), met_every=5),
        *observations("silver", response_times(2, 5)),
    ]

    rows = fairness_report(data).rows()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    assert [row["group"] for row in rows] == ["gold", "silver", ALL_GROUPS]
    assert json.loads(json.dumps(rows))[1]["findings"] == "too_few_tickets"
    assert rows[2]["count"] == 35
    assert rows[2]["sla_met_percent"] == pytest.approx(100 * 29 / 35)
    assert buffer.getvalue().count("\n") == 4
