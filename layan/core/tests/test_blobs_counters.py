import hashlib
import threading

import pytest
from django.db import connection, transaction

from layan.core.blobs import blob_digest, blob_put, blob_read
from layan.core.counters import counter_next
from layan.core.models import Blob

pytestmark = pytest.mark.django_db


def test_blob_put_stores_once_by_content() -> None:
    """The same bytes stored twice are one blob, found by their SHA-256."""
    first = blob_put(b"Faktur Oktober")
    second = blob_put(b"Faktur Oktober")
    assert first.sha256 == second.sha256 == hashlib.sha256(b"Faktur Oktober").hexdigest()
    assert Blob.objects.count() == 1
    assert blob_read(first.sha256) == b"Faktur Oktober"
    assert blob_digest(first.sha256) == first.sha256


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
