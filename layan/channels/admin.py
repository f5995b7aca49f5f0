from django import forms
from django.contrib import admin

from layan.channels.models import InboundRecord, Mailbox, OutboundRecord


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to keep the current password.",
    )

    class Meta:
        model = Mailbox
        fields = (
            "name",
            "address",
            "host",
            "port",
            "ssl",
            "username",
            "password",
            "folder",
            "action",
            "move_to",
            "team",
            "active",
        )

    def clean_password(self) -> str:
        value: str = self.cleaned_data.get("password") or ""
        if not value and self.instance.pk:
            return self.instance.password
        return value


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "address", "host", "folder", "team", "active", "last_polled_at")
    readonly_fields = ("last_polled_at", "last_error")


@admin.register(InboundRecord)
class InboundRecordAdmin(admin.ModelAdmin):
    list_display = ("received_at", "channel", "external_id", "outcome", "attempts", "ticket")
    list_filter = ("outcome", "channel")
    search_fields = ("external_id", "source")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OutboundRecord)
class OutboundRecordAdmin(admin.ModelAdmin):
    list_display = ("created_at", "message_id", "status", "attempts", "next_attempt_at")
    list_filter = ("status",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
