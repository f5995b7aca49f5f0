"""Writes for the satisfaction survey: a tokenised link, one answer, consent that can be
withdrawn. Every step is in the ticket's logbook."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from layan.core import clock
from layan.logbook.models import Direction, Kind
from layan.logbook.services import entry_append
from layan.tickets.models import Status, Survey, Ticket

SURVEY_DAYS = 14
TESTIMONIAL_MIN_RATING = 4


class SurveyClosed(Exception):
    """The link expired or was already used for this step."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_create(*, ticket: Ticket) -> tuple[Survey, str] | None:
    """Create the survey of a resolution (once per resolution); return it and the token.

    The token (256 bits) is shown once, in the mail; only its digest is stored.
    """
    if ticket.status != Status.RESOLVED or ticket.resolved_at is None:
        return None
    if Survey.objects.filter(ticket=ticket, created_at__gte=ticket.resolved_at).exists():
        return None
    token = secrets.token_urlsafe(32)
    now = clock.now()
    survey = Survey.objects.create(
        ticket=ticket,
        token_sha256=token_digest(token),
        owner=ticket.owner,
        created_at=now,
        expires_at=now + timedelta(days=SURVEY_DAYS),
    )
    return survey, token


def survey_answer(*, survey: Survey, rating: int, comment: str) -> Survey:
    """Record the customer's rating (1-5) and comment; a link answers once."""
    if not 1 <= rating <= 5:
        raise ValidationError(_("Choose from 1 to 5."))
    comment = comment.strip()[:5000]
    with transaction.atomic():
        locked = (
            Survey.objects.select_for_update().select_related("ticket__chain").get(pk=survey.pk)
        )
        if locked.answered_at is not None or locked.expires_at < clock.now():
            raise SurveyClosed
        ask = rating >= TESTIMONIAL_MIN_RATING and bool(comment)
        Survey.objects.filter(pk=locked.pk).update(
            rating=rating,
            comment=comment,
            answered_at=clock.now(),
            consent=Survey.Consent.ASKED if ask else Survey.Consent.NONE,
        )
        entry_append(
            chain=locked.ticket.chain,
            kind=Kind.EVENT,
            direction=Direction.IN,
            channel="web",
            actor_contact=locked.ticket.requester,
            text=comment,
            data={"event": "rating", "rating": rating},
        )
    survey.refresh_from_db()
    return survey


def survey_consent(*, survey: Survey, given: bool, display_name: str = "") -> Survey:
    """Record the customer's answer to "may we publish your words?"."""
    with transaction.atomic():
        locked = (
            Survey.objects.select_for_update().select_related("ticket__chain").get(pk=survey.pk)
        )
        if locked.consent != Survey.Consent.ASKED:
            raise SurveyClosed
        Survey.objects.filter(pk=locked.pk).update(
            consent=Survey.Consent.GIVEN if given else Survey.Consent.DECLINED,
            display_name=" ".join(display_name.split())[:120],
            consent_at=clock.now(),
        )
        entry_append(
            chain=locked.ticket.chain,
            kind=Kind.EVENT,
            direction=Direction.IN,
            channel="web",
            actor_contact=locked.ticket.requester,
            data={"event": "testimonial_consent", "given": given},
        )
    survey.refresh_from_db()
    return survey


def survey_consent_revoke(*, survey: Survey) -> Survey:
    """Withdraw a testimonial; it leaves every export from now on. Works after expiry too."""
    with transaction.atomic():
        locked = (
            Survey.objects.select_for_update().select_related("ticket__chain").get(pk=survey.pk)
        )
        if locked.consent != Survey.Consent.GIVEN:
            return locked
        Survey.objects.filter(pk=locked.pk).update(
            consent=Survey.Consent.REVOKED, revoked_at=clock.now()
        )
        entry_append(
            chain=locked.ticket.chain,
            kind=Kind.EVENT,
            direction=Direction.IN,
            channel="web",
            actor_contact=locked.ticket.requester,
            data={"event": "testimonial_revoked"},
        )
    survey.refresh_from_db()
    return survey
