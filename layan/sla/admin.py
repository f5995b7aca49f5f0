from django.contrib import admin

from layan.sla.models import Calendar, CalendarHoliday, Policy, PolicyTarget, TicketSla


class HolidayInline(admin.TabularInline):
    model = CalendarHoliday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "zone", "national_holidays", "collective_leave", "is_default")
    inlines = (HolidayInline,)


class TargetInline(admin.TabularInline):
    model = PolicyTarget
    extra = 0


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "position",
        "is_default",
        "is_active",
        "match_priority",
        "match_category",
        "match_channel",
        "match_team",
        "calendar",
    )
    list_filter = ("is_active", "is_default")
    inlines = (TargetInline,)


@admin.register(TicketSla)
class TicketSlaAdmin(admin.ModelAdmin):
    """Read-only: the evaluation writes these rows."""

    list_display = (
        "ticket",
        "policy",
        "first_response_state",
        "next_response_state",
        "resolution_state",
        "next_due_at",
    )
    list_filter = ("first_response_state", "resolution_state")
    list_select_related = ("ticket", "policy")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
