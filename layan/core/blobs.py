"""Content-addressed storage of bytes, on whatever storage backend `default` is (disk or S3).

On disk, a blob is written to a temporary file beside its place and renamed into it, so a
crash mid-write never leaves a partial file under a digest's name: the next write of the same
bytes would take that file for theirs and skip it. Other backends write through Django's
storage API.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeGuard, cast

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection
from django.db.models import Field
from django.db.models.constants import OnConflict
from django.utils import timezone

from layan.core.instances import instance_build
from layan.core.models import Blob, blob_storage_name, blob_storage_name_before

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
RENAME_THREADS = 8  # blobs moved at once through a storage API (`blobs_rename`)
_DIGEST = re.compile(r"[0-9a-f]{64}")
_FOLDER = re.compile(r"[0-9a-f]{2}")


def blob_put(data: bytes) -> Blob:
    """Store `data` once and return its Blob row; storing the same bytes again is free.

    The file is written before the row: a crash in between leaves an orphan file that the next
    identical write reuses, never a row that points at nothing.
    """
    blob = blob_file_put(data)
    blob_rows_put([blob])
    return blob


def blob_file_put(data: bytes) -> Blob:
    """Store `data`'s file now and return its Blob unsaved, for `blob_rows_put` to record in
    a transaction that comes later. A caller does the slow part (digest, file) before its
    transaction; if that transaction never commits, the file stays an orphan that the next
    identical write reuses, as after a crash in `blob_put`."""
    sha = hashlib.sha256(data).hexdigest()
    _files_put([(sha, data)])
    return instance_build(Blob, sha256=sha, size=len(data))


def blobs_put(items: Sequence[bytes]) -> list[Blob]:
    """Store many byte strings at once, in one statement for their rows; return their Blob
    rows in the same order (the same bytes twice give the same row)."""
    blobs: dict[str, Blob] = {}
    files: list[tuple[str, bytes]] = []
    result = []
    for data in items:
        sha = hashlib.sha256(data).hexdigest()
        if sha not in blobs:
            files.append((sha, data))
            blobs[sha] = instance_build(Blob, sha256=sha, size=len(data))
        result.append(blobs[sha])
    _files_put(files)
    blob_rows_put(list(blobs.values()))
    return result


def blob_rows_put(blobs: Sequence[Blob]) -> None:
    """Record the rows of blobs whose files are stored (`blob_file_put`): insert those that
    do not exist yet, in one statement run for each by the driver.

    What `bulk_create(ignore_conflicts=True)` writes (INSERT OR IGNORE on SQLite, ON CONFLICT
    DO NOTHING on PostgreSQL) without compiling every value through the query compiler, which
    cost an import of 11,000 blobs about 0.3 s, several times the statement's own work."""
    if not blobs:
        return
    now = timezone.now()
    for blob in blobs:
        blob.created_at = now  # as `auto_now_add` stamps it; a row already there keeps its own
    ops = connection.ops
    meta = Blob._meta
    fields = [
        cast(Field[Any, Any], meta.get_field(name)) for name in ("sha256", "size", "created_at")
    ]
    # Table and column names come from the model, never from input.
    sql = "{} {} ({}) VALUES ({}){}".format(
        ops.insert_statement(on_conflict=OnConflict.IGNORE),
        ops.quote_name(meta.db_table),
        ", ".join(ops.quote_name(str(field.column)) for field in fields),
        ", ".join(["%s"] * len(fields)),
        ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None),
    )
    moment = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(blob.sha256, blob.size, moment) for blob in blobs])


def _on_disk(storage: Storage) -> TypeGuard[FileSystemStorage]:
    """Whether blobs are files in a folder (else another storage: S3 and the like)."""
    return storage.__class__ is FileSystemStorage  # the lazy object gives what it wraps


def _files_put(items: Sequence[tuple[str, bytes]]) -> None:
    """Store the files of (digest, bytes) pairs."""
    if _on_disk(default_storage):
        disk = _Disk(default_storage)
        for sha, data in items:
            disk.put(sha, data)
        return
    for sha, data in items:
        name = blob_storage_name(sha)
        if not default_storage.exists(name):
            saved = default_storage.save(name, ContentFile(data))
            if saved != name:
                # Another writer stored the same bytes first; keep theirs.
                default_storage.delete(saved)


