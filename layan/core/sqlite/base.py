"""Django's SQLite backend, with writers taking turns before they start a transaction.

SQLite lets one writer in at a time. A writer that finds the database busy waits in SQLite's
busy handler, which sleeps 1, 2, 5, 10 ... up to 100 ms between tries and does not notice
when the lock comes free. With a few web threads writing at once, the database then sits idle
while writers sleep, and a request can wait hundreds of milliseconds for a lock that was free
most of that time.

Here every transaction (`BEGIN IMMEDIATE`, as the settings ask) first takes its turn:

- within a process, through a lock that hands over to the next waiting thread at once;
- between processes (web workers, the task worker, an import), through an exclusive
  `flock` on a file beside the database, which a helper thread waits for in the kernel so
  that it passes to the next process the moment it is let go (`ProcessTurn`).

The turn ends when the transaction commits or rolls back, or the connection closes. A write
outside a transaction (an autocommit INSERT, UPDATE or DELETE: a queued task, say) takes a
turn for that one statement. A writer that cannot get its turn within the database timeout
goes on without it, and SQLite's own lock and timeout decide, as they would without this
backend. Reads never take turns: WAL lets them run beside a writer.

In a process that serves requests, the log's checkpoints run in a background thread (`wal`).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.sqlite3 import base

from layan.core.sqlite import wal

# Per process and database file: where its threads queue (recreated in a forked child).
_turns: dict[tuple[int, str], ProcessTurn] = {}
_turns_guard = threading.Lock()


def _forget_turns_in_child() -> None:
    """A forked child starts with no turns: a lock copied while another thread held it would
    never be released there, and the parent's waiting thread does not exist in it."""
    global _turns_guard
    _turns_guard = threading.Lock()
    _turns.clear()


os.register_at_fork(after_in_child=_forget_turns_in_child)

HELPER_IDLE = 60.0  # seconds a process's waiting thread stays without a request


class ProcessTurn:
    """One process's place in the queue of writers to one database file.

    The process's threads queue on `lock`. The one at its head then takes the file's lock
    (an exclusive `flock` on a file beside the database), which the kernel holds for one
    process at a time. When another process holds it, a helper thread of this process waits
    for it in a blocking `flock`: the kernel hands the lock over the moment the holder lets
    go, where trying again every few milliseconds would leave the database idle in between.
    The thread that asked waits for the helper up to its deadline and may give up; a lock
    the helper gets for nobody is let go at once.
    """

    def __init__(self, path: str) -> None:
        self.lock = threading.Lock()
        self.lock_path = f"{path}-writer.lock"
        self.pid = os.getpid()
        self._fd: int | None = None
        self._state = threading.Condition(threading.Lock())
        self._asking = False  # the helper waits in flock for this process
        self._wanted = False  # a thread waits for the helper's lock
        self._granted = False  # the helper got the lock for that thread
        self._helper: threading.Thread | None = None

    def fd(self) -> int:
        # Opened in this process: a descriptor inherited across fork would share its lock.
        if self._fd is None:
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._fd

    def file_take(self, deadline: float) -> bool:
        """Take the file's lock by `deadline` (monotonic); say whether it came. The caller
        holds `lock`."""
        fd = self.fd()
        with self._state:
            if not self._asking:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    self._ask()
                else:
                    return True
            self._wanted = True
            granted = self._state.wait_for(
                lambda: self._granted, timeout=max(deadline - time.monotonic(), 0)
            )
            self._wanted = self._granted = False
            return granted

    def file_give(self) -> None:
        """Let the file's lock go (the caller holds it, and `lock`)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _ask(self) -> None:
        """Have the helper wait for the file's lock (called holding `_state`)."""
        self._asking = True
        if self._helper is None:
            self._helper = threading.Thread(
                target=self._wait_for_file, name="sqlite-writer-turn", daemon=True
            )
            self._helper.start()
        self._state.notify_all()

    def _wait_for_file(self) -> None:
        fd = self.fd()
        while True:
            with self._state:
                if not self._state.wait_for(lambda: self._asking, timeout=HELPER_IDLE):
                    self._helper = None  # idle: the next request starts another
                    return
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without Python's lock until handed over
            with self._state:
                self._asking = False
                if self._wanted:
                    self._granted = True
                    self._state.notify_all()
                else:
                    fcntl.flock(fd, fcntl.LOCK_UN)  # its thread gave up meanwhile


