"""In-app notifications to staff, each also mailed once: writes and the reads that show them.

Exactly once: the row is unique per (user, key), so a producer that runs twice, or on two
workers, finds the notice already there. The mail is claimed before it is sent (a conditional
UPDATE), so a retry never mails twice; a failed send is released for a later retry, and a crash
between claiming and sending loses that one mail rather than sending it twice.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from layan.core import clock
from layan.core.reads import PreparedValues
from layan.team.models import Notification, User

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5


def notify(
    *,
    user: User,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
) -> Notification | None:
    """Create the notice `key` for `user` unless it exists; return it, or None if it existed.

    With `email`, the notice is also mailed to the user's address after the transaction
    commits.
    """
    with transaction.atomic():
        notice, created = Notification.objects.get_or_create(
            user=user,
            key=key[:200],
            defaults={
                "kind": kind,
                "title": title[:300],
                "body": body,
                "url": url,
                "created_at": clock.now(),
                "email_pending": email and bool(user.email),
            },
        )
        if not created:
            return None
        if notice.email_pending:
            transaction.on_commit(partial(notification_email_send, notification_id=notice.pk))
    logger.info("notification_created", extra={"user": user.pk, "kind": kind})
    return notice


def notification_email_send(*, notification_id: int) -> bool:
    """Mail one notice if it still waits to be mailed; return whether this call sent it."""
    claimed = Notification.objects.filter(pk=notification_id, email_pending=True).update(
        email_pending=False, email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return False
    notice = Notification.objects.select_related("user").get(pk=notification_id)
    user = notice.user
    with translation.override(user.language):
        link = settings.LAYAN_BASE_URL.rstrip("/") + notice.url if notice.url else ""
        text = "\n\n".join(part for part in (notice.body, link) if part)
        footer = _("You receive this because you work on this ticket in %(site)s.") % {
            "site": settings.LAYAN_SITE_NAME
        }
        message = EmailMessage(
            subject=notice.title, body=f"{text}\n\n-- \n{footer}\n", to=[user.email]
        )
    message.extra_headers["Auto-Submitted"] = "auto-generated"
    try:
        message.send()
    except OSError as error:
        # A mail server that is down fails every notice the same way: one line each, no trace.
        logger.warning(
            "notification_email_failed", extra={"notification": notice.pk, "error": str(error)}
        )
        if notice.email_attempts < MAX_EMAIL_ATTEMPTS:
            Notification.objects.filter(pk=notice.pk).update(email_pending=True)
        return False
    Notification.objects.filter(pk=notice.pk).update(emailed_at=clock.now())
    return True


def notification_emails_retry(*, limit: int = 100) -> int:
    """Mail notices still waiting (a failed send, or a process stopped before sending)."""
    pending = list(
        Notification.objects.filter(email_pending=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(notification_email_send(notification_id=pk) for pk in pending)


def notification_read(*, user: User, notification: Notification) -> None:
    """Mark one of the user's notices read."""
    if notification.user_id != user.pk:
        raise Http404("No such notification")
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=clock.now()
    )


def notifications_read_all(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())


def notifications_for(user: User) -> QuerySet[Notification]:
    """Return the user's notices, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_for(user: User, pk: int) -> Notification:
    """Return one of the user's notices, or 404."""
    notice = Notification.objects.filter(user=user, pk=pk).first()
    if notice is None:
        raise Http404("No such notification")
    return notice


# Every page's header shows the badge: its count is built once (see `layan.core.reads`).
# Grouped by user, so a user with no unread notice gets no row.
_unread = PreparedValues(
    lambda user: (
        Notification.objects.filter(user_id=user, read_at__isnull=True)
        .values("user_id")
        .annotate(unread=Count("pk"))
        .values_list("unread")
    ),
    user=int,
)


def notifications_unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    rows = _unread.rows(user=user.pk)
    return int(rows[0][0]) if rows else 0
