"""A task queued for a transaction's work runs on what commits: with the database queue it is
written in the transaction; with any other queue it is handed over after the commit."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.tasks.exceptions import InvalidTask
from django.tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult

from layan.core.queueing import enqueue_with_commit

pytestmark = pytest.mark.django_db


@task
def note_task(value: int) -> int:
    return value


def _in_database() -> list[Any]:
    rows = DBTaskResult.objects.filter(task_path=note_task.module_path).order_by("enqueued_at")
    return [row.args_kwargs["args"] for row in rows]


class Failure(Exception):
    pass


@pytest.mark.skipif(
    settings.TASK_BACKEND != "db",
    reason="tasks are made for the run's own queue, and this run's is not the database",
)
def test_the_database_queue_takes_the_task_in_the_transaction() -> None:
    with transaction.atomic():
        enqueue_with_commit(note_task, 1)
        assert _in_database() == [[1]]  # before the commit, in the same transaction
    with pytest.raises(Failure), transaction.atomic():
        enqueue_with_commit(note_task, 2)
        raise Failure
    assert _in_database() == [[1]]  # rolled back with the work


@pytest.fixture
def outside_queue(settings: Any) -> list[Any]:
    """A queue outside the database (as RQ is): Django's dummy backend keeps what it gets."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    # The task's own handler: on RQ, Layan's tasks are made by the django-tasks package.
    results: list[Any] = note_task.get_backend().results  # type: ignore[attr-defined]
    return results


def test_another_queue_gets_the_task_after_the_commit(
    outside_queue: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            enqueue_with_commit(note_task, 1)
            assert outside_queue == []  # nothing a worker could run before the commit
        with pytest.raises(Failure), transaction.atomic():
            enqueue_with_commit(note_task, 2)
            raise Failure
    assert [result.args for result in outside_queue] == [[1]]
    assert _in_database() == []


@pytest.mark.skipif(
    settings.TASK_BACKEND != "db",
    reason="tasks are made for the run's own queue, and this run's is not the database",
)
@pytest.mark.parametrize(
    "defer", [None, datetime(2026, 11, 23, 9, 30, tzinfo=UTC)], ids=["now", "later"]
)
def test_the_queue_writes_the_row_the_package_writes(settings: Any, defer: datetime | None) -> None:
    """Layan's database queue writes its rows itself: each field holds what
    `django_tasks_db`'s own `create` (and its `pre_save` handler) would have stored."""
    settings.TASKS = {
        "package": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["surat"]},
        "layan": {"BACKEND": "layan.core.queueing.DatabaseQueue", "QUEUES": ["surat"]},
    }
    results = []
    for alias in ("package", "layan"):
        queued = note_task.using(backend=alias, run_after=defer, priority=7, queue_name="surat")
        results.append(queued.enqueue(41, value=42))
    package, ours = (DBTaskResult.objects.get(pk=result.id) for result in results)

    def fields(row: DBTaskResult) -> dict[str, Any]:
        skipped = {"id", "enqueued_at", "backend_name"}
        return {
            f.attname: getattr(row, f.attname)
            for f in row._meta.concrete_fields
            if f.attname not in skipped
        }

    assert fields(ours) == fields(package)
    assert ours.backend_name == "layan" and ours.enqueued_at >= package.enqueued_at
    assert ours.task_result.args == [41] and ours.task_result.kwargs == {"value": 42}
    assert results[1].status == results[0].status
    assert results[1].task.run_after == results[0].task.run_after == defer


@pytest.mark.skipif(
    settings.TASK_BACKEND != "db",
    reason="tasks are made for the run's own queue, and this run's is not the database",
)
def test_the_database_queue_announces_a_task_once_its_row_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    announced: list[Any] = []

    def heard(sender: Any, task_result: Any, **kwargs: Any) -> None:
        announced.append(task_result)

    task_enqueued.connect(heard)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                enqueue_with_commit(note_task, 1)
                assert announced == []  # the row is written; the news waits for the commit
            with pytest.raises(Failure), transaction.atomic():
                enqueue_with_commit(note_task, 2)
                raise Failure
    finally:
        task_enqueued.disconnect(heard)
    assert [(result.args, result.status) for result in announced] == [([1], "READY")]
    assert announced[0].id == str(DBTaskResult.objects.get().pk)


@pytest.mark.skipif(
    settings.TASK_BACKEND != "db",
    reason="tasks are made for the run's own queue, and this run's is not the database",
)
def test_the_database_queue_refuses_a_bad_task_every_time() -> None:
    """Checks are kept only for tasks that passed them."""
    elsewhere = copy.copy(note_task)  # `using` would refuse to make it
    object.__setattr__(elsewhere, "queue_name", "nowhere")
    for _ in range(2):
        with pytest.raises(InvalidTask), transaction.atomic():
            enqueue_with_commit(elsewhere, 1)
    assert _in_database() == []
