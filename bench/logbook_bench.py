"""Logbook: append throughput through the service, and verification of 1,000,000 entries.

Appends go through `entry_append` (lock the chain, hash, insert, move the head), one
transaction each, as replies and notes do. For verification a log of `--entries` entries is
written directly in bulk (valid chains, computed the same way), then `layan logbook verify`
runs in its own process: entries/s and that process's peak memory, which must not grow with
the log.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import db_label, installation, layan, record

WRITER = r"""
import os, sys, time, django
django.setup()
from datetime import timedelta
from django.db import transaction
from layan.core import clock
from layan.logbook.bodies import entry_body
from layan.logbook.chain import GENESIS, content_digest, entry_hash
from layan.logbook.models import Chain, Entry
from layan.logbook.services import chain_create, entry_append

mode, total, per_chain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if mode == "append":
    chains = [chain_create(label=f"A{n:06d}") for n in range(max(total // per_chain, 1))]
    started = time.perf_counter()
    for number in range(total):
        chain = chains[number % len(chains)]
        with transaction.atomic():
            entry_append(chain=chain, kind="note", direction="internal", channel="ui",
                         text=f"Catatan nomor {number}: pelanggan minta dikabari sore ini.")
    print(total / (time.perf_counter() - started))
    sys.exit()

# Bulk: valid chains written without the service, for a large log quickly.
now = clock.now() - timedelta(days=30)
salt = bytes(16)
written = 0
started = time.perf_counter()
label_number = 0
while written < total:
    batch = []
    heads = []
    with transaction.atomic():
        for _ in range(200):
            if written >= total:
                break
            label_number += 1
            chain = Chain.objects.create(label=f"B{label_number:07d}")
            prev = GENESIS
            for seq in range(1, per_chain + 1):
                text = f"Pesan {seq} tiket {label_number}: kemasan penyok, mohon dicek."
                entry = Entry(
                    chain=chain, seq=seq, prev_hash=prev, kind="message", direction="in",
                    channel="email", actor="system", occurred_at=now, recorded_at=now,
                    text=text, content_salt=salt.hex(),
                    content_sha256=content_digest(salt, {"subject": "", "text": text, "html": ""}),
                    data={}, external_id="",
                )
                entry.body_hash = entry_hash(entry_body(entry, chain_label=chain.label, attachments=[]))
                prev = entry.body_hash
                batch.append(entry)
                written += 1
            heads.append((chain.pk, per_chain, prev))
        Entry.objects.bulk_create(batch, batch_size=2000)
        for pk, seq, head in heads:
            Chain.objects.filter(pk=pk).update(head_seq=seq, head_hash=head)
print(written / (time.perf_counter() - started))
"""

VERIFIER = r"""
import io, json, resource, sys, time, django
django.setup()
from django.core.management import call_command
out = io.StringIO()
started = time.perf_counter()
try:
    call_command("logbook", "verify", "--no-blobs", "--json", stdout=out)
except SystemExit:
    pass
seconds = time.perf_counter() - started
report = json.loads(out.getvalue())
print(json.dumps({"seconds": seconds, "ok": report["ok"], "entries": report["entries"],
                  "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=20_000)
    options = parser.parse_args()
    with installation() as env:
        env = {**env, "LAYAN_LOG_LEVEL": "WARNING"}
        python = [sys.executable, "-c", WRITER]

        appended = float(
            subprocess.run(
                [*python, "append", str(options.appends), "20"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parents[1],
            ).stdout.strip()
        )
        written = float(
            subprocess.run(
                [*python, "bulk", str(options.entries), "5"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parents[1],
            ).stdout.strip()
        )
        layan(["logbook", "checkpoint"], env)
        verified = json.loads(
            subprocess.run(
                [sys.executable, "-c", VERIFIER],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parents[1],
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    record(
        "logbook",
        {
            "append_entries_per_s": round(appended, 1),
            "bulk_write_entries_per_s": round(written, 1),
            "verify_ok": verified["ok"],
            "verify_entries": verified["entries"],
            "verify_seconds": round(verified["seconds"], 1),
            "verify_entries_per_s": round(verified["entries"] / verified["seconds"], 1),
            "verify_peak_rss_mb": round(verified["peak_rss_kb"] / 1024, 1),
        },
        db=db_label(),
    )


if __name__ == "__main__":
    main()