def _process_turn(path: str) -> ProcessTurn:
    key = (os.getpid(), path)
    with _turns_guard:
        turn = _turns.get(key)
        if turn is None:
            turn = _turns[key] = ProcessTurn(path)
        return turn


class WriterTurn:
    """One connection's place in the queue of writers to one database file (`ProcessTurn`)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._turn: ProcessTurn | None = None  # set while this connection holds its turn

    def _file(self) -> int:
        """This process's descriptor of the turn's file."""
        return _process_turn(self.path).fd()

    def take(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for this connection's turn; say whether it came."""
        deadline = time.monotonic() + timeout
        turn = _process_turn(self.path)
        if not turn.lock.acquire(timeout=max(timeout, 0)):
            return False
        if not turn.file_take(deadline):
            turn.lock.release()
            return False
        self._turn = turn
        return True

    def give_back(self) -> None:
        """End this connection's turn, if it has one (safe to call more than once)."""
        turn, self._turn = self._turn, None
        if turn is None:
            return
        if turn.pid == os.getpid():  # a forked child holds no lock of its parent's
            turn.file_give()
        turn.lock.release()

    def close(self) -> None:
        self.give_back()


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


# Statements in Django's "%s" style as SQLite's "?" style: each is converted once per process
# (a regular expression on every run cost about 5 us, more than many statements take). Only
# statements up to CONVERTED_LENGTH characters are kept, at most CONVERTED_COUNT of them: an
# import's multi-row inserts are long and vary with their row count.
_converted: dict[str, str] = {}
CONVERTED_COUNT = 512
CONVERTED_LENGTH = 4000


class TurnCursor(base.SQLiteCursorWrapper):
    """A cursor whose writes outside a transaction take a turn, one statement each, and which
    converts each statement's placeholders once."""

    turn: WriterTurn | None = None
    timeout = 5.0

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        converted = _converted.get(query)
        if converted is None:
            converted = super().convert_query(query)
            if len(query) <= CONVERTED_LENGTH:
                if len(_converted) >= CONVERTED_COUNT:
                    _converted.clear()
                _converted[query] = converted
        return converted

    @contextmanager
    def _turn_for(self, query: str) -> Iterator[None]:
        turn = self.turn
        if (
            turn is None
            or self.connection.in_transaction  # the transaction holds the turn already
            or not query.lstrip()[:7].upper().startswith(WRITES)
        ):
            yield
            return
        turn.take(self.timeout)
        try:
            yield
        finally:
            turn.give_back()

    def execute(self, query: str, params: Any = None) -> Any:
        with self._turn_for(query):
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Iterable[Any]) -> Any:
        with self._turn_for(query):
            return super().executemany(query, param_list)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn: WriterTurn | None = None

    def _writer_turn(self) -> WriterTurn | None:
        # Made once per connection (every cursor asks); an in-memory database lives in one
        # process only, where SQLite's own lock is enough.
        if self._turn is None and not self.is_in_memory_db():
            self._turn = WriterTurn(os.fspath(self.settings_dict["NAME"]))
        return self._turn

    def _timeout(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            wal.prepare(connection, os.fspath(self.settings_dict["NAME"]), turn_for=WriterTurn)
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=TurnCursor)
        cursor.turn, cursor.timeout = self._writer_turn(), self._timeout()
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        turn = self._writer_turn()
        if turn is not None:
            turn.take(self._timeout())
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            if turn is not None:
                turn.give_back()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            if self._turn is not None:
                self._turn.give_back()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            if self._turn is not None:
                self._turn.give_back()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            if self._turn is not None:
                self._turn.close()
                self._turn = None
