import json
from datetime import UTC, datetime, timedelta

import pytest

from layan.insight.temperament import (
    HOSTILE_TONE,
    PLEASANT_SCORE,
    SERIES_LENGTH,
    MessageTone,
    temperament_assess,
)

NOW = datetime(2025, 11, 24, 9, 0, tzinfo=UTC)

PLEASANT = {"sentiment": {"positive": 0.9, "neutral": 0.08, "negative": 0.02}, "anger": 0.02}
NEUTRAL = {"sentiment": {"positive": 0.1, "neutral": 0.8, "negative": 0.1}, "anger": 0.03}
COMPLAINT = {"sentiment": {"positive": 0.03, "neutral": 0.1, "negative": 0.87}, "anger": 0.1}
ANGRY = {"sentiment": {"positive": 0.02, "neutral": 0.08, "negative": 0.9}, "anger": 0.85}


def message(ident, days_ago, kind, *, abusive=False):
    return MessageTone(
        id=ident, occurred_at=NOW - timedelta(days=days_ago), abusive=abusive, **kind
    )


def weekly(kind, weeks, *, start=0, first_id=0):
    return [message(first_id + week, start + 7 * week, kind) for week in range(weeks)]


SCENARIOS = {
    "pleasant customer": (weekly(PLEASANT, 10), "pleasant", "stable"),
    "hostile customer": (
        [message(index, 3 * index, ANGRY) for index in range(6)],
        "hostile",
        "stable",
    ),
    "polite complainer": (
        [message(index, 3 * index, COMPLAINT) for index in range(6)],
        "in_between",
        "stable",
    ),
    "neutral questions": (weekly(NEUTRAL, 5), "in_between", "stable"),
    "turns hostile after months of pleasant messages": (
        [
            *weekly(PLEASANT, 26, start=7),
            message(100, 3, ANGRY),
            message(101, 1, ANGRY),
            message(102, 0, ANGRY),
        ],
        "hostile",
        "worsening",
    ),
    "one angry message among many pleasant": (
        [*weekly(PLEASANT, 3), message(3, 21, ANGRY), *weekly(PLEASANT, 6, start=28, first_id=4)],
        "pleasant",
        "improving",
    ),
    "one angry latest message among many pleasant": (
        [message(0, 0, ANGRY), *weekly(PLEASANT, 9, start=7, first_id=1)],
        "pleasant",
        "worsening",
    ),
    "calms down": (
        [message(index, 10 + index, ANGRY) for index in range(5)]
        + [message(10, 2, PLEASANT), message(11, 1, PLEASANT), message(12, 0, PLEASANT)],
        "in_between",
        "improving",
    ),
    "one abusive message": (
        [message(1, 7, PLEASANT, abusive=True), *weekly(PLEASANT, 9, start=14, first_id=2)],
        "in_between",
        "worsening",
    ),
    "two abusive messages": (
        [
            message(1, 7, PLEASANT, abusive=True),
            message(2, 14, PLEASANT, abusive=True),
            *weekly(PLEASANT, 8, start=21, first_id=3),
        ],
        "hostile",
        "worsening",
    ),
    "abuse long ago": (
        [message(1, 200, ANGRY, abusive=True), *weekly(PLEASANT, 6, first_id=2)],
        "pleasant",
        "stable",
    ),
    "old anger, pleasant lately": (
        [message(index, 200 + index, ANGRY) for index in range(5)]
        + [message(10, 5, PLEASANT), message(11, 2, PLEASANT)],
        "pleasant",
        "improving",
    ),
    "old anger, silent since": (
        [message(index, 200 + 3 * index, ANGRY) for index in range(5)],
        "in_between",
        "stable",
    ),
    "no messages": ([], "unknown", "stable"),
    "a single message": ([message(0, 0, ANGRY)], "unknown", "stable"),
}


@pytest.mark.parametrize(("messages", "label", "trend"), SCENARIOS.values(), ids=list(SCENARIOS))
def test_temperament(messages, label, trend):
    """The temperament follows the recent, recency-weighted tone of the customer's messages."""
    result = temperament_assess(messages, now=NOW)

    assert (result.label, result.trend) == (label, trend)


def test_turning_hostile_is_justified_by_the_recent_angry_messages():
    """The evidence for a customer who turned hostile is the angry messages, newest first."""
    messages, *_ = SCENARIOS["turns hostile after months of pleasant messages"]

    result = temperament_assess(messages, now=NOW)

    assert result.evidence == (102, 101, 100)


