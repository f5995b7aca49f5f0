"""The settings' SQLite connections: what each is told when it opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.utils import load_backend

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite settings' own PRAGMAs"
)


def test_a_connection_writes_ahead_and_keeps_its_temporary_data_in_memory(
    tmp_path: Path,
) -> None:
    """WAL, foreign keys, and temporary data in memory: a statement's own undo journal (a
    new ticket's passes 64 KiB) was otherwise a temporary file made and deleted per ticket."""
    options = settings.DATABASES["default"]["OPTIONS"]
    wrapper = load_backend("layan.core.sqlite").DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "db.sqlite3"), "OPTIONS": options},
        alias="pragmas",
    )
    wrapper.ensure_connection()
    try:
        with wrapper.cursor() as cursor:
            found = {
                name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "foreign_keys", "temp_store", "synchronous")
            }
    finally:
        wrapper.close()

    assert found == {"journal_mode": "wal", "foreign_keys": 1, "temp_store": 2, "synchronous": 1}
