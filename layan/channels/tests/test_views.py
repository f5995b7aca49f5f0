import pytest
from django.test import Client
from django.urls import reverse

from layan.channels.intake import receive
from layan.channels.models import InboundRecord, Outcome
from layan.channels.types import Channel, ParseFailure
from layan.team.models import Role
from layan.team.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept() -> InboundRecord:
    receive(ParseFailure(channel=Channel.EMAIL, raw=b"<html>bukan email", reason="not mail"))
    return InboundRecord.objects.get()


def test_admins_see_kept_mail_and_download_it_raw(client: Client, kept: InboundRecord) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    page = client.get(reverse("channels:attention"))
    assert page.status_code == 200 and "not mail" in page.text
    raw = client.get(reverse("channels:raw", args=[kept.pk]))
    assert raw["Content-Type"] == "application/octet-stream"
    assert raw["Content-Disposition"].startswith("attachment")
    assert b"".join(raw.streaming_content) == b"<html>bukan email"


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER, Role.VIEWER])
def test_others_cannot_read_kept_mail(client: Client, kept: InboundRecord, role: str) -> None:
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("channels:attention")).status_code == 403
    assert client.get(reverse("channels:raw", args=[kept.pk])).status_code == 404
    assert client.post(reverse("channels:retry", args=[kept.pk])).status_code == 404


def test_try_again_runs_the_intake(client: Client, kept: InboundRecord) -> None:
    client.force_login(UserFactory(role=Role.MANAGER))
    response = client.post(reverse("channels:retry", args=[kept.pk]))
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.outcome == Outcome.KEPT_RAW and kept.attempts == 1
