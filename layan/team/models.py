from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    AGENT = "agent", _("Agent")
    VIEWER = "viewer", _("Viewer")


class User(AbstractUser):
    """A member of staff. Customers are Contacts, never Users."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=[("id", "Bahasa Indonesia"), ("en", "English")],
        default="id",
    )

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role in {Role.ADMIN, Role.MANAGER}

    @property
    def can_write(self) -> bool:
        return self.is_active and self.role != Role.VIEWER

    @property
    def actor(self) -> str:
        return f"user:{self.pk}"


class Team(models.Model):
    """A group of staff that shares an inbox (support, finance, delivery...)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    email = models.EmailField(_("inbox address"), blank=True)
    manager = models.ForeignKey(
        User,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    members = models.ManyToManyField(
        User, verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """An in-app notice to one member of staff, mailed to them once as well when asked.

    `key` names the event the notice is about; (user, key) is unique, so the same notice is
    never created, nor mailed, twice however often its producer runs.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=200)
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_pending = models.BooleanField(default=False)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once"),
        ]
        indexes = [
            # page and unread badge: WHERE user_id = ? [AND read_at IS NULL] ORDER BY created_at
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox"),
            # mail retries: WHERE email_pending
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_pending=True),
                name="notification_mail_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ApiToken(models.Model):
    """A key a program uses to act as one member of staff through the API.

    Only a SHA-256 of the key is stored; the key itself is shown once, when it is made.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12)  # shown in lists so people can tell keys apart
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
