from __future__ import annotations

import re

import pytest
from django import forms

from layan.core.widgets import PlainSelect

CHOICES = [
    ("", "Any customer"),
    (1, "PT Maju <Jaya> & Sons"),
    (2, 'CV "Sinar" Abadi'),
    ("me", "Saya"),
    ("Region", [(3, "Jakarta"), (4, "Surabaya")]),
]


def _tags(html: str) -> list[str]:
    """The markup as a list of tags and texts, whitespace between tags dropped."""
    return [part for part in re.split(r"\s*(<[^>]+>)\s*", html) if part.strip()]


@pytest.mark.parametrize("value", [None, "", 1, "2", "me", 4, "<script>", ["1"]])
def test_the_markup_is_that_of_djangos_select(value: object) -> None:
    attrs = {"id": "id_customer", "class": "x"}
    expected = forms.Select(choices=CHOICES).render("customer", value, attrs=attrs)
    written = PlainSelect(choices=CHOICES).render("customer", value, attrs=attrs)
    assert _tags(written) == _tags(expected)


def test_labels_and_values_are_escaped() -> None:
    html = PlainSelect(choices=[('"><script>', "<b>x</b>")]).render("f", None)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
