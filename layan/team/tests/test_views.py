import pytest
from django.test import Client
from django.urls import reverse

from layan.team.models import Role
from layan.team.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_with_the_right_password_lands_in_the_inbox(client: Client) -> None:
    UserFactory(username="rina", role=Role.ACCOUNT_MANAGER)
    response = client.post(
        reverse("team:login"), {"username": "rina", "password": "rahasia-sekali-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:inbox")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("id", "Nama pengguna dan kata sandi tidak cocok"),
        ("en", "That username and password do not match"),
    ],
)
def test_login_failure_is_explained_in_the_chosen_language(
    client: Client, language: str, expected: str
) -> None:
    UserFactory(username="rina")
    client.cookies["django_language"] = language
    response = client.post(reverse("team:login"), {"username": "rina", "password": "salah"})
    assert response.status_code == 200
    assert expected in response.text


def test_pages_are_indonesian_by_default_whatever_the_browser_says(client: Client) -> None:
    response = client.get(reverse("team:login"), headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="id"' in response.text
    assert response["Content-Language"] == "id"


def test_staff_language_preference_is_used(client: Client) -> None:
    client.force_login(UserFactory(language="en"))
    response = client.get(reverse("tickets:inbox"))
    assert 'lang="en"' in response.text


def test_logout_needs_post(client: Client) -> None:
    client.force_login(UserFactory())
    assert client.get(reverse("team:logout")).status_code == 405
    assert client.post(reverse("team:logout")).status_code == 302
    assert client.get(reverse("tickets:inbox")).status_code == 302


def test_health_answers_without_login(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"
