"""Hash chains of logbook entries: digests, entry hashes and streaming verification.

Every entry of a ticket is a body (the dict below) whose hash is SHA-256 over its canonical JSON.
Entry `seq` names in `prev` the hash of entry `seq - 1`, and entry 1 names GENESIS, so changing,
removing, inserting or reordering any entry breaks a link that the verifier reports::

    {"v": 1, "ticket": "1042", "seq": 7, "prev": <64 hex>, "kind": "message",
     "direction": "in" | "out" | "internal", "channel": "email", "actor": "contact:17",
     "occurred_at": "2026-11-22T03:04:05.123456Z", "recorded_at": "...Z",
     "content_sha256": <64 hex>, "raw_sha256": <64 hex> or "",
     "attachments": [{"sha256": <64 hex>, "size": 123, "name": "faktur.pdf"}, ...], "data": {...}}

The content itself lives beside the body with a random salt; the body keeps only
SHA-256(salt || canonical_json(content)). Erasing content and salt (a data-protection request)
leaves the body and the chain intact.

Problem codes are shared with checkpoints, bundles and the standalone verify.py, and never change
meaning: a stored report must read the same years later.
"""

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from layan.core.canonical import canonical_json

__all__ = [
    "FORMAT_VERSION",
    "GENESIS",
    "SALT_BYTES",
    "BlobDigest",
    "ChainReport",
    "ChainVerifier",
    "Code",
    "Problem",
    "ProblemTally",
    "Record",
    "Severity",
    "body_error",
    "content_digest",
    "entry_hash",
    "parse_timestamp",
    "utc_timestamp",
    "verify_chain",
]

GENESIS = "0" * 64
FORMAT_VERSION = 1
SALT_BYTES = 16

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_DIRECTIONS = frozenset({"in", "out", "internal"})
_FIELDS: dict[str, type] = {
    "v": int,
    "ticket": str,
    "seq": int,
    "prev": str,
    "kind": str,
    "direction": str,
    "channel": str,
    "actor": str,
    "occurred_at": str,
    "recorded_at": str,
    "content_sha256": str,
    "raw_sha256": str,
    "attachments": list,
    "data": dict,
}
_ATTACHMENT_FIELDS = frozenset({"sha256", "size", "name"})


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    """What went wrong; E-codes concern the log, B-codes the bundle file around it."""

    CONTENT_CHANGED = "E01"
    ENTRY_MISSING = "E02"
    ENTRY_INSERTED = "E03"
    REORDERED = "E04"
    TRUNCATED = "E05"
    HEAD_MISMATCH = "E06"
    EQUIVOCATION = "E07"
    ROLLBACK = "E08"
    DIGEST_MISMATCH = "E09"
    BAD_SIGNATURE = "E10"
    TIME_ANOMALY = "E11"
    FORKED = "E12"
    MALFORMED = "E13"
    CONTENT_ERASED = "E14"
    FILE_MISSING = "B01"
    FILE_UNEXPECTED = "B02"
    FILE_CHANGED = "B03"
    UNSAFE_PATH = "B04"
    TOO_LARGE = "B05"
    UNREADABLE = "B06"
    KEY_NOT_PINNED = "B07"
    UNSIGNED_TAIL = "B08"


_SEVERITY = {
    Code.TIME_ANOMALY: Severity.WARNING,
    Code.UNSIGNED_TAIL: Severity.WARNING,
    Code.CONTENT_ERASED: Severity.INFO,
    Code.KEY_NOT_PINNED: Severity.INFO,
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding; `seq` names the entry it concerns, or is None for the log or file as a whole."""

    code: Code
    seq: int | None
    message: str

    @property
    def severity(self) -> Severity:
        return _SEVERITY.get(self.code, Severity.ERROR)


BlobDigest = Callable[[str, str], str | None]
"""Given ("raw" or "attachment", claimed SHA-256), return the stored bytes' SHA-256 or None."""


@dataclass(frozen=True, slots=True)
class Record:
    """One stored entry as the verifier sees it.

    Leave `content` None to skip the content check; set `redacted` (who, when, why) when content and
    salt were erased. `blob_digest` enables the raw payload and attachment checks.
    """

    hash: str
    body: Mapping[str, Any]
    content: Mapping[str, Any] | None = None
    salt: bytes | None = None
    redacted: Mapping[str, Any] | None = None
    blob_digest: BlobDigest | None = None


def content_digest(salt: bytes, content: Mapping[str, Any]) -> str:
    """Return SHA-256(salt || canonical_json(content)) as lower-case hex."""
    return hashlib.sha256(salt + canonical_json(content)).hexdigest()


def entry_hash(body: Mapping[str, Any]) -> str:
    """Return SHA-256(canonical_json(body)) as lower-case hex."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def utc_timestamp(moment: datetime) -> str:
    """Format an aware datetime the way bodies and checkpoints store it: UTC, microseconds, Z."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp written by `utc_timestamp`; anything else raises ValueError."""
    if not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"not a UTC timestamp with microseconds: {text!r}")
    return datetime.fromisoformat(text)


