from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.dbcopy import CopyFailed, CopyRefused, TableCopy, database_copy


class Command(BaseCommand):
    help = (
        "Copy this installation's database (e.g. the embedded SQLite) into a new, empty "
        "PostgreSQL database: migrate it, copy every row, check counts and the logbook."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            required=True,
            metavar="URL",
            help="The empty target database, e.g. postgres://layan@db.internal/layan.",
        )
        parser.add_argument(
            "--batch", type=int, default=5000, help="Rows per round trip (default 5000)."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "Drop every table, view and sequence in the target's schema first, so a "
                "database that is not empty (e.g. from a copy that stopped) is filled anew. "
                "What it held is lost."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        verbose = options["verbosity"] >= 1

        def progress(table: TableCopy) -> None:
            if verbose:
                self.stdout.write(
                    f"  {table.table:<44} {table.copied_rows:>10,}  {table.seconds:6.1f} s"
                )

        try:
            report = database_copy(
                target_url=options["to"],
                batch=options["batch"],
                replace=options["replace"],
                progress=progress,
            )
        except CopyRefused as error:
            raise CommandError(str(error)) from error
        except CopyFailed as error:
            raise CommandError(
                f"{error}\nThe target holds the schema only: drop it and create it again, "
                "or run the copy again with --replace."
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Copied {report.rows:,} rows in {len(report.tables)} tables to {report.target} "
                f"in {report.seconds:.1f} s (migrating it took {report.migrate_seconds:.1f} s); "
                "every table's row count matches the source."
            )
        )
        logbook = (
            f"Logbook on the target: {report.logbook_entries:,} entries in "
            f"{report.logbook_chains:,} chains, {report.logbook_errors} errors"
        )
        self.stdout.write(logbook + " (the same as the source).")
        if report.search_tickets is not None:
            self.stdout.write(f"Search index rebuilt for {report.search_tickets:,} tickets.")
        if report.not_copied:
            self.stdout.write(
                "Not copied (no model's table; the target builds its own): "
                + ", ".join(report.not_copied)
            )
        self.stdout.write("Next: point DATABASE_URL at the new database and start Layan.")
