"""`layan import-mail PATH`: migrate an archive (mbox, Maildir, a folder of message files)."""

from __future__ import annotations

import json
import logging
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from layan.channels.bulk import BulkIntake
from layan.channels.email.sources import iter_messages, read_message
from layan.channels.intake import IntakeSession, import_one
from layan.channels.models import Outcome
from layan.channels.prepare import POOL_AFTER, Prepared, Preparer, default_jobs
from layan.channels.types import InboundMessage, ParseFailure
from layan.insight.analysis import Analysis
from layan.tickets.services import changes_batched

logger = logging.getLogger(__name__)

SUMMARY_KEYS = {
    Outcome.NEW_TICKET: "new_tickets",
    Outcome.THREADED: "threaded",
    Outcome.DUPLICATE: "duplicates",
    Outcome.AUTO_REPLY: "auto_replies",
    Outcome.BOUNCE: "bounces",
    Outcome.KEPT_RAW: "kept_raw",
    Outcome.OWN_MESSAGE: "own_messages",
    Outcome.QUARANTINED: "failed",
    Outcome.PENDING: "failed",
}


class Command(BaseCommand):
    help = (
        "Import every message under PATH (mbox, Maildir, or files of any name, recursively). "
        "Entries keep the messages' own dates; no acknowledgement is sent."
    )
    # The system checks import every view to check the URLs (most of a second here); `layan
    # setup`, `layan run` and `layan check` run them, an import needs the models only.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--quiet", action="store_true", help="No progress line.")
        parser.add_argument(
            "--batch",
            type=int,
            default=200,
            help="Messages per transaction (1: commit each message on its own).",
        )
        parser.add_argument(
            "--per-message",
            action="store_true",
            help="Take every message through the live intake one by one (slower; the same "
            "result). By default the plain messages of a batch are written set-wise.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Worker processes that parse and analyse the next batch (default: one per "
            "other core, at most four; 0: none). They start once the archive passes "
            f"{POOL_AFTER} messages.",
        )
        parser.add_argument(
            "--window",
            type=int,
            default=50_000,
            help="Take messages in date order within windows of this many (0: archive order).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"No such file or folder: {path}")
        tally: Counter[str] = Counter()
        progress = sys.stderr.isatty() and not options["quiet"]
        started = time.perf_counter()
        session = IntakeSession()
        bulk = None if options["per_message"] else BulkIntake(session)
        messages = _in_date_order(path, window=options["window"])
        size = max(options["batch"], 1)
        jobs = default_jobs() if options["jobs"] is None else max(options["jobs"], 0)
        preparer = Preparer(jobs=jobs, max_attachment_bytes=settings.LAYAN_MAX_ATTACHMENT_BYTES)
        try:
            # While one batch is taken in, the next is parsed and analysed by the workers.
            batch = list(islice(messages, size))
            pending = preparer.submit([raw for _label, raw in batch])
            while batch:
                following = list(islice(messages, size))
                upcoming = preparer.submit([raw for _label, raw in following])
                prepared = preparer.results(pending, [raw for _label, raw in batch])
                self._take_batch(batch, prepared, session, bulk, tally, started, progress)
                batch, pending = following, upcoming
        finally:
            preparer.close()
        seconds = time.perf_counter() - started
        if progress:
            sys.stderr.write("\n")
        summary = {
            "read": tally["read"],
            **{key: tally[key] for key in dict.fromkeys(SUMMARY_KEYS.values())},
            "seconds": round(seconds, 2),
            "per_second": round(tally["read"] / seconds, 1) if seconds else None,
        }
        self.stdout.write(json.dumps(summary))

    def _take_batch(
        self,
        batch: list[tuple[str, bytes]],
        prepared: list[Prepared],
        session: IntakeSession,
        bulk: BulkIntake | None,
        tally: Counter[str],
        started: float,
        progress: bool,
    ) -> None:
        parsed = [
            (label, ready.message) for (label, _raw), ready in zip(batch, prepared, strict=True)
        ]
        analyses = [ready.analysis for ready in prepared]
        for outcome in _take(parsed, analyses, session, bulk):
            tally[SUMMARY_KEYS[outcome]] += 1
        tally["read"] += len(batch)
        if progress:
            rate = tally["read"] / max(time.perf_counter() - started, 1e-9)
            sys.stderr.write(
                f"\r{tally['read']} read · {tally['new_tickets']} new · "
                f"{tally['threaded']} threaded · {rate:,.0f}/s "
            )
            sys.stderr.flush()


def _take(
    parsed: list[tuple[str, InboundMessage | ParseFailure]],
    analyses: list[Analysis | None],
    session: IntakeSession,
    bulk: BulkIntake | None,
) -> list[Outcome]:
    """Take a batch in one transaction: a crash loses only the batch in flight, and running
    the import again takes it in (what was committed is found as duplicates). When the
    set-wise intake fails, the batch is rolled back and taken again message by message, where
    a message that fails is kept raw and counted."""
    if bulk is not None:
        try:
            with changes_batched(), transaction.atomic():
                return bulk.take(parsed, analyses)
        except Exception as error:  # the batch is rolled back; take it again one by one
            bulk.forget()
            logger.warning("import_batch_retried", extra={"error": repr(error)[:300]})
    with changes_batched(), transaction.atomic():
        return [import_one(message, source=label, session=session)[0] for label, message in parsed]


def _in_date_order(path: Path, *, window: int) -> Iterator[tuple[str, bytes]]:
    """Yield the archive's messages oldest first within each window of `window` messages.

    Replies then arrive after the messages they answer, so they join the right ticket. Only
    labels and dates are held (bounded by the window); each message is read again when its
    turn comes.
    """
    if window <= 0:
        yield from iter_messages(path)
        return
    batch: list[tuple[float, int, str]] = []
    for position, (label, raw) in enumerate(iter_messages(path, head=HEAD_BYTES)):
        batch.append((_sent_timestamp(raw), position, label))
        if len(batch) >= window:
            yield from _replay(batch)
            batch = []
    yield from _replay(batch)


def _replay(batch: list[tuple[float, int, str]]) -> Iterator[tuple[str, bytes]]:
    for _stamp, _position, label in sorted(batch):
        yield label, read_message(label)


# How much of a message the date sort reads: the header block of all but freak messages.
HEAD_BYTES = 65536
# The Date header (any case) with its folded continuation lines, in the head of a message.
_DATE = re.compile(rb"^date:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def _sent_timestamp(raw: bytes) -> float:
    """The message's Date as a timestamp (inf when it has none or it cannot be read). Only the
    head is searched, and only for that header: this runs for every message of an archive."""
    head = raw[:HEAD_BYTES].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    found = _DATE.search(head)
    if found is None:
        return math.inf
    value = " ".join(found.group(1).decode("latin-1").split())
    try:
        return parsedate_to_datetime(value).timestamp() if value else math.inf
    except (TypeError, ValueError, IndexError, OverflowError):
        return math.inf
