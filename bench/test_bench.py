"""Tests of the benchmark tools: the generated dataset is valid, the load generator counts right,
and every script runs at a tiny size and prints one JSON line of the figures it promises.

.venv/bin/pytest -q bench/test_bench.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dataset import (
    ENTRIES_PER_TICKET,
    PASSWORD,
    Client,
    Person,
    Staff,
    TicketMaker,
    dataset_load,
    zipf_exponent,
)
from http_load import Scenario, scenario_run
from run_all import HELPERS, SIZES, scripts

UNTIL = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(("count", "share"), [(20_000, 0.02), (2_000, 0.02), (500, 0.05)])
def test_zipf_exponent_gives_the_biggest_customer_its_share(count: int, share: float) -> None:
    """The first of `count` Zipf weights carries `share` of the total."""
    exponent = zipf_exponent(count, share)
    weights = [k**-exponent for k in range(1, count + 1)]
    assert weights[0] / sum(weights) == pytest.approx(share, rel=0.01)


@pytest.fixture
def loaded(db: None) -> dict[str, object]:
    return dataset_load(tickets=300, seed=5, until=UNTIL, batch=120)


def test_dataset_chains_verify(loaded: dict[str, object]) -> None:
    """Every generated chain verifies with the product's own verifier."""
    from layan.logbook.verify import logbook_verify

    report = logbook_verify(now=UNTIL + timedelta(days=1), blobs=False)
    assert (report.chains, report.entries, report.errors) == (300, 300 * ENTRIES_PER_TICKET, 0)


def test_dataset_rows_match_the_product(loaded: dict[str, object]) -> None:
    """Tickets, chains, counters and logins are what the services would have left behind."""
    from django.contrib.auth import authenticate

    from layan.core.counters import counter_next
    from layan.logbook.models import Chain
    from layan.tickets.models import Ticket, Tone

    tickets = Ticket.objects.order_by("reference")
    assert tickets.count() == 300
    assert Tone.objects.count() == 300
    assert list(Chain.objects.values_list("head_seq", flat=True).distinct()) == [5]
    assert counter_next("ticket") == loaded["last_reference"] + 1  # type: ignore[operator]
    first = tickets.first()
    assert first is not None and first.chain.label == str(first.reference)
    assert tickets.last().updated_at <= UNTIL  # type: ignore[union-attr]
    assert authenticate(username="dewi", password=PASSWORD) is not None
    # Bulk rows reach the search index the way service writes do.
    assert loaded["search_index"] in ("in step", "none")


def test_dataset_is_deterministic() -> None:
    """The same seed and inputs give the same rows, whichever process builds the batch."""
    staff = Staff(
        users={"agus": 1},
        roles={1: "agent"},
        teams={"Layanan Pelanggan": 1},
        owners={"Layanan Pelanggan": ([1], [1])},
        account_managers=[1],
    )
    clients = [
        Client(1, "PT Sinar Jaya", "sinarjaya.co.id", (Person(1, "Rina K", "Rina", "Ibu", "id"),))
    ]

    def rows() -> list[tuple[object, ...]]:
        maker = TicketMaker(
            total=50,
            seed=9,
            until=UNTIL,
            staff=staff,
            clients=clients,
            cumulative=[1.0],
            first_reference=1000,
            bases={"ticket": 1, "chain": 1, "entry": 1, "tone": 1},
        )
        return maker.batch(10, 20).entries

    assert rows() == rows()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok" else 500)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"hi")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("path", "share", "done", "errors"), [("/ok", 1.0, 40, 0), ("/no", 0.25, 10, 10)]
)
def test_scenario_run_counts_requests_and_errors(
    server: int, path: str, share: float, done: int, errors: int
) -> None:
    """A scenario sends its share of the requests and counts unexpected statuses as errors."""
    scenario = Scenario("probe", lambda n: path, {}, share=share)
    result = scenario_run(server, scenario, requests=40, concurrency=4, seconds=30)
    assert (result["requests"], result["errors"], result["stopped_early"]) == (done, errors, False)
    assert result["p50_ms"] <= result["p99_ms"]


def test_run_all_finds_every_benchmark_and_no_helper() -> None:
    """run_all runs each script of bench/ that is a benchmark, and none of the helpers."""
    names = scripts()
    assert {"dataset", "http_load", "read_paths", "logbook_bench"} <= set(names)
    assert not HELPERS & set(names)


def test_run_all_gives_every_benchmark_a_size() -> None:
    """A benchmark without a budget size would run at its full default size in `make bench`."""
    assert set(scripts()) == set(SIZES)


