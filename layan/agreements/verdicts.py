"""Suggest a client verdict (Yes, No or Bad) from counted signals; a person decides.

A Yes client said yes and keeps to what was agreed. A No client did not buy. A Bad client
said yes and then costs more than agreed: revisions past the allowance, work outside the
terms, haggling with competitors' prices, abuse, late payment. Trouble weighs more than
success because one Bad client can cost what several good ones bring.
"""

from __future__ import annotations

from dataclasses import dataclass

YES, NO, BAD = "yes", "no", "bad"

# Trouble points per signal; from BAD_AT points on, the suggestion is Bad.
WEIGHTS = {
    "over_allowance": 2,
    "out_of_scope": 1,
    "price_comparisons": 1,
    "abusive_messages": 2,
    "late_payments": 1,
}
BAD_AT = 3


@dataclass(frozen=True, slots=True)
class SignalCounts:
    won_deals: int = 0
    lost_deals: int = 0
    confirmed_agreements: int = 0
    delivered_orders: int = 0
    over_allowance: int = 0
    out_of_scope: int = 0
    price_comparisons: int = 0
    abusive_messages: int = 0
    late_payments: int = 0


def trouble_score(counts: SignalCounts) -> int:
    """Return the weighted sum of the signals that point to a Bad client."""
    return sum(getattr(counts, name) * weight for name, weight in WEIGHTS.items())


def verdict_suggest(counts: SignalCounts) -> str | None:
    """Return YES, NO or BAD, or None when the signals say nothing yet."""
    if trouble_score(counts) >= BAD_AT:
        return BAD
    said_yes = counts.won_deals + counts.confirmed_agreements + counts.delivered_orders > 0
    if said_yes:
        return YES
    if counts.lost_deals:
        return NO
    return None
