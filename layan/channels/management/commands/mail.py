"""`layan mail poll` and `layan mail send`: run the mail jobs by hand."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from layan.channels.email.imap import mailbox_poll, mailboxes_poll
from layan.channels.models import Mailbox
from layan.channels.outbox import outbox_due, outbox_send


class Command(BaseCommand):
    help = "Poll IMAP mailboxes now, or send the mail that is due."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        poll = sub.add_parser("poll", help="Fetch new mail from the active mailboxes.")
        poll.add_argument("--mailbox", help="Only the mailbox with this name.")
        sub.add_parser("send", help="Send queued mail that is due.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "poll":
            if options["mailbox"]:
                mailbox = Mailbox.objects.filter(name=options["mailbox"]).first()
                if mailbox is None:
                    raise CommandError(f"No mailbox named {options['mailbox']}.")
                results = [mailbox_poll(mailbox)]
            else:
                results = mailboxes_poll()
            for result in results:
                self.stdout.write(json.dumps(asdict(result)))
            return
        sent = [outbox_send(pk) for pk in outbox_due()]
        self.stdout.write(json.dumps({"attempted": len(sent), "statuses": sent}))
