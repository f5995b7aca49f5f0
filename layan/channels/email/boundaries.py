"""Match MIME boundary lines for the stdlib parser without compiling a pattern per message.

For every multipart entity, `email.feedparser` compiles a regular expression made of the
entity's boundary: `(?P<sep>--BOUNDARY)(?P<end>--)?(?P<ws>[ \\t]*)(?P<linesep>\\r\\n|\\r|\\n)?$`.
Boundaries are unique per message, so Python's pattern cache never helps, and compiling took
about 140 µs per multipart message here: 15 % of parsing an import's archive (bench/README.md,
seventeenth round).

`install` gives the parser's module a stand-in for `re` whose `compile` recognises exactly that
pattern and returns a `BoundaryLine`: the same test (the line starts with the separator, the
rest matches one fixed, compiled pattern) and the same groups. Every other pattern, and that
one if a later Python builds it differently, is compiled by `re` as before.
"""

from __future__ import annotations

import email.feedparser
import re
from typing import Any

# The pattern `email.feedparser` builds around `re.escape(separator)`.
_HEAD = "(?P<sep>"
_TAIL_PATTERN = r"(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_TAIL = re.compile(_TAIL_PATTERN)
_FOOT = ")" + _TAIL_PATTERN
# What `re.escape` puts before a character: one backslash.
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


class BoundaryLine:
    """`re.compile(_HEAD + re.escape(separator) + _FOOT)` for `.match`, built in a few µs."""

    __slots__ = ("length", "separator")

    def __init__(self, separator: str) -> None:
        self.separator = separator
        self.length = len(separator)

    def match(self, line: str) -> re.Match[str] | None:
        """A match with the groups `end`, `ws` and `linesep` when `line` is a boundary line."""
        if line.startswith(self.separator):
            return _TAIL.match(line, self.length)
        return None


class _BoundaryRe:
    """Stands in for the module `re` inside `email.feedparser`."""

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> Any:
        if (
            flags == 0
            and isinstance(pattern, str)
            and pattern.startswith(_HEAD)
            and pattern.endswith(_FOOT)
        ):
            return BoundaryLine(_ESCAPE.sub(r"\1", pattern[len(_HEAD) : -len(_FOOT)]))
        return re.compile(pattern, flags)


def install() -> None:
    """Let `email.feedparser` match boundary lines with `BoundaryLine` (idempotent)."""
    if getattr(email.feedparser, "re", None) is re:
        # The module's own name for `re`, which typing stubs do not declare.
        setattr(email.feedparser, "re", _BoundaryRe())  # noqa: B010
