"""The customer's signed link to an agreement version (security case A01)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from layan.agreements import services
from layan.agreements.models import Acceptance, Agreement, AgreementStatus
from layan.agreements.queries import agreement_link_path
from layan.agreements.tests.factories import Account, make_account, make_agreement, make_order
from layan.logbook.services import NewAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> Account:
    return make_account()


def _sent(account: Account, **kwargs: object) -> Agreement:
    order = make_order(account)
    agreement = make_agreement(order, account.manager, **kwargs)
    return services.agreement_send(actor=account.manager, agreement=agreement)


def test_customer_reads_and_confirms_without_an_account(client: Client, account: Account) -> None:
    agreement = _sent(account, terms="DP 50%")
    link = agreement_link_path(agreement)
    page = client.get(link)
    assert page.status_code == 200
    assert "Ibu Rina" in page.text and "Rp 25.000.000" in page.text and "DP 50%" in page.text
    assert "no-store" in page["Cache-Control"]
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert page["Referrer-Policy"] == "same-origin"

    done = client.post(
        link + "confirm/", headers={"User-Agent": "Mozilla/5.0 (iPhone)"}, REMOTE_ADDR="203.0.113.9"
    )

    assert done.status_code == 200
    acceptance = Acceptance.objects.get(agreement=agreement)
    assert (acceptance.contact, acceptance.ip) == (account.contact, "203.0.113.9")
    assert acceptance.user_agent == "Mozilla/5.0 (iPhone)"
    assert acceptance.digest == agreement.digest
    assert agreement.digest in done.text


def test_customer_asks_for_changes(client: Client, account: Account) -> None:
    agreement = _sent(account)
    link = agreement_link_path(agreement)
    assert client.post(link + "changes/", {"comment": ""}).status_code == 400
    response = client.post(link + "changes/", {"comment": "Mohon tambah 200 pcs."})
    assert response.status_code == 200
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.CHANGES_REQUESTED
    assert client.get(link).status_code == 404


def test_sec_a01_expired_link_is_404(client: Client, account: Account) -> None:
    agreement = _sent(account)
    link = agreement_link_path(agreement)
    assert agreement.link_expires_at is not None
    with time_machine.travel(agreement.link_expires_at - timedelta(seconds=5), tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel(agreement.link_expires_at + timedelta(seconds=1), tick=False):
        assert client.get(link).status_code == 404
        assert client.post(link + "confirm/").status_code == 404
    assert not Acceptance.objects.exists()


def test_sec_a01_tampered_links_are_404(client: Client, account: Account) -> None:
    agreement = _sent(account)
    prefix, pk, expires, token, _ = agreement_link_path(agreement).rsplit("/", 4)
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    for path in [
        f"{prefix}/{pk}/{expires}/{flipped}/",
        f"{prefix}/{pk}/{expires}/{token[:-1]}/",
        f"{prefix}/{pk}/{expires}/{token}x/",
        f"{prefix}/{pk}/{int(expires) + 86_400}/{token}/",
        f"{prefix}/{int(pk) + 1}/{expires}/{token}/",
        f"{prefix}/{pk}/{expires}/{token.upper()}/",
    ]:
        assert client.get(path).status_code == 404, path
        assert client.post(path + "confirm/").status_code == 404, path
        assert client.post(path + "changes/", {"comment": "x"}).status_code == 404, path
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SENT


def test_sec_a01_reuse_after_confirmation_is_404(client: Client, account: Account) -> None:
    agreement = _sent(account)
    link = agreement_link_path(agreement)
    assert client.post(link + "confirm/").status_code == 200
    assert client.get(link).status_code == 404
    assert client.post(link + "confirm/").status_code == 404
    assert client.post(link + "changes/", {"comment": "Ubah"}).status_code == 404
    assert Acceptance.objects.filter(agreement=agreement).count() == 1


def test_sec_a01_another_versions_token_is_404(client: Client, account: Account) -> None:
    first = _sent(account)
    first_link = agreement_link_path(first)
    second = make_agreement(first.order, account.manager, price=30_000_000)
    second = services.agreement_send(actor=account.manager, agreement=second)
    second_link = agreement_link_path(second)
    _, _pk, expires, token, _ = first_link.rsplit("/", 4)
    borrowed = second_link.rsplit("/", 4)[0] + f"/{second.pk}/{expires}/{token}/"
    assert client.get(borrowed).status_code == 404
    assert client.post(borrowed + "confirm/").status_code == 404
    # The superseded version's own link is dead too: only the newest offer can be confirmed.
    assert client.get(first_link).status_code == 404
    assert client.get(second_link).status_code == 200


def test_sec_a01_content_changed_after_sending_kills_the_link(
    client: Client, account: Account
) -> None:
    agreement = _sent(account)
    link = agreement_link_path(agreement)
    Agreement.objects.filter(pk=agreement.pk).update(digest="0" * 64)
    assert client.get(link).status_code == 404


def test_sec_a01_sending_again_replaces_the_old_link(client: Client, account: Account) -> None:
    agreement = _sent(account)
    old = agreement_link_path(agreement)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        again = services.agreement_send(actor=account.manager, agreement=agreement)
    new = agreement_link_path(again)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_sec_a01_a_draft_has_no_working_link(client: Client, account: Account) -> None:
    sent = _sent(account)
    prefix, _pk, expires, token, _ = agreement_link_path(sent).rsplit("/", 4)
    draft = make_agreement(sent.order, account.manager)
    assert agreement_link_path(draft) == ""
    assert client.get(f"{prefix}/{draft.pk}/{expires}/{token}/").status_code == 404


def test_sec_a01_files_only_of_that_version_and_never_inline(
    client: Client, account: Account
) -> None:
    order = make_order(account)
    agreement = make_agreement(
        order,
        account.manager,
        attachments=[NewAttachment("desain.html", "text/html", b"<script>alert(1)</script>")],
    )
    other = make_agreement(
        make_order(account),
        account.manager,
        attachments=[NewAttachment("rahasia.pdf", "application/pdf", b"%PDF-1.4")],
    )
    agreement = services.agreement_send(actor=account.manager, agreement=agreement)
    link = agreement_link_path(agreement)
    mine = agreement.attachments.get()
    response = client.get(f"{link}files/{mine.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"
    assert client.get(f"{link}files/{other.attachments.get().pk}/").status_code == 404
