"""Staff pages for the pipeline, orders and agreements, the portfolio and client verdicts."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layan.agreements import queries, services
from layan.agreements.diff import versions_diff
from layan.agreements.forms import (
    AgreementForm,
    BoardFilterForm,
    ChangeRequestForm,
    DealForm,
    DealMoveForm,
    DelayForm,
    DeliverForm,
    ImportForm,
    InvoiceForm,
    InvoicePaidForm,
    LinkForm,
    OrderForm,
    PromiseForm,
    RevenueForm,
    SendForm,
    TargetForm,
    VerdictForm,
)
from layan.agreements.imports import KINDS, csv_export, csv_import
from layan.agreements.models import Agreement, AgreementAttachment, Order, OrderStatus, Target
from layan.agreements.notices import delay_notice_compose
from layan.agreements.permissions import (
    can_approve,
    can_link_requests,
    can_manage,
    can_sell,
    can_set_targets,
)
from layan.core import clock
from layan.core.blobs import blob_chunks
from layan.core.charts import Series, bar_chart
from layan.core.html import html_to_text
from layan.core.http import attachment_response_headers, is_htmx
from layan.core.money import idr_format
from layan.customers.models import Contact
from layan.customers.queries import customer_for, customers_for
from layan.logbook.services import NewAttachment
from layan.logbook.verify import ticket_chain_verified
from layan.team.auth import staff_user
from layan.team.models import User


def _today() -> date:
    return timezone.localdate(clock.now())


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You are not allowed to do that.")


def _form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _managed_customers(user: User) -> Any:
    """The customers whose deals and orders `user` may change (their portfolio, or all)."""
    customers = customers_for(user)
    if not can_sell(user):
        return customers.none()
    return customers if user.sees_everything else customers.filter(account_manager=user)


# --- Pipeline -----------------------------------------------------------------------------------


def _board_context(request: HttpRequest, user: User) -> dict[str, object]:
    managers = list(queries.account_managers()) if user.sees_everything else []
    filters = BoardFilterForm(request.GET or None, managers=managers)
    am = filters.account_manager() if user.sees_everything else None
    return {
        "filters": filters,
        "columns": queries.pipeline_board(user, account_manager=am),
        "move_form": DealMoveForm(),
        "can_write": can_sell(user),
        "query": request.GET.urlencode(),
    }


@require_GET
def pipeline(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    template = "agreements/pipeline.html#board" if is_htmx(request) else "agreements/pipeline.html"
    return render(request, template, _board_context(request, user))


def deal_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = DealForm(
        request.POST or None,
        customers=_managed_customers(user),
        initial={"customer": request.GET.get("customer")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal = services.deal_create(
                actor=user,
                customer=data["customer"],
                title=data["title"],
                value=data["value"] or 0,
                stage=data["stage"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Deal added to the pipeline."))
            return redirect("agreements:deal", pk=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "agreements/deal_create.html", {"form": form}, status=status)


@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    deal = queries.deal_for(user, pk)
    context = {
        "deal": deal,
        "moves": queries.deal_moves(deal),
        "orders": deal.orders.order_by("-number"),
        "move_form": DealMoveForm(initial={"stage": deal.stage}),
        "can_manage": can_manage(user, deal.customer),
    }
    return render(request, "agreements/deal.html", context)


@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal: from the board by drag and drop (HTMX) or from the card's own form."""
    user = staff_user(request)
    deal = queries.deal_for(user, pk)
    form = DealMoveForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.deal_move(
                actor=user,
                deal=deal,
                stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
            status = 400
        else:
            messages.success(request, _("Deal moved."))
    else:
        messages.error(request, _("Choose a stage."))
        status = 400
    if is_htmx(request):
        context = _board_context(request, user)
        return render(request, "agreements/pipeline.html#board", context, status=status)
    back = request.POST.get("next", "")
    if back == "deal":
        return redirect("agreements:deal", pk=deal.pk)
    return redirect(reverse("agreements:pipeline") + (f"?{back}" if back else ""))


# --- Orders -------------------------------------------------------------------------------------


@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    orders = queries.orders_for(user).order_by("-updated_at", "-number")[:200]
    today = _today()
    rows = [(order, order.commitment(today)) for order in orders]
    return render(request, "agreements/orders.html", {"rows": rows, "can_write": can_sell(user)})


def order_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    customers = _managed_customers(user)
    deals = list(
        queries.deals_for(user)
        .filter(customer__in=customers.values("pk"), stage="won")
        .order_by("-closed_at")[:100]
    )
    initial: dict[str, Any] = {"customer": request.GET.get("customer")}
    deal_id = request.GET.get("deal", "")
    if deal_id.isdigit():
        chosen = next((deal for deal in deals if deal.pk == int(deal_id)), None)
        if chosen is not None:
            initial.update(
                customer=chosen.customer_id,
                deal=chosen.pk,
                title=chosen.title,
                contact=chosen.contact_id,
            )
    contacts = Contact.objects.filter(memberships__customer__in=customers.values("pk")).distinct()
    form = OrderForm(
        request.POST or None, customers=customers, contacts=contacts, deals=deals, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        deal = next((item for item in deals if item.pk == data["deal"]), None)
        try:
            order = services.order_create(
                actor=user,
                customer=data["customer"],
                contact=data["contact"],
                title=data["title"],
                deal=deal,
                promised_on=data["promised_on"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            if order.status == OrderStatus.PENDING_APPROVAL:
                messages.warning(
                    request, _("This client's verdict asks for a manager's approval first.")
                )
            else:
                messages.success(request, _("Order opened. Write its agreement next."))
            return redirect("agreements:order", number=order.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "agreements/order_create.html", {"form": form}, status=status)


def _order_context(request: HttpRequest, order: Order, **extra: object) -> dict[str, object]:
    user = staff_user(request)
    today = _today()
    versions = queries.order_versions(order)
    allowance = queries.order_allowance(order, versions=versions)
    manage = can_manage(user, order.customer)
    context: dict[str, object] = {
        "order": order,
        "today": today,
        "commitment": order.commitment(today),
        "versions": versions,
        "links": {item.pk: queries.agreement_link_path(item) for item in versions}
        if manage
        else {},
        "allowance": allowance,
        "timeline": queries.order_timeline(order),
        "invoices": list(order.invoices.all()),
        "can_manage": manage,
        "can_link": can_link_requests(user),
        "can_approve": can_approve(user),
        "promise_form": PromiseForm(initial={"promised_on": order.promised_on}),
        "deliver_form": DeliverForm(initial={"delivered_on": today}),
        "change_form": ChangeRequestForm(),
        "invoice_form": InvoiceForm(initial={"issued_on": today}),
        "paid_form": InvoicePaidForm(initial={"paid_on": today}),
        "contacts": list(order.customer.contacts.order_by("name")) if manage else [],
    }
    context.update(extra)
    return context


@require_GET
def order_detail(request: HttpRequest, number: int) -> HttpResponse:
    order = queries.order_for(staff_user(request), number)
    logbook = ticket_chain_verified(order.chain, now=clock.now())
    return render(request, "agreements/order.html", _order_context(request, order, logbook=logbook))


def _back(order: Order) -> HttpResponse:
    return redirect("agreements:order", number=order.number)


def _run(request: HttpRequest, order: Order, action: Any, success: str) -> HttpResponse:
    """Call one service for an order page form and come back to the order with the outcome."""
    try:
        action()
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    except services.AgreementNotOpen:
        messages.error(request, _("This version can no longer be sent."))
    else:
        messages.success(request, success)
    return _back(order)


@require_POST
def order_approve(request: HttpRequest, number: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    return _run(
        request,
        order,
        lambda: services.order_approve(actor=user, order=order),
        _("Order approved."),
    )


@require_POST
def order_promise(request: HttpRequest, number: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    form = PromiseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid date."))
        return _back(order)
    return _run(
        request,
        order,
        lambda: services.order_promise(
            actor=user, order=order, promised_on=form.cleaned_data["promised_on"]
        ),
        _("Promised date saved."),
    )


@require_POST
def order_deliver(request: HttpRequest, number: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    form = DeliverForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid date."))
        return _back(order)
    return _run(
        request,
        order,
        lambda: services.order_deliver(
            actor=user, order=order, delivered_on=form.cleaned_data["delivered_on"]
        ),
        _("Order delivered."),
    )


def order_delay(request: HttpRequest, number: int) -> HttpResponse:
    """Compose a delay notice: preview it in either language, then record it."""
    user = staff_user(request)
    order = queries.order_for(user, number)
    if not can_manage(user, order.customer):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = DelayForm(data, initial={"language": order.contact.language})
    preview = None
    status = 200
    if data is not None and form.is_valid():
        clean = form.cleaned_data
        if "record" in request.POST:
            try:
                services.order_delay(
                    actor=user,
                    order=order,
                    new_date=clean["new_date"],
                    reason=clean["reason"],
                    language=clean["language"],
                )
            except ValidationError as error:
                _form_errors(form, error)
                status = 400
            else:
                messages.success(request, _("Delay notice recorded; the new date is promised."))
                return _back(order)
        else:
            preview = delay_notice_compose(
                order=order,
                new_date=clean["new_date"],
                reason=clean["reason"],
                language=clean["language"],
                sender=user,
            )
    elif data is not None:
        status = 400
    context = {"order": order, "form": form, "preview": preview}
    return render(request, "agreements/delay.html", context, status=status)


def order_link(request: HttpRequest, number: int) -> HttpResponse:
    """List the customer's tickets and count one as a revision or an out-of-scope request."""
    user = staff_user(request)
    order = queries.order_for(user, number)
    candidates = queries.link_candidates(user, order)
    tickets = [candidate.ticket for candidate in candidates]
    form = LinkForm(request.POST or None, tickets=tickets)
    if request.method == "POST":
        if not can_link_requests(user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            ticket = next(item for item in candidates if item.ticket.pk == data["ticket"])
            try:
                request_row = services.order_request_link(
                    actor=user,
                    order=order,
                    ticket=ticket.ticket,
                    kind=data["kind"],
                    note=data["note"],
                    phrases=list(ticket.hint.phrases) if ticket.hint else [],
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, _error_text(error))
            else:
                if request_row.over_allowance:
                    messages.warning(
                        request,
                        _("Revision %(n)s is beyond the %(allowed)s agreed.")
                        % {"n": request_row.number, "allowed": request_row.allowed},
                    )
                else:
                    messages.success(request, _("Ticket counted on this order."))
                return _back(order)
    status = 400 if request.method == "POST" else 200
    context = {"order": order, "candidates": candidates, "form": form}
    return render(request, "agreements/link.html", context, status=status)


@require_POST
def order_change_request(request: HttpRequest, number: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    form = ChangeRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("extra_price", [])))
        return _back(order)
    return _run(
        request,
        order,
        lambda: services.change_request_issue(
            actor=user,
            order=order,
            extra_price=form.cleaned_data["extra_price"],
            note=form.cleaned_data["note"],
        ),
        _("Change request sent to the customer for confirmation."),
    )


def _uploads(form: AgreementForm) -> list[NewAttachment]:
    return [
        NewAttachment(
            filename=item.name or "lampiran",
            content_type=item.content_type or "application/octet-stream",
            payload=item.read(),
        )
        for item in form.cleaned_data.get("attachments") or []
    ]


def version_create(request: HttpRequest, number: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    if not can_manage(user, order.customer):
        raise PermissionDenied
    base = order.agreements.order_by("-version").first()
    initial: dict[str, Any] = {"currency": "IDR", "revisions_allowed": 2}
    if base is not None:
        initial.update(
            spec=base.spec_html,
            price=base.price,
            currency=base.currency,
            deadline=base.deadline,
            revisions_allowed=base.revisions_allowed,
            terms=base.terms,
        )
    form = AgreementForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = services.agreement_create(
                actor=user,
                order=order,
                spec=data["spec"],
                price=data["price"],
                currency=data["currency"],
                deadline=data["deadline"],
                revisions_allowed=data["revisions_allowed"],
                terms=data["terms"],
                change_note=data["change_note"],
                attachments=_uploads(form),
                keep_attachments_of=base,
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request, _("Version %(v)s saved as a draft.") % {"v": agreement.version}
            )
            return _back(order)
    status = 400 if request.method == "POST" else 200
    context = {"order": order, "form": form, "base": base}
    return render(request, "agreements/version_form.html", context, status=status)


def version_edit(request: HttpRequest, number: int, version: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    agreement = queries.order_version(order, version)
    if not can_manage(user, order.customer):
        raise PermissionDenied
    if agreement.is_frozen:
        messages.warning(request, _("A sent version cannot change; write a new version."))
        return _back(order)
    initial = {
        "spec": agreement.spec_html,
        "price": agreement.price,
        "currency": agreement.currency,
        "deadline": agreement.deadline,
        "revisions_allowed": agreement.revisions_allowed,
        "terms": agreement.terms,
        "change_note": agreement.change_note,
    }
    form = AgreementForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.agreement_update(
                actor=user,
                agreement=agreement,
                spec=data["spec"],
                price=data["price"],
                currency=data["currency"],
                deadline=data["deadline"],
                revisions_allowed=data["revisions_allowed"],
                terms=data["terms"],
                change_note=data["change_note"],
                attachments=_uploads(form),
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Draft saved."))
            return _back(order)
    status = 400 if request.method == "POST" else 200
    context = {"order": order, "form": form, "agreement": agreement}
    return render(request, "agreements/version_form.html", context, status=status)


@require_POST
def version_send(request: HttpRequest, number: int, version: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    agreement = queries.order_version(order, version)
    form = SendForm(request.POST, contacts=order.customer.contacts.all())
    if not form.is_valid():
        messages.error(request, _("Choose who confirms the agreement."))
        return _back(order)
    return _run(
        request,
        order,
        lambda: services.agreement_send(
            actor=user, agreement=agreement, contact=form.cleaned_data["contact"]
        ),
        _("Sent. Give the customer the confirmation link shown with the version."),
    )


def _diff_values(agreement: Agreement) -> dict[str, str]:
    return {
        "spec": html_to_text(agreement.spec_html),
        "price": idr_format(agreement.price, symbol=False),
        "currency": agreement.currency,
        "deadline": agreement.deadline.isoformat() if agreement.deadline else "—",
        "revisions_allowed": str(agreement.revisions_allowed),
        "terms": agreement.terms,
    }


@require_GET
def version_diff(request: HttpRequest, number: int) -> HttpResponse:
    """Show two versions side by side (by default the newest and the one before)."""
    user = staff_user(request)
    order = queries.order_for(user, number)
    versions = {item.version: item for item in order.agreements.all()}
    if len(versions) < 2:
        raise Http404("Nothing to compare")
    newest = max(versions)
    new_number = _int(request.GET.get("b"), newest)
    old_number = _int(request.GET.get("a"), new_number - 1)
    if old_number not in versions or new_number not in versions:
        raise Http404("No such version")
    old, new = versions[old_number], versions[new_number]
    context = {
        "order": order,
        "old": old,
        "new": new,
        "numbers": sorted(versions),
        "fields": versions_diff(_diff_values(old), _diff_values(new)),
    }
    return render(request, "agreements/diff.html", context)


def _int(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


@require_GET
def attachment_download(request: HttpRequest, number: int, attachment_id: int) -> FileResponse:
    order = queries.order_for(staff_user(request), number)
    return attachment_response(order, attachment_id)


def attachment_response(order: Order, attachment_id: int) -> FileResponse:
    """Serve an agreement file of an authorised order as a download, never inline."""
    attachment = (
        AgreementAttachment.objects.filter(pk=attachment_id, agreement__order=order)
        .select_related("blob")
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment")
    response = FileResponse(blob_chunks(attachment.blob_id))
    headers = attachment_response_headers(attachment.filename, attachment.blob.size)
    for header, value in headers.items():
        response[header] = value
    return response


@require_POST
def invoice_create(request: HttpRequest, number: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    form = InvoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the invoice: number, amount and both dates."))
        return _back(order)
    data = form.cleaned_data
    return _run(
        request,
        order,
        lambda: services.invoice_create(
            actor=user,
            customer=order.customer,
            order=order,
            number=data["number"],
            amount=data["amount"],
            issued_on=data["issued_on"],
            due_on=data["due_on"],
        ),
        _("Invoice recorded."),
    )


@require_POST
def invoice_paid(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    user = staff_user(request)
    order = queries.order_for(user, number)
    invoice = order.invoices.filter(pk=pk).first()
    form = InvoicePaidForm(request.POST)
    if invoice is None:
        raise Http404("No such invoice")
    if not form.is_valid():
        messages.error(request, _("Enter a valid date."))
        return _back(order)
    return _run(
        request,
        order,
        lambda: services.invoice_paid(
            actor=user, invoice=invoice, paid_on=form.cleaned_data["paid_on"]
        ),
        _("Payment recorded."),
    )


# --- Portfolio ----------------------------------------------------------------------------------


@require_GET
def portfolio(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    managers = list(queries.account_managers()) if user.sees_everything else []
    filters = BoardFilterForm(request.GET or None, managers=managers)
    chosen = filters.account_manager()
    account_manager = next((item for item in managers if item.pk == chosen), None)
    data = queries.portfolio_for(user, account_manager=account_manager, today=_today())
    million = 1_000_000
    chart = bar_chart(
        [f"{figure.month:%m/%y}" for figure in data.months],
        [
            Series(_("Target"), [figure.target / million for figure in data.months]),
            Series(_("Achieved"), [figure.achieved / million for figure in data.months]),
        ],
        title=_("Revenue against target (million IDR)"),
    )
    context = {
        "filters": filters,
        "portfolio": data,
        "chart": chart,
        "can_set_targets": can_set_targets(user),
        "can_write": can_sell(user),
    }
    return render(request, "agreements/portfolio.html", context)


def revenue_entry(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    customers = _managed_customers(user)
    form = RevenueForm(
        request.POST or None,
        customers=customers,
        initial={"month": _today().replace(day=1), "customer": request.GET.get("customer")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.revenue_set(
                actor=user,
                customer=data["customer"],
                month=data["month"],
                amount=data["amount"],
                note=data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Revenue saved."))
            return redirect("agreements:revenue")
    recent = queries.revenue_for(user).order_by("-month", "customer__name")[:50]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "agreements/revenue.html", {"form": form, "recent": recent}, status=status
    )


def target_entry(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not can_set_targets(user):
        raise PermissionDenied
    form = TargetForm(
        request.POST or None,
        managers=queries.account_managers(),
        initial={"month": _today().replace(day=1)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.target_set(
                actor=user,
                account_manager=data["account_manager"],
                month=data["month"],
                amount=data["amount"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Target saved."))
            return redirect("agreements:targets")
    recent = Target.objects.select_related("account_manager").order_by(
        "-month", "account_manager__first_name"
    )[:50]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "agreements/targets.html", {"form": form, "recent": recent}, status=status
    )


def csv_upload(request: HttpRequest) -> HttpResponse:
    """Import customers, contacts or revenue from a CSV file: all rows or none."""
    user = staff_user(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report = csv_import(
                    form.cleaned_data["kind"],
                    actor=user,
                    data=form.cleaned_data["file"].read(),
                    dry_run=form.cleaned_data["dry_run"],
                )
            except PermissionDenied as error:
                form.add_error(None, _error_text(error))
                status = 403
            else:
                status = 200 if report.ok else 400
        else:
            status = 400
    return render(
        request, "agreements/import.html", {"form": form, "report": report}, status=status
    )


@require_GET
def csv_download(request: HttpRequest, kind: str) -> HttpResponse:
    user = staff_user(request)
    if kind not in KINDS:
        raise Http404("No such export")
    buffer = io.StringIO()
    csv_export(kind, user=user, target=buffer)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="layan-{kind}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Verdicts -----------------------------------------------------------------------------------


def verdict(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the signals and Layan's suggestion, and let a person record the verdict."""
    user = staff_user(request)
    customer = customer_for(user, pk)
    suggestion = queries.verdict_suggestion(customer, today=_today())
    current = queries.verdict_current(customer)
    form = VerdictForm(
        request.POST or None,
        initial={"verdict": suggestion.verdict or (current.verdict if current else None)},
    )
    if request.method == "POST":
        if not can_manage(user, customer):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.verdict_record(
                    actor=user,
                    customer=customer,
                    verdict=data["verdict"],
                    reason=data["reason"],
                    requires_approval=data["requires_approval"],
                    suggestion=suggestion,
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("Verdict recorded."))
                return redirect("agreements:verdict", pk=customer.pk)
    context = {
        "customer": customer,
        "suggestion": suggestion,
        "current": current,
        "history": queries.verdict_history(customer),
        "form": form,
        "can_manage": can_manage(user, customer),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "agreements/verdict.html", context, status=status)
