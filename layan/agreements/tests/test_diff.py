import pytest

from layan.agreements.diff import ADDED, CHANGED, EQUAL, REMOVED, Row, lines_diff, versions_diff


@pytest.mark.parametrize(
    ("old", "new", "rows"),
    [
        ("a\nb", "a\nb", [Row(EQUAL, "a", "a"), Row(EQUAL, "b", "b")]),
        ("a\nb", "a\nc", [Row(EQUAL, "a", "a"), Row(CHANGED, "b", "c")]),
        ("a", "a\nb", [Row(EQUAL, "a", "a"), Row(ADDED, "", "b")]),
        ("a\nb", "b", [Row(REMOVED, "a", ""), Row(EQUAL, "b", "b")]),
        ("a\n\n\nb", "a\nb", [Row(EQUAL, "a", "a"), Row(EQUAL, "b", "b")]),
        ("x\ny", "z", [Row(CHANGED, "x", "z"), Row(REMOVED, "y", "")]),
    ],
)
def test_lines_diff_pairs_lines_side_by_side(old: str, new: str, rows: list[Row]) -> None:
    """Lines are paired left and right; blank lines do not count as changes."""
    assert list(lines_diff(old, new)) == rows


def test_versions_diff_marks_changed_fields_only() -> None:
    """Every field is listed in a fixed order; only the ones that differ are marked changed."""
    old = {
        "spec": "Kotak 20 x 10 cm\n2.000 pcs",
        "price": "25.000.000",
        "currency": "IDR",
        "deadline": "2025-03-01",
        "revisions_allowed": "2",
        "terms": "DP 50%",
    }
    new = dict(old, spec="Kotak 20 x 10 cm\n3.000 pcs", price="31.000.000")
    result = versions_diff(old, new)
    assert [item.field for item in result] == [
        "spec",
        "price",
        "currency",
        "deadline",
        "revisions_allowed",
        "terms",
    ]
    assert {item.field for item in result if item.changed} == {"spec", "price"}
    spec = result[0]
    assert spec.rows[1] == Row(CHANGED, "2.000 pcs", "3.000 pcs")
