"""API tokens: made once and shown once, stored as a digest, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from layan.core import clock
from layan.core.reads import PreparedRead
from layan.team.models import ApiToken, User

PREFIX = "layan_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for `user`; return it and the key, which is never shown again."""
    if not user.is_active:
        raise ValidationError(_("An inactive user cannot have API tokens."))
    key = PREFIX + secrets.token_urlsafe(32)  # 256 bits
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:80] or "api",
        prefix=key[: len(PREFIX) + 6],
        key_sha256=_digest(key),
        created_at=clock.now(),
    )
    return token, key


# Every API request asks this first: built once (see `layan.core.reads`). What a call never
# uses is left out: the token's name and dates of making, the user's password hash and
# dates (each column read also lets go of Python's lock on SQLite, ADR 0023).
_TOKEN_UNREAD = (
    "name",
    "prefix",
    "created_at",
    "user__password",
    "user__last_login",
    "user__date_joined",
)
_token_by_digest = PreparedRead(
    lambda digest: (
        ApiToken.objects.select_related("user").defer(*_TOKEN_UNREAD).filter(key_sha256=digest)
    ),
    digest=str,
)


def token_user(key: str) -> User | None:
    """Return the active user a presented key belongs to, or None."""
    if not key.startswith(PREFIX) or len(key) > 200:
        return None
    digest = _digest(key)
    token = _token_by_digest.one(digest=digest)  # the digest is unique
    if (
        token is None
        or not hmac.compare_digest(token.key_sha256, digest)
        or token.revoked_at is not None
        or not token.user.is_active
    ):
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Written at most every few minutes, so a busy client does not write on every call.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
    token.refresh_from_db()
    return token