class _Disk:
    """A file-system storage's folder and permissions, read once for many writes.

    `put` does what `storage.save` does, with the same permissions and less work per file:
    Django's save also looks for a free name, locks the new file and copies through a file
    object, and every path goes through `pathlib` and `safe_join`. A blob's name is made of
    its hexadecimal digest only, so it cannot leave the folder. Together they took most of the
    processor time per file (measured: about 40 µs of Python for a 3 KB blob, now 16).
    """

    __slots__ = ("mode", "root", "storage", "suffix")

    def __init__(self, storage: FileSystemStorage) -> None:
        self.storage = storage
        self.root = str(storage.location)
        self.mode = storage.file_permissions_mode
        self.suffix = f".{os.getpid()}-{threading.get_ident()}.part"

    def put(self, sha: str, data: bytes) -> None:
        """Write `data` under its digest's name unless a file is there already: into a
        temporary file first, renamed into place once whole."""
        if _DIGEST.fullmatch(sha) is None:
            raise ValueError(f"Not a SHA-256 digest: {sha[:80]!r}")
        # Paths as strings: `pathlib` objects were most of this loop's Python time.
        path = os.path.join(self.root, blob_storage_name(sha))  # noqa: PTH118
        if os.path.exists(path):  # noqa: PTH110
            return
        temporary = path + self.suffix
        mode = self.mode
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        # Private until whole; then the storage's permissions (Django's default if it has none).
        created = 0o600 if mode is not None else 0o666
        try:
            handle = os.open(temporary, flags, created)
        except FileNotFoundError:
            _folders_make(self.storage, Path(path).parent)
            handle = os.open(temporary, flags, created)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(handle, view) :]
                if mode is not None:
                    os.fchmod(handle, mode)
            finally:
                os.close(handle)
            # Another writer may have put the same bytes there meanwhile; either copy is right.
            os.replace(temporary, path)  # noqa: PTH105
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)  # noqa: PTH108
            raise


def _folders_make(storage: FileSystemStorage, folder: Path) -> None:
    """Make `folder` and its parents, with the storage's folder permissions."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another writer made it first
            path.mkdir()
            if storage.directory_permissions_mode is not None:
                path.chmod(storage.directory_permissions_mode)


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


def blobs_rename(*, back: bool = False) -> int:
    """Move every blob stored under its name before migration `core.0003` (`ab/cd/<digest>`)
    to its name now (`ab/<digest>`); with `back`, the other way, for going back to an earlier
    release. Returns how many moved.

    Run with Layan's processes stopped (`layan migrate` runs it once). It can be run again at
    any point: a blob already moved is not seen again, and one found under both names keeps
    one copy, since a digest's name always holds the same bytes. Only names of Layan's own
    form are touched; anything else in the storage stays where it is.
    """
    storage = default_storage
    on_disk = _on_disk(storage)
    if on_disk and not Path(cast(FileSystemStorage, storage).location).is_dir():
        return 0
    moved = 0
    with ThreadPoolExecutor(max_workers=RENAME_THREADS, thread_name_prefix="blobs") as pool:
        # On disk a rename is quick and done in turn; a bucket answers each request in tens of
        # milliseconds, so there several blobs move at once.
        run = map if on_disk else pool.map
        move = _disk_move if on_disk else _storage_move
        for first in sorted(storage.listdir("")[0]):
            if not _FOLDER.fullmatch(first):
                continue
            moves = _moves(storage, first, back=back)
            moved += sum(run(lambda names: move(storage, *names), moves))
            if on_disk and not back:
                _folders_drop_empty(Path(storage.path(first)))
    if moved:
        logger.info("blobs_renamed", extra={"blobs": moved, "back": back})
    return moved


def _moves(storage: Storage, first: str, *, back: bool) -> list[tuple[str, str]]:
    """(old name, new name) of the blobs under the folder `first`."""
    subfolders, files = storage.listdir(first)
    if back:
        return [
            (f"{first}/{name}", blob_storage_name_before(name))
            for name in files
            if _ours(name, first)
        ]
    return [
        (f"{first}/{second}/{name}", blob_storage_name(name))
        for second in subfolders
        if _FOLDER.fullmatch(second)
        for name in storage.listdir(f"{first}/{second}")[1]
        if _ours(name, first + second)
    ]


def _disk_move(storage: Storage, old: str, new: str) -> int:
    target = Path(storage.path(new))
    _folders_make(cast(FileSystemStorage, storage), target.parent)
    # Same name, same bytes: replacing a copy already there loses nothing.
    Path(storage.path(old)).replace(target)
    return 1


def _folders_drop_empty(first: Path) -> None:
    for second in first.iterdir():
        if _FOLDER.fullmatch(second.name) and second.is_dir():
            with contextlib.suppress(OSError):  # kept while anything else is in it
                second.rmdir()


def _storage_move(storage: Storage, old: str, new: str) -> int:
    """Through the storage API (S3 and the like): copy, then delete the old name."""
    if not storage.exists(new):
        with storage.open(old, "rb") as handle:
            saved = storage.save(new, handle)
        if saved != new:  # a storage that keeps names found a free one: not a blob's name
            storage.delete(saved)
            raise OSError(f"Could not store {new}: the storage chose {saved}")
    storage.delete(old)
    return 1


def _ours(name: str, prefix: str) -> bool:
    """Whether `name` is a blob's digest that belongs in the folder(s) `prefix` spells."""
    return _DIGEST.fullmatch(name) is not None and name.startswith(prefix)
