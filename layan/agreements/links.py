"""Signed links that let a customer open one agreement version without an account.

A token is HMAC-SHA256 over the version's id, the digest of its exact content and the link's
expiry, so it opens that version only, only while its content is unchanged, and only until
it expires. It carries 256 bits and is compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime


def link_token(*, key: bytes, agreement_id: int, digest: str, expires: int) -> str:
    """Return the token for `agreement_id` with content `digest`, valid until `expires`.

    `expires` is a Unix timestamp in seconds; `key` is secret and at least 32 bytes.
    """
    message = f"layan-agreement-link|{agreement_id}|{digest}|{expires}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def link_valid(
    *, key: bytes, agreement_id: int, digest: str, expires: int, token: str, now: datetime
) -> bool:
    """Tell whether `token` opens `agreement_id` with content `digest` at `now`."""
    expected = link_token(key=key, agreement_id=agreement_id, digest=digest, expires=expires)
    # Compare before looking at the time, so every refusal costs the same.
    matches = hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))
    return matches and now.astimezone(UTC).timestamp() < expires
