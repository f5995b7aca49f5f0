"""The follow-up work of ticket changes (`ticket_changed`, `changes_batched`)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from layan.tickets.services import CHANGES_PER_TASK, changes_batched, ticket_changed
from layan.tickets.tasks import tickets_changed_task
from layan.tickets.tests.factories import make_ticket

FIRST = "layan.tickets.tests.test_change_tasks.First"
SECOND = "layan.tickets.tests.test_change_tasks.Second"


class First:
    """A follow-up task that fails for ticket 2."""

    seen: ClassVar[list[int]] = []

    @classmethod
    def call(cls, ticket_id: int) -> None:
        cls.seen.append(ticket_id)
        if ticket_id == 2:
            raise RuntimeError("no SLA policy")


class Second:
    seen: ClassVar[list[int]] = []

    @classmethod
    def call(cls, ticket_id: int) -> None:
        cls.seen.append(ticket_id)


@pytest.fixture
def followers(settings):
    settings.LAYAN_TICKET_CHANGE_TASKS = [FIRST, SECOND]
    First.seen, Second.seen = [], []


def test_every_follower_sees_every_ticket_even_after_one_fails(followers, caplog) -> None:
    with pytest.raises(RuntimeError, match=r"First for ticket 2$"):
        tickets_changed_task.call([1, 2, 3])
    assert First.seen == [1, 2, 3]
    assert Second.seen == [1, 2, 3]
    assert "ticket_follow_up_failed" in caplog.text


def _jobs(enqueued: list[tuple[str, list[Any]]]) -> list[list[int]]:
    """The ticket ids of each follow-up job queued, in order."""
    return [args[0] for path, args in enqueued if path == tickets_changed_task.module_path]


@pytest.mark.django_db
def test_a_change_queues_one_job_for_all_followers(
    followers, enqueued, django_capture_on_commit_callbacks
) -> None:
    ticket = make_ticket()
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_changed(ticket.pk)
    assert _jobs(enqueued) == [[ticket.pk]]


@pytest.mark.django_db
def test_a_batch_queues_one_job_per_slice(
    followers, enqueued, django_capture_on_commit_callbacks
) -> None:
    tickets = [make_ticket() for _ in range(3)]
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True), changes_batched():
        for ticket in tickets + tickets:
            ticket_changed(ticket.pk)
    ids = sorted(t.pk for t in tickets)
    assert _jobs(enqueued) == [
        ids[at : at + CHANGES_PER_TASK] for at in range(0, 3, CHANGES_PER_TASK)
    ]


@pytest.mark.django_db
def test_without_followers_nothing_is_queued(
    settings, enqueued, django_capture_on_commit_callbacks
) -> None:
    settings.LAYAN_TICKET_CHANGE_TASKS = []
    ticket = make_ticket()
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_changed(ticket.pk)
        with changes_batched():
            ticket_changed(ticket.pk)
    assert _jobs(enqueued) == []
