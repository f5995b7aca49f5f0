from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from layan.demo import demo_load
from layan.team.models import Role, User


class Command(BaseCommand):
    help = "Prepare an installation: migrate, and on first run load the demo and an admin login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Create only the admin login.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        credentials = Path(settings.DATA_DIR) / "initial-credentials.txt"
        if not User.objects.exists():
            password = secrets.token_urlsafe(12)
            if options["no_demo"]:
                User.objects.create_superuser(
                    username="admin",
                    email="admin@layan.test",
                    password=password,
                    role=Role.ADMIN,
                )
                text = f"admin / {password}\n"
            else:
                self.stdout.write("First run: loading the demo business (about a minute)...")
                logging.getLogger("layan").setLevel(logging.WARNING)
                summary = demo_load(password=password)
                text = (
                    f"admin / {password}\n"
                    "Demo staff (same password): dewi (manager), rina, budi, sari, andi "
                    "(account managers), agus, maya, yoga, fitri (agents), nina (viewer)\n"
                )
                self.stdout.write(
                    f"Demo loaded: {summary.customers} customers, {summary.tickets} tickets."
                )
            fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
        if credentials.exists():
            self.stdout.write(self.style.SUCCESS("Log in with: " + credentials.read_text().strip()))
            self.stdout.write(f"(kept in {credentials}; delete it once you changed the password)")
