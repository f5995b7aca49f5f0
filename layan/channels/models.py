from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layan.core.models import Blob


class Mailbox(models.Model):
    """An IMAP mailbox Layan polls; new tickets from it go to its team."""

    class Action(models.TextChoices):
        SEEN = "seen", _("Mark as read")
        MOVE = "move", _("Move to a folder")

    name = models.CharField(_("name"), max_length=80, unique=True)
    address = models.EmailField(_("address customers write to"))
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    ssl = models.BooleanField(_("TLS"), default=True)
    username = models.CharField(_("username"), max_length=200)
    # Kept for the poller only; never written to logs, errors or exports.
    password = models.CharField(_("password"), max_length=500)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    action = models.CharField(
        _("after import"), max_length=10, choices=Action.choices, default=Action.SEEN
    )
    move_to = models.CharField(_("move to folder"), max_length=200, blank=True)
    team = models.ForeignKey(
        "team.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    active = models.BooleanField(_("active"), default=True)
    uidvalidity = models.PositiveBigIntegerField(null=True, blank=True)
    last_uid = models.PositiveBigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class Outcome(models.TextChoices):
    NEW_TICKET = "new_ticket", _("New ticket")
    THREADED = "threaded", _("Added to a ticket")
    DUPLICATE = "duplicate", _("Duplicate")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Bounce")
    OWN_MESSAGE = "own_message", _("Our own message")
    KEPT_RAW = "kept_raw", _("Kept raw (not readable)")
    QUARANTINED = "quarantined", _("Quarantined after repeated failures")
    PENDING = "pending", _("Waiting to be processed")


class InboundRecord(models.Model):
    """Every message that reached us, kept raw, with what intake made of it.

    The unique keys make intake idempotent: a message seen again (same IMAP UID, or the same
    Message-ID with the same content) is a duplicate and changes nothing.
    """

    channel = models.CharField(max_length=20)
    mailbox = models.ForeignKey(  # indexed by inbound_unflagged
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    uidvalidity = models.PositiveBigIntegerField(null=True, blank=True)
    uid = models.PositiveBigIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    # SHA-256 of the message without the trace headers relays add (Received, Delivered-To...),
    # so the same message fetched by IMAP and piped by the MTA is recognised as one.
    content_sha256 = models.CharField(max_length=64)
    raw = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=300, blank=True)  # file path of an import, "pipe"
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entry = models.ForeignKey(
        "logbook.Entry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged = models.BooleanField(default=False)  # seen/moved on the IMAP server
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                condition=Q(uid__isnull=False),
                name="inbound_imap_uid",
            ),
            models.UniqueConstraint(
                fields=["channel", "external_id", "content_sha256"], name="inbound_content"
            ),
        ]
        indexes = [
            # the poller re-applies IMAP flags it could not set: WHERE mailbox_id=? AND NOT flagged
            models.Index(fields=["mailbox", "flagged"], name="inbound_unflagged"),
            # the quarantine page: WHERE outcome IN (...) ORDER BY received_at DESC
            models.Index(fields=["outcome", "-received_at"], name="inbound_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id or self.content_sha256[:12]} {self.outcome}"


class Delivery(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class OutboundRecord(models.Model):
    """One message on its way out: composed once, so every retry sends the same bytes."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField("logbook.Entry", on_delete=models.PROTECT, related_name="outbound")
    channel = models.CharField(max_length=20, default="email")
    message_id = models.CharField(max_length=255, unique=True)
    sender = models.CharField(max_length=254)
    recipients = models.JSONField()  # addresses, in order
    # Per-recipient outcome: {"addr": "sent" | "refused: 550 ..."}; accepted ones are never resent.
    recipient_status = models.JSONField(default=dict)
    raw = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # the sender's sweep: WHERE status IN ('queued','sending') AND next_attempt_at <= now
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class TicketLink(models.Model):
    """Two tickets that belong together: a reply that could not be trusted to join a ticket,
    or a message about a closed one."""

    class Reason(models.TextChoices):
        POSSIBLY_RELATED = "possibly_related", _("Possibly related")
        FOLLOW_UP = "follow_up", _("Follow-up of a closed ticket")

    ticket = models.ForeignKey(  # indexed by ticket_link_once
        "tickets.Ticket", on_delete=models.CASCADE, related_name="links", db_index=False
    )
    other = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "other"], name="ticket_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} ~ {self.other_id}"
