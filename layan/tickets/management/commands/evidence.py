from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.core import clock
from layan.logbook.bundle import bundle_verify
from layan.logbook.services import SigningKeyMissing
from layan.tickets.evidence import ticket_evidence_export
from layan.tickets.models import Ticket


class Command(BaseCommand):
    help = "Export a ticket's evidence bundle, or verify a bundle (no database needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write a ticket's evidence bundle.")
        export.add_argument("reference", help="Ticket reference, e.g. 1042 or #1042.")
        export.add_argument("-o", "--output", required=True, metavar="FILE")
        export.add_argument("--language", choices=["id", "en"], default="id")
        verify = sub.add_parser("verify", help="Check a bundle with nothing but its own files.")
        verify.add_argument("bundle", metavar="FILE")
        verify.add_argument(
            "--trust",
            action="append",
            default=[],
            metavar="FINGERPRINT",
            help="A key fingerprint obtained elsewhere (repeatable).",
        )
        verify.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options)
        else:
            self._verify(options)

    def _export(self, options: dict[str, Any]) -> None:
        reference = str(options["reference"]).lstrip("#")
        ticket = (
            Ticket.objects.select_related("chain", "customer", "requester")
            .filter(reference=int(reference) if reference.isdigit() else -1)
            .first()
        )
        if ticket is None:
            raise CommandError(f"No ticket {options['reference']}.")
        output = Path(options["output"])
        try:
            digest = ticket_evidence_export(
                ticket=ticket, actor=None, target=output, language=options["language"]
            )
        except SigningKeyMissing as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Wrote {output} (manifest sha256 {digest}).")

    def _verify(self, options: dict[str, Any]) -> None:
        path = Path(options["bundle"])
        if not path.exists():
            raise CommandError(f"No file {path}.")
        report = bundle_verify(path, now=clock.now(), trusted=options["trust"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": report.ok,
                        "ticket": report.ticket,
                        "entries": report.entries,
                        "errors": report.errors,
                        "key_id": report.key_id,
                        "fingerprint": report.fingerprint,
                        "key_trusted": report.key_trusted,
                        "problems": [
                            {
                                "code": str(p.code),
                                "severity": str(p.severity),
                                "seq": p.seq,
                                "message": p.message,
                            }
                            for p in report.problems
                        ],
                    },
                    ensure_ascii=False,
                )
            )
        else:
            for problem in report.problems:
                where = f" entry {problem.seq}" if problem.seq is not None else ""
                self.stdout.write(f"[{problem.severity}] {problem.code}{where}: {problem.message}")
            if report.ok:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Bundle verified: ticket {report.ticket}, {report.entries} entries, "
                        f"signed by key {report.fingerprint}."
                    )
                )
            else:
                self.stdout.write(
                    self.style.ERROR(
                        f"Bundle NOT intact: {report.errors} errors (first bad entry: "
                        f"{report.first_bad})."
                    )
                )
        if not report.ok:
            sys.exit(1 if report.usable else 2)
