"""Blobs stored under their names before migration `core.0003` (`ab/cd/<digest>`) move to
their names now (`ab/<digest>`), and back, on disk. (The same through S3: test_scaleout_s3.)"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from layan.core.blobs import blob_read, blobs_rename
from layan.core.models import blob_storage_name, blob_storage_name_before


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    """An empty blob folder of its own, with the storage's usual permissions."""
    root = tmp_path / "blobs"
    default = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": root,
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
    with override_settings(STORAGES={**settings.STORAGES, "default": default}):
        yield root


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _put_before(root: Path, data: bytes) -> str:
    sha = _digest(data)
    path = root / blob_storage_name_before(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_blobs_move_to_one_folder_level_and_back(store: Path) -> None:
    """Every blob of the earlier layout is found under its new name with its bytes; emptied
    folders go; what is not a blob of Layan's stays where it was. Going back restores it."""
    payloads = [f"Faktur {number}".encode() for number in range(40)]
    digests = [_put_before(store, data) for data in payloads]
    stray = store / digests[0][:2] / digests[0][2:4] / "catatan.txt"
    stray.write_text("bukan blob")
    misplaced = store / "ff" / "00" / digests[1]  # a digest in a folder that is not its own
    misplaced.parent.mkdir(parents=True)
    misplaced.write_bytes(payloads[1])

    assert blobs_rename() == 40

    for sha, data in zip(digests, payloads, strict=True):
        assert (store / blob_storage_name(sha)).read_bytes() == data
        assert blob_read(sha) == data
    assert stray.exists() and misplaced.exists()
    left = {path.parent.relative_to(store) for path in store.glob("??/??/*")}
    assert left == {stray.parent.relative_to(store), Path("ff/00")}
    assert all(any(folder.iterdir()) for folder in store.glob("??/??/"))
    assert blobs_rename() == 0  # nothing of the earlier layout is left

    assert blobs_rename(back=True) == 40
    assert _files(store) == {blob_storage_name_before(sha) for sha in digests} | {
        str(stray.relative_to(store)),
        str(misplaced.relative_to(store)),
    }
    made = store / blob_storage_name_before(digests[5])
    assert stat.S_IMODE(made.parent.stat().st_mode) == 0o750


def test_a_blob_under_both_names_keeps_one_copy(store: Path) -> None:
    """A rename stopped halfway and run again, or a blob written again meanwhile: the digest's
    name holds the same bytes either way, so one copy stays and none is lost."""
    data = b"Bukti transfer November"
    sha = _put_before(store, data)
    (store / blob_storage_name(sha)).write_bytes(data)

    assert blobs_rename() == 1
    assert _files(store) == {blob_storage_name(sha)}
    assert blob_read(sha) == data


def test_an_empty_or_missing_store_moves_nothing(store: Path) -> None:
    assert blobs_rename() == 0
    store.mkdir()
    assert blobs_rename() == 0 and blobs_rename(back=True) == 0


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_blobs_both_ways(store: Path) -> None:
    """`layan migrate` runs the rename once; migrating back to `core.0002` undoes it."""
    data = b"Lampiran kontrak 2026"
    sha = _digest(data)
    call_command("migrate", "core", "0002", verbosity=0)
    try:
        assert not (store / blob_storage_name(sha)).exists()
        _put_before(store, data)
        call_command("migrate", "core", verbosity=0)
        assert _files(store) == {blob_storage_name(sha)}
        call_command("migrate", "core", "0002", verbosity=0)
        assert _files(store) == {blob_storage_name_before(sha)}
    finally:
        call_command("migrate", "core", verbosity=0)
    executor = MigrationExecutor(connection)
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())
