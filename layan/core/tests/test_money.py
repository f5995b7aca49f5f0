from decimal import Decimal

import pytest

from layan.core.money import idr_compact, idr_format


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "Rp 0"),
        (1250000, "Rp 1.250.000"),
        (Decimal("999.6"), "Rp 1.000"),
        (-75000, "-Rp 75.000"),
        (None, "–"),
    ],
)
def test_idr_format(amount: int | Decimal | None, expected: str) -> None:
    assert idr_format(amount) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(1_200_000, "Rp 1,2 jt"), (3_000_000_000, "Rp 3 M"), (950_000, "Rp 950.000")],
)
def test_idr_compact(amount: int, expected: str) -> None:
    assert idr_compact(amount) == expected
