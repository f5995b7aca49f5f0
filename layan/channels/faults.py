"""Named points where a test can make intake or sending fail, to prove a crash between two
steps neither loses nor duplicates anything. In production nothing is ever armed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_armed: ContextVar[str | None] = ContextVar("layan_fault", default=None)


class InjectedFault(RuntimeError):
    """The crash a test asked for."""


def point(name: str) -> None:
    """Fail here if a test armed this point."""
    if _armed.get() == name:
        raise InjectedFault(name)


@contextmanager
def fail_at(name: str) -> Iterator[None]:
    token = _armed.set(name)
    try:
        yield
    finally:
        _armed.reset(token)
