"""Small server-rendered SVG charts: no JavaScript, no CDN, readable without colour.

Every label is escaped; sizes are in SVG user units and the SVG scales to its container.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0f766e", "#b45309", "#5b3fa8", "#b42318", "#1d4ed8", "#15803d", "#6b7280")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str = "",
    unit: str = "",
    width: int = 640,
    height: int = 240,
    reference: float | None = None,
    reference_label: str = "",
) -> SafeString:
    """Return grouped vertical bars, one group per label, with values written on the bars."""
    left, bottom, top = 44, 36, 24 if title else 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max([v for s in series for v in s.values if v is not None] + [reference or 0, 0])
    ceiling = _nice_max(peak)
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(4.0, (group_w * 0.75) / max(len(series), 1))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    if title:
        parts.append(f'<text x="{left}" y="14" class="chart-title">{escape(title)}</text>')
    for tick in range(5):
        value = ceiling * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" class="chart-axis" '
            f'text-anchor="end">{_fmt(value)}{escape(unit)}</text>'
        )
    for index, label in enumerate(labels):
        x0 = left + index * group_w + group_w * 0.125
        for number, item in enumerate(series):
            amount = item.values[index] if index < len(item.values) else None
            if amount is None:
                continue
            value = amount
            bar_h = plot_h * value / ceiling
            x = x0 + number * bar_w
            y = top + plot_h - bar_h
            colour = PALETTE[number % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{bar_h:.1f}" '
                f'fill="{colour}"><title>{escape(item.name)} · {escape(label)}: '
                f"{_fmt(value)}{escape(unit)}</title></rect>"
            )
            parts.append(
                f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{y - 3:.1f}" '
                f'class="chart-value" text-anchor="middle">{_fmt(value)}</text>'
            )
        parts.append(
            f'<text x="{left + index * group_w + group_w / 2:.1f}" '
            f'y="{height - bottom + 16}" class="chart-axis" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    if reference is not None:
        y = top + plot_h - plot_h * reference / ceiling
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" '
            'class="chart-reference"/>'
        )
        if reference_label:
            parts.append(
                f'<text x="{width - 12}" y="{y - 4:.1f}" class="chart-axis" '
                f'text-anchor="end">{escape(reference_label)}</text>'
            )
    if len(series) > 1:
        x = left
        for number, item in enumerate(series):
            colour = PALETTE[number % len(PALETTE)]
            parts.append(
                f'<rect x="{x}" y="{height - 12}" width="10" height="10" '
                f'fill="{colour}"/><text x="{x + 14}" y="{height - 3}" '
                f'class="chart-axis">{escape(item.name)}</text>'
            )
            x += 24 + 7 * len(item.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str = "",
    unit: str = "",
    width: int = 640,
    height: int = 220,
) -> SafeString:
    """Return one polyline per series over shared x labels; gaps (None) break the line."""
    left, bottom, top = 44, 30, 24 if title else 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max([v for s in series for v in s.values if v is not None] + [0])
    ceiling = _nice_max(peak)
    step = plot_w / max(len(labels) - 1, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    if title:
        parts.append(f'<text x="{left}" y="14" class="chart-title">{escape(title)}</text>')
    for tick in range(5):
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" class="chart-axis" '
            f'text-anchor="end">{_fmt(ceiling * tick / 4)}{escape(unit)}</text>'
        )
    every = max(1, len(labels) // 8)
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(
                f'<text x="{left + index * step:.1f}" y="{height - 10}" '
                f'class="chart-axis" text-anchor="middle">{escape(label)}</text>'
            )
    for number, item in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for index, value in enumerate(item.values):
            if value is None:
                runs.append([])
                continue
            x = left + index * step
            y = top + plot_h - plot_h * value / ceiling
            runs[-1].append(f"{x:.1f},{y:.1f}")
        for run in runs:
            if run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" '
                    f'stroke="{colour}" stroke-width="2"><title>'
                    f"{escape(item.name)}</title></polyline>"
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def sparkline(
    values: Sequence[float],
    *,
    width: int = 120,
    height: int = 28,
    low: float = -1.0,
    high: float = 1.0,
) -> SafeString:
    """Return a tiny line for a series between `low` and `high` (e.g. tone from -1 to 1)."""
    if not values:
        return mark_safe("")
    span = (high - low) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return 2 + (height - 4) * (1 - (min(max(value, low), high) - low) / span)

    points = " ".join(f"{2 + index * step:.1f},{y(v):.1f}" for index, v in enumerate(values))
    middle = 2 + (height - 4) * (1 - (0 - low) / span) if low < 0 < high else None
    base = (
        (f'<line x1="0" x2="{width}" y1="{middle:.1f}" y2="{middle:.1f}" class="chart-grid"/>')
        if middle is not None
        else ""
    )
    return mark_safe(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">{base}'
        f'<polyline points="{points}" fill="none" stroke="#0f766e" stroke-width="1.5"/></svg>'
    )
