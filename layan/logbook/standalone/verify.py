#!/usr/bin/env python3
"""Verify a Layan evidence bundle with nothing but Python 3.11 or newer.

    python3 verify.py case.zip
    python3 verify.py --trust <key fingerprint> case.zip
    python3 verify.py --json case.zip

Exit status: 0 when the bundle is intact (warnings and notes may still be printed), 1 when it
shows problems, 2 when the file cannot be read as a zip archive at all.

What is checked: every file against manifest.json; every entry's hash and its link to the entry
before; the content, raw payload and attachments against the digests in the entries; the
checkpoint's Ed25519 signature (RFC 8032, implemented below); the Merkle proof (RFC 6962) that
the ticket's head is in the signed root; and that the archive is safe to read.

Problem codes:
    E01 an entry's body no longer matches its hash        E02 an entry is missing
    E03 an entry was inserted                             E04 entries are out of order
    E05 entries were cut off the end                      E06 history differs from what was signed
    E09 content, raw payload or attachment changed        E10 bad signature or untrusted key
    E11 (warning) implausible time                        E12 the chain is forked
    E13 a record is malformed                             E14 (note) content erased on request
    B01 file missing  B02 unexpected file  B03 file differs from manifest  B04 unsafe file name
    B05 archive too large (zip bomb)  B06 unreadable file  B07 (note) key not compared with a
    published fingerprint  B08 (warning) entries newer than the signed checkpoint

This file is deliberately standard library only and self-contained, so that it can be read and
audited on its own.
"""

import argparse
import base64
import hashlib
import json
import re
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

# --- Problems ------------------------------------------------------------------------------------

WARNINGS = frozenset({"E11", "B08"})
NOTES = frozenset({"E14", "B07"})
GENESIS = "0" * 64
KEEP = 1000


def severity(code: str) -> str:
    """Return error, warning or info for a problem code."""
    if code in WARNINGS:
        return "warning"
    return "info" if code in NOTES else "error"


class Findings:
    """Problems found so far: all counted, the first KEEP kept."""

    def __init__(self) -> None:
        self.kept: list[dict[str, Any]] = []
        self.totals: dict[str, int] = {}
        self.errors = 0

    def add(self, code: str, seq: int | None, message: str) -> None:
        self.totals[code] = self.totals.get(code, 0) + 1
        if len(self.kept) < KEEP:
            self.kept.append(
                {"code": code, "severity": severity(code), "seq": seq, "message": message}
            )
        if severity(code) == "error":
            self.errors += 1


# --- Canonical JSON ------------------------------------------------------------------------------
# Strings (keys too) in NFC; keys sorted by code point; no whitespace; no floats; UTF-8 output with
# only '"', '\' and control characters U+0000-U+001F and U+007F escaped.

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False, check_circular=False
)


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if value is None or isinstance(value, bool) or type(value) is int:
        return value
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("object keys must be strings")
            name = _nfc(key)
            if name in result:
                raise ValueError("keys collide after NFC normalisation")
            result[name] = _nfc(item)
        return result
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    raise TypeError(f"canonical JSON cannot encode {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Return the canonical JSON bytes of a value parsed from JSON."""
    return _ENCODER.encode(_nfc(value)).replace("\x7f", "\\u007f").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- Ed25519 signature verification (RFC 8032, section 5.1.7) ------------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y: int, sign: int) -> int | None:
    """Return x for a point with this y and sign bit (RFC 8032, 5.1.3), or None."""
    if y >= _P:
        return None
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if (v * x * x - u) % _P != 0:
        if (v * x * x + u) % _P != 0:
            return None
        x = x * _SQRT_M1 % _P
    if x == 0 and sign:
        return None
    return _P - x if x & 1 != sign else x


Point = tuple[int, int, int, int]


def _point(x: int, y: int) -> Point:
    return (x, y, 1, x * y % _P)


_BASE_Y = 4 * pow(5, _P - 2, _P) % _P
_BASE = _point(_recover_x(_BASE_Y, 0) or 0, _BASE_Y)
_IDENTITY: Point = (0, 1, 1, 0)


