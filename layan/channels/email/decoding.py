"""Turn the bytes and header strings of real-world mail into clean text, tolerating breakage.

Every function here is total: bad charsets, broken encoded-words, raw 8-bit headers and junk
message ids give a best-effort result, never an exception.
"""

from __future__ import annotations

import binascii
import codecs
import mimetypes
import re
import unicodedata
from email.message import Message
from email.utils import getaddresses
from functools import lru_cache
from pathlib import PurePosixPath

from layan.channels.types import Address

# Names seen in real mail that Python does not know, or knows under a narrower codec than
# senders actually use (Windows code pages are supersets of their ISO/legacy namesakes).
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "utf8": "utf-8",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
}
_UNKNOWN_CHARSETS = {"", "unknown", "x-unknown", "unknown-8bit", "x-user-defined", "default"}
_NOT_TEXT = {"idna", "punycode", "undefined", "unicode_escape", "raw_unicode_escape"}
_KNOWN_INSIDE = re.compile(
    r"utf-?8|iso-?8859-\d+|iso-2022-jp|windows-12\d\d|cp12\d\d|koi8-[ru]|shift_jis|euc-jp|gb2312"
)
_SINGLE_BYTE_LATIN = {"cp1252", "cp1250", "cp1254", "iso8859-15", "iso8859-2"}
# Codecs whose bytes can look like plain ASCII and still need decoding.
_NOT_ASCII_COMPATIBLE = ("iso2022", "utf-7", "hz", "utf-16", "utf-32")


