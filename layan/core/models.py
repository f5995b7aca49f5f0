from __future__ import annotations

from django.db import models


class Blob(models.Model):
    """Bytes stored once by their SHA-256: raw emails, webhook bodies, attachments."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256

    @property
    def storage_name(self) -> str:
        return blob_storage_name(self.sha256)


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
