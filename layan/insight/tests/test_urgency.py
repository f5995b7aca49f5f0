import pytest

from layan.insight.normalize import normalize
from layan.insight.urgency import detect_urgency


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mohon segera dibantu, saya tidak bisa login sejak pagi", "urgent"),
        ("gk bisa login dr tadi, tlg sgr dibantu", "urgent"),
        ("DARURAT: akun saya dibajak", "urgent"),
        ("Urgent: please cancel my order before it ships", "urgent"),
        ("Our site is down, please help immediately", "urgent"),
        ("Kak, ongkir ke Medan berapa ya?", "normal"),
        ("Terima kasih, pengirimannya cepat", "normal"),
        ("Tidak mendesak kok, kapan sempat saja", "normal"),
        ("It's not urgent, but could you check my invoice?", "normal"),
        ("No rush, whenever you get a chance", "normal"),
    ],
)
def test_detect_urgency(text, expected):
    """Explicit urgency, outages and account takeovers are urgent; calm wording is not."""
    assert detect_urgency(normalize(text)).label == expected


def test_calming_phrase_hides_the_cue_inside_it():
    """ "tidak mendesak" reports the calming phrase, not the word "mendesak" inside it."""
    result = detect_urgency(normalize("tidak mendesak"))

    assert (result.score, result.cues) == (0.0, ("tidak mendesak",))


def test_exclamations_and_shouting_add_to_other_cues():
    """Shouting alone is not urgent but pushes a weak cue over the line."""
    assert detect_urgency(normalize("KENAPA BELUM DATANG!!!")).label == "normal"
    assert detect_urgency(normalize("ini sangat penting")).label == "normal"
    assert detect_urgency(normalize("INI SANGAT PENTING!!!")).label == "urgent"
