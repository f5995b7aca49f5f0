"""Rebuild every trained artefact under `models/`: `python -m layan.insight.train`.

Only permissively licensed data and the team's own examples are read (see `data/README.md`).
Regularisation strength is chosen on a held-out tenth of the training data (chosen by a hash
of the text, so the split never changes); the final model is then refitted on everything.
The same inputs give byte-identical artefacts: no randomness, sorted vocabularies, no
timestamps. Needs scikit-learn, which Layan only installs with the `train` extra.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from layan.insight import lexicon
from layan.insight.corpus import ANGER, NO_ANGER, Example, read_examples
from layan.insight.evaluation import Evaluation, evaluate
from layan.insight.features import FeatureConfig
from layan.insight.model import CHAR, WORD, LinearModel, Terms, model_save
from layan.insight.normalize import normalize

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
TRAIN_DIR = lexicon.DATA_DIR / "train"
WRITTEN_DIR = lexicon.DATA_DIR / "written"

C_GRID = (1.0, 3.0, 10.0)


@dataclass(frozen=True, slots=True)
class Source:
    """Examples from one origin and the weight each of them gets in training."""

    name: str
    examples: list[Example]
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Spec:
    """How to build one model."""

    name: str
    sources: Callable[[], list[Source]]
    config: FeatureConfig
    min_df: int
    max_terms: int
    balanced: bool
    naive_bayes: bool


def sentiment_sources() -> list[Source]:
    """Return SmSA, PRDECT-ID sentiment, the team's messages and polarity words."""
    words = [
        Example(word, "negative" if label == ANGER else label)
        for word, label in lexicon.read_rows(lexicon.DATA_DIR / "sentiment_words.tsv", columns=2)
    ]
    return [
        Source("smsa", read_examples(TRAIN_DIR / "indonlu-smsa/train_preprocess.tsv", "sentiment")),
        Source("prdect", read_examples(TRAIN_DIR / "prdect-id/train.csv", "sentiment")),
        Source("written", read_examples(WRITTEN_DIR / "messages_train.tsv", "sentiment"), 2.0),
        Source("words", words),
    ]


def anger_sources() -> list[Source]:
    """Return PRDECT-ID emotions (anger against the rest), the team's messages and words."""
    words = [
        Example(word, ANGER if label == ANGER else NO_ANGER)
        for word, label in lexicon.read_rows(lexicon.DATA_DIR / "sentiment_words.tsv", columns=2)
    ]
    return [
        Source("prdect", read_examples(TRAIN_DIR / "prdect-id/train.csv", "anger")),
        Source("written", read_examples(WRITTEN_DIR / "messages_train.tsv", "anger"), 2.0),
        Source("words", words),
    ]


SPECS = (
    Spec("sentiment", sentiment_sources, FeatureConfig(), 2, 60_000, True, naive_bayes=True),
    Spec("anger", anger_sources, FeatureConfig(), 2, 30_000, True, naive_bayes=False),
)


def fit_model(
    name: str,
    examples: Sequence[Example],
    *,
    config: FeatureConfig,
    c: float,
    weights: Sequence[float] | None = None,
    min_df: int = 1,
    max_terms: int = 50_000,
    balanced: bool = True,
    naive_bayes: bool = False,
    summary: dict[str, Any] | None = None,
) -> LinearModel:
    """Fit a TF-IDF + logistic regression model on `examples`.

    With `naive_bayes`, fit one classifier per class on features scaled by their naive Bayes
    log-count ratio (NB-LR, Wang & Manning 2012). The scaling folds into the weights, so the
    stored model is still one linear layer.
    """
    terms = [Terms.of(normalize(example.text), config) for example in examples]
    vocabulary = _vocabulary(terms, min_df=min_df, max_terms=max_terms)
    idf = _idf(terms, vocabulary)
    matrix = _matrix(terms, vocabulary, idf)
    labels = np.asarray([example.label for example in examples])
    sample_weight = None if weights is None else np.asarray(weights, dtype=np.float64)
    classes = sorted({str(label) for label in labels})
    if naive_bayes:
        coefficients, intercept = _fit_naive_bayes(
            matrix, labels, classes, c, balanced, sample_weight
        )
    else:
        classifier = _classifier(c, balanced).fit(matrix, labels, sample_weight=sample_weight)
        coefficients, intercept = classifier.coef_.T, classifier.intercept_
    return LinearModel(
        name=name,
        classes=tuple(classes),
        config=config,
        index={term: row for row, term in enumerate(vocabulary)},
        table=np.column_stack([idf, coefficients]).astype(np.float32),
        intercept=np.asarray(intercept, dtype=np.float32),
        summary=summary or {},
        link="ovr" if naive_bayes else "softmax",
    )


def _classifier(c: float, balanced: bool) -> Any:
    from sklearn.linear_model import LogisticRegression

    weight = "balanced" if balanced else None
    return LogisticRegression(C=c, max_iter=5000, tol=1e-4, class_weight=weight)


