import hashlib
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from layan.core import blobs
from layan.core.blobs import (
    blob_chunks,
    blob_digest,
    blob_erase,
    blob_exists,
    blob_open,
    blob_prepare,
    blob_put,
    blob_read,
    blob_rows_put,
    blobs_inline_digests,
    blobs_put,
)
from layan.core.counters import counter_next
from layan.core.models import Blob, BlobBytes, blob_storage_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(settings):  # type: ignore[no-untyped-def]
    """Every blob is a file in the storage, however small."""
    settings.LAYAN_BLOB_INLINE_BYTES = 0


def test_blob_put_stores_once_by_content() -> None:
    """The same bytes stored twice are one blob, found by their SHA-256."""
    first = blob_put(b"Faktur Oktober")
    second = blob_put(b"Faktur Oktober")
    assert first.sha256 == second.sha256 == hashlib.sha256(b"Faktur Oktober").hexdigest()
    assert Blob.objects.count() == 1
    assert blob_read(first.sha256) == b"Faktur Oktober"
    assert blob_digest(first.sha256) == first.sha256


def test_blobs_put_writes_each_new_row_once_and_leaves_old_rows_alone() -> None:
    """Rows go in by one statement that skips digests already stored: an old row keeps its
    time, the same bytes twice in one call are one row, and sizes are the bytes' own."""
    old = blob_put(b"Surat penawaran")
    Blob.objects.filter(pk=old.pk).update(created_at=datetime(2025, 1, 2, tzinfo=UTC))
    items = [b"Surat penawaran", b"Nota 7", b"", b"Nota 7"]

    stored = blobs_put(items)

    assert [blob.sha256 for blob in stored] == [hashlib.sha256(i).hexdigest() for i in items]
    assert stored[1] is stored[3]
    rows = {blob.sha256: blob for blob in Blob.objects.filter(pk__in=[b.pk for b in stored])}
    assert len(rows) == 3
    assert rows[old.pk].created_at == datetime(2025, 1, 2, tzinfo=UTC)
    for blob, data in zip(stored, items, strict=True):
        assert rows[blob.sha256].size == len(data)
        assert blob_read(blob.sha256) == data
    assert abs(rows[stored[1].sha256].created_at - timezone.now()) < timedelta(minutes=1)


def _blob_path(data: bytes) -> Path:
    return Path(default_storage.path(blob_storage_name(hashlib.sha256(data).hexdigest())))


def test_blob_on_disk_has_the_storage_permissions_and_no_leftovers(files: None) -> None:
    """Files and the folders made for them get the configured modes (0640, 0750); nothing but
    the blob itself is left in its folder."""
    data = b"Bukti transfer 12 November"
    blob_put(data)
    path = _blob_path(data)
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert path.parent.parent == Path(default_storage.location)  # one folder deep
    assert [child.name for child in path.parent.iterdir() if path.name in child.name] == [path.name]


