"""The canonical content of an agreement version: what the customer confirms, and its digest."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from layan.core.canonical import canonical_json


def agreement_content(
    *,
    order: int,
    version: int,
    spec_html: str,
    price: int,
    currency: str,
    deadline: date | None,
    revisions_allowed: int,
    terms: str,
    attachments: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Return the terms of one version as canonical JSON values.

    `attachments` are (sha256, filename) pairs in their shown order: the files are part of
    what was agreed, so a changed file is a changed agreement.
    """
    return {
        "v": 1,
        "order": order,
        "version": version,
        "spec_html": spec_html,
        "price": price,
        "currency": currency,
        "deadline": deadline.isoformat() if deadline else "",
        "revisions_allowed": revisions_allowed,
        "terms": terms,
        "attachments": [{"sha256": sha, "name": name} for sha, name in attachments],
    }


def content_digest(content: dict[str, Any]) -> str:
    """Return the SHA-256 (hex) of the canonical JSON of `content`."""
    return hashlib.sha256(canonical_json(content)).hexdigest()
