"""Run every benchmark in bench/ in sequence, at sizes that keep the whole run under 20 minutes
on SQLite, then print a summary table. With DATABASE_URL set, the same runs go to PostgreSQL
(each benchmark creates and drops its own database).

    .venv/bin/python bench/run_all.py [--only read_paths http_load] [--timeout 600]
    make bench

On SQLite, `read_paths` copies its 100,000-ticket database from bench/work/ when an earlier run
cached it (the first run generates it: several minutes more). The 1,000,000-ticket and
10,000-message runs are not part of this: run those scripts on their own (see README.md).

A script added to bench/ later runs with its own defaults; give it a size in SIZES.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# Modules that are not benchmarks themselves.
HELPERS = {"common", "mailcorpus", "site_settings", "site_urls", "run_all"}
# Arguments per script: small enough for the 20-minute budget, big enough to mean something.
SIZES: dict[str, list[str]] = {
    "coach_bench": [],
    "insight_bench": [],
    "sla_bench": ["--tickets", "5000"],
    "logbook_bench": ["--entries", "50000", "--appends", "2000"],
    "ingest_bench": ["--count", "10000"],
    "dataset": ["--tickets", "20000", "--verify"],
    "http_load": ["--tickets", "2000", "--requests", "100"],
    "read_paths": ["--tickets", "100000", "--requests", "50", "--runs", "20", "--seconds", "30"],
}
# Seconds a script may take before it is stopped; the rest get --timeout. read_paths may have
# to generate its cached dataset first.
TIMEOUTS = {"read_paths": 1500.0}


def scripts() -> list[str]:
    """Return the benchmark scripts: the known ones in SIZES order, then any others by name."""
    found = {
        path.stem
        for path in BENCH.glob("*.py")
        if path.stem not in HELPERS and not path.stem.startswith("test_")
    }
    return [name for name in SIZES if name in found] + sorted(found - SIZES.keys())


def run(name: str, *, timeout: float) -> dict[str, Any]:
    """Run one script; return its status, duration and the figures of the line it printed."""
    command = [sys.executable, str(BENCH / f"{name}.py"), *SIZES.get(name, [])]
    started = time.perf_counter()
    # Its own session, so a timeout can stop the script and the servers it started.
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
        status = "ok" if process.returncode == 0 else f"failed ({process.returncode})"
    except subprocess.TimeoutExpired:
        # An interrupt lets the script drop its database and data directory on the way out.
        os.killpg(process.pid, signal.SIGINT)
        try:
            out, err = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
        status = "timeout"
    seconds = time.perf_counter() - started
    figures: dict[str, Any] = {}
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            figures = json.loads(line).get("figures", {})
            break
    if status != "ok":
        print(f"--- {name}: {status}\n{err[-2000:]}", file=sys.stderr)
    return {"name": name, "status": status, "seconds": seconds, "figures": figures}


def _headline(figures: dict[str, Any], limit: int = 6) -> str:
    values = [f"{key}={value}" for key, value in figures.items() if isinstance(value, int | float)]
    return ", ".join(values[:limit])


def summary_print(results: list[dict[str, Any]]) -> None:
    print(f"\n{'benchmark':<16} {'status':<12} {'seconds':>8}  figures")
    for result in results:
        print(
            f"{result['name']:<16} {result['status']:<12} {result['seconds']:>8.1f}  "
            f"{_headline(result['figures'])}"
        )
    for result in results:
        figures = result["figures"]
        scenarios = figures.get("scenarios") or {}
        if scenarios:
            ratios = figures.get("of_ceiling", {})
            print(f"\n{result['name']} over HTTP ({figures.get('tickets')} tickets)")
            print(
                f"  {'scenario':<20} {'req/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7} "
                f"{'x ceiling':>9}"
            )
            for name, item in scenarios.items():
                ratio = ratios.get(name, 1.0 if name == "ceiling_ping" else "")
                print(
                    f"  {name:<20} {item['req_per_s']:>8} {item['p50_ms']:>9} "
                    f"{item['p99_ms']:>9} {item['errors']:>7} {ratio!s:>9}"
                )
            for note in figures.get("skipped", []):
                print(f"  skipped: {note}")
        queries = figures.get("in_process") or {}
        if queries:
            print(f"\n{result['name']} in process ({figures.get('tickets')} tickets)")
            print(f"  {'query':<24} {'p50 ms':>9} {'p99 ms':>9} {'SQL':>5} {'slowest ms':>11}")
            for name, item in queries.items():
                print(
                    f"  {name:<24} {item['p50_ms']:>9} {item['p99_ms']:>9} "
                    f"{item['queries']:>5} {item['slowest_sql_ms']:>11}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="run only these scripts (names without .py)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per script")
    options = parser.parse_args()
    names = [name for name in scripts() if not options.only or name in options.only]
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("post") else "SQLite"
    print(f"Running {len(names)} benchmarks on {database}: {', '.join(names)}", flush=True)
    started = time.perf_counter()
    results = []
    for name in names:
        print(f"- {name} ...", end=" ", flush=True)
        result = run(name, timeout=max(TIMEOUTS.get(name, 0), options.timeout))
        print(f"{result['status']} in {result['seconds']:.0f} s", flush=True)
        results.append(result)
    summary_print(results)
    print(
        f"\nAll done in {(time.perf_counter() - started) / 60:.1f} minutes; figures appended to "
        "bench/results.jsonl."
    )
    if any(result["status"] != "ok" for result in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
