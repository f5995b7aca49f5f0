from __future__ import annotations

from django.tasks import task

from layan.tickets.models import Ticket
from layan.tickets.tone import temperament_refresh


@task()
def temperament_refresh_task(ticket_id: int) -> None:
    """Recompute the temperaments a ticket's messages speak for (safe to run twice)."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        temperament_refresh(ticket=ticket)
