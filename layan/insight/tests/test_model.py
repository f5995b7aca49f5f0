import dataclasses
import gzip
import json
import pickle

import numpy as np
import pytest

from layan.insight import analysis
from layan.insight.features import FeatureConfig
from layan.insight.model import ModelSet, _shares, model_load
from layan.insight.normalize import normalize

NAMES = ("sentiment", "anger")


@pytest.fixture
def no_pickle(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle must not be used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)


@pytest.mark.parametrize("name", NAMES)
def test_artefacts_load_without_pickle(no_pickle, name):
    """Shipped models are JSON plus a plain float32 .npy; loading never unpickles."""
    directory = analysis.MODELS_DIR
    table = np.load(directory / f"{name}.npy", allow_pickle=False)
    with gzip.open(directory / f"{name}.json.gz", "rt", encoding="utf-8") as handle:
        meta = json.load(handle)

    model = model_load(directory, name)

    assert table.dtype == np.float32
    assert table.shape == (len(meta["terms"]), 1 + len(model.intercept))
    assert model.classes == tuple(meta["classes"])


def test_artefacts_are_small():
    """All shipped artefacts together stay well under a few megabytes."""
    total = sum(path.stat().st_size for path in analysis.MODELS_DIR.iterdir())

    assert total < 4_000_000


def _written_texts():
    from layan.insight.corpus import read_examples

    written = analysis.MODELS_DIR.parent / "data" / "written"
    return [
        example.text
        for name in ("messages_eval.tsv", "messages_train.tsv")
        for example in read_examples(written / name, "sentiment")
    ]


def test_a_model_set_answers_as_each_model_alone():
    """Sentiment and anger applied in one pass (`ModelSet`) give each model's own
    probabilities, for every written message, a long text, and texts where one model knows
    terms the other lacks, one character, or nothing at all."""
    models = [model_load(analysis.MODELS_DIR, name) for name in NAMES]
    joint = ModelSet(models)
    only_sentiment = next(t for t in models[0].index if t not in models[1].index)
    only_anger = next(t for t in models[1].index if t not in models[0].index)
    written = _written_texts()
    texts = [
        *written,
        " ".join(written[:40]),  # a long text: more rows than a short one's few hundred
        only_sentiment[2:],
        only_anger[2:],
        f"{only_sentiment[2:]} {only_anger[2:]}",
        "x",
        "qqqqqqqqqqqqqqqqqqqqqq",
        "",
        "SAYA MARAH SEKALI!!! BARANG BELUM SAMPAI!!!",
    ]

    for text in texts:
        normalized = normalize(text)
        together = joint.probabilities(normalized)
        for model, answer in zip(models, together, strict=True):
            alone = model.probabilities(normalized)
            assert list(answer) == list(alone)
            assert answer == pytest.approx(alone, abs=1e-5), text


def test_a_model_set_weighs_only_with_its_own_table():
    """The set keeps one merged index and table (a column each), not the models it was made
    from, and refuses models that read different terms."""
    models = [model_load(analysis.MODELS_DIR, name) for name in NAMES]
    joint = ModelSet(models)

    assert len(joint.index) == len(set(models[0].index) | set(models[1].index))
    assert len(joint.columns) == sum(model.table.shape[1] for model in models)
    assert all(column.shape == (len(joint.index),) for column in joint.columns)
    assert not any(value is model for value in vars(joint).values() for model in models)
    other = dataclasses.replace(models[1], config=FeatureConfig(word_max=1))
    with pytest.raises(ValueError, match="one feature config"):
        ModelSet([models[0], other])


@pytest.mark.parametrize(
    ("link", "classes", "logits"),
    [
        ("softmax", ("a", "b"), [1000.0]),
        ("softmax", ("a", "b"), [-1000.0]),
        ("softmax", ("a", "b", "c"), [1000.0, -1000.0, 0.0]),
        ("ovr", ("a", "b", "c"), [1000.0, -1000.0, 0.0]),
        ("ovr", ("a", "b", "c"), [-1000.0, -1000.0, -1000.0]),
    ],
)
def test_probabilities_hold_for_logits_far_from_zero(link, classes, logits):
    """Logits a thousand from zero either way give probabilities, not an overflow."""
    shares = _shares(link, classes, logits)

    assert sum(shares.values()) == pytest.approx(1.0)
    assert all(0.0 <= share <= 1.0 for share in shares.values())
