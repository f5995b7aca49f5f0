"""Write one chain's evidence bundle from the database (the format lives in `bundle.py`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from layan.core import clock
from layan.core.blobs import blob_open
from layan.logbook.bundle import bundle_write
from layan.logbook.chain import Record
from layan.logbook.merkle import inclusion_proof
from layan.logbook.models import Chain, Checkpoint
from layan.logbook.queries import chain_entries, entry_record, heads_at
from layan.logbook.services import checkpoint_create
from layan.logbook.signing import public_key_pem

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def evidence_write(
    *, chain: Chain, target: str | os.PathLike[str] | IO[bytes], transcript_html: str
) -> tuple[str, Checkpoint]:
    """Sign a fresh checkpoint, then write `chain`'s bundle; return the manifest digest.

    The fresh checkpoint covers the chain as it is now, so the bundle proves every entry in it.
    """
    checkpoint = checkpoint_create()
    _summary, proof = inclusion_proof(heads_at(checkpoint), chain.label)
    digest = bundle_write(
        target,
        ticket_ref=chain.label,
        entries=_records(chain, up_to=proof.seq),
        blobs=blob_open,  # None for bytes erased by a redaction
        checkpoint=checkpoint.statement,
        signature=bytes.fromhex(checkpoint.signature),
        inclusion_proof=proof,
        public_key_pem=public_key_pem(_public(checkpoint)),
        transcript_html=transcript_html,
        created_at=clock.now(),
    )
    return digest, checkpoint


def _records(chain: Chain, *, up_to: int) -> Iterator[Record]:
    for entry in chain_entries(chain).filter(seq__lte=up_to).iterator(chunk_size=500):
        yield entry_record(entry, chain_label=chain.label)


def _public(checkpoint: Checkpoint) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(checkpoint.key.public_key))
