"""Fill the placeholders of a canned reply: only known names, never Python formatting."""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = ("name", "ticket", "owner", "customer", "terms", "sop")
_FIELD = re.compile(r"\{([a-z_]+)\}")


def placeholders_fill(template: str, values: Mapping[str, str]) -> str:
    """Replace `{name}`-style fields with `values`; unknown fields stay as typed.

    A regular expression, not `str.format`: a template someone wrote must not reach object
    attributes (`{0.__class__}`) or fail on a stray brace.
    """

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in PLACEHOLDERS and values.get(key):
            return str(values[key])
        return match.group(0)

    return _FIELD.sub(replace, template)
