"""The follow-up work of a batch of ticket changes (`changes_batched`)."""

from __future__ import annotations

from typing import ClassVar

import pytest

from layan.tickets.tasks import tickets_changed_task

FOLLOWER = "layan.tickets.tests.test_change_tasks.Follower"


class Follower:
    """A follow-up task that fails for ticket 2."""

    seen: ClassVar[list[int]] = []

    @classmethod
    def call(cls, ticket_id: int) -> None:
        cls.seen.append(ticket_id)
        if ticket_id == 2:
            raise RuntimeError("no SLA policy")


def test_every_ticket_gets_its_follow_up_even_after_one_fails(settings, caplog) -> None:
    settings.LAYAN_TICKET_CHANGE_TASKS = [FOLLOWER]
    Follower.seen = []
    with pytest.raises(RuntimeError, match=r"failed for tickets \[2\]"):
        tickets_changed_task.call(FOLLOWER, [1, 2, 3])
    assert Follower.seen == [1, 2, 3]
    assert "ticket_follow_up_failed" in caplog.text


def test_only_configured_follow_ups_run(settings) -> None:
    settings.LAYAN_TICKET_CHANGE_TASKS = []
    Follower.seen = []
    with pytest.raises(ValueError, match="not a ticket follow-up task"):
        tickets_changed_task.call(FOLLOWER, [1])
    assert Follower.seen == []
