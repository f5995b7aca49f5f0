from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser

from layan.agreements.imports import KINDS, csv_export


class Command(BaseCommand):
    help = "Export customers, contacts or revenue as CSV that `layan import` reads back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--output", "-o", metavar="FILE", help="Write here, not to stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["output"]:
            with Path(options["output"]).open("w", encoding="utf-8", newline="") as target:
                count = csv_export(options["kind"], user=None, target=target)
            self.stderr.write(f"{count} row(s) written to {options['output']}")
        else:
            # Each CSV row is one write ending in a newline, which OutputWrapper passes through.
            csv_export(options["kind"], user=None, target=cast(TextIO, self.stdout))
