"""Published quotes for a website: only what customers allowed, signed as they chose."""

from __future__ import annotations

import json

from django.template.loader import render_to_string

from layan.tickets.queries import testimonials


def testimonials_json() -> str:
    items = [
        {
            "quote": survey.comment,
            "name": survey.display_name,
            "rating": survey.rating,
            "date": survey.answered_at.date().isoformat() if survey.answered_at else None,
        }
        for survey in testimonials()
    ]
    return json.dumps(items, ensure_ascii=False, indent=2)


def testimonials_html() -> str:
    """A self-contained, escaped HTML fragment to paste into a website."""
    return render_to_string("tickets/testimonials_embed.html", {"items": testimonials()})