def _add(p: Point, q: Point) -> Point:
    """Add two points in extended coordinates (RFC 8032, 5.1.4)."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: Point) -> Point:
    result = _IDENTITY
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _decode(data: bytes) -> Point | None:
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    x = _recover_x(y & ((1 << 255) - 1), y >> 255)
    return None if x is None else _point(x, y & ((1 << 255) - 1))


def _encode(point: Point) -> bytes:
    x, y, z, _ = point
    inverse = pow(z, _P - 2, _P)
    x, y = x * inverse % _P, y * inverse % _P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """Return whether `signature` is a valid Ed25519 signature of `message` by `public`."""
    if len(public) != 32 or len(signature) != 64:
        return False
    key = _decode(public)
    if key is None or _decode(signature[:32]) is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _L
    x, y, z, t = key
    # [S]B - [k]A must encode to exactly R; comparing encodings refuses non-canonical R too.
    return (
        _encode(_add(_multiply(s, _BASE), _multiply(k, (-x % _P, y, z, -t % _P)))) == signature[:32]
    )


def public_key_from_pem(pem: bytes) -> bytes | None:
    """Return the 32-byte key in an Ed25519 SubjectPublicKeyInfo PEM block, or None."""
    match = re.fullmatch(
        rb"\s*-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*", pem
    )
    if match is None:
        return None
    try:
        der = base64.b64decode(b"".join(match.group(1).split()), validate=True)
    except ValueError:
        return None
    prefix = bytes.fromhex("302a300506032b6570032100")
    if len(der) != 44 or not der.startswith(prefix):
        return None
    return der[len(prefix) :]


# --- Merkle inclusion proofs (RFC 6962 audit paths, checked as in RFC 9162, 2.1.3.2) -------------


def leaf_hash(ticket: str, seq: int, head: str) -> bytes:
    encoded = unicodedata.normalize("NFC", ticket).encode("utf-8")
    if b"\x00" in encoded:
        raise ValueError("ticket reference with NUL")
    return hashlib.sha256(
        b"\x00" + encoded + b"\x00" + seq.to_bytes(8, "big") + bytes.fromhex(head)
    ).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_verify(proof: dict[str, Any], root: str) -> bool:
    if not 0 <= proof["index"] < proof["tree_size"] or not _is_hex(root, 64):
        return False
    try:
        digest = leaf_hash(proof["ticket"], proof["seq"], proof["head"])
    except (ValueError, OverflowError):
        return False
    index, last = proof["index"], proof["tree_size"] - 1
    for step in proof["path"]:
        if last == 0:
            return False
        sibling = bytes.fromhex(step)
        if index & 1 or index == last:
            digest = _node(sibling, digest)
            while not index & 1 and index != 0:
                index >>= 1
                last >>= 1
        else:
            digest = _node(digest, sibling)
        index >>= 1
        last >>= 1
    return last == 0 and digest.hex() == root


# --- Entries and the hash chain ------------------------------------------------------------------

_HEX = {16: re.compile(r"[0-9a-f]{16}"), 64: re.compile(r"[0-9a-f]{64}")}
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_FIELDS = {
    "v": int,
    "ticket": str,
    "seq": int,
    "prev": str,
    "kind": str,
    "direction": str,
    "channel": str,
    "actor": str,
    "occurred_at": str,
    "recorded_at": str,
    "content_sha256": str,
    "raw_sha256": str,
    "attachments": list,
    "data": dict,
}


def _is_hex(value: object, length: int) -> bool:
    return isinstance(value, str) and _HEX[length].fullmatch(value) is not None


def _is_int(value: object) -> bool:
    return type(value) is int


def parse_timestamp(text: object) -> datetime:
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise ValueError("not a UTC timestamp with microseconds")
    return datetime.fromisoformat(text)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def body_error(body: object) -> str | None:
    """Return why `body` is not a version 1 entry body, or None."""
    if not isinstance(body, dict):
        return "the body is not an object"
    if body.keys() != _FIELDS.keys():
        return "the body has missing or unknown fields"
    for name, kind in _FIELDS.items():
        if not (_is_int(body[name]) if kind is int else isinstance(body[name], kind)):
            return f"field {name!r} must be of type {kind.__name__}"
    if body["v"] != 1:
        return f"unknown format version {body['v']}"
    if body["seq"] < 1:
        return "seq must be 1 or more"
    if not (_is_hex(body["prev"], 64) and _is_hex(body["content_sha256"], 64)):
        return "prev and content_sha256 must be 64 lower-case hex digits"
    if body["raw_sha256"] and not _is_hex(body["raw_sha256"], 64):
        return "raw_sha256 must be empty or 64 lower-case hex digits"
    if body["direction"] not in ("in", "out", "internal"):
        return "unknown direction"
    for name in ("occurred_at", "recorded_at"):
        try:
            parse_timestamp(body[name])
        except ValueError:
            return f"{name} is not a UTC timestamp with microseconds"
    for item in body["attachments"]:
        if not (
            isinstance(item, dict)
            and item.keys() == {"sha256", "size", "name"}
            and _is_hex(item["sha256"], 64)
            and _is_int(item["size"])
            and item["size"] >= 0
            and isinstance(item["name"], str)
        ):
            return "each attachment must be {sha256: 64 hex, size: int >= 0, name: str}"
    return None


def _seq_of(entry: dict[str, Any]) -> int | None:
    seq = entry["body"].get("seq")
    return seq if _is_int(seq) else None


class Chain:
    """Walk one ticket's entries in file order, holding only the previous one.

    seq follows and prev links: fine. seq follows but prev does not: E03 when the next line has
    the same seq and does link, or when prev names the previous entry's predecessor; else E02.
    seq jumps: E04 when the next line holds the skipped seq (then both are taken in order), else
    E02. seq repeats: E12 with the same prev, else E03. seq goes back: E04.
    """

    def __init__(
        self,
        findings: Findings,
        *,
        ticket: str | None,
        expected_head: str | None,
        expected_seq: int | None,
        max_skew: timedelta,
        now: datetime,
        blob: Callable[[str, str], str | None],
    ) -> None:
        self.findings = findings
        self.ticket = ticket
        self.expected_head = expected_head
        self.expected_seq = expected_seq
        self.max_skew = max_skew
        self.now = now
        self.blob = blob
        self.count = 0
        self.head_seq = 0
        self.head = GENESIS
        self.head_prev: str | None = None
        self.twin: str | None = None
        self.occurred: datetime | None = None
        self.recorded: datetime | None = None
        self.expected_seen = False

    def walk(self, lines: Iterable[dict[str, Any]]) -> None:
        entries = iter(lines)
        held: list[dict[str, Any]] = []
        while True:
            entry = held.pop() if held else next(entries, None)
            if entry is None:
                break
            expected = self.head_seq + 1
            seq = _seq_of(entry)
            if seq is not None and seq > expected:
                if not held:
                    following = next(entries, None)
                    if following is not None:
                        held.append(following)
                if held and _seq_of(held[-1]) == expected:
                    self.findings.add(
                        "E04", expected, f"entry {expected} comes after entry {seq}: out of order"
                    )
                    entry, held[-1] = held[-1], entry
            self.entry(entry, entries, held)
        self.finish()

    def entry(
        self, entry: dict[str, Any], entries: Iterator[dict[str, Any]], held: list[dict[str, Any]]
    ) -> None:
        add = self.findings.add
        self.count += 1
        body = entry["body"]
        seq = _seq_of(entry)
        reason = body_error(body)
        if reason is not None:
            add("E13", seq, f"entry {seq or '?'} is malformed: {reason}")
        try:
            recomputed: str | None = sha256_hex(canonical_json(body))
        except (TypeError, ValueError, RecursionError) as error:
            recomputed = None
            if reason is None:
                add("E13", seq, f"entry {seq} cannot be hashed: {error}")
        if recomputed is not None and recomputed != entry["hash"]:
            add(
                "E01",
                seq,
                f"entry {seq} was changed after it was recorded: it no longer matches its hash",
            )
        if reason is not None:
            if seq is not None and isinstance(body.get("prev"), str):
                self.place(entry, seq, body["prev"], None, None, entries, held)
            return
        if self.ticket is None:
            self.ticket = body["ticket"]
        elif body["ticket"] != self.ticket:
            add("E03", seq, f"entry {seq} belongs to ticket {body['ticket']}, not {self.ticket}")
            return
        self.digests(entry)
        occurred = parse_timestamp(body["occurred_at"])
        recorded = parse_timestamp(body["recorded_at"])
        self.place(entry, body["seq"], body["prev"], occurred, recorded, entries, held)

    def digests(self, entry: dict[str, Any]) -> None:
        add = self.findings.add
        body = entry["body"]
        seq = body["seq"]
        if entry["redacted"] is not None:
            add(
                "E14",
                seq,
                f"the content of entry {seq} was erased; the chain still proves it existed",
            )
        elif entry["content"] is not None:
            try:
                intact = entry["salt"] is not None and (
                    sha256_hex(entry["salt"] + canonical_json(entry["content"]))
                    == body["content_sha256"]
                )
            except (TypeError, ValueError, RecursionError):
                intact = False
            if not intact:
                add(
                    "E09",
                    seq,
                    f"the content of entry {seq} was changed: it no longer matches its digest",
                )
        wanted = [("raw", body["raw_sha256"], "the raw payload")] if body["raw_sha256"] else []
        wanted += [
            ("attachment", item["sha256"], f"attachment {number} ({item['name']})")
            for number, item in enumerate(body["attachments"], 1)
        ]
        for kind, claimed, label in wanted:
            actual = self.blob(kind, claimed)
            if actual is None:
                if entry["redacted"] is None:
                    add("E09", seq, f"{label} of entry {seq} is missing")
            elif actual != claimed:
                add("E09", seq, f"{label} of entry {seq} was changed: its bytes no longer match")

    def place(
        self,
        entry: dict[str, Any],
        seq: int,
        prev: str,
        occurred: datetime | None,
        recorded: datetime | None,
        entries: Iterator[dict[str, Any]],
        held: list[dict[str, Any]],
    ) -> None:
        add = self.findings.add
        last = self.head_seq
        if seq == last + 1:
            if prev not in (self.head, self.twin):
                if not held:
                    following = next(entries, None)
                    if following is not None:
                        held.append(following)
                if held and _seq_of(held[-1]) == seq and held[-1]["body"].get("prev") == self.head:
                    add("E03", seq, f"a second entry {seq} was inserted")
                    return
                if last and prev == self.head_prev:
                    add(
                        "E03",
                        last,
                        f"entry {last} was inserted: entry {seq} also follows entry {last - 1}",
                    )
                elif last == 0:
                    add("E02", seq, "entry 1 does not start from the genesis value")
                else:
                    add(
                        "E02",
                        seq,
                        f"entry {seq} does not follow entry {last}: one is missing or rewritten",
                    )
        elif seq > last + 1:
            add("E02", last + 1, f"entries {last + 1}-{seq - 1} are missing")
        elif seq == last:
            if prev == self.head_prev:
                self.twin = entry["hash"]
                add("E12", seq, f"entry {seq} exists twice, both following entry {seq - 1}: forked")
            else:
                add("E03", seq, f"a second entry {seq} was inserted")
            return
        else:
            add("E04", seq, f"entry {seq} comes after entry {last}: out of order")
            return
        self.times(seq, occurred, recorded)
        self.head_seq, self.head, self.head_prev, self.twin = seq, entry["hash"], prev, None
        if seq == self.expected_seq:
            self.expected_seen = True
            if entry["hash"] != self.expected_head:
                add("E06", seq, f"entry {seq} differs from the one the checkpoint signed")

    def times(self, seq: int, occurred: datetime | None, recorded: datetime | None) -> None:
        for label, moment, before in (
            ("occurred", occurred, self.occurred),
            ("was recorded", recorded, self.recorded),
        ):
            if moment is None:
                continue
            if before is not None and moment < before - self.max_skew:
                self.findings.add(
                    "E11",
                    seq,
                    f"entry {seq} {label} at {stamp(moment)}, before the entry preceding it",
                )
            if moment > self.now + self.max_skew:
                self.findings.add(
                    "E11", seq, f"entry {seq} {label} at {stamp(moment)}, in the future"
                )
        self.occurred, self.recorded = occurred, recorded

    def finish(self) -> None:
        if self.expected_head is None:
            return
        if self.expected_seq is None:
            if self.head != self.expected_head:
                self.findings.add(
                    "E06", self.head_seq or None, "the chain head differs from the expected head"
                )
        elif not self.expected_seen and self.head_seq < self.expected_seq:
            self.findings.add(
                "E05",
                self.head_seq + 1,
                f"the chain ends at entry {self.head_seq}, but the checkpoint signed "
                f"{self.expected_seq} entries",
            )


# --- The bundle ----------------------------------------------------------------------------------

FORMAT = "layan-evidence-bundle"
REQUIRED = (
    "manifest.json",
    "entries.jsonl",
    "heads.json",
    "checkpoint.json",
    "checkpoint.sig",
    "inclusion.json",
    "public_key.pem",
    "transcript.html",
    "README.txt",
    "verify.py",
)
_BLOB_NAME = re.compile(r"(raw|attachments)/[0-9a-f]{64}")
_CHUNK = 1 << 16
_STATEMENT_FIELDS = {"v", "size", "tickets", "root", "created_at", "key_id", "previous"}
_PROOF_FIELDS = {"ticket", "seq", "head", "index", "tree_size", "path"}
DEFAULT_MAX_SKEW = timedelta(minutes=15)


@dataclass(frozen=True)
class Limits:
    """Refuse archives that would make the verifier read more than this (zip bombs)."""

    total_bytes: int = 8 * 1024**3
    members: int = 500_000
    ratio: int = 200
    ratio_from_bytes: int = 1024**2
    json_bytes: int = 16 * 1024**2
    line_bytes: int = 64 * 1024**2


def _unsafe(name: str) -> bool:
    parts = name.rstrip("/").split("/")
    return (
        name.startswith("/")
        or "\\" in name
        or ":" in name
        or "\x00" in name
        or any(part in ("", ".", "..") for part in parts)
    )


def _statement_error(statement: object) -> str | None:
    if not isinstance(statement, dict) or statement.keys() != _STATEMENT_FIELDS:
        return "wrong fields"
    if not _is_int(statement["v"]) or statement["v"] != 1:
        return "unknown checkpoint version"
    if not all(_is_int(statement[name]) and statement[name] >= 0 for name in ("size", "tickets")):
        return "size and tickets must be integers of 0 or more"
    if not (
        _is_hex(statement["root"], 64)
        and _is_hex(statement["previous"], 64)
        and _is_hex(statement["key_id"], 16)
    ):
        return "root, previous and key_id must be lower-case hex"
    try:
        parse_timestamp(statement["created_at"])
    except ValueError:
        return "created_at is not a UTC timestamp with microseconds"
    return None


def _proof_from_json(data: object) -> dict[str, Any] | None:
    if not isinstance(data, dict) or data.keys() != _PROOF_FIELDS:
        return None
    if not (
        isinstance(data["ticket"], str)
        and all(_is_int(data[name]) for name in ("seq", "index", "tree_size"))
        and _is_hex(data["head"], 64)
        and isinstance(data["path"], list)
        and all(_is_hex(step, 64) for step in data["path"])
    ):
        return None
    return data


def _manifest_files(manifest: object) -> dict[str, dict[str, Any]] | None:
    if not (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and manifest.get("version") == 1
        and isinstance(manifest.get("ticket"), str)
        and isinstance(manifest.get("files"), list)
    ):
        return None
    files: dict[str, dict[str, Any]] = {}
    for item in manifest["files"]:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("path"), str)
            and _is_hex(item.get("sha256"), 64)
            and _is_int(item.get("size"))
        ):
            return None
        files[item["path"]] = item
    return files


def _entry_from_line(line: bytes) -> dict[str, Any]:
    data = json.loads(line.decode("utf-8"))
    if not isinstance(data, dict) or data.keys() != {"hash", "body", "content", "salt", "redacted"}:
        raise ValueError("not an entry line")
    if not (
        isinstance(data["hash"], str)
        and isinstance(data["body"], dict)
        and isinstance(data["content"], dict | None)
        and isinstance(data["salt"], str | None)
        and isinstance(data["redacted"], dict | None)
    ):
        raise ValueError("an entry line has fields of the wrong type")
    if data["salt"] is not None:
        data["salt"] = bytes.fromhex(data["salt"])
    return data


def _blob_names(body: dict[str, Any]) -> Iterator[str]:
    raw = body.get("raw_sha256")
    if isinstance(raw, str) and raw:
        yield f"raw/{raw}"
    attachments = body.get("attachments")
    if isinstance(attachments, list):
        for item in attachments:
            if isinstance(item, dict) and isinstance(item.get("sha256"), str):
                yield f"attachments/{item['sha256']}"


def _trusts(trusted: Iterable[str], fingerprint: str) -> bool:
    for item in trusted:
        wanted = re.sub(r"[\s:]", "", item).lower()
        if len(wanted) >= 16 and fingerprint.startswith(wanted):
            return True
    return False


class Bundle:
    """One verification run over an open zip archive."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        *,
        now: datetime,
        trusted: Iterable[str],
        max_skew: timedelta,
        limits: Limits,
    ) -> None:
        self.archive = archive
        self.now = now
        self.trusted = trusted
        self.max_skew = max_skew
        self.limits = limits
        self.findings = Findings()
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.digests: dict[str, tuple[str, int]] = {}
        self.referenced: set[str] = set()
        self.ticket: str | None = None
        self.statement: dict[str, Any] | None = None
        self.proof: dict[str, Any] | None = None
        self.public: bytes | None = None
        self.key_trusted = False
        self.chain: Chain | None = None

    def add(self, code: str, seq: int | None, message: str) -> None:
        self.findings.add(code, seq, message)

    def run(self) -> None:
        if not self.screen():
            return
        self.hash_members()
        self.compare_manifest(self.read_json("manifest.json"))
        self.check_key()
        self.check_checkpoint()
        self.check_inclusion()
        self.check_entries()
        self.check_heads()
        for name in self.members:
            if _BLOB_NAME.fullmatch(name) and name not in self.referenced:
                self.add("B02", None, f"{name} is not referenced by any entry")

    def screen(self) -> bool:
        infos = self.archive.infolist()
        limits = self.limits
        if len(infos) > limits.members:
            self.add("B05", None, f"the archive has {len(infos)} files, too many to check")
            return False
        seen: set[str] = set()
        total = 0
        bomb = False
        for info in infos:
            name = info.filename
            if _unsafe(name):
                self.add("B04", None, f"unsafe file name {name!r}")
                continue
            if name in seen:
                self.add("B04", None, f"{name} appears twice in the archive")
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
                    "B05",
                    None,
                    f"{name} expands {info.file_size // max(info.compress_size, 1)} times: "
                    "a zip bomb",
                )
                bomb = True
            self.members[name] = info
        if total > limits.total_bytes:
            self.add("B05", None, f"the archive expands to {total} bytes, over the limit")
            bomb = True
        return not bomb

    def hash_members(self) -> None:
        for name, info in self.members.items():
            digest = hashlib.sha256()
            size = 0
            try:
                with self.archive.open(info) as stream:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
                self.add("B06", None, f"{name} cannot be read: the archive is damaged")
                continue
            self.digests[name] = (digest.hexdigest(), size)

    def read(self, name: str) -> bytes | None:
        if name not in self.digests:
            return None
        if self.digests[name][1] > self.limits.json_bytes:
            self.add("B06", None, f"{name} is too large for what it should hold")
            return None
        return self.archive.read(self.members[name])

    def read_json(self, name: str) -> Any:
        data = self.read(name)
        if data is None:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):
            self.add("B06", None, f"{name} is not valid JSON")
            return None

    def compare_manifest(self, manifest: object) -> None:
        listed: dict[str, dict[str, Any]] | None = None
        if isinstance(manifest, dict):
            listed = _manifest_files(manifest)
            if listed is None:
                self.add("B06", None, "manifest.json is not an evidence bundle manifest")
            else:
                self.ticket = manifest["ticket"]
        for path, item in (listed or {}).items():
            if path not in self.members:
                self.add("B01", None, f"{path} is listed in the manifest but missing")
            elif path in self.digests and self.digests[path] != (item["sha256"], item["size"]):
                self.add("B03", None, f"{path} differs from the manifest")
        for name in self.members:
            if name == "manifest.json":
                continue
            if not (name in REQUIRED or _BLOB_NAME.fullmatch(name)):
                self.add("B02", None, f"{name} does not belong in an evidence bundle")
            elif listed is not None and name not in listed:
                self.add("B02", None, f"{name} is not listed in the manifest")
        for name in REQUIRED:
            if name not in self.members and (listed is None or name not in listed):
                self.add("B01", None, f"{name} is missing")

    def check_key(self) -> None:
        pem = self.read("public_key.pem")
        if pem is None:
            return
        self.public = public_key_from_pem(pem)
        if self.public is None:
            self.add("B06", None, "public_key.pem does not hold an Ed25519 public key")
            return
        fingerprint = sha256_hex(self.public)
        if not self.trusted:
            self.add(
                "B07",
                None,
                f"checked with the key inside the bundle only ({fingerprint}); compare it with "
                "the fingerprint the business publishes",
            )
        elif _trusts(self.trusted, fingerprint):
            self.key_trusted = True
        else:
            self.add(
                "E10", None, f"the bundle's key {fingerprint} is not one of the keys you trust"
            )

    def check_checkpoint(self) -> None:
        statement = self.read_json("checkpoint.json")
        signature_text = self.read("checkpoint.sig")
        if statement is None or signature_text is None or self.public is None:
            return
        try:
            signature = bytes.fromhex(signature_text.decode("ascii").strip())
        except ValueError:
            self.add("E10", None, "checkpoint.sig does not hold a hex signature")
            return
        reason = _statement_error(statement)
        if reason is not None:
            self.add("E13", None, f"checkpoint statement is malformed: {reason}")
            return
        if statement["key_id"] != sha256_hex(self.public)[:16]:
            self.add("E10", None, f"checkpoint is signed by unknown key {statement['key_id']}")
        elif not ed25519_verify(self.public, canonical_json(statement), signature):
            self.add(
                "E10",
                None,
                f"the checkpoint of {statement['created_at']} does not match its signature",
            )
        self.statement = statement

    def check_inclusion(self) -> None:
        data = self.read_json("inclusion.json")
        if data is None:
            return
        proof = _proof_from_json(data)
        if proof is None:
            self.add("B06", None, "inclusion.json is not an inclusion proof")
            return
        self.proof = proof
        if self.ticket is not None and proof["ticket"] != self.ticket:
            self.add("E06", None, f"the inclusion proof is for ticket {proof['ticket']}")
        statement = self.statement
        if statement is not None and not (
            proof["tree_size"] == statement["tickets"]
            and inclusion_verify(proof, statement["root"])
        ):
            self.add(
                "E06",
                proof["seq"],
                f"the signed checkpoint does not contain this ticket's entry {proof['seq']}",
            )

    def blob(self, kind: str, sha: str) -> str | None:
        found = self.digests.get(f"{'raw' if kind == 'raw' else 'attachments'}/{sha}")
        return found[0] if found is not None else None

    def entries(self) -> Iterator[dict[str, Any]]:
        limit = self.limits.line_bytes
        number = 0
        try:
            with self.archive.open(self.members["entries.jsonl"]) as stream:
                while line := stream.readline(limit + 1):
                    number += 1
                    if len(line) > limit:
                        self.add("B06", None, f"line {number} of entries.jsonl is too long")
                        return
                    try:
                        entry = _entry_from_line(line)
                    except (ValueError, RecursionError):
                        self.add(
                            "B06",
                            None,
                            f"line {number} of entries.jsonl is not a complete entry (cut off?)",
                        )
                        continue
                    self.referenced.update(_blob_names(entry["body"]))
                    yield entry
        except (zipfile.BadZipFile, zlib.error, EOFError):
            self.add("B06", None, "entries.jsonl cannot be read to the end")

    def check_entries(self) -> None:
        if "entries.jsonl" not in self.digests:
            return
        proof = self.proof
        self.chain = Chain(
            self.findings,
            ticket=self.ticket,
            expected_head=proof["head"] if proof else None,
            expected_seq=proof["seq"] if proof else None,
            max_skew=self.max_skew,
            now=self.now,
            blob=self.blob,
        )
        self.chain.walk(self.entries())
        if proof is not None and self.chain.head_seq > proof["seq"]:
            self.add(
                "B08",
                proof["seq"] + 1,
                f"entries {proof['seq'] + 1}-{self.chain.head_seq} were recorded after the signed "
                "checkpoint; only the hash chain protects them",
            )

    def check_heads(self) -> None:
        heads = self.read_json("heads.json")
        if heads is None or self.chain is None:
            return
        if not (
            isinstance(heads, dict)
            and heads.keys() == {"ticket", "seq", "head"}
            and _is_int(heads["seq"])
            and isinstance(heads["head"], str)
        ):
            self.add("B06", None, "heads.json is not a chain head")
            return
        chain = self.chain
        if chain.head_seq < heads["seq"]:
            self.add(
                "E05",
                chain.head_seq + 1,
                f"the entries end at {chain.head_seq}, but heads.json names entry {heads['seq']}",
            )
        elif (chain.head_seq, chain.head) != (heads["seq"], heads["head"]):
            self.add(
                "E06", chain.head_seq, "the last entry differs from the head recorded in heads.json"
            )

    def report(self) -> dict[str, Any]:
        chain = self.chain
        findings = self.findings
        return {
            "usable": True,
            "ticket": self.ticket,
            "entries": chain.count if chain else 0,
            "head_seq": chain.head_seq if chain else 0,
            "head": chain.head if chain else GENESIS,
            "signed_seq": self.proof["seq"] if self.proof else None,
            "checkpoint": self.statement,
            "key_id": sha256_hex(self.public)[:16] if self.public else None,
            "fingerprint": sha256_hex(self.public) if self.public else None,
            "key_trusted": self.key_trusted,
            "problems": findings.kept,
            "totals": findings.totals,
            "errors": findings.errors,
        }


