from django.contrib import admin

from layan.agreements.models import (
    Agreement,
    Deal,
    DealMove,
    Invoice,
    Order,
    OrderRequest,
    Revenue,
    Target,
    Verdict,
)


class DealMoveInline(admin.TabularInline):
    model = DealMove
    extra = 0
    readonly_fields = ("from_stage", "to_stage", "reason", "actor", "at")
    can_delete = False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("title", "customer", "stage", "value", "updated_at")
    list_filter = ("stage",)
    search_fields = ("title", "customer__name")
    inlines = (DealMoveInline,)


class AgreementInline(admin.TabularInline):
    model = Agreement
    extra = 0
    fields = ("version", "status", "price", "currency", "deadline", "revisions_allowed", "digest")
    readonly_fields = fields
    can_delete = False
    show_change_link = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are changed through the app, where every change is logged; here they are read."""

    list_display = ("number", "title", "customer", "status", "promised_on")
    list_filter = ("status",)
    search_fields = ("number", "title", "customer__name")
    readonly_fields = ("chain",)
    inlines = (AgreementInline,)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OrderRequest)
class OrderRequestAdmin(admin.ModelAdmin):
    list_display = ("order", "ticket", "kind", "number", "allowed", "change_request")
    list_filter = ("kind",)


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "amount", "due_on", "paid_on")


@admin.register(Revenue)
class RevenueAdmin(admin.ModelAdmin):
    list_display = ("customer", "month", "amount")
    list_filter = ("month",)
    search_fields = ("customer__name",)


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("account_manager", "month", "amount")


@admin.register(Verdict)
class VerdictAdmin(admin.ModelAdmin):
    list_display = ("customer", "verdict", "decided_by", "decided_at", "requires_approval")
    list_filter = ("verdict",)
    readonly_fields = ("signals", "suggested")
