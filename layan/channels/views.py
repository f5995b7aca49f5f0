"""Mail that needs a person: kept raw, quarantined after failures."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layan.channels.queries import attention_for, can_review_mail, mailboxes_for, record_for
from layan.channels.services import record_retry
from layan.core.blobs import blob_chunks
from layan.core.http import attachment_response_headers
from layan.team.auth import staff_user


@require_GET
def attention(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not can_review_mail(user):
        raise PermissionDenied
    context = {"records": attention_for(user), "mailboxes": mailboxes_for(user)}
    return render(request, "channels/attention.html", context)


@require_GET
def raw_download(request: HttpRequest, pk: int) -> FileResponse:
    record = record_for(staff_user(request), pk)
    response = FileResponse(blob_chunks(record.raw_id))
    for header, value in attachment_response_headers(
        f"pesan-{record.pk}.eml", record.raw.size
    ).items():
        response[header] = value
    return response


@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    record = record_for(staff_user(request), pk)
    result = record_retry(record=record)
    messages.info(
        request,
        _("Processed again: %(outcome)s. %(reason)s")
        % {"outcome": result.outcome.label, "reason": result.reason},
    )
    return redirect("channels:attention")
