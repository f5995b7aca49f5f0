from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.customers.models import Contact, Customer
from layan.knowledge.models import ChecklistItem, Fault, Stage
from layan.logbook.models import Chain
from layan.team.models import Team


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = (Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Category(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    REQUEST = "request", _("Request")
    QUESTION = "question", _("Question")


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    reference = models.PositiveBigIntegerField(_("reference"), unique=True)
    subject = models.CharField(_("subject"), max_length=300)
    # These four keys lead an index of Meta.indexes each (ticket_customer_updated,
    # ticket_requester_updated, ticket_owner_status, ticket_team_updated), which serves their
    # lookups: no index of their own, one write less per ticket for each.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    requester = models.ForeignKey(
        Contact,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tickets",
        db_index=False,
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.OPEN
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.QUESTION
    )
    channel = models.CharField(_("channel"), max_length=20, default="ui")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    chain = models.OneToOneField(Chain, on_delete=models.PROTECT, related_name="ticket")
    # Incremented by every write; forms carry it so a stale edit is refused instead of
    # silently overwriting a colleague's change.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # The complaint playbook: where the conversation stands, and whose fault it was.
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, blank=True)
    fault = models.CharField(_("fault"), max_length=12, choices=Fault.choices, blank=True)
    # A new owner reads the handover note first: set by a change of owner, cleared when read.
    handover_pending = models.BooleanField(default=False)
    # The anger of the customer's latest message (0..1), kept here so the inbox can sort by it.
    anger = models.FloatField(_("anger"), default=0.0)
    abusive = models.BooleanField(_("abusive language"), default=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # inbox, newest activity first: ORDER BY updated_at DESC, id DESC (keyset)
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated"),
            # "my tickets": WHERE owner_id = ? AND status IN (...) ORDER BY updated_at DESC
            models.Index(fields=["owner", "status", "-updated_at"], name="ticket_owner_status"),
            # agent scope: WHERE team_id IN (...) ORDER BY updated_at DESC
            models.Index(fields=["team", "-updated_at"], name="ticket_team_updated"),
            # customer 360: WHERE customer_id = ? ORDER BY updated_at DESC
            models.Index(fields=["customer", "-updated_at"], name="ticket_customer_updated"),
            # the customer's verdict suggestion: WHERE customer_id = ? AND
            # last_customer_message_at IS NOT NULL ORDER BY last_customer_message_at DESC
            # LIMIT 600 (the tickets with the newest customer messages); without it, every
            # ticket of the customer was read and sorted (3.2 ms for 2,080 at 100,000 tickets)
            models.Index(
                fields=["customer", "-last_customer_message_at"], name="ticket_customer_message"
            ),
            # contact page: WHERE requester_id = ? ORDER BY updated_at DESC
            models.Index(fields=["requester", "-updated_at"], name="ticket_requester_updated"),
            # the inbox's default view, its two orders: WHERE status IN (the active ones)
            # ORDER BY updated_at DESC, id DESC (or anger DESC, id DESC) LIMIT 51. Partial, so a
            # page reads one page of index however many tickets are closed; the query repeats
            # the condition literally (queries._status_in_literally) for the planner to match it.
            # No index may start with `status`: SQLite, which keeps no statistics unless asked,
            # would take it for the IN and sort every active ticket (ANALYZE is no cure: with
            # statistics it scans the table for the keyset condition of later pages). Other
            # status groups are read in `ticket_updated` order, filtered.
            models.Index(
                fields=["-updated_at", "-id"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_updated",
            ),
            models.Index(
                fields=["-anger", "-id"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_anger",
            ),
            # the active inbox of an agent (or of "my tickets"): WHERE (team_id IN (...) OR
            # owner_id = ?) AND status IN (the active ones) ORDER BY updated_at DESC: each side
            # of the OR reads only active tickets, already in order
            models.Index(
                fields=["team", "-updated_at", "-id"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_team",
            ),
            models.Index(
                fields=["owner", "-updated_at", "-id"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_owner",
            ),
            # reports over a period (SLA, fairness): WHERE created_at >= ? AND created_at < ?
            models.Index(fields=["created_at"], name="ticket_created"),
            # playbook report: WHERE category = 'complaint' AND created_at >= ? AND created_at < ?
            models.Index(fields=["category", "created_at"], name="ticket_category_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.reference} {self.subject}"

    @property
    def ref(self) -> str:
        return f"#{self.reference}"

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    def can_reopen(self) -> bool:
        return self.status == Status.RESOLVED

    @property
    def is_complaint(self) -> bool:
        return self.category == Category.COMPLAINT

    @property
    def is_angry(self) -> bool:
        return self.anger >= ANGRY_AT


class Tone(models.Model):
    """What the text analysis read from one customer message (written with the message)."""

    entry = models.OneToOneField("logbook.Entry", on_delete=models.PROTECT, related_name="tone")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="tones")
    contact = models.ForeignKey(  # indexed by tone_contact_time
        Contact,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tones",
        db_index=False,
    )
    occurred_at = models.DateTimeField()
    language = models.CharField(max_length=8)
    sentiment = models.CharField(max_length=10)
    negative = models.FloatField()
    neutral = models.FloatField()
    positive = models.FloatField()
    anger = models.FloatField()
    abusive = models.BooleanField(default=False)
    abuse_terms = models.JSONField(default=list, blank=True)
    urgent = models.BooleanField(default=False)
    urgency_cues = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            # a contact's temperament: WHERE contact_id = ? ORDER BY occurred_at DESC LIMIT n
            models.Index(fields=["contact", "-occurred_at"], name="tone_contact_time"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.sentiment} anger={self.anger:.2f}"

    @property
    def angry(self) -> bool:
        return self.anger >= ANGRY_AT


# Above this probability a message is shown, sorted and counted as angry.
ANGRY_AT = 0.5


class ChecklistTick(models.Model):
    """A question of the category's checklist that was asked on this ticket."""

    ticket = models.ForeignKey(  # indexed by checklist_tick_once
        Ticket, on_delete=models.CASCADE, related_name="ticks", db_index=False
    )
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="+")
    ticked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "item"], name="checklist_tick_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.item_id}"


class Survey(models.Model):
    """A satisfaction survey sent after a resolution: one tokenised link, no login."""

    class Consent(models.TextChoices):
        NONE = "", _("Not asked")
        ASKED = "asked", _("Asked")
        GIVEN = "given", _("Given")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="surveys")
    token_sha256 = models.CharField(max_length=64, unique=True)
    owner = models.ForeignKey(  # who handled the ticket when it was resolved: the credit
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    consent = models.CharField(max_length=10, choices=Consent.choices, blank=True)
    display_name = models.CharField(max_length=120, blank=True)  # how the quote is signed
    consent_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # testimonials: WHERE consent = 'given' ORDER BY answered_at DESC
            models.Index(fields=["consent", "-answered_at"], name="survey_consent"),
            # satisfaction report: WHERE created_at >= ? AND created_at < ?
            models.Index(fields=["created_at"], name="survey_created"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.rating}"


class StageSpell(models.Model):
    """A complaint's stay in one playbook stage, from entering it until the next stage change.

    A read model of the logbook's stage entries, which stay the evidence: written in the same
    transaction as the stage change, so reports add up stage times without replaying logbooks.
    The current stage's spell has no `left_at`.
    """

    ticket = models.ForeignKey(  # indexed by stage_spell_ticket_stage
        Ticket, on_delete=models.CASCADE, related_name="stage_spells", db_index=False
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            # one current spell per complaint; its partial index serves the stage change's
            # UPDATE ... WHERE ticket_id = ? AND left_at IS NULL
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(left_at__isnull=True),
                name="stage_spell_one_current",
            ),
        ]
        indexes = [
            # playbook report: WHERE ticket_id IN (the period's complaints) GROUP BY stage, and
            # "reached Reconcile": EXISTS (... WHERE ticket_id = ? AND stage = 'reconcile')
            models.Index(fields=["ticket", "stage"], name="stage_spell_ticket_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.stage} from {self.entered_at:%Y-%m-%d %H:%M}"
