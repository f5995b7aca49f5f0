from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from layan.sla import services


class Command(BaseCommand):
    help = "Evaluate SLA states now: the periodic scan, or every ticket again."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("scan", help="Evaluate tickets whose SLA changes state by now (and warn).")
        recompute = sub.add_parser("recompute", help="Evaluate active tickets again.")
        recompute.add_argument(
            "--all", action="store_true", help="Every ticket, resolved and closed ones too."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = services.sla_now()
        if options["action"] == "scan":
            result = services.sla_scan(now=now)
        else:
            result = services.sla_recompute(now=now, only_active=not options["all"])
        self.stdout.write(
            f"Evaluated {result.evaluated} tickets ({result.failed} failed), "
            f"{result.notified} notifications."
        )
