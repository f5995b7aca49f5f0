"""Normalise the addresses people reach us from, so one person has one identity per kind."""

from __future__ import annotations

import re
import unicodedata

from layan.channels.types import IdentityKind

_EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")
_DIGITS_RE = re.compile(r"\d+")


class InvalidIdentity(ValueError):
    """The value cannot be an address of the given kind."""


def email_normalise(value: str) -> str:
    """Return the address lower-cased and NFKC-normalised, or raise `InvalidIdentity`.

    Look-alike characters (full-width letters, ligatures) are folded by NFKC so that they cannot
    create a second identity that looks like the first one (Django CVE-2019-19844).
    """
    candidate = unicodedata.normalize("NFKC", value).strip().strip("<>").strip().lower()
    if not _EMAIL_RE.match(candidate) or len(candidate) > 254:
        raise InvalidIdentity(value)
    return candidate


def phone_normalise(value: str, *, default_country_code: str = "62") -> str:
    """Return the number in E.164 (`+6281234567890`), or raise `InvalidIdentity`.

    Indonesian habits are understood: a leading 0 is the trunk prefix, `62…` without the plus is
    already international.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    plus = text.startswith("+") or text.startswith("00")
    digits = "".join(_DIGITS_RE.findall(text))
    if text.startswith("00"):
        digits = digits[2:]
    if not plus:
        if digits.startswith("0"):
            digits = default_country_code + digits[1:]
        elif not digits.startswith(default_country_code):
            digits = default_country_code + digits
    if not 8 <= len(digits) <= 15 or digits.startswith("0"):
        raise InvalidIdentity(value)
    return "+" + digits


def chat_id_normalise(value: str) -> str:
    """Return a chat platform id as given, trimmed; ids are opaque but never empty."""
    text = value.strip()
    if not text or len(text) > 64 or any(ch.isspace() for ch in text):
        raise InvalidIdentity(value)
    return text


def identity_normalise(kind: str, value: str) -> str:
    """Return `value` normalised for an identity of `kind`."""
    match kind:
        case IdentityKind.EMAIL:
            return email_normalise(value)
        case IdentityKind.PHONE:
            return phone_normalise(value)
        case IdentityKind.WHATSAPP:
            # WhatsApp ids are phone numbers without the plus.
            return phone_normalise(value)[1:]
        case IdentityKind.TELEGRAM:
            return chat_id_normalise(value)
    raise InvalidIdentity(f"unknown identity kind {kind!r}")
