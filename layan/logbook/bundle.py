"""Evidence bundles: one ticket's logbook in a zip file that anyone can check without Layan.

Files, all at the top level of the zip:

    manifest.json     {"format": "layan-evidence-bundle", "version": 1, "ticket", "created_at",
                       "files": [{"path", "sha256", "size"}, ...]} for every other file
    entries.jsonl     one canonical JSON line per entry, in seq order:
                      {"hash", "body", "content" or null, "salt" (hex) or null, "redacted" or null}
    raw/<sha256>      raw payloads (e-mail source, webhook body), named by their SHA-256
    attachments/<sha256>
    heads.json        {"ticket", "seq", "head"}: the chain's last entry when the bundle was made
    checkpoint.json   the signed checkpoint statement, canonical JSON
    checkpoint.sig    its Ed25519 signature, hex
    inclusion.json    the Merkle audit path from this ticket's head to the checkpoint's root
    public_key.pem    the public key that signed the checkpoint
    transcript.html   a readable transcript
    README.txt        how to verify, by program and by hand
    verify.py         a verifier that needs nothing but Python 3

Only the checkpoint signature anchors trust: the manifest merely helps to name damaged files. The
standalone verify.py repeats these checks with the same problem codes; keep the two in step.
"""

import hashlib
import importlib.resources
import json
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from layan.core.canonical import canonical_json
from layan.logbook.chain import (
    GENESIS,
    ChainVerifier,
    Code,
    Problem,
    ProblemTally,
    Record,
    utc_timestamp,
)
from layan.logbook.merkle import InclusionProof, inclusion_verify
from layan.logbook.signing import (
    checkpoint_verify,
    key_fingerprint,
    key_id,
    public_key_from_pem,
    statement_error,
)

__all__ = [
    "DEFAULT_MAX_SKEW",
    "FORMAT",
    "BundleReport",
    "Limits",
    "bundle_verify",
    "bundle_write",
]

FORMAT = "layan-evidence-bundle"
FORMAT_VERSION = 1
DEFAULT_MAX_SKEW = timedelta(minutes=15)

