"""Where a promised delivery date stands: on track, at risk, late, or delivered."""

from __future__ import annotations

from datetime import date

NO_DATE = "no_date"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
LATE = "late"
DELIVERED = "delivered"
DELIVERED_LATE = "delivered_late"

# Days before the promised date from which an undelivered order needs attention.
AT_RISK_DAYS = 3


def commitment_state(
    *, promised: date | None, delivered: date | None, today: date, risk_days: int = AT_RISK_DAYS
) -> str:
    """Return the state of a promise to deliver on `promised`, seen on `today`.

    The promised day itself is still on time; "late" starts the day after.
    """
    if delivered is not None:
        return DELIVERED_LATE if promised is not None and delivered > promised else DELIVERED
    if promised is None:
        return NO_DATE
    if today > promised:
        return LATE
    if (promised - today).days <= risk_days:
        return AT_RISK
    return ON_TRACK
