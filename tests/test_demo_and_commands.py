"""The demo and the set-up commands that `make run` relies on."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from layan.customers.models import Customer
from layan.demo import demo_load
from layan.logbook.bodies import entry_body
from layan.logbook.chain import entry_hash
from layan.logbook.models import Entry
from layan.team.models import User
from layan.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_demo_is_believable_and_deterministic() -> None:
    summary = demo_load(password="demo-password-123", seed=7, ticket_count=60)
    assert summary.customers == Customer.objects.count() >= 40
    assert Customer.objects.filter(kind="internal").count() >= 5
    assert Ticket.objects.count() == 60
    assert User.objects.filter(role="account_manager").count() >= 4
    subjects = list(Ticket.objects.order_by("reference").values_list("subject", flat=True))
    assert any("kecewa" in s.lower() or "parah" in s.lower() for s in subjects)
    english = Entry.objects.filter(text__icontains="Dear ").exists()
    assert english
    # Every chain the demo wrote is intact.
    for entry in Entry.objects.select_related("chain").prefetch_related("attachments")[:300]:
        body = entry_body(entry, chain_label=entry.chain.label, attachments=[])
        assert entry_hash(body) == entry.body_hash
    # Same seed, same business: compare with a fresh load in another transaction is costly,
    # so compare against the plan the seed fixes: the first subjects are stable.
    assert subjects[:3] == SEED_7_FIRST_SUBJECTS


SEED_7_FIRST_SUBJECTS: list[str] = []


@pytest.fixture(autouse=True, scope="module")
def _first_subjects(django_db_setup: None, django_db_blocker: object) -> None:
    """Learn the first subjects of seed 7 once, in a throwaway transaction."""
    from django.db import transaction

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                demo_load(password="x" * 12, seed=7, ticket_count=60)
                SEED_7_FIRST_SUBJECTS[:] = list(
                    Ticket.objects.order_by("reference").values_list("subject", flat=True)[:3]
                )
                raise RuntimeError("roll back")
        except RuntimeError:
            pass


def test_demo_refuses_a_database_with_tickets() -> None:
    demo_load(password="demo-password-123", seed=1, ticket_count=5)
    with pytest.raises(CommandError):
        call_command("demo", stdout=io.StringIO())


def test_setup_creates_the_admin_once_and_prints_the_login(tmp_path: Path) -> None:
    out = io.StringIO()
    with override_settings(DATA_DIR=tmp_path):
        call_command("setup", "--no-demo", stdout=out)
        first = out.getvalue()
        out2 = io.StringIO()
        call_command("setup", "--no-demo", stdout=out2)
    assert "admin / " in first
    password = first.split("admin / ")[1].split()[0]
    assert User.objects.get(username="admin").check_password(password)
    assert password in out2.getvalue()
    assert (tmp_path / "initial-credentials.txt").stat().st_mode & 0o777 == 0o600
    assert User.objects.count() == 1
