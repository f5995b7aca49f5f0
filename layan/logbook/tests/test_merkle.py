import dataclasses
import hashlib
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.logbook.merkle import (
    EMPTY_ROOT,
    ChainHead,
    InclusionProof,
    MerkleBuilder,
    inclusion_proof,
    inclusion_verify,
    leaf_hash,
    merkle_root,
    node_hash,
)


def heads(count: int) -> list[ChainHead]:
    """Return `count` chain heads sorted by ticket reference as UTF-8 bytes."""
    made = [
        ChainHead(
            f"{number:05d}", number % 17 + 1, hashlib.sha256(str(number).encode()).hexdigest()
        )
        for number in range(1, count + 1)
    ]
    return sorted(made, key=lambda head: head.ticket.encode())


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH from RFC 6962 section 2.1, written from its recursive definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << (len(leaves) - 1).bit_length() - 1
    return node_hash(reference_root(leaves[:split]), reference_root(leaves[split:]))


def reference_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) from RFC 6962 section 2.1.1."""
    if len(leaves) <= 1:
        return []
    split = 1 << (len(leaves) - 1).bit_length() - 1
    if index < split:
        return [*reference_path(index, leaves[:split]), reference_root(leaves[split:])]
    return [*reference_path(index - split, leaves[split:]), reference_root(leaves[:split])]


def leaves_of(items: list[ChainHead]) -> list[bytes]:
    return [leaf_hash(item.ticket, item.seq, item.head) for item in items]


def test_leaf_hash_layout() -> None:
    """A leaf is SHA-256(0x00 || ticket || 0x00 || seq as 8 bytes big-endian || head bytes)."""
    head = "ab" * 32
    expected = hashlib.sha256(
        b"\x00" + b"1042" + b"\x00" + (7).to_bytes(8, "big") + bytes.fromhex(head)
    ).digest()
    assert leaf_hash("1042", 7, head) == expected


def test_empty_tree_hashes_nothing() -> None:
    """A tree without chains has RFC 6962's empty root."""
    assert merkle_root([]) == type(merkle_root([]))(EMPTY_ROOT, 0, 0)
    assert hashlib.sha256(b"").hexdigest() == EMPTY_ROOT


@pytest.mark.parametrize("count", [*range(1, 34), 64, 100, 255, 256, 257])
def test_root_and_every_proof_match_the_rfc_definition(count: int) -> None:
    """Streaming root and audit paths equal RFC 6962's recursive MTH and PATH, and verify."""
    items = heads(count)
    leaves = leaves_of(items)
    summary = merkle_root(items)
    assert summary.root == reference_root(leaves).hex()
    assert (summary.tickets, summary.size) == (count, sum(item.seq for item in items))
    for index, item in enumerate(items):
        tree, proof = inclusion_proof(items, item.ticket)
        assert tree == summary
        assert proof.index == index
        assert list(proof.path) == [step.hex() for step in reference_path(index, leaves)]
        assert inclusion_verify(proof, summary.root)


PROOF_DAMAGE = [
    ("other head", 12, lambda proof: dataclasses.replace(proof, head="cd" * 32)),
    ("other seq", 12, lambda proof: dataclasses.replace(proof, seq=proof.seq + 1)),
    ("other ticket", 12, lambda proof: dataclasses.replace(proof, ticket="99999")),
    ("next index", 12, lambda proof: dataclasses.replace(proof, index=proof.index + 1)),
    ("previous index", 12, lambda proof: dataclasses.replace(proof, index=proof.index - 1)),
    ("index outside", 12, lambda proof: dataclasses.replace(proof, index=proof.tree_size)),
    ("bigger tree", 20, lambda proof: dataclasses.replace(proof, tree_size=proof.tree_size + 1)),
    ("smaller tree", 20, lambda proof: dataclasses.replace(proof, tree_size=proof.tree_size - 1)),
    ("step dropped", 12, lambda proof: dataclasses.replace(proof, path=proof.path[:-1])),
    ("step added", 12, lambda proof: dataclasses.replace(proof, path=(*proof.path, "00" * 32))),
    (
        "step changed",
        12,
        lambda proof: dataclasses.replace(proof, path=("11" * 32, *proof.path[1:])),
    ),
]


