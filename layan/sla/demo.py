"""The demo's SLA set-up: its calendars and policies, then every ticket's SLA state."""

from __future__ import annotations

from collections.abc import Mapping

from layan.sla.calendars import INDONESIAN_OFFICE_HOURS, WIB, WITA
from layan.sla.models import Calendar, Policy
from layan.sla.services import (
    RefreshResult,
    TargetSpec,
    calendar_save,
    policy_save,
    sla_now,
    sla_refresh,
)
from layan.team.models import Team
from layan.tickets.models import Ticket

PRIORITIES = ("urgent", "high", "normal", "low")
# Working minutes per priority (urgent, high, normal, low).
STANDARD: Mapping[str, tuple[int, ...]] = {
    "first_response": (30, 60, 240, 480),
    "next_response": (60, 120, 480, 960),
    "resolution": (480, 960, 2400, 4800),
}
COMPLAINTS: Mapping[str, tuple[int, ...]] = {
    "first_response": (30, 60, 120, 240),
    "next_response": (60, 120, 240, 480),
    "resolution": (480, 960, 1920, 2880),
}


def targets_table(table: Mapping[str, tuple[int, ...]]) -> list[TargetSpec]:
    return [
        TargetSpec(metric=metric, priority=priority, minutes=minutes)
        for metric, values in table.items()
        for priority, minutes in zip(PRIORITIES, values, strict=True)
    ]


def sla_demo_load() -> RefreshResult:
    """Set up the demo's calendars and policies and evaluate every ticket at the database clock.

    Evaluation of the past raises no warnings: the notices a live installation would have sent
    over those months would bury the ones that matter today.
    """
    jakarta = Calendar.objects.filter(is_default=True).first()
    jakarta = calendar_save(
        actor=None,
        calendar=jakarta,
        name=jakarta.name if jakarta else "Jam kantor (WIB)",
        zone=WIB,
        hours=INDONESIAN_OFFICE_HOURS,
        is_default=True,
    )
    surabaya_hours = {day: ("08:00-12:00", "13:00-16:00") for day in range(5)} | {
        5: ("08:00-12:00",)
    }
    calendar_save(actor=None, name="Gudang Surabaya (WIB)", zone=WIB, hours=surabaya_hours)
    calendar_save(
        actor=None,
        name="Mitra Makassar (WITA)",
        zone=WITA,
        hours={day: ("08:00-16:00",) for day in range(5)},
    )
    standard = Policy.objects.filter(is_default=True).first()
    policy_save(
        actor=None,
        policy=standard,
        name=standard.name if standard else "Standar",
        is_default=True,
        position=1000,
        targets=targets_table(STANDARD),
    )
    policy_save(
        actor=None,
        name="Keluhan",
        match_category="complaint",
        position=10,
        targets=targets_table(COMPLAINTS),
    )
    production = Team.objects.filter(name="Produksi").first()
    if production is not None:
        policy_save(
            actor=None,
            name="Produksi (Gudang Surabaya)",
            match_team=production,
            position=20,
            calendar=Calendar.objects.get(name="Gudang Surabaya (WIB)"),
            targets=targets_table(STANDARD),
        )
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    return sla_refresh(ids, now=sla_now(), alert=False)
