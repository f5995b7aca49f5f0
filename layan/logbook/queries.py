"""Reads of the logbook for verification, checkpoints and evidence: streamed, never listed.

These functions take no user: callers are the verifier, the checkpoint job and the evidence
export, each of which has authorised the ticket (or is a system job) before calling.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import batched
from typing import Any

from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Collate

from layan.core.blobs import blob_file_digest, blobs_inline_digests
from layan.core.reads import PreparedValues
from layan.logbook.bodies import body_of, entry_body
from layan.logbook.chain import GENESIS, BlobDigest, Record
from layan.logbook.merkle import ChainHead
from layan.logbook.models import Chain, Checkpoint, CheckpointHead, Entry, EntryAttachment

CHUNK = 2000
# Merkle leaves are ordered by the UTF-8 bytes of the label; "C" collation is byte order on
# PostgreSQL, and SQLite's default BINARY collation already is.
_BYTE_ORDER = {"postgresql": "C"}


def _by_label(chains: QuerySet[Chain], vendor: str) -> QuerySet[Chain]:
    collation = _BYTE_ORDER.get(vendor)
    if collation:
        return chains.order_by(Collate("label", collation))
    return chains.order_by("label")


def _vendor(queryset: QuerySet[Any]) -> str:
    from django.db import connections

    return connections[queryset.db].vendor


def chains_in_order(*, label: str | None = None) -> Iterator[Chain]:
    """Yield chains ordered by label as Merkle leaves are."""
    chains = Chain.objects.filter(head_seq__gt=0)
    if label is not None:
        chains = chains.filter(label=label)
    yield from _by_label(chains, _vendor(chains)).iterator(chunk_size=CHUNK)


def heads_at(checkpoint: Checkpoint) -> Iterator[ChainHead]:
    """Yield, in Merkle order, each chain's head as `checkpoint` saw it, taking the hash of that
    entry from the entries as they are now (so a rewritten entry changes the root)."""
    seen_seq = (
        CheckpointHead.objects.filter(chain=OuterRef("pk"), checkpoint_id__lte=checkpoint.pk)
        .order_by("-checkpoint_id")
        .values("seq")[:1]
    )
    hash_then = Entry.objects.filter(chain=OuterRef("pk"), seq=OuterRef("seen_seq")).values(
        "body_hash"
    )[:1]
    chains: QuerySet[Chain] = (
        Chain.objects.annotate(seen_seq=Subquery(seen_seq))
        .filter(seen_seq__isnull=False)
        .annotate(hash_then=Subquery(hash_then))
    )
    rows = _by_label(chains, _vendor(chains)).values_list(
        "label",
        "seen_seq",  # type: ignore[misc]
        "hash_then",
    )
    for label, seq, head in rows.iterator(chunk_size=CHUNK):
        # A missing entry still yields a leaf: the root then differs from the signed one.
        yield ChainHead(ticket=label, seq=seq, head=head or GENESIS)


def chain_entries(chain: Chain) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(chain=chain)
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=EntryAttachment.objects.select_related("blob").order_by("position"),
            )
        )
        .order_by("seq", "id")
    )


_ENTRY_FIELDS = (
    "pk",
    "chain__label",
    "chain__head_seq",
    "seq",
    "prev_hash",
    "body_hash",
    "kind",
    "direction",
    "channel",
    "actor",
    "occurred_at",
    "recorded_at",
    "content_sha256",
    "raw_id",
    "data",
    "subject",
    "text",
    "html",
    "content_salt",
    "redacted",
)
_RAW_AT = _ENTRY_FIELDS.index("raw_id")


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A verifier record with the chain it belongs to and the length the chain row claims."""

    label: str
    claimed_seq: int
    record: Record


def _record_rows(label: str | None) -> tuple[QuerySet[Any, Any], QuerySet[Any, Any]]:
    """The rows of every entry and attachment (or of chain `label`'s) in Merkle order: chain
    by chain in byte order of the label, then by seq."""
    entries = Entry.objects.all()
    attachments = EntryAttachment.objects.all()
    if label is not None:
        entries = entries.filter(chain__label=label)
        attachments = attachments.filter(entry__chain__label=label)
    collation = _BYTE_ORDER.get(_vendor(entries))
    chain_order: Any = Collate("chain__label", collation) if collation else "chain__label"
    entry_rows = entries.order_by(chain_order, "seq", "pk").values_list(*_ENTRY_FIELDS)
    attachment_order: Any = (
        Collate("entry__chain__label", collation) if collation else "entry__chain__label"
    )
    attachment_rows = attachments.order_by(
        attachment_order, "entry__seq", "entry_id", "position"
    ).values_list("entry_id", "blob_id", "blob__size", "filename")
    return entry_rows, attachment_rows


# A ticket page checks its chain on every view: its two reads are built once (see
# `layan.core.reads`), and read at once. On PostgreSQL a streaming cursor is declared,
# fetched from until a fetch comes back empty, and closed, each a round trip of its own.
_chain_entry_rows = PreparedValues(lambda label: _record_rows(label)[0], label=str)
_chain_attachment_rows = PreparedValues(lambda label: _record_rows(label)[1], label=str)


