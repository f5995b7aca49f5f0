"""Customer-facing pages reached by a signed link, without an account.

The link is the only credential: every view checks it first, and anything wrong with it
(tampered, expired, for another version, already answered) is a plain 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from layan.agreements import services
from layan.agreements.forms import ChangesForm
from layan.agreements.models import Agreement
from layan.agreements.queries import agreement_by_link
from layan.core.blobs import blob_chunks
from layan.core.http import attachment_response_headers

LinkView = Callable[..., HttpResponseBase]


@dataclass(frozen=True, slots=True)
class Link:
    pk: int
    expires: int
    token: str


def _linked(view: Callable[..., HttpResponseBase]) -> LinkView:
    """Open the agreement the link signs, speak the contact's language, keep it private."""

    @never_cache
    @wraps(view)
    def wrapper(
        request: HttpRequest, pk: int, expires: int, token: str, **kwargs: Any
    ) -> HttpResponseBase:
        agreement = agreement_by_link(pk, expires, token)
        language = agreement.sent_to.language if agreement.sent_to else settings.LANGUAGE_CODE
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = view(request, agreement, Link(pk, expires, token), **kwargs)
        # The site-wide "same-origin" referrer policy already keeps the token from other
        # sites; "no-referrer" would make browsers send `Origin: null` and fail CSRF.
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def _page(
    request: HttpRequest, agreement: Agreement, link: Link, form: ChangesForm, *, status: int = 200
) -> HttpResponse:
    context = {
        "agreement": agreement,
        "order": agreement.order,
        "contact": agreement.sent_to,
        "attachments": agreement.attachments.order_by("position"),
        "form": form,
        "link": link,
    }
    return render(request, "portal/agreement.html", context, status=status)


@login_not_required
@require_GET
@_linked
def agreement(request: HttpRequest, agreement: Agreement, link: Link) -> HttpResponse:
    return _page(request, agreement, link, ChangesForm())


@login_not_required
@require_POST
@_linked
def agreement_confirm(request: HttpRequest, agreement: Agreement, link: Link) -> HttpResponse:
    try:
        acceptance = services.agreement_confirm(
            agreement=agreement,
            ip=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.headers.get("User-Agent", ""),
        )
    except services.AgreementNotOpen as error:
        raise Http404("No such agreement") from error
    context = {"agreement": agreement, "order": agreement.order, "acceptance": acceptance}
    return render(request, "portal/done.html", context)


@login_not_required
@require_POST
@_linked
def agreement_changes(request: HttpRequest, agreement: Agreement, link: Link) -> HttpResponse:
    form = ChangesForm(request.POST)
    if not form.is_valid():
        return _page(request, agreement, link, form, status=400)
    try:
        services.agreement_changes_request(
            agreement=agreement, comment=form.cleaned_data["comment"]
        )
    except services.AgreementNotOpen as error:
        raise Http404("No such agreement") from error
    context = {"agreement": agreement, "order": agreement.order, "changes": True}
    return render(request, "portal/done.html", context)


@login_not_required
@require_GET
@_linked
def agreement_file(
    request: HttpRequest, agreement: Agreement, link: Link, attachment_id: int
) -> FileResponse:
    attachment = agreement.attachments.filter(pk=attachment_id).select_related("blob").first()
    if attachment is None:
        raise Http404("No such file")
    response = FileResponse(blob_chunks(attachment.blob_id))
    for header, value in attachment_response_headers(
        attachment.filename, attachment.blob.size
    ).items():
        response[header] = value
    return response
