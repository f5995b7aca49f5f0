from __future__ import annotations

from collections.abc import Mapping

from layan.sla.calendars import INDONESIAN_OFFICE_HOURS
from layan.sla.models import Calendar, Policy
from layan.sla.services import TargetSpec, calendar_save, policy_save

PRIORITIES = ("urgent", "high", "normal", "low")
# Working minutes per priority (urgent, high, normal, low).
STANDARD = {
    "first_response": (30, 60, 240, 480),
    "next_response": (60, 60, 120, 240),
    "resolution": (480, 960, 960, 2400),
}


def targets(table: Mapping[str, tuple[int, ...]] = STANDARD, *, business: bool = True):
    return [
        TargetSpec(metric=metric, priority=priority, minutes=minutes, business=business)
        for metric, values in table.items()
        for priority, minutes in zip(PRIORITIES, values, strict=True)
    ]


def standard_setup(*, table: Mapping[str, tuple[int, ...]] = STANDARD) -> Policy:
    """Replace whatever calendars and policies exist with Jakarta office hours and one policy."""
    Policy.objects.all().delete()
    Calendar.objects.all().delete()
    calendar_save(
        actor=None,
        name="Jakarta",
        zone="Asia/Jakarta",
        hours=INDONESIAN_OFFICE_HOURS,
        is_default=True,
    )
    return policy_save(actor=None, name="Standar", is_default=True, targets=targets(table))
