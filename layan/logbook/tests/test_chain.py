import dataclasses
import hashlib
import random
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.logbook.chain import (
    GENESIS,
    ChainVerifier,
    Code,
    Record,
    Severity,
    body_error,
    content_digest,
    entry_hash,
    parse_timestamp,
    utc_timestamp,
    verify_chain,
)

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SKEW = timedelta(minutes=15)
START = datetime(2026, 9, 1, 1, 30, tzinfo=UTC)

INBOUND = [
    "Selamat pagi, pesanan saya INV-2026-0412 belum sampai. Mohon dicek ya, terima kasih.",
    "Halo kak, AC yang baru dipasang kemarin bocor lagi. Kapan teknisi bisa datang?",
    "Hi, the invoice amount is wrong: we agreed Rp 12.500.000, not Rp 15.000.000.",
    "Saya sudah transfer DP 50% tadi siang, bukti terlampir.",
    "This is the third time I am asking. Please escalate to your manager.",
    "Cafe\u0301 kami di Jl. Braga minta jadwal ulang, hari Sabtu jam 10 bisa?",
]
OUTBOUND = [
    "Selamat siang Ibu Sari, mohon maaf atas keterlambatannya. Paket tiba besok sebelum jam 12.",
    "Terima kasih, Pak Budi. Teknisi kami, Mas Andi, datang Kamis pukul 09.00 WIB.",
    "Dear Mr Tan, thank you for pointing this out. The corrected invoice is attached.",
    "Baik Kak, pembayaran sudah kami terima. Pesanan masuk antrean produksi.",
]
NOTES = [
    "Customer called, confirmed the new delivery address in Bekasi.",
    "Catatan: pelanggan minta faktur pajak atas nama PT Maju Jaya.",
    "Checked with warehouse: stock arrives Monday.",
]
STATUSES = ["open", "pending", "waiting_customer", "resolved", "closed"]


@dataclasses.dataclass
class Fixture:
    """A generated chain: records with content, and the raw and attachment bytes by digest."""

    records: list[Record]
    blobs: dict[str, bytes]

    def blob_digest(self, kind: str, sha: str) -> str | None:
        data = self.blobs.get(sha)
        return None if data is None else hashlib.sha256(data).hexdigest()


def _raw_email(rng: random.Random, subject: str, text: str, when: datetime) -> bytes:
    return (
        f"From: Sari Wulandari <sari.{rng.randrange(1000)}@contoh.co.id>\r\n"
        f"To: layanan@tokobaik.id\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: <{rng.getrandbits(64):x}@mail.contoh.co.id>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n"
    ).encode()


