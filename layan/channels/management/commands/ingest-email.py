"""`layan ingest-email [FILE|-]`: take one message from an MTA pipe (Postfix, Exim)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.channels.email.parse import parse_email
from layan.channels.intake import intake_failed, receive
from layan.channels.models import Outcome

# sysexits: the MTA keeps the message and tries again later.
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Take one RFC 5322 message (a file, or standard input) into Layan; print a JSON line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="Message file, or - for stdin.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"] == "-":
            raw = sys.stdin.buffer.read()
        else:
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"No file {path}.")
            raw = path.read_bytes()
        if len(raw) > settings.LAYAN_MAX_MESSAGE_BYTES:
            raise CommandError(
                f"Message of {len(raw)} bytes is over the limit "
                f"(LAYAN_MAX_MESSAGE_BYTES={settings.LAYAN_MAX_MESSAGE_BYTES})."
            )
        message = parse_email(raw, max_attachment_bytes=settings.LAYAN_MAX_ATTACHMENT_BYTES)
        try:
            result = receive(message, source="pipe")
        except Exception as error:
            record = intake_failed(message, error=error, source="pipe")
            self.stdout.write(
                json.dumps(
                    {
                        "outcome": str(record.outcome),
                        "ticket": None,
                        "entry": None,
                        "reason": record.reason,
                        "record": record.pk,
                    }
                )
            )
            if record.outcome == Outcome.PENDING:
                sys.exit(EX_TEMPFAIL)
            return
        self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))
