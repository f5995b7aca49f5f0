from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layan.channels.types import IdentityKind


class CustomerForm(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    INDIVIDUAL = "individual", _("Individual")


class CustomerKind(models.TextChoices):
    EXTERNAL = "external", _("External")
    INTERNAL = "internal", _("Internal (another department)")


class RevenueTier(models.TextChoices):
    # Used for reports only: service levels never depend on it.
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")
    KEY = "key", _("Key account")


class ReferralSource(models.TextChoices):
    """Word of mouth is how a service business grows: ask, and count it."""

    CUSTOMER = "customer", _("Another customer")
    FRIEND = "friend", _("Friend or family")
    SEARCH = "search", _("Web search")
    SOCIAL = "social", _("Social media")
    MARKETPLACE = "marketplace", _("Marketplace")
    EVENT = "event", _("Event or exhibition")
    SALES = "sales", _("Our sales team")
    OTHER = "other", _("Other")


class Temperament(models.TextChoices):
    UNKNOWN = "unknown", _("Not enough messages yet")
    PLEASANT = "pleasant", _("Pleasant")
    IN_BETWEEN = "in_between", _("In between")
    HOSTILE = "hostile", _("Hostile")


class TemperamentFields(models.Model):
    """How someone tends to write to us, read from their messages, and a person's override."""

    temperament = models.CharField(
        _("temperament"), max_length=12, choices=Temperament.choices, default=Temperament.UNKNOWN
    )
    temperament_trend = models.CharField(max_length=12, default="stable")
    temperament_score = models.FloatField(default=0.0)
    # Tone per message (-1 hostile .. 1 pleasant), oldest first, for the sparkline.
    temperament_series = models.JSONField(default=list, blank=True)
    # Ids of the Tone rows that weigh most in the verdict: the messages behind it.
    temperament_evidence = models.JSONField(default=list, blank=True)
    temperament_at = models.DateTimeField(null=True, blank=True)
    temperament_override = models.CharField(
        _("temperament set by hand"), max_length=12, choices=Temperament.choices, blank=True
    )
    temperament_override_reason = models.CharField(_("reason"), max_length=500, blank=True)
    temperament_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    temperament_override_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def temperament_shown(self) -> str:
        """The temperament people see: a person's override wins over the computed one."""
        return self.temperament_override or self.temperament

    def get_temperament_shown_display(self) -> str:
        return str(Temperament(self.temperament_shown).label)


class Customer(TemperamentFields):
    name = models.CharField(_("name"), max_length=200)
    form = models.CharField(
        _("form"), max_length=20, choices=CustomerForm.choices, default=CustomerForm.ORGANISATION
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.EXTERNAL
    )
    revenue_tier = models.CharField(
        _("revenue tier"), max_length=20, choices=RevenueTier.choices, default=RevenueTier.SMALL
    )
    account_manager = models.ForeignKey(  # indexed by customer_am_name
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portfolio",
        db_index=False,
    )
    industry = models.CharField(_("industry"), max_length=120, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    referral_source = models.CharField(
        _("how they heard of us"), max_length=20, choices=ReferralSource.choices, blank=True
    )
    referral_note = models.CharField(_("who or what referred them"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # customers_for(account manager): WHERE account_manager_id = ? ORDER BY name
            models.Index(fields=["account_manager", "name"], name="customer_am_name"),
            # customers_for(everyone else): ORDER BY name, id LIMIT n, walked in order (for an
            # agent, each customer probed for a ticket the agent works on until n are found)
            models.Index(fields=["name", "id"], name="customer_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_internal(self) -> bool:
        return self.kind == CustomerKind.INTERNAL


class Honorific(models.TextChoices):
    NONE = "", _("(none)")
    BAPAK = "Bapak", "Bapak"
    IBU = "Ibu", "Ibu"
    KAK = "Kak", "Kak"
    MAS = "Mas", "Mas"
    MBAK = "Mbak", "Mbak"
    MR = "Mr", "Mr"
    MS = "Ms", "Ms"


class Contact(TemperamentFields):
    """A person who writes to us, on behalf of one or more customers."""

    name = models.CharField(_("name"), max_length=200)
    preferred_name = models.CharField(
        _("preferred name"),
        max_length=80,
        blank=True,
        help_text=_("How they like to be addressed, e.g. 'Rina' for 'Rina Kusuma Wardani'."),
    )
    honorific = models.CharField(
        _("honorific"), max_length=10, choices=Honorific.choices, blank=True, default=""
    )
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=[("id", "Bahasa Indonesia"), ("en", "English")],
        default="id",
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    customers = models.ManyToManyField(
        Customer, through="Membership", related_name="contacts", verbose_name=_("customers")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    @property
    def address_name(self) -> str:
        """Return how to address them: honorific + preferred name ("Ibu Rina")."""
        first = self.preferred_name or self.name.split(" ")[0]
        return f"{self.honorific} {first}".strip()

    @property
    def actor(self) -> str:
        return f"contact:{self.pk}"


class MembershipRole(models.TextChoices):
    CONTACT_PERSON = "contact_person", _("Contact person")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    FINANCE = "finance", _("Finance")
    USER = "user", _("User")


class Membership(models.Model):
    """A contact's place at a customer; a contact's primary membership picks the customer of
    new tickets they open."""

    # Indexed by membership_unique (contact first) and membership_customer (customer first).
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=MembershipRole.choices,
        default=MembershipRole.CONTACT_PERSON,
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["contact", "customer"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["contact"], condition=Q(is_primary=True), name="membership_one_primary"
            ),
        ]
        indexes = [
            # customer 360: WHERE customer_id = ?
            models.Index(fields=["customer", "contact"], name="membership_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.customer}"


class Identity(models.Model):
    """An address a contact writes from; normalised so the same address is found again."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(
        _("kind"), max_length=20, choices=[(k.value, k.name.title()) for k in IdentityKind]
    )
    value = models.CharField(_("value"), max_length=254)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
