"""HTTP load on a real gunicorn serving Layan: req/s, p50, p99 and errors per scenario.

gunicorn runs as `layan run` starts it (2 workers, 4 threads each; `--threads 1` for the
synchronous workers that suit a buffering reverse proxy, as `layan run --threads 1` serves)
on 127.0.0.1, with
`site_settings` (Layan's settings plus the trivial `/bench/ping`, the framework ceiling). Each
scenario sends a fixed number of requests from a fixed number of client threads, one fresh
connection per request, and stops early at its time limit (then `stopped_early` is set).
Pages are fetched signed in (session cookie from the real login form), the API with a token
from `layan token create`.

Run on its own it loads a small generated installation (`--tickets`, default 2,000) and
measures every scenario; `read_paths.py` uses the same machinery at 100,000 and 1,000,000.

    .venv/bin/python bench/http_load.py [--tickets 2000] [--requests 200] [--concurrency 4]
                                        [--threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from common import db_label, installation, layan, record  # noqa: E402
from dataset import load_into  # noqa: E402

from layan.insight.corpus import read_examples  # noqa: E402

HOST = "127.0.0.1"
MANAGER = "dewi"  # sees every ticket
AGENT = "agus"  # sees his team's tickets and his own


@contextmanager
def gunicorn(
    env: Mapping[str, str], *, workers: int = 2, threads: int = 4
) -> Iterator[tuple[int, int]]:
    """Serve the installation `env` describes on a free local port; yield the port and the
    master process's id."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    log_path = Path(env["LAYAN_DATA_DIR"]) / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "layan.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--pythonpath",
        str(BENCH),
        "--graceful-timeout",
        "10",
    ]
    served = {**env, "DJANGO_SETTINGS_MODULE": "site_settings", "LAYAN_LOG_LEVEL": "WARNING"}
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=served, cwd=ROOT, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while fetch(port, "GET", "/healthz")[0] != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log_path}")
                time.sleep(0.2)
            yield port, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _workers(master: int) -> list[str]:
    return Path(f"/proc/{master}/task/{master}/children").read_text().split()


def workers_rss_mb(master: int) -> list[float]:
    """Return the resident memory of each worker of a gunicorn master, in MB (Linux)."""
    sizes = []
    for child in _workers(master):
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(round(int(line.split()[1]) / 1024, 1))
    return sizes


def workers_usage(master: int) -> tuple[float, int]:
    """Return the processor seconds (user and kernel) and the context switches of a gunicorn
    master's workers so far, every thread counted (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds, switches = 0.0, 0
    for child in _workers(master):
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        seconds += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        for task in Path(f"/proc/{child}/task").iterdir():
            try:
                status = (task / "status").read_text()
            except FileNotFoundError:  # a thread that ended meanwhile
                continue
            for line in status.splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
    return seconds, switches


def fetch(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> tuple[int, http.client.HTTPResponse | None, bytes]:
    """Send one request on a fresh connection; status 0 when the connection failed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(
            method, path, body=body, headers={"Connection": "close", **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response, response.read()
    except (OSError, http.client.HTTPException):
        return 0, None, b""
    finally:
        connection.close()


def _cookies(response: http.client.HTTPResponse | None) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    if response is not None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def session_login(port: int, username: str, password: str) -> dict[str, str]:
    """Sign in through the login form; return the headers that carry the session."""
    _status, response, _body = fetch(port, "GET", "/login/")
    cookies = _cookies(response)
    form = urlencode(
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": cookies.get("csrftoken", ""),
        }
    ).encode()
    status, response, _body = fetch(
        port,
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies.get('csrftoken', '')}",
        },
    )
    cookies.update(_cookies(response))
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login as {username} failed with HTTP {status}")
    jar = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return {"Cookie": jar, "X-CSRFToken": cookies.get("csrftoken", "")}


def api_token(env: Mapping[str, str], username: str) -> dict[str, str]:
    key = layan(["token", "create", username, "--name", "bench"], dict(env)).stdout.strip()
    return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class Scenario:
    """What one request of a scenario is; `path` and `body` take the request's number."""

    name: str
    path: Callable[[int], str]
    headers: Mapping[str, str]
    method: str = "GET"
    body: Callable[[int], Mapping[str, Any]] | None = None
    expect: tuple[int, ...] = (200,)
    share: float = 1.0  # of the run's request count: heavy pages get fewer


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    issued: int = 0


