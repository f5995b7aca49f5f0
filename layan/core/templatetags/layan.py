"""Small presentation helpers shared by every page."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.html import format_html
from django.utils.safestring import SafeString

from layan.core.money import idr_compact, idr_format

register = template.Library()


@register.simple_tag
def status_badge(status: str, label: str) -> SafeString:
    return format_html('<span class="badge status-{}">{}</span>', status, label)


@register.simple_tag
def priority_badge(priority: str, label: str) -> SafeString:
    return format_html('<span class="badge prio-{}">{}</span>', priority, label)


@register.filter
def ago(moment: datetime | None) -> str:
    return naturaltime(moment) if moment else ""


@register.filter
def idr(amount: int | None) -> str:
    return idr_format(amount)


@register.filter
def idr_short(amount: int | None) -> str:
    return idr_compact(amount)


@register.filter
def initials(name: str) -> str:
    parts = [part for part in str(name).split() if part[:1].isalpha()]
    return "".join(part[0] for part in parts[:2]).upper() or "?"
