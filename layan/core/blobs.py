"""Content-addressed storage of bytes: small blobs in the database, the rest on whatever
storage backend `default` is (disk or S3).

A blob of at most `LAYAN_BLOB_INLINE_BYTES` is a `BlobBytes` row, written in the transaction
that writes its `Blob` row. A larger one is a file: on disk it is written to a temporary file
beside its place and renamed into it, so a crash mid-write never leaves a partial file under a
digest's name (the next write of the same bytes would take that file for theirs and skip it).
Other backends write through Django's storage API. Reads look in the database first.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import batched
from pathlib import Path
from typing import IO, Any, TypeGuard, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection
from django.db.models import Field, Model
from django.db.models.constants import OnConflict
from django.utils import timezone

from layan.core.instances import instance_build
from layan.core.models import Blob, BlobBytes, blob_storage_name, blob_storage_name_before

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
RENAME_THREADS = 8  # blobs moved at once through a storage API (`blobs_rename`)
_DIGEST = re.compile(r"[0-9a-f]{64}")
_FOLDER = re.compile(r"[0-9a-f]{2}")


def blob_put(data: bytes) -> Blob:
    """Store `data` once and return its Blob row; storing the same bytes again is free.

    A file is written before the row: a crash in between leaves an orphan file that the next
    identical write reuses, never a row that points at nothing.
    """
    blob = blob_prepare(data)
    blob_rows_put([blob])
    return blob


def blob_prepare(data: bytes) -> Blob:
    """Do now what storing `data` can do before a transaction, and return its Blob unsaved,
    for `blob_rows_put` to record in a transaction that comes later.

    A caller does the slow part (digest, file) before its transaction. Small bytes are only
    carried (`Blob.inline`): their row is written with the blob's. If that transaction never
    commits, a file stays an orphan that the next identical write reuses, as after a crash
    in `blob_put`, and small bytes leave nothing behind."""
    sha = hashlib.sha256(data).hexdigest()
    blob = _blob_built(sha, data)
    if blob.inline is None:
        _files_put([(sha, data)])
    return blob


def blobs_put(items: Sequence[bytes]) -> list[Blob]:
    """Store many byte strings at once, in one statement for their rows; return their Blob
    rows in the same order (the same bytes twice give the same row)."""
    blobs: dict[str, Blob] = {}
    files: list[tuple[str, bytes]] = []
    result = []
    for data in items:
        sha = hashlib.sha256(data).hexdigest()
        if sha not in blobs:
            blob = blobs[sha] = _blob_built(sha, data)
            if blob.inline is None:
                files.append((sha, data))
        result.append(blobs[sha])
    _files_put(files)
    blob_rows_put(list(blobs.values()))
    return result


def _blob_built(sha: str, data: bytes) -> Blob:
    """The unsaved Blob of `data`, carrying the bytes when the database keeps them (up to
    `LAYAN_BLOB_INLINE_BYTES`); larger bytes are the caller's to store as a file."""
    blob = instance_build(Blob, sha256=sha, size=len(data))
    if len(data) <= settings.LAYAN_BLOB_INLINE_BYTES:
        blob.inline = data
    return blob


def blob_rows_put(blobs: Sequence[Blob]) -> None:
    """Record the rows of prepared blobs (`blob_prepare`), and the bytes of those kept in the
    database: insert those that do not exist yet, in one statement per table run for each by
    the driver.

    What `bulk_create(ignore_conflicts=True)` writes (INSERT OR IGNORE on SQLite, ON CONFLICT
    DO NOTHING on PostgreSQL) without compiling every value through the query compiler, which
    cost an import of 11,000 blobs about 0.3 s, several times the statement's own work."""
    if not blobs:
        return
    now = timezone.now()
    for blob in blobs:
        blob.created_at = now  # as `auto_now_add` stamps it; a row already there keeps its own
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            _insert_ignoring(Blob, ("sha256", "size", "created_at")),
            [(blob.sha256, blob.size, moment) for blob in blobs],
        )
        inline = [(blob.sha256, blob.inline) for blob in blobs if blob.inline is not None]
        if inline:
            cursor.executemany(_insert_ignoring(BlobBytes, ("blob", "data")), inline)


