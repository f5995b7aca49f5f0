from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.demo import demo_load
from layan.tickets.models import Ticket


class Command(BaseCommand):
    help = "Load the demo business (staff, customers, tickets) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1042)
        parser.add_argument("--tickets", type=int, default=300)
        parser.add_argument("--password", default="", help="Password for every demo login.")

    def handle(self, *args: Any, **options: Any) -> None:
        if Ticket.objects.exists():
            raise CommandError("The database already has tickets; the demo loads only once.")
        password = options["password"] or secrets.token_urlsafe(9)
        summary = demo_load(
            password=password, seed=options["seed"], ticket_count=options["tickets"]
        )
        self.stdout.write(
            f"Demo loaded: {summary.staff} staff, {summary.customers} customers, "
            f"{summary.contacts} contacts, {summary.tickets} tickets."
        )
        self.stdout.write(f"Every demo login uses the password: {summary.password}")
