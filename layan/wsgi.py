"""The WSGI entry point (gunicorn `layan.wsgi:application`).

A web worker keeps what it loads for as long as it lives: Django, the URL map, compiled
templates, translation catalogues, the text-analysis models. Python's cyclic garbage collector
walks every one of those objects in each full collection, which then stops a request for tens
of milliseconds (about 50 ms for 130,000 objects on a 2-core machine). `settle` moves the
objects alive at that moment out of the collector's sight (`gc.freeze`); the worker settles
when it has loaded the app and again after its first requests, which load the rest. Objects
are still freed as soon as nothing refers to them; only cycles among frozen objects would stay.

On SQLite, the write-ahead log's checkpoints run beside the requests (`layan.core.sqlite.wal`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

from layan.core.sqlite import wal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")

SETTLE_AFTER = frozenset({1, 20, 200})  # requests served, counted per process


def settle() -> None:
    """Collect what is garbage now, and keep the collector off everything still alive."""
    gc.collect()
    gc.freeze()


wal.in_background()  # no request waits for SQLite to copy its log back (see `wal`)
_django = get_wsgi_application()
settle()
_served = 0


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    global _served
    response = _django(environ, start_response)
    _served += 1  # a count raced by two threads only moves a settle by a request
    if _served in SETTLE_AFTER:
        settle()
    return response
