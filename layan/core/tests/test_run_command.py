"""`layan run` serves pages with the web workers it is asked for."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from layan.core.tests import processes

TIMEOUT = 60


@pytest.mark.parametrize(
    ("arguments", "worker"),
    [([], "gthread"), (["--threads", "1"], "sync")],
    ids=["threads-by-default", "synchronous"],
)
def test_layan_run_serves_with_the_workers_asked_for(
    tmp_path: Path, arguments: list[str], worker: str
) -> None:
    """By default each web worker has threads, so a slow client holds one thread, not a whole
    worker; `--threads 1` gives synchronous workers, for use behind a buffering proxy."""
    port = processes.free_port()
    env = {
        **os.environ,
        "LAYAN_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "layan.settings",
    }
    argv = [sys.executable, "-m", "layan", "run", "--port", str(port), "--workers", "1"]
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        run = processes.start([*argv, "--no-worker", *arguments], env=env, output=log)
        try:
            processes.wait_for_health(port, run, log_path.read_text, timeout=TIMEOUT)
        finally:
            processes.stop(run)
    assert f"Using worker: {worker}" in log_path.read_text()
