from datetime import UTC, datetime

import pytest

from layan.agreements.content import agreement_content, content_digest
from layan.agreements.links import link_token, link_valid

KEY = b"k" * 32
DIGEST = "a" * 64
EXPIRES = int(datetime(2025, 3, 15, tzinfo=UTC).timestamp())
BEFORE = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)
AFTER = datetime(2025, 3, 15, 0, 0, 1, tzinfo=UTC)


def test_token_carries_256_bits() -> None:
    """A token is a URL-safe HMAC-SHA256: 43 characters, far beyond guessing."""
    token = link_token(key=KEY, agreement_id=7, digest=DIGEST, expires=EXPIRES)
    assert len(token) == 43
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    ("changes", "now", "valid"),
    [
        ({}, BEFORE, True),
        ({}, AFTER, False),
        ({"agreement_id": 8}, BEFORE, False),
        ({"digest": "b" * 64}, BEFORE, False),
        ({"expires": EXPIRES + 86_400}, BEFORE, False),
        ({"key": b"x" * 32}, BEFORE, False),
        ({"token": ""}, BEFORE, False),
        ({"token": "é" * 43}, BEFORE, False),
    ],
)
def test_link_valid_only_for_its_version_content_and_time(
    changes: dict[str, object], now: datetime, valid: bool
) -> None:
    """Another version, changed content, a moved expiry, another key or a late click fail."""
    token = link_token(key=KEY, agreement_id=7, digest=DIGEST, expires=EXPIRES)
    arguments: dict[str, object] = {
        "key": KEY,
        "agreement_id": 7,
        "digest": DIGEST,
        "expires": EXPIRES,
        "token": token,
    }
    arguments.update(changes)
    assert link_valid(now=now, **arguments) is valid  # type: ignore[arg-type]


def test_content_digest_changes_with_every_term() -> None:
    """Each part of what is agreed, files included, is covered by the digest."""
    base = {
        "order": 1001,
        "version": 1,
        "spec_html": "<p>Kotak</p>",
        "price": 25_000_000,
        "currency": "IDR",
        "deadline": None,
        "revisions_allowed": 2,
        "terms": "DP 50%",
        "attachments": [("f" * 64, "desain.pdf")],
    }
    digest = content_digest(agreement_content(**base))  # type: ignore[arg-type]
    for name, value in [
        ("spec_html", "<p>Kotak besar</p>"),
        ("price", 25_000_001),
        ("currency", "USD"),
        ("revisions_allowed", 3),
        ("terms", "DP 30%"),
        ("attachments", [("e" * 64, "desain.pdf")]),
    ]:
        changed = dict(base, **{name: value})
        assert content_digest(agreement_content(**changed)) != digest, name  # type: ignore[arg-type]
