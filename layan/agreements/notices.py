"""Compose the delay notice for a customer and the short summary they can forward upwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation

from layan.agreements.models import Order
from layan.team.models import User

LANGUAGES = ("id", "en")


@dataclass(frozen=True, slots=True)
class DelayNotice:
    language: str
    notice: str  # to the contact, addressed by honorific and name
    summary: str  # for the contact to forward to their own management


def delay_notice_compose(
    *, order: Order, new_date: date, reason: str, language: str, sender: User | None
) -> DelayNotice:
    """Return the notice and summary for moving `order` to `new_date`, in `language`."""
    language = language if language in LANGUAGES else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "order": order,
            "customer": order.customer.name,
            "address_name": order.contact.address_name,
            "old_date": _long_date(order.promised_on),
            "new_date": _long_date(new_date),
            "reason": " ".join(reason.split()),
            "sender": sender.name if sender else settings.LAYAN_SITE_NAME,
            "site_name": settings.LAYAN_SITE_NAME,
        }
        notice = render_to_string(f"agreements/notices/delay.{language}.txt", context)
        summary = render_to_string(f"agreements/notices/summary.{language}.txt", context)
    return DelayNotice(language=language, notice=notice.strip(), summary=summary.strip())


def _long_date(value: date | None) -> str:
    return formats.date_format(value, "l, j F Y") if value else ""
