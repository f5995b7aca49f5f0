"""SLA on staff pages: the ticket's SLA card, due times in lists, and the notification badge."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from layan.core import clock
from layan.sla.models import Policy, StateChoice
from layan.sla.queries import ticket_sla
from layan.team.notifications import notifications_unread_count
from layan.tickets.models import Priority, Ticket

register = template.Library()


@register.inclusion_tag("sla/panel.html")
def sla_panel(ticket: Ticket) -> dict[str, Any]:
    """Render the SLA card of an authorised ticket: a state and a due time per metric."""
    row = ticket_sla(ticket)
    now = clock.now()
    metrics = []
    if row is not None:
        metrics = [
            {"metric": metric, "state": metric.state_at(now), "label": metric.state_label_at(now)}
            for metric in row.metrics
            if metric.state != StateChoice.NOT_APPLICABLE
        ]
    return {"sla": row, "metrics": metrics, "now": now}


@register.filter
def duration(seconds: float | int | None) -> str:
    """Write a duration compactly in days, hours and minutes ("1 d 2 h", "3 h 05 m")."""
    if seconds is None:
        return "—"
    minutes = round(float(seconds) / 60)
    days, rest = divmod(abs(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    sign = "-" if minutes < 0 else ""
    if days:
        return sign + _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return sign + _("%(h)s h %(m)02d m") % {"h": hours, "m": mins}
    return sign + _("%(m)s m") % {"m": mins}


@register.simple_tag(takes_context=True)
def notification_badge(context: template.Context) -> int:
    """Return the signed-in user's unread notifications (0 for anyone else)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return notifications_unread_count(user)


@register.filter
def minutes(value: int | None) -> str:
    """Write a number of minutes as a duration."""
    return duration(None if value is None else value * 60)


@register.simple_tag
def policy_targets(policy: Policy, metric: str) -> str:
    """Return a policy's targets for one metric, most urgent first ("Urgent 30 m · High 1 h")."""
    by_priority = {t.priority: t for t in policy.targets.all() if t.metric == metric}
    parts = []
    for priority in reversed(Priority.values):
        target = by_priority.get(priority)
        if target is not None:
            basis = "" if target.business else " (24/7)"
            parts.append(f"{Priority(priority).label} {minutes(target.minutes)}{basis}")
    return " · ".join(parts) or "—"
