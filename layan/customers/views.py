"""Staff pages for customers and contacts ("customer 360")."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layan.core.http import is_htmx
from layan.customers import services
from layan.customers.forms import ContactCreateForm, CustomerCreateForm, CustomerNotesForm
from layan.customers.models import Contact, Customer
from layan.customers.queries import (
    contact_for,
    contact_memberships,
    contacts_for,
    customer_contacts,
    customer_for,
    customers_for,
)
from layan.team.auth import staff_user
from layan.tickets.queries import contact_tickets, customer_tickets


@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    search = request.GET.get("q", "")[:200]
    customers = customers_for(user, search=search)[:200]
    template = "customers/list.html#rows" if is_htmx(request) else "customers/list.html"
    return render(request, template, {"customers": customers, "q": search})


@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    customer = customer_for(user, pk)
    context = {
        "customer": customer,
        "memberships": customer_contacts(customer),
        "tickets": customer_tickets(customer, user=user),
        "notes_form": CustomerNotesForm(
            initial={
                "notes": customer.notes,
                "referral_source": customer.referral_source,
                "referral_note": customer.referral_note,
            }
        ),
        "can_edit": user.sees_everything or customer.account_manager_id == user.pk,
    }
    return render(request, "customers/detail.html", context)


@require_POST
def customer_notes(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    customer = customer_for(user, pk)
    form = CustomerNotesForm(request.POST)
    if form.is_valid():
        try:
            services.customer_notes_set(
                actor=user, customer=customer, notes=form.cleaned_data["notes"]
            )
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Notes saved."))
    return redirect("customers:detail", pk=customer.pk)


def customer_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = CustomerCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("Customer created."))
            return redirect("customers:detail", pk=customer.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/create.html", {"form": form}, status=status)


def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    customer = customer_for(user, pk)
    form = ContactCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(actor=user, customer=customer, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Contact added."))
            return redirect("customers:contact", pk=contact.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "customers/contact_create.html",
        {"form": form, "customer": customer},
        status=status,
    )


@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    search = request.GET.get("q", "")[:200]
    contacts = contacts_for(user, search=search).prefetch_related("identities")[:200]
    return render(request, "customers/contacts.html", {"contacts": contacts, "q": search})


@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    contact = contact_for(user, pk)
    context = {
        "contact": contact,
        "identities": contact.identities.order_by("kind", "value"),
        "memberships": contact_memberships(contact, user=user),
        "tickets": contact_tickets(contact, user=user),
    }
    return render(request, "customers/contact.html", context)


def _temperament(request: HttpRequest, subject: Contact | Customer, back: str) -> HttpResponse:
    user = staff_user(request)
    try:
        services.temperament_override(
            target=subject,
            actor=user,
            label=request.POST.get("label", ""),
            reason=request.POST.get("reason", "")[:500],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Temperament saved."))
    return redirect(back, pk=subject.pk)


@require_POST
def customer_temperament(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_for(staff_user(request), pk)
    return _temperament(request, customer, "customers:detail")


@require_POST
def contact_temperament(request: HttpRequest, pk: int) -> HttpResponse:
    contact = contact_for(staff_user(request), pk)
    return _temperament(request, contact, "customers:contact")
