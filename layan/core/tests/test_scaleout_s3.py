"""Blobs in an S3-compatible bucket: a local S3 server (moto) stands in for the real one.

The storage settings are the ones `layan/settings.py` builds from LAYAN_S3_* in a fresh
interpreter, so these tests cover the settings as an operator would write them. Without
moto_server the tests skip, except when CI=true, where they fail. The server runs in a process
group of its own and is stopped when the module ends.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from django.urls import reverse

from layan.channels.email.parse import parse_email
from layan.channels.intake import receive
from layan.channels.models import Outcome
from layan.channels.tests.mails import mail
from layan.core import clock
from layan.core.blobs import (
    CHUNK,
    blob_chunks,
    blob_digest,
    blob_exists,
    blob_put,
    blob_read,
    blobs_put,
    blobs_rename,
)
from layan.core.models import blob_storage_name, blob_storage_name_before
from layan.core.tests import processes
from layan.logbook.bundle import bundle_verify
from layan.logbook.models import EntryAttachment
from layan.logbook.verify import logbook_verify
from layan.team.models import Role
from layan.team.tests.factories import UserFactory
from layan.tickets.evidence import ticket_evidence_export
from layan.tickets.models import Ticket

pytestmark = pytest.mark.django_db

ACCESS_KEY = "layan-test-access"
SECRET_KEY = "layan-test-secret"  # moto accepts any credentials
REGION = "ap-southeast-3"

PROBE = (
    "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
)


@dataclass(frozen=True)
class Bucket:
    name: str
    endpoint: str
    client: Any

    def object_names(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in listing.get("Contents", [])]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1, for this module only."""
    server = Path(sys.executable).with_name("moto_server")
    if not server.exists():
        processes.unavailable("moto_server", f"{server} is missing (pip install -e '.[test]')")
    port = processes.free_port()
    process = processes.start([str(server), "-H", "127.0.0.1", "-p", str(port)])
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(endpoint + "/moto-api/", timeout=2):
                    break
            except (urllib.error.URLError, OSError) as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    processes.unavailable("moto_server", f"it did not start: {error}")
                time.sleep(0.2)
        yield endpoint
    finally:
        processes.stop(process)


@pytest.fixture(scope="module")
def bucket(s3_endpoint: str) -> Bucket:
    import boto3

    name = f"layan-so-{secrets.token_hex(4)}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return Bucket(name=name, endpoint=s3_endpoint, client=client)


