"""Score predictions against labelled examples: accuracy, macro-F1, per-class F1, confusion."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from layan.insight.corpus import Example


@dataclass(frozen=True, slots=True)
class ClassScore:
    """Precision, recall and F1 of one label."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of scoring one labelled set.

    Macro-F1 averages over the labels present in the gold data; a label that is only ever
    predicted (say "neutral" on a set labelled positive/negative) still costs accuracy and
    appears in the confusion matrix.
    """

    count: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScore]
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]

    def brief(self) -> dict[str, float]:
        """Return accuracy and macro-F1 rounded for logs."""
        return {"accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4)}

    def to_dict(self) -> dict[str, Any]:
        """Return the evaluation as JSON values; confusion rows are gold, columns predicted."""
        return {
            "count": self.count,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {
                label: {
                    "precision": round(score.precision, 4),
                    "recall": round(score.recall, 4),
                    "f1": round(score.f1, 4),
                    "support": score.support,
                }
                for label, score in self.per_class.items()
            },
            "labels": list(self.labels),
            "confusion": [list(row) for row in self.confusion],
        }

    def table(self) -> str:
        """Return a plain-text report for a terminal."""
        width = max(len(label) for label in self.labels) if self.labels else 5
        lines = [
            f"examples  {self.count}",
            f"accuracy  {self.accuracy:.4f}",
            f"macro-F1  {self.macro_f1:.4f}",
            "",
            f"{'label':<{width}}  precision  recall  f1      support",
        ]
        for label, score in self.per_class.items():
            lines.append(
                f"{label:<{width}}  {score.precision:9.4f}  {score.recall:6.4f}  "
                f"{score.f1:6.4f}  {score.support:7d}"
            )
        lines += ["", "confusion (rows gold, columns predicted)"]
        lines.append(" " * width + "  " + "  ".join(f"{label:>{width}}" for label in self.labels))
        for label, row in zip(self.labels, self.confusion, strict=True):
            cells = "  ".join(f"{value:>{width}d}" for value in row)
            lines.append(f"{label:<{width}}  {cells}")
        return "\n".join(lines)


def evaluate(examples: Iterable[Example], predict: Callable[[str], str]) -> Evaluation:
    """Predict every example and score the predictions."""
    pairs = [(example.label, predict(example.text)) for example in examples]
    return score(pairs)


def score(pairs: Iterable[tuple[str, str]]) -> Evaluation:
    """Score `(gold, predicted)` pairs."""
    pairs = list(pairs)
    gold_labels = sorted({gold for gold, _ in pairs})
    labels = tuple(sorted({label for pair in pairs for label in pair}))
    cells = Counter(pairs)
    per_class: dict[str, ClassScore] = {}
    for label in gold_labels:
        true_positive = cells[(label, label)]
        predicted = sum(count for (_, guess), count in cells.items() if guess == label)
        support = sum(count for (gold, _), count in cells.items() if gold == label)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassScore(precision, recall, f1, support)
    correct = sum(cells[(label, label)] for label in labels)
    return Evaluation(
        count=len(pairs),
        accuracy=correct / len(pairs) if pairs else 0.0,
        macro_f1=sum(s.f1 for s in per_class.values()) / len(per_class) if per_class else 0.0,
        per_class=per_class,
        labels=labels,
        confusion=tuple(tuple(cells[(gold, guess)] for guess in labels) for gold in labels),
    )
