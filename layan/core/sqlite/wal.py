"""Checkpoints of SQLite's write-ahead log, run beside the requests instead of inside them.

In WAL mode a commit appends pages to the log, and the pages are copied back into the database
file by a checkpoint. By default the connection whose commit takes the log past 1,000 pages
runs that checkpoint itself, there and then, and waits for the copy and its `fsync`. Opening a
ticket writes about 70 pages, so one request in 14 or so paid for the others: measured in
process on SQLite, 9 to 15 ms at the median and 22 to 45 ms for each of those requests,
which made them the whole of the p99.

A process that serves requests calls `in_background()` once (`layan.wsgi` does). Its
connections then leave checkpoints to one thread per database file, which every `INTERVAL`
seconds, on a connection of its own:

1. runs a PASSIVE checkpoint: it copies what no reader still needs and never waits for, or
   blocks, a reader or a writer. The copy and its `fsync` run in SQLite's C code, outside
   Python's lock, so the request threads go on. Writers go on too, so it runs again while
   the last run found more than `CATCH_UP_PAGES` new pages (at most `CATCH_UP_PASSES` more);
2. once the log holds `RESTART_PAGES` pages, all copied, takes a writer's turn (`base`), runs
   a RESTART checkpoint, which copies the few pages committed since step 1 and starts the log
   again from its beginning, and hands the turn on. Measured here, a RESTART after a PASSIVE
   takes 0.1 to 3 ms; copying 1,000 pages takes 30 to 40 ms.

Without step 2 the log would never start again under a steady load: a writer starts it again
only if the log was wholly copied when its transaction began, and a copy of half a second's
writes outlasts the gaps between transactions. The log would then grow to the backstop.

The connections keep an automatic checkpoint at `BACKSTOP_PAGES` (about 40 MB of log), which
a healthy thread never lets the log reach. Should the thread fall behind or stop, requests
copy the log as SQLite does by default, ten times less often. Every other process (the task
worker, the scheduler, an import) keeps SQLite's default: no person waits on them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between two rounds
RESTART_PAGES = 1_000  # start the log again once it holds this many pages (SQLite's default)
CATCH_UP_PAGES = 100  # a RESTART copies at most about this many pages while writers wait
CATCH_UP_PASSES = 4
BACKSTOP_PAGES = 10_000  # a connection checkpoints by itself past this many pages of log

_background = False
_threads: dict[tuple[int, str], Checkpointer] = {}
_threads_guard = threading.Lock()


class Turn(Protocol):
    """A writer's turn on the database file (`base.WriterTurn`)."""

    def take(self, timeout: float) -> bool: ...

    def give_back(self) -> None: ...

    def close(self) -> None: ...


def in_background(on: bool = True) -> None:
    """Make this process's new SQLite connections leave checkpoints to a background thread
    (or, with `on=False`, keep them again, as tests need)."""
    global _background
    _background = on


def background() -> bool:
    return _background


def _forget_threads_in_child() -> None:
    """A forked child has none of its parent's threads: it starts its own when it connects."""
    global _threads_guard
    _threads_guard = threading.Lock()
    _threads.clear()


os.register_at_fork(after_in_child=_forget_threads_in_child)


@dataclass
class Checkpoints:
    """What a checkpointer has done: rounds, rounds whose PASSIVE checkpoint found a reader or
    writer in the way (SQLite's busy flag), times the log started again, rounds that failed;
    and after the last round, the pages in the log and how many are in the database file."""

    rounds: int = 0
    busy: int = 0
    restarts: int = 0
    failed: int = 0
    log_pages: int = 0
    copied: int = 0
    last_error: str = ""
    changed: threading.Condition = field(default_factory=threading.Condition)