@pytest.mark.parametrize(
    ("scenario", "first"),
    [
        ("pleasant customer", 0),
        ("hostile customer", 0),
        ("one abusive message", 1),
        ("two abusive messages", 1),
    ],
)
def test_evidence_starts_with_the_most_influential_message(scenario, first):
    """The most recent or abusive message that pushed towards the label is cited first."""
    messages, *_ = SCENARIOS[scenario]

    result = temperament_assess(messages, now=NOW)

    assert result.evidence[0] == first
    assert 0 < len(result.evidence) <= 5


def test_pleasant_evidence_leaves_out_the_angry_message():
    """A pleasant verdict is justified by pleasant messages only."""
    messages, *_ = SCENARIOS["one angry message among many pleasant"]

    result = temperament_assess(messages, now=NOW)

    assert 3 not in result.evidence


def test_old_anger_fades():
    """The same angry messages that make a customer hostile today count for little a year on."""
    messages = [message(index, index, ANGRY) for index in range(3)]

    today = temperament_assess(messages, now=NOW)
    a_year_on = temperament_assess(messages, now=NOW + timedelta(days=365))

    assert today.label == "hostile"
    assert a_year_on.label == "in_between"
    assert abs(a_year_on.score) < abs(today.score) / 10


def test_a_longer_half_life_remembers_longer():
    """With a long half-life, last year's anger still outweighs two pleasant messages."""
    messages, *_ = SCENARIOS["old anger, pleasant lately"]

    result = temperament_assess(messages, now=NOW, half_life_days=365)

    assert result.label != "pleasant"


def test_series_is_chronological_and_bounded():
    """The sparkline has one value per message, oldest first, each in [-1, 1], at most 30."""
    messages = [*weekly(PLEASANT, 40, start=1), message(99, 0, ANGRY, abusive=True)]

    result = temperament_assess(list(reversed(messages)), now=NOW)

    assert len(result.series) == SERIES_LENGTH
    assert result.series[-1] == -1.0
    assert result.series[-2] == result.series[0] > PLEASANT_SCORE
    assert all(-1.0 <= value <= 1.0 for value in result.series)
    assert result.message_count == 41


@pytest.mark.parametrize(
    ("kind", "abusive", "low", "high"),
    [
        (PLEASANT, False, PLEASANT_SCORE, 1.0),
        (NEUTRAL, False, -0.1, 0.1),
        (COMPLAINT, False, HOSTILE_TONE, 0.0),
        (ANGRY, False, -1.0, HOSTILE_TONE),
        (PLEASANT, True, -1.0, -1.0),
        ({"sentiment": {}, "anger": 0.0}, False, 0.0, 0.0),
        ({"sentiment": {"positive": 3.0}, "anger": -1.0}, False, 1.0, 1.0),
    ],
    ids=["pleasant", "neutral", "complaint", "angry", "abusive", "no scores", "out of range"],
)
def test_message_tone(kind, abusive, low, high):
    """A polite complaint is not hostile; anger and abuse are; scores are clamped."""
    tone = message(0, 0, kind, abusive=abusive).tone

    assert low <= tone <= high


def test_a_message_dated_after_now_counts_as_new():
    """Clock skew does not let a future-dated message outweigh a message sent just now."""
    skewed = [message(0, -2, ANGRY), message(1, 0, PLEASANT)]
    aligned = [message(0, 0, ANGRY), message(1, 0, PLEASANT)]

    assert temperament_assess(skewed, now=NOW).score == temperament_assess(aligned, now=NOW).score


@pytest.mark.parametrize(
    ("messages", "now", "half_life"),
    [
        ([message(0, 0, PLEASANT)], NOW.replace(tzinfo=None), 30),
        (
            [MessageTone(id=0, occurred_at=datetime(2025, 11, 1), sentiment={})] * 2,
            NOW,
            30,
        ),
        ([message(0, 0, PLEASANT)], NOW, 0),
    ],
    ids=["naive now", "naive message", "zero half-life"],
)
def test_bad_arguments_are_refused(messages, now, half_life):
    """Time math needs aware datetimes and a positive half-life."""
    with pytest.raises(ValueError):
        temperament_assess(messages, now=now, half_life_days=half_life)


def test_result_is_json_serialisable():
    """The temperament travels to the UI as JSON."""
    messages, *_ = SCENARIOS["turns hostile after months of pleasant messages"]

    data = json.loads(json.dumps(temperament_assess(messages, now=NOW).to_dict()))

    assert data["label"] == "hostile"
    assert data["evidence"] == [102, 101, 100]
