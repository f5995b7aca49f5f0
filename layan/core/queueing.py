"""Queueing a task for what a transaction writes, so that it neither runs early nor is lost.

With the database queue (`django_tasks_db`, the embedded mode's), the task's row is written in
the transaction itself. It commits with the work or not at all, so a crash just after the
commit cannot lose it, and the request makes one write transaction instead of two (measured
here on SQLite: opening a ticket through the API commits once, not twice).

Any other queue (RQ) lives outside the database: a worker could take the task before the
transaction commits, or the transaction could roll back after the task was queued. There the
task is queued once the transaction has committed, as `transaction.on_commit` does.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.tasks import Task
from django_tasks_db import DatabaseBackend


def enqueue_with_commit(task: Task[..., Any], *args: Any) -> None:
    """Queue `task(*args)` to run on what the current transaction commits (at once when no
    transaction is open)."""
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args)
    else:
        transaction.on_commit(partial(task.enqueue, *args))
