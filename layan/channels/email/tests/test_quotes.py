import pytest

from layan.channels.email.parse import parse_email
from layan.channels.email.quotes import ReplyParts, split_reply, split_reply_html
from layan.channels.email.tests.conftest import FIXTURES, fixture_bytes
from layan.channels.types import InboundMessage
from layan.core.html import html_to_text


def squash(text: str) -> str:
    return " ".join(text.split())


CS = "CS Layan <cs@layan.example>"


@pytest.mark.parametrize(
    ("history", "starts"),
    [
        (f"Pada Sen, 1 Jan 2024 pukul 10.00 {CS} menulis:\n> Pesanan sudah dikirim.\n", "Pada"),
        (f"Pada tanggal Sen, 1 Jan 2024 10:00, {CS}\nmenulis:\n\n> Halo", "Pada tanggal"),
        (f"On Mon, Jan 1, 2024 at 10:00 AM {CS} wrote:\n\n> Halo\n", "On Mon"),
        (f"Am 01.01.2024 um 10:00 schrieb {CS}:\n> Hallo", "Am 01.01.2024"),
        (f"Le lun. 1 janv. 2024 à 10:00, {CS} a écrit :\n> Bonjour", "Le lun."),
        (f"2024-01-01 10:00 GMT+07:00 {CS}:\n\n> Halo", "2024-01-01"),
        (
            "-----Original Message-----\nFrom: CS\nSent: Monday\nTo: Budi\nSubject: X\n\nHalo",
            "-----Original Message-----",
        ),
        (
            "-----Pesan Asli-----\nDari: CS\nDikirim: Senin\nKepada: Budi\nPerihal: X\n\nHalo",
            "-----Pesan Asli-----",
        ),
        (
            f"Dari: {CS}\nDikirim: Senin, 1 Januari 2024 10.00\nKepada: Budi\nPerihal: X\n\nHalo",
            "Dari: CS",
        ),
        (
            f"{'_' * 32}\nFrom: {CS}\nSent: Monday\nTo: Budi\nSubject: Pesanan\n\nHalo",
            "_" * 32,
        ),
    ],
)
def test_quote_headers_start_the_history(history, starts):
    """Quote headers of common clients in Indonesian and other languages start the history."""
    parts = split_reply(f"Baik, terima kasih.\n\n{history}")
    assert parts.new == "Baik, terima kasih."
    assert parts.quoted.startswith(starts)


@pytest.mark.parametrize(
    "body",
    [
        "> Kapan dikirim?\n\nBesok pagi.\n\n> Lewat apa?\n\nJNE.",
        "> hanya kutipan",
        "On this day\n\nI wrote something.",
        "On Monday the courier came at 10:00 and said:\nno one home.",
    ],
)
def test_inline_answers_and_prose_stay_whole(body):
    """Inline answers keep their quoted context; prose that resembles a header stays text."""
    assert split_reply(body) == ReplyParts(new=body)


@pytest.mark.parametrize(
    "history",
    [
        "On Mon, Jan 1, 2024 at 10:00 AM CS <cs@x.id> wrote:\n> Halo\n\n",
        "---------- Forwarded message ---------\nFrom: Ani <a@x.id>\nDate: Sen\nTo: b@x.id\n\n",
    ],
)
def test_history_above_the_answer_is_skipped(history):
    """Bottom-posted replies and bare forwards show the text below the history."""
    parts = split_reply(history + "Jawaban saya di bawah.")
    assert (parts.new, parts.quoted) == ("Jawaban saya di bawah.", history.strip())


def test_quote_at_the_end_is_history():
    """A quote block after the answer is folded away."""
    assert split_reply("Jawaban.\n\n> kutipan\n> lagi") == ReplyParts(
        "Jawaban.", "", "> kutipan\n> lagi"
    )


