"""Writes to the logbook. Every write happens inside the transaction of the business change it
records, so the record and the change are both present or both absent."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction

from layan.core import clock
from layan.core.blobs import blob_erase, blob_put
from layan.core.instances import instance_build
from layan.core.rows import RowsAhead, rows_create, rows_update
from layan.logbook.bodies import entry_body
from layan.logbook.chain import GENESIS, content_digest, entry_hash
from layan.logbook.merkle import ChainHead, MerkleBuilder
from layan.logbook.models import (
    Chain,
    Checkpoint,
    CheckpointHead,
    Direction,
    Entry,
    EntryAttachment,
    Kind,
    SigningKey,
)
from layan.logbook.queries import chains_in_order
from layan.logbook.signing import (
    checkpoint_hash,
    checkpoint_sign,
    key_fingerprint,
    key_generate,
    key_id,
    key_load,
    public_key_raw,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from layan.core.models import Blob
    from layan.customers.models import Contact
    from layan.team.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewAttachment:
    filename: str
    content_type: str
    payload: bytes
    inline: bool = False
    content_id: str = ""


class EntryFields(TypedDict, total=False):
    """What an entry says, as every appender takes it (`entry_append`, `entry_prepare`,
    `entry_draft`): all but kind, direction and channel may be left out."""

    kind: Required[Kind | str]
    direction: Required[Direction | str]
    channel: Required[str]
    actor_user: User | None
    actor_contact: Contact | None
    occurred_at: datetime | None
    subject: str
    text: str
    html: str
    data: Mapping[str, Any] | None
    external_id: str


def chain_create(*, label: str) -> Chain:
    """Open an empty chain for a new ticket."""
    chain = instance_build(Chain, label=label, head_seq=0, head_hash=GENESIS)
    rows_create(Chain, [chain])
    return chain


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry drafted ahead of its chain (`entry_draft`), with the blobs its seal covers."""

    entry: Entry
    raw_blob: Blob | None = None
    stored: Sequence[tuple[NewAttachment, Blob]] = ()


@contextmanager
def chain_open(
    *, label: str, drafts: Sequence[Draft], ahead: RowsAhead | None = None
) -> Iterator[Chain]:
    """Open the chain of a new ticket with `drafts` as its first entries, in the caller's
    transaction: the chain row and the entries are written on entering.

    The drafts were made before the transaction (`entry_draft`); only what depends on the
    chain is done here. Each is numbered and hashed, and the chain row is written once, with
    its head already at the last of them; then the entries go in, in one statement. The
    block writes what refers to the chain (the ticket). The search index takes a ticket's
    document from the entries already in its chain as the ticket goes in, so written in
    this order the document is written once, not once more for each entry. If the block
    fails, the caller's transaction rolls back, and the entries with it. `ahead` holds the
    drafts' entries' values prepared before the transaction (`RowsAhead`, in the drafts'
    order).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("chain_open needs the caller's transaction")
    chain = instance_build(Chain, label=label, head_seq=0, head_hash=GENESIS)
    for draft in drafts:
        entry_seal(draft.entry, chain=chain, raw_blob=draft.raw_blob, stored=draft.stored)
    rows_create(Chain, [chain])
    _drafts_write(drafts, ahead)
    yield chain


def draft_stored(
    entry: Entry, *, raw: bytes | None = None, attachments: Sequence[NewAttachment] = ()
) -> Draft:
    """A drafted `entry` with its raw message and attachments stored as blobs, in the
    caller's transaction (their rows belong to it)."""
    return Draft(
        entry,
        raw_blob=blob_put(raw) if raw is not None else None,
        stored=[(item, blob_put(item.payload)) for item in attachments],
    )


def _drafts_write(drafts: Sequence[Draft], ahead: RowsAhead | None = None) -> None:
    """Insert sealed drafts' entries in one statement, then their attachments."""
    rows_create(Entry, [draft.entry for draft in drafts], ahead=ahead)
    attachments = [row for draft in drafts for row in entry_attachments(draft.entry, draft.stored)]
    if attachments:
        EntryAttachment.objects.bulk_create(attachments)


_HEAD = ("head_seq", "head_hash", "updated_at")  # what an append changes on its chain

# Chains a caller holds for a run of appends (`chain_writes`), by key.
_held: ContextVar[dict[int, Chain] | None] = ContextVar("layan_chains_held", default=None)


