"""A process serving requests leaves the write-ahead log's checkpoints to a background thread
(`layan.core.sqlite.wal`): no request copies the log back, readers keep their snapshots, and
the log starts again from its beginning only in a writer's turn."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from layan.core.sqlite import wal
from layan.core.sqlite.base import WriterTurn
from layan.core.tests.sqlite_files import sqlite_wrapper

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite backend's own behaviour"
)


def _pragma(wrapper: Any, name: str) -> Any:
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()


def _write(wrapper: Any, rows: int) -> None:
    """Write `rows` rows of about a page each, one transaction per 10 rows."""
    for start in range(0, rows, 10):
        with wrapper.cursor() as cursor:
            cursor.execute("BEGIN IMMEDIATE")
            for _ in range(min(10, rows - start)):
                cursor.execute("INSERT INTO notes (body) VALUES (?)", ["x" * 3000])
            cursor.execute("COMMIT")


def _log_pages(path: Path) -> int:
    """The pages in the log now (a PASSIVE checkpoint on a connection of the test's own)."""
    with sqlite3.connect(path, isolation_level=None) as probe:
        return int(probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "wal.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    yield path
    wal.stop_all()


@pytest.fixture
def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process serves requests, with quick rounds and a short log."""
    monkeypatch.setattr(wal, "INTERVAL", 0.02)
    monkeypatch.setattr(wal, "RESTART_PAGES", 40)
    wal.in_background()
    try:
        yield
    finally:
        wal.in_background(False)
        wal.stop_all()


def _checkpointer(path: Path) -> wal.Checkpointer:
    return wal._threads[(os.getpid(), str(path))]


def test_other_processes_keep_sqlites_own_checkpoints(database: Path) -> None:
    writer = sqlite_wrapper(database, "writer")
    assert _pragma(writer, "wal_autocheckpoint")[0] == 1000
    assert (os.getpid(), str(database)) not in wal._threads
    writer.close()


def test_a_serving_process_copies_the_log_and_starts_it_again(
    database: Path, serving: None, tmp_path: Path
) -> None:
    writer = sqlite_wrapper(database, "writer")
    assert _pragma(writer, "wal_autocheckpoint")[0] == wal.BACKSTOP_PAGES
    checkpointer = _checkpointer(database)
    _write(writer, 200)
    assert checkpointer.wait_rounds(3, timeout=10)
    assert checkpointer.stats.restarts >= 1
    assert checkpointer.stats.failed == 0
    # Every row is in the database file itself, without the log.
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(database, copy)
    with sqlite3.connect(copy) as alone:
        assert alone.execute("SELECT count(*) FROM notes").fetchone()[0] == 200
    _write(writer, 10)  # the log started again: these pages are written at its beginning
    assert 0 < _log_pages(database) < 100
    writer.close()


def test_a_second_connection_shares_the_process_checkpointer(database: Path, serving: None) -> None:
    first, second = sqlite_wrapper(database, "first"), sqlite_wrapper(database, "second")
    assert [key for key in wal._threads if key[1] == str(database)] == [
        (os.getpid(), str(database))
    ]
    assert _pragma(second, "wal_autocheckpoint")[0] == wal.BACKSTOP_PAGES
    first.close()
    second.close()


def test_a_reader_keeps_its_snapshot_and_the_log_waits_for_it(
    database: Path, serving: None
) -> None:
    writer = sqlite_wrapper(database, "writer")
    checkpointer = _checkpointer(database)
    _write(writer, 50)
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM notes").fetchone()[0] == 50
    _write(writer, 100)
    assert checkpointer.wait_rounds(3, timeout=10)
    restarts = checkpointer.stats.restarts
    _write(writer, 100)
    assert checkpointer.wait_rounds(3, timeout=10)
    assert checkpointer.stats.restarts == restarts  # not while the reader needs the log
    assert reader.execute("SELECT count(*) FROM notes").fetchone()[0] == 50
    reader.execute("COMMIT")
    assert checkpointer.wait_rounds(3, timeout=10)
    assert checkpointer.stats.restarts > restarts
    assert reader.execute("SELECT count(*) FROM notes").fetchone()[0] == 250
    reader.close()
    writer.close()


def test_the_log_starts_again_only_in_a_writers_turn(database: Path, serving: None) -> None:
    writer = sqlite_wrapper(database, "writer")
    checkpointer = _checkpointer(database)
    assert checkpointer.wait_rounds(1, timeout=10)
    held = WriterTurn(str(database))
    assert held.take(timeout=1)
    restarts = checkpointer.stats.restarts
    with sqlite3.connect(database, isolation_level=None) as outside:
        # A write outside the turns, so that the log grows while the turn is held. One
        # transaction: a writer starts a wholly copied log again, so separate inserts between
        # the thread's copies could leave it shorter than RESTART_PAGES.
        outside.execute("BEGIN IMMEDIATE")
        for _ in range(100):
            outside.execute("INSERT INTO notes (body) VALUES (?)", ["x" * 3000])
        outside.execute("COMMIT")
    assert checkpointer.wait_rounds(3, timeout=10)
    assert checkpointer.stats.restarts == restarts
    assert checkpointer.stats.copied == checkpointer.stats.log_pages > 0  # copied all the same
    held.give_back()
    assert checkpointer.wait_rounds(3, timeout=10)
    assert checkpointer.stats.restarts > restarts
    held.close()
    writer.close()


def test_the_checkpointer_ends_with_its_database_and_never_makes_one(
    database: Path, serving: None
) -> None:
    writer = sqlite_wrapper(database, "writer")
    checkpointer = _checkpointer(database)
    writer.close()
    for leftover in database.parent.glob(f"{database.name}*"):
        leftover.unlink()
    checkpointer.join(timeout=10)
    assert not checkpointer.is_alive()
    assert not database.exists()


ENTRY_POINT = """
import os
import threading
import layan.wsgi
from django.db import connection
connection.ensure_connection()
with connection.cursor() as cursor:
    cursor.execute("PRAGMA wal_autocheckpoint")
    print(cursor.fetchone()[0])
print(sorted(thread.name for thread in threading.enumerate() if thread.name.startswith("sqlite")))
"""


def test_the_web_entry_point_leaves_checkpoints_to_the_background(tmp_path: Path) -> None:
    env = {**os.environ, "LAYAN_DATA_DIR": str(tmp_path / "data"), "LAYAN_MODE": "embedded"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", ENTRY_POINT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split("\n")[:2] == [
        str(wal.BACKSTOP_PAGES),
        "['sqlite-wal layan.sqlite3']",
    ]
