import tracemalloc

import pytest

from layan.channels.email.sources import (
    iter_folder,
    iter_maildir,
    iter_mbox,
    iter_messages,
    looks_like_mail,
)
from layan.channels.email.tests.conftest import fixture_bytes

ONE = b"From: a@b.co\nSubject: one\n\nFrom the desk of Budi.\n>From here on, quoted.\n"
TWO = b"From: c@d.co\nSubject: two\n\nbody two\n"
MBOX = (
    b"From a@b.co Mon Jan  1 10:00:00 2024\n"
    b"From: a@b.co\nSubject: one\n\n>From the desk of Budi.\n>>From here on, quoted.\n\n"
    b"From MAILER-DAEMON  Sat Oct  4 08:00:09 2025\n"
    b"From: c@d.co\nSubject: two\n\nbody two\n\n"
)


def test_mbox_messages_are_split_and_unescaped(tmp_path):
    """mboxrd separators split messages; one level of >From quoting is removed."""
    path = tmp_path / "inbox.mbox"
    path.write_bytes(MBOX)
    messages = list(iter_mbox(path))
    assert [raw for _, raw in messages] == [ONE, TWO]
    assert messages[0][0] == f"{path}#0"
    assert messages[1][0] == f"{path}#{MBOX.index(b'From MAILER')}"


def test_mboxo_keeps_quoted_from_lines(tmp_path):
    """Without mboxrd, >From lines stay as written."""
    path = tmp_path / "inbox"
    path.write_bytes(MBOX)
    first = next(iter_mbox(path, mboxrd=False))[1]
    assert b">From the desk" in first


def test_body_line_starting_with_from_is_not_a_separator(tmp_path):
    """'From ' in a body without a date is not a new message."""
    path = tmp_path / "inbox"
    path.write_bytes(b"From x@y Mon Jan  1 10:00:00 2024\nSubject: a\n\nhi\n\nFrom the team\n")
    assert len(list(iter_mbox(path))) == 1


def test_oversized_mbox_messages_are_skipped(tmp_path):
    """A message above the size limit is skipped, the next one still comes."""
    path = tmp_path / "inbox"
    path.write_bytes(MBOX)
    assert [raw for _, raw in iter_mbox(path, max_message_bytes=60)] == [TWO]


