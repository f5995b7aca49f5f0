"""`layan run` serves pages with the web workers it is asked for."""

from __future__ import annotations

import http.client
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from layan.core.tests import processes

TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _health(port: int) -> int:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        client.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        return client.getresponse().status
    finally:
        client.close()


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
    port = _free_port()
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
            deadline = time.monotonic() + TIMEOUT
            status = 0
            while status != 200:
                assert run.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                try:
                    status = _health(port)
                except OSError:
                    time.sleep(0.3)
        finally:
            processes.stop(run)
    assert f"Using worker: {worker}" in log_path.read_text()
