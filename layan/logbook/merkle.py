"""Merkle tree over the heads of all ticket chains, shaped as RFC 6962 (Certificate Transparency).

Leaves are the chain heads ordered by ticket reference, compared as UTF-8 bytes ("1042" sorts
before "999"), each ticket once. With `||` for concatenation:

    leaf = SHA-256(0x00 || UTF-8(NFC(ticket)) || 0x00 || seq as 8-byte big-endian || head, 32 bytes)
    node = SHA-256(0x01 || left || right)

A ticket reference may not contain NUL, so the leaf's parts cannot be confused. The tree over n
leaves splits at the largest power of two below n (RFC 6962 §2.1); an empty tree hashes to
SHA-256 of no bytes. Inclusion proofs are RFC 6962 audit paths, checked as RFC 9162 §2.1.3.2 says.
"""

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EMPTY_ROOT",
    "ChainHead",
    "InclusionProof",
    "MerkleBuilder",
    "TreeSummary",
    "inclusion_proof",
    "inclusion_verify",
    "leaf_hash",
    "merkle_root",
    "node_hash",
]

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last entry of one ticket's chain: its seq is also the chain's length."""

    ticket: str
    seq: int
    head: str


@dataclass(frozen=True, slots=True)
class TreeSummary:
    """What a checkpoint signs: the root, the number of chains and of entries in them."""

    root: str
    tickets: int
    size: int


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Proof that one ticket's head is leaf `index` of the tree of `tree_size` leaves."""

    ticket: str
    seq: int
    head: str
    index: int
    tree_size: int
    path: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "seq": self.seq,
            "head": self.head,
            "index": self.index,
            "tree_size": self.tree_size,
            "path": list(self.path),
        }

    @classmethod
    def from_json(cls, data: object) -> "InclusionProof":
        """Read the form `to_json` writes; raise ValueError for anything else."""
        if not isinstance(data, Mapping) or set(data) != {
            "ticket",
            "seq",
            "head",
            "index",
            "tree_size",
            "path",
        }:
            raise ValueError(
                "an inclusion proof has exactly ticket, seq, head, index, tree_size, path"
            )
        ints = (data["seq"], data["index"], data["tree_size"])
        path = data["path"]
        if (
            not isinstance(data["ticket"], str)
            or not all(type(value) is int for value in ints)
            or not _is_hash(data["head"])
            or not isinstance(path, list)
            or not all(_is_hash(step) for step in path)
        ):
            raise ValueError("an inclusion proof has the wrong types")
        return cls(
            ticket=data["ticket"],
            seq=data["seq"],
            head=data["head"],
            index=data["index"],
            tree_size=data["tree_size"],
            path=tuple(path),
        )


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _ticket_bytes(ticket: str) -> bytes:
    encoded = unicodedata.normalize("NFC", ticket).encode("utf-8")
    if b"\x00" in encoded:
        raise ValueError("a ticket reference may not contain NUL")
    return encoded


def leaf_hash(ticket: str, seq: int, head: str) -> bytes:
    """Hash one chain head as a leaf."""
    return hashlib.sha256(
        b"\x00" + _ticket_bytes(ticket) + b"\x00" + seq.to_bytes(8, "big") + bytes.fromhex(head)
    ).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two subtrees into their parent."""
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(slots=True)
class _Subtree:
    height: int
    hash: bytes
    tracked: bool


class MerkleBuilder:
    """Build the tree from heads sorted by ticket, in O(log n) memory.

    The stack holds one perfect subtree per set bit of the leaf count, largest first; that is
    exactly RFC 6962's left-heavy split. With `track`, the audit path of that ticket's leaf is
    collected along the way.
    """

    def __init__(self, *, track: str | None = None) -> None:
        self._track = track
        self._stack: list[_Subtree] = []
        self._path: list[bytes] = []
        self._last: bytes | None = None
        self._tracked: ChainHead | None = None
        self._index = 0
        self.tickets = 0
        self.size = 0

    def add(self, head: ChainHead) -> None:
        """Add the next head; refuse heads out of ticket order or repeated."""
        key = _ticket_bytes(head.ticket)
        if self._last is not None and key <= self._last:
            raise ValueError("heads must be sorted by ticket reference, each ticket once")
        if type(head.seq) is not int or not 1 <= head.seq < 2**64 or not _is_hash(head.head):
            raise ValueError(f"ticket {head.ticket}: seq must be 1 or more, head 64 hex digits")
        self._last = key
        tracked = head.ticket == self._track
        if tracked:
            self._tracked, self._index = head, self.tickets
        self.tickets += 1
        self.size += head.seq
        self._stack.append(_Subtree(0, leaf_hash(head.ticket, head.seq, head.head), tracked))
        while len(self._stack) >= 2 and self._stack[-1].height == self._stack[-2].height:
            right = self._stack.pop()
            left = self._stack.pop()
            self._stack.append(self._join(left, right, self._path))

    @staticmethod
    def _join(left: _Subtree, right: _Subtree, path: list[bytes]) -> _Subtree:
        if left.tracked:
            path.append(right.hash)
        elif right.tracked:
            path.append(left.hash)
        return _Subtree(
            left.height + 1, node_hash(left.hash, right.hash), left.tracked or right.tracked
        )

    def _fold(self) -> tuple[bytes, list[bytes]]:
        if not self._stack:
            return bytes.fromhex(EMPTY_ROOT), []
        path = list(self._path)
        top = self._stack[-1]
        for subtree in reversed(self._stack[:-1]):
            top = self._join(subtree, top, path)
        return top.hash, path

    def summary(self) -> TreeSummary:
        return TreeSummary(root=self._fold()[0].hex(), tickets=self.tickets, size=self.size)

    def proof(self) -> InclusionProof | None:
        """Return the tracked ticket's proof, or None when that ticket was not added."""
        if self._tracked is None:
            return None
        _, path = self._fold()
        head = self._tracked
        return InclusionProof(
            ticket=head.ticket,
            seq=head.seq,
            head=head.head,
            index=self._index,
            tree_size=self.tickets,
            path=tuple(step.hex() for step in path),
        )


def merkle_root(heads: Iterable[ChainHead]) -> TreeSummary:
    """Return root, chain count and entry count over heads sorted by ticket reference."""
    builder = MerkleBuilder()
    for head in heads:
        builder.add(head)
    return builder.summary()


def inclusion_proof(heads: Iterable[ChainHead], ticket: str) -> tuple[TreeSummary, InclusionProof]:
    """Return the tree summary and the proof that `ticket`'s head is in it; LookupError if not."""
    builder = MerkleBuilder(track=ticket)
    for head in heads:
        builder.add(head)
    proof = builder.proof()
    if proof is None:
        raise LookupError(f"ticket {ticket} has no head in this tree")
    return builder.summary(), proof


def inclusion_verify(proof: InclusionProof, root: str) -> bool:
    """Return whether `proof` leads from its head to `root`."""
    if not 0 <= proof.index < proof.tree_size or not _is_hash(root):
        return False
    try:
        digest = leaf_hash(proof.ticket, proof.seq, proof.head)
    except (ValueError, OverflowError):
        return False
    index, last = proof.index, proof.tree_size - 1
    for step in proof.path:
        if last == 0:
            return False
        sibling = bytes.fromhex(step)
        if index & 1 or index == last:
            digest = node_hash(sibling, digest)
            while not index & 1 and index != 0:
                index >>= 1
                last >>= 1
        else:
            digest = node_hash(digest, sibling)
        index >>= 1
        last >>= 1
    return last == 0 and digest.hex() == root