@contextmanager
def chain_writes(chain: Chain, *, locked: bool = False) -> Iterator[None]:
    """Append several entries to `chain` with one lock and one head write.

    Inside the caller's transaction: the chain row is locked and read once, or, with
    `locked`, taken as it is because the caller already holds it (created it in this
    transaction, or read it FOR UPDATE, as `select_related("chain")` on a locked ticket
    does). Every `entry_append` to it in the block uses that row, and the new head is written
    once when the block ends. If the block fails, nothing is written and the caller's
    transaction rolls back; so no savepoint in the block may be rolled back and the block
    still go on.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("chain_writes needs the caller's transaction")
    outer = _held.get() or {}
    if chain.pk in outer:  # already held further out: that block writes the head
        yield
        return
    row = chain if locked else Chain.objects.select_for_update().get(pk=chain.pk)
    start = row.head_seq
    token = _held.set({**outer, chain.pk: row})
    try:
        yield
    finally:
        _held.reset(token)
    if row.head_seq != start:
        row.updated_at = clock.now()
        rows_update(Chain, _HEAD, [row])
    chain.head_seq, chain.head_hash = row.head_seq, row.head_hash


def entry_append(
    *,
    chain: Chain,
    raw: bytes | None = None,
    attachments: Sequence[NewAttachment] = (),
    drafted: Entry | None = None,
    ahead: RowsAhead | None = None,
    **fields: Unpack[EntryFields],
) -> Entry:
    """Append one entry to `chain` and return it: made of `fields`, or the entry `drafted`
    from them before the caller's transaction (`entry_draft`), stamped again here with the
    time it joins the chain, and with its values prepared then too when `ahead` holds them
    (`RowsAhead`).

    The chain row is locked for the rest of the caller's transaction, so two writers never
    give out the same sequence number or fork the chain. Within `chain_writes` the chain is
    already held, and its head is written when that block ends.
    """
    now = clock.now()
    held = (_held.get() or {}).get(chain.pk)
    # No savepoint of its own: a failure here fails the caller's whole change anyway.
    with transaction.atomic(savepoint=False):
        locked = held or Chain.objects.select_for_update().get(pk=chain.pk)
        if drafted is None:
            drafted, ahead = entry_draft(now=now, **fields), None
        else:
            entry_restamp(drafted, now=now)
        draft = draft_stored(drafted, raw=raw, attachments=attachments)
        entry = draft.entry
        entry_seal(entry, chain=locked, raw_blob=draft.raw_blob, stored=draft.stored)
        _drafts_write([draft], ahead)
        if held is None:
            locked.updated_at = now  # entry_seal moved its head
            rows_update(Chain, _HEAD, [locked])
        chain.head_seq, chain.head_hash = entry.seq, entry.body_hash
    return entry


def entry_prepare(
    *,
    chain: Chain,
    now: datetime,
    raw_blob: Blob | None = None,
    stored: Sequence[tuple[NewAttachment, Blob]] = (),
    **fields: Unpack[EntryFields],
) -> Entry:
    """Return the next entry of `chain`, hashed and unsaved, and move `chain`'s head to it in
    memory. The caller holds the chain (locked, or created in its own transaction), stores
    the entry and its attachments (`entry_attachments`), and writes the new head."""
    entry = entry_draft(now=now, **fields)
    entry_seal(entry, chain=chain, raw_blob=raw_blob, stored=stored)
    return entry


def entry_draft(*, now: datetime, **fields: Unpack[EntryFields]) -> Entry:
    """Return an entry with its content and content digest, not yet on a chain (`entry_seal`
    puts it there). What depends only on the content is done here, so a caller can do it
    before its transaction takes the writer's turn."""
    salt = os.urandom(16)
    actor_user, actor_contact = fields.get("actor_user"), fields.get("actor_contact")
    if actor_user is not None:
        actor = f"user:{actor_user.pk}"
    elif actor_contact is not None:
        actor = f"contact:{actor_contact.pk}"
    else:
        actor = "system"
    subject = fields.get("subject", "")[:500]
    text, html = fields.get("text", ""), fields.get("html", "")
    return instance_build(
        Entry,
        kind=fields["kind"],
        direction=fields["direction"],
        channel=fields["channel"],
        actor=actor,
        actor_user=actor_user,
        actor_contact=actor_contact,
        occurred_at=fields.get("occurred_at") or now,
        recorded_at=now,
        subject=subject,
        text=text,
        html=html,
        content_salt=salt.hex(),
        content_sha256=content_digest(salt, entry_content(subject, text, html)),
        data=dict(fields.get("data") or {}),
        external_id=fields.get("external_id", "")[:255],
    )


