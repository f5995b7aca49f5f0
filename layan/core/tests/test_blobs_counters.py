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
from layan.core.blobs import blob_digest, blob_put, blob_read, blobs_put
from layan.core.counters import counter_next
from layan.core.models import Blob, blob_storage_name

pytestmark = pytest.mark.django_db


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


def test_blob_on_disk_has_the_storage_permissions_and_no_leftovers() -> None:
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


def test_a_blob_already_on_disk_is_not_written_again() -> None:
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
