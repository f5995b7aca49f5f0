from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from layan.core.clock import clock_at
from layan.customers.models import RevenueTier
from layan.customers.tests.factories import CustomerFactory
from layan.sla import services
from layan.sla.models import Calendar, Policy, TicketSla
from layan.sla.services import sla_refresh, sla_scan
from layan.sla.tests.factories import standard_setup, targets
from layan.team.models import Notification, Role
from layan.team.notifications import notification_emails_retry
from layan.team.tests.factories import TeamFactory, UserFactory
from layan.tickets import services as tickets
from layan.tickets.models import Status
from layan.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the first week of February 2026 (Monday the 2nd; no holiday that week)."""
    return datetime(2026, 2, day, hour, minute, tzinfo=WIB)


def stored(ticket) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket)


def evaluate(ticket, moment: datetime) -> TicketSla:
    sla_refresh([ticket.pk], now=moment, alert=False)
    return stored(ticket)


@pytest.fixture
def people():
    standard_setup()
    agent = UserFactory(role=Role.AGENT, email="agus@layan.test")
    manager = UserFactory(role=Role.MANAGER, email="dewi@layan.test")
    team = TeamFactory(members=[agent], manager=manager)
    return agent, manager, team


def test_deadlines_follow_a_real_conversation_to_the_minute(people) -> None:
    """Open, reply, wait on the customer, their answer, resolve and reopen: every deadline is
    where the office hours (lunch 12-13, Friday prayers) and the pauses put it."""
    agent, _manager, team = people
    with clock_at(at(2, 9)):
        ticket = make_ticket(team=team, owner=agent)

    sla = evaluate(ticket, at(2, 9, 30))
    # 240 working minutes from Monday 09:00: 3 h before lunch, 1 h after.
    assert sla.first_response_due_at == at(2, 14)
    assert sla.first_response_at_risk_at == at(2, 13, 12)
    # 960 working minutes: Monday 7 h, Tuesday 8 h, then one more hour on Wednesday.
    assert sla.resolution_due_at == at(4, 9)
    assert sla.next_due_at == at(2, 14)
    assert sla.next_change_at == at(2, 13, 12)

    with clock_at(at(2, 11)):
        tickets.ticket_reply(ticket=ticket, actor=agent, text="Baik Ibu, kami cek dulu.")
    with clock_at(at(2, 11, 30)):
        tickets.ticket_reply(
            ticket=ticket,
            actor=agent,
            text="Mohon kirim foto resinya.",
            status=Status.WAITING_CUSTOMER,
        )
    sla = evaluate(ticket, at(2, 14))
    assert (sla.first_response_state, sla.first_response_seconds) == ("met", 120 * 60)
    assert sla.resolution_state == "paused"
    assert sla.resolution_seconds == 150 * 60
    assert sla.next_due_at is None and sla.next_change_at is None

    with clock_at(at(2, 15)):
        tickets.ticket_message_add(ticket=ticket, contact=ticket.requester, text="Ini fotonya.")
    sla = evaluate(ticket, at(2, 15, 5))
    # The customer's answer reopens the ticket and makes a reply owed within 120 minutes.
    assert (sla.next_response_state, sla.next_response_due_at) == ("on_track", at(2, 17))
    # 150 minutes spent before the pause leave 810: Monday 2 h, Tuesday 8 h, Wednesday 3.5 h.
    assert sla.resolution_due_at == at(4, 11, 30)

    with clock_at(at(2, 16, 30)):
        tickets.ticket_reply(ticket=ticket, actor=agent, text="Sudah kami kirim ulang.")
    with clock_at(at(2, 16, 45)):
        ticket.refresh_from_db()
        tickets.ticket_update(
            ticket=ticket, actor=agent, version=ticket.version, status=Status.RESOLVED
        )
    sla = evaluate(ticket, at(3, 9))
    assert (sla.next_response_state, sla.next_response_seconds) == ("met", 90 * 60)
    assert (sla.resolution_state, sla.resolution_seconds) == ("met", 255 * 60)
    assert sla.next_due_at is None

    with clock_at(at(3, 10)):
        tickets.ticket_message_add(ticket=ticket, contact=ticket.requester, text="Masih rusak.")
    sla = evaluate(ticket, at(3, 11))
    # Reopening resumes resolution with 255 minutes spent: 705 left from Tuesday 10:00.
    assert sla.resolution_state == "on_track"
    assert sla.resolution_due_at == at(4, 14, 45)
    assert (sla.next_response_due_at, sla.next_response_at_risk_at) == (at(3, 12), at(3, 11, 36))
    assert sla.next_change_at == at(3, 11, 36)

    sla = evaluate(ticket, at(3, 13, 30))
    assert (sla.next_response_state, sla.next_response_breached_at) == ("breached", at(3, 12))
    assert sla.next_due_at == at(3, 12)

    with clock_at(at(3, 14)):
        ticket.refresh_from_db()
        tickets.ticket_update(ticket=ticket, actor=agent, version=ticket.version, priority="urgent")
    sla = evaluate(ticket, at(3, 14, 5))
    # Urgent allows 480 minutes; 255 + 3 (10-12, 13-14) hours = 435 spent, 45 left.
    assert sla.resolution_due_at == at(3, 14, 45)
    assert sla.next_response_state == "breached"


def test_friday_prayers_and_a_national_holiday_stop_the_clock(people) -> None:
    """A ticket opened on Friday 11:00 before Chinese New Year 2026 (Tuesday 17 February) and
    its collective leave on Monday 16th waits until Wednesday."""
    agent, _manager, team = people
    with clock_at(datetime(2026, 2, 13, 11, tzinfo=WIB)):
        ticket = make_ticket(team=team, owner=agent, priority="low")
    sla = evaluate(ticket, datetime(2026, 2, 13, 11, 5, tzinfo=WIB))
    # 480 minutes: Friday 30 min before prayers and 4 h after, then Wednesday 08:00 + 3.5 h.
    assert sla.first_response_due_at == datetime(2026, 2, 18, 11, 30, tzinfo=WIB)


def test_calendar_time_targets_ignore_office_hours(people) -> None:
    agent, _manager, team = people
    standard_setup()
    Policy.objects.all().delete()
    services.policy_save(actor=None, name="24/7", is_default=True, targets=targets(business=False))
    with clock_at(at(6, 16)):
        ticket = make_ticket(team=team, owner=agent)
    sla = evaluate(ticket, at(6, 16))
    assert sla.first_response_due_at == at(6, 20)


def test_a_matching_policy_wins_over_the_default_and_changes_with_the_ticket(people) -> None:
    """Policies match on priority, category, channel or team in their order; a change of
    category moves the ticket to another policy from that instant on."""
    agent, _manager, team = people
    complaints = services.policy_save(
        actor=None,
        name="Keluhan",
        match_category="complaint",
        position=10,
        targets=targets({"first_response": (15, 15, 60, 60)}),
    )
    with clock_at(at(2, 9)):
        ticket = make_ticket(team=team, owner=agent, category="question")
    assert evaluate(ticket, at(2, 9)).policy.is_default
    with clock_at(at(2, 9, 30)):
        ticket.refresh_from_db()
        tickets.ticket_update(
            ticket=ticket, actor=agent, version=ticket.version, category="complaint"
        )
    sla = evaluate(ticket, at(2, 9, 35))
    assert sla.policy == complaints
    # The 30 minutes already spent count against the complaint policy's 60.
    assert sla.first_response_due_at == at(2, 10)


def test_revenue_tier_never_changes_the_policy_or_the_deadlines(people) -> None:
    """Two tickets identical but for their customer's revenue tier get the same SLA."""
    agent, _manager, team = people
    results = []
    for tier in (RevenueTier.SMALL, RevenueTier.KEY):
        with clock_at(at(2, 9)):
            ticket = make_ticket(
                team=team, owner=agent, customer=CustomerFactory(revenue_tier=tier)
            )
        sla = evaluate(ticket, at(2, 10))
        results.append(
            (sla.policy_id, sla.first_response_due_at, sla.resolution_due_at, sla.next_change_at)
        )
    assert results[0] == results[1]


