"""Runs over the shared third-party corpus (../shared/data/mail); see its README.md."""

import re
from collections import defaultdict
from pathlib import Path

import pytest

from layan.channels.email.auto import classify
from layan.channels.email.parse import parse_email
from layan.channels.email.quotes import split_reply, split_reply_html
from layan.channels.email.sources import iter_messages
from layan.channels.types import AutoKind, InboundMessage, ParseFailure
from layan.core.html import html_to_text

pytestmark = pytest.mark.corpus

# Folders of complete messages; the reply-body folders are bodies, not messages.
MESSAGE_FOLDERS = [
    "mail-parser", "flanker", "mikel-mail", "php-mime-mail-parser", "django-helpdesk",
    "django-mailbox", "notmuch", "sisimai", "discourse-autoreply",
]  # fmt: skip
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def complete_messages(mail: Path) -> list[Path]:
    files = [path for folder in MESSAGE_FOLDERS for path in (mail / folder).rglob("*")]
    files += [*(mail / "talon/standard_replies").glob("*.eml")]
    files.append(mail / "talon/reply-quotations-share-block.eml")
    return sorted(path for path in files if path.is_file())


@pytest.fixture(scope="module")
def parsed(shared_mail: Path) -> dict[str, InboundMessage | ParseFailure]:
    return {
        str(path.relative_to(shared_mail)): parse_email(path.read_bytes())
        for path in complete_messages(shared_mail)
    }


def test_every_message_parses(parsed):
    """All 617 messages give a message or a failure with a reason; only non-mail fails."""
    assert len(parsed) == 617
    failures = {name: result.reason for name, result in parsed.items()
                if isinstance(result, ParseFailure)}  # fmt: skip
    assert all(failures.values())
    assert list(failures) == ["mail-parser/mail_outlook_1"]  # an Outlook .msg file


def test_parsed_fields_are_clean(parsed):
    """Header-bound strings are single-line, addresses lower-case, dates aware, names safe."""
    for name, message in parsed.items():
        if not isinstance(message, InboundMessage):
            continue
        addresses = [message.sender, *message.to, *message.cc, *message.reply_to]
        for address in filter(None, addresses):
            assert address.address == address.address.lower(), name
            assert not CONTROL.search(address.address + address.name), name
        assert not CONTROL.search(message.subject), name
        assert message.sent_at is None or message.sent_at.tzinfo is not None, name
        assert "\x00" not in message.text + message.html, name
        for attachment in message.attachments:
            assert attachment.filename and "/" not in attachment.filename, name
            assert not attachment.filename.startswith("."), name
            assert not CONTROL.search(attachment.filename), name


def test_lkml_threads_can_be_rebuilt(parsed):
    """In-Reply-To and References of the LKML corpus join its messages into known threads."""
    lkml = {m.external_id: m for name, m in parsed.items()
            if name.startswith("notmuch/lkml/") and isinstance(m, InboundMessage)}  # fmt: skip
    parent: dict[str, str] = {}

    def root(ident: str) -> str:
        while parent.get(ident, ident) != ident:
            ident = parent[ident]
        return ident

    for ident, message in lkml.items():
        for other in (message.in_reply_to, *message.references):
            if other and root(other) != root(ident):
                parent[root(ident)] = root(other)
    threads: dict[str, list[InboundMessage]] = defaultdict(list)
    for ident, message in lkml.items():
        threads[root(ident)].append(message)
    sizes = {
        min(threads_messages, key=lambda m: m.sent_at or 0).subject: len(threads_messages)  # type: ignore[arg-type,return-value]
        for threads_messages in threads.values()
    }
    assert len(lkml) == 176
    assert sizes["[PATCH 00/44] remove unnecessary semicolons"] == 100
    assert sizes["[notmuch] [PATCH 1/2] lib/message: Add function to get maildir flags."] == 48
    assert sizes["[PATCH 1/6] x86: move ioapic_irq_destination_types"] == 10
    assert len(threads) == 7


def kind_of(parsed, prefix: str) -> dict[str, AutoKind]:
    return {name: m.auto for name, m in parsed.items()
            if name.startswith(prefix) and isinstance(m, InboundMessage)}  # fmt: skip


def test_sisimai_bounces_are_recognised(parsed):
    """At least 95% of sisimai's bounces (one per MTA) are bounces; its non-bounces are not."""
    bounces = {name: kind for name, kind in kind_of(parsed, "sisimai/").items()
               if not re.search(r"/(not/|.*(rfc3834|arf)-)", name)}  # fmt: skip
    share = sum(kind == AutoKind.BOUNCE for kind in bounces.values()) / len(bounces)
    assert len(bounces) == 82
    assert share >= 0.95
    assert AutoKind.BOUNCE not in kind_of(parsed, "sisimai/not/").values()


