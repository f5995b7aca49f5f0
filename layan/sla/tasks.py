"""SLA tasks: after a ticket change, every minute, and after a policy or calendar change.

Each evaluates at the database's clock (`services.sla_now`), never the worker's own.
"""

from __future__ import annotations

from django.tasks import task

from layan.sla import services
from layan.team.notifications import notification_emails_retry


@task()
def ticket_sla_refresh_task(ticket_id: int) -> int:
    """Evaluate one ticket after a committed change; named in LAYAN_TICKET_CHANGE_TASKS."""
    return services.sla_refresh([ticket_id], now=services.sla_now()).evaluated


@task()
def sla_scan_task() -> int:
    """Catch SLA metrics that turn at risk or breached with time, and retry unsent mails."""
    result = services.sla_scan(now=services.sla_now())
    notification_emails_retry()
    return result.evaluated


@task()
def sla_recompute_open_task() -> int:
    """Evaluate every active ticket again under the policies and calendars now in force."""
    return services.sla_recompute(now=services.sla_now()).evaluated
