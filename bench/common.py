"""What every benchmark shares: where results go, how a run is described, and the fresh
installation each one runs against."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Where figures are appended; the harness's own tests point it at a scratch file.
RESULTS = Path(os.environ.get("LAYAN_BENCH_RESULTS") or BENCH / "results.jsonl")
# Cached files (a migrated empty database, generated datasets, the mail corpus); not committed.
WORK = Path(os.environ.get("LAYAN_BENCH_WORK") or BENCH / "work")
DATABASE_FILE = "layan.sqlite3"  # under LAYAN_DATA_DIR, as layan.settings names it


def db_label() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"


def python_speed_ms(additions: int = 2_000_000) -> float:
    """Milliseconds this process takes for `additions` additions in a Python loop, now.

    This machine's speed has varied threefold between runs (10 million additions at a
    script's top level in 0.70 s to 2.02 s), with no other load in sight: every figure is
    read against it."""
    started = time.perf_counter()
    total = 0
    for number in range(additions):
        total += number
    return round((time.perf_counter() - started) * 1000, 1)


def record(bench: str, figures: dict[str, object], *, db: str | None = None) -> None:
    """Print one JSON line of figures and append it to the results file."""
    line = json.dumps(
        {
            "bench": bench,
            "ts": datetime.now(UTC).isoformat(timespec="seconds"),
            "db": db,
            "machine": machine(),
            "load_avg": round(os.getloadavg()[0], 2),
            "python_2m_additions_ms": python_speed_ms(),
            "figures": figures,
        }
    )
    print(line, flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as handle:
        handle.write(line + "\n")


def fingerprint(*extra: Path) -> str:
    """Return a short digest of the database schema (every migration file) and of `extra`
    files: a cached database is reused only while none of them changed."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "layan").glob("*/migrations/*.py")) + list(extra)
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy an SQLite database consistently: a plain file copy when it has no write-ahead log
    (the cached files), else through the backup API (WAL included)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".{uuid.uuid4().hex[:6]}.part")
    try:
        if Path(f"{source}-wal").exists():
            with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
                src.backup(dst)
            src.close()
            dst.close()
        else:
            shutil.copyfile(source, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def schema_digest(database: Path) -> str:
    """Return a short digest of an SQLite database's schema (tables, indexes, triggers)."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
        ).fetchall()
    connection.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:12]


def prune(keep: Path) -> None:
    """Remove the cached files `keep` replaces: same name up to the last '-', other digest."""
    prefix = keep.name.rsplit("-", 1)[0] + "-"
    for path in WORK.glob(prefix + "*"):
        if path.stem != keep.stem and path.name.rsplit("-", 1)[0] + "-" == prefix:
            path.unlink(missing_ok=True)


def migrated_template() -> Path:
    """Return an empty, fully migrated SQLite database, built once per schema under WORK.
    Migrating from scratch takes 10 to 20 s here; copying the result takes a fraction."""
    template = WORK / f"migrated-{fingerprint()}.sqlite3"
    if not template.exists():
        scratch = Path(tempfile.mkdtemp(prefix="layan-bench-migrate-"))
        try:
            env = {**os.environ, "LAYAN_DATA_DIR": str(scratch), "LAYAN_LOG_LEVEL": "WARNING"}
            env.pop("DATABASE_URL", None)
            env["DJANGO_SETTINGS_MODULE"] = "layan.settings"
            layan(["migrate", "--verbosity", "0"], env)
            sqlite_copy(scratch / DATABASE_FILE, template)
            prune(template)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return template


@contextmanager
def installation(database: Path | None = None) -> Iterator[dict[str, str]]:
    """An installation to run commands against, removed afterwards: a fresh data dir, and a
    fresh PostgreSQL database when DATABASE_URL points at a server (dropped afterwards).

    On SQLite the database starts as a copy of `database` (a cached, loaded one) or of the
    migrated empty template; on PostgreSQL `database` is ignored and the schema is migrated."""
    data = Path(tempfile.mkdtemp(prefix="layan-bench-"))
    env = {**os.environ, "LAYAN_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "layan.settings"}
    url = os.environ.get("DATABASE_URL", "")
    name = ""
    try:
        if url.startswith("postgres"):
            base, _, _name = url.rpartition("/")
            name = f"layan_bench_{uuid.uuid4().hex[:8]}"
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
            env["DATABASE_URL"] = f"{base}/{name}"
            layan(["migrate", "--verbosity", "0"], env)
        else:
            sqlite_copy(database or migrated_template(), data / DATABASE_FILE)
        yield env
    finally:
        if name:
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name],
                check=False,
            )
        shutil.rmtree(data, ignore_errors=True)


def layan(
    args: list[str], env: dict[str, str], **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "layan", *args],
        env=env,
        check=True,
        text=True,
        capture_output=True,
        cwd=ROOT,
        **kwargs,  # type: ignore[arg-type]
    )