def entry_restamp(entry: Entry, *, now: datetime) -> None:
    """Give an entry drafted earlier (`entry_draft`) the time it is recorded at, `now`, and
    the same time it happened unless it was drafted with a time of its own. Entries are
    recorded in their chain's order, so the time is taken once the chain is held."""
    if entry.occurred_at == entry.recorded_at:
        entry.occurred_at = now
    entry.recorded_at = now


def entry_seal(
    entry: Entry,
    *,
    chain: Chain,
    raw_blob: Blob | None = None,
    stored: Sequence[tuple[NewAttachment, Blob]] = (),
) -> None:
    """Make a drafted `entry` the next of `chain`: number it, hash it over the previous head,
    and move `chain`'s head to it in memory. The caller holds the chain, as for
    `entry_prepare`."""
    entry.chain = chain
    entry.seq = chain.head_seq + 1
    entry.prev_hash = chain.head_hash
    entry.raw = raw_blob
    body = entry_body(
        entry,
        chain_label=chain.label,
        attachments=[
            {"sha256": blob.sha256, "size": blob.size, "name": item.filename}
            for item, blob in stored
        ],
    )
    entry.body_hash = entry_hash(body)
    chain.head_seq, chain.head_hash = entry.seq, entry.body_hash


def entry_attachments(
    entry: Entry, stored: Sequence[tuple[NewAttachment, Blob]]
) -> list[EntryAttachment]:
    """The attachment rows of a prepared entry, in the order its body lists them."""
    return [
        instance_build(
            EntryAttachment,
            entry=entry,
            position=position,
            blob=blob,
            filename=item.filename[:255],
            content_type=item.content_type[:127],
            inline=item.inline,
            content_id=item.content_id[:255],
        )
        for position, (item, blob) in enumerate(stored)
    ]


def entry_content(subject: str, text: str, html: str) -> dict[str, str]:
    """Return the content that `content_sha256` digests."""
    return {"subject": subject, "text": text, "html": html}


# --- Signing keys and checkpoints --------------------------------------------------------------


class SigningKeyMissing(RuntimeError):
    """Production installations create their key deliberately (`layan logbook keygen`)."""


def signing_key_load(*, create: bool | None = None) -> Ed25519PrivateKey:
    """Return the checkpoint signing key, registering its public half in the database.

    In embedded mode a missing key is generated on first use; in production it must exist, so
    a misconfigured path cannot silently start a new, unanchored key.
    """
    path = Path(settings.LAYAN_SIGNING_KEY_PATH)
    if not path.exists():
        if not (create if create is not None else not settings.PRODUCTION):
            raise SigningKeyMissing(
                f"No logbook signing key at {path}. Create one with `layan logbook keygen`."
            )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = key_generate(path)
        logger.info("logbook_key_generated", extra={"path": str(path)})
    else:
        key = key_load(path)
    raw = public_key_raw(key)
    SigningKey.objects.get_or_create(
        key_id=key_id(raw), defaults={"public_key": raw.hex(), "created_at": clock.now()}
    )
    return key


def signing_key_revoke(*, key: SigningKey, reason: str) -> SigningKey:
    """Mark a key as no longer trusted (it leaked, or it was retired)."""
    SigningKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_reason=reason[:300]
    )
    key.refresh_from_db()
    return key


