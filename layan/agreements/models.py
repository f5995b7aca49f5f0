from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layan.agreements import commitments
from layan.core.models import Blob
from layan.customers.models import Contact, Customer
from layan.logbook.models import Chain, Entry

# --- Pipeline ---------------------------------------------------------------------------------


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PITCHING = "pitching", _("Pitching")
    NEGOTIATING = "negotiating", _("Negotiating")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPEN_STAGES = (Stage.LEAD, Stage.PITCHING, Stage.NEGOTIATING)
CLOSED_STAGES = (Stage.WON, Stage.LOST)


class Deal(models.Model):
    """A sale being pitched to a customer, from first lead to won or lost."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="deals"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    title = models.CharField(_("title"), max_length=200)
    value = models.PositiveBigIntegerField(_("value (IDR)"), default=0)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    lost_reason = models.CharField(_("reason lost"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(
                condition=~Q(stage="lost") | ~Q(lost_reason=""), name="deal_lost_has_reason"
            ),
        ]
        indexes = [
            # board: WHERE customer_id IN (portfolio) ORDER BY stage, updated_at DESC
            models.Index(fields=["customer", "stage", "-updated_at"], name="deal_customer_stage"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class DealMove(models.Model):
    """One change of a deal's stage: who moved it, when, and why."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # deal history: WHERE deal_id = ? ORDER BY at
            models.Index(fields=["deal", "at"], name="dealmove_deal_at"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage} → {self.to_stage}"


# --- Orders and agreements --------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Awaiting a manager's approval")
    OPEN = "open", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class Order(models.Model):
    """A project for a customer, delivered under agreement versions the customer confirms."""

    number = models.PositiveBigIntegerField(_("number"), unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="orders",
        help_text=_("The person who confirms the agreement."),
    )
    deal = models.ForeignKey(
        Deal,
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    promised_on = models.DateField(_("promised delivery date"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    chain = models.OneToOneField(Chain, on_delete=models.PROTECT, related_name="order")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            # customer page and portfolio: WHERE customer_id = ? ORDER BY updated_at DESC
            models.Index(fields=["customer", "-updated_at"], name="order_customer_updated"),
            # late and at-risk orders: WHERE status = 'open' AND promised_on <= ?
            models.Index(fields=["status", "promised_on"], name="order_status_promised"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        return f"ORD-{self.number}"

    def commitment(self, today: date) -> str:
        return commitments.commitment_state(
            promised=self.promised_on, delivered=self.delivered_on, today=today
        )


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent, awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    SUPERSEDED = "superseded", _("Superseded")


# Once a version has left the building its content never changes; a change is a new version.
FROZEN_STATUSES = (
    AgreementStatus.SENT,
    AgreementStatus.CONFIRMED,
    AgreementStatus.CHANGES_REQUESTED,
    AgreementStatus.SUPERSEDED,
)


class Agreement(models.Model):
    """One version of what was agreed for an order: spec, price, deadline, revisions, terms."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="agreements")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    spec_html = models.TextField(_("specification"), blank=True)  # sanitised on write
    price = models.PositiveBigIntegerField(_("price"))
    currency = models.CharField(_("currency"), max_length=3, default="IDR")
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    revisions_allowed = models.PositiveSmallIntegerField(_("revisions allowed"), default=2)
    terms = models.TextField(_("terms"), blank=True)
    change_note = models.TextField(_("what changed"), blank=True)
    extra_price = models.PositiveBigIntegerField(_("extra price"), default=0)
    digest = models.CharField(max_length=64)  # SHA-256 of the canonical content
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_to = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    link_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "version"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.UniqueConstraint(fields=["order", "version"], name="agreement_order_version"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES


class AgreementAttachment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="attachments")
    position = models.PositiveSmallIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)

    class Meta:
        ordering = ["agreement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "position"], name="agreement_attachment_position"
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class Acceptance(models.Model):
    """A customer's confirmation of one exact agreement version."""

    agreement = models.OneToOneField(Agreement, on_delete=models.PROTECT, related_name="acceptance")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    digest = models.CharField(max_length=64)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.agreement} by {self.contact_id}"


# --- Revisions and scope ----------------------------------------------------------------------


class RequestKind(models.TextChoices):
    REVISION = "revision", _("Revision")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")


class OrderRequest(models.Model):
    """A ticket counted against an order: a revision, or a request outside what was agreed."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="requests")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="order_requests"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    number = models.PositiveSmallIntegerField()  # the nth request of its kind on the order
    allowed = models.PositiveSmallIntegerField()  # revisions allowed when it was counted
    note = models.CharField(_("note"), max_length=500, blank=True)
    change_request = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.SET_NULL, related_name="covers"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "ticket"], name="orderrequest_once"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.number}"

    @property
    def over_allowance(self) -> bool:
        return self.kind == RequestKind.REVISION and self.number > self.allowed

    @property
    def needs_change_request(self) -> bool:
        extra = self.kind == RequestKind.OUT_OF_SCOPE or self.over_allowance
        return extra and self.change_request_id is None


class Invoice(models.Model):
    """A bill and whether it was paid on time; late payment is one of the verdict's signals."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField(_("number"), max_length=40)
    amount = models.PositiveBigIntegerField(_("amount (IDR)"))
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [
            # verdict signals: WHERE customer_id = ? (late payments)
            models.Index(fields=["customer", "due_on"], name="invoice_customer_due"),
        ]

    def __str__(self) -> str:
        return self.number

    def is_late(self, today: date) -> bool:
        if self.paid_on is not None:
            return self.paid_on > self.due_on
        return today > self.due_on


# --- Revenue and targets ----------------------------------------------------------------------


class Revenue(models.Model):
    """What a customer brought in one month, in whole rupiah."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="revenue"
    )
    month = models.DateField(_("month"))  # always the first day of the month
    amount = models.BigIntegerField(_("amount (IDR)"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "customer"]
        verbose_name = _("revenue")
        verbose_name_plural = _("revenue")
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="revenue_customer_month"),
        ]
        indexes = [
            # portfolio chart: WHERE month BETWEEN ? AND ? GROUP BY month
            models.Index(fields=["month", "customer"], name="revenue_month"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"


class Target(models.Model):
    """An account manager's revenue target for one month."""

    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="targets",
    )
    month = models.DateField(_("month"))  # always the first day of the month
    amount = models.PositiveBigIntegerField(_("target (IDR)"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-month", "account_manager"]
        constraints = [
            models.UniqueConstraint(fields=["account_manager", "month"], name="target_am_month"),
        ]

    def __str__(self) -> str:
        return f"{self.account_manager_id} {self.month:%Y-%m}"


# --- Client verdict ---------------------------------------------------------------------------


class VerdictChoice(models.TextChoices):
    YES = "yes", _("Yes client")
    NO = "no", _("No client")
    BAD = "bad", _("Bad client")


class Verdict(models.Model):
    """A person's dated judgement of a customer; the newest row is the current verdict."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="verdicts")
    verdict = models.CharField(_("verdict"), max_length=3, choices=VerdictChoice.choices)
    reason = models.TextField(_("reason"))
    requires_approval = models.BooleanField(
        _("new orders need a manager's approval"), default=False
    )
    suggested = models.CharField(max_length=3, blank=True)  # what Layan suggested then
    signals = models.JSONField(default=list, blank=True)  # the evidence shown then
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("verdict")
        verbose_name_plural = _("verdicts")
        indexes = [
            # current verdict: WHERE customer_id = ? ORDER BY decided_at DESC, id DESC LIMIT 1
            models.Index(fields=["customer", "-decided_at", "-id"], name="verdict_current"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.verdict}"
