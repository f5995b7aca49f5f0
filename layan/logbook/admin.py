from django.contrib import admin

from layan.logbook.models import Entry


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """The logbook is append-only: the admin may look, never touch."""

    list_display = ("chain", "seq", "kind", "direction", "channel", "actor", "occurred_at")
    list_filter = ("kind", "direction", "channel")
    list_select_related = ("chain",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
