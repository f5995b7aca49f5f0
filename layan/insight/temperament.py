"""Tell whether a customer is pleasant, in between or hostile from the tone of their messages.

The rule, in order:

1. Each message gets a tone in [-1, 1]. An abusive message is -1. Otherwise the chance that it
   is angry pulls it towards -1 and the rest is its sentiment, where negative sentiment counts
   only `NEGATIVE_SENTIMENT_WEIGHT` as much as positive: a polite complaint is not hostility.
       tone = -anger + (1 - anger) * (positive - NEGATIVE_SENTIMENT_WEIGHT * negative)
2. The score is the mean tone weighted by recency: a message's weight halves every
   `half_life_days`, and an abusive message weighs `ABUSE_WEIGHT` times more. A neutral message
   of weight `PRIOR_WEIGHT` dated now joins the mean, so a few or only old messages pull the
   score towards 0: old anger fades, and one angry message among many pleasant ones is diluted.
3. A score of at least `PLEASANT_SCORE` is pleasant, at most `HOSTILE_SCORE` hostile, otherwise
   in between.
4. Recent behaviour overrides the long history. A customer whose latest message and at least
   one other of their last `RECENT_MESSAGES` are hostile (tone at most `HOSTILE_TONE`), all
   within one half-life, has turned hostile. Within one half-life, one abusive message rules out
   pleasant and two or more make the customer hostile.
5. With fewer than `MIN_MESSAGES` messages the temperament is unknown (and the trend stable).

The trend compares the plain mean tone of the latest messages (a third of them, one to
`RECENT_MESSAGES`) with the recency-weighted mean of the earlier ones. The evidence is the
handful of messages that pushed the score furthest towards the label.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Label = Literal["pleasant", "in_between", "hostile", "unknown"]
Trend = Literal["improving", "stable", "worsening"]

NEGATIVE_SENTIMENT_WEIGHT = 0.3
ABUSE_WEIGHT = 4.0
PRIOR_WEIGHT = 1.0
PLEASANT_SCORE = 0.3
HOSTILE_SCORE = -0.35
HOSTILE_TONE = -0.5
RECENT_MESSAGES = 3
MIN_MESSAGES = 2
TREND_CHANGE = 0.2
MAX_EVIDENCE = 5
SERIES_LENGTH = 30
DEFAULT_HALF_LIFE_DAYS = 30.0


@dataclass(frozen=True, slots=True)
class MessageTone:
    """What the text analysis said about one message from the customer.

    `sentiment` maps "negative", "neutral" and "positive" to probabilities; a missing key
    counts as 0. `anger` is the probability that the message is angry.
    """

    id: Hashable
    occurred_at: datetime
    sentiment: Mapping[str, float]
    anger: float = 0.0
    abusive: bool = False

    @property
    def tone(self) -> float:
        """Return how pleasant the message is, from -1 (hostile) to 1 (pleasant)."""
        if self.abusive:
            return -1.0
        anger = _probability(self.anger)
        positive = _probability(self.sentiment.get("positive", 0.0))
        negative = _probability(self.sentiment.get("negative", 0.0))
        mood = positive - NEGATIVE_SENTIMENT_WEIGHT * negative
        return max(-1.0, min(1.0, -anger + (1 - anger) * mood))


@dataclass(frozen=True, slots=True)
class Temperament:
    """A customer's temperament, the direction it is moving in and the messages behind it."""

    label: Label
    trend: Trend
    score: float
    evidence: tuple[Hashable, ...]
    series: tuple[float, ...]
    message_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "trend": self.trend,
            "score": self.score,
            "evidence": list(self.evidence),
            "series": list(self.series),
            "message_count": self.message_count,
        }


def temperament_assess(
    messages: Iterable[MessageTone],
    *,
    now: datetime,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> Temperament:
    """Return the temperament shown by `messages` (a contact's or a customer's) as of `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if half_life_days <= 0:
        raise ValueError("half_life_days must be positive")
    ordered = sorted(messages, key=lambda message: message.occurred_at)
    if any(message.occurred_at.tzinfo is None for message in ordered):
        raise ValueError("occurred_at must be an aware datetime")

    tones = [message.tone for message in ordered]
    series = tuple(round(tone, 3) for tone in tones[-SERIES_LENGTH:])
    if len(ordered) < MIN_MESSAGES:
        return Temperament("unknown", "stable", 0.0, (), series, len(ordered))

    weights = [_weight(message, now, half_life_days) for message in ordered]
    pulls = [weight * tone for weight, tone in zip(weights, tones, strict=True)]
    score = sum(pulls) / (sum(weights) + PRIOR_WEIGHT)
    label = _label(score, ordered, tones, now, half_life_days)

    if label == "pleasant":
        strength = pulls
    elif label == "hostile":
        strength = [-pull for pull in pulls]
    else:
        strength = [abs(pull) for pull in pulls]
    ranked = sorted(range(len(ordered)), key=lambda index: (-strength[index], -index))
    evidence = tuple(ordered[index].id for index in ranked[:MAX_EVIDENCE] if strength[index] > 0)

    return Temperament(
        label=label,
        trend=_trend(tones, weights),
        score=round(score, 3),
        evidence=evidence,
        series=series,
        message_count=len(ordered),
    )


def _label(
    score: float,
    ordered: Sequence[MessageTone],
    tones: Sequence[float],
    now: datetime,
    half_life_days: float,
) -> Label:
    fresh = [_age_days(message, now) <= half_life_days for message in ordered]
    last = range(max(0, len(ordered) - RECENT_MESSAGES), len(ordered))
    turned = (
        all(fresh[index] for index in last)
        and tones[-1] <= HOSTILE_TONE
        and sum(tones[index] <= HOSTILE_TONE for index in last) >= 2
    )
    recent_abuse = sum(
        message.abusive and is_fresh for message, is_fresh in zip(ordered, fresh, strict=True)
    )
    if turned or recent_abuse >= 2 or score <= HOSTILE_SCORE:
        return "hostile"
    if score >= PLEASANT_SCORE and not recent_abuse:
        return "pleasant"
    return "in_between"


def _trend(tones: Sequence[float], weights: Sequence[float]) -> Trend:
    recent = min(RECENT_MESSAGES, max(1, len(tones) // 3))
    latest = sum(tones[-recent:]) / recent
    earlier_weight = sum(weights[:-recent])
    if earlier_weight == 0:
        return "stable"
    earlier = (
        sum(w * tone for w, tone in zip(weights[:-recent], tones[:-recent], strict=True))
        / earlier_weight
    )
    if latest - earlier >= TREND_CHANGE:
        return "improving"
    if earlier - latest >= TREND_CHANGE:
        return "worsening"
    return "stable"


def _weight(message: MessageTone, now: datetime, half_life_days: float) -> float:
    weight: float = 0.5 ** (_age_days(message, now) / half_life_days)
    return weight * ABUSE_WEIGHT if message.abusive else weight


def _age_days(message: MessageTone, now: datetime) -> float:
    # A message stamped slightly after `now` (clock skew) counts as brand new, not as heavier.
    return max(0.0, (now - message.occurred_at).total_seconds() / 86_400)


def _probability(value: float) -> float:
    return max(0.0, min(1.0, float(value)))
