from layan.core.charts import Series, bar_chart, line_chart, sparkline


def test_bar_chart_escapes_labels_and_draws_each_value() -> None:
    svg = bar_chart(["<b>Kecil</b>", "Besar"], [Series("p50", [30, 12.5])], title="Waktu <x>")
    assert "<b>" not in svg and "&lt;b&gt;Kecil&lt;/b&gt;" in svg
    assert svg.count("<rect") == 2 and ">30<" in svg and ">12.5<" in svg


def test_line_chart_breaks_at_gaps() -> None:
    svg = line_chart(["Jan", "Feb", "Mar", "Apr"], [Series("SLA %", [90, None, 80, 85])])
    assert svg.count("<polyline") == 2


def test_sparkline_of_nothing_is_empty() -> None:
    assert sparkline([]) == ""
    assert "<polyline" in sparkline([-1, 0, 0.5, 1])
