"""A ticket's evidence bundle: the readable transcript and the export that logs itself."""

from __future__ import annotations

import os
from typing import IO

from django.template.loader import render_to_string
from django.utils import translation

from layan.core import clock
from layan.logbook.evidence import evidence_write
from layan.logbook.models import Direction, Kind
from layan.logbook.services import entry_append
from layan.logbook.signing import key_fingerprint
from layan.team.models import User
from layan.tickets.models import Ticket
from layan.tickets.queries import ticket_timeline


def ticket_transcript(ticket: Ticket, *, language: str = "id") -> str:
    """Render the human-readable transcript that goes inside the bundle."""
    with translation.override(language):
        return render_to_string(
            "tickets/transcript.html",
            {"ticket": ticket, "timeline": ticket_timeline(ticket), "now": clock.now()},
        )


def ticket_evidence_export(
    *,
    ticket: Ticket,
    actor: User | None,
    target: str | os.PathLike[str] | IO[bytes],
    language: str = "id",
) -> str:
    """Write the ticket's evidence bundle to `target`, record who exported it, return its digest.

    The export is recorded after the bundle is written, so the bundle ends at the signed head
    and the record of the export follows it in the chain.
    """
    digest, checkpoint = evidence_write(
        chain=ticket.chain,
        target=target,
        transcript_html=ticket_transcript(ticket, language=language),
    )
    entry_append(
        chain=ticket.chain,
        kind=Kind.EVENT,
        direction=Direction.INTERNAL,
        channel="system" if actor is None else "ui",
        actor_user=actor,
        data={
            "event": "evidence_exported",
            "manifest_sha256": digest,
            "checkpoint": checkpoint.pk,
            "key": key_fingerprint(bytes.fromhex(checkpoint.key.public_key))[:16],
        },
    )
    return digest
