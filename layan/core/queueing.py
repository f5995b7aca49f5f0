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
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.tasks import Task
from django.tasks.signals import task_enqueued
from django.utils.json import normalize_json
from django_tasks_db import DatabaseBackend

from layan.core.rows import rows_insert

if TYPE_CHECKING:
    from django_tasks_db.models import DBTaskResult


def enqueue_with_commit(task: Task[..., Any], *args: Any) -> None:
    """Queue `task(*args)` to run on what the current transaction commits (at once when no
    transaction is open)."""
    backend = task.get_backend()
    if isinstance(backend, DatabaseQueue):
        backend.enqueue_in_transaction(task, args)
    elif isinstance(backend, DatabaseBackend):
        task.enqueue(*args)
    else:
        transaction.on_commit(partial(task.enqueue, *args))


class DatabaseQueue(DatabaseBackend):
    """`django_tasks_db`'s queue, its row written by the row writers (`layan.core.rows`).

    Opening a ticket and replying queue a task each; `Model.objects.create` spent more on the
    queue row than the database did. The row is the one `django_tasks_db` writes, including
    the far-future `run_after` its `pre_save` handler gives a task to run at once (a test
    holds the two rows equal)."""

    VALIDATED_LIMIT = 256

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self._validated: set[Task[..., Any]] = set()

    def validate_task(self, task: Task[..., Any]) -> None:
        """Check `task` as the backend does, once per task: the check inspects the function's
        signature, and a task (a frozen value, one per function and options) checks the same
        every time."""
        if task in self._validated:
            return
        super().validate_task(task)
        if len(self._validated) >= self.VALIDATED_LIMIT:
            self._validated.clear()
        self._validated.add(task)

    def enqueue_in_transaction(self, task: Task[..., Any], args: tuple[Any, ...]) -> None:
        """Write `task(*args)`'s row in the current transaction, as `enqueue` does; its result
        and the `task_enqueued` signal come when the transaction commits (at once without
        one). On SQLite the transaction holds the one writer's turn: only the row is written
        in it, and a rolled-back task is never announced."""
        self.validate_task(task)
        row = self._task_to_db_task(task, args, {})
        transaction.on_commit(partial(self._announce, row))

    def _announce(self, row: DBTaskResult) -> None:
        task_enqueued.send(type(self), task_result=row.task_result)

    def _task_to_db_task(self, task: Task[..., Any], args: Any, kwargs: Any) -> DBTaskResult:
        from django_tasks_db.models import DBTaskResult, get_date_max

        row: DBTaskResult = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after or get_date_max(),
            backend_name=self.alias,
        )
        rows_insert(DBTaskResult, [row])
        return row