MANIFEST = "manifest.json"
ENTRIES = "entries.jsonl"
HEADS = "heads.json"
CHECKPOINT = "checkpoint.json"
SIGNATURE = "checkpoint.sig"
INCLUSION = "inclusion.json"
PUBLIC_KEY = "public_key.pem"
TRANSCRIPT = "transcript.html"
README = "README.txt"
VERIFIER = "verify.py"
REQUIRED = (
    MANIFEST,
    ENTRIES,
    HEADS,
    CHECKPOINT,
    SIGNATURE,
    INCLUSION,
    PUBLIC_KEY,
    TRANSCRIPT,
    README,
    VERIFIER,
)
_BLOB_NAME = re.compile(r"(raw|attachments)/[0-9a-f]{64}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 16
_LINE_FIELDS = frozenset({"hash", "body", "content", "salt", "redacted"})

Blobs = Callable[[str], bytes | IO[bytes] | None]
"""Return the stored bytes with this SHA-256 (or a stream of them), None when they were erased."""


def _readme(*, ticket: str, created_at: str, key: str, fingerprint: str) -> str:
    return f"""\
Bundel bukti untuk tiket {ticket}, dibuat {created_at}
Evidence bundle for ticket {ticket}, made {created_at}

Memeriksa / Checking
    python3 verify.py bundel-ini.zip
    python3 verify.py --trust <fingerprint yang diumumkan / published fingerprint> bundel-ini.zip

Kunci penanda tangan / Signing key
    key id       {key}
    fingerprint  {fingerprint}

Bandingkan fingerprint ini dengan yang diumumkan oleh penyedia layanan (situs web, kontrak, surat).
Kunci di dalam berkas ini hanya membuktikan bahwa isi berkas saling cocok; fingerprint yang
diumumkan membuktikan siapa yang menandatanganinya.
Compare this fingerprint with the one the business published (website, contract, letter). The key
inside this file proves only that the files agree with each other; the published fingerprint
proves who signed them.

Pemeriksaan manual / Checking by hand
1. manifest.json mencantumkan setiap berkas lain beserta SHA-256 dan ukurannya.
2. entries.jsonl berisi satu entri per baris. SHA-256 dari JSON kanonis "body" sama dengan "hash",
   dan "prev" setiap body adalah hash entri sebelumnya (64 angka nol untuk entri 1).
3. Jika "content" dan "salt" ada, SHA-256(salt || JSON kanonis content) sama dengan
   body.content_sha256. Entri yang isinya dihapus tetap di tempatnya; hanya isinya yang hilang.
4. raw/<sha256> dan attachments/<sha256> memiliki SHA-256 yang sama dengan namanya.
5. checkpoint.sig adalah tanda tangan Ed25519 (hex) atas JSON kanonis checkpoint.json.
6. inclusion.json adalah jalur audit Merkle (RFC 6962) dari daun tiket ini ke "root" di
   checkpoint.json.
Entri setelah "seq" di inclusion.json dicatat setelah checkpoint tersebut; sampai checkpoint
berikutnya, entri itu hanya dilindungi oleh rantai hash.

1. manifest.json lists every other file with its SHA-256 and size.
2. entries.jsonl holds one entry per line. SHA-256 of the canonical JSON of "body" equals "hash",
   and each body's "prev" is the hash of the entry before it (64 zeros for entry 1).
   Canonical JSON: UTF-8, strings in Unicode NFC, object keys sorted by code point, no spaces,
   no floats, control characters escaped (verify.py shows the exact rules).
3. Where "content" and "salt" are present, SHA-256(salt bytes || canonical JSON of content) equals
   body.content_sha256. An erased entry keeps its place in the chain; only its content is gone.
4. raw/<sha256> and attachments/<sha256> hash to their names.
5. checkpoint.sig is an Ed25519 signature (hex) over the canonical JSON of checkpoint.json.
6. inclusion.json is a Merkle audit path (RFC 6962) from the leaf
   SHA-256(0x00 || ticket || 0x00 || seq as 8-byte big-endian || head) to "root" in
   checkpoint.json; inner nodes are SHA-256(0x01 || left || right).
Entries after the "seq" in inclusion.json were recorded after that checkpoint; until the next
one, only the hash chain protects them.
"""


class _ZipWriter:
    def __init__(self, archive: zipfile.ZipFile, created_at: datetime) -> None:
        self.archive = archive
        self.stamp = created_at.astimezone(UTC).timetuple()[:6]
        self.files: list[dict[str, Any]] = []

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add(self, name: str, data: bytes, *, listed: bool = True) -> None:
        self.archive.writestr(self._info(name), data)
        if listed:
            self.files.append(
                {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            )

    def copy(self, name: str, source: IO[bytes]) -> None:
        digest = hashlib.sha256()
        size = 0
        with self.archive.open(self._info(name), "w", force_zip64=True) as target:
            while chunk := source.read(_CHUNK):
                target.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.files.append({"path": name, "sha256": digest.hexdigest(), "size": size})


def _blob_names(body: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    raw = body.get("raw_sha256")
    if isinstance(raw, str) and raw:
        yield f"raw/{raw}", raw
    attachments = body.get("attachments")
    if isinstance(attachments, list):
        for item in attachments:
            if isinstance(item, Mapping) and isinstance(item.get("sha256"), str):
                yield f"attachments/{item['sha256']}", item["sha256"]


def bundle_write(
    target: str | os.PathLike[str] | IO[bytes],
    *,
    ticket_ref: str,
    entries: Iterable[Record],
    blobs: Blobs,
    checkpoint: Mapping[str, Any],
    signature: bytes,
    inclusion_proof: InclusionProof,
    public_key_pem: bytes,
    transcript_html: str | bytes,
    created_at: datetime,
) -> str:
    """Write the evidence bundle of one ticket and return the SHA-256 of its manifest.

    `entries` are streamed in seq order; entry lines are spooled to a temporary file and blobs
    copied in chunks, so memory does not grow with the number of entries. Blobs are written as
    stored, unchecked: the bundle must show damage, not hide it.
    """
    stamp = utc_timestamp(created_at)
    with (
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        tempfile.TemporaryFile() as spool,
    ):
        writer = _ZipWriter(archive, created_at)
        head_seq, head = 0, GENESIS
        seen: set[str] = set()
        for record in entries:
            spool.write(_entry_line(record))
            for name, sha in _blob_names(record.body):
                if name in seen:
                    continue
                seen.add(name)
                data = blobs(sha)
                if isinstance(data, bytes):
                    writer.add(name, data)
                elif data is not None:
                    with data:
                        writer.copy(name, data)
            head_seq, head = record.body["seq"], record.hash
        spool.seek(0)
        writer.copy(ENTRIES, spool)
        public_raw = public_key_from_pem(public_key_pem)
        fingerprint = key_fingerprint(public_raw)
        heads = {"ticket": ticket_ref, "seq": head_seq, "head": head}
        transcript = (
            transcript_html.encode("utf-8") if isinstance(transcript_html, str) else transcript_html
        )
        writer.add(HEADS, _json_file(heads))
        writer.add(CHECKPOINT, canonical_json(checkpoint))
        writer.add(SIGNATURE, signature.hex().encode("ascii") + b"\n")
        writer.add(INCLUSION, _json_file(inclusion_proof.to_json()))
        writer.add(PUBLIC_KEY, public_key_pem)
        writer.add(TRANSCRIPT, transcript)
        readme = _readme(
            ticket=ticket_ref, created_at=stamp, key=key_id(public_raw), fingerprint=fingerprint
        )
        writer.add(README, readme.encode("utf-8"))
        writer.add(VERIFIER, _standalone_source())
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "ticket": ticket_ref,
            "created_at": stamp,
            "files": sorted(writer.files, key=lambda item: item["path"]),
        }
        manifest_bytes = _json_file(manifest)
        writer.add(MANIFEST, manifest_bytes, listed=False)
    return hashlib.sha256(manifest_bytes).hexdigest()


def _entry_line(record: Record) -> bytes:
    line = {
        "hash": record.hash,
        "body": record.body,
        "content": record.content,
        "salt": record.salt.hex() if record.salt is not None else None,
        "redacted": record.redacted,
    }
    return canonical_json(line) + b"\n"


def _json_file(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def _standalone_source() -> bytes:
    return importlib.resources.files("layan.logbook.standalone").joinpath("verify.py").read_bytes()


@dataclass(frozen=True, slots=True)
class Limits:
    """Refuse archives that would make the verifier read more than this (zip bombs)."""

    total_bytes: int = 8 * 1024**3
    members: int = 500_000
    ratio: int = 200
    ratio_from_bytes: int = 1024**2
    json_bytes: int = 16 * 1024**2
    line_bytes: int = 64 * 1024**2


@dataclass(frozen=True, slots=True)
class BundleReport:
    """The outcome of verifying a bundle; `usable` is False when the file is not a zip at all."""

    usable: bool
    ticket: str | None = None
    entries: int = 0
    head_seq: int = 0
    head: str = GENESIS
    signed_seq: int | None = None
    checkpoint: Mapping[str, Any] | None = None
    key_id: str | None = None
    fingerprint: str | None = None
    key_trusted: bool = False
    problems: tuple[Problem, ...] = ()
    totals: Mapping[str, int] = field(default_factory=dict)
    errors: int = 0
    first_bad: int | None = None

    @property
    def ok(self) -> bool:
        return self.usable and self.errors == 0


def bundle_verify(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    now: datetime,
    trusted: Collection[str] = (),
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    limits: Limits | None = None,
    keep: int = 100,
) -> BundleReport:
    """Check an evidence bundle with nothing but its own files.

    `trusted` holds key fingerprints (or key ids, or any prefix of 16 hex digits or more) the
    checker got elsewhere; without them the included key is used and the report says so (B07).
    """
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        problem = Problem(Code.UNREADABLE, None, f"not a readable zip file: {error}")
        return BundleReport(usable=False, problems=(problem,), totals={problem.code: 1}, errors=1)
    check = _BundleCheck(
        now=now,
        trusted=trusted,
        max_skew=max_skew,
        limits=limits or Limits(),
        tally=ProblemTally(keep),
    )
    with archive:
        check.run(archive)
    return check.report()


def _unsafe(name: str) -> bool:
    parts = name.rstrip("/").split("/")
    return (
        name.startswith("/")
        or "\\" in name
        or ":" in name
        or "\x00" in name
        or any(part in ("", ".", "..") for part in parts)
    )


def _expected(name: str) -> bool:
    return name in REQUIRED or _BLOB_NAME.fullmatch(name) is not None


def _record_from_line(line: bytes, blob_digest: Callable[[str, str], str | None]) -> Record:
    data = json.loads(line.decode("utf-8"))
    if not isinstance(data, dict) or data.keys() != _LINE_FIELDS:
        raise ValueError(f"an entry line has exactly the fields {sorted(_LINE_FIELDS)}")
    salt = data["salt"]
    if (
        not isinstance(data["hash"], str)
        or not isinstance(data["body"], dict)
        or not isinstance(data["content"], dict | None)
        or not isinstance(salt, str | None)
        or not isinstance(data["redacted"], dict | None)
    ):
        raise ValueError("an entry line has fields of the wrong type")
    return Record(
        hash=data["hash"],
        body=data["body"],
        content=data["content"],
        salt=bytes.fromhex(salt) if salt is not None else None,
        redacted=data["redacted"],
        blob_digest=blob_digest,
    )


def _trusts(trusted: Collection[str], fingerprint: str) -> bool:
    for item in trusted:
        wanted = re.sub(r"[\s:]", "", item).lower()
        if len(wanted) >= 16 and fingerprint.startswith(wanted):
            return True
    return False


class _BundleCheck:
    """One verification run; each step adds its problems to the tally."""

    def __init__(
        self,
        *,
        now: datetime,
        trusted: Collection[str],
        max_skew: timedelta,
        limits: Limits,
        tally: ProblemTally,
    ) -> None:
        self.now = now
        self.trusted = trusted
        self.max_skew = max_skew
        self.limits = limits
        self.tally = tally
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.digests: dict[str, tuple[str, int]] = {}
        self.referenced: set[str] = set()
        self.ticket: str | None = None
        self.statement: Mapping[str, Any] | None = None
        self.proof: InclusionProof | None = None
        self.public_raw: bytes | None = None
        self.key_trusted = False
        self.chain: ChainVerifier | None = None

    def add(self, code: Code, seq: int | None, message: str) -> None:
        self.tally.add(Problem(code, seq, message))

    def run(self, archive: zipfile.ZipFile) -> None:
        if not self.screen(archive):
            return
        self.hash_members(archive)
        manifest = self.read_json(archive, MANIFEST)
        self.compare_manifest(manifest)
        self.check_key(archive)
        self.check_checkpoint(archive)
        self.check_inclusion(archive)
        self.check_entries(archive)
        self.check_heads(archive)
        for name in self.members:
            if _BLOB_NAME.fullmatch(name) and name not in self.referenced:
                self.add(Code.FILE_UNEXPECTED, None, f"{name} is not referenced by any entry")

    def screen(self, archive: zipfile.ZipFile) -> bool:
        """Keep the safely named members; refuse the archive if reading it could exhaust memory."""
        infos = archive.infolist()
        limits = self.limits
        if len(infos) > limits.members:
            self.add(Code.TOO_LARGE, None, f"the archive has {len(infos)} files, too many to check")
            return False
        seen: set[str] = set()
        total = 0
        bomb = False
        for info in infos:
            name = info.filename
            if _unsafe(name):
                self.add(Code.UNSAFE_PATH, None, f"unsafe file name {name!r}")
                continue
            if name in seen:
                self.add(Code.UNSAFE_PATH, None, f"{name} appears twice in the archive")
                self.members.pop(name, None)
                continue
            seen.add(name)
            if info.is_dir():
                continue
            total += info.file_size
            if info.file_size > limits.ratio_from_bytes and info.file_size > limits.ratio * max(
                info.compress_size, 1
            ):
                self.add(
                    Code.TOO_LARGE,
                    None,
                    f"{name} expands {info.file_size // max(info.compress_size, 1)} times: "
                    "a zip bomb",
                )
                bomb = True
            self.members[name] = info
        if total > limits.total_bytes:
            self.add(Code.TOO_LARGE, None, f"the archive expands to {total} bytes, over the limit")
            bomb = True
        return not bomb

    def hash_members(self, archive: zipfile.ZipFile) -> None:
        for name, info in self.members.items():
            digest = hashlib.sha256()
            size = 0
            try:
                with archive.open(info) as stream:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
                self.add(Code.UNREADABLE, None, f"{name} cannot be read: the archive is damaged")
                continue
            self.digests[name] = (digest.hexdigest(), size)

    def read(self, archive: zipfile.ZipFile, name: str) -> bytes | None:
        """Return a small member's bytes, or None when it is absent, unreadable or too big."""
        if name not in self.digests:
            return None
        if self.digests[name][1] > self.limits.json_bytes:
            self.add(Code.UNREADABLE, None, f"{name} is too large for what it should hold")
            return None
        return archive.read(self.members[name])

    def read_json(self, archive: zipfile.ZipFile, name: str) -> Any:
        data = self.read(archive, name)
        if data is None:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):
            self.add(Code.UNREADABLE, None, f"{name} is not valid JSON")
            return None

    def compare_manifest(self, manifest: Any) -> None:
        listed: dict[str, Mapping[str, Any]] | None = None
        if manifest is not None:
            listed = _manifest_files(manifest)
            if listed is None:
                self.add(Code.UNREADABLE, None, f"{MANIFEST} is not an evidence bundle manifest")
            else:
                self.ticket = manifest["ticket"]
        for path, item in (listed or {}).items():
            if path not in self.members:
                self.add(Code.FILE_MISSING, None, f"{path} is listed in the manifest but missing")
            elif path in self.digests and self.digests[path] != (item["sha256"], item["size"]):
                self.add(Code.FILE_CHANGED, None, f"{path} differs from the manifest")
        for name in self.members:
            if name == MANIFEST:
                continue
            if not _expected(name):
                self.add(
                    Code.FILE_UNEXPECTED, None, f"{name} does not belong in an evidence bundle"
                )
            elif listed is not None and name not in listed:
                self.add(Code.FILE_UNEXPECTED, None, f"{name} is not listed in the manifest")
        for name in REQUIRED:
            if name not in self.members and (listed is None or name not in listed):
                self.add(Code.FILE_MISSING, None, f"{name} is missing")

    def check_key(self, archive: zipfile.ZipFile) -> None:
        pem = self.read(archive, PUBLIC_KEY)
        if pem is None:
            return
        try:
            self.public_raw = public_key_from_pem(pem)
        except (ValueError, TypeError):
            self.add(Code.UNREADABLE, None, f"{PUBLIC_KEY} does not hold an Ed25519 public key")
            return
        fingerprint = key_fingerprint(self.public_raw)
        if not self.trusted:
            self.add(
                Code.KEY_NOT_PINNED,
                None,
                f"checked with the key inside the bundle only ({fingerprint}); compare it with "
                "the fingerprint the business publishes",
            )
        elif _trusts(self.trusted, fingerprint):
            self.key_trusted = True
        else:
            self.add(
                Code.BAD_SIGNATURE,
                None,
                f"the bundle's key {fingerprint} is not one of the keys you trust",
            )

    def check_checkpoint(self, archive: zipfile.ZipFile) -> None:
        statement = self.read_json(archive, CHECKPOINT)
        signature_text = self.read(archive, SIGNATURE)
        if statement is None or signature_text is None or self.public_raw is None:
            return
        try:
            signature = bytes.fromhex(signature_text.decode("ascii").strip())
        except ValueError:
            self.add(Code.BAD_SIGNATURE, None, f"{SIGNATURE} does not hold a hex signature")
            return
        public_keys = {key_id(self.public_raw): self.public_raw}
        for problem in checkpoint_verify(statement, signature, public_keys):
            self.tally.add(problem)
        if statement_error(statement) is None:
            self.statement = statement

    def check_inclusion(self, archive: zipfile.ZipFile) -> None:
        data = self.read_json(archive, INCLUSION)
        if data is None:
            return
        try:
            proof = InclusionProof.from_json(data)
        except ValueError:
            self.add(Code.UNREADABLE, None, f"{INCLUSION} is not an inclusion proof")
            return
        self.proof = proof
        if self.ticket is not None and proof.ticket != self.ticket:
            self.add(Code.HEAD_MISMATCH, None, f"the inclusion proof is for ticket {proof.ticket}")
        statement = self.statement
        if statement is not None and not (
            proof.tree_size == statement["tickets"] and inclusion_verify(proof, statement["root"])
        ):
            self.add(
                Code.HEAD_MISMATCH,
                proof.seq,
                f"the signed checkpoint does not contain this ticket's entry {proof.seq}",
            )

    def blob_digest(self, kind: str, sha: str) -> str | None:
        folder = "raw" if kind == "raw" else "attachments"
        found = self.digests.get(f"{folder}/{sha}")
        return found[0] if found is not None else None

    def records(self, archive: zipfile.ZipFile) -> Iterator[Record]:
        limit = self.limits.line_bytes
        number = 0
        try:
            with archive.open(self.members[ENTRIES]) as stream:
                while line := stream.readline(limit + 1):
                    number += 1
                    if len(line) > limit:
                        self.add(Code.UNREADABLE, None, f"line {number} of {ENTRIES} is too long")
                        return
                    try:
                        record = _record_from_line(line, self.blob_digest)
                    except (ValueError, RecursionError):
                        self.add(
                            Code.UNREADABLE,
                            None,
                            f"line {number} of {ENTRIES} is not a complete entry (cut off?)",
                        )
                        continue
                    self.referenced.update(name for name, _ in _blob_names(record.body))
                    yield record
        except (zipfile.BadZipFile, zlib.error, EOFError):
            self.add(Code.UNREADABLE, None, f"{ENTRIES} cannot be read to the end")

    def check_entries(self, archive: zipfile.ZipFile) -> None:
        if ENTRIES not in self.digests:
            return
        proof = self.proof
        self.chain = ChainVerifier(
            ticket=self.ticket,
            expected_head=proof.head if proof is not None else None,
            expected_seq=proof.seq if proof is not None else None,
            max_skew=self.max_skew,
            now=self.now,
        )
        for problem in self.chain.check(self.records(archive)):
            self.tally.add(problem)
        if proof is not None and self.chain.head_seq > proof.seq:
            self.add(
                Code.UNSIGNED_TAIL,
                proof.seq + 1,
                f"entries {proof.seq + 1}-{self.chain.head_seq} were recorded after the signed "
                "checkpoint; only the hash chain protects them",
            )

    def check_heads(self, archive: zipfile.ZipFile) -> None:
        heads = self.read_json(archive, HEADS)
        if heads is None or self.chain is None:
            return
        if not (
            isinstance(heads, dict)
            and heads.keys() == {"ticket", "seq", "head"}
            and type(heads["seq"]) is int
            and isinstance(heads["head"], str)
        ):
            self.add(Code.UNREADABLE, None, f"{HEADS} is not a chain head")
            return
        chain = self.chain
        if chain.head_seq < heads["seq"]:
            self.add(
                Code.TRUNCATED,
                chain.head_seq + 1,
                f"the entries end at {chain.head_seq}, but {HEADS} names entry {heads['seq']}: "
                "the end was cut off",
            )
        elif (chain.head_seq, chain.head) != (heads["seq"], heads["head"]):
            self.add(
                Code.HEAD_MISMATCH,
                chain.head_seq,
                f"the last entry differs from the head recorded in {HEADS}",
            )

    def report(self) -> BundleReport:
        chain = self.chain
        public_raw = self.public_raw
        return BundleReport(
            usable=True,
            ticket=self.ticket,
            entries=chain.count if chain else 0,
            head_seq=chain.head_seq if chain else 0,
            head=chain.head if chain else GENESIS,
            signed_seq=self.proof.seq if self.proof else None,
            checkpoint=self.statement,
            key_id=key_id(public_raw) if public_raw else None,
            fingerprint=key_fingerprint(public_raw) if public_raw else None,
            key_trusted=self.key_trusted,
            problems=tuple(self.tally.kept),
            totals=self.tally.totals,
            errors=self.tally.errors,
            first_bad=self.tally.first_bad,
        )


def _manifest_files(manifest: Any) -> dict[str, Mapping[str, Any]] | None:
    if not (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and manifest.get("version") == FORMAT_VERSION
        and isinstance(manifest.get("ticket"), str)
        and isinstance(manifest.get("files"), list)
    ):
        return None
    files: dict[str, Mapping[str, Any]] = {}
    for item in manifest["files"]:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("path"), str)
            and isinstance(item.get("sha256"), str)
            and _HEX64.fullmatch(item["sha256"])
            and type(item.get("size")) is int
        ):
            return None
        files[item["path"]] = item
    return files
