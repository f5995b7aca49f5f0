from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Layan (gunicorn) together with its task worker until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--threads",
            type=int,
            default=4,
            help="Threads per web worker (default 4). 1 gives synchronous workers: faster under "
            "a busy processor, but each one waits for a slow client, so use it only behind a "
            "reverse proxy that buffers requests and responses (docs/deployment.md).",
        )
        parser.add_argument("--no-worker", action="store_true", help="Serve pages only.")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        web = [
            python,
            "-m",
            "gunicorn",
            "layan.wsgi:application",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(options["workers"]),
            "--threads",
            str(max(1, options["threads"])),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ]
        children = {"web": subprocess.Popen(web)}  # noqa: S603 - fixed argv, our interpreter
        worker = _worker_command(python, settings.TASK_BACKEND)
        if not options["no_worker"] and worker:
            children["worker"] = subprocess.Popen(worker)  # noqa: S603
        if not options["no_worker"]:
            scheduler = [python, "-m", "layan", "scheduler"]
            children["scheduler"] = subprocess.Popen(scheduler)  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(f"Layan is at http://{options['host']}:{options['port']}/")
            + " (Ctrl+C stops it)"
        )
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    self.stderr.write(f"The {name} process stopped with exit code {code}.")
                    exit_code = code or 1
                    stopping = True
            time.sleep(0.5)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if exit_code:
            sys.exit(exit_code)


def _worker_command(python: str, backend: str) -> list[str]:
    """Return the argv of the task worker for `backend`, or [] when tasks need none."""
    if backend == "db":
        return [python, "-m", "layan", "db_worker", "--interval", "1"]
    if backend == "rq":
        # The scheduler thread moves tasks deferred with `run_after` onto the queue when due.
        return [python, "-m", "layan", "rqworker", "--with-scheduler", "default"]
    return []
