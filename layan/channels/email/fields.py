"""Header fields written as RFC 5322 text, without the `email` package's header objects.

The package parses every value it is given into a tree and folds it back out, about half a
millisecond for a reply's dozen fields. Layan's own fields are few and simple: addresses
already checked, ids already checked, and free text already on one line (`compose`'s
`_free_text`). They are written here as words, folded between words into lines of at most
`LIMIT` characters. Words that are not plain ASCII, or hold "=?" (which readers decode as an
encoded-word even inside quotes), go as RFC 2047 encoded-words in base64, each a whole number
of characters; where the result could not be read back as written, or a word could not fit a
line, the writer gives up (`None`) and the caller composes with the `email` package instead.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Callable, Sequence

# RFC 5322 wants lines of at most 78 characters; RFC 2047, 76 where one holds an encoded-word.
LIMIT = 78
WORDS_LIMIT = 76
# 39 bytes make 52 base64 characters: a 64-character word, which fits after every field
# name written here ("Reply-To: " is the longest).
_WORD_BYTES = 39
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")


def encoded_words(text: str) -> list[str]:
    """`text` as base64 encoded-words of whole characters."""
    words: list[str] = []
    chunk = bytearray()
    for char in text:
        data = char.encode("utf-8")
        if chunk and len(chunk) + len(data) > _WORD_BYTES:
            words.append(_word(bytes(chunk)))
            chunk.clear()
        chunk += data
    if chunk:
        words.append(_word(bytes(chunk)))
    return words


def _word(data: bytes) -> str:
    return "=?utf-8?b?" + base64.b64encode(data).decode("ascii") + "?="


def _runs(text: str, plain: Callable[[str], bool]) -> list[tuple[bool, str]]:
    """`text`'s space-separated words, those that are not `plain` gathered into runs (with
    the spaces between them): RFC 2047 readers drop the space between two encoded-words,
    and keep it between an encoded-word and plain text."""
    runs: list[tuple[bool, str]] = []
    for word in text.split(" "):
        is_plain = plain(word)
        if runs and not is_plain and not runs[-1][0]:
            runs[-1] = (False, runs[-1][1] + " " + word)
        else:
            runs.append((is_plain, word))
    return runs


def _atom(word: str) -> bool:
    return bool(word) and "=?" not in word and all(char in _ATEXT for char in word)


def phrase(display: str) -> list[str] | None:
    """A display name's words: atoms as they are, other ASCII as one quoted string, and
    other text as encoded-words; None when a run of such text needs more than one word
    (Python's own reader, unlike RFC 2047's, puts a space between two in a name)."""
    if not display:
        return []
    if display.isascii() and "=?" not in display:
        if all(_atom(word) for word in display.split(" ")):
            return display.split(" ")
        return ['"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"']
    words: list[str] = []
    for is_plain, run in _runs(display, _atom):
        encoded = [run] if is_plain else encoded_words(run)
        if len(encoded) > 1:
            return None
        words += encoded
    return words


def mailbox(display: str, local: str, domain: str) -> list[str] | None:
    """A mailbox's words, or None when its local part is not a plain dot-atom (the `email`
    package quotes those) or its name will not go as `phrase` writes names."""
    words = phrase(display)
    if words is None or local.startswith(".") or local.endswith("."):
        return None
    return [*words, f"<{local}@{domain}>"] if words else [f"{local}@{domain}"]


def address_list(mailboxes: Sequence[list[str] | None]) -> list[str] | None:
    """The words of mailboxes separated by commas; None if one of them is."""
    words: list[str] = []
    for number, box in enumerate(mailboxes):
        if box is None:
            return None
        words += box if number == len(mailboxes) - 1 else [*box[:-1], box[-1] + ","]
    return words


def unstructured(text: str) -> list[str]:
    """Free text's words (a subject), `text` being on one line with single spaces: ASCII
    words as they are, runs of other words as encoded-words."""
    if not text:
        return []
    words: list[str] = []
    for is_plain, run in _runs(text, lambda word: word.isascii() and "=?" not in word):
        words += [run] if is_plain else encoded_words(run)
    return words


def field(name: str, words: Sequence[str] | None) -> str | None:
    """`name: words`, folded before a word that would pass the line's limit (`LIMIT`, or
    `WORDS_LIMIT` on a line holding an encoded-word); None if `words` is (a writer gave
    up), if a word cannot fit a line of its own, or the first cannot follow the name."""
    if words is None:
        return None
    lines: list[str] = []
    head = line = f"{name}:"
    encoded = False  # the line holds an encoded-word
    for word in words:
        is_encoded = word.startswith("=?")
        limit = WORDS_LIMIT if encoded or is_encoded else LIMIT
        if len(line) + 1 + len(word) <= limit:
            line += " " + word
            encoded = encoded or is_encoded
        elif line != head and 1 + len(word) <= (WORDS_LIMIT if is_encoded else LIMIT):
            lines.append(line)
            line, encoded = " " + word, is_encoded
        else:
            return None
    lines.append(line)
    return "\r\n".join(lines)
