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
def tickets_changed_task(path: str, ticket_ids: list[int]) -> None:
    """Run the follow-up task `path` for each of `ticket_ids`, here and in order (a batch of
    changes, see `changes_batched`). A ticket whose follow-up fails is logged and the others
    still get theirs; the task then fails, so the failure shows in the task results."""
    if path not in settings.LAYAN_TICKET_CHANGE_TASKS:
        raise ValueError(f"{path} is not a ticket follow-up task")
    follower = import_string(path)
    failed = []
    for ticket_id in ticket_ids:
        try:
            follower.call(ticket_id)
        except Exception:
            logger.exception("ticket_follow_up_failed", extra={"task": path, "ticket": ticket_id})
            failed.append(ticket_id)
    if failed:
        raise RuntimeError(f"{path} failed for tickets {failed[:20]}")
