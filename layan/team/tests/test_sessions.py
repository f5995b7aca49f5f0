from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from layan.team.models import User
from layan.team.sessions import StaffBackend
from layan.team.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "rahasia-sekali-123"  # the factory's


def signed_in(client: Client, user: User) -> Client:
    response = client.post(reverse("team:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def inbox_status(client: Client) -> int:
    return client.get(reverse("tickets:inbox")).status_code


def test_a_password_sign_in_keeps_its_session_and_names_the_staff_backend(client: Client) -> None:
    signed_in(client, UserFactory(username="rina"))
    assert inbox_status(client) == 200
    assert client.session[BACKEND_SESSION_KEY] == "layan.team.sessions.StaffBackend"
    assert settings.SESSION_ENGINE == "layan.team.sessions"


def test_an_expired_session_signs_its_holder_out(client: Client) -> None:
    signed_in(client, UserFactory())
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    response = client.get(reverse("tickets:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("team:login"))


def test_a_session_of_a_member_made_inactive_no_longer_signs_in(client: Client) -> None:
    user = UserFactory()
    signed_in(client, user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert inbox_status(client) == 302


def test_a_changed_password_signs_out_the_other_sessions(client: Client) -> None:
    user = UserFactory()
    signed_in(client, user)
    user.set_password("kata-sandi-baru-456")
    user.save()
    assert inbox_status(client) == 302


def test_a_session_from_before_the_staff_backend_stays_signed_in(client: Client) -> None:
    """Sessions written when Django's own backend signed people in name that backend."""
    signed_in(client, UserFactory())
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    assert inbox_status(client) == 200


def test_an_unknown_or_malformed_session_key_is_nobody(client: Client) -> None:
    for key in ("x" * 32, "", "'; DROP TABLE django_session; --" + "a" * 8):
        client.cookies[settings.SESSION_COOKIE_NAME] = key
        assert inbox_status(client) == 302


def test_a_page_reads_its_session_and_user_in_one_statement_each(client: Client) -> None:
    user = UserFactory()
    signed_in(client, user)
    client.get(reverse("tickets:inbox"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("tickets:inbox"))
    sessions = [q["sql"] for q in captured if '"django_session"' in q["sql"]]
    users = [q["sql"] for q in captured if 'FROM "team_user"' in q["sql"]]
    assert len(sessions) == 1 and "expire_date" not in sessions[0].split("WHERE")[1]
    assert any("WHERE" in sql and '"team_user"."id" =' in sql for sql in users)


def test_the_backend_finds_active_users_only(db: None) -> None:
    backend = StaffBackend()
    active, inactive = UserFactory(), UserFactory(is_active=False)
    assert backend.get_user(active.pk) == active
    assert backend.get_user(inactive.pk) is None
    assert backend.get_user(inactive.pk + 1000) is None
    assert backend.get_user(str(active.pk)) == active  # Django's path for a key not an int


def test_a_session_expiring_later_is_read(client: Client) -> None:
    signed_in(client, UserFactory())
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=30)
    )
    assert inbox_status(client) == 200
