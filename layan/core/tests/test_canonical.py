import enum
import json
import types
import unicodedata
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.core.canonical import canonical_json

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=25,
)


class Priority(enum.IntEnum):
    HIGH = 3


class Channel(enum.StrEnum):
    EMAIL = "email"


def nfc(value: Any) -> Any:
    """Return `value` with every string NFC-normalised; KeyError when two keys then collide."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(item) for item in value]
    if isinstance(value, dict):
        result = {nfc(key): nfc(item) for key, item in value.items()}
        if len(result) != len(value):
            raise KeyError("collision")
        return result
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, None, "x"]}, b'{"a":[true,null,"x"],"b":1}'),
        ({"\u00e9": 1, "z": 2, "Z": 3}, '{"Z":3,"z":2,"\u00e9":1}'.encode()),
        ("Cafe\u0301", '"Caf\u00e9"'.encode()),
        ({"Cafe\u0301": "ok"}, '{"Caf\u00e9":"ok"}'.encode()),
        ("\x00\x08\x1f\n\r\t\f\x7f", b'"\\u0000\\b\\u001f\\n\\r\\t\\f\\u007f"'),
        ('say "hi" \\ bye', b'"say \\"hi\\" \\\\ bye"'),
        ("Terima kasih \U0001f64f\u2028", '"Terima kasih \U0001f64f\u2028"'.encode()),
        (12_500_000_000_000_000_000_000, b"12500000000000000000000"),
        (-7, b"-7"),
        ([], b"[]"),
        ({}, b"{}"),
        (("a", 1), b'["a",1]'),
        (OrderedDict([("b", 2), ("a", 1)]), b'{"a":1,"b":2}'),
        (types.MappingProxyType({"k": "v"}), b'{"k":"v"}'),
        ({"p": Priority.HIGH, "c": Channel.EMAIL}, b'{"c":"email","p":3}'),
    ],
)
def test_canonical_bytes(value: Any, expected: bytes) -> None:
    """Values encode to exactly one documented byte string."""
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (1.5, TypeError),
        (1.0, TypeError),
        (float("nan"), TypeError),
        ({"amount": 0.1}, TypeError),
        ({1: "one"}, TypeError),
        ({None: "none"}, TypeError),
        (b"bytes", TypeError),
        ({"a", "b"}, TypeError),
        (object(), TypeError),
        ({"Cafe\u0301": 1, "Caf\u00e9": 2}, ValueError),
        ({"\u212a": 1, "K": 2}, ValueError),
        ("\ud800", ValueError),
    ],
)
def test_values_json_cannot_carry_exactly_are_refused(value: Any, error: type[Exception]) -> None:
    """Floats, non-string keys, foreign types, colliding keys and lone surrogates raise."""
    with pytest.raises(error):
        canonical_json(value)


@given(JSON_VALUES)
def test_decoding_gives_the_nfc_value(value: Any) -> None:
    """Decoding canonical JSON returns the value with its strings in NFC."""
    try:
        expected = nfc(value)
    except KeyError:
        with pytest.raises(ValueError):
            canonical_json(value)
        return
    assert json.loads(canonical_json(value)) == expected


@given(JSON_VALUES)
def test_canonical_json_is_idempotent(value: Any) -> None:
    """Re-encoding decoded canonical JSON gives the same bytes."""
    try:
        encoded = canonical_json(value)
    except ValueError:
        return
    assert canonical_json(json.loads(encoded)) == encoded


@given(st.dictionaries(TEXT, st.integers(), min_size=2, max_size=6))
def test_key_order_does_not_matter(value: dict[str, int]) -> None:
    """Objects with the same members encode alike whatever order they were built in."""
    reversed_value = dict(reversed(list(value.items())))
    try:
        encoded = canonical_json(value)
    except ValueError:
        return
    assert canonical_json(reversed_value) == encoded
