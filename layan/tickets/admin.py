from django.contrib import admin

from layan.tickets.models import Tag, Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: ticket changes go through the services so the logbook records them."""

    list_display = ("reference", "subject", "customer", "status", "priority", "owner", "updated_at")
    list_filter = ("status", "priority", "category", "team")
    search_fields = ("reference", "subject", "customer__name")
    list_select_related = ("customer", "owner")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


admin.site.register(Tag)