class Checkpointer(threading.Thread):
    """Checkpoints one database file's log in rounds until stopped or the process ends."""

    def __init__(self, path: str, turn: Turn, interval: float = INTERVAL) -> None:
        super().__init__(name=f"sqlite-wal {Path(path).name}", daemon=True)
        self.path = path
        self.turn = turn
        self.interval = interval
        self.stats = Checkpoints()
        self._stopping = threading.Event()

    def run(self) -> None:
        database: sqlite3.Connection | None = None
        try:
            while not self._stopping.wait(self.interval):
                if not Path(self.path).exists():
                    break  # the database is gone (a test's, say): nothing left to copy
                try:
                    if database is None:
                        database = _connect(self.path)
                    self.round(database)
                except sqlite3.Error as error:
                    self._failed(str(error))
                    if database is not None:
                        database.close()
                        database = None
        finally:
            if database is not None:
                database.close()
            self.turn.close()

    def round(self, database: sqlite3.Connection) -> None:
        """Copy the log into the database file; start it again once it is long and copied."""
        busy, log_pages, copied = _checkpoint(database, "PASSIVE")
        # Writers went on during the copy. Copy what they wrote, again while it is more than
        # is worth making them wait for.
        fresh = copied
        for _ in range(CATCH_UP_PASSES):
            if busy or fresh <= CATCH_UP_PAGES:
                break
            before = copied
            busy, log_pages, copied = _checkpoint(database, "PASSIVE")
            fresh = copied - before
        restarted = False
        long_and_copied = log_pages >= RESTART_PAGES and copied == log_pages
        if not busy and long_and_copied and self.turn.take(timeout=self.interval):
            try:
                restarted = not _checkpoint(database, "RESTART")[0]
            finally:
                self.turn.give_back()
        self._record(busy=busy, restarted=restarted, pages=(log_pages, copied))

    def _failed(self, error: str) -> None:
        if error != self.stats.last_error:
            logger.warning("sqlite_wal_checkpoint_failed", extra={"error": error})
        self._record(error=error)

    def _record(
        self,
        *,
        busy: int = 0,
        restarted: bool = False,
        pages: tuple[int, int] | None = None,
        error: str = "",
    ) -> None:
        stats = self.stats
        with stats.changed:
            stats.rounds += 1
            stats.busy += int(bool(busy))
            stats.restarts += int(restarted)
            if pages is not None:
                stats.log_pages, stats.copied = pages
            if error:
                stats.failed += 1
                stats.last_error = error
            stats.changed.notify_all()

    def wait_rounds(self, count: int, timeout: float) -> bool:
        """Wait until `count` more rounds have run; say whether they did (for tests)."""
        with self.stats.changed:
            target = self.stats.rounds + count
            return self.stats.changed.wait_for(lambda: self.stats.rounds >= target, timeout)

    def stop(self) -> None:
        self._stopping.set()


def _connect(path: str) -> sqlite3.Connection:
    # mode=rw: never create the file. No busy timeout: a checkpoint that finds a lock taken
    # does what it can without it, and the next round does the rest.
    uri = f"{Path(path).absolute().as_uri()}?mode=rw"
    return sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None)


def _checkpoint(database: sqlite3.Connection, mode: str) -> tuple[int, int, int]:
    """Run a checkpoint; return SQLite's busy flag, the pages in the log, the pages copied."""
    busy, log_pages, copied = database.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return int(busy), int(log_pages), int(copied)


def checkpointer_for(path: str, turn_for: Callable[[str], Turn]) -> Checkpointer:
    """This process's checkpointer for the database file at `path`, started on first use with
    a writer's turn made by `turn_for(path)`."""
    key = (os.getpid(), path)
    with _threads_guard:
        thread = _threads.get(key)
        if thread is None or not thread.is_alive():
            thread = _threads[key] = Checkpointer(path, turn_for(path), interval=INTERVAL)
            thread.start()
        return thread


def prepare(connection: sqlite3.Connection, path: str, turn_for: Callable[[str], Turn]) -> None:
    """Set up a new connection to the file at `path`: in a process serving requests, its
    checkpoints go to the background thread and it keeps only the backstop."""
    if _background:
        connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        checkpointer_for(path, turn_for)


def stop_all() -> None:
    """Stop this process's checkpointers and wait for them (for tests)."""
    with _threads_guard:  # a forked child's list holds only its own (see above)
        threads = list(_threads.values())
        _threads.clear()
    for thread in threads:
        thread.stop()
    for thread in threads:
        thread.join(timeout=5)
