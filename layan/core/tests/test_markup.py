"""Markup written in Python escapes exactly as Django's `format_html` does."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from layan.core.markup import html_fill

VALUES = st.one_of(
    st.text(),
    st.integers(),
    st.none(),
    st.text().map(mark_safe),
    st.sampled_from([gettext_lazy("nobody"), gettext_lazy("internal")]),
)


@given(st.lists(VALUES, min_size=1, max_size=6))
def test_html_fill_escapes_exactly_as_format_html(values: list[object]) -> None:
    template = " | ".join("<b>{}</b>" for _ in values)
    filled = html_fill(template, *values)
    assert isinstance(filled, SafeString)
    assert filled == format_html(template, *values)
