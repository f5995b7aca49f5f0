"""Turn stored entries into the canonical bodies that the hash chain covers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from layan.logbook.models import Entry


def utc_stamp(moment: datetime) -> str:
    """Return `moment` as `2026-11-22T03:04:05.123456Z`, the one time format in bodies."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_body(
    entry: Entry, *, chain_label: str, attachments: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Return the canonical body of `entry`; `attachments` are in their stored order."""
    return body_of(
        chain_label=chain_label,
        seq=entry.seq,
        prev=entry.prev_hash,
        kind=entry.kind,
        direction=entry.direction,
        channel=entry.channel,
        actor=entry.actor,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        content_sha256=entry.content_sha256,
        raw_sha256=entry.raw_id or "",
        attachments=list(attachments),
        data=entry.data,
    )


def body_of(
    *,
    chain_label: str,
    seq: int,
    prev: str,
    kind: str,
    direction: str,
    channel: str,
    actor: str,
    occurred_at: datetime,
    recorded_at: datetime,
    content_sha256: str,
    raw_sha256: str,
    attachments: list[dict[str, Any]],
    data: Any,
) -> dict[str, Any]:
    """Return the canonical body of an entry given field by field (the verifier reads rows,
    not instances)."""
    return {
        "v": 1,
        "ticket": chain_label,
        "seq": seq,
        "prev": prev,
        "kind": kind,
        "direction": direction,
        "channel": channel,
        "actor": actor,
        "occurred_at": utc_stamp(occurred_at),
        "recorded_at": utc_stamp(recorded_at),
        "content_sha256": content_sha256,
        "raw_sha256": raw_sha256,
        "attachments": attachments,
        "data": data,
    }
