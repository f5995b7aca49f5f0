import hashlib
import logging
import stat
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from layan.logbook.chain import GENESIS
from layan.logbook.merkle import ChainHead, TreeSummary, merkle_root
from layan.logbook.signing import (
    SignedCheckpoint,
    checkpoint_hash,
    checkpoint_sign,
    checkpoint_verify,
    checkpoints_check,
    key_generate,
    key_id,
    key_load,
    public_key_from_pem,
    public_key_pem,
    public_key_raw,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
PUBLIC = public_key_raw(KEY)
KEYS = {key_id(PUBLIC): PUBLIC}
T0 = datetime(2026, 10, 1, tzinfo=UTC)


def tree(sizes: Mapping[str, int], variant: str = "") -> TreeSummary:
    """Return the tree over chains of the given lengths; `variant` changes every head."""
    return merkle_root(
        ChainHead(ticket, seq, hashlib.sha256(f"{ticket}:{seq}:{variant}".encode()).hexdigest())
        for ticket, seq in sorted(sizes.items())
    )


S1 = tree({"1040": 4, "1041": 6})
S2 = tree({"1040": 9, "1041": 6, "1042": 5})
S2_OTHER = tree({"1040": 9, "1041": 6, "1042": 5}, variant="rewritten")
S3 = tree({"1040": 12, "1041": 8, "1042": 10})
S3_OTHER = tree({"1040": 12, "1041": 8, "1042": 10}, variant="rewritten")
S4 = tree({"1040": 12, "1041": 8, "1042": 10, "1043": 5})
S_CUT = tree({"1040": 12, "1041": 8, "1042": 5})


def signed(*states: TreeSummary, key: Ed25519PrivateKey = KEY) -> list[SignedCheckpoint]:
    """Sign one checkpoint per state, an hour apart, each naming the one before."""
    result: list[SignedCheckpoint] = []
    previous = GENESIS
    for number, state in enumerate(states):
        checkpoint = checkpoint_sign(
            key=key, tree=state, created_at=T0 + timedelta(hours=number), previous=previous
        )
        previous = checkpoint_hash(checkpoint.statement)
        result.append(checkpoint)
    return result


def test_generated_key_is_private_and_never_overwritten(tmp_path: Path) -> None:
    """The key file is PEM with mode 0600; a second generate refuses to replace it."""
    path = tmp_path / "keys" / "logbook.pem"
    key = key_generate(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    assert before.startswith(b"-----BEGIN PRIVATE KEY-----")
    with pytest.raises(FileExistsError):
        key_generate(path)
    assert path.read_bytes() == before
    assert public_key_raw(key_load(path)) == public_key_raw(key)


def test_loading_a_readable_key_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A key file others can read still loads, with a warning event."""
    path = tmp_path / "logbook.pem"
    key_generate(path)
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="layan.logbook.signing"):
        key_load(path)
    assert [record.message for record in caplog.records] == ["logbook.signing_key_permissive"]


def test_loading_another_kind_of_key_fails(tmp_path: Path) -> None:
    """Only Ed25519 keys are signing keys."""
    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    with pytest.raises(ValueError):
        key_load(path)
    with pytest.raises(ValueError):
        public_key_from_pem(
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def test_public_key_forms_agree() -> None:
    """PEM and raw forms carry the same 32 bytes; the key id is the digest's first 16 hex."""
    assert len(PUBLIC) == 32
    assert public_key_from_pem(public_key_pem(KEY)) == PUBLIC
    assert public_key_pem(KEY) == public_key_pem(KEY.public_key())
    assert key_id(PUBLIC) == hashlib.sha256(PUBLIC).hexdigest()[:16]


def test_signed_checkpoint_has_the_documented_statement() -> None:
    """The statement carries exactly the documented fields and verifies."""
    checkpoint = checkpoint_sign(key=KEY, tree=S2, created_at=T0)
    assert checkpoint.statement == {
        "v": 1,
        "size": 20,
        "tickets": 3,
        "root": S2.root,
        "created_at": "2026-10-01T00:00:00.000000Z",
        "key_id": key_id(PUBLIC),
        "previous": GENESIS,
    }
    assert checkpoint_verify(checkpoint.statement, checkpoint.signature, KEYS) == ()


def _flip(signature: bytes) -> bytes:
    return bytes([signature[0] ^ 1]) + signature[1:]


CHECKPOINT = checkpoint_sign(key=KEY, tree=S2, created_at=T0)
VERIFY_DAMAGE: list[tuple[str, dict[str, Any], bytes, Mapping[str, bytes], set[str], str]] = [
    ("size changed", {"size": 21}, CHECKPOINT.signature, KEYS, set(), "E10"),
    ("root changed", {"root": S3.root}, CHECKPOINT.signature, KEYS, set(), "E10"),
    ("signature bit flipped", {}, _flip(CHECKPOINT.signature), KEYS, set(), "E10"),
    ("signature cut", {}, CHECKPOINT.signature[:63], KEYS, set(), "E10"),
    ("unknown key", {}, CHECKPOINT.signature, {}, set(), "E10"),
    ("revoked key", {}, CHECKPOINT.signature, KEYS, {key_id(PUBLIC)}, "E10"),
    (
        "key registered under another id",
        {},
        CHECKPOINT.signature,
        {key_id(PUBLIC): public_key_raw(OTHER_KEY)},
        set(),
        "E10",
    ),
    ("field missing", {"previous": None}, CHECKPOINT.signature, KEYS, set(), "E13"),
    ("root not hex", {"root": "Z" * 64}, CHECKPOINT.signature, KEYS, set(), "E13"),
    ("bad time", {"created_at": "yesterday"}, CHECKPOINT.signature, KEYS, set(), "E13"),
]


@pytest.mark.parametrize(
    ("change", "signature", "keys", "revoked", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in VERIFY_DAMAGE],
)
def test_checkpoint_verify_refuses(
    change: dict[str, Any],
    signature: bytes,
    keys: Mapping[str, bytes],
    revoked: set[str],
    code: str,
) -> None:
    """Changed statements, bad signatures, unknown or revoked keys and bad forms are refused."""
    statement = {**CHECKPOINT.statement, **change}
    if change.get("previous", "") is None:
        del statement["previous"]
    problems = checkpoint_verify(statement, signature, keys, revoked)
    assert [problem.code.value for problem in problems] == [code]


def _forged(checkpoints: list[SignedCheckpoint], index: int) -> list[SignedCheckpoint]:
    changed = list(checkpoints)
    changed[index] = SignedCheckpoint(changed[index].statement, _flip(changed[index].signature))
    return changed


def _after(checkpoints: list[SignedCheckpoint], state: TreeSummary) -> list[SignedCheckpoint]:
    last = checkpoints[-1]
    extra = checkpoint_sign(
        key=KEY,
        tree=state,
        created_at=T0 + timedelta(days=1),
        previous=checkpoint_hash(last.statement),
    )
    return [*checkpoints, extra]


HISTORY: list[
    tuple[str, list[SignedCheckpoint], TreeSummary, Callable[[int], str | None] | None, list[str]]
] = [
    ("log as signed", signed(S1, S2, S3), S3, None, []),
    ("log grew since", signed(S1, S2, S3), S4, None, []),
    (
        "log grew, history recomputed and equal",
        signed(S1, S2, S3),
        S4,
        {10: S1.root, 20: S2.root, 30: S3.root}.get,
        [],
    ),
    ("E05 entries removed from the end", signed(S1, S2, S3), S_CUT, None, ["E05"]),
    ("E08 restored from an old backup", signed(S1, S2, S3), S2, None, ["E08"]),
    ("E06 rewritten at the signed size", signed(S1, S2, S3), S3_OTHER, None, ["E06"]),
    (
        "E06 rewritten earlier, seen by recomputing",
        signed(S1, S2, S3),
        S4,
        {10: S1.root, 20: S2_OTHER.root, 30: S3.root}.get,
        ["E06"],
    ),
    ("E07 two roots for one size", _after(signed(S1, S2), S2_OTHER), S3, None, ["E07"]),
    ("E07 a checkpoint removed", [signed(S1, S2, S3)[0], signed(S1, S2, S3)[2]], S3, None, ["E07"]),
    ("E05 between checkpoints", _after(signed(S1, S3), S2), S3, None, ["E05"]),
    ("E10 forged checkpoint", _forged(signed(S1, S2, S3), 1), S3, None, ["E10"]),
    (
        "E10 signed by a stranger",
        [*signed(S1, S2), signed(S3, key=OTHER_KEY)[0]],
        S3,
        None,
        ["E10", "E07"],
    ),
]


@pytest.mark.parametrize(
    ("checkpoints", "log", "root_at", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in HISTORY],
)
def test_checkpoint_history_against_the_log(
    checkpoints: list[SignedCheckpoint],
    log: TreeSummary,
    root_at: Callable[[int], str | None] | None,
    expected: list[str],
) -> None:
    """Truncation, rollback, rewriting, equivocation and forgery each give their code."""
    problems = checkpoints_check(
        checkpoints, public_keys=KEYS, log_size=log.size, log_root=log.root, root_at=root_at
    )
    assert [problem.code.value for problem in problems] == expected


def test_revoked_key_fails_the_whole_history() -> None:
    """Every checkpoint of a revoked key is refused."""
    problems = checkpoints_check(
        signed(S1, S2),
        public_keys=KEYS,
        revoked={key_id(PUBLIC)},
        log_size=S2.size,
        log_root=S2.root,
    )
    assert [problem.code.value for problem in problems] == ["E10", "E10"]
