import pytest

from layan.insight.normalize import EMAIL, MENTION, NUMBER, URL, normalize, normalize_word


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("gk", ("tidak",)),
        ("ga", ("tidak",)),
        ("bgt", ("banget",)),
        ("bgttt", ("banget",)),
        ("yg", ("yang",)),
        ("tdk", ("tidak",)),
        ("sdh", ("sudah",)),
        ("udh", ("sudah",)),
        ("blm", ("belum",)),
        ("dgn", ("dengan",)),
        ("krn", ("karena",)),
        ("tp", ("tapi",)),
        ("aja", ("saja",)),
        ("bener", ("benar",)),
        ("gpp", ("tidak", "apa-apa")),
        ("bagusssss", ("bagus",)),
        ("kecewaaa", ("kecewa",)),
        ("maaaaf", ("maaf",)),
        ("goooood", ("good",)),
        ("wkwkwk", ("haha",)),
        ("hahahaaa", ("haha",)),
        ("hati2", ("hati-hati",)),
        ("barangnya", ("barang", "nya")),
        ("pengirimannya", ("pengiriman", "nya")),
        ("hanya", ("hanya",)),
        ("punya", ("punya",)),
        ("don't", ("do", "not")),
        ("pls", ("please",)),
        ("rumah", ("rumah",)),
    ],
)
def test_normalize_word(word, expected):
    """Slang, stretched letters, laughter, reduplication and "-nya" get one normal spelling."""
    assert normalize_word(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Barangnya BAGUS!!!", ("barang", "nya", "bagus", "!")),
        ("Mantul kak 👍", ("mantap", "kakak", "bagus")),
        ("kesel 😡", ("kesel", "marah", "sekali")),
        ("❤️👍🏽", ("suka", "bagus")),
        ("enak:)", ("enak", "senang")),
        ("sedih :(", ("sedih", "sedih")),
        ("cek https://toko.id/a?b=1 ya", ("cek", URL, "ya")),
        ("email ke budi@contoh.co.id", ("email", "ke", EMAIL)),
        ("@tokoku halo", (MENTION, "halo")),
        ("total Rp 150.000", ("total", "rupiah", NUMBER)),
        ("#kecewa", ("kecewa",)),
        ("Kenapa??!", ("kenapa", "?", "!")),
        ("Ｂａｇｕｓ", ("bagus",)),
        ("", ()),
        ("🙈", ()),
    ],
)
def test_normalize_text(text, expected):
    """Messages become lower-case tokens with emoji as words and links as placeholders."""
    assert normalize(text).tokens == expected


def test_normalize_counts_shouting_and_exclamations():
    """Capitalised words and exclamation marks are counted before lower-casing."""
    result = normalize("MANA BARANG SAYA sudah lama!!!")

    assert (result.caps_words, result.exclamations, result.words) == (3, 3, 5)


def test_emoticon_inside_a_word_is_not_an_emoticon():
    """Letters that happen to look like an emoticon inside a word stay a word."""
    assert normalize("maxD").tokens == ("maxd",)