def body_error(body: object) -> str | None:
    """Return why `body` is not a version 1 entry body, or None when it is one."""
    if not isinstance(body, Mapping):
        return "the body is not an object"
    if body.keys() != _FIELDS.keys():
        missing = sorted(_FIELDS.keys() - body.keys())
        extra = sorted(body.keys() - _FIELDS.keys())
        return f"the body has missing fields {missing} or unknown fields {extra}"
    for name, kind in _FIELDS.items():
        value = body[name]
        if type(value) is not kind and not _is(value, kind):
            return f"field {name!r} must be of type {kind.__name__}"
    if body["v"] != FORMAT_VERSION:
        return f"unknown format version {body['v']}"
    if body["seq"] < 1:
        return "seq must be 1 or more"
    if not (_HEX64.fullmatch(body["prev"]) and _HEX64.fullmatch(body["content_sha256"])):
        return "prev and content_sha256 must be 64 lower-case hex digits"
    if body["raw_sha256"] and not _HEX64.fullmatch(body["raw_sha256"]):
        return "raw_sha256 must be empty or 64 lower-case hex digits"
    if body["direction"] not in _DIRECTIONS:
        return f"unknown direction {body['direction']!r}"
    for name in ("occurred_at", "recorded_at"):
        try:
            parse_timestamp(body[name])
        except ValueError:
            return f"{name} is not a UTC timestamp with microseconds"
    for attachment in body["attachments"]:
        if not (
            isinstance(attachment, Mapping)
            and attachment.keys() == _ATTACHMENT_FIELDS
            and isinstance(attachment["sha256"], str)
            and _HEX64.fullmatch(attachment["sha256"])
            and _is(attachment["size"], int)
            and attachment["size"] >= 0
            and isinstance(attachment["name"], str)
        ):
            return "each attachment must be {sha256: 64 hex, size: int >= 0, name: str}"
    return None


def _is(value: object, kind: type) -> bool:
    if kind is int:
        return type(value) is int
    if kind is list:
        return isinstance(value, list | tuple)
    if kind is dict:
        return isinstance(value, Mapping)
    return isinstance(value, kind)


