"""Writes about how customers write: the tone of each message and each person's temperament.

A message's tone is stored in the transaction that stores the message, so every customer
message has its tone from the moment it exists. The analysis itself (about a millisecond for
a typical message, models loaded once per process) needs only the text: the services run it
before they open that transaction, which on SQLite holds the one writer's turn. Temperaments
are recomputed after the commit, by a task.
"""

from __future__ import annotations

import logging

from layan.core import clock
from layan.core.instances import instance_build
from layan.customers.models import Contact, Customer
from layan.insight.analysis import Analysis, analyze
from layan.insight.temperament import MessageTone, temperament_assess
from layan.logbook.models import Entry
from layan.tickets.models import ANGRY_AT, Ticket, Tone

logger = logging.getLogger(__name__)

TEMPERAMENT_MESSAGES = 60  # the most recent messages a temperament is read from


def tone_build(
    *,
    entry: Entry,
    ticket: Ticket,
    contact: Contact | None,
    text: str,
    analysis: Analysis | None = None,
) -> Tone:
    """Analyse a customer's message; return its unsaved tone, which the caller stores in the
    transaction that stores the message (an import stores many at once) and whose `anger` and
    `abusive` it copies onto the ticket in the update it makes anyway.

    `analysis` is `text` analysed ahead of time (before the transaction, or in another
    process), if it was."""
    analysis = analysis or analyze(text)
    sentiment = analysis.sentiment.scores
    anger, abusive = tone_marks(analysis)
    return instance_build(
        Tone,
        entry=entry,
        ticket=ticket,
        contact=contact,
        occurred_at=entry.occurred_at,
        language=analysis.language.label,
        sentiment=analysis.sentiment.label,
        negative=sentiment.get("negative", 0.0),
        neutral=sentiment.get("neutral", 0.0),
        positive=sentiment.get("positive", 0.0),
        anger=anger,
        abusive=abusive,
        abuse_terms=list(analysis.abuse.terms)[:20],
        urgent=analysis.urgency.label == "urgent",
        urgency_cues=list(analysis.urgency.terms)[:20],
    )


def tone_marks(analysis: Analysis) -> tuple[float, bool]:
    """What a message's tone marks on its ticket: its anger, and whether it is abusive."""
    return analysis.anger.scores.get("anger", 0.0), analysis.abuse.label == "abusive"


def _assessed(tones: list[Tone]) -> dict[str, object]:
    result = temperament_assess(
        (
            MessageTone(
                id=tone.pk,
                occurred_at=tone.occurred_at,
                sentiment={
                    "negative": tone.negative,
                    "neutral": tone.neutral,
                    "positive": tone.positive,
                },
                anger=tone.anger,
                abusive=tone.abusive,
            )
            for tone in tones
        ),
        now=clock.now(),
    )
    return {
        "temperament": result.label,
        "temperament_trend": result.trend,
        "temperament_score": result.score,
        "temperament_series": list(result.series),
        "temperament_evidence": list(result.evidence),
        "temperament_at": clock.now(),
    }


def temperament_refresh(*, ticket: Ticket) -> None:
    """Recompute the temperament of the ticket's requester and of its customer."""
    contact_tones = list(
        Tone.objects.filter(contact_id=ticket.requester_id).order_by("-occurred_at")[
            :TEMPERAMENT_MESSAGES
        ]
    )
    customer_tones = list(
        Tone.objects.filter(ticket__customer_id=ticket.customer_id).order_by("-occurred_at")[
            :TEMPERAMENT_MESSAGES
        ]
    )
    Contact.objects.filter(pk=ticket.requester_id).update(**_assessed(contact_tones))
    Customer.objects.filter(pk=ticket.customer_id).update(**_assessed(customer_tones))


def is_angry(tone: Tone) -> bool:
    return tone.anger >= ANGRY_AT
