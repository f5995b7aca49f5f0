"""Ed25519 signing keys and signed checkpoints over the Merkle root of all chains.

A checkpoint statement, signed with Ed25519 over its canonical JSON::

    {"v": 1, "size": <entries in all chains>, "tickets": <number of chains>,
     "root": <Merkle root of the chain heads>, "created_at": "2026-11-22T03:00:00.000000Z",
     "key_id": <16 hex>, "previous": <checkpoint_hash of the statement before, or GENESIS>}

`previous` links checkpoints into a chain of their own, so a removed or replaced checkpoint shows.
The key id is the first 16 hex digits of SHA-256 over the raw 32-byte public key; the full digest
is the fingerprint to publish where customers and courts can compare it.

`cryptography` is imported by the functions that use it: a process that never signs or checks a
checkpoint (most web workers, most of the time) does not hold its 8 MB.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layan.core.canonical import canonical_json
from layan.logbook.chain import GENESIS, Code, Problem, parse_timestamp, utc_timestamp
from layan.logbook.merkle import TreeSummary

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = [
    "SignedCheckpoint",
    "checkpoint_hash",
    "checkpoint_sign",
    "checkpoint_statement",
    "checkpoint_verify",
    "checkpoints_check",
    "key_fingerprint",
    "key_generate",
    "key_id",
    "key_load",
    "public_key_from_pem",
    "public_key_pem",
    "public_key_raw",
    "statement_error",
]

logger = logging.getLogger(__name__)

_HEX16 = re.compile(r"[0-9a-f]{16}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_STATEMENT_FIELDS = frozenset({"v", "size", "tickets", "root", "created_at", "key_id", "previous"})


def key_generate(path: Path) -> Ed25519PrivateKey:
    """Create a signing key and write it to `path` as PEM, readable by the owner only.

    An existing file is never replaced (FileExistsError): losing a signing key would make every
    checkpoint it signed unverifiable.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return key


def key_load(path: Path) -> Ed25519PrivateKey:
    """Read a signing key written by `key_generate`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning(
            "logbook.signing_key_permissive", extra={"path": str(path), "mode": oct(mode & 0o777)}
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_key_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """Return the 32 raw bytes of the public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """Return the public key as a PEM SubjectPublicKeyInfo block."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_from_pem(pem: bytes) -> bytes:
    """Return the raw public key in a PEM block; ValueError unless it is Ed25519."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem)
    except UnsupportedAlgorithm as error:
        raise ValueError("not an Ed25519 public key") from error
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return public_key_raw(key)


def key_fingerprint(public_raw: bytes) -> str:
    """Return SHA-256 of the raw public key as hex: the value to publish and compare."""
    return hashlib.sha256(public_raw).hexdigest()


def key_id(public_raw: bytes) -> str:
    """Return the short key id: the first 16 hex digits of the fingerprint."""
    return key_fingerprint(public_raw)[:16]


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    statement: Mapping[str, Any]
    signature: bytes


def checkpoint_statement(
    *, tree: TreeSummary, created_at: datetime, key_id: str, previous: str
) -> dict[str, Any]:
    """Return the statement a checkpoint signs."""
    return {
        "v": 1,
        "size": tree.size,
        "tickets": tree.tickets,
        "root": tree.root,
        "created_at": utc_timestamp(created_at),
        "key_id": key_id,
        "previous": previous,
    }


def checkpoint_hash(statement: Mapping[str, Any]) -> str:
    """Return SHA-256 of the statement's canonical JSON: the next checkpoint's `previous`."""
    return hashlib.sha256(canonical_json(statement)).hexdigest()


def checkpoint_sign(
    *,
    key: Ed25519PrivateKey,
    tree: TreeSummary,
    created_at: datetime,
    previous: str = GENESIS,
) -> SignedCheckpoint:
    """Build and sign the statement for `tree`."""
    statement = checkpoint_statement(
        tree=tree,
        created_at=created_at,
        key_id=key_id(public_key_raw(key)),
        previous=previous,
    )
    return SignedCheckpoint(statement, key.sign(canonical_json(statement)))


def statement_error(statement: object) -> str | None:
    """Return why `statement` is not a version 1 checkpoint statement, or None."""
    if not isinstance(statement, Mapping) or statement.keys() != _STATEMENT_FIELDS:
        return f"a checkpoint statement has exactly the fields {sorted(_STATEMENT_FIELDS)}"
    if statement["v"] != 1 or type(statement["v"]) is not int:
        return "unknown checkpoint version"
    for name in ("size", "tickets"):
        if type(statement[name]) is not int or statement[name] < 0:
            return f"{name} must be an integer of 0 or more"
    for name, pattern in (("root", _HEX64), ("previous", _HEX64), ("key_id", _HEX16)):
        if not isinstance(statement[name], str) or not pattern.fullmatch(statement[name]):
            return f"{name} must be lower-case hex of the right length"
    try:
        parse_timestamp(statement["created_at"])
    except (TypeError, ValueError):
        return "created_at is not a UTC timestamp with microseconds"
    return None