def test_policy_and_form_offer_no_revenue_or_tier_condition() -> None:
    from layan.sla.forms import PolicyForm

    names = {field.name for field in Policy._meta.get_fields()} | set(PolicyForm.base_fields)
    assert not any("revenue" in name or "tier" in name or "customer" in name for name in names)


def test_no_policy_means_no_targets(people) -> None:
    agent, _manager, team = people
    Policy.objects.all().delete()
    with clock_at(at(2, 9)):
        ticket = make_ticket(team=team, owner=agent)
    sla = evaluate(ticket, at(2, 10))
    assert sla.policy is None
    assert {m.state for m in sla.metrics} == {"not_applicable"}
    assert sla.next_due_at is None


def test_the_ticket_change_task_evaluates_with_the_database_clock(
    people, django_capture_on_commit_callbacks, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    agent, _manager, team = people
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(team=team, owner=agent)
    sla = stored(ticket)
    assert abs(sla.evaluated_at - services.sla_now()) < timedelta(minutes=1)
    assert sla.first_response_state in {"on_track", "at_risk", "breached"}


def scan_everything(now: datetime, callbacks) -> None:
    with callbacks(execute=True):
        sla_scan(now=now)
        notification_emails_retry()


def test_warnings_and_escalations_are_sent_exactly_once(
    people, django_capture_on_commit_callbacks
) -> None:
    """The scan warns the owner at 80 %, escalates to the team's manager on breach, once each,
    however often it runs and after a worker restart."""
    agent, manager, team = people
    with clock_at(at(2, 9)):
        ticket = make_ticket(team=team, owner=agent)
    scan_everything(at(2, 9, 1), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 0

    for minute in (13, 20, 40):
        scan_everything(at(2, 13, minute), django_capture_on_commit_callbacks)
    risk = Notification.objects.get()
    assert (risk.user, risk.kind, risk.url) == (
        agent,
        "sla_at_risk",
        f"/tickets/{ticket.reference}/",
    )
    assert [message.to for message in mail.outbox] == [[agent.email]]

    # A restarted worker starts with empty caches and runs the same scans again.
    services._national_holidays_of.cache_clear()
    for minute in (0, 1, 30):
        scan_everything(at(2, 14, minute), django_capture_on_commit_callbacks)
    breaches = Notification.objects.filter(kind="sla_breached")
    assert sorted(n.user_id for n in breaches) == sorted([agent.pk, manager.pk])
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [agent.email, agent.email, manager.email]
    )
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_a_mail_lost_to_a_crash_is_sent_once_by_the_retry(
    people, django_capture_on_commit_callbacks
):
    agent, _manager, team = people
    with clock_at(at(2, 9)):
        ticket = make_ticket(team=team, owner=agent)
    # The process dies after committing the notice, before its mail went out.
    with django_capture_on_commit_callbacks(execute=False):
        sla_refresh([ticket.pk], now=at(2, 13, 30))
    assert Notification.objects.get().email_pending
    assert mail.outbox == []
    for _ in range(3):
        notification_emails_retry()
    assert len(mail.outbox) == 1


def test_a_new_reply_cycle_can_warn_again(people, django_capture_on_commit_callbacks) -> None:
    agent, _manager, team = people
    with clock_at(at(2, 9)):
        ticket = make_ticket(team=team, owner=agent)
    with clock_at(at(2, 9, 10)):
        tickets.ticket_reply(ticket=ticket, actor=agent, text="Kami cek.")
    with clock_at(at(2, 10)):
        tickets.ticket_message_add(ticket=ticket, contact=ticket.requester, text="Sudah?")
    scan_everything(at(2, 11, 50), django_capture_on_commit_callbacks)
    with clock_at(at(2, 11, 55)):
        tickets.ticket_reply(ticket=ticket, actor=agent, text="Sudah dikirim.")
    with clock_at(at(2, 14)):
        tickets.ticket_message_add(ticket=ticket, contact=ticket.requester, text="Belum sampai.")
    scan_everything(at(2, 15, 50), django_capture_on_commit_callbacks)
    keys = list(Notification.objects.order_by("pk").values_list("key", flat=True))
    assert len(keys) == 2 and all(":next_response:" in key for key in keys)


def test_unowned_ticket_warns_the_team_manager(people, django_capture_on_commit_callbacks) -> None:
    _agent, manager, team = people
    with clock_at(at(2, 9)):
        make_ticket(team=team)
    scan_everything(at(2, 13, 30), django_capture_on_commit_callbacks)
    assert list(Notification.objects.values_list("user", flat=True)) == [manager.pk]


def test_scan_evaluates_tickets_never_evaluated(people) -> None:
    agent, _manager, team = people
    with clock_at(at(2, 9)):
        ticket = make_ticket(team=team, owner=agent)
    assert not TicketSla.objects.exists()
    assert sla_scan(now=at(2, 9, 5)).evaluated == 1
    assert stored(ticket).first_response_state == "on_track"
    assert sla_scan(now=at(2, 9, 6)).evaluated == 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER, Role.VIEWER])
