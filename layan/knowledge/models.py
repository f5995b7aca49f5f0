from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """The complaint playbook, in the order a good account manager works."""

    LISTEN = "listen", _("Listen")
    CLARIFY = "clarify", _("Clarify")
    EXPLAIN = "explain", _("Explain the SOP")
    OPTIONS = "options", _("Offer options")
    RESOLVE = "resolve", _("Resolve")
    RECONCILE = "reconcile", _("Reconcile")


class Fault(models.TextChoices):
    UNDETERMINED = "undetermined", _("Undetermined")
    OURS = "ours", _("Our fault")
    CUSTOMER = "customer", _("Customer misunderstanding")
    THIRD_PARTY = "third_party", _("Third party")


class Article(models.Model):
    """An SOP or policy, kept in versions so a citation always points at what was said."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Internal (staff only)")
        PUBLIC = "public", _("Public (may be shared with customers)")

    class Kind(models.TextChoices):
        SOP = "sop", _("Standard operating procedure")
        POLICY = "policy", _("Policy")
        FAQ = "faq", _("Frequently asked question")

    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SOP)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    latest = models.ForeignKey(
        "ArticleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.slug


class ArticleVersion(models.Model):
    """One wording of an article, in Indonesian and English; never edited, only succeeded."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title_id = models.CharField(_("title (Indonesian)"), max_length=200)
    body_id = models.TextField(_("text (Indonesian)"))
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article.slug} v{self.number}"

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_id

    def body(self, language: str) -> str:
        return self.body_en if language == "en" and self.body_en else self.body_id


class CannedReply(models.Model):
    """A reply to start from, for a playbook stage and a kind of ticket, in both languages.

    Placeholders: {name} (honorific and preferred name), {ticket}, {owner}, {customer},
    {terms} (the customer's agreed terms, when recorded), {sop} (the cited article's title).
    """

    title = models.CharField(_("title"), max_length=120)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, blank=True)
    category = models.CharField(_("ticket category"), max_length=12, blank=True)
    # At the Resolve stage the fault decides: an apology when ours, advocacy when the SOP held.
    fault = models.CharField(_("fault"), max_length=12, choices=Fault.choices, blank=True)
    body_id = models.TextField(_("text (Indonesian)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["stage", "title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title

    def body(self, language: str) -> str:
        return self.body_en if language == "en" and self.body_en else self.body_id


class Checklist(models.Model):
    """The right questions for a kind of ticket, ticked while listening."""

    category = models.CharField(_("ticket category"), max_length=12)
    title = models.CharField(_("title"), max_length=120)

    class Meta:
        verbose_name = _("question checklist")
        verbose_name_plural = _("question checklists")

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    text_id = models.CharField(_("question (Indonesian)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)

    class Meta:
        ordering = ["checklist", "position"]

    def __str__(self) -> str:
        return self.text_id

    def text(self, language: str) -> str:
        return self.text_en if language == "en" and self.text_en else self.text_id
