"""How a person writes to us, on their contact and customer pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from layan.core.charts import sparkline
from layan.customers.models import Contact, Customer, Temperament
from layan.team.models import User
from layan.tickets.models import Tone
from layan.tickets.queries import tickets_for

register = template.Library()


@register.inclusion_tag("tickets/temperament_card.html")
def temperament_card(subject: Contact | Customer, user: User) -> dict[str, Any]:
    """The temperament, its trend and sparkline, the messages behind it (those `user` may
    see), and the override form."""
    evidence = list(
        Tone.objects.filter(
            pk__in=subject.temperament_evidence or [],
            ticket__in=tickets_for(user).values("pk"),
        )
        .select_related("ticket", "entry")
        .order_by("-occurred_at")
    )
    kind = "contact" if isinstance(subject, Contact) else "customer"
    return {
        "subject": subject,
        "evidence": evidence,
        "chart": sparkline(subject.temperament_series or [], width=160, height=32),
        "choices": Temperament.choices,
        "action": reverse(f"customers:{kind}_temperament", args=[subject.pk]),
        "can_override": user.can_write,
    }
