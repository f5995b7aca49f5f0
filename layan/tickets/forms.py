from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layan.core.widgets import PlainSelect
from layan.customers.models import Contact, Customer
from layan.team.models import Team, User
from layan.tickets.models import Category, Priority, Status
from layan.tickets.queries import InboxFilters

STATUS_FILTER_CHOICES = [
    ("active", _("Active")),
    ("", _("All")),
    *Status.choices,
    ("done", _("Resolved or closed")),
]


class InboxFilterForm(forms.Form):
    """The inbox's query string. Unknown or malformed values are dropped, never a 500."""

    status = forms.ChoiceField(
        label=_("Status"), choices=STATUS_FILTER_CHOICES, required=False, widget=PlainSelect
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False, widget=PlainSelect)
    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *Priority.choices],
        required=False,
        widget=PlainSelect,
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("Any category")), *Category.choices],
        required=False,
        widget=PlainSelect,
    )
    customer = forms.TypedChoiceField(
        label=_("Customer"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    mood = forms.ChoiceField(
        label=_("Mood"),
        choices=[
            ("", _("Any mood")),
            ("angry", _("Angry customer")),
            ("abusive", _("Abusive language")),
        ],
        required=False,
        widget=PlainSelect,
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
    sort = forms.ChoiceField(
        label=_("Sort"),
        choices=[
            ("activity", _("Newest activity")),
            ("due", _("Due soonest")),
            ("anger", _("Angriest first")),
        ],
        required=False,
        widget=PlainSelect,
    )

    def __init__(
        self,
        data: Any,
        *,
        owners: list[User],
        teams: list[Team],
        customers: list[tuple[int, str]],
    ) -> None:
        super().__init__(data)
        owner_field: Any = self.fields["owner"]
        owner_field.choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody")),
            *[(str(user.pk), user.name) for user in owners],
        ]
        team_field: Any = self.fields["team"]
        team_field.choices = [("", _("Any team")), *[(team.pk, team.name) for team in teams]]
        customer_field: Any = self.fields["customer"]
        customer_field.choices = [
            ("", _("Any customer")),
            *customers,
        ]

    def filters(self) -> InboxFilters:
        """Return the valid part of the query; an invalid field falls back to its default."""
        self.is_valid()
        clean = self.cleaned_data
        status = clean.get("status", "active")
        return InboxFilters(
            status=status,
            owner=clean.get("owner") or "",
            team=clean.get("team"),
            priority=clean.get("priority") or "",
            category=clean.get("category") or "",
            customer=clean.get("customer"),
            mood=clean.get("mood") or "",
            q=clean.get("q") or "",
            sort=clean.get("sort") or "activity",
        )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply to the customer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=50_000,
    )
    status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Keep status")), *Status.choices],
        required=False,
        widget=PlainSelect,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    cite = forms.SlugField(label=_("Cite an SOP"), required=False, max_length=80)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 4}), max_length=50_000
    )


class TicketUpdateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=PlainSelect)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, widget=PlainSelect)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, widget=PlainSelect)
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        widget=PlainSelect,
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("No team"),
        widget=PlainSelect,
    )
    handover_note = forms.CharField(
        label=_("Handover note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, owners: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = owners
        team_field: Any = self.fields["team"]
        team_field.queryset = teams

    def show_choices(self, *, owners: list[User], teams: list[Team]) -> None:
        """Offer these rows, already read, as the owner and team choices: the querysets then
        only check a sent choice."""
        for name, rows in (("owner", owners), ("team", teams)):
            field: Any = self.fields[name]
            field.choices = [
                ("", field.empty_label),
                *((row.pk, field.label_from_instance(row)) for row in rows),
            ]


class TicketCreateForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), widget=PlainSelect
    )
    requester = forms.ModelChoiceField(
        label=_("Requester"), queryset=Contact.objects.none(), widget=PlainSelect
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    text = forms.CharField(
        label=_("What the customer said"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=50_000,
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, widget=PlainSelect)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL, widget=PlainSelect
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("No team"),
        widget=PlainSelect,
    )

    def __init__(self, *args: Any, customers: Any, contacts: Any, teams: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        customer_field: Any = self.fields["customer"]
        customer_field.queryset = customers
        requester_field: Any = self.fields["requester"]
        requester_field.queryset = contacts
        team_field: Any = self.fields["team"]
        team_field.queryset = teams

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        customer, requester = data.get("customer"), data.get("requester")
        if customer and requester and not requester.memberships.filter(customer=customer).exists():
            self.add_error("requester", _("This contact does not belong to that customer."))
        return data


class RedactForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the logbook)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the customer's data-deletion request of 3 March, ref. PDP-17."),
    )
