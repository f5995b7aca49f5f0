"""Ingestion: `layan import-mail` on a generated 10,000-message archive.

Figures: messages/s for the whole pipeline (parse, dedupe, contact, thread, logbook, raw and
attachments stored), the share of replies that joined their thread's ticket, and the peak
memory of the import process. Runs on SQLite, or on PostgreSQL when DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

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
    options = parser.parse_args()
    folder = options.corpus / f"mail-{options.count}"
    manifest = folder.parent / f"{folder.name}.manifest.json"
    if not manifest.exists():  # written last: a folder without it is an interrupted run
        generate(folder, count=options.count)
    expected = json.loads(manifest.read_text())
    with installation() as env:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        result = layan(["import-mail", str(folder), "--quiet"], env)
        seconds = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
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
    record(
        "ingest",
        {
            "corpus_messages": expected["messages"],
            "messages": summary["read"],
            "seconds": round(seconds, 1),
            "messages_per_s": round(summary["read"] / seconds, 1),
            "new_tickets": summary["new_tickets"],
            "threaded": summary["threaded"],
            "failed": summary["failed"],
            "replies": threading["replies"],
            "replies_threaded_pct": round(
                100 * threading["joined"] / max(threading["replies"], 1), 2
            ),
            "peak_rss_mb": round(max(peak_kb, before) / 1024, 1),
        },
        db=db_label(),
    )


if __name__ == "__main__":
    main()
