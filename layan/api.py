"""Layan's HTTP API (django-ninja) at /api/v1/: a program acts as one member of staff, with
the same visibility and rights as that person has in the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import HttpBearer

from layan.team.models import User
from layan.team.tokens import token_user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return token_user(token)


api = NinjaAPI(
    title="Layan API",
    version="1",
    description="Tickets, replies, notes and customers. Authenticate with "
    "`Authorization: Bearer <token>` (`layan token create <username>`).",
    auth=BearerToken(),
    urls_namespace="api",
)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, error: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(error) or "Not allowed."}, status=403)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    detail: Any = error.message_dict if hasattr(error, "error_dict") else error.messages
    return api.create_response(request, {"detail": detail}, status=422)


from layan.customers.api import router as customers_router  # noqa: E402
from layan.tickets.api import router as tickets_router  # noqa: E402

api.add_router("/tickets", tickets_router, tags=["tickets"])
api.add_router("/customers", customers_router, tags=["customers"])
