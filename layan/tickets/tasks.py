from __future__ import annotations

import logging

from django.conf import settings
from django.tasks import task
from django.utils.module_loading import import_string

from layan.tickets.models import Ticket
from layan.tickets.tone import temperament_refresh

logger = logging.getLogger(__name__)


@task()
def temperament_refresh_task(ticket_id: int) -> None:
    """Recompute the temperaments a ticket's messages speak for (safe to run twice)."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        temperament_refresh(ticket=ticket)


@task()
def tickets_changed_task(ticket_ids: list[int]) -> None:
    """Run every follow-up named in LAYAN_TICKET_CHANGE_TASKS for each of `ticket_ids`, here
    and in order: one queued job per change (or per slice of a batch, see `changes_batched`),
    not one per follower. A follow-up that fails is logged and every other one still runs;
    the task then fails, so the failure shows in the task results."""
    followers = [(path, import_string(path)) for path in settings.LAYAN_TICKET_CHANGE_TASKS]
    failed: list[str] = []
    for ticket_id in ticket_ids:
        for path, follower in followers:
            try:
                follower.call(ticket_id)
            except Exception:
                logger.exception(
                    "ticket_follow_up_failed", extra={"task": path, "ticket": ticket_id}
                )
                failed.append(f"{path.rpartition('.')[2]} for ticket {ticket_id}")
    if failed:
        raise RuntimeError(f"Follow-ups failed: {', '.join(failed[:20])}")
