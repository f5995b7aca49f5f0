import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command


def run(*args, stdin=None, monkeypatch=None):
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    call_command("insight", *args, stdout=out)
    return out.getvalue()


def test_predict_writes_one_json_line_per_input_line_in_order(tmp_path):
    """Each input line, empty ones included, gets one JSON object in the same order."""
    source = tmp_path / "in.txt"
    source.write_text("Terima kasih, bagus sekali!\n\nBarangnya rusak, kecewa.\n", encoding="utf-8")

    lines = run("predict", "--task", "sentiment", str(source)).splitlines()

    results = [json.loads(line) for line in lines]
    assert [result["label"] for result in results] == ["positive", "neutral", "negative"]
    assert set(results[0]["scores"]) == {"negative", "neutral", "positive"}


def test_predict_reads_stdin(monkeypatch):
    """Without a file (or with -) predict reads standard input."""
    output = run(
        "predict", "--task", "abuse", "-", stdin="dasar goblok\nhalo\n", monkeypatch=monkeypatch
    )

    results = [json.loads(line) for line in output.splitlines()]
    assert [result["label"] for result in results] == ["abusive", "not_abusive"]
    assert results[0]["terms"] == ["goblok"]


def test_evaluate_prints_a_table_and_json(tmp_path):
    """evaluate prints accuracy and macro-F1 as a table, or one JSON line with --json."""
    source = tmp_path / "labelled.tsv"
    source.write_text(
        "urgency\ttext\nurgent\tTolong segera, akun saya dibajak\nnormal\tKapan promo?\n",
        encoding="utf-8",
    )

    table = run("evaluate", "--task", "urgency", str(source))
    line = json.loads(run("evaluate", "--task", "urgency", str(source), "--json"))

    assert "accuracy  1.0000" in table and "macro-F1  1.0000" in table
    assert (line["format"], line["accuracy"], line["macro_f1"]) == ("layan", 1.0, 1.0)
    assert line["confusion"] == [[1, 0], [0, 1]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("predict", "--task", "sentiment", "/nonexistent/in.txt"), "file not found"),
        (("evaluate", "--task", "sentiment", "/nonexistent/in.tsv"), "file not found"),
        (("predict", "--task", "spam", "-"), "invalid choice"),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    """Missing files and unknown tasks end with a CommandError, not a traceback."""
    with pytest.raises(CommandError, match=message):
        call_command("insight", *args, stdout=io.StringIO())


def test_evaluate_rejects_a_file_without_the_task(tmp_path):
    """Evaluating a task the file has no labels for is a clear error."""
    source = tmp_path / "smsa.tsv"
    source.write_text("bagus\tpositive\n", encoding="utf-8")

    with pytest.raises(CommandError, match="no anger labels"):
        call_command("insight", "evaluate", "--task", "anger", str(source), stdout=io.StringIO())


def test_predict_rejects_invalid_utf8(tmp_path):
    """Input that is not UTF-8 is a clear error."""
    source = tmp_path / "latin1.txt"
    source.write_bytes("caf\xe9\n".encode("latin-1"))

    with pytest.raises(CommandError, match="UTF-8"):
        call_command("insight", "predict", "--task", "language", str(source), stdout=io.StringIO())
