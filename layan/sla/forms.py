from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils.translation import gettext_lazy as _

from layan.sla.calendars import WIB, WIT, WITA
from layan.sla.models import Calendar, MetricChoice, Policy
from layan.sla.services import TargetSpec, hours_validate
from layan.team.models import Team
from layan.tickets.models import DONE_STATUSES, Category, Priority, Status

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
ZONE_HINT = _(
    "Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT), or any IANA time zone."
)
CHANNELS = [
    ("", _("Any channel")),
    ("email", _("Email")),
    ("whatsapp", "WhatsApp"),
    ("telegram", "Telegram"),
    ("webform", _("Web form")),
    ("portal", _("Portal")),
    ("ui", _("Logged by staff")),
    ("api", "API"),
]
PAUSABLE = [(value, label) for value, label in Status.choices if value not in DONE_STATUSES]


class CalendarForm(forms.Form):
    """A calendar's zone and its working intervals, one text box per weekday."""

    name = forms.CharField(label=_("Name"), max_length=80)
    zone = forms.CharField(label=_("Time zone"), max_length=64, initial=WIB, help_text=ZONE_HINT)
    national_holidays = forms.BooleanField(
        label=_("Closed on Indonesian national holidays"), required=False, initial=True
    )
    collective_leave = forms.BooleanField(
        label=_("Closed on collective leave days (cuti bersama)"), required=False, initial=True
    )
    is_default = forms.BooleanField(label=_("Default calendar"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("For example 08:00-12:00, 13:00-17:00; empty when closed.")
                if day == 0
                else "",
            )

    @classmethod
    def initial_for(cls, calendar: Calendar) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": calendar.name,
            "zone": calendar.zone,
            "national_holidays": calendar.national_holidays,
            "collective_leave": calendar.collective_leave,
            "is_default": calendar.is_default,
        }
        for day in range(7):
            initial[f"day_{day}"] = ", ".join(calendar.hours.get(str(day), []))
        return initial

    def clean_zone(self) -> str:
        zone = self.cleaned_data["zone"].strip()
        aliases = {"WIB": WIB, "WITA": WITA, "WIT": WIT}
        zone = aliases.get(zone.upper(), zone)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise forms.ValidationError(_("Unknown time zone.")) from error
        return zone

    def hours(self) -> dict[int, list[str]]:
        hours = {}
        for day in range(7):
            text = self.cleaned_data.get(f"day_{day}") or ""
            intervals = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
            if intervals:
                hours[day] = intervals
        return hours

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "zone" in data:
            try:
                hours_validate(data["zone"], self.hours())
            except forms.ValidationError as error:
                self.add_error(None, error)
        return data


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=120)


class PolicyForm(forms.Form):
    """A policy: when it applies, which statuses pause it, and its targets per priority.

    It offers conditions on the ticket only; nothing about the customer, its revenue or tier.
    """

    name = forms.CharField(label=_("Name"), max_length=80)
    is_default = forms.BooleanField(
        label=_("Default policy"),
        required=False,
        help_text=_("Applies to every ticket no other policy matches."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = forms.IntegerField(
        label=_("Match order"),
        min_value=0,
        initial=100,
        help_text=_("Policies are tried from the lowest number; the first that matches wins."),
    )
    match_priority = forms.ChoiceField(
        label=_("When priority is"),
        choices=[("", _("Any priority")), *Priority.choices],
        required=False,
    )
    match_category = forms.ChoiceField(
        label=_("When category is"),
        choices=[("", _("Any category")), *Category.choices],
        required=False,
    )
    match_channel = forms.ChoiceField(label=_("When channel is"), choices=CHANNELS, required=False)
    match_team = forms.ModelChoiceField(
        label=_("When team is"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("Any team"),
    )
    calendar = forms.ModelChoiceField(
        label=_("Calendar"),
        queryset=Calendar.objects.all(),
        required=False,
        empty_label=_("The default calendar"),
    )
    pause_statuses = forms.MultipleChoiceField(
        label=_("Statuses that pause the clock"),
        choices=PAUSABLE,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=["waiting_customer", "waiting_third_party"],
    )
    at_risk_percent = forms.IntegerField(
        label=_("At risk from (% of the target)"), min_value=1, max_value=100, initial=80
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for metric, metric_label in MetricChoice.choices:
            self.fields[f"{metric}_business"] = forms.TypedChoiceField(
                label=_("%(metric)s counted in") % {"metric": metric_label},
                choices=[
                    ("1", _("working hours of the calendar")),
                    ("0", _("calendar time (24/7)")),
                ],
                coerce=lambda value: value == "1",
                initial="1",
            )
            for priority, priority_label in Priority.choices:
                self.fields[f"{metric}_{priority}"] = forms.IntegerField(
                    label=_("%(metric)s, %(priority)s (minutes)")
                    % {"metric": metric_label, "priority": priority_label},
                    min_value=1,
                    max_value=525_600,
                    required=False,
                )

    @classmethod
    def initial_for(cls, policy: Policy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": policy.name,
            "is_default": policy.is_default,
            "is_active": policy.is_active,
            "position": policy.position,
            "match_priority": policy.match_priority,
            "match_category": policy.match_category,
            "match_channel": policy.match_channel,
            "match_team": policy.match_team_id,
            "calendar": policy.calendar_id,
            "pause_statuses": policy.pause_statuses,
            "at_risk_percent": policy.at_risk_percent,
        }
        for target in policy.targets.all():
            initial[f"{target.metric}_{target.priority}"] = target.minutes
            initial[f"{target.metric}_business"] = "1" if target.business else "0"
        return initial

    def target_rows(self) -> list[tuple[Any, Any, list[Any]]]:
        """Return (metric label, its time-basis field, its minute fields) for the template."""
        return [
            (
                label,
                self[f"{metric}_business"],
                [self[f"{metric}_{priority}"] for priority, _label in Priority.choices],
            )
            for metric, label in MetricChoice.choices
        ]

    def targets(self) -> list[TargetSpec]:
        data = self.cleaned_data
        return [
            TargetSpec(
                metric=metric,
                priority=priority,
                minutes=data[f"{metric}_{priority}"],
                business=data[f"{metric}_business"],
            )
            for metric in MetricChoice.values
            for priority in Priority.values
            if data.get(f"{metric}_{priority}")
        ]
