from datetime import UTC, datetime, timedelta

import pytest

from layan.core.models import ScheduledJob
from layan.core.scheduler import Job, scheduler_tick

pytestmark = pytest.mark.django_db

JOB = Job("uji", timedelta(hours=1), "layan.logbook.tasks.checkpoint_task")
NOON = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def test_each_run_is_enqueued_once(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks() as callbacks:
        assert scheduler_tick([JOB], now=NOON) == ["uji"]
        # A second scheduler (or a restart) at the same moment finds the run claimed.
        assert scheduler_tick([JOB], now=NOON + timedelta(seconds=5)) == []
    assert len(callbacks) == 1
    assert scheduler_tick([JOB], now=NOON + timedelta(minutes=59)) == []
    assert scheduler_tick([JOB], now=NOON + timedelta(hours=1)) == ["uji"]
    job = ScheduledJob.objects.get(name="uji")
    assert job.next_run_at == NOON + timedelta(hours=2)
