import pytest

from layan.insight.abuse import detect_abuse
from layan.insight.normalize import normalize


def abuse(text):
    return detect_abuse(text, normalize(text))


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Dasar goblok, balikin duit gue", ("goblok",)),
        ("Bangsat, uang gue ditahan", ("bangsat",)),
        ("anj*ng udah 2 minggu", ("anjing",)),
        ("b4ngs4t emang nih toko", ("bangsat",)),
        ("anjiiiing lama banget", ("anjing",)),
        ("tolol2 semua", ("tolol",)),
        ("k*nt*l", ("kontol",)),
        ("What the f*ck is this", ("fuck",)),
        ("you a$$hole", ("asshole",)),
        ("Kamu memang otak udang", ("otak udang",)),
        ("Shut up, you stupid bastards", ("bastards", "shut up", "stupid")),
        ("kamu bodoh", ("bodoh",)),
    ],
)
def test_abusive_messages(text, terms):
    """Profanity and insults are found as written, masked, leet-spelled or stretched."""
    result = abuse(text)

    assert (result.label, result.terms) == ("abusive", terms)


@pytest.mark.parametrize(
    "text",
    [
        "Terima kasih, barangnya bagus",
        "Anjing saya sakit setelah makan produk ini",
        "Babi guling yang saya pesan datang dingin",
        "gila murah banget",
        "The package arrived damaged",
        "*** ***",
    ],
)
def test_not_abusive_messages(text):
    """Literal animals, mild slang alone and masks without letters are not abuse."""
    assert abuse(text).label == "not_abusive"


def test_mild_term_aimed_at_someone_scores_higher():
    """A mild insult scores more when aimed at someone."""
    assert abuse("dasar gila").score > abuse("gila").score