def test_mbox_streams_in_bounded_memory(tmp_path):
    """Reading a large mbox holds about one message at a time, not the file."""
    path = tmp_path / "big.mbox"
    message = b"From a@b Mon Jan  1 10:00:00 2024\nSubject: x\n\n" + b"y" * 10_000 + b"\n\n"
    with path.open("wb") as handle:
        for _ in range(2_000):  # 20 MB
            handle.write(message)
    tracemalloc.start()
    count = sum(1 for _ in iter_mbox(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 2_000
    assert peak < 2_000_000


def test_maildir_reads_cur_and_new_but_not_tmp(tmp_path):
    """A Maildir gives its delivered messages; tmp/ holds deliveries in progress."""
    for folder, name, raw in [("cur", "1.a:2,S", ONE), ("new", "2.b", TWO), ("tmp", "3.c", b"x")]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_bytes(raw)
    assert [raw for _, raw in iter_maildir(tmp_path)] == [ONE, TWO]
    assert [raw for _, raw in iter_messages(tmp_path)] == [ONE, TWO]


def test_folder_of_files_finds_mail_by_content(tmp_path):
    """Any file that looks like mail is read, recursively; obvious non-mail is skipped."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "message-without-extension").write_bytes(ONE)
    (tmp_path / "a" / "export.eml").write_bytes(fixture_bytes("talon/iphone.eml"))
    (tmp_path / "a" / "archive.mbox").write_bytes(MBOX)
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / "a" / "notes.txt").write_text("Shopping list: eggs\nmilk\n")
    (tmp_path / "a" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0JFIF")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "mail").write_bytes(ONE)
    labels = [label.replace(str(tmp_path), "") for label, _ in iter_folder(tmp_path)]
    assert labels == ["/a/archive.mbox#0", f"/a/archive.mbox#{MBOX.index(b'From MAILER')}",
                      "/a/export.eml", "/a/b/message-without-extension"]  # fmt: skip


@pytest.mark.parametrize(
    ("head", "mail"),
    [
        (b"Received: from x\n\tby y\nFrom: a@b\nSubject: s\n\nbody", True),
        (b"\n\nReturn-Path: <a@b>\nDelivered-To: c@d\n\nbody", True),
        (b"Newsgroups: x\nPath: y\nXref: z\nReturn-Path: <a@b>\nbroken continuation\n", True),
        (b"Subject: only one header\n\nbody", False),
        (b"Shopping list: eggs\nMilk: two\n", False),
        (b"\x89PNG\r\n\x1a\n", False),
        (b"", False),
    ],
)
def test_looks_like_mail(head, mail):
    """Mail is recognised by a header block with at least one well-known field."""
    assert looks_like_mail(head) is mail


def test_read_message_finds_each_message_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every label a reader yields reads back to the same bytes (mbox offsets and files)."""
    from layan.channels.email.sources import iter_messages, read_message

    mbox = tmp_path / "arsip.mbox"
    mbox.write_bytes(
        b"From a@b.c Mon Jan  1 00:00:00 2024\nFrom: a@b.c\nSubject: satu\n\n>From sini\n\n"
        b"From d@e.f Mon Jan  1 00:01:00 2024\nFrom: d@e.f\nSubject: dua\n\nisi\n"
    )
    (tmp_path / "pesan").write_bytes(b"From: x@y.z\nTo: a@b.c\nSubject: tiga\n\nhalo\n")
    big = b"From: x@y.z\nTo: a@b.c\nSubject: empat\n\n" + b"lampiran\n" * 300_000  # 2.7 MB
    (tmp_path / "besar.eml").write_bytes(big)
    seen = list(iter_messages(tmp_path))
    assert len(seen) == 4 and big in [raw for _label, raw in seen]
    for label, raw in seen:
        assert read_message(label) == raw


def test_heads_only_read_a_file_message_up_to_the_size_asked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With `head`, a message in a file of its own is cut after that many bytes, whatever
    the sniffing read first; an mbox's messages stay whole; non-mail is still skipped."""
    large = b"From: a@b.co\nSubject: besar\nDate: Mon, 1 Jan 2024 10:00:00 +0700\n\n"
    large += b"isi pesan yang panjang\n" * 2_000  # about 46 KB, over the 8 KB sniffed first
    (tmp_path / "besar.eml").write_bytes(large)
    huge = large + b"lampiran panjang\n" * 150_000  # about 2.6 MB: read in several pieces
    (tmp_path / "raksasa.eml").write_bytes(huge)
    (tmp_path / "kecil").write_bytes(ONE)
    (tmp_path / "arsip.mbox").write_bytes(MBOX)
    (tmp_path / "notes.txt").write_text("Shopping list: eggs\nmilk\n")
    whole = dict(iter_messages(tmp_path))
    assert whole[str(tmp_path / "besar.eml")] == large
    assert whole[str(tmp_path / "raksasa.eml")] == huge
    for head in (100, 10_000, 1_000_000):
        cut = dict(iter_messages(tmp_path, head=head))
        assert cut.keys() == whole.keys()
        assert cut[str(tmp_path / "besar.eml")] == large[:head]
        assert cut[str(tmp_path / "raksasa.eml")] == huge[:head]
        assert cut[str(tmp_path / "kecil")] == ONE[:head]
        assert [cut[label] for label in cut if "#" in label] == [ONE, TWO]


def test_heads_of_a_maildir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for folder in ("cur", "new", "tmp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "cur" / "1.a:2,S").write_bytes(ONE)
    (tmp_path / "new" / "2.b").write_bytes(TWO)
    assert [raw for _, raw in iter_messages(tmp_path, head=12)] == [ONE[:12], TWO[:12]]
    assert [raw for _, raw in iter_maildir(tmp_path)] == [ONE, TWO]
