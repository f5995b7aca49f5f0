"""Staff pages for tickets: thin views that parse, call one service or query, and render."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layan.core import clock
from layan.core.blobs import blob_chunks, blob_read
from layan.core.http import attachment_response_headers, image_type, is_htmx
from layan.customers.models import Customer
from layan.customers.queries import (
    customer_choices,
    customer_picked,
    customers_for,
    requester_choices,
)
from layan.logbook.models import Entry, EntryAttachment
from layan.logbook.services import RedactionRefused
from layan.logbook.verify import ticket_chain_verified
from layan.team.auth import staff_user
from layan.team.models import Team
from layan.tickets import services
from layan.tickets.evidence import ticket_evidence_export
from layan.tickets.forms import (
    InboxFilterForm,
    NoteForm,
    RedactForm,
    ReplyForm,
    TicketCreateForm,
    TicketUpdateForm,
)
from layan.tickets.models import Ticket
from layan.tickets.permissions import REDACTABLE, can_export_evidence, can_redact
from layan.tickets.queries import (
    INBOX_ROW_COLUMNS,
    assignable_owners,
    canned_text,
    checklist_item_for,
    citation_for,
    inbox_for,
    owner_choices,
    search_shortcuts,
    survey_by_token,
    team_choices,
    ticket_coach,
    ticket_for,
    ticket_links,
    ticket_playbook,
    ticket_tag_names,
    ticket_timeline,
)
from layan.tickets.satisfaction import (
    SurveyClosed,
    survey_answer,
    survey_consent,
    survey_consent_revoke,
)
from layan.tickets.testimonials import testimonials_html, testimonials_json


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    owners = owner_choices()
    teams = team_choices()
    customers = customer_choices(user, selected=request.GET.get("customer"))
    data = request.GET.copy()
    data.setdefault("status", "active")
    form = InboxFilterForm(data, owners=owners, teams=teams, customers=customers)
    filters = form.filters()
    page = inbox_for(
        user,
        filters,
        cursor=request.GET.get("after", ""),
        page_size=settings.LAYAN_INBOX_PAGE_SIZE,
        columns=INBOX_ROW_COLUMNS,
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "is_first_page": not request.GET.get("after"),
        "shortcuts": (
            search_shortcuts(user, filters.q)
            if filters.q and not request.GET.get("after")
            else None
        ),
    }
    template = "tickets/inbox.html#ticket-list" if is_htmx(request) else "tickets/inbox.html"
    return render(request, template, context)


def _detail_context(request: HttpRequest, ticket: Ticket, **overrides: object) -> dict[str, object]:
    user = staff_user(request)
    language = (translation.get_language() or "id")[:2]
    context: dict[str, object] = {
        **ticket_playbook(ticket, user=user, language=language),
        "ticket": ticket,
        "timeline": ticket_timeline(ticket),
        "can_write": user.can_write,
        "tags": ticket_tag_names(ticket),
        "links": ticket_links(ticket, user=user),
        **overrides,
    }
    # A form the caller brings (filled in, or with its errors) is not made a second time.
    if "reply_form" not in context:
        context["reply_form"] = ReplyForm(initial={"version": ticket.version})
    if "note_form" not in context:
        context["note_form"] = NoteForm()
    if "update_form" not in context:
        context["update_form"] = _update_form(ticket)
    return context


def _update_form(ticket: Ticket, data: object = None) -> TicketUpdateForm:
    initial = {
        "version": ticket.version,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "owner": ticket.owner_id,
        "team": ticket.team_id,
    }
    form = TicketUpdateForm(
        data, initial=initial, owners=assignable_owners(), teams=Team.objects.all()
    )
    if data is None:  # shown, not checked
        form.show_choices(owners=owner_choices(), teams=team_choices())
    return form


@require_GET
def ticket_detail(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    canned = request.GET.get("canned", "")
    reply_form = ReplyForm(initial={"version": ticket.version})
    if canned.isdigit():
        reply_form = ReplyForm(
            initial={"version": ticket.version, "text": canned_text(ticket, int(canned))}
        )
    context = _detail_context(
        request,
        ticket,
        reply_form=reply_form,
        logbook=ticket_chain_verified(ticket.chain, now=clock.now()),
        can_export=can_export_evidence(user),
        can_redact=can_redact(user),
    )
    return render(request, "tickets/detail.html", context)


@require_POST
def ticket_evidence(request: HttpRequest, reference: int) -> HttpResponseBase:
    """Build and send the ticket's evidence bundle (a POST: it signs a checkpoint and is logged)."""
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    if not can_export_evidence(user):
        raise PermissionDenied
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it when sent
    ticket_evidence_export(
        ticket=ticket, actor=user, target=spool, language=translation.get_language() or "id"
    )
    size = spool.tell()
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=f"layan-{ticket.reference}.zip")
    response["Content-Type"] = "application/zip"
    response["Content-Length"] = str(size)
    return response


