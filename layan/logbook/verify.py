"""Verify the logbook stored in the database: every chain, the checkpoints, and an outside copy.

Chains are streamed one entry at a time, so memory does not grow with the log; the checkpoint
checks recompute Merkle roots from the entries as they are now, so a log rewritten with fresh
hashes no longer matches what was signed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from django.conf import settings

from layan.core.reads import PreparedRead, PreparedValues
from layan.logbook.chain import ChainReport, Code, Problem, Record, Severity, verify_chain
from layan.logbook.merkle import ChainHead, MerkleBuilder, merkle_root
from layan.logbook.models import Chain, Checkpoint, CheckpointHead, Entry, SigningKey
from layan.logbook.queries import (
    StoredRecord,
    checkpoint_latest,
    checkpoints_in_order,
    heads_at,
    records_stream,
)
from layan.logbook.signing import (
    SignedCheckpoint,
    checkpoint_hash,
    checkpoint_verify,
    checkpoints_check,
    key_id,
    key_load,
    public_key_raw,
)

MAX_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Finding:
    ticket: str | None
    problem: Problem

    @property
    def severity(self) -> Severity:
        return self.problem.severity

    def describe(self) -> str:
        where = f"ticket {self.ticket}" if self.ticket else "logbook"
        seq = f", entry {self.problem.seq}" if self.problem.seq is not None else ""
        return f"{self.problem.code} {where}{seq}: {self.problem.message}"


@dataclass
class VerifyReport:
    chains: int = 0
    entries: int = 0
    findings: list[Finding] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    first_bad: Finding | None = None
    checkpoint: int | None = None  # id of the newest checkpoint checked
    keep: int = 200

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def add(self, ticket: str | None, problem: Problem) -> None:
        finding = Finding(ticket, problem)
        self.totals[problem.code] = self.totals.get(problem.code, 0) + 1
        if len(self.findings) < self.keep:
            self.findings.append(finding)
        if problem.severity is Severity.ERROR:
            self.errors += 1
            if self.first_bad is None:
                self.first_bad = finding
        elif problem.severity is Severity.WARNING:
            self.warnings += 1

    def merge(self, ticket: str, chain: ChainReport) -> None:
        """Take a chain's findings: the ones it kept in full, the rest as counts."""
        for problem in chain.problems:
            self.add(ticket, problem)
        kept = Counter(str(problem.code) for problem in chain.problems)
        for code, total in chain.totals.items():
            rest = total - kept.get(code, 0)
            if rest <= 0:
                continue
            self.totals[code] = self.totals.get(code, 0) + rest
            severity = Problem(Code(code), None, "").severity
            if severity is Severity.ERROR:
                self.errors += rest
            elif severity is Severity.WARNING:
                self.warnings += rest

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "chains": self.chains,
            "entries": self.entries,
            "errors": self.errors,
            "warnings": self.warnings,
            "totals": self.totals,
            "checkpoint": self.checkpoint,
            "first_bad": self.first_bad.describe() if self.first_bad else None,
            "findings": [
                {
                    "code": str(f.problem.code),
                    "severity": str(f.severity),
                    "ticket": f.ticket,
                    "seq": f.problem.seq,
                    "message": f.problem.message,
                }
                for f in self.findings
            ],
        }


