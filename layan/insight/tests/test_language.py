import pytest

from layan.insight.language import detect_language
from layan.insight.normalize import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kak, pesanan saya belum sampai, tolong dicek ya", "id"),
        ("gmn cara reset password akun sy min", "id"),
        ("Tolong refund ya kak, barangnya rusak", "id"),
        ("Thanks kak, barangnya sudah sampai dengan selamat", "id"),
        ("Could you please check the status of my order?", "en"),
        ("I don't think this is what I ordered", "en"),
        ("Halo kak, my order belum sampai, can you check it please?", "mixed"),
        ("Barangnya bagus, really love it, makasih ya!", "mixed"),
        ("12345 !!!", "id"),
    ],
)
def test_detect_language(text, expected):
    """Indonesian with loanwords stays Indonesian; real code-mixing is "mixed"."""
    assert detect_language(normalize(text).tokens).label == expected


def test_language_scores_are_shares():
    """Scores give the share of listed words in each language."""
    result = detect_language(normalize("saya dan kamu and you").tokens)

    assert result.scores == {"id": 0.6, "en": 0.4}