def build_chain(
    count: int,
    *,
    ticket: str = "1042",
    seed: int = 7,
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> Fixture:
    """Build a valid chain of `count` realistic entries; `edit` may alter bodies before hashing."""
    rng = random.Random(seed)
    blobs: dict[str, bytes] = {}
    records: list[Record] = []
    prev = GENESIS
    moment = START
    status = "open"
    for seq in range(1, count + 1):
        moment += timedelta(minutes=rng.randint(3, 240), microseconds=rng.randrange(10**6))
        roll = rng.random()
        raw = b""
        attachments: list[dict[str, Any]] = []
        data: dict[str, Any] = {}
        if roll < 0.45:
            kind, direction, channel = "message", "in", rng.choice(["email", "whatsapp", "webform"])
            actor = f"contact:{rng.randint(1, 40)}"
            text = rng.choice(INBOUND)
        elif roll < 0.75:
            kind, direction, channel, actor = "reply", "out", "email", f"user:{rng.randint(1, 6)}"
            text = rng.choice(OUTBOUND)
        elif roll < 0.9:
            kind, direction, channel, actor = "note", "internal", "ui", f"user:{rng.randint(1, 6)}"
            text = rng.choice(NOTES)
        else:
            kind, direction, channel, actor = "status", "internal", "system", "system"
            text = ""
            new = rng.choice([item for item in STATUSES if item != status])
            data = {"from": status, "to": new}
            status = new
        subject = f"Re: Pesanan INV-2026-{seq % 97:04d}" if text else ""
        content = {"subject": subject, "text": text, "html": f"<p>{text}</p>" if text else ""}
        salt = rng.randbytes(16)
        occurred = moment - timedelta(seconds=rng.randint(0, 90))
        if channel == "email" and direction == "in":
            raw = _raw_email(rng, subject, text, occurred)
        if kind in ("message", "reply") and rng.random() < 0.3:
            for number in range(rng.randint(1, 2)):
                payload = b"%PDF-1.7\n" + rng.randbytes(rng.randint(200, 3000))
                name = rng.choice(["faktur.pdf", "bukti-transfer.jpg", "quotation.pdf"])
                sha = hashlib.sha256(payload).hexdigest()
                blobs[sha] = payload
                attachments.append(
                    {"sha256": sha, "size": len(payload), "name": f"{number}-{name}"}
                )
        if raw:
            blobs[hashlib.sha256(raw).hexdigest()] = raw
        body = {
            "v": 1,
            "ticket": ticket,
            "seq": seq,
            "prev": prev,
            "kind": kind,
            "direction": direction,
            "channel": channel,
            "actor": actor,
            "occurred_at": utc_timestamp(occurred),
            "recorded_at": utc_timestamp(moment),
            "content_sha256": content_digest(salt, content),
            "raw_sha256": hashlib.sha256(raw).hexdigest() if raw else "",
            "attachments": attachments,
            "data": data,
        }
        if edit is not None:
            edit(body)
        prev = entry_hash(body)
        records.append(Record(hash=prev, body=body, content=content, salt=salt))
    fixture = Fixture(records, blobs)
    fixture.records = [
        dataclasses.replace(record, blob_digest=fixture.blob_digest) for record in records
    ]
    return fixture


def rehashed(record: Record, **changes: Any) -> Record:
    """Return `record` with its body changed and its hash recomputed, as a careful forger would."""
    body = {**record.body, **changes}
    return dataclasses.replace(record, body=body, hash=entry_hash(body))


def with_body(record: Record, **changes: Any) -> Record:
    """Return `record` with its body changed but its stored hash kept."""
    return dataclasses.replace(record, body={**record.body, **changes})


def first_with(fixture: Fixture, test: Callable[[dict[str, Any]], bool]) -> int:
    """Return the index of the first record whose body passes `test`."""
    return next(index for index, record in enumerate(fixture.records) if test(record.body))


def report_of(records: list[Record], **options: Any) -> list[tuple[str, int | None]]:
    options.setdefault("max_skew", SKEW)
    options.setdefault("now", NOW)
    report = verify_chain(records, keep=1000, **options)
    return [(problem.code.value, problem.seq) for problem in report.problems]


CHAIN = build_chain(300)


def _attachment_swapped(fixture: Fixture) -> tuple[list[Record], dict[str, bytes]]:
    index = first_with(fixture, lambda body: bool(body["attachments"]))
    sha = fixture.records[index].body["attachments"][0]["sha256"]
    return fixture.records, {**fixture.blobs, sha: b"%PDF-1.7\nfaktur palsu"}


def _raw_changed(fixture: Fixture) -> tuple[list[Record], dict[str, bytes]]:
    index = first_with(fixture, lambda body: bool(body["raw_sha256"]))
    sha = fixture.records[index].body["raw_sha256"]
    edited = fixture.blobs[sha].replace(b"Rp 12.500.000", b"Rp 1.250.000").replace(b"a", b"@", 1)
    return fixture.records, {**fixture.blobs, sha: edited}


def _content_changed(records: list[Record]) -> list[Record]:
    changed = list(records)
    record = changed[76]
    content = {**(record.content or {}), "text": "Saya tidak pernah mengeluh."}
    changed[76] = dataclasses.replace(record, content=content)
    return changed


def _fork(records: list[Record]) -> list[Record]:
    twin = rehashed(records[249], kind="note", data={"forked": True})
    return [*records[:250], twin, *records[250:]]


def _inserted_before_last(records: list[Record]) -> list[Record]:
    forged = rehashed(records[-1], kind="note", data={"claim": "customer agreed"}, attachments=[])
    moved = rehashed(records[-1], seq=301)
    return [*records[:-1], forged, moved]


def _foreign_entry(records: list[Record]) -> list[Record]:
    other = build_chain(200, ticket="0999", seed=11).records
    return [*records[:180], other[180], *records[180:]]


DAMAGE: list[tuple[str, Callable[[list[Record]], list[Record]], list[tuple[str, int | None]]]] = [
    ("untouched", lambda records: records, []),
    (
        "E01 body edited, hash kept",
        lambda records: [*records[:119], with_body(records[119], kind="note"), *records[120:]],
        [("E01", 120)],
    ),
    ("E09 content edited", _content_changed, [("E09", 77)]),
    ("E02 entry deleted", lambda records: records[:149] + records[150:], [("E02", 150)]),
    (
        "E02 first entry deleted",
        lambda records: records[1:],
        [("E02", 1)],
    ),
    (
        "E02 entry replaced by a rehashed forgery",
        lambda records: [*records[:99], rehashed(records[99], kind="note"), *records[100:]],
        [("E02", 101)],
    ),
    (
        "E03 second entry with the same seq",
        lambda records: [*records[:200], rehashed(records[200], prev="ab" * 32), *records[200:]],
        [("E03", 201)],
    ),
    ("E03 forged entry before the last one", _inserted_before_last, [("E03", 300)]),
    ("E03 entry from another ticket", _foreign_entry, [("E03", 181)]),
    (
        "E04 neighbours swapped",
        lambda records: [*records[:39], records[40], records[39], *records[41:]],
        [("E04", 40)],
    ),
    (
        "E04 entry moved two places back",
        lambda records: [*records[:9], records[10], records[11], records[9], *records[12:]],
        [("E02", 10), ("E04", 10)],
    ),
    ("E12 fork", _fork, [("E12", 250)]),
]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [pytest.param(damage, expected, id=name) for name, damage, expected in DAMAGE],
)
def test_damage_is_reported_at_the_first_bad_entry(
    damage: Callable[[list[Record]], list[Record]], expected: list[tuple[str, int | None]]
) -> None:
    """Each kind of damage yields exactly its problems, naming the first entry it affects."""
    assert report_of(damage(CHAIN.records)) == expected


