import pytest

from layan.insight import lexicon
from layan.insight.lexicon import LexiconError, read_rows, read_weights, read_words


def test_read_rows_skips_comments_and_blank_lines(tmp_path):
    """Comments and blank lines are ignored; cells are stripped."""
    path = tmp_path / "list.tsv"
    path.write_text(
        "# header comment\n\ngk\ttidak \n  # indented comment\nyg\tyang\n", encoding="utf-8"
    )

    assert read_rows(path, columns=2) == [("gk", "tidak"), ("yg", "yang")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("gk\ttidak\nyg yang\n", "list.tsv, line 2"),
        ("gk\t\n", "list.tsv, line 1"),
        ("gk\ttidak\textra\n", "got 3"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, content, message):
    """A malformed line is reported with the file name and line number."""
    path = tmp_path / "list.tsv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(LexiconError, match=message):
        read_rows(path, columns=2)


@pytest.mark.parametrize(("value", "message"), [("besar", "not a number"), ("1.5", "outside")])
def test_bad_weight_is_rejected(tmp_path, value, message):
    """Weights must be numbers between -1 and 1."""
    path = tmp_path / "weights.tsv"
    path.write_text(f"segera\t{value}\n", encoding="utf-8")

    with pytest.raises(LexiconError, match=message):
        read_weights(path)


def test_read_words_lowercases(tmp_path):
    """One-word lists are lower-cased."""
    path = tmp_path / "words.txt"
    path.write_text("Maaf\nSAAT\n", encoding="utf-8")

    assert read_words(path) == {"maaf", "saat"}


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("slang.tsv", 2),
        ("emoji.tsv", 2),
        ("language.tsv", 2),
        ("abuse.tsv", 2),
        ("urgency.tsv", 2),
        ("sentiment_words.tsv", 2),
        ("double_letters.txt", 1),
        ("nya_words.txt", 1),
        ("abuse_literal.txt", 1),
    ],
)
def test_shipped_lists_are_well_formed(name, columns):
    """Every shipped list parses."""
    assert read_rows(lexicon.DATA_DIR / name, columns=columns)
