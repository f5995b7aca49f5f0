from __future__ import annotations

from django.tasks import task

from layan.channels.email.imap import mailboxes_poll
from layan.channels.outbox import outbox_due, outbox_send, survey_send


@task()
def outbox_send_task(outbound_id: int) -> str:
    return outbox_send(outbound_id)


@task()
def outbox_sweep_task() -> int:
    """Send what is due: retries after back-off, and anything whose enqueue was lost."""
    due = outbox_due()
    for outbound_id in due:
        outbox_send(outbound_id)
    return len(due)


@task()
def mail_poll_task() -> int:
    return sum(result.imported for result in mailboxes_poll())


@task()
def ticket_survey_task(ticket_id: int) -> bool:
    """After a change: if the ticket was just resolved, send its satisfaction survey once."""
    from django.db import transaction

    from layan.tickets.models import Ticket

    ticket = (
        Ticket.objects.select_related("chain", "requester", "owner", "team")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return False
    with transaction.atomic():
        return survey_send(ticket=ticket) is not None
