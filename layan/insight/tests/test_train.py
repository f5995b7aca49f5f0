import pytest

from layan.insight.corpus import Example
from layan.insight.features import FeatureConfig
from layan.insight.model import Terms, model_load, model_save
from layan.insight.normalize import normalize
from layan.insight.train import fit_model

pytest.importorskip("sklearn")

EXAMPLES = [
    Example(text, label)
    for texts, label in (
        (["bagus sekali", "mantap kak", "puas banget", "terima kasih, cepat", "rapi"], "positive"),
        (["jelek", "rusak parah", "kecewa berat", "lambat sekali", "barang palsu"], "negative"),
        (
            ["kapan dikirim?", "ongkir berapa", "alamat toko di mana", "jam buka?", "ada stok?"],
            "neutral",
        ),
    )
    for text in texts
]


def train(directory):
    model = fit_model("tiny", EXAMPLES, config=FeatureConfig(), c=10.0)
    model_save(model, directory)
    return model


def test_training_twice_gives_identical_bytes(tmp_path):
    """The same examples and settings produce byte-identical artefacts."""
    train(tmp_path / "one")
    train(tmp_path / "two")

    for name in ("tiny.json.gz", "tiny.npy"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_saved_model_predicts_like_the_fitted_one(tmp_path):
    """A model reloaded from disk gives the probabilities of the model that was fitted."""
    fitted = train(tmp_path)
    loaded = model_load(tmp_path, "tiny")
    text = normalize("barangnya bagus dan cepat")

    expected = fitted.probabilities(text)
    actual = loaded.probabilities(text)

    assert max(actual, key=actual.get) == "positive"
    assert actual == pytest.approx(expected, abs=1e-6)


def test_runtime_scores_match_scikit_learn(tmp_path):
    """The numpy scorer reproduces scikit-learn's own predict_proba on the training matrix."""
    from sklearn.linear_model import LogisticRegression

    from layan.insight import train as training

    config = FeatureConfig()
    terms = [Terms.of(normalize(example.text), config) for example in EXAMPLES]
    vocabulary = training._vocabulary(terms, min_df=1, max_terms=50_000)
    idf = training._idf(terms, vocabulary)
    matrix = training._matrix(terms, vocabulary, idf)
    labels = [example.label for example in EXAMPLES]
    reference = LogisticRegression(C=10.0, max_iter=5000, tol=1e-4, class_weight="balanced")
    reference.fit(matrix, labels)
    model = fit_model("tiny", EXAMPLES, config=config, c=10.0)

    for row, example in enumerate(EXAMPLES):
        ours = model.probabilities(normalize(example.text))
        theirs = dict(zip(reference.classes_, reference.predict_proba(matrix[row])[0], strict=True))
        assert ours == pytest.approx(theirs, abs=1e-4)
