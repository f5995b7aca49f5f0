from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.core.models import Blob


class Chain(models.Model):
    """One hash chain of entries (one per ticket); its row is the lock appenders take."""

    label = models.CharField(max_length=40, unique=True)  # "1042" for ticket #1042
    head_seq = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)
    # The head seq the newest checkpoint recorded, so a checkpoint stores only what moved.
    checkpointed_seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.label


class Kind(models.TextChoices):
    MESSAGE = "message", _("Message")  # from the customer
    REPLY = "reply", _("Reply")  # from us to the customer
    NOTE = "note", _("Internal note")
    STATUS = "status", _("Status changed")
    OWNER = "owner", _("Owner changed")
    PRIORITY = "priority", _("Priority changed")
    TEAM = "team", _("Team changed")
    CATEGORY = "category", _("Category changed")
    CUSTOMER = "customer", _("Customer changed")
    TAGS = "tags", _("Tags changed")
    CREATED = "created", _("Ticket opened")
    DELIVERY = "delivery", _("Delivery status")
    REDACTION = "redaction", _("Content redacted")
    STAGE = "stage", _("Playbook stage changed")
    FAULT = "fault", _("Fault assessed")
    EVENT = "event", _("Event")


class Direction(models.TextChoices):
    IN = "in", _("Inbound")
    OUT = "out", _("Outbound")
    INTERNAL = "internal", _("Internal")


class Entry(models.Model):
    """An append-only record of one thing that happened on a ticket.

    `body_hash` is the SHA-256 of the canonical entry (see `logbook.chain`); the content columns
    hold what people read, digested into `content_sha256` with a per-entry salt so a redaction can
    erase content and salt while the chain still verifies.
    """

    # Lookups by chain use the (chain, seq) unique index: no index of its own.
    chain = models.ForeignKey(
        Chain, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    prev_hash = models.CharField(max_length=64)
    body_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=20)
    actor = models.CharField(max_length=40)  # "user:3", "contact:17", "system"
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_contact = models.ForeignKey(  # indexed by entry_contact_time
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)  # sanitised for display; the original is in `raw`
    content_salt = models.CharField(max_length=32, blank=True)  # hex; erased with the content
    content_sha256 = models.CharField(max_length=64)
    raw = models.ForeignKey(Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=255, blank=True)  # Message-ID, wamid, update id
    redacted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("logbook entry")
        verbose_name_plural = _("logbook entries")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="entry_chain_seq"),
        ]
        indexes = [
            # threading: WHERE external_id = ? (In-Reply-To / References lookups)
            models.Index(fields=["external_id"], name="entry_external_id"),
            # temperament and reports: WHERE actor_contact_id = ? ORDER BY occurred_at DESC
            models.Index(fields=["actor_contact", "-occurred_at"], name="entry_contact_time"),
        ]

    # Set on the entries `tickets.queries.ticket_timeline` gives: their attachments in order.
    files: list[EntryAttachment]

    def __str__(self) -> str:
        return f"{self.chain.label}#{self.seq} {self.kind}"

    @property
    def is_public(self) -> bool:
        return self.direction != Direction.INTERNAL


class EntryAttachment(models.Model):
    entry = models.ForeignKey(  # indexed by attachment_position
        Entry, on_delete=models.PROTECT, related_name="attachments", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    inline = models.BooleanField(default=False)
    content_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["entry", "position"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "position"], name="attachment_position"),
        ]

    def __str__(self) -> str:
        return self.filename


class SigningKey(models.Model):
    """A public key that has signed checkpoints; the private half lives outside the database."""

    key_id = models.CharField(max_length=16, primary_key=True)
    public_key = models.CharField(max_length=64)  # raw Ed25519 public key, hex
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.key_id


class Checkpoint(models.Model):
    """A signed statement of the Merkle root over every chain head at one moment."""

    size = models.PositiveBigIntegerField()  # entries in all chains
    tickets = models.PositiveBigIntegerField()  # chains
    root = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="checkpoints")
    previous = models.CharField(max_length=64)
    statement = models.JSONField()
    signature = models.CharField(max_length=128)  # hex
    statement_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        get_latest_by = "id"

    def __str__(self) -> str:
        return f"checkpoint {self.pk} ({self.size} entries)"


class CheckpointHead(models.Model):
    """A chain head as a checkpoint saw it, stored only when it moved since the one before.

    The head of chain C at checkpoint K is the row of C with the largest checkpoint id <= K.
    """

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="heads")
    chain = models.ForeignKey(  # indexed by checkpoint_head_once
        Chain, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    seq = models.PositiveBigIntegerField()
    head = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "checkpoint"], name="checkpoint_head_once"),
        ]

    def __str__(self) -> str:
        return f"{self.chain_id}@{self.seq} in checkpoint {self.checkpoint_id}"
