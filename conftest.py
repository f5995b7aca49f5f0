"""Test-wide set-up: every run gets its own data directory, and Argon2 is swapped for a fast
hasher (the production hasher list is checked separately in tests/security)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test.utils import override_settings
from hypothesis import settings as hypothesis_settings

# Property tests run on a shared, sometimes busy machine: no per-example deadline (speed is
# measured in bench/), and a fixed seed so a failure in CI reproduces locally.
hypothesis_settings.register_profile("layan", deadline=None, derandomize=True)
hypothesis_settings.load_profile("layan")


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="layan-test-"))
    override = override_settings(
        DATA_DIR=root,
        BLOB_DIR=root / "blobs",
        KEY_DIR=root / "keys",
        LAYAN_SIGNING_KEY_PATH=root / "keys" / "logbook-ed25519.pem",
        STORAGES={
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": root / "blobs"},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    override.enable()
    try:
        yield root
    finally:
        override.disable()
        shutil.rmtree(root, ignore_errors=True)


_triggers_dropped = False


@pytest.fixture(autouse=True)
def _logbook_triggers_survive_flush(
    request: pytest.FixtureRequest, _django_db_helper: None, django_db_blocker: object
) -> Iterator[None]:
    """Keep the logbook append-only in every test, yet let transactional tests clean up.

    Transactional tests empty the tables with DELETE on SQLite, which the append-only triggers
    refuse (PostgreSQL's TRUNCATE does not fire them). So the triggers are dropped just for that
    flush and reinstalled before the next test that uses the database.
    """
    global _triggers_dropped
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or "transactional_db" in request.fixturenames
    transactional = uses_db and (
        (marker is not None and marker.kwargs.get("transaction", False))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )
    if not uses_db:
        yield
        return
    from django.db import connection

    from layan.logbook.triggers import triggers_install, triggers_uninstall

    if _triggers_dropped:
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            triggers_install(connection)
        _triggers_dropped = False
    yield
    if transactional and connection.vendor == "sqlite":
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            triggers_uninstall(connection)
        _triggers_dropped = True


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[Any]]]:
    """What reaches the task queue, as (task path, arguments), in order; nothing is queued for
    real. The database queue gets a task inside its transaction; any other queue only after
    the commit, so wrap the code in `django_capture_on_commit_callbacks(execute=True)`."""
    from layan.tickets.tasks import tickets_changed_task  # any task: they share the backend

    calls: list[tuple[str, list[Any]]] = []

    def record(backend: Any, task: Any, args: Any, kwargs: Any) -> None:
        calls.append((task.module_path, list(args)))

    backend = type(tickets_changed_task.get_backend())
    monkeypatch.setattr(backend, "enqueue", record)
    if hasattr(backend, "enqueue_in_transaction"):  # the database queue's path for a write

        def record_in_transaction(backend: Any, task: Any, args: Any) -> None:
            record(backend, task, args, {})

        monkeypatch.setattr(backend, "enqueue_in_transaction", record_in_transaction)
    return calls
