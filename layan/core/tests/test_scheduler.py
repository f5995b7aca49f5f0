from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils.module_loading import import_string

from layan.core.models import ScheduledJob
from layan.core.scheduler import Job, scheduler_tick

pytestmark = pytest.mark.django_db

JOB = Job("uji", timedelta(hours=1), "layan.logbook.tasks.checkpoint_task")
NOON = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def test_each_run_is_enqueued_once(
    enqueued: list[tuple[str, list[Any]]], django_capture_on_commit_callbacks: Any
) -> None:
    path = import_string(JOB.task).module_path
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduler_tick([JOB], now=NOON) == ["uji"]
        # A second scheduler (or a restart) at the same moment finds the run claimed.
        assert scheduler_tick([JOB], now=NOON + timedelta(seconds=5)) == []
    assert enqueued == [(path, [])]
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduler_tick([JOB], now=NOON + timedelta(minutes=59)) == []
        assert scheduler_tick([JOB], now=NOON + timedelta(hours=1)) == ["uji"]
    assert enqueued == [(path, []), (path, [])]
    job = ScheduledJob.objects.get(name="uji")
    assert job.next_run_at == NOON + timedelta(hours=2)