def checkpoint_from_file(path: Path) -> tuple[SignedCheckpoint, bytes | None]:
    """Read a checkpoint exported by `layan logbook checkpoint --export` (and its key)."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or "statement" not in data or "signature" not in data:
        raise ValueError(f"{path} is not an exported Layan checkpoint")
    public = bytes.fromhex(data["public_key"]) if data.get("public_key") else None
    return SignedCheckpoint(data["statement"], bytes.fromhex(data["signature"])), public


def _trusted_keys() -> tuple[dict[str, bytes], set[str]]:
    """Keys known to the database, plus the key file itself (which an attacker of the database
    cannot rewrite)."""
    keys = {k.key_id: bytes.fromhex(k.public_key) for k in SigningKey.objects.all()}
    revoked = set(SigningKey.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True))
    path = Path(settings.LAYAN_SIGNING_KEY_PATH)
    if path.exists():
        raw = public_key_raw(key_load(path))
        keys[key_id(raw)] = raw
    return keys, revoked


def logbook_verify(
    *,
    now: datetime,
    ticket: str | None = None,
    anchor: SignedCheckpoint | None = None,
    anchor_key: bytes | None = None,
    blobs: bool = True,
    max_skew: timedelta = MAX_SKEW,
) -> VerifyReport:
    """Verify chains (all, or one ticket's) and, for the whole log, the signed checkpoints."""
    report = VerifyReport()
    builder = MerkleBuilder()
    stream = records_stream(label=ticket, blobs=blobs)
    for label, group in groupby(stream, key=lambda stored: stored.label):
        claimed = 0

        def records(items: Iterator[StoredRecord] = group) -> Iterator[Record]:
            nonlocal claimed
            for stored in items:
                claimed = stored.claimed_seq
                yield stored.record

        chain_report = verify_chain(records(), ticket=label, max_skew=max_skew, now=now)
        report.chains += 1
        report.entries += chain_report.count
        report.merge(label, chain_report)
        if chain_report.head_seq < claimed:
            report.add(
                label,
                Problem(
                    Code.TRUNCATED,
                    chain_report.head_seq + 1,
                    f"the chain should hold {claimed} entries but ends at "
                    f"{chain_report.head_seq}: entries were removed from its end",
                ),
            )
        if chain_report.count:
            builder.add(ChainHead(ticket=label, seq=chain_report.head_seq, head=chain_report.head))
    if ticket is not None:
        _check_ticket_against_checkpoint(report, ticket)
        return report
    _check_checkpoints(report, builder.summary().root, anchor=anchor, anchor_key=anchor_key)
    return report


# Every ticket page checks its chain against the newest checkpoint: built once (see
# `layan.core.reads`).
_newest_head = PreparedRead(
    lambda label: (
        CheckpointHead.objects.filter(chain__label=label)
        .select_related("checkpoint")
        .order_by("-checkpoint_id")
    ),
    label=str,
)
_body_hash = PreparedValues(
    lambda label, seq: Entry.objects.filter(chain__label=label, seq=seq).values_list("body_hash"),
    label=str,
    seq=int,
)


def _check_ticket_against_checkpoint(report: VerifyReport, ticket: str) -> None:
    """The chain's entry at the seq the newest checkpoint recorded must still be that entry."""
    head = _newest_head.first(label=ticket)
    if head is None:
        return
    report.checkpoint = head.checkpoint_id
    found = _body_hash.rows(label=ticket, seq=head.seq)  # (chain, seq) is unique
    stored = found[0][0] if found else None
    if stored is None:
        report.add(
            ticket,
            Problem(
                Code.TRUNCATED,
                head.seq,
                f"checkpoint {head.checkpoint_id} signed entry {head.seq}, which is gone",
            ),
        )
    elif stored != head.head:
        report.add(
            ticket,
            Problem(
                Code.HEAD_MISMATCH,
                head.seq,
                f"entry {head.seq} differs from the one checkpoint {head.checkpoint_id} signed",
            ),
        )


def _check_checkpoints(
    report: VerifyReport,
    log_root: str,
    *,
    anchor: SignedCheckpoint | None,
    anchor_key: bytes | None,
) -> None:
    keys, revoked = _trusted_keys()
    latest = checkpoint_latest()
    report.checkpoint = latest.pk if latest else None

    def root_at(size: int) -> str | None:
        # Recomputing an old root costs a pass over every chain: do it for the newest only.
        if latest is None or size != latest.size:
            return None
        return merkle_root(heads_at(latest)).root

    history = (
        SignedCheckpoint(cp.statement, bytes.fromhex(cp.signature)) for cp in checkpoints_in_order()
    )
    for problem in checkpoints_check(
        history,
        public_keys=keys,
        revoked=revoked,
        log_size=report.entries,
        log_root=log_root,
        root_at=root_at,
    ):
        report.add(None, problem)
    if anchor is not None:
        _check_anchor(report, anchor, anchor_key, keys, revoked)


def _check_anchor(
    report: VerifyReport,
    anchor: SignedCheckpoint,
    anchor_key: bytes | None,
    keys: dict[str, bytes],
    revoked: set[str],
) -> None:
    """Compare the log with a checkpoint kept outside the database."""
    known = dict(keys)
    if anchor_key is not None and key_id(anchor_key) not in known:
        # A key that signed the outside copy but that this installation does not know: the
        # signature is checked, and the unknown key itself is reported.
        report.add(
            None,
            Problem(
                Code.BAD_SIGNATURE,
                None,
                f"the outside checkpoint is signed by key {key_id(anchor_key)}, "
                "which this installation does not know",
            ),
        )
        return
    for problem in checkpoint_verify(anchor.statement, anchor.signature, known, revoked):
        report.add(None, problem)
        return
    statement = anchor.statement
    size, root = statement["size"], statement["root"]
    stored = Checkpoint.objects.filter(statement_hash=checkpoint_hash(statement)).first()
    if size > report.entries:
        report.add(
            None,
            Problem(
                Code.ROLLBACK,
                None,
                f"the outside checkpoint of {statement['created_at']} covers {size} entries but "
                f"the log holds {report.entries}: the database was restored from an older state "
                "or entries were removed",
            ),
        )
        return
    if stored is None:
        report.add(
            None,
            Problem(
                Code.EQUIVOCATION,
                None,
                f"the outside checkpoint of {statement['created_at']} is not in the database's "
                "checkpoint history: the history was rewritten",
            ),
        )
        return
    recomputed = merkle_root(heads_at(stored)).root
    if recomputed != root:
        report.add(
            None,
            Problem(
                Code.HEAD_MISMATCH,
                None,
                f"the log no longer matches the outside checkpoint of {statement['created_at']}: "
                "entries it covered were changed (history rewritten)",
            ),
        )


def ticket_chain_verified(chain: Chain, *, now: datetime) -> VerifyReport:
    """Verify one ticket's chain for its page (content, links and stored bytes)."""
    return logbook_verify(now=now, ticket=chain.label)