@pytest.mark.parametrize(
    ("prefix", "kinds"),
    [
        ("sisimai/bsd/rfc3834-", {AutoKind.AUTO_REPLY}),
        ("sisimai/bsd/arf-", {AutoKind.COMPLAINT}),
        ("flanker/complaints/", {AutoKind.COMPLAINT}),
        ("flanker/bounce/", {AutoKind.BOUNCE, AutoKind.DELAY}),
        ("mikel-mail/multipart_report_emails/", {AutoKind.BOUNCE, AutoKind.DELAY}),
        ("discourse-autoreply/", {AutoKind.AUTO_REPLY, AutoKind.AUTO_GENERATED, AutoKind.BULK}),
    ],
)
def test_automatic_mail_is_recognised(parsed, prefix, kinds):
    """RFC 3834 replies, ARF complaints, DSNs and Discourse's auto mails are all recognised."""
    found = kind_of(parsed, prefix)
    assert found
    assert set(found.values()) <= kinds


def test_bounces_name_the_original_message(parsed, shared_mail):
    """A bounce that carries the original Message-ID reports it."""
    checked = 0
    for name, message in parsed.items():
        if not isinstance(message, InboundMessage) or message.auto not in (
            AutoKind.BOUNCE,
            AutoKind.DELAY,
        ):
            continue
        raw = (shared_mail / name).read_bytes().decode("latin-1")
        found = re.findall(r"(?im)^[ \t>]*message-id:[ \t]*<([^>\r\n]+)>", raw)
        others = [ident for ident in found if ident != message.external_id]
        if others:
            checked += 1
            assert message.bounced_message_id in others, name
    assert checked >= 70


def test_classify_accepts_a_parsed_tree(shared_mail):
    """classify works on a message tree on its own, as the intake may call it."""
    import email

    from layan.channels.email.parse import POLICY

    tree = email.message_from_bytes(
        (shared_mail / "sisimai/bsd/lhost-postfix-01.eml").read_bytes(), policy=POLICY
    )
    assert classify(tree, sender=None, subject="Undelivered Mail").kind == AutoKind.BOUNCE


def squash(text: str) -> str:
    return " ".join(text.split())


def test_reply_trimming_matches_discourse_ground_truth(shared_mail):
    """The new part equals Discourse's trimmed text for at least 85% of its 64 samples."""
    folder = shared_mail / "discourse-email-reply-trimmer"
    samples = sorted((folder / "emails").glob("*.txt"))
    exact = sum(
        squash(split_reply(path.read_text()).new)
        == squash((folder / "trimmed" / path.name).read_text())
        for path in samples
    )
    assert len(samples) == 64
    assert exact / len(samples) >= 0.85


def test_signatures_and_replies_match_talon_ground_truth(shared_mail):
    """Talon's expected signatures and reply texts are met in at least 6 of its 8 cases."""
    folder = shared_mail / "talon"
    exact = 0
    bodies = sorted((folder / "signature/emails/stripped").glob("*_body"))
    for body in bodies:
        expected = body.with_name(body.name.replace("_body", "_signature")).read_text()
        exact += squash(split_reply(body.read_text()).signature) == squash(expected)
    replies = sorted((folder / "standard_replies").glob("*_reply_text"))
    for expected_file in replies:
        message = parse_email(
            expected_file.with_name(expected_file.name.replace("_reply_text", ".eml")).read_bytes()
        )
        assert isinstance(message, InboundMessage)
        parts = split_reply(message.text)
        exact += squash(parts.new + "\n" + parts.signature) == squash(expected_file.read_text())
    assert len(bodies) + len(replies) == 8
    assert exact >= 6


def test_html_replies_split(shared_mail):
    """Every talon HTML reply splits off the quoted "Hello! How are you?" message."""
    files = sorted((shared_mail / "talon/html_replies").glob("*.html"))
    for path in files:
        new, quoted = split_reply_html(path.read_text(errors="replace"))
        assert "I am fine" in html_to_text(new), path.name
        assert "How are you" not in html_to_text(new), path.name
        assert "How are you" in html_to_text(quoted), path.name
    assert len(files) == 9


@pytest.mark.parametrize("folder", ["crisp-email-reply-parser", "zapier-email-reply-parser"])
def test_reply_splitting_never_loses_text(shared_mail, folder):
    """On other projects' samples, the parts together hold every non-blank input line."""
    for path in sorted((shared_mail / folder).iterdir()):
        body = path.read_text(errors="replace")
        parts = split_reply(body)
        assert parts.new.strip(), path.name
        joined = "\n".join([parts.new, parts.signature, parts.quoted])
        assert sorted(filter(str.strip, joined.splitlines())) == sorted(
            filter(str.strip, body.replace("\r\n", "\n").replace("\r", "\n").splitlines())
        ), path.name


def test_sources_find_every_message(shared_mail):
    """Walking the corpus as an import folder finds every complete message."""
    labels = {label.split("#")[0] for label, _ in iter_messages(shared_mail)}
    missing = {str(path) for path in complete_messages(shared_mail)} - labels
    assert missing == {str(shared_mail / "mail-parser/mail_outlook_1")}  # OLE, not mail