def checkpoint_verify(
    statement: Mapping[str, Any],
    signature: bytes,
    public_keys: Mapping[str, bytes],
    revoked: Collection[str] = frozenset(),
) -> tuple[Problem, ...]:
    """Check a checkpoint's form, key and signature; an empty result means it is genuine.

    `public_keys` maps key id to the raw public key; a key id in `revoked` is refused even when
    its signature is valid.
    """
    reason = statement_error(statement)
    if reason is not None:
        return (Problem(Code.MALFORMED, None, f"checkpoint statement is malformed: {reason}"),)
    name = statement["key_id"]
    public = public_keys.get(name)
    if public is None:
        return (Problem(Code.BAD_SIGNATURE, None, f"checkpoint is signed by unknown key {name}"),)
    if name in revoked:
        return (Problem(Code.BAD_SIGNATURE, None, f"checkpoint is signed by revoked key {name}"),)
    if key_id(public) != name:
        return (
            Problem(Code.BAD_SIGNATURE, None, f"the key registered as {name} has another key id"),
        )
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, canonical_json(statement))
    except (InvalidSignature, ValueError):
        return (
            Problem(
                Code.BAD_SIGNATURE,
                None,
                f"the checkpoint of {statement['created_at']} does not match its signature",
            ),
        )
    return ()


def checkpoints_check(
    checkpoints: Iterable[SignedCheckpoint],
    *,
    public_keys: Mapping[str, bytes],
    revoked: Collection[str] = frozenset(),
    log_size: int,
    log_root: str,
    root_at: Callable[[int], str | None] | None = None,
) -> Iterator[Problem]:
    """Check a history of checkpoints, oldest first, against each other and the log as it is now.

    `log_size` and `log_root` are computed from the log now; `root_at(size)` may recompute the
    root the log had when it held `size` entries (None when it cannot). Reports E10 for bad
    signatures, E07 when the checkpoint history was rewritten or two checkpoints of one size sign
    different roots, E06 when the log's root differs from a signed one of the same size, E08 when
    the log is exactly an older signed state (restored from a backup), and E05 when it is smaller
    than a signed size otherwise (entries removed).
    """
    previous = GENESIS
    roots: dict[int, str] = {}
    largest = 0
    newest: Mapping[str, Any] | None = None
    for checkpoint in checkpoints:
        statement = checkpoint.statement
        problems = checkpoint_verify(statement, checkpoint.signature, public_keys, revoked)
        yield from problems
        if statement_error(statement) is not None:
            continue
        size, root = statement["size"], statement["root"]
        label = f"the checkpoint of {statement['created_at']} (size {size})"
        if statement["previous"] != previous:
            yield Problem(
                Code.EQUIVOCATION,
                None,
                f"{label} does not follow the checkpoint before it: checkpoints were removed or "
                "replaced",
            )
        previous = checkpoint_hash(statement)
        if problems:
            continue
        if roots.setdefault(size, root) != root:
            yield Problem(
                Code.EQUIVOCATION,
                None,
                f"{label} signs a different root than another checkpoint of the same size: the log "
                "has shown two different histories",
            )
        if size < largest:
            yield Problem(
                Code.TRUNCATED,
                None,
                f"{label} covers fewer entries than an earlier checkpoint ({largest}): entries "
                "were removed between them",
            )
        largest = max(largest, size)
        recomputed = log_root if size == log_size else None
        if recomputed is None and root_at is not None and size < log_size:
            recomputed = root_at(size)
        if recomputed is not None and recomputed != root:
            yield Problem(
                Code.HEAD_MISMATCH,
                None,
                f"the log's root at {size} entries differs from the one {label} signed: history "
                "was rewritten",
            )
        newest = statement
    if newest is None or newest["size"] <= log_size:
        return
    if roots.get(log_size) == log_root:
        yield Problem(
            Code.ROLLBACK,
            None,
            f"the log is exactly as it was at an older checkpoint ({log_size} entries), but a "
            f"newer one signed {newest['size']}: it was restored from an old backup",
        )
    else:
        yield Problem(
            Code.TRUNCATED,
            None,
            f"the log holds {log_size} entries, but the newest checkpoint signed {newest['size']}: "
            "entries were removed",
        )