class ProblemTally:
    """Count problems by code and keep the first few, so a wrecked log cannot exhaust memory."""

    def __init__(self, keep: int = 100) -> None:
        self.keep = keep
        self.kept: list[Problem] = []
        self.totals: dict[str, int] = {}
        self.errors = 0
        self.first_bad: int | None = None

    def add(self, problem: Problem) -> None:
        self.totals[problem.code] = self.totals.get(problem.code, 0) + 1
        if len(self.kept) < self.keep:
            self.kept.append(problem)
        if problem.severity is Severity.ERROR:
            self.errors += 1
            if problem.seq is not None and (self.first_bad is None or problem.seq < self.first_bad):
                self.first_bad = problem.seq


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of verifying one chain.

    `first_bad` is the lowest entry named by an error: the point from which the record cannot be
    trusted. `problems` holds the first ones found; `totals` counts all of them by code.
    """

    count: int
    head_seq: int
    head: str
    problems: tuple[Problem, ...]
    totals: Mapping[str, int] = field(default_factory=dict)
    errors: int = 0
    first_bad: int | None = None

    @property
    def ok(self) -> bool:
        return self.errors == 0


class _Lookahead[T]:
    """An iterator that can show its next item and take items back."""

    def __init__(self, items: Iterable[T]) -> None:
        self._items = iter(items)
        self._held: list[T] = []

    def __iter__(self) -> "_Lookahead[T]":
        return self

    def __next__(self) -> T:
        return self._held.pop() if self._held else next(self._items)

    def peek(self) -> T | None:
        if not self._held:
            try:
                self._held.append(next(self._items))
            except StopIteration:
                return None
        return self._held[-1]

    def push(self, item: T) -> None:
        self._held.append(item)


class ChainVerifier:
    """Verify one ticket's chain from a stream of records, holding only the previous entry.

    Records are expected in seq order, as stored. Position problems are judged against the
    previous entry placed in the chain:

    - seq follows and prev links: fine;
    - seq follows but prev does not link: E03 when the next record has the same seq and does
      link (this one was slipped in beside it) or when prev names the previous entry's
      predecessor (the previous one was slipped in), otherwise E02 (something between is gone);
    - seq jumps ahead: E04 when the very next record holds the skipped seq (the two are checked
      in their proper order), otherwise E02;
    - seq repeats: E12 (fork) when both claim the same prev, otherwise E03;
    - seq goes back: E04.

    After `check` is exhausted, `count`, `head_seq` and `head` describe what was read.
    """

    def __init__(
        self,
        *,
        ticket: str | None = None,
        expected_head: str | None = None,
        expected_seq: int | None = None,
        max_skew: timedelta,
        now: datetime,
    ) -> None:
        self.ticket = ticket
        self.expected_head = expected_head
        self.expected_seq = expected_seq
        self.max_skew = max_skew
        self.now = now
        self.count = 0
        self.head_seq = 0
        self.head = GENESIS
        self._head_prev: str | None = None
        self._twin: str | None = None
        self._occurred: datetime | None = None
        self._recorded: datetime | None = None
        self._expected_seen = False

    def check(self, records: Iterable[Record]) -> Iterator[Problem]:
        """Yield every problem in `records`, then those about the head."""
        stream = _Lookahead(records)
        for record in stream:
            expected = self.head_seq + 1
            seq = _seq_of(record)
            if seq is not None and seq > expected:
                following = stream.peek()
                if following is not None and _seq_of(following) == expected:
                    yield Problem(
                        Code.REORDERED,
                        expected,
                        f"entry {expected} comes after entry {seq}: entries are out of order",
                    )
                    next(stream)
                    stream.push(record)
                    record = following
            yield from self._entry(record, stream)
        yield from self._finish()

    def _entry(self, record: Record, stream: _Lookahead[Record]) -> Iterator[Problem]:
        self.count += 1
        body = record.body
        reason = body_error(body)
        seq = _seq_of(record)
        if reason is not None:
            yield Problem(Code.MALFORMED, seq, f"entry {seq or '?'} is malformed: {reason}")
        try:
            recomputed: str | None = entry_hash(body)
        except (TypeError, ValueError, RecursionError) as error:
            recomputed = None
            if reason is None:
                yield Problem(Code.MALFORMED, seq, f"entry {seq} cannot be hashed: {error}")
        if recomputed is not None and recomputed != record.hash:
            yield Problem(
                Code.CONTENT_CHANGED,
                seq,
                f"entry {seq} was changed after it was recorded: its body does not match its hash",
            )
        if reason is not None:
            if seq is not None and isinstance(body.get("prev"), str):
                yield from self._place(record, seq, body["prev"], None, None, stream)
            return
        if self.ticket is None:
            self.ticket = body["ticket"]
        elif body["ticket"] != self.ticket:
            yield Problem(
                Code.ENTRY_INSERTED,
                seq,
                f"entry {seq} belongs to ticket {body['ticket']}, not {self.ticket}",
            )
            return
        yield from _digest_problems(record)
        yield from self._place(
            record,
            body["seq"],
            body["prev"],
            parse_timestamp(body["occurred_at"]),
            parse_timestamp(body["recorded_at"]),
            stream,
        )

    def _place(
        self,
        record: Record,
        seq: int,
        prev: str,
        occurred: datetime | None,
        recorded: datetime | None,
        stream: _Lookahead[Record],
    ) -> Iterator[Problem]:
        last = self.head_seq
        if seq == last + 1:
            if prev not in (self.head, self._twin):
                following = stream.peek()
                if (
                    following is not None
                    and _seq_of(following) == seq
                    and following.body.get("prev") == self.head
                ):
                    yield Problem(Code.ENTRY_INSERTED, seq, f"a second entry {seq} was inserted")
                    return
                if last and prev == self._head_prev:
                    yield Problem(
                        Code.ENTRY_INSERTED,
                        last,
                        f"entry {last} was inserted: entry {seq} also follows entry {last - 1}",
                    )
                elif last == 0:
                    yield Problem(
                        Code.ENTRY_MISSING,
                        seq,
                        "entry 1 does not start from the genesis value: the chain's start is gone",
                    )
                else:
                    yield Problem(
                        Code.ENTRY_MISSING,
                        seq,
                        f"entry {seq} does not follow entry {last}: an entry between them is "
                        f"missing or entry {last} was rewritten",
                    )
        elif seq > last + 1:
            gap = f"entry {last + 1} is" if seq == last + 2 else f"entries {last + 1}-{seq - 1} are"
            yield Problem(Code.ENTRY_MISSING, last + 1, f"{gap} missing")
        elif seq == last:
            if prev == self._head_prev:
                self._twin = record.hash
                yield Problem(
                    Code.FORKED,
                    seq,
                    f"entry {seq} exists twice, both after entry {seq - 1}: the chain is forked",
                )
            else:
                yield Problem(Code.ENTRY_INSERTED, seq, f"a second entry {seq} was inserted")
            return
        else:
            yield Problem(
                Code.REORDERED,
                seq,
                f"entry {seq} comes after entry {last}: entries are out of order",
            )
            return
        yield from self._times(seq, occurred, recorded)
        self.head_seq, self.head, self._head_prev, self._twin = seq, record.hash, prev, None
        if seq == self.expected_seq:
            self._expected_seen = True
            if record.hash != self.expected_head:
                yield Problem(
                    Code.HEAD_MISMATCH,
                    seq,
                    f"entry {seq} differs from the one the checkpoint signed: it was rewritten",
                )

    def _times(
        self, seq: int, occurred: datetime | None, recorded: datetime | None
    ) -> Iterator[Problem]:
        skew = self.max_skew
        for label, moment, before in (
            ("occurred", occurred, self._occurred),
            ("was recorded", recorded, self._recorded),
        ):
            if moment is None:
                continue
            if before is not None and moment < before - skew:
                yield Problem(
                    Code.TIME_ANOMALY,
                    seq,
                    f"entry {seq} {label} at {utc_timestamp(moment)}, before the entry preceding "
                    f"it ({utc_timestamp(before)})",
                )
            if moment > self.now + skew:
                yield Problem(
                    Code.TIME_ANOMALY,
                    seq,
                    f"entry {seq} {label} at {utc_timestamp(moment)}, in the future",
                )
        self._occurred, self._recorded = occurred, recorded

    def _finish(self) -> Iterator[Problem]:
        if self.expected_head is None:
            return
        if self.expected_seq is None:
            if self.head != self.expected_head:
                yield Problem(
                    Code.HEAD_MISMATCH,
                    self.head_seq or None,
                    "the chain head differs from the expected head",
                )
        elif not self._expected_seen and self.head_seq < self.expected_seq:
            yield Problem(
                Code.TRUNCATED,
                self.head_seq + 1,
                f"the chain ends at entry {self.head_seq}, but the checkpoint signed "
                f"{self.expected_seq} entries: the end of the chain was removed",
            )


def _seq_of(record: Record) -> int | None:
    body = record.body
    seq = body.get("seq") if isinstance(body, Mapping) else None
    return seq if type(seq) is int else None


def _digest_problems(record: Record) -> Iterator[Problem]:
    body = record.body
    seq = body["seq"]
    if record.redacted is not None:
        yield Problem(
            Code.CONTENT_ERASED,
            seq,
            f"the content of entry {seq} was erased; the chain still proves the entry existed",
        )
    elif record.content is not None:
        try:
            intact = record.salt is not None and (
                content_digest(record.salt, record.content) == body["content_sha256"]
            )
        except (TypeError, ValueError, RecursionError):
            intact = False
        if not intact:
            yield Problem(
                Code.DIGEST_MISMATCH,
                seq,
                f"the content of entry {seq} was changed: it no longer matches its digest",
            )
    blob_digest = record.blob_digest
    if blob_digest is None:
        return
    wanted = [("raw", body["raw_sha256"], "the raw payload")] if body["raw_sha256"] else []
    wanted += [
        ("attachment", item["sha256"], f"attachment {number} ({item['name']})")
        for number, item in enumerate(body["attachments"], 1)
    ]
    for kind, claimed, label in wanted:
        actual = blob_digest(kind, claimed)
        if actual is None:
            if record.redacted is None:
                yield Problem(Code.DIGEST_MISMATCH, seq, f"{label} of entry {seq} is missing")
        elif actual != claimed:
            yield Problem(
                Code.DIGEST_MISMATCH,
                seq,
                f"{label} of entry {seq} was changed: its bytes do not match the recorded digest",
            )


def verify_chain(
    records: Iterable[Record],
    *,
    ticket: str | None = None,
    expected_head: str | None = None,
    expected_seq: int | None = None,
    max_skew: timedelta,
    now: datetime,
    keep: int = 100,
) -> ChainReport:
    """Verify one ticket's chain in constant memory and summarise what was found.

    `expected_head` is a hash a checkpoint signed; with `expected_seq` it must be the hash of
    that entry (the chain may have grown since), without it the hash of the last entry.
    """
    verifier = ChainVerifier(
        ticket=ticket,
        expected_head=expected_head,
        expected_seq=expected_seq,
        max_skew=max_skew,
        now=now,
    )
    tally = ProblemTally(keep)
    for problem in verifier.check(records):
        tally.add(problem)
    return ChainReport(
        count=verifier.count,
        head_seq=verifier.head_seq,
        head=verifier.head,
        problems=tuple(tally.kept),
        totals=tally.totals,
        errors=tally.errors,
        first_bad=tally.first_bad,
    )
