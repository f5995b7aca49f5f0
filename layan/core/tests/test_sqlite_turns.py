"""Writers on SQLite take turns (`layan.core.sqlite`): one transaction at a time per database
file, across threads and processes, handed over as soon as the holder commits or rolls back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from layan.core.sqlite.base import WriterTurn
from layan.core.tests.sqlite_files import sqlite_wrapper

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite backend's own behaviour"
)


def _begin(wrapper: Any) -> None:
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(wrapper: Any, how: str) -> None:
    getattr(wrapper, how)()
    wrapper.set_autocommit(True)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "turns.sqlite3"
    first = sqlite_wrapper(path, "setup")
    with first.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE seen (writer TEXT)")
    first.close()
    return path


@pytest.mark.parametrize("how", ["commit", "rollback"])
def test_a_transaction_holds_the_turn_until_it_ends(database: Path, how: str) -> None:
    holder = sqlite_wrapper(database, "holder")
    _begin(holder)
    with holder.cursor() as cursor:
        cursor.execute("INSERT INTO seen VALUES ('holder')")
    other = WriterTurn(str(database))
    assert not other.take(timeout=0.05)
    _end(holder, how)
    assert other.take(timeout=0.05)
    other.close()
    holder.close()


def test_closing_a_connection_mid_transaction_ends_its_turn(database: Path) -> None:
    holder = sqlite_wrapper(database, "holder")
    _begin(holder)
    holder.close()
    other = WriterTurn(str(database))
    assert other.take(timeout=0.05)
    other.close()


def test_threads_of_one_process_take_turns_in_their_transactions(database: Path) -> None:
    order: list[str] = []
    first = sqlite_wrapper(database, "first")
    _begin(first)
    started = threading.Event()

    def second_writer() -> None:
        second = sqlite_wrapper(database, "second")
        started.set()
        _begin(second)  # waits for the first transaction
        order.append("second began")
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO seen VALUES ('second')")
        _end(second, "commit")
        second.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    started.wait(5)
    thread.join(0.2)
    assert thread.is_alive()  # still waiting for its turn
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO seen VALUES ('first')")
    order.append("first committed")
    _end(first, "commit")
    thread.join(10)
    assert order == ["first committed", "second began"]
    with first.cursor() as cursor:
        cursor.execute("SELECT writer FROM seen ORDER BY rowid")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]
    first.close()


CHILD = """
import sys
from layan.core.sqlite.base import WriterTurn
turn = WriterTurn(sys.argv[1])
print(turn.take(timeout=float(sys.argv[2])), flush=True)
if sys.argv[3] == "die":
    import os
    os._exit(0)  # no give-back: the kernel drops the lock with the process
"""


def _child(database: Path, timeout: float, end: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(database), str(timeout), end],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_another_process_waits_for_the_turn_and_a_dead_holder_frees_it(database: Path) -> None:
    turn = WriterTurn(str(database))
    assert turn.take(timeout=1)
    assert _child(database, 0.1, "wait") == "False"  # gave up: SQLite's own lock decides
    turn.give_back()
    assert _child(database, 1, "die") == "True"
    assert turn.take(timeout=1)  # the child died holding its turn
    turn.close()


HOLDER = """
import sys, time
from layan.core.sqlite.base import WriterTurn
turn = WriterTurn(sys.argv[1])
assert turn.take(timeout=5)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
turn.give_back()
"""


def _holder(database: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the turn for `seconds` once it says "held"."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_a_waiting_process_gets_the_turn_as_it_is_let_go(database: Path) -> None:
    """The process's waiting thread is handed the lock by the kernel; the thread that asked
    gets it well before its timeout."""
    holder = _holder(database, 0.3)
    turn = WriterTurn(str(database))
    started = time.monotonic()
    try:
        assert turn.take(timeout=30)
        assert time.monotonic() - started < 10
        assert holder.wait(10) == 0  # it had let go
    finally:
        holder.wait(10)
        turn.close()


def test_a_process_that_gave_up_does_not_keep_the_turn(database: Path) -> None:
    """A thread that gave up waiting leaves nothing behind: the lock its process's helper
    gets afterwards is let go, and another process takes the turn."""
    holder = _holder(database, 0.5)
    turn = WriterTurn(str(database))
    assert not turn.take(timeout=0.05)  # gave up: SQLite's own lock decides
    assert holder.wait(10) == 0
    assert _child(database, 5, "wait") == "True"
    assert turn.take(timeout=5)  # and this process can still take it
    turn.close()


FORKED = """
import os, sys, time
from layan.core.sqlite import base
from layan.core.sqlite.base import WriterTurn
turn = WriterTurn(sys.argv[1])
turn._file()  # opened before the fork, as in a web server that loads the app first
reader, writer = os.pipe()
base._turns_guard.acquire()  # as if another thread were looking up its turn at the fork
pid = os.fork()
if pid == 0:  # the child: a worker process
    os.write(writer, b"1" if turn.take(timeout=5) else b"0")
    time.sleep(0.5)  # hold the turn a moment
    turn.give_back()
    os._exit(0)
