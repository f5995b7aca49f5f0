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


@pytest.mark.django_db
@pytest.mark.parametrize("empty_label", ["No team", None])
def test_a_model_field_reads_its_choices_with_one_plain_query(
    empty_label: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same markup as Django's select of a model field, read without a streaming cursor
    (on PostgreSQL a server-side one: four round trips instead of one)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from layan.team.models import Team

    teams = [Team.objects.create(name=name) for name in ("Gudang", "Keuangan <Pusat>")]

    def field(widget: type[forms.Select]) -> forms.ModelChoiceField[Team]:
        return forms.ModelChoiceField(
            queryset=Team.objects.order_by("name"), empty_label=empty_label, widget=widget
        )

    expected = field(forms.Select).widget.render("team", teams[1].pk)

    def no_streaming() -> None:
        raise AssertionError("the choices were streamed through a chunked cursor")

    monkeypatch.setattr(connection, "chunked_cursor", no_streaming)
    plain = field(PlainSelect)
    with CaptureQueriesContext(connection) as queries:
        written = plain.widget.render("team", teams[1].pk)
        again = plain.widget.render("team", teams[1].pk)
    assert _tags(written) == _tags(expected) == _tags(again)
    assert "Keuangan &lt;Pusat&gt;" in written
    assert len(queries) == 2  # read afresh on each rendering, as Django's own iterator does
