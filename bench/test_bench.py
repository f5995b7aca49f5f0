"""Tests of the benchmark tools: the generated dataset is valid, the load generator counts right.

.venv/bin/pytest -q bench/test_bench.py
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
from run_all import HELPERS, scripts

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
