"""A signed-in page's two reads, built once: its session and the member of staff it names.

Every page a browser asks for reads its session row by key, then the user the session names.
Django builds both lookups through the ORM on every request; here they are prepared reads
(`layan.core.reads`) compiled once per connection, with the same answers: a session past its
expiry date is not found (it is compared here rather than in the statement), and a user who
may not sign in (inactive) is nobody.

Sessions written when Django's own `ModelBackend` signed people in name that backend; they
are read as naming `StaffBackend`, so nobody is signed out by the change.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from layan.core.reads import PreparedRead
from layan.team.models import User

BACKEND = "layan.team.sessions.StaffBackend"
_EARLIER_BACKEND = "django.contrib.auth.backends.ModelBackend"

_session_by_key = PreparedRead(lambda key: Session.objects.filter(session_key=key), key=str)
_user_by_id = PreparedRead(lambda pk: User.objects.filter(pk=pk), pk=int)


class SessionStore(db.SessionStore):
    """Django's database sessions, read with a prepared statement."""

    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        session = _session_by_key.one(key=key) if isinstance(key, str) else None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session

    def load(self) -> dict[str, Any]:
        data: dict[str, Any] = super().load()
        if data.get(BACKEND_SESSION_KEY) == _EARLIER_BACKEND:
            data[BACKEND_SESSION_KEY] = BACKEND
        return data


class StaffBackend(ModelBackend):
    """Django's password backend, finding a session's user with a prepared statement."""

    def get_user(self, user_id: Any) -> User | None:
        if type(user_id) is not int:
            return super().get_user(user_id)
        user = _user_by_id.one(pk=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
