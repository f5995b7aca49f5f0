from datetime import date

import pytest

from layan.agreements.commitments import (
    AT_RISK,
    DELIVERED,
    DELIVERED_LATE,
    LATE,
    NO_DATE,
    ON_TRACK,
    commitment_state,
)

TODAY = date(2025, 3, 10)


@pytest.mark.parametrize(
    ("promised", "delivered", "state"),
    [
        (None, None, NO_DATE),
        (date(2025, 3, 20), None, ON_TRACK),
        (date(2025, 3, 14), None, ON_TRACK),
        (date(2025, 3, 13), None, AT_RISK),
        (date(2025, 3, 10), None, AT_RISK),
        (date(2025, 3, 9), None, LATE),
        (date(2025, 3, 9), date(2025, 3, 9), DELIVERED),
        (date(2025, 3, 9), date(2025, 3, 10), DELIVERED_LATE),
        (None, date(2025, 3, 1), DELIVERED),
    ],
)
def test_commitment_state(promised: date | None, delivered: date | None, state: str) -> None:
    """Within three days of the promise an undelivered order is at risk; after it, late."""
    assert commitment_state(promised=promised, delivered=delivered, today=TODAY) == state
