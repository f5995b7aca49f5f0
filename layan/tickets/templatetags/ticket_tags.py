"""Say in words what a timeline event did, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from layan.core import clock
from layan.core.datetext import date_format, date_text
from layan.core.markup import html_fill
from layan.core.templatetags.layan import ago, priority_badge, status_badge
from layan.knowledge.models import Fault, Stage
from layan.logbook.models import Entry, Kind
from layan.tickets.models import Category, Priority, Status, Ticket

register = template.Library()

_CHOICES: dict[Kind, Any] = {
    Kind.STATUS: Status,
    Kind.PRIORITY: Priority,
    Kind.CATEGORY: Category,
    Kind.STAGE: Stage,
    Kind.FAULT: Fault,
}


def _label(kind: str, value: str) -> str:
    choices = _CHOICES.get(Kind(kind))
    if choices is None:
        return value
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.simple_tag
def entry_summary(entry: Entry) -> SafeString:
    """Return one line such as "changed status from Open to Resolved"."""
    data = entry.data or {}
    kind = entry.kind
    if kind == Kind.CREATED:
        return format_html("{}", _("opened the ticket"))
    if kind == Kind.DELIVERY:
        status = str(data.get("status", ""))
        labels = {
            "sent": _("mail delivered to the server"),
            "failed": _("mail could not be sent"),
            "bounced": _("mail bounced"),
            "delay": _("mail delayed"),
        }
        detail = data.get("error") or data.get("detail") or ""
        return format_html(
            "{} <span class='muted'>({})</span> {}",
            labels.get(status, status),
            _("entry %(seq)s") % {"seq": data.get("of_entry", "?")},
            detail,
        )
    if kind == Kind.EVENT:
        event = data.get("event")
        if event == "acknowledgement":
            return format_html("{}", _("sent the automatic acknowledgement"))
        if event == "evidence_exported":
            return format_html("{}", _("exported the evidence bundle"))
        if event == "question_asked":
            return format_html("{}", _("asked"))
        if event == "question_unticked":
            return format_html("{}", _("unticked the question"))
        if event == "handover_read":
            return format_html("{}", _("read the handover note"))
        if event == "survey":
            return format_html("{}", _("sent the satisfaction survey"))
        if event == "rating":
            return format_html(
                "{} <strong>{}/5</strong>", _("rated the service"), data.get("rating", "?")
            )
        if event == "testimonial_consent":
            given = data.get("given")
            return format_html(
                "{}",
                _("allowed us to publish the comment")
                if given
                else _("did not allow publishing the comment"),
            )
        if event == "testimonial_revoked":
            return format_html("{}", _("withdrew permission to publish the comment"))
        return format_html("{}", entry.get_kind_display())
    if kind == Kind.TAGS:
        added = ", ".join(data.get("added", []))
        removed = ", ".join(data.get("removed", []))
        parts = []
        if added:
            parts.append(_("added tags %(tags)s") % {"tags": added})
        if removed:
            parts.append(_("removed tags %(tags)s") % {"tags": removed})
        return format_html("{}", "; ".join(parts))
    if kind == Kind.REDACTION:
        return format_html("{} {}", _("redacted the content of entry"), data.get("seq", "?"))
    if kind in (Kind.OWNER, Kind.TEAM, Kind.CUSTOMER):
        old = data.get("from_label") or _("nobody")
        new = data.get("to_label") or _("nobody")
        what = {
            Kind.OWNER: _("owner"),
            Kind.TEAM: _("team"),
            Kind.CUSTOMER: _("customer"),
        }[Kind(kind)]
    elif kind in _CHOICES:
        old = _label(kind, str(data.get("from", "")))
        new = _label(kind, str(data.get("to", "")))
        if kind == Kind.FAULT:
            return format_html("{} <strong>{}</strong>", _("assessed the fault:"), new)
        what = {
            Kind.STATUS: _("status"),
            Kind.PRIORITY: _("priority"),
            Kind.CATEGORY: _("category"),
            Kind.STAGE: _("playbook stage"),
        }[Kind(kind)]
    else:
        return format_html("{}", entry.get_kind_display())
    return format_html(
        "{} <strong>{}</strong> {} <strong>{}</strong> {} <strong>{}</strong>",
        _("changed"),
        what,
        _("from"),
        old,
        _("to"),
        new,
    )


@register.filter
def actor_name(entry: Entry) -> str:
    if entry.actor_user is not None:
        return entry.actor_user.name
    if entry.actor_contact is not None:
        return entry.actor_contact.name
    return _("Layan")


def _path_for(name: str) -> Callable[[int], str]:
    """Return a function that builds the path of URL `name` for an integer argument.

    Reversing once and filling in the number is the same path `{% url %}` gives, without
    resolving the pattern again for every row of a list.
    """
    sentinel = 987654321
    head, tail = reverse(name, args=[sentinel]).split(str(sentinel))
    return lambda value: f"{head}{int(value)}{tail}"


_ROW = (
    "<tr>"
    '<td class="col-ref"><a href="{}">{}</a></td>'
    '<td class="col-subject"><a href="{}" class="subject">{}</a>{}'
    ' <span class="muted small">{} · {}</span></td>'
    '<td><a href="{}">{}</a>{}</td>'
    "<td>{}</td>"
    "<td>{}</td>"
    "<td>{}</td>"
    '<td class="col-due">{}</td>'
    '<td class="col-time"><time datetime="{}" title="{}">{}</time></td>'
    "</tr>"
)


def _badges(
    choices: Sequence[tuple[str, Any]], badge: Callable[[str, str], SafeString]
) -> Callable[[str], SafeString]:
    """A value's badge, each choice's made once per page (its label translated); a value
    outside the choices gets a badge of its own name."""
    made = {value: badge(value, str(label)) for value, label in choices}
    return lambda value: made.get(value) or badge(value, value)


_LIST_ROW = (
    "<tr>"
    '<td class="col-ref"><a href="{}">{}</a></td>'
    '<td><a href="{}">{}</a><br><span class="muted small">{}</span></td>'
    "<td>{}</td>"
    '<td class="col-time">{}</td>'
    "</tr>"
)


@register.simple_tag
def ticket_list_rows(tickets: Sequence[Ticket], beside: str) -> SafeString:
    """Write the rows of a customer's or a contact's list of tickets.

    `beside` names who is shown under each subject: "requester" on a customer's page,
    "customer" on a contact's. Written here for the reason `inbox_rows` is: 50 rows through
    the template cost a third of the customer page.
    """
    ticket_path = _path_for("tickets:detail")
    status_of = _badges(Status.choices, status_badge)
    rows = []
    for ticket in tickets:
        path = ticket_path(ticket.reference)
        rows.append(
            html_fill(
                _LIST_ROW,
                path,
                ticket.ref,
                path,
                ticket.subject,
                ticket.requester.name if beside == "requester" else ticket.customer.name,
                status_of(ticket.status),
                ago(ticket.updated_at),
            )
        )
    return SafeString("\n".join(rows))


@register.simple_tag
def inbox_rows(tickets: Sequence[Ticket]) -> SafeString:
    """Write the inbox table's rows.

    The inbox is the page staff open most; writing its rows here takes about half the time of
    a template loop over the same markup (13 ms instead of 26 ms for 50 rows). Choice labels
    and badges are looked up once per page: `get_status_display()` builds and hashes the
    choices, translating every label, on each call.
    """
    if not tickets:
        return SafeString("")
    ticket_path = _path_for("tickets:detail")
    customer_path = _path_for("customers:detail")
    now = clock.now()
    nobody = format_html('<span class="muted">{}</span>', _("nobody"))
    internal = format_html(' <span class="chip">{}</span>', _("internal"))
    abusive = format_html(' <span class="chip prio-urgent">{}</span>', _("abusive"))
    no_due = format_html('<span class="muted">{}</span>', "—")
    angry_label = _("angry")
    categories = {value: str(label) for value, label in Category.choices}
    status_of = _badges(Status.choices, status_badge)
    priority_of = _badges(Priority.choices, priority_badge)
    rows = []
    for ticket in tickets:
        path = ticket_path(ticket.reference)
        mood: SafeString | str = ""
        if ticket.abusive:
            mood = abusive
        elif ticket.is_angry:
            mood = format_html(
                ' <span class="chip prio-high" title="{}">{}</span>',
                _("anger %(anger)s") % {"anger": floatformat(ticket.anger, 2)},
                angry_label,
            )
        sla = getattr(ticket, "sla", None)
        if sla is not None and sla.next_due_at is not None:
            state, label = sla.due_state_at(now)
            due_local = localtime(sla.next_due_at)
            due = html_fill(
                '<span class="sla-state sla-{}">{}</span><time datetime="{}" title="{}">{}</time>',
                state,
                label,
                due_local.isoformat(),
                date_text(due_local),
                date_format(due_local, "j M H:i"),
            )
        else:
            due = no_due
        updated = localtime(ticket.updated_at)
        rows.append(
            html_fill(
                _ROW,
                path,
                ticket.ref,
                path,
                ticket.subject,
                mood,
                ticket.requester.name,
                categories.get(ticket.category, ticket.category),
                customer_path(ticket.customer_id),
                ticket.customer.name,
                internal if ticket.customer.is_internal else "",
                status_of(ticket.status),
                priority_of(ticket.priority),
                ticket.owner.name if ticket.owner else nobody,
                due,
                updated.isoformat(),
                date_text(updated),
                ago(ticket.updated_at),
            )
        )
    return SafeString("\n".join(rows))