def _fit_naive_bayes(
    matrix: Any,
    labels: np.ndarray,
    classes: Sequence[str],
    c: float,
    balanced: bool,
    sample_weight: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    present = (matrix > 0).astype(np.float64)
    columns: list[np.ndarray] = []
    intercepts: list[float] = []
    for label in classes:
        inside = labels == label
        with_label = np.asarray(present[inside].sum(axis=0)).ravel() + 1.0
        without = np.asarray(present[~inside].sum(axis=0)).ravel() + 1.0
        ratio = np.log((with_label / with_label.sum()) / (without / without.sum()))
        scaled = matrix.multiply(ratio).tocsr()
        classifier = _classifier(c, balanced).fit(
            scaled, inside.astype(np.int64), sample_weight=sample_weight
        )
        columns.append(classifier.coef_[0] * ratio)
        intercepts.append(float(classifier.intercept_[0]))
    return np.column_stack(columns), np.asarray(intercepts)


def build(spec: Spec, directory: Path) -> dict[str, Any]:
    """Select C on held-out data, refit on everything, save, and return the summary."""
    sources = spec.sources()
    examples = [example for source in sources for example in source.examples]
    weights = [source.weight for source in sources for _ in source.examples]
    held_out = [_bucket(example.text) == 0 for example in examples]
    fit_part = [i for i, held in enumerate(held_out) if not held]
    dev_part = [i for i, held in enumerate(held_out) if held]
    dev_scores: dict[str, float] = {}
    for c in C_GRID:
        candidate = _fit(spec, [examples[i] for i in fit_part], [weights[i] for i in fit_part], c)
        result = _evaluate_model(candidate, [examples[i] for i in dev_part])
        dev_scores[f"{c:g}"] = round(result.macro_f1, 4)
        logger.info("insight_train_candidate", extra={"model": spec.name, "c": c, **result.brief()})
    best = max(C_GRID, key=lambda c: (dev_scores[f"{c:g}"], -c))
    summary = {
        "sources": {source.name: len(source.examples) for source in sources},
        "c": best,
        "dev_macro_f1": dev_scores,
        "held_out_examples": len(dev_part),
    }
    model = _fit(spec, examples, weights, best, summary)
    model_save(model, directory)
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    """Rebuild the artefacts named on the command line, or all of them."""
    parser = argparse.ArgumentParser(prog="python -m layan.insight.train", description=__doc__)
    names = [spec.name for spec in SPECS]
    parser.add_argument("models", nargs="*", metavar="MODEL", help=f"any of {', '.join(names)}")
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="output folder")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.models) - set(names))
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}")
    for spec in SPECS:
        if args.models and spec.name not in args.models:
            continue
        started = time.perf_counter()
        summary = build(spec, args.out)
        logger.info(
            "insight_train_done",
            extra={"model": spec.name, "seconds": round(time.perf_counter() - started, 1)},
        )
        sys.stdout.write(f"{spec.name}: {json.dumps(summary, sort_keys=True)}\n")


def _fit(
    spec: Spec,
    examples: Sequence[Example],
    weights: Sequence[float],
    c: float,
    summary: dict[str, Any] | None = None,
) -> LinearModel:
    return fit_model(
        spec.name,
        examples,
        config=spec.config,
        c=c,
        weights=weights,
        min_df=spec.min_df,
        max_terms=spec.max_terms,
        balanced=spec.balanced,
        naive_bayes=spec.naive_bayes,
        summary=summary,
    )


def _bucket(text: str) -> int:
    # SHA-256, not MD5: the PRDECT-ID splits are MD5 buckets, so MD5 would hold out none of it.
    digest = hashlib.sha256(text.strip().lower().encode("utf-8"))
    return int(digest.hexdigest(), 16) % 10


def _vocabulary(terms: Sequence[Terms], *, min_df: int, max_terms: int) -> list[str]:
    frequency: Counter[str] = Counter()
    for item in terms:
        frequency.update({WORD + term for term in item.word})
        frequency.update({CHAR + term for term in item.char})
    kept = [term for term, count in frequency.items() if count >= min_df]
    # Most frequent first, ties alphabetical, so the cut at max_terms is reproducible.
    kept.sort(key=lambda term: (-frequency[term], term))
    return sorted(kept[:max_terms])


def _idf(terms: Sequence[Terms], vocabulary: Sequence[str]) -> np.ndarray:
    index = {term: row for row, term in enumerate(vocabulary)}
    document_frequency = np.zeros(len(vocabulary), dtype=np.float64)
    for item in terms:
        rows = {index[t] for t in _prefixed(item) if t in index}
        document_frequency[list(rows)] += 1
    documents = len(terms)
    return np.log((1 + documents) / (1 + document_frequency)) + 1.0


def _matrix(terms: Sequence[Terms], vocabulary: Sequence[str], idf: np.ndarray) -> Any:
    from scipy.sparse import csr_matrix

    index = {term: row for row, term in enumerate(vocabulary)}
    data: list[float] = []
    columns: list[int] = []
    pointers = [0]
    for item in terms:
        for prefix, block in ((WORD, item.word), (CHAR, item.char)):
            counts = Counter(index[prefix + t] for t in block if prefix + t in index)
            values = {
                column: (1.0 + math.log(count)) * float(np.float32(idf[column]))
                for column, count in sorted(counts.items())
            }
            norm = math.sqrt(sum(value * value for value in values.values())) or 1.0
            columns.extend(values)
            data.extend(value / norm for value in values.values())
        pointers.append(len(columns))
    return csr_matrix((data, columns, pointers), shape=(len(terms), len(vocabulary)))


def _prefixed(item: Terms) -> list[str]:
    return [WORD + term for term in item.word] + [CHAR + term for term in item.char]


def _evaluate_model(model: LinearModel, examples: Sequence[Example]) -> Evaluation:
    def predict(text: str) -> str:
        scores = model.probabilities(normalize(text))
        return max(scores, key=scores.__getitem__)

    return evaluate(examples, predict)


if __name__ == "__main__":
    main()
