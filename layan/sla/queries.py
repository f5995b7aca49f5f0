"""Reads of SLA configuration and of a ticket's SLA state."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from layan.core.reads import PreparedRead
from layan.sla.models import Calendar, CalendarHoliday, Policy, TicketSla
from layan.team.models import Role, User
from layan.tickets.models import Ticket


def can_manage_sla(user: User) -> bool:
    """Admins and managers configure calendars and policies; everyone else reads them."""
    return user.is_active and (user.is_superuser or user.role in (Role.ADMIN, Role.MANAGER))


# Every ticket page shows it: built once (see `layan.core.reads`).
_ticket_sla = PreparedRead(
    lambda ticket: TicketSla.objects.filter(ticket_id=ticket).select_related("policy"),
    ticket=int,
)


def ticket_sla(ticket: Ticket) -> TicketSla | None:
    """Return the stored SLA of an authorised ticket; None before its first evaluation."""
    return _ticket_sla.one(ticket=ticket.pk)  # one per ticket


def calendars_all() -> QuerySet[Calendar]:
    return Calendar.objects.order_by("-is_default", "name")


def calendar_get(pk: int | str) -> Calendar:
    try:
        return Calendar.objects.get(pk=int(pk))
    except (Calendar.DoesNotExist, TypeError, ValueError) as error:
        raise Http404("No such calendar") from error


def calendar_holidays(calendar: Calendar) -> QuerySet[CalendarHoliday]:
    return calendar.holidays.order_by("date")


def policies_all() -> QuerySet[Policy]:
    """Return every policy in the order they are tried, the default last."""
    return (
        Policy.objects.select_related("calendar", "match_team")
        .prefetch_related("targets")
        .order_by("is_default", "-is_active", "position", "id")
    )


def policy_get(pk: int | str) -> Policy:
    try:
        return (
            Policy.objects.select_related("calendar", "match_team")
            .prefetch_related("targets")
            .get(pk=int(pk))
        )
    except (Policy.DoesNotExist, TypeError, ValueError) as error:
        raise Http404("No such policy") from error
