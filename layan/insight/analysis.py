"""Analyse one inbound customer message: language, sentiment, anger, abuse and urgency.

`analyze(text)` is the entry point. Sentiment and anger come from the trained models under
`models/` (loaded once, on first use, thread-safely); language, abuse and urgency come from the
team's word lists under `data/`. Everything is offline and pure: no Django, no network.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layan.core.pickling import pickled_by_fields
from layan.insight.abuse import ABUSIVE, NOT_ABUSIVE, detect_abuse
from layan.insight.corpus import ANGER, NO_ANGER, TASKS
from layan.insight.language import INDONESIAN, detect_language
from layan.insight.model import ModelSet, model_load
from layan.insight.normalize import NormalizedText, normalize
from layan.insight.urgency import NORMAL, detect_urgency

MODELS_DIR = Path(__file__).resolve().parent / "models"
_PUNCTUATION = frozenset("!?.,;:")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Prediction:
    """One task's answer: the label, a score per label, and the words behind it if any."""

    label: str
    scores: dict[str, float]
    terms: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        """Return the score of the chosen label."""
        return self.scores.get(self.label, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """Return the prediction as JSON values."""
        data: dict[str, Any] = {
            "label": self.label,
            "scores": {label: round(value, 4) for label, value in self.scores.items()},
        }
        if self.terms:
            data["terms"] = list(self.terms)
        return data


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything Layan reads from one message."""

    language: Prediction
    sentiment: Prediction
    anger: Prediction
    abuse: Prediction
    urgency: Prediction
    tokens: tuple[str, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the analysis as JSON values, one key per task."""
        return {task: getattr(self, task).to_dict() for task in TASKS}


class UnknownTask(ValueError):
    """A task name that `predict` does not know."""


def analyze(text: str) -> Analysis:
    """Analyse one message; empty or symbol-only text gets neutral, calm answers."""
    normalized = normalize(text)
    sentiment, anger = _moods(normalized)
    return Analysis(
        language=_language(normalized),
        sentiment=sentiment,
        anger=anger,
        abuse=_abuse(text, normalized),
        urgency=_urgency(normalized),
        tokens=normalized.tokens,
    )


def predict(task: str, text: str) -> Prediction:
    """Run a single task on `text`; cheaper than `analyze` when only one answer is needed."""
    normalized = normalize(text)
    if task == "language":
        return _language(normalized)
    if task == "sentiment":
        return _moods(normalized)[0]
    if task == "anger":
        return _moods(normalized)[1]
    if task == "abuse":
        return _abuse(text, normalized)
    if task == "urgency":
        return _urgency(normalized)
    raise UnknownTask(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")


def models_load() -> None:
    """Load the trained models now instead of on the first message."""
    _Models.get()


class _Models:
    """The sentiment and anger models, loaded once and applied together (`ModelSet`)."""

    _lock = threading.Lock()
    _loaded: ModelSet | None = None

    @classmethod
    def get(cls) -> ModelSet:
        loaded = cls._loaded
        if loaded is None:
            with cls._lock:
                loaded = cls._loaded
                if loaded is None:
                    loaded = ModelSet(
                        [model_load(MODELS_DIR, "sentiment"), model_load(MODELS_DIR, "anger")]
                    )
                    cls._loaded = loaded
        return loaded


def _prediction(scores: dict[str, float]) -> Prediction:
    return Prediction(max(scores, key=scores.__getitem__), scores)


def _readable(text: NormalizedText) -> bool:
    return any(token not in _PUNCTUATION for token in text.tokens)


def _moods(text: NormalizedText) -> tuple[Prediction, Prediction]:
    """Sentiment and anger, from one pass of both models over the text's terms."""
    if not _readable(text):
        return (
            Prediction("neutral", {"negative": 0.0, "neutral": 1.0, "positive": 0.0}),
            Prediction(NO_ANGER, {ANGER: 0.0, NO_ANGER: 1.0}),
        )
    sentiment, anger = _Models.get().probabilities(text)
    return _prediction(sentiment), _prediction(anger)


def _abuse(raw: str, text: NormalizedText) -> Prediction:
    result = detect_abuse(raw, text)
    scores = {ABUSIVE: result.score, NOT_ABUSIVE: round(1.0 - result.score, 4)}
    return Prediction(result.label, scores, result.terms)


def _urgency(text: NormalizedText) -> Prediction:
    result = detect_urgency(text)
    scores = {"urgent": result.score, NORMAL: round(1.0 - result.score, 4)}
    return Prediction(result.label, scores, result.cues)


def _language(text: NormalizedText) -> Prediction:
    if not _readable(text):
        return Prediction(INDONESIAN, {"id": 0.5, "en": 0.5})
    result = detect_language(text.tokens)
    return Prediction(result.label, result.scores)