@pytest.fixture(scope="module")
def s3_storage_settings(bucket: Bucket, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """STORAGES["default"] as layan/settings.py builds it from the environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LAYAN_", "DATABASE_URL", "REDIS_URL", "AWS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="layan.settings",
        LAYAN_DATA_DIR=str(tmp_path_factory.mktemp("s3-settings")),
        LAYAN_S3_BUCKET=bucket.name,
        LAYAN_S3_ENDPOINT_URL=bucket.endpoint,
        LAYAN_S3_REGION=REGION,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    probe = processes.run([sys.executable, "-c", PROBE], env=env, timeout=60)
    assert probe.returncode == 0, probe.stderr[-3000:]
    return json.loads(probe.stdout)


@pytest.fixture
def s3(bucket: Bucket, s3_storage_settings: Any) -> Iterator[Bucket]:
    """Blobs go to the bucket for the duration of the test, small ones too (none is kept in
    the database, `LAYAN_BLOB_INLINE_BYTES=0`)."""
    # Changing STORAGES makes Django drop its cached storages, default_storage included.
    from storages.backends.s3 import S3Storage

    with override_settings(
        STORAGES={**settings.STORAGES, "default": s3_storage_settings},
        LAYAN_BLOB_INLINE_BYTES=0,
    ):
        assert isinstance(default_storage, S3Storage)
        yield bucket
    assert not isinstance(default_storage, S3Storage)


def test_settings_choose_a_private_s3_storage_without_signed_urls(
    s3_storage_settings: Any,
) -> None:
    options = s3_storage_settings["OPTIONS"]
    assert s3_storage_settings["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is False
    assert options["region_name"] == REGION
    assert options["addressing_style"] == "path"


def test_blobs_round_trip_through_the_bucket(s3: Bucket) -> None:
    """Bytes stored once under their digest, read whole, in chunks, and re-hashed from S3."""
    data = secrets.token_bytes(CHUNK * 2 + 12345)
    sha = hashlib.sha256(data).hexdigest()

    blob = blob_put(data)
    again = blob_put(data)

    assert blob.sha256 == again.sha256 == sha
    assert s3.object_names().count(blob_storage_name(sha)) == 1
    assert blob_exists(sha)
    assert blob_read(sha) == data
    chunks = list(blob_chunks(sha))
    assert len(chunks) == 3 and b"".join(chunks) == data
    assert blob_digest(sha) == sha
    grants = s3.client.get_object_acl(Bucket=s3.name, Key=blob_storage_name(sha))["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner only
    assert "Signature" not in default_storage.url(blob_storage_name(sha))


def test_small_blobs_stay_in_the_database_beside_a_bucket(
    bucket: Bucket, s3_storage_settings: Any
) -> None:
    """With the default limit, bytes up to it are kept in the database and never reach the
    bucket; larger ones go to the bucket. Both read back the same way."""
    small, large = secrets.token_bytes(1000), secrets.token_bytes(70 * 1024)
    with override_settings(STORAGES={**settings.STORAGES, "default": s3_storage_settings}):
        assert settings.LAYAN_BLOB_INLINE_BYTES == 64 * 1024
        stored = blobs_put([small, large])
        names = bucket.object_names()
        assert blob_storage_name(stored[0].sha256) not in names
        assert blob_storage_name(stored[1].sha256) in names
        assert [blob_read(blob.sha256) for blob in stored] == [small, large]
        assert [blob_digest(blob.sha256) for blob in stored] == [b.sha256 for b in stored]


def test_blobs_in_the_bucket_move_to_their_names_now_and_back(s3: Bucket) -> None:
    """Migration core.0003 renames blobs in a bucket too: copied to the new name with the
    bucket's ACL, the old name deleted; objects that are not Layan's blobs stay."""
    payloads = [secrets.token_bytes(300 + number) for number in range(5)]
    digests = [hashlib.sha256(data).hexdigest() for data in payloads]
    for sha, data in zip(digests, payloads, strict=True):
        s3.client.put_object(Bucket=s3.name, Key=blob_storage_name_before(sha), Body=data)
    stray = f"{digests[0][:2]}/{digests[0][2:4]}/catatan.txt"
    s3.client.put_object(Bucket=s3.name, Key=stray, Body=b"bukan blob")
    before = set(s3.object_names())

    assert blobs_rename() == 5

    names = set(s3.object_names())
    assert {blob_storage_name(sha) for sha in digests} <= names
    assert not {blob_storage_name_before(sha) for sha in digests} & names
    assert stray in names
    for sha, data in zip(digests, payloads, strict=True):
        assert blob_read(sha) == data
        grants = s3.client.get_object_acl(Bucket=s3.name, Key=blob_storage_name(sha))["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert blobs_rename() == 0

    others = len(before) - 6  # blobs of the module's earlier tests, already under new names
    assert blobs_rename(back=True) == 5 + others
    assert {blob_storage_name_before(sha) for sha in digests} | {stray} <= set(s3.object_names())
    assert blobs_rename() == 5 + others  # the bucket as the other tests expect it


def _mail_with_attachment(payload: bytes) -> Ticket:
    raw = mail(
        subject="Faktur rusak",
        attachments=[("faktur.pdf", "application/pdf", payload)],
        message_id=f"<s3-{secrets.token_hex(6)}@kopi.co.id>",
    )
    result = receive(parse_email(raw), acknowledge=False)
    assert result.outcome == Outcome.NEW_TICKET
    return Ticket.objects.get(reference=result.ticket)


def test_an_attachment_mailed_in_is_downloaded_from_the_bucket_through_the_ticket(
    s3: Bucket, client: Client
) -> None:
    """The raw message and its attachment land in S3; the ticket page links to Layan's own
    download, which streams the bytes from the bucket."""
    payload = b"%PDF-1.7 faktur " + secrets.token_bytes(2000)
    ticket = _mail_with_attachment(payload)
    attachment = EntryAttachment.objects.get(entry__chain=ticket.chain)
    assert blob_storage_name(attachment.blob_id) in s3.object_names()

    client.force_login(UserFactory(role=Role.ADMIN))
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).text
    download = reverse("tickets:attachment", args=[ticket.reference, attachment.pk])
    assert download in page
    assert s3.endpoint not in page and "X-Amz" not in page and s3.name not in page

    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == payload
    assert response["Content-Disposition"].startswith("attachment")


def test_logbook_verify_reads_the_stored_bytes_from_the_bucket(s3: Bucket) -> None:
    """Verification re-hashes raw messages and attachments in S3, so a changed object is
    caught."""
    ticket = _mail_with_attachment(b"%PDF-1.7 " + secrets.token_bytes(500))
    assert logbook_verify(now=clock.now(), ticket=str(ticket.reference)).ok

    attachment = EntryAttachment.objects.get(entry__chain=ticket.chain)
    s3.client.put_object(
        Bucket=s3.name, Key=blob_storage_name(attachment.blob_id), Body=b"diganti diam-diam"
    )
    report = logbook_verify(now=clock.now(), ticket=str(ticket.reference))
    assert not report.ok


def test_evidence_export_packs_attachments_read_from_the_bucket(s3: Bucket) -> None:
    payload = b"%PDF-1.7 bukti " + secrets.token_bytes(3000)
    ticket = _mail_with_attachment(payload)
    bundle = io.BytesIO()

    ticket_evidence_export(ticket=ticket, actor=None, target=bundle)

    bundle.seek(0)
    assert bundle_verify(io.BytesIO(bundle.getvalue()), now=clock.now()).ok
    with zipfile.ZipFile(bundle) as archive:
        contents = [archive.read(name) for name in archive.namelist()]
    assert payload in contents
