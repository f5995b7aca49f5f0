"""A connection through Layan's SQLite backend to a database file of a test's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import connection
from django.db.utils import load_backend


def sqlite_wrapper(path: Path, alias: str) -> Any:
    """A connected backend wrapper for the file at `path`, as the settings configure one."""
    settings = {**connection.settings_dict, "NAME": str(path), "OPTIONS": {"timeout": 5}}
    settings["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    wrapper = load_backend("layan.core.sqlite").DatabaseWrapper(settings, alias=alias)
    wrapper.ensure_connection()
    return wrapper
