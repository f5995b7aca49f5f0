"""Compare two versions of an agreement side by side, field by field and line by line."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Fields compared as a whole value; the others are compared line by line.
SCALAR_FIELDS = ("price", "currency", "deadline", "revisions_allowed")
TEXT_FIELDS = ("spec", "terms")

EQUAL, CHANGED, ADDED, REMOVED = "equal", "changed", "added", "removed"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a side-by-side view; a side is "" where that version has no line."""

    status: str  # EQUAL, CHANGED, ADDED or REMOVED
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    changed: bool
    rows: tuple[Row, ...]


def lines_diff(old: str, new: str) -> tuple[Row, ...]:
    """Return side-by-side rows for two texts; blank lines are ignored on both sides."""
    before = [line.rstrip() for line in old.splitlines() if line.strip()]
    after = [line.rstrip() for line in new.splitlines() if line.strip()]
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(Row(EQUAL, line, line) for line in before[a0:a1])
        elif tag == "delete":
            rows.extend(Row(REMOVED, line, "") for line in before[a0:a1])
        elif tag == "insert":
            rows.extend(Row(ADDED, "", line) for line in after[b0:b1])
        else:
            left, right = before[a0:a1], after[b0:b1]
            for index in range(max(len(left), len(right))):
                old_line = left[index] if index < len(left) else ""
                new_line = right[index] if index < len(right) else ""
                status = CHANGED if old_line and new_line else REMOVED if old_line else ADDED
                rows.append(Row(status, old_line, new_line))
    return tuple(rows)


def versions_diff(
    old: Mapping[str, str], new: Mapping[str, str], *, fields: Sequence[str] | None = None
) -> list[FieldDiff]:
    """Return one FieldDiff per field, values given as display strings.

    `old` and `new` map each field of SCALAR_FIELDS and TEXT_FIELDS to its text (the spec as
    plain text, the price already formatted).
    """
    result = []
    for field in fields or (*TEXT_FIELDS[:1], *SCALAR_FIELDS, *TEXT_FIELDS[1:]):
        before, after = old.get(field, ""), new.get(field, "")
        if field in TEXT_FIELDS:
            rows = lines_diff(before, after)
            changed = any(row.status != EQUAL for row in rows)
        else:
            changed = before != after
            rows = (Row(CHANGED if changed else EQUAL, before, after),)
        result.append(FieldDiff(field=field, changed=changed, rows=rows))
    return result
