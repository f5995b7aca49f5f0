"""Real mail servers for tests, on 127.0.0.1: aiosmtpd for sending, Dovecot for IMAP."""

from __future__ import annotations

import contextlib
import imaplib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from layan.core.tests.processes import free_port


@dataclass
class Delivered:
    mail_from: str
    recipients: list[str]
    data: bytes


@dataclass
class SmtpBehaviour:
    """What the test server does: fail the next N DATA commands, refuse some recipients."""

    fail_data: list[str] = field(default_factory=list)  # e.g. ["451 4.3.0 try later"]
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 5.1.1 no such user"


class _Handler:
    def __init__(self, behaviour: SmtpBehaviour, inbox: list[Delivered]) -> None:
        self.behaviour = behaviour
        self.inbox = inbox

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        answer = self.behaviour.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.behaviour.fail_data:
            return self.behaviour.fail_data.pop(0)
        content = envelope.original_content or b""
        self.inbox.append(
            Delivered(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content))
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server that keeps the exact bytes it accepted; stop() simulates an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox: list[Delivered] = []
        self.behaviour = SmtpBehaviour()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            _Handler(self.behaviour, self.inbox), hostname="127.0.0.1", port=self.port
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def mailer(self) -> dict[str, dict[str, object]]:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
            }
        }


DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 8
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
"""

USER = "support@layan.test"
PASSWORD = "rahasia-imap"


class DovecotServer:
    """A private Dovecot instance in a temporary folder (needs the Debian package and root)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.conf = root / "dovecot.conf"

    @staticmethod
    def available() -> str:
        """Return why Dovecot cannot run here, or "" when it can."""
        if shutil.which("dovecot") is None:
            return "dovecot is not installed (apt-get install dovecot-imapd)"
        if os.geteuid() != 0:
            return "Dovecot's mail user needs the tests to run as root"
        return ""

    def start(self) -> None:
        for folder in ("run", "state", "mail"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        users = self.root / "users"
        users.write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        users.chmod(0o644)  # a throwaway test account, read by Dovecot's auth user
        self.conf.write_text(DOVECOT_CONF.format(root=self.root, port=self.port))
        shutil.chown(self.root / "mail", "mail", "mail")
        # Dovecot daemonises; its output must not go to a pipe that would never close.
        subprocess.run(
            ["dovecot", "-c", str(self.conf)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start: " + self.log())

    def stop(self) -> None:
        subprocess.run(
            ["doveadm", "-c", str(self.conf), "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text()[-2000:] if path.exists() else ""

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self._session() as client:
            status, _ = client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK"

    def empty(self, folder: str = "INBOX") -> None:
        with self._session() as client:
            _status, data = client.select(folder)
            if int(data[0] or 0):
                client.store("1:*", "+FLAGS", "\\Deleted")
                client.expunge()

    def flags(self, folder: str = "INBOX") -> list[str]:
        """Return each message's FLAGS response, in UID order."""
        with self._session() as client:
            _status, data = client.select(folder)
            if not int(data[0] or 0):
                return []
            _status, data = client.uid("fetch", "1:*", "(FLAGS)")
            return [item.decode() for item in data if isinstance(item, bytes)]

    def reset_mailbox(self) -> None:
        """Give INBOX a new UIDVALIDITY, as a rebuilt or restored mailbox would have."""
        with self._session() as client:
            _status, data = client.status("INBOX", "(UIDVALIDITY)")
        current = int(data[0].decode().split("UIDVALIDITY")[1].strip(" )"))
        subprocess.run(
            [
                "doveadm",
                "-c",
                str(self.conf),
                "mailbox",
                "update",
                "-u",
                USER,
                "--uid-validity",
                str(current + 7),
                "INBOX",
            ],
            check=True,
            capture_output=True,
        )

    class _Session:
        def __init__(self, server: DovecotServer) -> None:
            self.server = server

        def __enter__(self) -> imaplib.IMAP4:
            self.client = self.server.client()
            return self.client

        def __exit__(self, *exc: object) -> None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                self.client.logout()

    def _session(self) -> DovecotServer._Session:
        return DovecotServer._Session(self)