def test_only_admins_and_managers_change_sla_configuration(role) -> None:
    user = UserFactory(role=role)
    with pytest.raises(PermissionDenied):
        services.calendar_save(
            actor=user, name="X", zone="Asia/Jakarta", hours={0: ["08:00-17:00"]}
        )
    with pytest.raises(PermissionDenied):
        services.policy_save(actor=user, name="X", is_default=True, targets=targets())
    assert not Calendar.objects.filter(name="X").exists()


@pytest.mark.parametrize(
    ("zone", "hours"),
    [
        ("Asia/Atlantis", {0: ["08:00-17:00"]}),
        ("Asia/Jakarta", {0: ["17:00-08:00"]}),
        ("Asia/Jakarta", {0: ["08:00-12:00", "11:00-13:00"]}),
        ("Asia/Jakarta", {}),
    ],
)
def test_unusable_calendars_are_refused(zone, hours) -> None:
    with pytest.raises(ValidationError):
        services.calendar_save(actor=None, name="X", zone=zone, hours=hours)


def test_a_new_default_calendar_takes_over(people) -> None:
    makassar = services.calendar_save(
        actor=None,
        name="Makassar",
        zone="Asia/Makassar",
        hours={0: ["08:00-16:00"]},
        is_default=True,
    )
    assert list(Calendar.objects.filter(is_default=True)) == [makassar]
