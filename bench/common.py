"""What every benchmark shares: where results go and how a run is described."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def db_label() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def record(bench: str, figures: dict[str, object], *, db: str | None = None) -> None:
    """Print one JSON line of figures and append it to bench/results.jsonl."""
    line = json.dumps(
        {
            "bench": bench,
            "ts": datetime.now(UTC).isoformat(timespec="seconds"),
            "db": db,
            "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
            "figures": figures,
        }
    )
    print(line)
    with RESULTS.open("a") as handle:
        handle.write(line + "\n")


@contextmanager
def installation() -> Iterator[dict[str, str]]:
    """An empty installation to run commands against: a fresh data dir, and a fresh
    PostgreSQL database when DATABASE_URL points at a server (dropped afterwards)."""
    data = Path(tempfile.mkdtemp(prefix="layan-bench-"))
    env = {**os.environ, "LAYAN_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "layan.settings"}
    url = os.environ.get("DATABASE_URL", "")
    database = ""
    if url.startswith("postgres"):
        base, _, _name = url.rpartition("/")
        database = f"layan_bench_{uuid.uuid4().hex[:8]}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
        env["DATABASE_URL"] = f"{base}/{database}"
    try:
        layan(["migrate", "--verbosity", "0"], env)
        yield env
    finally:
        if database:
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database],
                check=False,
            )
        subprocess.run(["rm", "-rf", str(data)], check=False)


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