@pytest.mark.parametrize(
    "damage",
    [pytest.param(_attachment_swapped, id="attachment"), pytest.param(_raw_changed, id="raw")],
)
def test_changed_stored_bytes_are_reported_while_the_log_is_intact(
    damage: Callable[[Fixture], tuple[list[Record], dict[str, bytes]]],
) -> None:
    """Swapped attachment or edited raw e-mail bytes give E09 on their entry and nothing else."""
    records, blobs = damage(CHAIN)
    fixture = Fixture(records, blobs)
    rebound = [dataclasses.replace(record, blob_digest=fixture.blob_digest) for record in records]
    report = verify_chain(rebound, max_skew=SKEW, now=NOW)
    assert [problem.code for problem in report.problems] == [Code.DIGEST_MISMATCH]
    assert report.first_bad == report.problems[0].seq


def test_missing_attachment_is_reported() -> None:
    """A blob the body names but storage no longer holds is reported as missing."""
    index = first_with(CHAIN, lambda body: bool(body["attachments"]))
    sha = CHAIN.records[index].body["attachments"][0]["sha256"]
    fixture = Fixture(CHAIN.records, {k: v for k, v in CHAIN.blobs.items() if k != sha})
    records = [dataclasses.replace(item, blob_digest=fixture.blob_digest) for item in CHAIN.records]
    report = verify_chain(records, max_skew=SKEW, now=NOW)
    assert [(p.code, p.seq) for p in report.problems] == [(Code.DIGEST_MISMATCH, index + 1)]
    assert "missing" in report.problems[0].message


def test_untouched_chain_reports_count_and_head() -> None:
    """A clean chain verifies with no problems and names its last entry as head."""
    report = verify_chain(CHAIN.records, max_skew=SKEW, now=NOW)
    assert report.ok
    assert (report.count, report.head_seq, report.head) == (300, 300, CHAIN.records[-1].hash)
    assert report.first_bad is None


def test_erased_content_still_verifies_and_is_reported_as_erased() -> None:
    """Erasing content, salt and blobs of an entry keeps the chain valid and notes E14."""
    index = first_with(CHAIN, lambda body: bool(body["attachments"]) and bool(body["raw_sha256"]))
    body = CHAIN.records[index].body
    gone = {body["raw_sha256"], *(item["sha256"] for item in body["attachments"])}
    fixture = Fixture([], {sha: data for sha, data in CHAIN.blobs.items() if sha not in gone})
    records = [
        dataclasses.replace(record, blob_digest=fixture.blob_digest) for record in CHAIN.records
    ]
    records[index] = dataclasses.replace(
        records[index],
        content=None,
        salt=None,
        redacted={"at": "2026-11-01T00:00:00.000000Z", "by": "user:2", "reason": "PDP request"},
    )
    report = verify_chain(records, max_skew=SKEW, now=NOW)
    assert report.ok
    assert [(p.code, p.seq, p.severity) for p in report.problems] == [
        (Code.CONTENT_ERASED, index + 1, Severity.INFO)
    ]


