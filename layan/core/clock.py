"""The one clock every write reads, so that demo data and imports can replay history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("layan_clock", default=None)


def now() -> datetime:
    """Return the current aware time (UTC), or the moment set by `clock_at`."""
    return _frozen.get() or timezone.now()


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Make `now()` return `moment` inside the block (replaying history, never in requests)."""
    if timezone.is_naive(moment):
        raise ValueError("clock_at needs an aware datetime")
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