def test_a_crash_mid_write_leaves_no_partial_blob(monkeypatch: pytest.MonkeyPatch) -> None:
    """If writing stops halfway (a full disk, a kill), no file holds the digest's name: the next
    write of the same bytes stores them whole instead of taking a partial file for theirs."""
    data = b"Lampiran kontrak " * 4096
    real_write = os.write

    def write_half_then_fail(handle: int, chunk: object) -> int:
        real_write(handle, bytes(memoryview(chunk))[: len(data) // 2])  # type: ignore[arg-type]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(blobs.os, "write", write_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        blob_put(data)
    path = _blob_path(data)
    assert not path.exists()
    assert not list(path.parent.glob(f"{path.name}*"))  # the temporary file went too
    assert not Blob.objects.exists()

    monkeypatch.setattr(blobs.os, "write", real_write)
    blob = blob_put(data)
    assert path.read_bytes() == data
    assert blob_digest(blob.sha256) == blob.sha256


def test_a_blob_already_on_disk_is_not_written_again(files: None) -> None:
    """Storing bytes whose file exists (another writer's, or an earlier import) leaves it be."""
    data = b"Foto kemasan rusak"
    blob_put(data)
    path = _blob_path(data)
    before = path.stat()
    stored = blobs_put([data, b"Foto lain", data])
    assert stored[0].sha256 == stored[2].sha256 == hashlib.sha256(data).hexdigest()
    assert path.stat().st_ino == before.st_ino
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert Blob.objects.count() == 2


def test_small_bytes_live_in_the_database_and_large_ones_in_files(settings) -> None:  # type: ignore[no-untyped-def]
    """Up to the limit, bytes are a row beside the blob's and no file is made; one byte more
    and they are a file. Either way they read back whole, in chunks, and by digest."""
    settings.LAYAN_BLOB_INLINE_BYTES = 100
    small, large = b"s" * 100, b"b" * 101
    stored = blobs_put([small, large, small])
    assert stored[0] is stored[2]
    kept = dict(BlobBytes.objects.values_list("blob_id", "data"))
    assert {sha: bytes(data) for sha, data in kept.items()} == {stored[0].sha256: small}
    assert not _blob_path(small).exists()
    assert _blob_path(large).read_bytes() == large
    for blob, data in ((stored[0], small), (stored[1], large)):
        assert blob.size == len(data)
        assert blob_exists(blob.sha256)
        assert blob_read(blob.sha256) == data
        assert b"".join(blob_chunks(blob.sha256)) == data
        assert blob_digest(blob.sha256) == blob.sha256
        handle = blob_open(blob.sha256)
        assert handle is not None
        with handle:
            assert handle.read() == data
    assert blobs_inline_digests([b.sha256 for b in stored] + ["0" * 64]) == {
        stored[0].sha256: stored[0].sha256
    }
    assert blob_put(small).sha256 == stored[0].sha256  # stored again: still one row
    assert BlobBytes.objects.count() == 1


def test_a_prepared_small_blob_is_written_only_with_its_row() -> None:
    """Prepared before a transaction, small bytes are carried, not written: a transaction that
    rolls back leaves neither row nor file, and one that commits keeps both."""
    data = b"Balasan untuk pelanggan"
    blob = blob_prepare(data)
    assert blob.inline == data and not _blob_path(data).exists()
    with pytest.raises(RuntimeError), transaction.atomic():
        blob_rows_put([blob])
        raise RuntimeError("rollback")
    assert not Blob.objects.exists() and not BlobBytes.objects.exists()
    assert not blob_exists(blob.sha256) and blob_open(blob.sha256) is None
    with transaction.atomic():
        blob_rows_put([blob])
    assert blob_read(blob.sha256) == data


def test_erasing_a_blob_removes_its_bytes_wherever_they_are(settings) -> None:  # type: ignore[no-untyped-def]
    """Erased, bytes in the database and in a file are gone and the rows stay; stored again,
    they are back."""
    settings.LAYAN_BLOB_INLINE_BYTES = 100
    small, large = b"kecil", b"besar" * 50
    stored = blobs_put([small, large])
    for blob in stored:
        blob_erase(blob.sha256)
        assert not blob_exists(blob.sha256) and blob_open(blob.sha256) is None
        with pytest.raises(FileNotFoundError):
            list(blob_chunks(blob.sha256))
    assert not BlobBytes.objects.exists() and not _blob_path(large).exists()
    assert Blob.objects.count() == 2
    blob_erase(stored[0].sha256)  # erasing again is harmless
    assert [blob_read(b.sha256) for b in blobs_put([small, large])] == [small, large]


def test_counter_next_is_gap_free_and_gives_back_rolled_back_numbers() -> None:
    assert counter_next("uji", start=1000) == 1000
    with pytest.raises(RuntimeError), transaction.atomic():
        assert counter_next("uji", start=1000) == 1001
        raise RuntimeError("rollback")
    assert counter_next("uji", start=1000) == 1001


@pytest.mark.django_db(transaction=True)
def test_counter_next_under_concurrency_never_repeats() -> None:
    """Threads drawing numbers at once get distinct, consecutive values."""
    if (connection.vendor == "sqlite" and connection.settings_dict["NAME"] in ("", ":memory:")) or (
        "mode=memory" in str(connection.settings_dict.get("NAME", ""))
    ):
        pytest.skip("in-memory SQLite is one connection; concurrency runs on PostgreSQL")
    results: list[int] = []
    lock = threading.Lock()

    def draw() -> None:
        for _ in range(10):
            with transaction.atomic():
                value = counter_next("paralel")
            with lock:
                results.append(value)
        connection.close()

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 41))
