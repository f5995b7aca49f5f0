from pathlib import Path

import pytest

from layan.agreements.scope import OUT_OF_SCOPE, REVISION, price_comparisons, scope_hint


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mbak, ini revisi ke-3 ya, warnanya kurang terang.", REVISION),
        ("Revisi ke 4: logonya dibesarkan sedikit.", REVISION),
        ("Tolong revisi ketiga untuk halaman sampul.", REVISION),
        ("Maaf, tolong ubah lagi warnanya jadi hijau.", REVISION),
        ("Fotonya diganti lagi ya, yang kemarin kurang pas.", REVISION),
        ("Bisa minta revisi untuk font judul?", REVISION),
        ("Sorry, one more change: make the logo bigger.", REVISION),
        ("Could you change it again? The blue is too dark.", REVISION),
        ("This is the 4th revision, I know, but the layout is off.", REVISION),
        ("Bisa sekalian dibuatkan versi Instagram?", OUT_OF_SCOPE),
        ("Tolong tambah 4 halaman lagi di katalog.", OUT_OF_SCOPE),
        ("Sekalian cetak kartu nama juga ya.", OUT_OF_SCOPE),
        ("Kami minta desain tambahan untuk spanduk.", OUT_OF_SCOPE),
        ("Ini memang di luar kesepakatan, tapi bisa dibantu?", OUT_OF_SCOPE),
        ("Can you also add a QR code on the back?", OUT_OF_SCOPE),
        ("Please also add the Surabaya address.", OUT_OF_SCOPE),
        ("I know it is out of scope, but one extra page please.", OUT_OF_SCOPE),
        ("Tolong revisi lagi fontnya, sekalian ganti lagi warnanya.", REVISION),
        ("Tolong tambahkan halaman, tambahan foto, dan bisa sekalian video?", OUT_OF_SCOPE),
    ],
)
def test_scope_hint_reads_revisions_and_extra_work(text: str, kind: str) -> None:
    """A customer's words about more rounds or more work are read as that kind of request."""
    hint = scope_hint(text)
    assert hint is not None
    assert hint.kind == kind
    assert hint.phrases


@pytest.mark.parametrize(
    "text",
    [
        "Pesanan kami belum sampai, mohon dicek.",
        "Kurirnya masih di luar kota, jadi dikirim besok.",
        "Masalahnya tambah parah, kemasannya penyok semua.",
        "Terima kasih, hasilnya bagus sekali.",
        "The delivery was late again.",
        "",
    ],
)
def test_scope_hint_leaves_ordinary_messages_alone(text: str) -> None:
    """Complaints, places and thanks are not requests for revisions or extra work."""
    assert scope_hint(text) is None


def test_scope_hint_names_each_phrase_once() -> None:
    """The suggestion shows which words triggered it, each once."""
    hint = scope_hint("Revisi ke-3. Ya, revisi ke-3, ubah lagi.")
    assert hint is not None
    assert hint.phrases == ("revisi ke-", "ubah lagi")


PRICE_EXAMPLES: list[tuple[str, tuple[str, ...]]] = [
    ("Di tempat lain lebih murah, bisa kurang?", ("di tempat lain",)),
    ("Harga di sebelah cuma 20 juta lho.", ("harga di sebelah",)),
    ("Kompetitor kasih revisi gratis.", ("kompetitor",)),
    ("Kok lebih mahal dari bulan lalu?", ("kok lebih mahal",)),
    ("Percetakan sebelah bisa lebih cepat.", ("vendor lain",)),
    ("Your competitor quoted 10% less.", ("competitor",)),
    ("We can get it cheaper elsewhere.", ("cheaper elsewhere",)),
    ("Terima kasih, harganya sudah sesuai.", ()),
    ("Lebih murah dari kami? Tidak mungkin.", ()),
    ("Pesaing kami pakai bahan lain.", ("pesaing",)),
    ("Lebih murah di Surabaya, lho.", ("lebih murah di",)),
    ("Better price from the shop next door.", ("better price from",)),
    ("Another printer offered the same.", ("another vendor",)),
    ("Do you price match? Competitors do.", ("competitor", "price match")),
]


@pytest.mark.parametrize(("text", "expected"), PRICE_EXAMPLES)
def test_price_comparisons(text: str, expected: tuple[str, ...]) -> None:
    """Comparisons with other vendors' prices are found; our own price talk is not."""
    assert price_comparisons(text) == expected


def test_one_search_finds_a_price_comparison_exactly_when_a_phrase_does() -> None:
    """The combined pattern that screens each message agrees with the twelve phrases, on every
    written customer message and on each phrase's example above."""
    from layan.agreements.scope import _PRICE_ANY, _PRICE_PATTERNS, normalise
    from layan.insight.corpus import read_examples

    written = Path(__file__).resolve().parents[2] / "insight" / "data" / "written"
    texts = [
        example.text
        for name in ("messages_eval.tsv", "messages_train.tsv")
        for example in read_examples(written / name, "sentiment")
    ]
    texts += [text for text, _expected in PRICE_EXAMPLES]
    found = 0
    for text in texts:
        clean = normalise(text)
        every = any(pattern.search(clean) for pattern, _label in _PRICE_PATTERNS)
        assert bool(_PRICE_ANY.search(clean)) is every, text
        found += every
    assert found >= sum(1 for _text, expected in PRICE_EXAMPLES if expected)


def test_the_word_screen_drops_no_price_comparison() -> None:
    """Every phrase holds one of the words screened for, and on every written customer message,
    every example above and their upper-case, full-width and hyphenated forms the screened
    search answers as the twelve phrases do on the normalised text."""
    from layan.agreements.scope import _PRICE_PATTERNS, _PRICE_WORDS, normalise
    from layan.insight.corpus import read_examples

    for pattern, label in _PRICE_PATTERNS:
        assert any(word in pattern.pattern for word in _PRICE_WORDS), label
    written = Path(__file__).resolve().parents[2] / "insight" / "data" / "written"
    texts = [
        example.text
        for name in ("messages_eval.tsv", "messages_train.tsv")
        for example in read_examples(written / name, "sentiment")
    ]
    examples = [text for text, _expected in PRICE_EXAMPLES]
    wide = str.maketrans({chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)})
    texts += examples
    texts += [text.upper() for text in examples]
    texts += [text.translate(wide) for text in examples]  # NFKC folds these back
    texts += [text.replace(" ", "-") for text in examples]
    found = 0
    for text in texts:
        clean = normalise(text)
        expected = tuple(label for pattern, label in _PRICE_PATTERNS if pattern.search(clean))
        assert price_comparisons(text) == expected, text
        found += bool(expected)
    assert found >= 4 * sum(1 for _text, expected in PRICE_EXAMPLES if expected)