@pytest.mark.parametrize(
    ("records", "expected_seq", "expected"),
    [
        pytest.param(CHAIN.records, 300, [], id="matches"),
        pytest.param(CHAIN.records, 250, [], id="matches an earlier head, chain grew since"),
        pytest.param(CHAIN.records[:280], 300, [("E05", 281)], id="E05 tail cut off"),
        pytest.param([], 300, [("E05", 1)], id="E05 everything gone"),
    ],
)
def test_chain_is_checked_against_the_signed_head(
    records: list[Record], expected_seq: int, expected: list[tuple[str, int]]
) -> None:
    """The entry a checkpoint signed must still be there, with the signed hash."""
    head = CHAIN.records[expected_seq - 1].hash
    assert report_of(records, expected_head=head, expected_seq=expected_seq) == expected


def test_rewritten_history_differs_from_the_signed_head() -> None:
    """Re-hashing and re-linking everything from entry 200 on shows as E06 at the signed entry."""
    rewritten = build_chain(
        300, edit=lambda body: body.update(kind="note") if body["seq"] == 200 else None
    )
    expected_head = CHAIN.records[299].hash
    problems = report_of(rewritten.records, expected_head=expected_head, expected_seq=300)
    assert problems == [("E06", 300)]
    assert report_of(rewritten.records, expected_head=expected_head) == [("E06", 300)]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda body: (
                body.update(recorded_at="2026-09-01T00:00:00.000000Z")
                if body["seq"] == 60
                else None
            ),
            [("E11", 60)],
            id="recorded before its predecessor",
        ),
        pytest.param(
            lambda body: (
                body.update(occurred_at="2027-01-01T00:00:00.000000Z")
                if body["seq"] == 61
                else None
            ),
            [("E11", 61), ("E11", 62)],
            id="occurred in the future, the next one then earlier",
        ),
        pytest.param(
            lambda body: body.update(direction="sideways") if body["seq"] == 5 else None,
            [("E13", 5)],
            id="E13 malformed body",
        ),
    ],
)
def test_odd_bodies_are_reported(
    edit: Callable[[dict[str, Any]], None], expected: list[tuple[str, int]]
) -> None:
    """Implausible times warn (E11) and malformed bodies are errors (E13), in a valid chain."""
    fixture = build_chain(100, edit=edit)
    report = verify_chain(fixture.records, max_skew=SKEW, now=NOW)
    assert [(p.code.value, p.seq) for p in report.problems] == expected
    assert report.ok == all(code == "E11" for code, _ in expected)


def test_small_clock_differences_within_the_skew_are_accepted() -> None:
    """An entry stamped a few minutes before its predecessor is not flagged."""

    def earlier(body: dict[str, Any]) -> None:
        if body["seq"] == 30:
            moment = parse_timestamp(body["recorded_at"]) - timedelta(hours=5)
            body["occurred_at"] = body["recorded_at"] = utc_timestamp(moment)

    problems = report_of(build_chain(40, edit=earlier).records, max_skew=timedelta(hours=6))
    assert problems == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"v": 2}, "version"),
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"prev": "ABC"}, "hex"),
        ({"raw_sha256": "xyz"}, "raw_sha256"),
        ({"occurred_at": "2026-11-22T03:04:05Z"}, "occurred_at"),
        ({"attachments": [{"sha256": "0" * 64, "size": -1, "name": "a"}]}, "attachment"),
        ({"extra": 1}, "unknown fields"),
    ],
)
def test_body_error_explains_what_is_wrong(change: dict[str, Any], reason: str) -> None:
    """body_error names the offending part of a body."""
    body = {**CHAIN.records[0].body, **change}
    error = body_error(body)
    assert error is not None
    assert reason in error


def test_body_error_accepts_generated_bodies() -> None:
    """Every generated body is a valid version 1 body."""
    assert all(body_error(record.body) is None for record in CHAIN.records)


