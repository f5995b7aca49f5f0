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

import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.tasks import Task
from django.tasks.signals import task_enqueued
from django.utils.json import normalize_json
from django_tasks_db import DatabaseBackend

from layan.core.rows import column_preparer, row_statement

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
        one). On SQLite the transaction holds the one writer's turn: only the row's insert
        happens in it, and a rolled-back task is never announced."""
        self.validate_task(task)
        written = self._row_write(task, args, {})
        transaction.on_commit(partial(self._announce, task, written))

    def _announce(self, task: Task[..., Any], written: _Written) -> None:
        task_enqueued.send(type(self), task_result=self._row(task, written).task_result)

    def _task_to_db_task(self, task: Task[..., Any], args: Any, kwargs: Any) -> DBTaskResult:
        return self._row(task, self._row_write(task, args, kwargs))

    def _row_write(self, task: Task[..., Any], args: Any, kwargs: Any) -> _Written:
        """Insert the row of `task(*args, **kwargs)`: every column but its key, time and
        arguments is the same for each row of `task`, prepared once per connection."""
        queue = _writers.setdefault(connections[connection.alias], {})
        writer = queue.get(task)
        if writer is None:
            if len(queue) >= self.VALIDATED_LIMIT:
                queue.clear()
            writer = queue[task] = _RowWriter(self._row(task, _Written(uuid.UUID(int=0), None, {})))
        arguments = normalize_json({"args": args, "kwargs": kwargs})
        return writer.write(self._get_id(), cast(dict[str, Any], arguments))

    def _row(self, task: Task[..., Any], written: _Written) -> DBTaskResult:
        """The row `django_tasks_db` would have made for `task` (`written` saved, when it was)."""
        from django_tasks_db.models import DBTaskResult, get_date_max

        row: DBTaskResult = DBTaskResult(
            id=written.id,
            args_kwargs=written.args_kwargs,
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after or get_date_max(),
            backend_name=self.alias,
        )
        if written.enqueued_at is not None:
            row.enqueued_at = written.enqueued_at
            row._state.adding, row._state.db = False, self.alias
        return row


@dataclass(frozen=True, slots=True)
class _Written:
    """What varies between the rows of one task: the key, the time it was queued (None until
    written) and the arguments."""

    id: Any  # the backend's id function's: a UUID by default
    enqueued_at: datetime | None
    args_kwargs: dict[str, Any]


class _RowWriter:
    """Inserts the rows of one task on one connection: the statement and the shared values
    made once from a model row (`row_statement`), the three varying columns prepared as
    `rows_insert` prepares them."""

    VARYING = ("id", "enqueued_at", "args_kwargs")

    def __init__(self, template: DBTaskResult) -> None:
        self.template = template
        self.sql, self.values, places = row_statement(type(template), template)
        self.varying = [
            (places[name], column_preparer(type(template), name)) for name in self.VARYING
        ]

    def write(self, key: Any, args_kwargs: dict[str, Any]) -> _Written:
        row = self.template  # this connection's own: one thread writes through it
        row.id, row.args_kwargs = key, args_kwargs
        values = list(self.values)
        for place, prepare in self.varying:
            values[place] = prepare(row)  # the time: stamped now, as `auto_now_add` does
        with connection.cursor() as cursor:
            cursor.execute(self.sql, values)
        return _Written(key, row.enqueued_at, args_kwargs)


# Each thread has its own connection: a writer per connection and task.
_writers: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[Task[..., Any], _RowWriter]] = (
    weakref.WeakKeyDictionary()
)
