import pytest

from layan.insight.corpus import CorpusError, Example, detect_format, read_examples
from layan.insight.evaluation import evaluate, score


def test_score_counts_accuracy_macro_f1_and_confusion():
    """Macro-F1 averages the gold labels; the confusion matrix has rows gold, columns predicted."""
    pairs = [("pos", "pos"), ("pos", "neg"), ("neg", "neg"), ("neg", "neg"), ("neg", "neu")]

    result = score(pairs)

    assert result.accuracy == pytest.approx(3 / 5)
    assert (result.per_class["pos"].precision, result.per_class["pos"].recall) == (1.0, 0.5)
    assert result.per_class["neg"].f1 == pytest.approx(2 / 3)
    assert result.macro_f1 == pytest.approx(2 / 3)
    assert "neu" not in result.per_class
    assert result.labels == ("neg", "neu", "pos")
    assert result.confusion == ((2, 1, 0), (0, 0, 0), (1, 0, 1))


def test_evaluate_predicts_each_example():
    """evaluate() calls the predictor once per example and scores it."""
    examples = [Example("a", "x"), Example("b", "y")]

    result = evaluate(examples, lambda text: "x")

    assert (result.count, result.accuracy) == (2, 0.5)
    assert result.to_dict()["per_class"]["y"]["f1"] == 0.0


SAMPLES = {
    "smsa.tsv": ("bagus sekali .\tpositive\njelek\tnegative\n", "smsa"),
    "prdect.csv": (
        "Category,Product Name,Location,Price,Overall Rating,Number Sold,Total Review,"
        "Customer Rating,Customer Review,Sentiment,Emotion\n"
        'a,b,c,1,5,1,1,5,"Barang bagus, mantap",Positive,Happy\n'
        "a,b,c,1,5,1,1,1,Penipu,Negative,Anger\n",
        "prdect",
    ),
    "emot.csv": ("label,tweet\nanger,kesal sekali\nhappy,senang\n", "emot"),
    "hate.csv": (
        "Tweet,HS,Abusive,HS_Individual,HS_Group,HS_Religion,HS_Race,HS_Physical,"
        "HS_Gender,HS_Other,HS_Weak,HS_Moderate,HS_Strong\n"
        "USER dasar bego \\xf0\\x9f\\x98\\xa1,1,1,1,0,0,0,0,0,0,1,0,0\n"
        "selamat pagi,0,0,0,0,0,0,0,0,0,0,0,0\n",
        "hatespeech",
    ),
    "layan.tsv": ("# comment\nsentiment\turgency\ttext\npositive\tnormal\tmakasih\n", "layan"),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_detect_format(tmp_path, name):
    """Each corpus format is recognised from its header."""
    content, expected = SAMPLES[name]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    assert detect_format(path) == expected


@pytest.mark.parametrize(
    ("name", "task", "expected"),
    [
        ("smsa.tsv", "sentiment", [("bagus sekali .", "positive"), ("jelek", "negative")]),
        ("prdect.csv", "sentiment", [("Barang bagus, mantap", "positive"), ("Penipu", "negative")]),
        ("prdect.csv", "anger", [("Barang bagus, mantap", "no_anger"), ("Penipu", "anger")]),
        ("emot.csv", "anger", [("kesal sekali", "anger"), ("senang", "no_anger")]),
        ("hate.csv", "abuse", [("USER dasar bego 😡", "abusive"), ("selamat pagi", "not_abusive")]),
        ("layan.tsv", "urgency", [("makasih", "normal")]),
    ],
)
def test_read_examples(tmp_path, name, task, expected):
    """Each format yields text and the task's labels (emoji escapes are decoded)."""
    path = tmp_path / name
    path.write_text(SAMPLES[name][0], encoding="utf-8")

    examples = read_examples(path, task)

    assert [(example.text, example.label) for example in examples] == expected


@pytest.mark.parametrize(
    ("name", "task"), [("smsa.tsv", "anger"), ("emot.csv", "abuse"), ("layan.tsv", "abuse")]
)
def test_format_without_the_task_is_an_error(tmp_path, name, task):
    """Asking a file for labels it does not have is a clear error."""
    path = tmp_path / name
    path.write_text(SAMPLES[name][0], encoding="utf-8")

    with pytest.raises(CorpusError, match=task):
        read_examples(path, task)


def test_unknown_task_is_an_error(tmp_path):
    """An unknown task name is rejected before reading."""
    path = tmp_path / "smsa.tsv"
    path.write_text(SAMPLES["smsa.tsv"][0], encoding="utf-8")

    with pytest.raises(CorpusError, match="unknown task"):
        read_examples(path, "spam")
