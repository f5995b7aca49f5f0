"""The web worker's entry point keeps the garbage collector off what it has loaded."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
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
