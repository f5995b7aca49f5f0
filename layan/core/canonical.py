"""Canonical JSON: one byte string per value, so that hashes and signatures over it are stable.

The rules, which any other implementation must follow to reproduce Layan's hashes:

- Values are objects with string keys, arrays, strings, integers, ``true``, ``false`` and ``null``.
  Floats are refused: their text form differs between languages, so a hash over one cannot be
  recomputed reliably elsewhere. Store amounts as integers and other numbers as strings.
- Every string, keys included, is normalised to Unicode NFC before anything else, so that text
  typed on different devices ("é" precomposed or as "e" plus a combining accent) hashes the same.
  Two keys of one object that become equal under NFC are refused.
- Object members are sorted by key in Unicode code point order (the same as UTF-8 byte order).
- No whitespace outside strings: ``,`` and ``:`` separate, nothing else.
- Strings are written as UTF-8, not escaped, except ``"`` as ``\\"``, ``\\`` as ``\\\\``, the
  control characters U+0000 to U+001F (``\\b \\f \\n \\r \\t`` in their short form, the others as
  ``\\u00xx`` with lower-case hex) and U+007F as ``\\u007f``.
- Integers are written in decimal without leading zeros or a plus sign.
"""

import json
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical_json"]

_ENCODER = json.JSONEncoder(
    ensure_ascii=False,
    sort_keys=True,
    separators=(",", ":"),
    allow_nan=False,
    check_circular=False,
)


def canonical_json(value: Any) -> bytes:
    """Return the canonical JSON encoding of `value` as UTF-8 bytes.

    Raises TypeError for floats and any other type JSON cannot carry exactly, and ValueError for
    keys that collide under NFC or strings holding lone surrogates.
    """
    text = _ENCODER.encode(_normalised(value))
    try:
        return text.replace("\x7f", "\\u007f").encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("canonical JSON cannot encode a lone surrogate in a string") from error


def _normalised(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if value is None or kind is bool or kind is int:
        return value
    if kind is dict or isinstance(value, Mapping):
        return _object(value)
    if kind is list or kind is tuple:
        return [_normalised(item) for item in value]
    if isinstance(value, float):
        raise TypeError("canonical JSON has no floats; use an int or a decimal string")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return _normalised(str.__str__(value))
    raise TypeError(f"canonical JSON cannot encode {kind.__name__}")


def _object(value: Mapping[Any, Any]) -> dict[str, Any]:
    # Scalars are handled inline: bodies are mostly short ASCII strings, and this runs for
    # every entry a chain verification reads.
    result: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str:
            if not isinstance(key, str):
                raise TypeError(f"canonical JSON object keys must be str, not {type(key).__name__}")
            key = str.__str__(key)
        if not key.isascii():
            key = unicodedata.normalize("NFC", key)
        kind = type(item)
        if kind is str:
            result[key] = item if item.isascii() else unicodedata.normalize("NFC", item)
        elif kind is int or item is None or kind is bool:
            result[key] = item
        else:
            result[key] = _normalised(item)
    if len(result) != len(value):
        raise ValueError("object keys collide after NFC normalisation")
    return result
