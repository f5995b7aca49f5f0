"""Periodic jobs: which are due, enqueued exactly once however many schedulers run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.module_loading import import_string

from layan.core.models import ScheduledJob
from layan.core.queueing import enqueue_with_commit

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: timedelta
    task: str  # dotted path of a django.tasks task that takes no arguments


def scheduler_tick(jobs: Sequence[Job], *, now: datetime) -> list[str]:
    """Enqueue the jobs that are due at `now` and return their names.

    A conditional UPDATE claims each run, so two schedulers (or a restarted one) never enqueue
    the same run twice; the task is enqueued only when the claim commits.
    """
    started = []
    for job in jobs:
        ScheduledJob.objects.get_or_create(name=job.name)
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(
                Q(next_run_at__isnull=True) | Q(next_run_at__lte=now), name=job.name
            ).update(last_run_at=now, next_run_at=now + job.every)
            if claimed:
                task = import_string(job.task)
                enqueue_with_commit(task)
                started.append(job.name)
    if started:
        logger.info("scheduler_enqueued", extra={"jobs": started})
    return started
