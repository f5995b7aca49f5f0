"""Ingestion: `layan import-mail` on a generated 10,000-message archive.

Figures: messages/s for the whole pipeline (parse, dedupe, contact, thread, logbook, raw and
attachments stored), the share of replies that joined their thread's ticket, and the peak
memory of the import process; the median of `--runs` imports, each into a fresh installation,
with every run's rate and processor time. Runs on SQLite, or on PostgreSQL when DATABASE_URL
is set.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import WORK, db_label, installation, layan, record
from mailcorpus import generate

THREADING = """
import json, sys, django
django.setup()
from layan.channels.models import InboundRecord
manifest = json.load(open(sys.argv[1]))
ticket_of = dict(InboundRecord.objects.exclude(outcome="duplicate").values_list("external_id", "ticket_id"))
first_ticket = {}
joined = replies = 0
for message_id, thread in manifest["thread_of"].items():
    ticket = ticket_of.get(message_id)
    if thread not in first_ticket:
        first_ticket[thread] = ticket
        continue
    replies += 1
    joined += ticket is not None and ticket == first_ticket[thread]
print(json.dumps({"replies": replies, "joined": joined}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument(
        "--corpus",
        type=Path,
        default=WORK / "corpus",
        help="where archives are generated once and kept (default bench/work/corpus)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="imports, each into a fresh installation; the figures are their median (default 3)",
    )
    options = parser.parse_args()
    folder = options.corpus / f"mail-{options.count}"
    manifest = folder.parent / f"{folder.name}.manifest.json"
    if not manifest.exists():  # written last: a folder without it is an interrupted run
        generate(folder, count=options.count)
    expected = json.loads(manifest.read_text())
    runs: list[dict[str, Any]] = []
    # Every installation is removed only after the last import. On ext4 without a journal
    # (this machine's disk), creating files scans past the ones deleted in the last minutes,
    # so removing one run's thousands of blob files would slow the next run's writes.
    with ExitStack() as installations:
        envs = [installations.enter_context(installation()) for _ in range(max(options.runs, 1))]
        new_file_us = _new_file_us(Path(envs[0]["LAYAN_DATA_DIR"]) / "probe")
        for env in envs:
            runs.append(_import(folder, manifest, env))
    middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    record(
        "ingest",
        {
            "corpus_messages": expected["messages"],
            "messages": middle["read"],
            "runs": len(runs),
            "seconds": round(middle["seconds"], 1),
            "messages_per_s": round(middle["read"] / middle["seconds"], 1),
            "messages_per_s_runs": [round(run["read"] / run["seconds"], 1) for run in runs],
            # Processor time of each import and of the worker it started: where the time went.
            "user_s_runs": [round(run["user"], 2) for run in runs],
            "system_s_runs": [round(run["system"], 2) for run in runs],
            "new_tickets": middle["new_tickets"],
            "threaded": middle["threaded"],
            "failed": max(run["failed"] for run in runs),
            "replies": middle["replies"],
            "replies_threaded_pct": min(
                round(100 * run["joined"] / max(run["replies"], 1), 2) for run in runs
            ),
            "peak_rss_mb": round(max(run["peak_kb"] for run in runs) / 1024, 1),
            # Processor time to create one small file here just before the imports: 12 to 50
            # µs normally, over 100 µs for minutes after many files were deleted (README.md,
            # ninth round), when the blob files cost the import seconds more.
            "new_file_us": new_file_us,
        },
        db=db_label(),
    )


def _new_file_us(folder: Path, count: int = 2_000) -> float:
    """Processor time per file to create `count` small files in `folder`, in 256 folders as
    blobs are; they stay until the installation holding them is removed."""
    for first in range(256):
        (folder / f"{first:02x}").mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_SELF)
    for number in range(count):
        (folder / f"{number % 256:02x}" / f"{number}.probe").write_bytes(b"x" * 3000)
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return round(used / count * 1e6, 1)


def _import(folder: Path, manifest: Path, env: dict[str, str]) -> dict[str, Any]:
    """Import the archive into the installation `env`; return the run's figures."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = layan(["import-mail", str(folder), "--quiet"], env)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    threading = json.loads(
        subprocess.run(
            [sys.executable, "-c", THREADING, str(manifest)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    return {
        **summary,
        **threading,
        "seconds": seconds,
        "user": after.ru_utime - before.ru_utime,
        "system": after.ru_stime - before.ru_stime,
        # The largest child so far: this import, its worker, or an earlier run's.
        "peak_kb": after.ru_maxrss,
    }


if __name__ == "__main__":
    main()