BENCH = Path(__file__).resolve().parent
HTTP_KEYS = {"server", "load_avg_before", "scenarios", "of_ceiling", "skipped", "worker_rss_mb"}
SCENARIO_KEYS = {"requests", "errors", "req_per_s", "p50_ms", "p99_ms", "statuses"}
# Per script: its arguments at a tiny size, the name it records under, the figures it promises.
SMOKE: dict[str, tuple[list[str], str, set[str]]] = {
    "coach_bench": (
        ["--repeat", "3", "--repeat-pathological", "1"],
        "coach",
        {"rules_load_ms", "typical_reply_ms", "held_down_key_ms", "repetition_ms"},
    ),
    "insight_bench": (
        ["--rounds", "1"],
        "insight",
        {"messages", "analyze_per_s", "analyze_per_s_cold", "model_load_s", "rss_added_mib"},
    ),
    "sla_bench": (
        ["--tickets", "40"],
        "sla",
        {"tickets", "insert_s", "evaluate_per_s", "scan_s", "fairness_first_response_s"},
    ),
    "logbook_bench": (
        ["--entries", "100", "--appends", "20"],
        "logbook",
        {"append_entries_per_s", "bulk_write_entries_per_s", "verify_ok", "verify_entries_per_s"},
    ),
    "ingest_bench": (
        ["--count", "30", "--runs", "2"],  # --corpus is added per test
        "ingest",
        {
            *("corpus_messages", "messages", "messages_per_s", "failed", "replies_threaded_pct"),
            *("runs", "messages_per_s_runs", "user_s_runs", "system_s_runs", "new_file_us"),
        },
    ),
    "dataset": (
        ["--tickets", "100", "--verify"],
        "dataset",
        {"tickets", "entries", "rows_per_s", "tickets_per_s", "verify_ok", "verify_seconds"},
    ),
    "http_load": (
        [
            *("--tickets", "60", "--requests", "4", "--concurrency", "2"),
            *("--only", "ceiling_ping", "ticket", "api_create"),
        ],
        "http_load",
        {"tickets", "concurrency", *HTTP_KEYS},
    ),
    "read_paths": (
        ["--tickets", "100", "--runs", "2", "--no-cache", "--no-http"],
        "read_paths",
        {"tickets", "entries", "dataset", "load_seconds", "in_process"},
    ),
}


def test_every_benchmark_has_a_smoke_run() -> None:
    assert set(SMOKE) == set(scripts())


@pytest.mark.parametrize("name", list(SMOKE))
def test_benchmark_prints_one_json_line(name: str, tmp_path: Path) -> None:
    """The script runs at a tiny size, prints exactly one JSON line with its figures, and
    appends that same line to the results file (here a scratch one)."""
    arguments, bench, keys = SMOKE[name]
    if name == "ingest_bench":
        arguments = [*arguments, "--corpus", str(tmp_path / "corpus")]
    results = tmp_path / "results.jsonl"
    done = _bench_run(name, arguments, results)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, done.stdout
    line = json.loads(lines[0])
    assert {"bench", "ts", "db", "machine", "python_2m_additions_ms", "figures"} <= line.keys()
    assert line["python_2m_additions_ms"] > 0
    assert line["bench"] == bench
    assert keys <= line["figures"].keys(), sorted(line["figures"])
    assert results.read_text().splitlines() == [lines[0]]
    figures = line["figures"]
    if name == "http_load":
        scenarios = figures["scenarios"]
        assert set(scenarios) == {"ceiling_ping", "ticket", "api_create"}
        for item in scenarios.values():
            assert item.keys() >= SCENARIO_KEYS
            assert (item["requests"], item["errors"]) == (4, 0)
            assert item["worker_cpu_ms"] >= 0 and item["worker_switches"] > 0
        assert figures["of_ceiling"]["api_create"] > 0
        assert len(figures["worker_rss_mb"]) == 2
        assert all(size > 20 for size in figures["worker_rss_mb"])
    if name == "read_paths":
        assert {"inbox", "search_rare", "view_ticket"} <= figures["in_process"].keys()
    if name == "ingest_bench":
        assert figures["messages"] == figures["corpus_messages"] == 30
        assert figures["failed"] == 0
        assert figures["runs"] == len(figures["messages_per_s_runs"]) == 2
        assert all(seconds > 0 for seconds in figures["user_s_runs"])
        assert figures["new_file_us"] > 0
    if name in ("dataset", "logbook_bench"):
        assert figures["verify_ok"] is True


def test_http_load_serves_with_synchronous_workers(tmp_path: Path) -> None:
    """`--threads 1` serves with gunicorn's synchronous workers, and says so in its figures."""
    arguments = ["--threads", "1", "--tickets", "60", "--requests", "4", "--concurrency", "2"]
    done = _bench_run("http_load", [*arguments, "--only", "ticket"], tmp_path / "results.jsonl")
    figures = json.loads(done.stdout.strip().splitlines()[-1])["figures"]
    assert figures["server"] == "gunicorn 2 workers x 1 threads"
    ticket = figures["scenarios"]["ticket"]
    assert (ticket["requests"], ticket["errors"]) == (4, 0)


def _bench_run(name: str, arguments: list[str], results: Path) -> subprocess.CompletedProcess[str]:
    """Run one benchmark script at a tiny size, its figures going to `results`; it must succeed."""
    done = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), *arguments],
        env={**os.environ, "LAYAN_BENCH_RESULTS": str(results), "LAYAN_LOG_LEVEL": "WARNING"},
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done