def records_stream(*, label: str | None = None, blobs: bool = True) -> Iterator[StoredRecord]:
    """Yield every entry (or one chain's) as a verifier record, chain by chain in Merkle order,
    in constant memory: two streamed queries (entries, attachments) merged on the fly, and
    with `blobs`, for each batch of `CHUNK` entries, one read of the bytes the database keeps
    for them (`BlobBytes`)."""
    entry_rows: Iterator[tuple[Any, ...]]
    if label is None:  # the whole log streams through cursors
        entries, attachments = _record_rows(None)
        entry_rows = entries.iterator(chunk_size=CHUNK)
        pending = _Peek(attachments.iterator(chunk_size=CHUNK))
    else:
        entry_rows = iter(_chain_entry_rows.rows(label=label))
        pending = _Peek(iter(_chain_attachment_rows.rows(label=label)))
    for batch in batched(entry_rows, CHUNK):
        # The attachments of the batch's entries come next in `pending`, in the same order.
        pks = {row[0] for row in batch}
        items_of: dict[int, list[dict[str, Any]]] = {}
        while (nxt := pending.peek()) is not None and nxt[0] in pks:
            entry_pk, sha, size, name = next(pending)
            items_of.setdefault(entry_pk, []).append({"sha256": sha, "size": size, "name": name})
        digest = None
        if blobs:
            shas = {row[_RAW_AT] for row in batch if row[_RAW_AT]}
            shas.update(item["sha256"] for items in items_of.values() for item in items)
            digest = _stored_digests(shas)
        for row in batch:
            yield _stored_record(row, items_of.get(row[0], []), digest)


def _stored_record(
    row: tuple[Any, ...], items: list[dict[str, Any]], digest: BlobDigest | None
) -> StoredRecord:
    """The verifier's record of one entry row (`_ENTRY_FIELDS`) with its attachments."""
    (
        _pk,
        chain_label,
        claimed,
        seq,
        prev,
        body_hash,
        kind,
        direction,
        channel,
        actor,
        occurred,
        recorded,
        content_sha,
        raw_id,
        data,
        subject,
        text,
        html,
        salt,
        redacted,
    ) = row
    body = body_of(
        chain_label=chain_label,
        seq=seq,
        prev=prev,
        kind=kind,
        direction=direction,
        channel=channel,
        actor=actor,
        occurred_at=occurred,
        recorded_at=recorded,
        content_sha256=content_sha,
        raw_sha256=raw_id or "",
        attachments=items,
        data=data,
    )
    if redacted:
        record = Record(hash=body_hash, body=body, redacted={"redacted": True}, blob_digest=digest)
    else:
        record = Record(
            hash=body_hash,
            body=body,
            content={"subject": subject, "text": text, "html": html},
            salt=bytes.fromhex(salt),
            blob_digest=digest,
        )
    return StoredRecord(label=chain_label, claimed_seq=claimed, record=record)


class _Peek:
    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._next: tuple[Any, ...] | None = None
        self._done = False

    def peek(self) -> tuple[Any, ...] | None:
        if self._next is None and not self._done:
            try:
                self._next = next(self._rows)
            except StopIteration:
                self._done = True
        return self._next

    def __next__(self) -> tuple[Any, ...]:
        row = self.peek()
        if row is None:
            raise StopIteration
        self._next = None
        return row


def entry_record(
    entry: Entry, *, chain_label: str, blob_digest: BlobDigest | None = None
) -> Record:
    """Return the verifier's view of one stored entry (content and salt unless redacted)."""
    attachments = [
        {"sha256": item.blob_id, "size": item.blob.size, "name": item.filename}
        for item in entry.attachments.all()
    ]
    body = entry_body(entry, chain_label=chain_label, attachments=attachments)
    if entry.redacted:
        return Record(
            hash=entry.body_hash,
            body=body,
            redacted=entry.data.get("redaction") or {"redacted": True},
            blob_digest=blob_digest,
        )
    return Record(
        hash=entry.body_hash,
        body=body,
        content={"subject": entry.subject, "text": entry.text, "html": entry.html},
        salt=bytes.fromhex(entry.content_salt),
        blob_digest=blob_digest,
    )


def _stored_digests(shas: set[str]) -> BlobDigest:
    """The verifier's check of stored bytes for a batch of entries whose blobs are `shas`: the
    bytes the database keeps are read in one statement for the batch, files one by one.
    None when the bytes are gone (erased by a redaction, or lost)."""
    known = blobs_inline_digests(shas)

    def digest(kind: str, sha256: str) -> str | None:
        found = known.get(sha256)
        return found if found is not None else blob_file_digest(sha256)

    return digest


def checkpoint_latest() -> Checkpoint | None:
    return Checkpoint.objects.select_related("key").order_by("-pk").first()


def checkpoints_in_order() -> Iterator[Checkpoint]:
    yield from Checkpoint.objects.select_related("key").order_by("pk").iterator(chunk_size=500)


def chains_moved_since_checkpoint() -> QuerySet[Chain]:
    return Chain.objects.filter(head_seq__gt=F("checkpointed_seq"))
