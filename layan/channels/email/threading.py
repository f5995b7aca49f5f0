"""Find the ticket a message belongs to: signed Message-IDs, subject tokens, forwards.

Our outgoing Message-IDs carry the ticket reference and an HMAC over it, so a reply that
keeps In-Reply-To or References finds its ticket without a database lookup of every id, and
nobody can attach mail to a ticket by guessing its number. The `[#1042]` subject token is
the fallback for clients that drop both headers; it is a hint, not proof (anyone can type
it), and the intake should weigh it that way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from layan.channels.email.decoding import clean_text, normalise_message_id, parse_addresses
from layan.channels.types import Address, InboundMessage

__all__ = [
    "Forward",
    "candidate_ids",
    "detect_forward",
    "make_message_id",
    "normalise_subject",
    "strip_subject_prefixes",
    "subject_ticket_ref",
    "subject_with_ticket_ref",
    "ticket_ref_from_message_id",
]

_ID_PREFIX = "layan"
_REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NONCE = re.compile(r"^[a-z0-9]{1,32}$")
_SIGNATURE_BYTES = 15  # 120 bits: 24 base32 characters, no padding


def _signature(key: bytes, ticket_ref: str, nonce: str) -> str:
    digest = hmac.new(key, f"{_ID_PREFIX}:{ticket_ref}:{nonce}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()[:_SIGNATURE_BYTES]).decode("ascii").lower()


def make_message_id(*, ticket_ref: str, key: bytes, domain: str, nonce: str | None = None) -> str:
    """Return a new Message-ID (without <>) that names `ticket_ref` and proves we wrote it.

    The domain is not signed, so ids stay valid when the deployment changes its mail domain.
    """
    if not key:
        raise ValueError("key must not be empty")
    if not _REF.match(ticket_ref):
        raise ValueError("ticket_ref may use only letters, digits, '-' and '_' (1-64)")
    nonce = secrets.token_hex(8) if nonce is None else nonce.lower()
    if not _NONCE.match(nonce):
        raise ValueError("nonce may use only letters and digits (1-32)")
    domain = domain.strip().lower()
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?", domain):
        raise ValueError("domain must be a plain host name")
    signature = _signature(key, ticket_ref, nonce)
    return f"{_ID_PREFIX}.{ticket_ref}.{nonce}.{signature}@{domain}"


_OUR_ID = re.compile(
    rf"^{_ID_PREFIX}\.([A-Za-z0-9_-]{{1,64}})\.([a-z0-9]{{1,32}})\.([a-z2-7]{{24}})@", re.I
)


def ticket_ref_from_message_id(message_id: str, *, key: bytes) -> str | None:
    """Return the ticket reference inside one of our Message-IDs; None if absent or forged."""
    match = _OUR_ID.match(normalise_message_id(message_id) or "")
    if not match or not key:
        return None
    ticket_ref, nonce, signature = match.groups()
    expected = _signature(key, ticket_ref, nonce.lower())
    return ticket_ref if hmac.compare_digest(expected, signature.lower()) else None


# One reply/forward marker: a word from the table below followed by an optional counter
# ("Re[2]:", "Re(3):", "RE^2:") and a colon (ASCII or full-width), or a bracketed tag.
_PREFIX_WORDS = (
    "re", "aw", "sv", "antw", "antwort", "odp", "vs", "rif", "res", "r", "bls", "balas",
    "fw", "fwd", "fwdd", "tr", "wg", "rv", "enc", "i", "doorst", "vb", "vl", "pd", "trs", "ynt",
    "továbbítás", "válasz", "odg", "πρθ", "απ", "σχετ", "ответ", "пересл",
    "回复", "回覆", "转发", "轉寄", "답장", "전달", "返信", "転送",
)  # fmt: skip
_PREFIX = re.compile(
    r"^\s*(?:(?:" + "|".join(map(re.escape, _PREFIX_WORDS)) + r")\s*"
    r"(?:[\[(^]\s*\d+\s*[\])]?)?\s*[:：]"
    r"|\[(?:external|eksternal|ext|external email|spam|suspected spam|phish\w*|warning)\]"
    r"|\*\*\*\s*(?:external|spam)\s*\*\*\*)\s*",
    re.IGNORECASE,
)
_FORWARD_PREFIX = re.compile(
    r"^\s*(?:fw|fwd|fwdd|tr|wg|rv|enc|i|doorst|vl|pd|trs|ynt|továbbítás|пересл|转发|轉寄|전달|転送)"
    r"\s*(?:[\[(^]\s*\d+\s*[\])]?)?\s*[:：]",
    re.IGNORECASE,
)


def strip_subject_prefixes(subject: str) -> str:
    """Return `subject` without any stack of reply/forward prefixes and warning tags."""
    subject = clean_text(subject)
    while True:
        stripped = _PREFIX.sub("", subject, count=1)
        if stripped == subject:
            return subject
        subject = stripped


@lru_cache(maxsize=16)
def _token(prefix: str) -> re.Pattern[str]:
    return re.compile(r"\[\s*" + re.escape(prefix) + r"\s*([A-Za-z0-9_-]{1,64})\s*\]", re.I)


def subject_ticket_ref(subject: str, *, prefix: str = "#") -> str | None:
    """Return the ticket reference of the last `[#1042]`-style token in `subject`."""
    found = _token(prefix).findall(subject)
    return found[-1] if found else None


def subject_with_ticket_ref(subject: str, ticket_ref: str, *, prefix: str = "#") -> str:
    """Return `subject` carrying exactly one token for `ticket_ref`, added at the end."""
    if not _REF.match(ticket_ref):
        raise ValueError("ticket_ref may use only letters, digits, '-' and '_' (1-64)")
    bare = clean_text(_token(prefix).sub("", clean_text(subject)))
    return f"{bare} [{prefix}{ticket_ref}]".strip()


def normalise_subject(subject: str, *, prefix: str = "#") -> str:
    """Return `subject` reduced for "possibly the same conversation" comparisons."""
    subject = _token(prefix).sub(" ", strip_subject_prefixes(subject))
    subject = unicodedata.normalize("NFKC", subject).casefold()
    return re.sub(r"[^\w]+", " ", subject).strip()


def candidate_ids(message: InboundMessage) -> list[str]:
    """Return the ids to look our conversation up by: In-Reply-To, then References newest first."""
    ordered = [message.in_reply_to, *reversed(message.references)]
    own = message.external_id
    return [ident for ident in dict.fromkeys(ordered) if ident and ident != own]


@dataclass(frozen=True, slots=True)
class Forward:
    """A forwarded message found in a body; `sender` is who wrote the original, if stated."""

    sender: Address | None = None
    subject: str = ""
    date: str = ""


_FORWARD_MARKER = re.compile(
    r"^[ \t>]*(?:-{2,}\s*(?:forwarded message|pesan yang diteruskan|pesan terusan"
    r"|weitergeleitete nachricht|message transféré|mensaje reenviado|mensagem encaminhada)"
    r"|begin forwarded message\s*:|start of forwarded message|forwarded message\s*:"
    r"|mulai pesan yang diteruskan\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
# Outlook writes the same separator for replies and forwards, so it only counts after "Fwd:".
_ORIGINAL_MARKER = re.compile(
    r"^[ \t>]*-{2,}\s*(?:original message|pesan asli|ursprüngliche nachricht|message d'origine"
    r"|mensaje original|mensagem original)|^[ \t>]*_{10,}\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_FIELD = re.compile(
    r"^[ \t>*]*(from|dari|von|de|van|da|от|sender|date|tanggal|datum|sent|dikirim|fecha|data"
    r"|subject|perihal|subjek|betreff|objet|asunto|assunto|oggetto|onderwerp)\s*\*?\s*:\s*\*?"
    r"\s*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_FROM_FIELDS = {"from", "dari", "von", "de", "van", "da", "от", "sender"}
_DATE_FIELDS = {"date", "tanggal", "datum", "sent", "dikirim", "fecha", "data"}


def detect_forward(*, subject: str, text: str) -> Forward | None:
    """Return what a forwarded message says about its original, or None if not a forward."""
    marker = _FORWARD_MARKER.search(text)
    if not marker and _FORWARD_PREFIX.match(clean_text(subject)):
        marker = _ORIGINAL_MARKER.search(text)
        if not marker:
            return Forward()
    if not marker:
        return None
    values: dict[str, str] = {}
    for line in text[marker.end() :].lstrip("-_ \t").splitlines()[1:16]:
        field = _FIELD.match(line)
        if field:
            name = field.group(1).lower()
            kind = "from" if name in _FROM_FIELDS else "date" if name in _DATE_FIELDS else "subject"
            values.setdefault(kind, clean_text(field.group(2)))
        elif values and not line.strip():
            break
    # Outlook writes "Name [mailto:a@b]"; make it an address the parser knows.
    sender = re.sub(r"\[mailto:([^\]]+)\]", r"<\1>", values.get("from", ""))
    senders = parse_addresses([sender]) if sender else ()
    return Forward(
        sender=senders[0] if senders else None,
        subject=values.get("subject", ""),
        date=values.get("date", ""),
    )
