from django.contrib import admin

from layan.customers.models import Contact, Customer, Identity, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("customer", "contact")


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "form", "kind", "revenue_tier", "account_manager", "city")
    list_filter = ("kind", "form", "revenue_tier", "account_manager")
    search_fields = ("name",)
    inlines = (MembershipInline,)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "preferred_name", "honorific", "language")
    search_fields = ("name", "preferred_name", "identities__value")
    inlines = (IdentityInline, MembershipInline)
