"""Build realistic test messages as raw bytes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

_counter = itertools.count(1)


def mail(
    *,
    sender: str = "Siti Nurhaliza <siti@kopi.co.id>",
    to: str = "Layanan Pelanggan <cs@layan.test>",
    cc: str = "",
    subject: str = "Kemasan penyok saat diterima",
    body: str = "Selamat pagi, kemasan yang kami terima penyok. Mohon dibantu.\n\nSalam,\nSiti",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    html: str = "",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime(2026, 11, 20, 2, 30, tzinfo=UTC))
    if message_id is None:
        message["Message-ID"] = f"<uji-{next(_counter)}@kopi.co.id>"
    elif message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, content_type, payload in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
