"""Recognise one message however it reached us: the same mail fetched by IMAP and piped by the
MTA differs only in the trace headers relays prepend."""

from __future__ import annotations

import hashlib
import re

# Headers added by the transport on the way in, not written by the sender.
_TRACE = re.compile(
    rb"^(received|return-path|delivered-to|x-original-to|x-delivered-to|envelope-to|"
    rb"authentication-results|arc-[a-z-]+|x-spam-[a-z-]+|x-virus-[a-z-]+|x-received|"
    rb"x-ms-exchange-organization-[a-z-]+|x-forwarded-to|x-forwarded-for|x-gm-[a-z-]+)\s*:",
    re.IGNORECASE,
)


def content_fingerprint(raw: bytes) -> str:
    """Return SHA-256 over the message without transport trace headers, line endings unified."""
    data = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    head, separator, body = data.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        skipping = bool(_TRACE.match(line))
        if not skipping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + separator + body).hexdigest()