@lru_cache(maxsize=256)
def codec_for(charset: str | None) -> str | None:
    """Return the Python codec to decode text declared as `charset`, or None to guess."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower().split("*", 1)[0]
    if name in _UNKNOWN_CHARSETS:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    for candidate in (name, *(_KNOWN_INSIDE.findall(name)[:1])):
        candidate = _CHARSET_ALIASES.get(candidate, candidate)
        try:
            codec = codecs.lookup(candidate).name
            "a".encode(codec)  # LookupError for codecs that are not text encodings
        except (LookupError, UnicodeError):
            continue
        if codec not in _NOT_TEXT:
            return codec
    return None


def decode_text(payload: bytes, charset: str | None) -> tuple[str, str]:
    """Return `payload` decoded as text and a defect note ("" when the charset fitted)."""
    codec = codec_for(charset)
    if payload.isascii() and not (codec and codec.startswith(_NOT_ASCII_COMPATIBLE)):
        return payload.decode("ascii"), ""
    # Mail declared as Latin-1/Windows-1252 is very often UTF-8 in fact; the reverse mistake
    # almost never yields valid UTF-8.
    candidates = ["utf-8", codec] if codec in _SINGLE_BYTE_LATIN else [codec or "utf-8"]
    for name in candidates:
        try:
            return payload.decode(name), ""
        except UnicodeDecodeError:
            continue
    if codec is None and charset:
        note = f"unknown charset {clean_text(charset)[:40]!r}"
    elif codec:
        note = f"bytes not valid in {codec}"
    else:
        note = "undeclared 8-bit text"
    # Text that fails as UTF-8 is most often Windows-1252 (Outlook, old webmail).
    guess = "cp1252" if candidates[-1] == "utf-8" else candidates[-1]
    return payload.decode(guess, errors="replace"), note


def recover_8bit(value: str, charset: str | None = None) -> str:
    """Undo the surrogate escapes the parser leaves for raw 8-bit header bytes (RFC 6532)."""
    if value.isascii() or not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return decode_text(raw, charset)[0]


# Whitespace-class and formatting characters that must never reach a header or a log line;
# bidirectional overrides are dropped because they let a name render as something else.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """Return `value` on one line: control characters as spaces, runs of space collapsed."""
    if value.isascii() and value.isprintable():
        # Most header values: no control character, and " " is the only space. The three
        # passes below took about 6 % of the time to parse a message.
        return " ".join(value.split())
    value = _BIDI.sub("", _CONTROL.sub(" ", value))
    return _SPACES.sub(" ", value).strip()


_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)\?([bBqQ])\?([^?]*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")


def _word_bytes(encoding: str, text: str) -> bytes:
    data = text.encode("ascii", "replace")
    if encoding in "bB":
        return b64decode_lenient(data)
    return binascii.a2b_qp(data, header=True)


def decode_words(value: str, charset: str | None = None) -> str:
    """Decode RFC 2047 encoded-words leniently (spaces inside words, split multibyte chars)."""
    value = recover_8bit(_FOLD.sub("", value), charset)
    if "=?" not in value:
        return value
    pieces: list[str] = []
    run: list[bytes] = []
    run_charset = ""
    position = 0

    def flush() -> None:
        if run:
            pieces.append(decode_text(b"".join(run), run_charset)[0])
            run.clear()

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        word_charset = match.group(1).lower().split("*", 1)[0]
        adjacent = bool(run) and not between.strip()
        if not adjacent or word_charset != run_charset:
            flush()
            if not adjacent:
                pieces.append(between)
        run_charset = word_charset
        run.append(_word_bytes(match.group(2), match.group(3)))
        position = match.end()
    flush()
    pieces.append(value[position:])
    return "".join(pieces)


def header_text(value: str | None, charset: str | None = None) -> str:
    """Return a raw header value decoded and cleaned for display or reuse in a header."""
    return clean_text(decode_words(value, charset)) if value else ""


def b64decode_lenient(data: bytes) -> bytes:
    """Decode base64 that may have junk characters, missing padding or a truncated tail."""
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(data) % 4 == 1:
        data = data[:-1]
    data += b"=" * (-len(data) % 4)
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        return b""


_ADDR_SPEC = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def parse_addresses(values: list[str], charset: str | None = None) -> tuple[Address, ...]:
    """Return the addresses in address headers, lower-cased, display names decoded."""
    result: dict[str, Address] = {}
    for value in values:
        value = _FOLD.sub("", recover_8bit(value or "", charset))
        pairs = _simple_addresses(value)
        if pairs is None:
            pairs = [(name, _bare(address)) for name, address in getaddresses([value])]
        good = [(name, address) for name, address in pairs if _plausible(address)]
        if len(good) < len(pairs):
            # Unbracketed or space-separated lists defeat the RFC 5322 parser.
            good += [("", _bare(found)) for found in _ADDR_SPEC.findall(value)]
        for name, address in good:
            if address not in result:
                display = header_text(name, charset).strip("\"' ")
                result[address] = Address(address, "" if display.lower() == address else display)
    return tuple(result.values())


_SIMPLE_ADDRESS = re.compile(r"^\s*(?:([^<>]*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*$")


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """Parse the common shapes ("Name <a@b>, c@d") quickly; None when a full parse is needed."""
    if any(char in value for char in '"()\\;:'):
        return None
    pairs = []
    for item in value.split(","):
        match = _SIMPLE_ADDRESS.match(item)
        if not match:
            if item.strip():
                return None
            continue
        name, bracketed, bare = match.groups()
        pairs.append((name or "", _bare(bracketed or bare)))
    return pairs


def _bare(address: str) -> str:
    return clean_text(address).strip("<>").removeprefix("mailto:").lower()


def _plausible(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(local and at and domain) and " " not in address and "@" not in local


_BRACKETED = re.compile(r"<([^<>]*)>")
_ID_SEPARATORS = re.compile(r"[\s,;]+")
_MAX_ID = 250


def normalise_message_id(value: str | None) -> str:
    """Return the first message id in `value` without <> and whitespace ("" if none)."""
    ids = message_ids(value)
    return ids[0] if ids else ""


def message_ids(value: str | None) -> list[str]:
    """Return the message ids in an id-list header, in order, tolerating junk and commas."""
    if not value:
        return []
    value = _CONTROL.sub(" ", recover_8bit(value))
    found = [_SPACES.sub("", item) for item in _BRACKETED.findall(value)]
    if not found:
        found = [token.strip("<>") for token in _ID_SEPARATORS.split(value) if "@" in token]
    result: list[str] = []
    for ident in found:
        if ident and len(ident) <= _MAX_ID and ident not in result:
            result.append(ident)
    return result


_FILENAME_BAD = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"|?*\u202a-\u202e\u2066-\u2069]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.IGNORECASE)
_MAX_FILENAME = 180
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/delivery-status": ".txt",
    "message/feedback-report": ".txt",
    "image/jpeg": ".jpg",
    "application/octet-stream": ".bin",
}


def extension_for(content_type: str) -> str:
    """Return a file extension that fits `content_type` (".bin" when unknown)."""
    known = _EXTENSIONS.get(content_type)
    return known or mimetypes.guess_extension(content_type, strict=False) or ".bin"


def safe_filename(name: str | None, content_type: str, *, stem: str = "attachment") -> str:
    """Return a harmless file name: no directories, no control characters, no leading dots."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _SPACES.sub(" ", _FILENAME_BAD.sub("_", name)).strip(" .")
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    if not name.strip("_"):
        return stem + extension_for(content_type)
    if len(name) > _MAX_FILENAME:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if 1 < len(suffix) <= 16 else ""
        name = name[: _MAX_FILENAME - len(suffix)].rstrip(" .") + suffix
    return name


def leaf_parts(
    message: Message, *, max_depth: int = 40, max_parts: int = 1000
) -> tuple[list[Message], bool]:
    """Return the leaf parts in order, attached messages whole, and whether limits cut any.

    Nesting deeper than `max_depth` and parts beyond `max_parts` are left out, which keeps
    hostile "endless" MIME trees cheap.
    """
    leaves: list[Message] = []
    cut_short = False
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        payload = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(payload, list):
            if depth >= max_depth:
                cut_short = True
                continue
            stack.extend((sub, depth + 1) for sub in reversed(payload) if isinstance(sub, Message))
        elif len(leaves) < max_parts:
            leaves.append(part)
        else:
            cut_short = True
    return leaves, cut_short
