from __future__ import annotations

from django.db import models


class Blob(models.Model):
    """Bytes stored once by their SHA-256: raw emails, webhook bodies, attachments."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    # Not a column: the bytes of a blob kept in the database (`BlobBytes`), carried from
    # `blob_prepare` to `blob_rows_put`, which writes them with the row.
    inline: bytes | None = None

    def __str__(self) -> str:
        return self.sha256

    @property
    def storage_name(self) -> str:
        return blob_storage_name(self.sha256)


class BlobBytes(models.Model):
    """The bytes of a blob of at most `LAYAN_BLOB_INLINE_BYTES`, kept in the database.

    Written in the same transaction as the blob's row, so they are there exactly when the row
    is, and no file is made for them: on a busy or fragmented file system making a file cost
    up to half a millisecond of the kernel's time (bench/README.md, twentieth round). A table of
    their own, so that no read of `Blob` rows (`select_related("raw")` and the like) loads
    them. Larger blobs are files in the storage (`blob_storage_name`). Read them through
    `layan.core.blobs`, which looks here first.
    """

    blob = models.OneToOneField(
        Blob, primary_key=True, on_delete=models.CASCADE, related_name="+", db_column="sha256"
    )
    data = models.BinaryField()

    def __str__(self) -> str:
        return str(self.pk)


def blob_storage_name(sha256: str) -> str:
    """A blob's name in storage: `ab/<digest>`, in one of 256 folders by its first two digits.

    Before migration `core.0003` it was `ab/cd/<digest>`. With 65,536 folders nearly every new
    blob needed a folder of its own, and on ext4 a file created in its own folder cost several
    times one created beside others (bench/README.md, eighth round). A folder of 256 holds
    about 4,000 names per million blobs, which a file system's indexed folders take in stride.
    """
    return f"{sha256[:2]}/{sha256}"


def blob_storage_name_before(sha256: str) -> str:
    """The name `blob_storage_name` gave before migration `core.0003`."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class Counter(models.Model):
    """A named, gap-free counter (ticket references); incremented under a row lock."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ScheduledJob(models.Model):
    """When a periodic job last ran and next runs; the row makes each run happen once even
    with several schedulers."""

    name = models.CharField(max_length=80, primary_key=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
