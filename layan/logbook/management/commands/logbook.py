from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.core import clock
from layan.logbook.models import SigningKey
from layan.logbook.services import (
    SigningKeyMissing,
    checkpoint_create,
    checkpoint_export,
    checkpoint_mail,
    signing_key_load,
    signing_key_revoke,
)
from layan.logbook.signing import key_fingerprint, public_key_raw
from layan.logbook.verify import checkpoint_from_file, logbook_verify


class Command(BaseCommand):
    help = "Checkpoint and verify the tamper-evident logbook."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        checkpoint = sub.add_parser("checkpoint", help="Sign the current state of every chain.")
        checkpoint.add_argument("--export", metavar="FILE", help="Also write it to FILE.")
        checkpoint.add_argument(
            "--mail",
            metavar="ADDRESS",
            action="append",
            default=[],
            help="Also mail it to ADDRESS (repeatable).",
        )
        verify = sub.add_parser("verify", help="Recompute every chain and check the checkpoints.")
        verify.add_argument("--ticket", metavar="REF", help="Only this ticket (e.g. 1042).")
        verify.add_argument(
            "--checkpoint", metavar="FILE", help="Compare with a checkpoint kept outside."
        )
        verify.add_argument(
            "--no-blobs", action="store_true", help="Skip re-reading raw emails and attachments."
        )
        verify.add_argument("--json", action="store_true", help="Print the report as JSON.")
        sub.add_parser("keygen", help="Create the signing key (production installations).")
        sub.add_parser("key", help="Show the signing key's fingerprint to publish.")
        revoke = sub.add_parser("revoke-key", help="Stop trusting a key.")
        revoke.add_argument("key_id")
        revoke.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, "_" + action.replace("-", "_"))(options)
        except SigningKeyMissing as error:
            raise CommandError(str(error)) from error

    def _checkpoint(self, options: dict[str, Any]) -> None:
        checkpoint = checkpoint_create()
        self.stdout.write(
            f"Checkpoint {checkpoint.pk}: {checkpoint.size} entries in {checkpoint.tickets} "
            f"chains, root {checkpoint.root}"
        )
        if options["export"]:
            path = Path(options["export"])
            path.write_text(json.dumps(checkpoint_export(checkpoint), indent=2, sort_keys=True))
            self.stdout.write(f"Exported to {path}")
        if options["mail"]:
            checkpoint_mail(checkpoint, to=options["mail"])
            self.stdout.write("Mailed to " + ", ".join(options["mail"]))

    def _verify(self, options: dict[str, Any]) -> None:
        anchor = anchor_key = None
        if options["checkpoint"]:
            try:
                anchor, anchor_key = checkpoint_from_file(Path(options["checkpoint"]))
            except (OSError, ValueError, KeyError) as error:
                raise CommandError(f"Cannot read the checkpoint file: {error}") from error
        report = logbook_verify(
            now=clock.now(),
            ticket=options["ticket"],
            anchor=anchor,
            anchor_key=anchor_key,
            blobs=not options["no_blobs"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.to_json(), ensure_ascii=False))
        else:
            for finding in report.findings:
                self.stdout.write(f"[{finding.severity}] {finding.describe()}")
            summary = (
                f"{report.entries} entries in {report.chains} chains; "
                f"{report.errors} errors, {report.warnings} warnings"
            )
            if report.ok:
                self.stdout.write(self.style.SUCCESS(f"Logbook verified: {summary}."))
            else:
                first = report.first_bad.describe() if report.first_bad else ""
                self.stdout.write(self.style.ERROR(f"Logbook NOT intact: {summary}."))
                self.stdout.write(f"First bad: {first}")
        if not report.ok:
            sys.exit(1)

    def _keygen(self, options: dict[str, Any]) -> None:
        path = Path(settings.LAYAN_SIGNING_KEY_PATH)
        if path.exists():
            raise CommandError(f"A key already exists at {path}; it is never replaced.")
        key = signing_key_load(create=True)
        self._print_key(key)

    def _key(self, options: dict[str, Any]) -> None:
        self._print_key(signing_key_load())

    def _print_key(self, key: Any) -> None:
        raw = public_key_raw(key)
        self.stdout.write(f"Key file:    {settings.LAYAN_SIGNING_KEY_PATH}")
        self.stdout.write(f"Public key:  {raw.hex()}")
        self.stdout.write(f"Fingerprint: {key_fingerprint(raw)}")
        self.stdout.write("Publish the fingerprint where customers and auditors can compare it.")

    def _revoke_key(self, options: dict[str, Any]) -> None:
        key = SigningKey.objects.filter(pk=options["key_id"]).first()
        if key is None:
            raise CommandError(f"No key {options['key_id']}.")
        signing_key_revoke(key=key, reason=options["reason"])
        self.stdout.write(f"Key {key.pk} revoked.")