@pytest.mark.parametrize(
    ("leaf", "damage"), [pytest.param(leaf, damage, id=name) for name, leaf, damage in PROOF_DAMAGE]
)
def test_damaged_proofs_fail(leaf: int, damage: Callable[[InclusionProof], InclusionProof]) -> None:
    """Any change to a proof's leaf, position or path fails verification.

    The tree size is bound by the signed checkpoint, not by the root: for some leaves a proof also
    fits a neighbouring size, so size damage is shown on the last leaf, where it always shows.
    """
    items = heads(21)
    summary, proof = inclusion_proof(items, items[leaf].ticket)
    assert inclusion_verify(proof, summary.root)
    assert not inclusion_verify(damage(proof), summary.root)


def test_proof_fails_against_another_root() -> None:
    """A proof for one tree does not verify against the tree one chain later."""
    items = heads(21)
    _, proof = inclusion_proof(items, items[3].ticket)
    grown = [*items[:5], dataclasses.replace(items[5], seq=items[5].seq + 1), *items[6:]]
    assert not inclusion_verify(proof, merkle_root(grown).root)


def test_proof_survives_json() -> None:
    """A proof written with to_json reads back equal."""
    items = heads(9)
    _, proof = inclusion_proof(items, items[4].ticket)
    assert InclusionProof.from_json(proof.to_json()) == proof


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"ticket": "1"},
        {"ticket": 1, "seq": 1, "head": "ab" * 32, "index": 0, "tree_size": 1, "path": []},
        {"ticket": "1", "seq": "1", "head": "ab" * 32, "index": 0, "tree_size": 1, "path": []},
        {"ticket": "1", "seq": 1, "head": "AB" * 32, "index": 0, "tree_size": 1, "path": []},
        {"ticket": "1", "seq": 1, "head": "ab" * 32, "index": 0, "tree_size": 1, "path": ["x"]},
    ],
)
def test_malformed_proof_json_is_refused(data: object) -> None:
    """from_json accepts only the exact shape to_json writes."""
    with pytest.raises(ValueError):
        InclusionProof.from_json(data)


@pytest.mark.parametrize(
    "items",
    [
        pytest.param([ChainHead("2", 1, "ab" * 32), ChainHead("10", 1, "ab" * 32)], id="unsorted"),
        pytest.param([ChainHead("2", 1, "ab" * 32), ChainHead("2", 2, "ab" * 32)], id="repeated"),
        pytest.param([ChainHead("2", 0, "ab" * 32)], id="seq 0"),
        pytest.param([ChainHead("2", 1, "xyz")], id="bad head"),
        pytest.param([ChainHead("a\x00b", 1, "ab" * 32)], id="NUL in ticket"),
    ],
)
def test_bad_input_is_refused(items: list[ChainHead]) -> None:
    """Heads must be sorted by ticket, unique, with seq >= 1 and a 64-hex head."""
    with pytest.raises(ValueError):
        merkle_root(items)


def test_tickets_sort_as_utf8_bytes() -> None:
    """ "1042" comes before "999": references compare as bytes, not numbers."""
    assert merkle_root([ChainHead("1042", 1, "ab" * 32), ChainHead("999", 1, "ab" * 32)])


def test_missing_ticket_has_no_proof() -> None:
    """Asking for a ticket that is not in the tree raises LookupError."""
    with pytest.raises(LookupError):
        inclusion_proof(heads(5), "77777")


@given(st.integers(min_value=1, max_value=300), st.data())
def test_any_tree_proves_any_leaf(count: int, data: st.DataObject) -> None:
    """For any tree size and leaf, the proof verifies against the root."""
    items = heads(count)
    index = data.draw(st.integers(min_value=0, max_value=count - 1))
    summary, proof = inclusion_proof(items, items[index].ticket)
    assert inclusion_verify(proof, summary.root)


def _many_heads(count: int) -> Iterator[ChainHead]:
    for number in range(count):
        yield ChainHead(f"{number:08d}", 3, "ab" * 32)


def test_building_uses_logarithmic_memory() -> None:
    """50,000 heads stream through the builder with a small, flat memory peak."""
    builder = MerkleBuilder(track="00004242")
    tracemalloc.start()
    try:
        for head in _many_heads(50_000):
            builder.add(head)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024
    proof = builder.proof()
    assert proof is not None
    assert inclusion_verify(proof, builder.summary().root)