def verify_bundle(
    path: Any,
    *,
    now: datetime | None = None,
    trusted: Iterable[str] = (),
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """Verify the bundle at `path` and return the report as a dict."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        problem = {
            "code": "B06",
            "severity": "error",
            "seq": None,
            "message": f"not a readable zip file: {error}",
        }
        return {"usable": False, "problems": [problem], "totals": {"B06": 1}, "errors": 1}
    with archive:
        bundle = Bundle(
            archive,
            now=now or datetime.now(UTC),
            trusted=trusted,
            max_skew=max_skew,
            limits=limits or Limits(),
        )
        bundle.run()
        return bundle.report()


def _print_report(report: dict[str, Any], out: TextIO) -> None:
    if report["usable"]:
        out.write(
            f"Ticket {report['ticket']}: {report['entries']} entries, "
            f"last entry {report['head_seq']} ({report['head'][:16]}...)\n"
        )
        if report["checkpoint"] is not None:
            pinned = "a key you trust" if report["key_trusted"] else "the key inside the bundle"
            out.write(
                f"Signed checkpoint of {report['checkpoint']['created_at']} covers entry "
                f"{report['signed_seq']}, checked with {pinned}\n"
                f"Key fingerprint {report['fingerprint']}\n"
            )
    for problem in report["problems"]:
        where = f" entry {problem['seq']}" if problem["seq"] is not None else ""
        out.write(
            f"{problem['severity'].upper():8}{problem['code']}{where}: {problem['message']}\n"
        )
    shown = len(report["problems"])
    found = sum(report["totals"].values())
    if found > shown:
        out.write(f"... and {found - shown} more\n")
    verdict = (
        "INTACT / UTUH" if report["usable"] and not report["errors"] else "NOT INTACT / TIDAK UTUH"
    )
    out.write(f"{verdict}: {report['errors']} error(s)\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Layan evidence bundle.")
    parser.add_argument("bundle", help="the .zip file")
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="FINGERPRINT",
        help="a key fingerprint (or key id) you got from the business itself; may repeat",
    )
    parser.add_argument(
        "--now", help="check times as of this UTC moment (2026-01-31T00:00:00.000000Z)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    arguments = parser.parse_args(argv)
    try:
        now = parse_timestamp(arguments.now) if arguments.now else None
    except ValueError:
        parser.error("--now must look like 2026-01-31T00:00:00.000000Z")
    report = verify_bundle(arguments.bundle, now=now, trusted=arguments.trust)
    if arguments.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_report(report, sys.stdout)
    if not report["usable"]:
        return 2
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