def checkpoint_create() -> Checkpoint:
    """Sign the Merkle root over every chain head as it is now, and store it.

    Only chains that moved since the previous checkpoint get a `CheckpointHead` row, so an
    hourly checkpoint of a large, mostly quiet log stays small.
    """
    key = signing_key_load()
    now = clock.now()
    with transaction.atomic():
        latest = Checkpoint.objects.order_by("-pk").first()
        builder = MerkleBuilder()
        moved: list[tuple[int, int, str]] = []
        for chain in chains_in_order():
            builder.add(ChainHead(ticket=chain.label, seq=chain.head_seq, head=chain.head_hash))
            if chain.head_seq != chain.checkpointed_seq:
                moved.append((chain.pk, chain.head_seq, chain.head_hash))
        signed = checkpoint_sign(
            key=key,
            tree=builder.summary(),
            created_at=now,
            previous=latest.statement_hash if latest else GENESIS,
        )
        statement = dict(signed.statement)
        checkpoint = Checkpoint.objects.create(
            size=statement["size"],
            tickets=statement["tickets"],
            root=statement["root"],
            created_at=now,
            key_id=statement["key_id"],
            previous=statement["previous"],
            statement=statement,
            signature=signed.signature.hex(),
            statement_hash=checkpoint_hash(statement),
        )
        for start in range(0, len(moved), 1000):
            batch = moved[start : start + 1000]
            CheckpointHead.objects.bulk_create(
                CheckpointHead(checkpoint=checkpoint, chain_id=pk, seq=seq, head=head)
                for pk, seq, head in batch
            )
            for pk, seq, _head in batch:
                Chain.objects.filter(pk=pk).update(checkpointed_seq=seq)
    logger.info(
        "logbook_checkpoint",
        extra={"checkpoint": checkpoint.pk, "size": checkpoint.size, "moved": len(moved)},
    )
    return checkpoint


def checkpoint_export(checkpoint: Checkpoint) -> dict[str, Any]:
    """Return the checkpoint as a file to keep outside Layan (mail, another server, paper)."""
    public = bytes.fromhex(checkpoint.key.public_key)
    return {
        "format": "layan-checkpoint",
        "statement": checkpoint.statement,
        "signature": checkpoint.signature,
        "public_key": checkpoint.key.public_key,
        "fingerprint": key_fingerprint(public),
    }


def checkpoint_mail(checkpoint: Checkpoint, *, to: Sequence[str]) -> None:
    """Mail the exported checkpoint to outside addresses; a later copy proves what was signed."""
    exported = json.dumps(checkpoint_export(checkpoint), indent=2, sort_keys=True)
    subject = f"Layan checkpoint {checkpoint.pk}: {checkpoint.size} entries"
    body = (
        f"Logbook checkpoint {checkpoint.pk} of {checkpoint.created_at.isoformat()}.\n"
        f"Root {checkpoint.root}, {checkpoint.size} entries in {checkpoint.tickets} chains.\n"
        "Keep this message: `layan logbook verify --checkpoint FILE` compares the log with it.\n"
    )
    message = EmailMessage(subject=subject, body=body, to=list(to))
    message.extra_headers["Auto-Submitted"] = "auto-generated"
    message.attach(f"checkpoint-{checkpoint.pk}.json", exported, "application/json")
    message.send()


# --- Redaction ----------------------------------------------------------------------------------


class RedactionRefused(Exception):
    pass


def entry_redact(*, entry: Entry, actor: User, reason: str) -> Entry:
    """Erase an entry's readable content, salt and stored bytes, keeping its place in the chain.

    For data-protection requests (Indonesia's PDP law, GDPR). The redaction is itself a new
    entry with the reason; the erased entry keeps its hash, so the chain still verifies and
    reports the entry as "content erased".
    """
    from layan.team.models import Role

    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise PermissionDenied("Only admins redact logbook content.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("A redaction needs a reason.")
    with transaction.atomic():
        locked = Entry.objects.select_for_update().select_related("chain").get(pk=entry.pk)
        if locked.redacted:
            raise RedactionRefused("This entry is already redacted.")
        if locked.kind in (Kind.REDACTION,):
            raise RedactionRefused("A redaction record cannot itself be redacted.")
        record = entry_append(
            chain=locked.chain,
            kind=Kind.REDACTION,
            direction=Direction.INTERNAL,
            channel="ui",
            actor_user=actor,
            text=reason,
            data={"seq": locked.seq},
        )
        blobs = [locked.raw_id] if locked.raw_id else []
        blobs += list(locked.attachments.values_list("blob_id", flat=True))
        Entry.objects.filter(pk=locked.pk).update(
            subject="", text="", html="", content_salt="", redacted=True
        )
        transaction.on_commit(lambda: _erase_unshared(blobs))
    entry.refresh_from_db()
    logger.info("logbook_redacted", extra={"entry": entry.pk, "by": actor.pk})
    return record


def _erase_unshared(shas: Sequence[str]) -> None:
    """Delete stored bytes that no unredacted entry still needs."""
    for sha in shas:
        still_raw = Entry.objects.filter(raw_id=sha, redacted=False).exists()
        still_attached = EntryAttachment.objects.filter(blob_id=sha, entry__redacted=False).exists()
        if not (still_raw or still_attached):
            blob_erase(sha)
