"""Parse and analyse an import's messages ahead of the intake, in other processes.

Parsing a message and reading its tone are the import's pure work: no database, no shared
state. `Preparer` does them for the next batch in worker processes while the intake writes the
current one, so a machine with two cores parses on one and writes on the other. Whatever a
worker cannot do (it crashed, the pool is gone) is done again in the importing process, so the
result never depends on the workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from layan.channels.email.parse import parse_email
from layan.channels.types import InboundMessage, ParseFailure
from layan.core.pickling import pickled_by_fields
from layan.insight.analysis import Analysis, analyze

logger = logging.getLogger(__name__)

# A pool costs about half a second to start; a small archive is parsed in place.
POOL_AFTER = 400  # messages read before the pool starts


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Prepared:
    message: InboundMessage | ParseFailure
    analysis: Analysis | None  # of the message's text, when it has any


def prepare(raw: bytes, max_attachment_bytes: int) -> Prepared | None:
    """Parse `raw` and analyse its text; None when anything fails (the caller does it again)."""
    try:
        message = parse_email(raw, max_attachment_bytes=max_attachment_bytes)
        text = message.text if isinstance(message, InboundMessage) else ""
        return Prepared(message, analyze(text) if text else None)
    except Exception:  # the importing process parses it again, and reports what fails
        return None


def prepare_many(raws: Sequence[bytes], max_attachment_bytes: int) -> list[Prepared | None]:
    return [prepare(raw, max_attachment_bytes) for raw in raws]


class Preparer:
    """Prepares batches, in `jobs` worker processes once the archive proves big enough."""

    def __init__(self, *, jobs: int, max_attachment_bytes: int) -> None:
        self.jobs = jobs
        self.max_attachment_bytes = max_attachment_bytes
        self.read = 0
        self.pool: ProcessPoolExecutor | None = None

    def submit(self, raws: Sequence[bytes]) -> Future[list[Prepared | None]]:
        """Start preparing a batch; the result is read with `.result()`."""
        self.read += len(raws)
        if self.pool is None and self.jobs > 0 and self.read > POOL_AFTER:
            # "spawn": a worker starts clean, without the database connections of this process.
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn")
            )
        if self.pool is not None:
            try:
                return self.pool.submit(prepare_many, list(raws), self.max_attachment_bytes)
            except RuntimeError as error:  # the pool broke; go on without it
                logger.warning("import_pool_lost", extra={"error": str(error)[:200]})
                self.close()
        done: Future[list[Prepared | None]] = Future()
        done.set_result([None] * len(raws))  # prepared in place, when taken
        return done

    def results(
        self, pending: Future[list[Prepared | None]], raws: Sequence[bytes]
    ) -> list[Prepared]:
        """The prepared batch. What a worker could not do is parsed here; its text is then
        analysed by the intake itself."""
        try:
            done = pending.result()
        except Exception as error:  # a worker died and took the pool with it: go on without
            logger.warning("import_pool_lost", extra={"error": repr(error)[:200]})
            self.close()
            done = [None] * len(raws)
        return [
            ready
            or Prepared(parse_email(raw, max_attachment_bytes=self.max_attachment_bytes), None)
            for raw, ready in zip(raws, done, strict=True)
        ]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def default_jobs() -> int:
    """Workers beside the importing process: every other core, at most four."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))
