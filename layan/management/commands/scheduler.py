from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from layan.core import clock
from layan.core.scheduler import scheduler_tick
from layan.schedule import JOBS


class Command(BaseCommand):
    help = "Enqueue periodic jobs (checkpoints, mail polling, SLA scans) when they are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        # An event rather than a flag: a stop signal ends the wait between checks at once.
        stopping = threading.Event()

        def stop(signum: int, frame: object) -> None:
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping.is_set():
            close_old_connections()
            started = scheduler_tick(JOBS, now=clock.now())
            for name in started:
                self.stdout.write(f"enqueued {name}")
            if options["once"]:
                break
            stopping.wait(options["interval"])
