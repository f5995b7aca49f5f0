"""Form widgets written in Python where Django's template-rendered ones are too slow.

Django renders every `<option>` of a select through a template of its own: about 0.1 ms an
option, so the inbox's filters (hundreds of customers and owners) cost more than the inbox's
query. `PlainSelect` writes the same markup directly, escaping every value and label
(`html_value`).

It also reads a model field's choices with one plain query. Django's own iterator streams them
through a server-side cursor on PostgreSQL, which is declared, fetched from until a fetch comes
back empty, and closed: four round trips for the owners of one select instead of one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from layan.core.markup import html_value


class PlainSelect(forms.Select):
    """A single-choice `<select>` with the markup of `forms.Select`, without its templates."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        selected = set(self.format_value(value))
        parts: list[str] = [format_html('<select name="{}"{}>', name, _attributes(final))]
        for option_value, label in _choices(self.choices):
            if isinstance(label, list | tuple):  # a group: (group label, [(value, label), ...])
                parts.append(format_html('<optgroup label="{}">', option_value))
                parts.extend(_option(value, text, selected) for value, text in label)
                parts.append("</optgroup>")
            else:
                parts.append(_option(option_value, label, selected))
        parts.append("</select>")
        return mark_safe("".join(parts))  # every part is escaped above


def _choices(choices: Iterable[Any]) -> Iterable[Any]:
    return _model_choices(choices) if isinstance(choices, ModelChoiceIterator) else choices


def _model_choices(choices: ModelChoiceIterator) -> Iterator[tuple[Any, Any]]:
    """What `ModelChoiceIterator` gives, read with an ordinary query (a fresh one each time, as
    Django's iterator reads afresh)."""
    if choices.field.empty_label is not None:
        yield ("", choices.field.empty_label)
    for instance in choices.queryset.all():
        yield choices.choice(instance)


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """Attributes in the order given, as Django's widget template writes them."""
    return mark_safe(
        "".join(  # each attribute is escaped by format_html
            format_html(" {}", key) if value is True else format_html(' {}="{}"', key, value)
            for key, value in attrs.items()
            if value is not False and value is not None
        )
    )


def _option(option_value: Any, label: Any, selected: set[str]) -> str:
    value = "" if option_value is None else str(option_value)
    mark = " selected" if value in selected else ""
    return f'<option value="{html_value(value)}"{mark}>{html_value(label)}</option>'