def _insert_ignoring(model: type[Model], names: Sequence[str]) -> str:
    """An INSERT of `names` into `model`'s table that skips a row whose key is there."""
    ops = connection.ops
    meta = model._meta
    fields = [cast(Field[Any, Any], meta.get_field(name)) for name in names]
    # Table and column names come from the model, never from input.
    return "{} {} ({}) VALUES ({}){}".format(
        ops.insert_statement(on_conflict=OnConflict.IGNORE),
        ops.quote_name(meta.db_table),
        ", ".join(ops.quote_name(str(field.column)) for field in fields),
        ", ".join(["%s"] * len(fields)),
        ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None),
    )


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


def _bytes_in_database(sha256: str) -> bytes | None:
    """The bytes of `sha256` if the database keeps them (`BlobBytes`), else None."""
    data = BlobBytes.objects.filter(blob_id=sha256).values_list("data", flat=True).first()
    return None if data is None else bytes(data)  # PostgreSQL's driver may give a memoryview


def blob_read(sha256: str) -> bytes:
    """Return the stored bytes of `sha256` (the caller has authorised the read)."""
    data = _bytes_in_database(sha256)
    if data is not None:
        return data
    with default_storage.open(blob_storage_name(sha256), "rb") as handle:
        data = handle.read()
    return cast(bytes, data)


def blob_chunks(sha256: str) -> Iterator[bytes]:
    """Yield the stored bytes of `sha256` in chunks, for streaming responses and exports."""
    handle = blob_open(sha256)
    if handle is None:
        raise FileNotFoundError(f"No stored bytes for {sha256}")
    yield from _chunks(handle)


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """Read `handle` to its end in chunks, and close it."""
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def blob_open(sha256: str) -> IO[bytes] | None:
    """The stored bytes of `sha256` as a file to read and close, or None if none are stored
    (never were, or erased by a redaction)."""
    data = _bytes_in_database(sha256)
    if data is not None:
        return io.BytesIO(data)
    return _file_open(sha256)


def _file_open(sha256: str) -> IO[bytes] | None:
    """The file of `sha256` in the storage, opened to read, or None without one."""
    name = blob_storage_name(sha256)
    if not default_storage.exists(name):
        return None
    return cast(IO[bytes], default_storage.open(name, "rb"))


def blob_digest(sha256: str) -> str:
    """Recompute the digest of the stored bytes (verification reads the bytes, not the row)."""
    return _sha256_of(blob_chunks(sha256))


def blobs_inline_digests(shas: Iterable[str]) -> dict[str, str]:
    """The SHA-256, recomputed from the bytes, of each of `shas` whose bytes the database
    keeps; read 500 blobs to a statement (a verifier checks many at once)."""
    found = {}
    for part in batched(sorted(set(shas)), 500):
        rows = BlobBytes.objects.filter(blob_id__in=part).values_list("blob_id", "data")
        for sha, data in rows:
            found[sha] = hashlib.sha256(data).hexdigest()
    return found


def blob_file_digest(sha256: str) -> str | None:
    """The SHA-256 of the file of `sha256`, recomputed from its bytes; None without a file."""
    handle = _file_open(sha256)
    return None if handle is None else _sha256_of(_chunks(handle))


def blob_exists(sha256: str) -> bool:
    return BlobBytes.objects.filter(blob_id=sha256).exists() or default_storage.exists(
        blob_storage_name(sha256)
    )


def blob_erase(sha256: str) -> None:
    """Delete the stored bytes of `sha256`, wherever they are; its row stays (entries point at
    it). Storing the same bytes again stores them again."""
    BlobBytes.objects.filter(blob_id=sha256).delete()
    default_storage.delete(blob_storage_name(sha256))


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
