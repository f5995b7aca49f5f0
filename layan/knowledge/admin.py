from django.contrib import admin

from layan.knowledge.models import CannedReply, Checklist, ChecklistItem


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ("title", "category")
    inlines = (ChecklistItemInline,)


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "stage", "category", "fault", "active")
    list_filter = ("stage", "category", "fault", "active")
