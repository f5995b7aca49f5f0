from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layan.reports.queries import (
    MEASURES,
    PLAYBOOK_GROUPINGS,
    SATISFACTION_GROUPINGS,
    SLA_GROUPINGS,
    Period,
)

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366


class PeriodForm(forms.Form):
    """The period of a report: tickets opened from one local date to another, both included."""

    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def period(self) -> Period:
        """Return the valid period asked for; missing or malformed dates fall back to defaults."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or until - dt.timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            since, until = until, since
        since = max(since, until - dt.timedelta(days=MAX_DAYS))
        return Period(since=since, until=until)


class SlaReportForm(PeriodForm):
    by = forms.ChoiceField(
        label=_("Per"), choices=list(SLA_GROUPINGS.items()), required=False, initial="team"
    )

    def grouping(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("by") or "team"


class PlaybookReportForm(PeriodForm):
    by = forms.ChoiceField(
        label=_("Per"), choices=list(PLAYBOOK_GROUPINGS.items()), required=False, initial="team"
    )

    def grouping(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("by") or "team"


class SatisfactionReportForm(PeriodForm):
    by = forms.ChoiceField(
        label=_("Per"),
        choices=list(SATISFACTION_GROUPINGS.items()),
        required=False,
        initial="owner",
    )

    def grouping(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("by") or "owner"


class FairnessForm(PeriodForm):
    measure = forms.ChoiceField(
        label=_("Measure"), choices=list(MEASURES.items()), required=False, initial="first_response"
    )

    def chosen_measure(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("measure") or "first_response"


def query_with(data: Any, **changes: str) -> str:
    """Return a query string of `data` with some keys replaced (links that keep the period)."""
    query = data.copy()
    for key, value in changes.items():
        query[key] = value
    query.pop("format", None)
    return str(query.urlencode())
