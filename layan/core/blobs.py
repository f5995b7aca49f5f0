"""Content-addressed storage of bytes, on whatever storage backend `default` is (disk or S3)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from layan.core.models import Blob, blob_storage_name

CHUNK = 1024 * 1024


def blob_put(data: bytes) -> Blob:
    """Store `data` once and return its Blob row; storing the same bytes again is free.

    The file is written before the row: a crash in between leaves an orphan file that the next
    identical write reuses, never a row that points at nothing.
    """
    sha = hashlib.sha256(data).hexdigest()
    _file_put(sha, data)
    blob = Blob(sha256=sha, size=len(data))
    # One statement whether or not the row exists (INSERT ... ON CONFLICT DO NOTHING).
    Blob.objects.bulk_create([blob], ignore_conflicts=True)
    return blob


def blobs_put(items: Sequence[bytes]) -> list[Blob]:
    """Store many byte strings at once, in one statement for their rows; return their Blob
    rows in the same order (the same bytes twice give the same row)."""
    blobs: dict[str, Blob] = {}
    result = []
    for data in items:
        sha = hashlib.sha256(data).hexdigest()
        if sha not in blobs:
            _file_put(sha, data)
            blobs[sha] = Blob(sha256=sha, size=len(data))
        result.append(blobs[sha])
    Blob.objects.bulk_create(list(blobs.values()), ignore_conflicts=True)
    return result


def _file_put(sha: str, data: bytes) -> None:
    name = blob_storage_name(sha)
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:
            # Another writer stored the same bytes first; keep theirs.
            default_storage.delete(saved)


def blob_read(sha256: str) -> bytes:
    """Return the stored bytes of `sha256` (the caller has authorised the read)."""
    with default_storage.open(blob_storage_name(sha256), "rb") as handle:
        data: bytes = handle.read()
    return data


def blob_chunks(sha256: str) -> Iterator[bytes]:
    """Yield the stored bytes of `sha256` in chunks, for streaming responses and exports."""
    with default_storage.open(blob_storage_name(sha256), "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def blob_digest(sha256: str) -> str:
    """Recompute the digest of the stored bytes (verification reads the file, not the row)."""
    digest = hashlib.sha256()
    for chunk in blob_chunks(sha256):
        digest.update(chunk)
    return digest.hexdigest()


def blob_exists(sha256: str) -> bool:
    return default_storage.exists(blob_storage_name(sha256))
