from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.agreements.imports import KINDS, csv_import
from layan.team.models import User


class Command(BaseCommand):
    help = (
        "Import customers, contacts or revenue from a CSV file (UTF-8, ';' or ','). "
        "Every row is checked first; a file with any error imports nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", help="The CSV file, or - for standard input.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; import nothing."
        )
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="Import with this staff member's rights (default: the system, no limits).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["username"]:
            actor = User.objects.filter(username=options["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active staff user {options['username']!r}.")
        try:
            data = (
                sys.stdin.buffer.read()
                if options["file"] == "-"
                else Path(options["file"]).read_bytes()
            )
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from error
        report = csv_import(options["kind"], actor=actor, data=data, dry_run=options["dry_run"])
        for problem in report.errors:
            self.stderr.write(str(problem))
        if not report.ok:
            raise CommandError(
                f"{len(report.errors)} error(s) in {report.rows} row(s); nothing was imported."
            )
        verb = "would import" if report.dry_run else "imported"
        self.stdout.write(
            f"{report.kind}: {verb} {report.rows} row(s): {report.created} new, "
            f"{report.updated} updated, {report.unchanged} unchanged."
        )
