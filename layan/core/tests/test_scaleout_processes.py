"""Layan as several processes: RQ workers, `layan run` on RQ, and two web servers sharing one
database, one Redis and nothing else.

Every Layan process here is a real subprocess started with the environment an operator would
give it, against an installation of its own (a migrated SQLite file, or a PostgreSQL database
when the suite runs on PostgreSQL) and Redis database 11. Without Redis the tests skip, except
in CI, where they fail.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.tasks import task

REDIS_URL = os.environ.get("LAYAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
POSTGRES_URL = os.environ.get(
    "LAYAN_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
TIMEOUT = 180


@task()
def scaleout_task_that_fails(ticket_id: int) -> None:
    """A task for these tests only: it always raises."""
    raise RuntimeError(f"ticket {ticket_id} cannot be processed")


def _unavailable(what: str, error: Exception) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI: {error}")
    pytest.skip(f"{what} is not reachable: {error}")


@dataclass
class Installation:
    """One Layan installation that the test drives only through processes."""

    env: dict[str, str]
    root: Path

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "layan", *args]

    def run(self, code: str) -> Any:
        """Run Python in `layan shell` and return the JSON it printed last."""
        result = subprocess.run(
            self.command("shell", "--no-imports", "-c", textwrap.dedent(code)),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start(self, argv: list[str], *, log: str) -> subprocess.Popen[bytes]:
        handle = (self.root / log).open("wb")
        return subprocess.Popen(argv, env=self.env, stdout=handle, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        return (self.root / name).read_text(errors="replace")[-4000:]


def _redis() -> Any:
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisError as error:
        _unavailable("Redis", error)
    return client


@pytest.fixture(scope="module")
def redis_client() -> Iterator[Any]:
    client = _redis()
    client.flushdb()  # database 11 is these tests' own
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def installation(redis_client: Any) -> Iterator[Installation]:
    """A migrated installation on the suite's kind of database, tasks on RQ."""
    root = Path(tempfile.mkdtemp(prefix="layan-so-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LAYAN_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        LAYAN_DATA_DIR=str(root),
        REDIS_URL=REDIS_URL,
        LAYAN_TASKS="rq",
        SECRET_KEY="scale-out-test-secret-" + secrets.token_hex(16),
        LAYAN_LOG_LEVEL="WARNING",
    )
    database = None
    if connection.vendor == "postgresql":
        database = _database_create(f"layan_so_app_{os.getpid()}")
        env["DATABASE_URL"] = database
    migrated = subprocess.run(
        [sys.executable, "-m", "layan", "migrate", "--no-input", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    try:
        yield Installation(env=env, root=root)
    finally:
        if database:
            _database_drop(database)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def queue(installation: Installation, redis_client: Any) -> Any:
    from rq import Queue

    redis_client.flushdb()
    return Queue("default", connection=redis_client)


def _database_create(name: str) -> str:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        _unavailable("PostgreSQL", error)
    return urlunsplit(urlsplit(POSTGRES_URL)._replace(path="/" + name))


def _database_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _worker_burst(installation: Installation) -> None:
    """Run one RQ worker process until the queue is empty."""
    result = subprocess.run(
        installation.command("rqworker", "--burst", "default"),
        env=installation.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def _statuses(installation: Installation, ids: list[str]) -> list[str]:
    return installation.run(
        f"""
        import json
        from django.tasks import default_task_backend
        print(json.dumps([str(default_task_backend.get_result(i).status) for i in {ids!r}]))
        """
    )


OPEN_TICKET = """
    import json
    from django.db import transaction
    from layan.tickets.tests.factories import make_ticket
    {body}
"""


# --- Tasks on RQ ----------------------------------------------------------------------------


def test_a_ticket_change_is_worked_off_by_a_separate_rq_worker(
    installation: Installation, queue: Any
) -> None:
    """Opening a ticket enqueues its follow-up tasks on Redis; a worker process runs them
    against the same database and the results read SUCCESSFUL."""
    opened = installation.run(
        OPEN_TICKET.format(
            body="""
    ticket = make_ticket(subject="Paket belum sampai")
    from layan.sla.models import TicketSla
    print(json.dumps({"ticket": ticket.pk, "sla": TicketSla.objects.filter(ticket=ticket).count()}))
    """
        )
    )
    jobs = queue.get_jobs()
    assert sorted(job.func_name for job in jobs) == sorted(settings.LAYAN_TICKET_CHANGE_TASKS)
    assert all(tuple(job.args) == (opened["ticket"],) for job in jobs)
    assert opened["sla"] == 0  # only the task computes it

    _worker_burst(installation)

    ids = [job.id for job in jobs]
    assert _statuses(installation, ids) == ["SUCCESSFUL"] * len(ids)
    assert queue.count == 0
    sla = installation.run(
        f"""
        import json
        from layan.sla.models import TicketSla
        print(json.dumps(TicketSla.objects.filter(ticket_id={opened["ticket"]}).count()))
        """
    )
    assert sla == 1


def test_a_task_that_raises_is_recorded_as_failed(installation: Installation, queue: Any) -> None:
    """A failing task is kept with its exception, not lost."""
    from rq.registry import FailedJobRegistry

    enqueued = installation.run(
        """
        import json
        from layan.core.tests.test_scaleout_processes import scaleout_task_that_fails
        print(json.dumps(scaleout_task_that_fails.enqueue(7).id))
        """
    )
    _worker_burst(installation)

    result = installation.run(
        f"""
        import json
        from django.tasks import default_task_backend
        result = default_task_backend.get_result({enqueued!r})
        print(json.dumps({{
            "status": str(result.status),
            "errors": [e.exception_class_path for e in result.errors],
            "traceback": result.errors[0].traceback if result.errors else "",
        }}))
        """
    )
    assert result["status"] == "FAILED"
    assert result["errors"] == ["builtins.RuntimeError"]
    assert "ticket 7 cannot be processed" in result["traceback"]
    assert enqueued in FailedJobRegistry(queue=queue).get_job_ids()


def test_a_rolled_back_change_enqueues_nothing(installation: Installation, queue: Any) -> None:
    """Tasks are enqueued when the change commits: a rollback leaves the queue empty, while the
    committed change after it enqueues its tasks."""
    outcome = installation.run(
        OPEN_TICKET.format(
            body="""
    import django_rq
    with transaction.atomic():
        make_ticket(subject="Dibatalkan")
        transaction.set_rollback(True)
    after_rollback = django_rq.get_queue("default").count
    kept = make_ticket(subject="Disimpan")
    print(json.dumps({"after_rollback": after_rollback, "kept": kept.pk}))
    """
        )
    )
    assert outcome["after_rollback"] == 0
    assert {tuple(job.args) for job in queue.get_jobs()} == {(outcome["kept"],)}
    assert queue.count == len(settings.LAYAN_TICKET_CHANGE_TASKS)


def test_layan_run_on_rq_starts_an_rq_worker(installation: Installation, queue: Any) -> None:
    """`layan run` with LAYAN_TASKS=rq serves pages and works off tasks, and stops its
    children when it is stopped."""
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    port = _free_port()
    run = installation.start(
        installation.command("run", "--port", str(port), "--workers", "1"), log="run.log"
    )
    try:
        _wait_for_http(port, run, installation.log, "run.log")
        opened = installation.run(
            OPEN_TICKET.format(
                body="""
    print(json.dumps(make_ticket(subject="Lewat layan run").pk))
    """
            )
        )
        # The worker `layan run` started takes the jobs at once: look for them where finished
        # jobs are kept.
        registry = FinishedJobRegistry(queue=queue)
        deadline = time.monotonic() + TIMEOUT
        while True:
            ids = [
                job.id
                for job in Job.fetch_many(registry.get_job_ids(), connection=queue.connection)
                if job is not None and tuple(job.args) == (opened,)
            ]
            if len(ids) == len(settings.LAYAN_TICKET_CHANGE_TASKS):
                break
            assert time.monotonic() < deadline, installation.log("run.log")
            time.sleep(0.5)
        assert _statuses(installation, ids) == ["SUCCESSFUL"] * len(ids)
    finally:
        run.send_signal(signal.SIGTERM)
        code = run.wait(timeout=60)
    assert code == 0, installation.log("run.log")


# --- Two web processes ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_http(port: int, process: subprocess.Popen[bytes], log: Any, name: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, log(name)
        try:
            status, _, _ = _request(port, "GET", "/healthz")
        except OSError:
            time.sleep(0.3)
            continue
        if status == 200:
            return
    raise AssertionError(log(name))


def _request(
    port: int,
    method: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str]:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": "127.0.0.1"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        client.request(method, path, body=body, headers=headers)
        response = client.getresponse()
        text = response.read().decode(errors="replace")
        set_cookies: dict[str, str] = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            set_cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, set_cookies, text
    finally:
        client.close()


def _csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture(scope="module")
def two_web_processes(installation: Installation) -> Iterator[tuple[int, int]]:
    """Two gunicorn servers of one worker each, sharing only the database and Redis."""
    ports = (_free_port(), _free_port())
    servers = [
        installation.start(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "layan.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            log=f"web-{port}.log",
        )
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            _wait_for_http(port, server, installation.log, f"web-{port}.log")
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def test_a_session_made_on_one_web_process_works_on_the_other(
    installation: Installation, two_web_processes: tuple[int, int]
) -> None:
    """Log in on A, work on B with the same cookie, log out on B, and A no longer knows it."""
    first, second = two_web_processes
    installation.run(
        """
        import json
        from layan.team.models import User
        User.objects.create_user(
            username="sari", password="kata-sandi-panjang-1", first_name="Sari", role="agent"
        )
        print(json.dumps(True))
        """
    )
    _, cookies, page = _request(first, "GET", "/login/")
    status, issued, _ = _request(
        first,
        "POST",
        "/login/",
        cookies=cookies,
        form={
            "username": "sari",
            "password": "kata-sandi-panjang-1",
            "csrfmiddlewaretoken": _csrf_token(page),
        },
    )
    assert status == 302 and "sessionid" in issued
    session = {**cookies, **issued}

    status, _, inbox = _request(second, "GET", "/tickets/", cookies=session)
    assert status == 200 and "Sari" in inbox
    assert _request(second, "GET", "/tickets/")[0] == 302  # no cookie, no page

    status, _, _ = _request(
        second,
        "POST",
        "/logout/",
        cookies=session,
        form={"csrfmiddlewaretoken": _csrf_token(inbox)},
    )
    assert status == 302
    assert _request(first, "GET", "/tickets/", cookies=session)[0] == 302


def test_the_cache_is_shared_between_processes(installation: Installation) -> None:
    """With REDIS_URL every process uses the same cache: what one stores, another reads."""
    token = secrets.token_hex(8)
    stored = installation.run(
        f"""
        import json
        from django.core.cache import caches
        caches["default"].set("layan-so-probe", {token!r}, 60)
        print(json.dumps(type(caches["default"]).__name__))
        """
    )
    assert stored == "RedisCache"
    read = installation.run(
        """
        import json
        from django.core.cache import cache
        print(json.dumps(cache.get("layan-so-probe")))
        """
    )
    assert read == token
