"""The web worker's entry point keeps the garbage collector off what it has loaded, and what it
loads leaves out the libraries that only rare requests need."""

from __future__ import annotations

import gc
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from layan.core.sqlite import wal


@pytest.fixture(scope="module")
def wsgi() -> Iterator[ModuleType]:
    """The entry point, imported here and not at collection: importing it makes the process
    one that serves requests (`wal.in_background`), which the other tests' processes are not."""
    was = wal.background()
    try:
        yield importlib.import_module("layan.wsgi")
    finally:
        wal.in_background(was)
        wal.stop_all()


@pytest.fixture
def fresh_worker(wsgi: ModuleType) -> Iterator[None]:
    """A worker that has served nothing yet. As Django's test client does, requests do not
    close the test's database connection (it would end the test's transaction)."""
    gc.unfreeze()
    served = wsgi._served
    wsgi._served = 0
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        wsgi._served = served
        gc.unfreeze()


@pytest.mark.django_db
def test_a_worker_settles_after_its_first_requests(wsgi: ModuleType, fresh_worker: None) -> None:
    environ = RequestFactory().get("/healthz").environ
    statuses: list[str] = []

    def start_response(status: str, headers: list[Any], *rest: Any) -> None:
        statuses.append(status)

    frozen = []
    for _ in range(max(wsgi.SETTLE_AFTER)):
        b"".join(wsgi.application(dict(environ), start_response))
        frozen.append(gc.get_freeze_count())
    assert set(statuses) == {"200 OK"}
    assert frozen[0] > 0  # what the first request loaded is frozen
    grew_at = [
        served for served in range(2, len(frozen) + 1) if frozen[served - 1] > frozen[served - 2]
    ]
    assert set(grew_at) <= wsgi.SETTLE_AFTER  # and only at the counts named


def test_settle_freezes_what_is_alive(wsgi: ModuleType) -> None:
    gc.unfreeze()
    try:
        wsgi.settle()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


# Imported by the functions that use them, for the megabytes each worker would hold for nothing:
# `holidays` (about 10 MB; for building SLA calendars, which the task worker does) and the
# bindings of `cryptography` (about 8 MB; for signing and checking checkpoints: on a schedule,
# for an evidence export, for a verification). With Redis configured, its client imports the
# top of the `cryptography` package to learn whether it is installed: a few kilobytes.
LOADED_ON_DEMAND = ("holidays", "cryptography.hazmat")


def test_a_web_worker_loads_every_view_but_not_what_only_rare_requests_need(
    tmp_path: Path,
) -> None:
    probe = (
        "import sys, django\n"
        "django.setup()\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "import layan.wsgi\n"
        f"print(','.join(name for name in {LOADED_ON_DEMAND!r} if name in sys.modules))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "layan.settings",
        "LAYAN_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    loaded = subprocess.run(
        [sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    assert loaded == ""