@pytest.mark.parametrize(
    ("new", "signature"),
    [
        ("Pesanan diterima.", "-- \nBudi Santoso\nPT Maju"),
        ("Pesanan sudah diterima dengan baik.", "Salam,\nBudi"),
        ("Mohon segera diproses.", "Hormat kami,\nBudi Santoso\nPT Maju Jaya\n0812-3456-7890"),
        ("Barang sudah sampai di gudang kami.", "Terima kasih,\nBudi"),
        ("Oke siap.", "Sent from my iPhone"),
        ("Oke siap.", "Dikirim dari iPhone saya"),
        ("Oke siap.", "Dikirim dari Yahoo Mail di Android"),
        ("Terima kasih,\nBudi", ""),
        ("Hi,\nThanks a lot!\nBudi", ""),
        ("Sent the invoice yesterday, did you get it?", ""),
        ("Daftar:\n-- item satu\n-- item dua", ""),
        ("Ringkasan\n----------\nSatu\nDua", ""),
        ("Kode:\n```\n-- \n####\n```\nSelesai.", ""),
    ],
)
def test_signatures(new, signature):
    """Signatures after "-- ", closings with a name, and phone sign-offs fold; lookalikes do not."""
    body = f"{new}\n\n{signature}" if signature else new
    assert split_reply(body) == ReplyParts(new=new, signature=signature)


def test_reply_text_of_a_real_iphone_message():
    """Talon's iPhone reply keeps the text and its signature, without the quote."""
    message = parse_email(fixture_bytes("talon/iphone.eml"))
    assert isinstance(message, InboundMessage)
    parts = split_reply(message.text)
    expected = fixture_bytes("talon/iphone_reply_text").decode()
    assert squash(parts.new + "\n" + parts.signature) == squash(expected)
    assert parts.quoted.startswith("On Apr 3, 2012")


@pytest.mark.parametrize(
    "name", ["email_headers_2", "embedded_email_german_4", "forwarded_gmail", "usenet"]
)
def test_discourse_trimmer_samples(name):
    """Samples from Discourse's reply trimmer give its expected reply text."""
    body = (FIXTURES / f"discourse-email-reply-trimmer/{name}.txt").read_text()
    expected = (FIXTURES / f"discourse-email-reply-trimmer/{name}.trimmed.txt").read_text()
    assert squash(split_reply(body).new) == squash(expected)


def test_nothing_is_lost():
    """Every non-blank line of the input is in exactly one of the three parts."""
    body = "Jawab.\n\nSalam,\nBudi\n\nOn Mon, 1 Jan 2024 at 10:00, CS <cs@x.id> wrote:\n> a\n> b\n"
    parts = split_reply(body)
    joined = "\n".join([parts.new, parts.signature, parts.quoted]).splitlines()
    assert sorted(line for line in joined if line.strip()) == sorted(
        line for line in body.splitlines() if line.strip()
    )


@pytest.mark.parametrize(
    "name", ["talon/html-gmail.html", "talon/html-thunderbird.html", "talon/html-outlook-2010.html"]
)
def test_html_replies_split_at_the_quoted_message(name):
    """Gmail, Thunderbird and Outlook HTML replies split where the quoted message starts."""
    new, quoted = split_reply_html(fixture_bytes(name).decode())
    assert squash(html_to_text(new)).endswith("Hi. I am fine. Thanks, Alex")
    assert "Hello! How are you?" in html_to_text(quoted)
    assert "How are you" not in html_to_text(new)


@pytest.mark.parametrize(
    ("html", "new_text"),
    [
        (
            '<div>Siap.</div><div class="gmail_quote"><div>On Mon wrote:</div>'
            "<blockquote>x</blockquote></div>",
            "Siap.",
        ),
        ('<p>Siap.</p><div id="appendonsend"></div><hr><p><b>From:</b> CS</p>', "Siap."),
        (
            "<p>Siap.<br><br>Pada Sen, 1 Jan 2024 pukul 10.00 CS &lt;cs@x.id&gt; menulis:</p>"
            "<blockquote>x</blockquote>",
            "Siap.",
        ),
        (
            "<p>Siap.</p><hr><p>Dari: CS<br>Dikirim: Senin<br>Kepada: Budi<br>Perihal: X</p>",
            "Siap.",
        ),
        ('<blockquote type="cite">kutipan</blockquote><p>Jawaban</p>', "> kutipan\n\nJawaban"),
        ("<p>Tanpa kutipan.</p>", "Tanpa kutipan."),
    ],
)
def test_html_split_markers(html, new_text):
    """Client quote containers and quote headers cut the HTML; a quote on top is kept."""
    new, _ = split_reply_html(html)
    assert html_to_text(new) == new_text
