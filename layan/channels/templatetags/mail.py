"""Show mail the way people read it: the new words first, history and signature folded."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from layan.channels.email.quotes import ReplyParts, split_reply
from layan.core.html import sanitize_html
from layan.logbook.models import Entry

register = template.Library()


@register.filter
def reply_parts(entry: Entry) -> ReplyParts:
    """Split a customer's mail into new text, signature and quoted history (display only: the
    full text stays in the entry and the raw message in the logbook)."""
    if entry.channel != "email" or entry.kind != "message":
        return ReplyParts(new=entry.text)
    return split_reply(entry.text)


@register.simple_tag
def mail_html(entry: Entry, reference: int) -> SafeString:
    """Return the entry's HTML, sanitised again, with inline images served from Layan."""
    if not entry.html:
        return mark_safe("")
    inline = {
        attachment.content_id.strip("<>"): reverse(
            "tickets:inline", args=[reference, attachment.pk]
        )
        for attachment in entry.files
        if attachment.content_id
    }
    return mark_safe(sanitize_html(entry.html, cid_url=inline.get))