def test_content_digest_depends_on_salt_and_normalises_text() -> None:
    """The same words typed precomposed or decomposed digest alike; another salt differs."""
    salt = bytes(16)
    assert content_digest(salt, {"text": "Caf\u00e9"}) == content_digest(
        salt, {"text": "Cafe\u0301"}
    )
    assert content_digest(salt, {"text": "ok"}) != content_digest(bytes([1] * 16), {"text": "ok"})


def test_timestamps_round_trip_and_refuse_naive_times() -> None:
    """utc_timestamp writes UTC with microseconds; naive datetimes are refused."""
    moment = datetime(2026, 11, 22, 10, 4, 5, 123456, tzinfo=UTC)
    assert utc_timestamp(moment) == "2026-11-22T10:04:05.123456Z"
    assert parse_timestamp(utc_timestamp(moment)) == moment
    with pytest.raises(ValueError):
        utc_timestamp(datetime(2026, 11, 22))


@settings(max_examples=60, deadline=None)
@given(
    index=st.integers(min_value=0, max_value=59),
    field=st.sampled_from(["kind", "actor", "channel", "occurred_at", "content_sha256"]),
    position=st.integers(min_value=0, max_value=63),
)
def test_any_changed_character_is_detected(index: int, field: str, position: int) -> None:
    """Changing one character of any field of any entry is reported at that entry."""
    records = list(CHAIN.records[:60])
    value = records[index].body[field]
    spot = position % len(value)
    replacement = "0" if value[spot] != "0" else "1"
    records[index] = with_body(
        records[index], **{field: value[:spot] + replacement + value[spot + 1 :]}
    )
    report = verify_chain(records, max_skew=SKEW, now=NOW)
    assert report.first_bad == index + 1


def _generated_bodies(count: int) -> Iterator[Record]:
    """Yield `count` linked minimal records without keeping any of them."""
    prev = GENESIS
    moment = START
    step = timedelta(seconds=7)
    for seq in range(1, count + 1):
        moment += step
        stamp = utc_timestamp(moment)
        body = {
            "v": 1,
            "ticket": "7",
            "seq": seq,
            "prev": prev,
            "kind": "message",
            "direction": "in",
            "channel": "whatsapp",
            "actor": "contact:1",
            "occurred_at": stamp,
            "recorded_at": stamp,
            "content_sha256": prev,
            "raw_sha256": "",
            "attachments": [],
            "data": {},
        }
        prev = entry_hash(body)
        yield Record(hash=prev, body=body)


def _traced(records: Iterator[Record], *, untraced: int) -> Iterator[Record]:
    """Pass records through, starting tracemalloc after the first `untraced` of them."""
    for number, record in enumerate(records):
        if number == untraced:
            tracemalloc.start()
        yield record


def _verify_generated(count: int, *, untraced: int = 0) -> tuple[int, float, int]:
    """Verify `count` generated entries; return problems, seconds and the traced peak in bytes."""
    verifier = ChainVerifier(max_skew=SKEW, now=datetime(2030, 1, 1, tzinfo=UTC))
    try:
        started = time.perf_counter()
        problems = sum(
            1 for _ in verifier.check(_traced(_generated_bodies(count), untraced=untraced))
        )
        elapsed = time.perf_counter() - started
        tracing = tracemalloc.is_tracing()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tracing
    assert verifier.count == count
    return problems, elapsed, peak


def test_verification_memory_does_not_grow_with_the_chain() -> None:
    """While the last 10,000 of 100,000 entries are verified, memory in use stays flat.

    Tracing every allocation makes Python about ten times slower, so only the tail is traced:
    anything kept per entry would pile up there too.
    """
    problems, _, peak = _verify_generated(100_000, untraced=90_000)
    assert problems == 0
    assert peak < 256 * 1024


@pytest.mark.slow
def test_a_million_entries_verify_in_constant_memory(request: pytest.FixtureRequest) -> None:
    """1,000,000 streamed entries verify with a traced peak of well under 2 MB."""
    if "slow" not in request.config.getoption("markexpr"):
        pytest.skip("takes minutes with every allocation traced; run with -m slow")
    problems, _, peak = _verify_generated(1_000_000)
    assert problems == 0
    assert peak < 2 * 1024 * 1024
