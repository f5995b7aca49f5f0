"""Child processes for tests that run Layan (or a service it needs) as separate programs.

Every child gets a process group of its own, so stopping it also stops what it started
(gunicorn's workers, an RQ work horse), and every wait has a deadline.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any, NoReturn

import pytest


def unavailable(what: str, error: object) -> NoReturn:
    """Skip when a service the test needs is missing; in CI (CI=true), fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required when CI=true, but it is not available: {error}")
    pytest.skip(f"{what} is not available: {error}")


def start(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    output: IO[Any] | int | None = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(argv),
        env=dict(env) if env is not None else None,
        stdout=output,
        stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL,
        start_new_session=True,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(
    port: int, process: subprocess.Popen[Any], describe: Callable[[], str], *, timeout: float
) -> None:
    """Wait until a Layan web server on `port` answers `/healthz` with 200; fail with
    `describe()` (its log, say) if `process` ends first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, describe()
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            client.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if client.getresponse().status == 200:
                return
        except OSError:
            pass  # not listening yet
        finally:
            client.close()
        time.sleep(0.3)
    raise AssertionError(describe())


def _signal_group(process: subprocess.Popen[Any], signum: int) -> bool:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        return False
    return True


def group_alive(process: subprocess.Popen[Any]) -> bool:
    """Whether any process of the child's group is still running."""
    return _signal_group(process, 0)


def stop(process: subprocess.Popen[Any], *, grace: float = 15.0) -> int:
    """Ask the child's whole group to stop, kill it after `grace` seconds, and reap the child."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait(timeout=10)
    # Whatever of the group outlived its leader goes too.
    deadline = time.monotonic() + grace
    while group_alive(process) and time.monotonic() < deadline:
        time.sleep(0.1)
    _signal_group(process, signal.SIGKILL)
    return process.returncode


def run(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a child to its end within `timeout` seconds; past that, kill its group and fail."""
    process = subprocess.Popen(
        list(argv),
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=10)
        pytest.fail(
            f"{' '.join(argv[:6])} did not finish within {timeout} s and was killed:\n"
            + (stdout or "")[-2000:]
            + (stderr or "")[-2000:]
        )
    finally:
        _signal_group(process, signal.SIGKILL)
    return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)
