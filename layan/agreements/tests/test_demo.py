import pytest
from django.utils import timezone

from layan.agreements.models import Order, OrderStatus, Verdict
from layan.agreements.queries import verdict_of, verdict_suggestion
from layan.core import clock
from layan.customers.models import Customer
from layan.demo import demo_load
from layan.logbook.verify import logbook_verify

pytestmark = pytest.mark.django_db


def test_demo_builds_a_yes_a_no_and_a_bad_client() -> None:
    demo_load(password="demo-password-123", seed=3, ticket_count=40)
    today = timezone.localdate(clock.now())
    for name, verdict in (
        ("PT Kopi Kenangan Senja", "yes"),
        ("Warung Sate Pak Kumis", "no"),
        ("CV Maju Bersama Elektrik", "bad"),
    ):
        customer = Customer.objects.get(name=name)
        assert verdict_of(customer) == verdict
        assert verdict_suggestion(customer, today=today).verdict == verdict
    bad = Customer.objects.get(name="CV Maju Bersama Elektrik")
    assert Order.objects.filter(customer=bad, status=OrderStatus.PENDING_APPROVAL).count() == 1
    assert Verdict.objects.get(customer=bad).requires_approval
    report = logbook_verify(now=clock.now(), blobs=False)
    assert report.ok, report
