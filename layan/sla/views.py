"""Staff pages for SLA calendars and policies (admins and managers), and notifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layan.sla import services
from layan.sla.calendars import indonesian_holidays
from layan.sla.forms import CalendarForm, HolidayForm, PolicyForm
from layan.sla.models import Calendar
from layan.sla.queries import (
    calendar_get,
    calendar_holidays,
    calendars_all,
    can_manage_sla,
    policies_all,
    policy_get,
)
from layan.team.auth import staff_user
from layan.team.models import User
from layan.team.notifications import (
    notification_for,
    notification_read,
    notifications_for,
    notifications_read_all,
)

NOTIFICATIONS_SHOWN = 100


def _manager(request: HttpRequest) -> User:
    user = staff_user(request)
    if not can_manage_sla(user):
        raise PermissionDenied(_("Only admins and managers change SLA calendars and policies."))
    return user


def _errors(form: CalendarForm | PolicyForm | HolidayForm, error: ValidationError) -> None:
    form.add_error(None, " ".join(error.messages))


@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    return render(
        request,
        "sla/policies.html",
        {"policies": policies_all(), "calendars": calendars_all()},
    )


def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _manager(request)
    policy = policy_get(pk) if pk is not None else None
    initial = PolicyForm.initial_for(policy) if policy else None
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy = services.policy_save(
                actor=user,
                policy=policy,
                name=data["name"],
                targets=form.targets(),
                calendar=data["calendar"],
                position=data["position"],
                is_default=data["is_default"],
                is_active=data["is_active"],
                match_priority=data["match_priority"],
                match_category=data["match_category"],
                match_channel=data["match_channel"],
                match_team=data["match_team"],
                pause_statuses=data["pause_statuses"],
                at_risk_percent=data["at_risk_percent"],
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Policy saved. Open tickets are being re-evaluated."))
            return redirect("sla:policies")
    status = 400 if request.method == "POST" else 200
    return render(request, "sla/policy_form.html", {"form": form, "policy": policy}, status=status)


def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _manager(request)
    calendar = calendar_get(pk) if pk is not None else None
    initial = CalendarForm.initial_for(calendar) if calendar else None
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            calendar = services.calendar_save(
                actor=user,
                calendar=calendar,
                name=data["name"],
                zone=data["zone"],
                hours=form.hours(),
                national_holidays=data["national_holidays"],
                collective_leave=data["collective_leave"],
                is_default=data["is_default"],
            )
        except ValidationError as error:
            _errors(form, error)
        else:
            messages.success(request, _("Calendar saved."))
            return redirect("sla:calendar", pk=calendar.pk)
    context = {
        "form": form,
        "calendar": calendar,
        "holiday_form": HolidayForm(),
        **(_holidays_context(calendar) if calendar else {}),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "sla/calendar_form.html", context, status=status)


def _holidays_context(calendar: Calendar) -> dict[str, object]:
    """Return the admin's own holidays and the national ones of this year and the next."""
    year = timezone.localdate().year
    national = (
        indonesian_holidays([year, year + 1], collective_leave=calendar.collective_leave)
        if calendar.national_holidays
        else []
    )
    return {"own_holidays": calendar_holidays(calendar), "national_holidays": national}


@require_POST
def holiday_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    calendar = calendar_get(pk)
    form = HolidayForm(request.POST)
    if form.is_valid():
        services.calendar_holiday_add(
            actor=user,
            calendar=calendar,
            date=form.cleaned_data["date"],
            name=form.cleaned_data["name"],
        )
        messages.success(request, _("Holiday added."))
    else:
        messages.error(request, _("A holiday needs a date and a name."))
    return redirect("sla:calendar", pk=calendar.pk)


@require_POST
def holiday_remove(request: HttpRequest, pk: int, holiday_pk: int) -> HttpResponse:
    user = _manager(request)
    calendar = calendar_get(pk)
    holiday = calendar.holidays.filter(pk=holiday_pk).first()
    if holiday is None:
        raise Http404("No such holiday")
    services.calendar_holiday_remove(actor=user, holiday=holiday)
    messages.success(request, _("Holiday removed."))
    return redirect("sla:calendar", pk=calendar.pk)


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    notices = list(notifications_for(user)[:NOTIFICATIONS_SHOWN])
    return render(request, "sla/notifications.html", {"notifications": notices})


@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a notice read and go where it points."""
    user = staff_user(request)
    notice = notification_for(user, pk)
    notification_read(user=user, notification=notice)
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None):
        return redirect(notice.url)
    return redirect("sla:notifications")


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    notifications_read_all(user=user)
    return redirect("sla:notifications")
