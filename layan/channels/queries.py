"""Reads for the mail pages (staff with the right role only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from layan.channels.models import InboundRecord, Mailbox, Outcome
from layan.team.models import Role, User

NEEDS_ATTENTION = (Outcome.KEPT_RAW, Outcome.QUARANTINED, Outcome.PENDING)


def can_review_mail(user: User) -> bool:
    """Raw messages nobody could file may hold anyone's data: admins and managers only."""
    return user.is_active and (user.is_superuser or user.role in (Role.ADMIN, Role.MANAGER))


def attention_for(user: User, *, limit: int = 200) -> QuerySet[InboundRecord]:
    """Messages that did not become ticket entries and wait for a person."""
    if not can_review_mail(user):
        return InboundRecord.objects.none()
    return (
        InboundRecord.objects.filter(outcome__in=NEEDS_ATTENTION)
        .select_related("mailbox", "raw")
        .order_by("-received_at", "-pk")[:limit]
    )


def record_for(user: User, pk: int) -> InboundRecord:
    if not can_review_mail(user):
        raise Http404("No such message")
    record = InboundRecord.objects.select_related("raw").filter(pk=pk).first()
    if record is None:
        raise Http404("No such message")
    return record


def mailboxes_for(user: User) -> QuerySet[Mailbox]:
    if not can_review_mail(user):
        return Mailbox.objects.none()
    return Mailbox.objects.select_related("team").order_by("name")
