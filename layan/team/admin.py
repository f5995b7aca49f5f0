from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from layan.team.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "email", "role", "is_active")
    list_filter = ("role", "is_active", "teams")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Layan", {"fields": ("role", "display_name", "language")}),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "manager")
    filter_horizontal = ("members",)
