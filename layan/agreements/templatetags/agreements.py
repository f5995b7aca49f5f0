"""Presentation of deals, orders, agreement events and verdicts."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layan.agreements import commitments, events
from layan.agreements.models import VerdictChoice
from layan.agreements.queries import customer_panel as panel_query
from layan.core import clock
from layan.core.money import idr_format
from layan.customers.models import Customer
from layan.logbook.models import Entry
from layan.team.auth import staff_user

register = template.Library()

COMMITMENT_LABELS = {
    commitments.NO_DATE: gettext_lazy("No date promised"),
    commitments.ON_TRACK: gettext_lazy("On track"),
    commitments.AT_RISK: gettext_lazy("At risk"),
    commitments.LATE: gettext_lazy("Late"),
    commitments.DELIVERED: gettext_lazy("Delivered"),
    commitments.DELIVERED_LATE: gettext_lazy("Delivered late"),
}

SIGNAL_LABELS = {
    "won_deals": gettext_lazy("Won deal"),
    "lost_deals": gettext_lazy("Lost deal"),
    "confirmed_agreements": gettext_lazy("Confirmed agreement"),
    "delivered_orders": gettext_lazy("Delivered order"),
    "over_allowance": gettext_lazy("Revision beyond the allowance"),
    "out_of_scope": gettext_lazy("Out-of-scope request"),
    "price_comparisons": gettext_lazy("Compared our price with competitors"),
    "abusive_messages": gettext_lazy("Abusive message"),
    "late_payments": gettext_lazy("Late payment"),
}

ATTENTION_LABELS = {
    "change_request": gettext_lazy("Beyond the agreement: issue a change request"),
    "late": gettext_lazy("Late"),
    "at_risk": gettext_lazy("Delivery at risk"),
    "approval": gettext_lazy("Waits for a manager's approval"),
    "changes_requested": gettext_lazy("Customer asked for changes"),
}


@register.simple_tag
def commitment_badge(state: str) -> SafeString:
    return format_html(
        '<span class="badge commit-{}">{}</span>', state, COMMITMENT_LABELS.get(state, state)
    )


@register.simple_tag
def verdict_badge(verdict: str) -> SafeString:
    if not verdict:
        return format_html('<span class="badge verdict-none">{}</span>', _("No verdict"))
    return format_html(
        '<span class="badge verdict-{}">{}</span>', verdict, VerdictChoice(verdict).label
    )


@register.filter
def signal_label(kind: str) -> str:
    return str(SIGNAL_LABELS.get(kind, kind))


@register.filter
def attention_label(reason: str) -> str:
    return str(ATTENTION_LABELS.get(reason, reason))


@register.simple_tag
def order_event(entry: Entry) -> str:
    """Say in one line what an order's logbook entry recorded."""
    data: dict[str, Any] = entry.data or {}
    event = data.get("event", "")
    values = {
        "v": data.get("version", ""),
        "price": idr_format(data.get("price")) if data.get("price") is not None else "",
        "extra": idr_format(data.get("extra_price", 0)),
        "to": data.get("to_label") or data.get("to", ""),
        "from": data.get("from") or "—",
        "ticket": data.get("ticket", ""),
        "n": data.get("number", ""),
        "allowed": data.get("allowed", ""),
        "digest": str(data.get("digest", ""))[:12],
    }
    texts = {
        events.ORDER_CREATED: _("opened the order"),
        events.ORDER_APPROVED: _("approved the order"),
        events.VERSION_CREATED: _("wrote version %(v)s (%(price)s)"),
        events.VERSION_SENT: _("sent version %(v)s to %(to)s for confirmation"),
        events.VERSION_CONFIRMED: _("confirmed version %(v)s (digest %(digest)s…)"),
        events.CHANGES_REQUESTED: _("asked for changes to version %(v)s"),
        events.CHANGE_REQUEST_ISSUED: _(
            "issued a change request as version %(v)s (extra %(extra)s)"
        ),
        events.PROMISE_SET: _("set the promised delivery date from %(from)s to %(to)s"),
        events.DELAY_NOTICE: _("sent a delay notice: new date %(to)s"),
        events.ORDER_DELIVERED: _("delivered the order"),
    }
    if event == events.REQUEST_COUNTED:
        if data.get("kind") == "out_of_scope":
            return _("counted ticket #%(ticket)s as a request outside the agreement") % values
        if data.get("over_allowance"):
            return (
                _("counted ticket #%(ticket)s as revision %(n)s, beyond the %(allowed)s agreed")
                % values
            )
        return _("counted ticket #%(ticket)s as revision %(n)s of %(allowed)s") % values
    text = texts.get(event)
    return text % values if text else entry.get_kind_display()


@register.inclusion_tag("agreements/customer_panel.html", takes_context=True)
def customer_panel(context: template.Context, customer: Customer) -> dict[str, Any]:
    """Show a customer's verdict, deals, orders and revenue on the customer page."""
    request = context["request"]
    user = staff_user(request)
    today = timezone.localdate(clock.now())
    return {
        "customer": customer,
        "panel": panel_query(user, customer, today=today),
        "today": today,
        "request": request,
    }


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key, "")
