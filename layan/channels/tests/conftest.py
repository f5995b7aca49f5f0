from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from layan.channels.models import Mailbox
from layan.channels.tests.servers import PASSWORD, USER, DovecotServer, SmtpServer


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:  # type: ignore[no-untyped-def]
    """A running SMTP server the outbox sends to; the test can stop and restart it."""
    server = SmtpServer()
    server.start()
    settings.MAILERS = server.mailer
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    reason = DovecotServer.available()
    if reason:
        pytest.skip(reason)
    # Dovecot's own users (dovecot, mail) must reach the folder: not pytest's private tmp.
    root = Path(tempfile.mkdtemp(prefix="layan-dovecot-"))
    root.chmod(0o755)
    server = DovecotServer(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_mailbox(dovecot: DovecotServer, db: None) -> Mailbox:  # type: ignore[no-untyped-def]
    """An empty INBOX on the test Dovecot, configured as a Layan mailbox."""
    from layan.team.tests.factories import TeamFactory

    dovecot.empty()
    return Mailbox.objects.create(
        name="cs",
        address="cs@layan.test",
        host="127.0.0.1",
        port=dovecot.port,
        ssl=False,
        username=USER,
        password=PASSWORD,
        team=TeamFactory(name="Layanan Pelanggan"),
    )
