"""Generate a deterministic mail archive for the ingestion benchmark.

Indonesian and English conversations between customers and a service desk: thread starters,
replies that carry In-Reply-To/References (sometimes from a colleague in Cc), attachments,
HTML alternatives, quoted-printable and base64 bodies, Latin-1 and Windows-1252 charsets.
Writes one file per message (random-looking names) and a manifest of the expected threads.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

FIRST = [
    "Siti",
    "Budi",
    "Rina",
    "Agus",
    "Dewi",
    "Joko",
    "Maya",
    "Hadi",
    "Lina",
    "Eko",
    "Sarah",
    "Michael",
    "Anna",
    "David",
    "Putri",
    "Fajar",
    "Indah",
    "Teguh",
    "Citra",
    "Wahyu",
]
LAST = [
    "Santoso",
    "Wijaya",
    "Kusuma",
    "Pratama",
    "Lestari",
    "Hidayat",
    "Tan",
    "Lim",
    "Nugroho",
    "Saputra",
    "Halim",
    "Gunawan",
]
DOMAINS = [
    "kopi.co.id",
    "sinar.co.id",
    "batik.id",
    "gmail.com",
    "yahoo.co.id",
    "mitra.com",
    "greenleaf.sg",
    "hotel-bali.com",
    "klinik.id",
    "toko-roti.id",
]
SUBJECTS_ID = [
    "Pesanan {n} belum sampai",
    "Tagihan ganda bulan ini",
    "Minta faktur pajak",
    "Warna cetakan berbeda",
    "Tanya harga brosur {n} pcs",
    "Revisi desain kemasan",
    "Kurir tidak datang",
    "Jadwal pengiriman minggu depan",
    "Komplain kualitas kertas",
    "Perubahan alamat penagihan",
]
SUBJECTS_EN = [
    "Order {n} not delivered yet",
    "Quotation for {n} business cards",
    "Wrong size on delivered banners",
    "Invoice question",
    "Change of billing address",
]
BODY_ID = [
    "Selamat pagi, {x}. Mohon dibantu secepatnya ya.",
    "Halo kak, {x}. Terima kasih sebelumnya 🙏",
    "Dengan hormat, kami ingin menyampaikan bahwa {x}. Mohon konfirmasinya.",
    "Sore, {x}. Sudah dua kali begini, kecewa bgt.",
]
FACTS_ID = [
    "paket kami belum diterima sejak Senin",
    "tagihan muncul dua kali di rekening",
    "warna merahnya lebih kusam dari proof",
    "kami butuh faktur untuk laporan bulan ini",
    "kurir tidak datang pada jam yang dijanjikan",
]
BODY_EN = [
    "Hello, {x}. Could you please check?",
    "Hi team, {x}. Thanks in advance.",
    "Dear support, {x}. This is urgent for our launch.",
]
FACTS_EN = [
    "our order has not arrived yet",
    "the invoice shows the wrong amount",
    "the banners are 10 cm too short",
]
ACCENTED = "Café Señor Müller - déjà vu, naïve façade"


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return (
        f"{first} {last}",
        f"{first.lower()}.{last.lower()}{rng.randrange(100)}@{rng.choice(DOMAINS)}",
    )


def _fit(text: str, charset: str) -> str:
    """Drop what a legacy charset cannot say (emoji), as old mail clients do."""
    return text.encode(charset, errors="ignore").decode(charset)


def _message(
    rng: random.Random,
    *,
    sender: tuple[str, str],
    cc: tuple[str, str] | None,
    subject: str,
    body: str,
    message_id: str,
    parents: list[str],
    when: datetime,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{sender[0]} <{sender[1]}>"
    message["To"] = "Layanan Pelanggan <cs@layan.test>"
    if cc:
        message["Cc"] = f"{cc[0]} <{cc[1]}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<{message_id}>"
    if parents:
        message["In-Reply-To"] = f"<{parents[-1]}>"
        message["References"] = " ".join(f"<{p}>" for p in parents[-10:])
    style = rng.random()
    if style < 0.12:
        text = _fit(body + "\n\n" + ACCENTED, "iso-8859-1")
        message.set_content(text, charset="iso-8859-1", cte="quoted-printable")
    elif style < 0.2:
        text = _fit(body + "\n\n" + ACCENTED + " \u2014 \u201cok\u201d", "windows-1252")
        message.set_content(text, charset="windows-1252")
    elif style < 0.35:
        message.set_content(body, cte="base64")
    else:
        message.set_content(body)
    if rng.random() < 0.3:
        message.add_alternative(
            f"<html><body><p>{body}</p><p><b>Salam</b></p></body></html>", subtype="html"
        )
    if rng.random() < 0.1:
        size = rng.randrange(2_000, 60_000)
        kind = rng.choice([("application", "pdf", "faktur.pdf"), ("image", "jpeg", "foto.jpg")])
        message.add_attachment(
            rng.randbytes(size), maintype=kind[0], subtype=kind[1], filename=kind[2]
        )
    return message.as_bytes()


def generate(folder: Path, *, count: int = 10_000, seed: int = 1042) -> dict[str, object]:
    """Write `count` messages under `folder`; return the manifest (also written as JSON)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    written = 0
    replies = 0
    thread_of: dict[str, int] = {}
    thread = 0
    while written < count:
        thread += 1
        english = rng.random() < 0.25
        customer, colleague = _person(rng), _person(rng)
        number = rng.randrange(100, 5000)
        subject = rng.choice(SUBJECTS_EN if english else SUBJECTS_ID).format(n=number)
        when = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 300))
        parents: list[str] = []
        for position in range(min(rng.choice([1, 1, 2, 2, 3, 4, 5]), count - written)):
            message_id = (
                f"b{seed}.{thread}.{position}.{rng.randrange(10**9)}@{customer[1].split('@')[1]}"
            )
            sender = customer if position % 2 == 0 or rng.random() < 0.5 else colleague
            template = rng.choice(BODY_EN if english else BODY_ID)
            body = template.format(x=rng.choice(FACTS_EN if english else FACTS_ID))
            if parents:
                body += "\n\nOn earlier, someone wrote:\n> " + "\n> ".join(body.split(". ")[:2])
                replies += 1
            raw = _message(
                rng,
                sender=sender,
                cc=colleague if position == 0 else None,
                subject=("Re: " if parents else "") + subject,
                body=body,
                message_id=message_id,
                parents=parents,
                when=when,
            )
            name = f"{rng.randrange(16**10):010x}" + rng.choice(["", ".eml", ".msg.txt", ""])
            (folder / name).write_bytes(raw)
            thread_of[message_id] = thread
            parents.append(message_id)
            when += timedelta(minutes=rng.randrange(20, 60 * 48))
            written += 1
    manifest = {"messages": written, "threads": thread, "replies": replies, "thread_of": thread_of}
    (folder.parent / f"{folder.name}.manifest.json").write_text(json.dumps(manifest))
    return manifest