def ticket_redact(request: HttpRequest, reference: int, seq: int) -> HttpResponse:
    """Ask for the reason, then erase one entry's content (admins only)."""
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    if not can_redact(user):
        raise PermissionDenied
    entry = Entry.objects.filter(chain_id=ticket.chain_id, seq=seq).first()
    if entry is None or entry.kind not in REDACTABLE:
        raise Http404("No such entry")
    form = RedactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_redact(entry=entry, actor=user, reason=form.cleaned_data["reason"])
        except RedactionRefused as error:
            messages.warning(request, str(error))
        else:
            messages.success(request, _("The content of entry %(seq)s was erased.") % {"seq": seq})
        return redirect("tickets:detail", reference=ticket.reference)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "tickets/redact.html",
        {"ticket": ticket, "entry": entry, "form": form},
        status=status,
    )


@require_POST
def ticket_reply(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    form = ReplyForm(request.POST)
    status = 200
    if form.is_valid():
        text, data = form.cleaned_data["text"], None
        if form.cleaned_data["cite"]:
            record, line = citation_for(
                user, form.cleaned_data["cite"], language=ticket.requester.language
            )
            text, data = text + line, {"cited": [record]}
        try:
            services.ticket_reply(
                ticket=ticket,
                actor=user,
                text=text,
                status=form.cleaned_data["status"] or None,
                version=form.cleaned_data["version"],
                data=data,
            )
        except services.TicketConflict as conflict:
            messages.warning(
                request,
                _(
                    "Your reply was saved, but the status was not changed: someone else changed "
                    "this ticket meanwhile."
                ),
            )
            ticket = conflict.ticket
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
            status = 400
        else:
            messages.success(request, _("Reply saved."))
            form = ReplyForm(initial={"version": ticket.version})
    else:
        status = 400
    return _after_post(request, ticket, status=status, reply_form=form)


@require_POST
def ticket_note(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    form = NoteForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.ticket_note_add(ticket=ticket, actor=user, text=form.cleaned_data["text"])
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
            status = 400
        else:
            messages.success(request, _("Note added."))
            form = NoteForm()
    else:
        status = 400
    return _after_post(request, ticket, status=status, note_form=form)


@require_POST
def ticket_update(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    form = _update_form(ticket, request.POST)
    if not form.is_valid():
        return _sidebar(request, ticket, form, status=400)
    data = form.cleaned_data
    try:
        ticket = services.ticket_update(
            ticket=ticket,
            actor=user,
            version=data["version"],
            status=data["status"],
            priority=data["priority"],
            category=data["category"],
            owner=data["owner"],
            team=data["team"],
            handover_note=data["handover_note"],
        )
    except services.TicketConflict:
        current = ticket_for(user, reference)
        return _sidebar(request, current, _update_form(current), status=409, conflict=True)
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, _error_text(error))
        return _sidebar(request, ticket, form, status=400)
    ticket = ticket_for(user, reference)
    messages.success(request, _("Ticket updated."))
    if is_htmx(request):
        return _sidebar(request, ticket, _update_form(ticket), status=200)
    return redirect("tickets:detail", reference=ticket.reference)


@require_POST
def ticket_take(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    try:
        won = services.ticket_take(ticket=ticket, actor=user)
    except PermissionDenied as error:
        messages.error(request, _error_text(error))
    else:
        if won:
            messages.success(request, _("You own this ticket now."))
        else:
            messages.warning(request, _("Someone else took this ticket first."))
    return redirect("tickets:detail", reference=ticket.reference)


@require_POST
def ticket_tags(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    names = request.POST.get("tags", "").replace(",", " ").split()[:30]
    try:
        services.ticket_tags_set(ticket=ticket, actor=user, names=names)
    except PermissionDenied as error:
        messages.error(request, _error_text(error))
    return redirect("tickets:detail", reference=ticket.reference)


@require_GET
def attachment_download(request: HttpRequest, reference: int, attachment_id: int) -> FileResponse:
    """Serve an attachment as a download, only to someone who may see its ticket."""
    ticket = ticket_for(staff_user(request), reference)
    attachment = (
        EntryAttachment.objects.filter(
            pk=attachment_id, entry__chain_id=ticket.chain_id, entry__redacted=False
        )
        .select_related("blob")
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment")
    response = FileResponse(blob_chunks(attachment.blob_id))
    for header, value in attachment_response_headers(
        attachment.filename, attachment.blob.size
    ).items():
        response[header] = value
    return response


@require_GET
def inline_image(request: HttpRequest, reference: int, attachment_id: int) -> HttpResponse:
    """Serve an inline image of a message, only when its bytes are a harmless raster image."""
    ticket = ticket_for(staff_user(request), reference)
    attachment = (
        EntryAttachment.objects.filter(
            pk=attachment_id, entry__chain_id=ticket.chain_id, entry__redacted=False
        )
        .select_related("blob")
        .first()
    )
    if attachment is None:
        raise Http404("No such image")
    data = blob_read(attachment.blob_id)
    content_type = image_type(data[:16])
    if content_type is None:
        raise Http404("Not an image")
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_POST
def reply_coach(request: HttpRequest, reference: int) -> HttpResponse:
    """Advise on a draft reply (as the agent types, or on request); it never blocks sending."""
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    report = ticket_coach(ticket, request.POST.get("text", "")[:20_000])
    if is_htmx(request):
        return render(request, "tickets/coach.html", {"ticket": ticket, "coach": report})
    form = ReplyForm(request.POST)
    form.is_valid()
    return render(
        request,
        "tickets/detail.html",
        _detail_context(request, ticket, reply_form=form, coach=report),
    )


@require_POST
def ticket_stage(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    try:
        services.ticket_stage_set(ticket=ticket, actor=user, stage=request.POST.get("stage", ""))
    except (ValidationError, PermissionDenied, ValueError) as error:
        messages.error(
            request,
            _error_text(error) if not isinstance(error, ValueError) else _("Unknown stage."),
        )
    return redirect(reverse("tickets:detail", args=[ticket.reference]) + "#playbook")


@require_POST
def ticket_fault(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    try:
        services.ticket_fault_assess(
            ticket=ticket,
            actor=user,
            fault=request.POST.get("fault", ""),
            note=request.POST.get("note", "")[:2000],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    except ValueError:
        messages.error(request, _("Choose whose fault it was."))
    else:
        messages.success(request, _("Fault assessment recorded."))
    return redirect(reverse("tickets:detail", args=[ticket.reference]) + "#playbook")


@require_POST
def ticket_handover_read(request: HttpRequest, reference: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    services.ticket_handover_read(ticket=ticket, actor=user)
    return redirect("tickets:detail", reference=ticket.reference)


@require_POST
def ticket_question(request: HttpRequest, reference: int, item_id: int) -> HttpResponse:
    user = staff_user(request)
    ticket = ticket_for(user, reference)
    item = checklist_item_for(ticket, item_id)
    try:
        services.ticket_question_tick(
            ticket=ticket, actor=user, item=item, asked=request.POST.get("asked") == "1"
        )
    except PermissionDenied as error:
        messages.error(request, _error_text(error))
    return redirect(reverse("tickets:detail", args=[ticket.reference]) + "#playbook")


@require_GET
def canned_reply(request: HttpRequest, reference: int, canned_id: int) -> HttpResponse:
    """A canned reply filled in for this ticket: into the composer (HTMX) or via the page."""
    ticket = ticket_for(staff_user(request), reference)
    if not is_htmx(request):
        return redirect(
            reverse("tickets:detail", args=[ticket.reference]) + f"?canned={canned_id}#composer"
        )
    text = canned_text(ticket, canned_id)
    return render(request, "tickets/reply_textarea.html", {"ticket": ticket, "text": text})


CUSTOMER_MATCHES = 20  # customers offered at a time on the new-ticket page's first step


def ticket_create(request: HttpRequest) -> HttpResponse:
    """Log a ticket for a customer: first find the customer (a search, not a list of every
    customer: an installation has tens of thousands), then the form with their contacts."""
    user = staff_user(request)
    customer = customer_picked(user, request.POST.get("customer") or request.GET.get("customer"))
    if customer is None and request.method != "POST":
        search = request.GET.get("q", "").strip()[:100]
        found = customers_for(user, search=search).values_list("pk", "name")
        matches: dict[str, object] = {"search": search, "found": list(found[:CUSTOMER_MATCHES])}
        return render(request, "tickets/create_customer.html", matches)
    # Only the chosen customer and their contacts: a customer the user may not see, or a
    # contact of someone else, is not a valid choice.
    chosen = Customer.objects.filter(pk=customer.pk) if customer else Customer.objects.none()
    form = TicketCreateForm(
        request.POST or None,
        customers=chosen.only("pk", "name"),
        contacts=requester_choices(user, customer),
        teams=Team.objects.all(),
        initial={"customer": customer.pk if customer else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket, _entry = services.ticket_open(
                actor=user,
                customer=data["customer"],
                requester=data["requester"],
                subject=data["subject"],
                text=data["text"],
                category=data["category"],
                priority=data["priority"],
                team=data["team"],
                owner=user,
                channel="ui",
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Ticket %(ref)s opened.") % {"ref": ticket.ref})
            return redirect("tickets:detail", reference=ticket.reference)
    status = 400 if request.method == "POST" else 200
    context: dict[str, object] = {"form": form, "customer": customer}
    return render(request, "tickets/create.html", context, status=status)


def _after_post(
    request: HttpRequest, ticket: Ticket, *, status: int, **forms: object
) -> HttpResponse:
    """Answer a reply/note post: the refreshed conversation for HTMX, a redirect otherwise."""
    ticket = ticket_for(staff_user(request), ticket.reference)
    if is_htmx(request):
        context = _detail_context(request, ticket, **forms)
        return render(request, "tickets/detail.html#conversation", context, status=status)
    if status != 200:
        return render(
            request, "tickets/detail.html", _detail_context(request, ticket, **forms), status=status
        )
    return redirect(reverse("tickets:detail", args=[ticket.reference]) + "#composer")


def _sidebar(
    request: HttpRequest,
    ticket: Ticket,
    form: TicketUpdateForm,
    *,
    status: int,
    conflict: bool = False,
) -> HttpResponse:
    context = _detail_context(request, ticket, update_form=form, update_conflict=conflict)
    template = "tickets/detail.html#properties" if is_htmx(request) else "tickets/detail.html"
    return render(request, template, context, status=status)


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You are not allowed to do that.")


@login_not_required
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page behind the survey link: rate, then perhaps allow a quote."""
    survey = survey_by_token(token)
    if survey is None:
        raise Http404("No such survey")
    language = survey.ticket.requester.language or "id"
    with translation.override(language):
        if request.method == "POST":
            action = request.POST.get("action", "")
            try:
                if action == "answer":
                    rating = request.POST.get("rating", "")
                    survey_answer(
                        survey=survey,
                        rating=int(rating) if rating.isdigit() else 0,
                        comment=request.POST.get("comment", ""),
                    )
                elif action == "consent":
                    survey_consent(
                        survey=survey,
                        given=request.POST.get("given") == "1",
                        display_name=request.POST.get("display_name", ""),
                    )
                elif action == "withdraw":
                    survey_consent_revoke(survey=survey)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            except SurveyClosed:
                messages.info(request, _("This link was already used for that."))
            return redirect("rate", token=token)
        expired = survey.answered_at is None and survey.expires_at < clock.now()
        response = render(
            request,
            "tickets/rate.html",
            {"survey": survey, "expired": expired, "token": token, "choices": range(1, 6)},
            status=410 if expired else 200,
        )
    # The token is in the path: never send it to another site. ("no-referrer" would also strip
    # the Origin of the page's own form posts, which CSRF protection checks.)
    response["Referrer-Policy"] = "same-origin"
    return response


@require_GET
def testimonials_export(request: HttpRequest, kind: str) -> HttpResponse:
    """Download the published testimonials (managers and admins)."""
    user = staff_user(request)
    if not user.sees_everything:
        raise PermissionDenied
    if kind == "json":
        response = HttpResponse(testimonials_json(), content_type="application/json")
    else:
        response = HttpResponse(testimonials_html(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="testimonials.{kind}"'
    return response
