"""Dates written for people, remembered between pages.

Writing a date the way Django's `date` filter does costs 11 to 22 µs: it looks the format up
for the active language, parses the format, and builds a formatter for the one value. An
inbox page writes three a row, a tenth of its time. The same tickets head the inbox on every
reload, so their dates are written once per process and then looked up.

What is remembered is the text for exactly what decides it: the language, the format, the
moment and its time zone (two aware moments are equal across zones, so the zone is part of
the key). A miss calls Django, so the text is Django's. Relative texts ("3 hours ago") depend
on the clock and are not remembered.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache

from django.utils import dateformat, formats, translation
from django.utils.timezone import localtime

# About 280 bytes a text with its key (measured): 1.1 MB when full, a few hundred pages' dates.
REMEMBERED = 4096


def date_text(value: datetime, format_name: str = "DATETIME_FORMAT") -> str:
    """`value` in the site's time zone, written in the active language's `format_name`
    (a format setting's name, as `formats.date_format` takes): `{{ value }}` in a template."""
    local = localtime(value)
    return _written(translation.get_language(), format_name, local, local.tzinfo, True)


def date_format(value: datetime, pattern: str) -> str:
    """`value` in the site's time zone, written with a `date` filter pattern ("j M H:i")."""
    local = localtime(value)
    return _written(translation.get_language(), pattern, local, local.tzinfo, False)


@lru_cache(maxsize=REMEMBERED)
def _written(
    language: str | None, form: str, local: datetime, zone: tzinfo | None, named: bool
) -> str:
    """The text for one key; `language` is the active one, so Django's lookups agree with it."""
    del language, zone  # parts of the key only
    if named:
        return formats.date_format(local, form)
    return dateformat.format(local, form)