base._turns_guard.release()
child_took = os.read(reader, 1) == b"1"
parent_blocked = not turn.take(timeout=0.05)  # the child holds it: no shared descriptor
os.waitpid(pid, 0)
print(child_took, parent_blocked, turn.take(timeout=1))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_share_its_parents_turn(database: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", FORKED, str(database)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True"]


def test_a_write_outside_a_transaction_takes_a_turn_of_its_own(database: Path) -> None:
    holder = WriterTurn(str(database))
    assert holder.take(timeout=1)
    done = threading.Event()

    def write() -> None:
        writer = sqlite_wrapper(database, "alone")
        with writer.cursor() as cursor:
            cursor.execute("INSERT INTO seen VALUES ('alone')")
        writer.close()
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert not done.wait(0.2)  # waiting for its turn
    reader = sqlite_wrapper(database, "reader")
    with reader.cursor() as cursor:  # reads never wait
        cursor.execute("SELECT count(*) FROM seen")
        assert cursor.fetchone()[0] == 0
    holder.give_back()
    assert done.wait(10)
    thread.join(10)
    with reader.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM seen")
        assert cursor.fetchone()[0] == 1
    reader.close()
    holder.close()


def test_placeholders_are_converted_as_django_converts_them(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each statement's "%s" become "?" once per process; what comes out is Django's own
    conversion, and the statements kept are bounded in number and length."""
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    from layan.core.sqlite import base

    monkeypatch.setattr(base, "_converted", {})
    monkeypatch.setattr(base, "CONVERTED_COUNT", 3)
    wrapper = sqlite_wrapper(database, "converter")
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO seen VALUES (%s || '%%')", ["a"])
        cursor.execute("INSERT INTO seen VALUES (%s || '%%')", ["b"])  # converted once
        cursor.execute("SELECT writer FROM seen WHERE writer = %(name)s", {"name": "a%"})
        assert cursor.fetchall() == [("a%",)]
        long = "SELECT writer FROM seen WHERE writer IN (" + ", ".join(["%s"] * 1500) + ")"  # noqa: S608
        cursor.execute(long, ["b%"] * 1500)
        assert cursor.fetchall() == [("b%",)]
        assert base._converted == {
            "INSERT INTO seen VALUES (%s || '%%')": "INSERT INTO seen VALUES (? || '%')"
        }
        own = cursor.cursor
        assert all(
            SQLiteCursorWrapper.convert_query(own, query) == kept
            for query, kept in base._converted.items()
        )
        for number in range(5):  # a full store starts again
            assert own.convert_query(f"SELECT %s + {number}") == f"SELECT ? + {number}"
        assert len(base._converted) <= 3
    wrapper.close()
