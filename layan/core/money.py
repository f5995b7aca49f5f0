"""Money in Indonesian rupiah: whole rupiah as integers, formatted the Indonesian way."""

from __future__ import annotations

from decimal import Decimal


def idr_format(amount: int | Decimal | None, *, symbol: bool = True) -> str:
    """Return `amount` as `Rp 1.250.000` (dots group thousands; rupiah have no cents)."""
    if amount is None:
        return "–"
    value = int(Decimal(amount).quantize(Decimal(1)))
    sign = "-" if value < 0 else ""
    grouped = f"{abs(value):,}".replace(",", ".")
    return f"{sign}Rp {grouped}" if symbol else f"{sign}{grouped}"


def idr_compact(amount: int | Decimal | None) -> str:
    """Return a short figure for dashboards: `Rp 1,2 jt`, `Rp 3,4 M` (juta, miliar)."""
    if amount is None:
        return "–"
    value = int(amount)
    for threshold, unit in ((1_000_000_000_000, "T"), (1_000_000_000, "M"), (1_000_000, "jt")):
        if abs(value) >= threshold:
            short = f"{value / threshold:.1f}".replace(".", ",").removesuffix(",0")
            return f"Rp {short} {unit}"
    return idr_format(value)
