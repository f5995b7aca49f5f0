"""Who is asking: the signed-in member of staff, typed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from layan.team.models import User


def staff_user(request: HttpRequest) -> User:
    """Return the signed-in staff user (the login middleware has already refused strangers)."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied
    return user


def api_user(request: HttpRequest) -> User:
    """Return the staff user an API token authenticated (the API's bearer check ran first)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied
    return user
