import gzip
import json
import pickle

import numpy as np
import pytest

from layan.insight import analysis
from layan.insight.model import model_load

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
