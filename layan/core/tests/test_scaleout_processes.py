"""Layan as several processes: RQ workers, `layan run` on RQ, and two web servers sharing one
database, one Redis and nothing else.

Every Layan process here is a real subprocess started with the environment an operator would
give it, against an installation of its own (a migrated SQLite file, or a PostgreSQL database
when the suite runs on PostgreSQL) and one Redis database: LAYAN_TEST_REDIS_URL, else the
suite's REDIS_URL, else database 11 on 127.0.0.1. That Redis database is emptied before and
after each test. Without Redis (or PostgreSQL, when the suite runs on it) the tests skip, except
when CI=true, where they fail.

Each process runs in a process group of its own with a deadline; whatever happens, the group is
stopped at the end of the test or module that started it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
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
from django.db import connection
from django.tasks import task

from layan.core.tests import processes
from layan.core.tests.processes import unavailable

REDIS_URL = (
    os.environ.get("LAYAN_TEST_REDIS_URL")
    or os.environ.get("REDIS_URL")
    or "redis://127.0.0.1:6379/11"
)
POSTGRES_URL = os.environ.get(
    "LAYAN_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
# The longest any one step may take on a busy machine; past it the step fails and is killed.
TIMEOUT = 120


@task()
def scaleout_task_that_fails(ticket_id: int) -> None:
    """A task for these tests only: it always raises."""
    raise RuntimeError(f"ticket {ticket_id} cannot be processed")


@dataclass
class Installation:
    """One Layan installation that the test drives only through processes."""

    env: dict[str, str]
    root: Path

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "layan", *args]

    def run(self, code: str) -> Any:
        """Run Python in `layan shell` and return the JSON it printed last."""
        result = processes.run(
            self.command("shell", "--no-imports", "-c", textwrap.dedent(code)),
            env=self.env,
            timeout=TIMEOUT,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start(self, argv: list[str], *, log: str) -> subprocess.Popen[bytes]:
        with (self.root / log).open("wb") as handle:
            return processes.start(argv, env=self.env, output=handle)

    def log(self, name: str) -> str:
        return (self.root / name).read_text(errors="replace")[-4000:]


def _redis() -> Any:
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisError as error:
        client.close()
        unavailable(f"Redis at {REDIS_URL}", error)
    return client


@pytest.fixture(scope="module")
def redis_client() -> Iterator[Any]:
    client = _redis()
    client.flushdb()  # a database of the tests' own: see the module's docstring
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
    try:
        migrated = processes.run(
            [sys.executable, "-m", "layan", "migrate", "--no-input", "--skip-checks", "-v", "0"],
            env=env,
            timeout=TIMEOUT,
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]
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
        unavailable(f"PostgreSQL at {POSTGRES_URL}", error)
    return urlunsplit(urlsplit(POSTGRES_URL)._replace(path="/" + name))


def _database_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=10) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _worker_burst(installation: Installation) -> None:
    """Run one RQ worker process until the queue is empty."""
    result = processes.run(
        installation.command("rqworker", "--burst", "default"),
        env=installation.env,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


FOLLOW_UPS = "layan.tickets.tasks.tickets_changed_task"  # runs every follower of a change
OPEN_TICKET = """
    import json
    from django.db import transaction
    from layan.tickets.tests.factories import make_ticket
    {body}
"""


# --- Tasks on RQ ----------------------------------------------------------------------------


def test_a_separate_rq_worker_works_off_ticket_changes_and_records_failures(
    installation: Installation, queue: Any
) -> None:
    """Opening a ticket enqueues its follow-up tasks on Redis; one worker process runs them
    against the same database and their results read SUCCESSFUL, while a task that raises is
    kept as FAILED with its exception, not lost."""
    from rq.registry import FailedJobRegistry

    opened = installation.run(
        OPEN_TICKET.format(
            body="""
    from layan.core.tests.test_scaleout_processes import scaleout_task_that_fails
    from layan.sla.models import TicketSla
    ticket = make_ticket(subject="Paket belum sampai")
    print(json.dumps({
        "ticket": ticket.pk,
        "sla": TicketSla.objects.filter(ticket=ticket).count(),
        "failing": scaleout_task_that_fails.enqueue(7).id,
    }))
    """
        )
    )
    jobs = [job for job in queue.get_jobs() if job.id != opened["failing"]]
    # One job runs every follower of the change.
    assert [job.func_name for job in jobs] == [FOLLOW_UPS]
    assert [tuple(job.args) for job in jobs] == [([opened["ticket"]],)]
    assert queue.count == 2
    assert opened["sla"] == 0  # only the task computes it

    _worker_burst(installation)

    ids = [job.id for job in jobs]
    after = installation.run(
        f"""
        import json
        from django.tasks import default_task_backend
        from layan.sla.models import TicketSla
        failed = default_task_backend.get_result({opened["failing"]!r})
        print(json.dumps({{
            "statuses": [str(default_task_backend.get_result(i).status) for i in {ids!r}],
            "sla": TicketSla.objects.filter(ticket_id={opened["ticket"]}).count(),
            "failed": str(failed.status),
            "errors": [e.exception_class_path for e in failed.errors],
            "traceback": failed.errors[0].traceback if failed.errors else "",
        }}))
        """
    )
    assert after["statuses"] == ["SUCCESSFUL"] * len(ids)
    assert after["sla"] == 1
    assert after["failed"] == "FAILED"
    assert after["errors"] == ["builtins.RuntimeError"]
    assert "ticket 7 cannot be processed" in after["traceback"]
    assert queue.count == 0
    assert FailedJobRegistry(queue=queue).get_job_ids() == [opened["failing"]]


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
    assert [tuple(job.args) for job in queue.get_jobs()] == [([outcome["kept"]],)]
    assert queue.count == 1


def test_layan_run_on_rq_starts_an_rq_worker(installation: Installation, queue: Any) -> None:
    """`layan run` with LAYAN_TASKS=rq serves pages and works off tasks, and stops its
    children (gunicorn and its workers, the RQ worker, the scheduler) when it is stopped."""
    from rq.job import Job, JobStatus
    from rq.registry import FinishedJobRegistry

    port = processes.free_port()
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
            finished = [
                job
                for job in Job.fetch_many(registry.get_job_ids(), connection=queue.connection)
                if job is not None and tuple(job.args) == ([opened],)
            ]
            if finished:
                break
            assert time.monotonic() < deadline, installation.log("run.log")
            time.sleep(0.2)
        # What the tasks backend reports for these jobs is covered by the first test.
        assert [job.func_name for job in finished] == [FOLLOW_UPS]
        assert {job.get_status() for job in finished} == {JobStatus.FINISHED}
        # Stopping `layan run` itself (not its group) must stop everything it started.
        run.send_signal(signal.SIGTERM)
        code = run.wait(timeout=60)
        deadline = time.monotonic() + 10
        while processes.group_alive(run) and time.monotonic() < deadline:
            time.sleep(0.2)
        left_over = processes.group_alive(run)
    finally:
        processes.stop(run)
    assert code == 0, installation.log("run.log")
    assert not left_over, "a process started by `layan run` outlived it"


# --- Two web processes ----------------------------------------------------------------------


def _wait_for_http(port: int, process: subprocess.Popen[bytes], log: Any, name: str) -> None:
    processes.wait_for_health(port, process, lambda: log(name), timeout=TIMEOUT)


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
    ports = (processes.free_port(), processes.free_port())
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
            processes.stop(server)


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
