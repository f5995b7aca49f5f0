"""`layan search-index`: report on or rebuild the ticket search index."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from layan.search.services import search_rebuild


class Command(BaseCommand):
    help = "Show how many tickets the search index holds, or rebuild it (--rebuild)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="recompute every ticket's document"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            count = search_rebuild()
            self.stdout.write(f"rebuilt the search index of {count} tickets")
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tickets_ticket")
            (tickets,) = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM search_ticket")
            (indexed,) = cursor.fetchone()
        self.stdout.write(f"{indexed} of {tickets} tickets indexed")
        if indexed != tickets:
            self.stderr.write("the index is out of step: run `layan search-index --rebuild`")
            raise SystemExit(1)