def scenario_run(
    port: int, scenario: Scenario, *, requests: int, concurrency: int, seconds: float
) -> dict[str, Any]:
    """Send `requests` requests from `concurrency` threads (or fewer, at the time limit)."""
    total = max(1, round(requests * scenario.share))
    tally = _Tally()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while True:
            with lock:
                if tally.issued >= total or time.monotonic() > deadline:
                    return
                number = tally.issued
                tally.issued += 1
            headers = dict(scenario.headers)
            body = None
            if scenario.body is not None:
                body = json.dumps(scenario.body(number)).encode()
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            status, _response, _content = fetch(
                port, scenario.method, scenario.path(number), body=body, headers=headers
            )
            elapsed = time.perf_counter() - started
            with lock:
                tally.latencies.append(elapsed)
                tally.statuses[status] += 1
                tally.errors += status not in scenario.expect

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    done = len(tally.latencies)
    ordered = sorted(tally.latencies) or [0.0]
    return {
        "requests": done,
        "errors": tally.errors,
        "req_per_s": round(done / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(done - 1, int(done * 0.99))] * 1000, 1),
        "statuses": {str(code): count for code, count in sorted(tally.statuses.items())},
        "stopped_early": done < total,
    }


# Customer messages written for the analysis's evaluation and training: creations carry one
# of these 274 texts in turn, so the analysis meets new words as it would in use (one text
# sent again and again kept every word in its caches).
WRITTEN = ROOT / "layan/insight/data/written"


def customer_texts() -> list[str]:
    """The texts of the written message sets, in file order."""
    return [
        example.text
        for name in ("messages_eval.tsv", "messages_train.tsv")
        for example in read_examples(WRITTEN / name, "sentiment")
    ]


def scenarios_for(
    summary: Mapping[str, Any],
    *,
    manager: Mapping[str, str],
    agent: Mapping[str, str],
    token: Mapping[str, str] | None,
    seed: int = 7,
) -> list[Scenario]:
    """Return the standard scenarios over a generated installation described by `summary`."""
    rng = random.Random(seed)
    first, last = summary["first_reference"], summary["last_reference"]
    references = [rng.randint(first, last) for _ in range(1000)]
    low, high = summary["customer_ids"]
    customers = [rng.randint(low, high) for _ in range(1000)]
    rare, common = quote(summary["rare_word"]), quote(summary["common_word"])
    pairs = summary["pairs"]
    texts = customer_texts()

    def pick(items: list[int]) -> Callable[[int], int]:
        return lambda number: items[number % len(items)]

    ref, customer = pick(references), pick(customers)
    pages = [
        Scenario("ceiling_ping", lambda n: "/bench/ping", manager),
        Scenario("inbox", lambda n: "/tickets/", manager),
        Scenario("inbox_open_high", lambda n: "/tickets/?status=open&priority=high", manager),
        Scenario("inbox_owner_me", lambda n: "/tickets/?owner=me", manager),
        Scenario("inbox_q_common", lambda n: f"/tickets/?q={common}", manager, share=0.25),
        Scenario("inbox_agent", lambda n: "/tickets/", agent),
        Scenario("ticket", lambda n: f"/tickets/{ref(n)}/", manager),
        Scenario("customer", lambda n: f"/customers/{customer(n)}/", manager),
        Scenario("customer_top", lambda n: f"/customers/{summary['top_customer']}/", manager),
        Scenario("search_rare", lambda n: f"/tickets/?status=&q={rare}", manager, share=0.1),
        Scenario("search_common", lambda n: f"/tickets/?status=&q={common}", manager, share=0.1),
        Scenario("reports_sla", lambda n: "/reports/", manager, share=0.1),
        Scenario("reports_fairness", lambda n: "/reports/fairness/", manager, share=0.1),
    ]
    if token is None:
        return pages
    return [
        *pages,
        Scenario("api_list_open", lambda n: "/api/v1/tickets?status=open", token),
        Scenario("api_ticket", lambda n: f"/api/v1/tickets/{ref(n)}", token),
        Scenario(
            "api_create",
            lambda n: "/api/v1/tickets",
            token,
            method="POST",
            body=lambda n: {
                "customer_id": pairs[n % len(pairs)][0],
                "requester_id": pairs[n % len(pairs)][1],
                "subject": f"Pesanan brosur nomor {n} belum sampai",
                "text": texts[n % len(texts)],
                "category": "complaint",
                "priority": "high",
                "team_id": None,
            },
            expect=(201,),
        ),
        Scenario(
            "api_reply",
            lambda n: f"/api/v1/tickets/{ref(n)}/replies",
            token,
            method="POST",
            body=lambda n: {"text": "Baik, kami cek ke gudang dan kabari sore ini. Salam, Dewi"},
            expect=(201,),
        ),
    ]


