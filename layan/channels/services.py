"""Writes for the mail pages."""

from __future__ import annotations

from django.conf import settings

from layan.channels.email.parse import parse_email
from layan.channels.intake import IntakeResult, receive
from layan.channels.models import InboundRecord, Outcome
from layan.core.blobs import blob_read


def record_retry(*, record: InboundRecord) -> IntakeResult:
    """Run a kept or quarantined message through the intake again (after a fix, say)."""
    InboundRecord.objects.filter(pk=record.pk).update(outcome=Outcome.PENDING, attempts=0)
    message = parse_email(
        blob_read(record.raw_id), max_attachment_bytes=settings.LAYAN_MAX_ATTACHMENT_BYTES
    )
    imap = (record.uidvalidity, record.uid) if record.uid is not None else None
    return receive(message, mailbox=record.mailbox, imap=imap, source=record.source)  # type: ignore[arg-type]
