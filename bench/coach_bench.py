"""Reply coach speed: a typical reply, and the pathological drafts that once took seconds.

Prints one JSON line and appends it to bench/results.jsonl.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")

from common import record

from layan.insight.coach import coach_reply, load_rules

TYPICAL = (
    "Selamat siang Ibu Rina,\n\nTerima kasih atas kesabarannya. Mohon maaf atas keterlambatan "
    "pengiriman; paket Ibu kami kirim ulang besok pukul 10.00.\n\nSalam,\nAgus"
)
PATHOLOGICAL = {
    "held_down_key": "m" + "a" * 20_000 + " Pak Budi",
    "blank_lines": "Halo Pak Budi" + "\n" * 20_000,
    "sign_offs": "Pak Budi\n" + "Salam\n" * 4_000,
    "quoted_lines": "> dikutip\n" * 4_000 + "Pak Budi",
    "long_token": "x" * 20_000 + "@contoh.co.id Pak Budi",
    "repetition": "Terima kasih Pak Budi. " * 1_000,
}


def timed(text: str, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        coach_reply(
            text, language="id", honorific="Bapak", preferred_name="Budi", previous_replies=[text]
        )
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="runs of the typical reply")
    parser.add_argument("--repeat-pathological", type=int, default=3, help="runs of each draft")
    options = parser.parse_args()
    started = time.perf_counter()
    load_rules()
    load_ms = (time.perf_counter() - started) * 1000
    figures = {
        "rules_load_ms": round(load_ms, 1),
        "typical_reply_ms": round(timed(TYPICAL, options.repeat) * 1000, 2),
        **{
            f"{name}_ms": round(timed(text, options.repeat_pathological) * 1000, 1)
            for name, text in PATHOLOGICAL.items()
        },
    }
    record("coach", figures)


if __name__ == "__main__":
    main()