def load_run(
    env: Mapping[str, str],
    summary: Mapping[str, Any],
    *,
    requests: int,
    concurrency: int,
    seconds: float,
    only: set[str] | None = None,
    threads: int = 4,
) -> dict[str, Any]:
    """Serve the installation (2 workers of `threads` threads) and run every scenario; return
    figures per scenario and the names of scenarios that could not run."""
    load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews every figure
    with gunicorn(env, threads=threads) as (port, master):
        manager = session_login(port, MANAGER, summary["password"])
        agent = session_login(port, AGENT, summary["password"])
        skipped = []
        token: dict[str, str] | None = None
        try:
            token = api_token(env, MANAGER)
        except subprocess.CalledProcessError as error:
            skipped.append(f"api: `layan token create` failed: {error.stderr.strip()[-200:]}")
        if token and fetch(port, "GET", "/api/v1/tickets?limit=1", headers=token)[0] != 200:
            token = None
            skipped.append("api: /api/v1/tickets did not answer 200")
        results = {}
        for scenario in scenarios_for(summary, manager=manager, agent=agent, token=token):
            if only and scenario.name not in only:
                continue
            # Warm both workers (templates, URL resolver, first connection) off the record.
            scenario_run(
                port, scenario, requests=2 * concurrency, concurrency=concurrency, seconds=seconds
            )
            used_before, switched_before = workers_usage(master)
            figures = scenario_run(
                port, scenario, requests=requests, concurrency=concurrency, seconds=seconds
            )
            used, switched = workers_usage(master)
            served = max(figures["requests"], 1)
            # The workers' processor and context switches per request: a request that lets go
            # of Python's lock often hands it to another thread and back (ADR 0023).
            figures["worker_cpu_ms"] = round((used - used_before) * 1000 / served, 2)
            figures["worker_switches"] = round((switched - switched_before) / served, 1)
            results[scenario.name] = figures
            print(scenario.name, json.dumps(results[scenario.name]), file=sys.stderr)
        # After every scenario: what each worker holds once it has served all of them.
        rss = workers_rss_mb(master)
    ceiling = results.get("ceiling_ping", {}).get("req_per_s") or 0
    ratios = {
        name: round(figures["req_per_s"] / ceiling, 3)
        for name, figures in results.items()
        if ceiling and name != "ceiling_ping"
    }
    return {
        "server": f"gunicorn 2 workers x {threads} threads",
        "load_avg_before": load_before,
        "scenarios": results,
        "of_ceiling": ratios,
        "skipped": skipped,
        "worker_rss_mb": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60, help="time limit per scenario")
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    parser.add_argument("--threads", type=int, default=4, help="per gunicorn worker")
    options = parser.parse_args()
    with installation() as env:
        summary = load_into(env, tickets=options.tickets)
        figures = load_run(
            env,
            summary,
            requests=options.requests,
            concurrency=options.concurrency,
            seconds=options.seconds,
            only=set(options.only or ()),
            threads=options.threads,
        )
    record(
        "http_load",
        {
            "tickets": options.tickets,
            "concurrency": options.concurrency,
            **figures,
        },
        db=db_label(),
    )


if __name__ == "__main__":
    main()
