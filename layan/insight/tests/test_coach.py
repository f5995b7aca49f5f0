import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.insight.coach import (
    RULES_DIR,
    RuleError,
    coach_reply,
    guess_language,
    load_rules,
    own_text,
)

BUDI = {"honorific": "Bapak", "preferred_name": "Budi", "full_name": "Budi Santoso"}
SARI = {"honorific": "Ibu", "preferred_name": "Sari", "full_name": "Sari Dewi Lestari"}
NOBODY = {"honorific": "", "preferred_name": "", "full_name": ""}

GOOD_ID = """Selamat pagi Pak Budi,

Terima kasih sudah menghubungi kami. Kami mohon maaf atas keterlambatan pengiriman pesanan
Bapak. Paket akan kami kirim ulang besok pukul 10.00 WIB, dan nomor resinya kami kirimkan
sebelum pukul 12.00.

Salam,
Rina Wulandari
Customer Care | PT LAYAN NUSANTARA
"""

GOOD_EN = """Dear Mr Budi,

Thank you for your patience. We are sorry that your invoice INV/2025/0012 was sent twice.
We have cancelled the duplicate, and you will receive the corrected PDF by Friday, 28 November.

Kind regards,
Andi Pratama
Account Manager
"""

BAD_ID = """PESANAN SUDAH DIKIRIM SESUAI ALAMAT. Anda salah memasukkan kode pos, itu bukan urusan
kami. Seperti yang sudah saya bilang, nanti kami kabari secepatnya.
"""

BAD_EN = """As I already told you, that's not our problem. You should have read the terms.
We will look into it soon.
"""

SIGNED_BY_NAMESAKE = """Selamat siang,

Terima kasih, pesanan sudah kami kirim hari ini.

Salam,
Budi Santoso
Customer Care
"""

QUOTED_ID = """Halo,

Sudah kami kirim hari ini, terima kasih.

Pada Sen, 24 Nov 2025 pukul 09.12, Budi Santoso <budi@contoh.co.id> menulis:
> Pak, paket saya belum sampai. Tolong dicek.
"""

QUOTED_EN = """Hi,

We sent it today, thanks.

On Mon, 24 Nov 2025 at 09:12, Budi Santoso <budi@example.com>
wrote:
> Where is my parcel?
"""

# hint code: (case, whether the hint is given, reply, arguments)
CASES = {
    "greeting_missing": [
        ("no greeting", True, "Pesanan Bapak Budi sudah dikirim. Terima kasih.", {}),
        (
            "greeting too late",
            True,
            "Pak Budi,\nPesanan sudah dikirim.\nTerima kasih.\nSelamat pagi.",
            {},
        ),
        ("english no greeting", True, "Mr Budi, your order shipped. Thanks.", {"language": "en"}),
        ("selamat pagi", False, "Selamat pagi Pak Budi, pesanan sudah dikirim. Trims.", {}),
        ("pagi kak", False, "Pagi, Kak Budi! Makasih ya.", {"honorific": "Kak"}),
        ("halo", False, "halo   pak budi, makasih", {}),
        ("assalamualaikum", False, "Assalamu'alaikum Pak Budi. Terima kasih.", {}),
        (
            "formal letter",
            False,
            "Yth. Bpk. Budi Santoso,\nDengan hormat,\n\nTerlampir faktur bulan ini. Terima kasih.",
            {},
        ),
        ("english dear", False, GOOD_EN, {"language": "en"}),
        ("sore ini is not a greeting", True, "Sore ini paket Pak Budi dikirim. Trims.", {}),
    ],
    "name_missing": [
        ("no name", True, "Selamat siang, terima kasih atas pesanannya.", {}),
        ("name only in signature", True, SIGNED_BY_NAMESAKE, {}),
        ("name only in quoted text", True, QUOTED_ID, {}),
        ("name only in quoted english", True, QUOTED_EN, {"language": "en"}),
        ("name used", False, GOOD_ID, {}),
        ("surname used", False, "Halo Bapak Santoso, terima kasih.", {}),
        ("name without honorific counts", False, "Halo Budi, terima kasih.", {}),
    ],
    "honorific_missing": [
        ("bare name", True, "Halo Budi, terima kasih.", {}),
        ("english bare name", True, "Hi Budi, thanks.", {"language": "en", "honorific": "Mr"}),
        (
            "no name known, no honorific",
            True,
            "Halo, pesanan sudah dikirim.",
            {**NOBODY, "honorific": "Ibu"},
        ),
        ("pak", False, "Halo Pak Budi, terima kasih.", {}),
        ("bpk with dot", False, "Halo Bpk. Budi, terima kasih.", {}),
        ("bu", False, "Halo Bu Sari, terima kasih.", SARI),
        ("english dear name", False, "Dear Budi, thank you.", {"language": "en"}),
        ("english mr", False, "Hi Mr. Budi, thanks.", {"language": "en", "honorific": "Mr"}),
        ("mr on record, pak written", False, "Halo Pak Budi, terima kasih.", {"honorific": "Mr"}),
        (
            "no name known, honorific alone",
            False,
            "Halo, sudah dikirim. Terima kasih, Bu.",
            {**NOBODY, "honorific": "Ibu"},
        ),
    ],
    "honorific_mismatch": [
        ("bapak for ibu", True, "Halo Bapak Sari, terima kasih.", SARI),
        (
            "mr for ms",
            True,
            "Dear Mr Sari, thank you.",
            {**SARI, "honorific": "Ms", "language": "en"},
        ),
        ("ibu for ibu", False, "Halo Ibu Sari, terima kasih.", SARI),
        ("ms for ibu", False, "Dear Ms Sari, thank you.", {**SARI, "language": "en"}),
    ],
    "thanks_missing": [
        ("no thanks", True, "Halo Pak Budi, pesanan sudah dikirim.", {}),
        ("english no thanks", True, "Hi Mr Budi, your order shipped.", {"language": "en"}),
        ("terima kasih", False, "Halo Pak Budi, terima  kasih!", {}),
        ("terimakasih", False, "Halo Pak Budi, terimakasih.", {}),
        ("trims", False, "Halo Pak Budi, trims.", {}),
        ("makasih", False, "Halo Pak Budi, makasiiih ya.", {}),
        ("thx", False, "Halo Pak Budi, thx.", {}),
        ("thank you", False, "Hi Mr Budi, thank you!", {"language": "en"}),
    ],
    "apology_missing": [
        (
            "our fault, no apology",
            True,
            "Halo Pak Budi, paket dikirim ulang besok. Terima kasih.",
            {"fault": "ours"},
        ),
        (
            "our fault, english",
            True,
            "Hi Mr Budi, we resent it today. Thanks.",
            {"fault": "ours", "language": "en"},
        ),
        (
            "mohon maaf",
            False,
            "Halo Pak Budi, mohon maaf, paket dikirim ulang besok.",
            {"fault": "ours"},
        ),
        ("maaf", False, "Halo Pak Budi, maaf ya, paket dikirim ulang besok.", {"fault": "ours"}),
        (
            "ketidaknyamanannya",
            False,
            "Halo Pak Budi, kami mohon maaf atas ketidaknyamanannya.",
            {"fault": "ours"},
        ),
        (
            "we apologise",
            False,
            "Hi Mr Budi, we apologise for the delay.",
            {"fault": "ours", "language": "en"},
        ),
        (
            "customer's fault needs none",
            False,
            "Halo Pak Budi, terima kasih.",
            {"fault": "customer"},
        ),
        ("not assessed needs none", False, "Halo Pak Budi, terima kasih.", {"fault": ""}),
    ],
    "blame_phrase": [
        ("anda salah", True, BAD_ID, {}),
        ("berkali-kali", True, "Halo Pak Budi, sudah kami jelaskan berkali-kali.", {}),
        ("berkali-kali first", True, "Halo Pak Budi, sudah berkali-kali kami jelaskan.", {}),
        ("not our problem", True, BAD_EN, {"language": "en"}),
        ("curly apostrophe", True, "Hi Mr Budi, that\u2019s not our problem.", {"language": "en"}),
        (
            "polite reminder",
            False,
            "Halo Pak Budi, seperti yang sudah kami sampaikan sebelumnya, ongkir ditanggung Bapak.",
            {},
        ),
        ("not your fault", False, "Halo Pak Budi, ini bukan salah Anda.", {}),
        ("english not your fault", False, "Hi Mr Budi, it is not your fault.", {"language": "en"}),
    ],
    "all_caps": [
        ("shouting", True, "Halo Pak Budi, MOHON SEGERA LAKUKAN PEMBAYARAN. Trims.", {}),
        ("sentence in capitals", True, BAD_ID, {}),
        ("two short words", True, "Halo Pak Budi, ANDA SALAH. Trims.", {}),
        ("one long word", True, "Halo Pak Budi, PENTING: bawa KTP asli. Trims.", {}),
        (
            "acronyms and references",
            False,
            "Halo Pak Budi, silakan unggah NPWP dan KTP (PDF) untuk tiket TCK-2025-00042 "
            "dan faktur INV/2025/0012 sesuai SLA. Trims.",
            {},
        ),
        ("name in capitals", False, "Yth. BAPAK BUDI SANTOSO, terima kasih.", {}),
        ("capitals in signature", False, GOOD_ID, {}),
    ],
    "vague_promise": [
        ("secepatnya", True, BAD_ID, {}),
        ("mohon ditunggu", True, "Halo Pak Budi, mohon ditunggu ya.", {}),
        ("soon", True, BAD_EN, {"language": "en"}),
        ("asap", True, "Hi Mr Budi, we will fix it as soon as possible.", {"language": "en"}),
        (
            "time in another sentence",
            True,
            "Halo Pak Budi, kami proses secepatnya. Besok pukul 10.00 kantor buka.",
            {},
        ),
        (
            "besok pukul",
            False,
            "Halo Pak Budi, secepatnya, besok pukul 10.00 WIB, teknisi kami datang.",
            {},
        ),
        (
            "senin tanggal",
            False,
            "Halo Pak Budi, akan segera kami kirim pada Senin, 24 November.",
            {},
        ),
        ("1x24 jam", False, "Halo Pak Budi, mohon ditunggu 1x24 jam.", {}),
        ("by friday", False, "Hi Mr Budi, we will get back to you by Friday.", {"language": "en"}),
        (
            "within hours",
            False,
            "Hi Mr Budi, we will fix it as soon as possible, within 2 hours.",
            {"language": "en"},
        ),
    ],
    "liability_admitted": [
        (
            "customer's fault admitted",
            True,
            "Halo Pak Budi, mohon maaf, kami yang salah.",
            {"fault": "customer"},
        ),
        (
            "third party's fault admitted",
            True,
            "Hi Mr Budi, this was our mistake.",
            {"fault": "third_party", "language": "en"},
        ),
        (
            "undetermined admitted",
            True,
            "Halo Pak Budi, ini kesalahan kami.",
            {"fault": "undetermined"},
        ),
        (
            "our fault may be admitted",
            False,
            "Halo Pak Budi, mohon maaf, kami yang salah.",
            {"fault": "ours"},
        ),
        ("not assessed", False, "Halo Pak Budi, mohon maaf, kami yang salah.", {"fault": ""}),
        (
            "denial is not admission",
            False,
            "Halo Pak Budi, ini bukan salah kami.",
            {"fault": "customer"},
        ),
        (
            "empathy without admission",
            False,
            "Halo Pak Budi, kami mohon maaf atas ketidaknyamanan yang Bapak alami.",
            {"fault": "customer"},
        ),
    ],
    "sop_missing": [
        (
            "customer's fault, no rule",
            True,
            "Halo Pak Budi, revisi ketiga dikenakan biaya. Terima kasih.",
            {"fault": "customer"},
        ),
        (
            "rule explained",
            False,
            "Halo Pak Budi, sesuai ketentuan yang telah kita sepakati, revisi ketiga berbayar.",
            {"fault": "customer"},
        ),
        (
            "english rule explained",
            False,
            "Hi Mr Budi, as agreed in the contract, a third revision is charged.",
            {"fault": "customer", "language": "en"},
        ),
        ("our fault needs no rule", False, "Halo Pak Budi, mohon maaf.", {"fault": "ours"}),
    ],
}

REPEATED = "Halo Pak Budi, terima kasih. Pesanan Bapak kami kirim besok pukul 10.00."


def report_for(text, arguments):
    arguments = {"language": "id", **BUDI, **arguments}
    return coach_reply(text, **arguments)


@pytest.mark.parametrize(
    ("text", "arguments", "code", "given"),
    [
        pytest.param(text, arguments, code, given, id=f"{code}: {name}")
        for code, cases in CASES.items()
        for name, given, text, arguments in cases
    ],
)
def test_hint(text, arguments, code, given):
    """Each hint is given exactly when its rule applies to the reply."""
    report = report_for(text, arguments)

    assert (code in report.hint_codes) is given


def test_every_hint_has_a_positive_and_a_negative_case():
    """The table exercises both outcomes of every hint the rules define."""
    covered = {(code, given) for code, cases in CASES.items() for _, given, *_ in cases}
    covered |= {("repeated_reply", True), ("repeated_reply", False)}

    for code in load_rules().hints:
        assert (code, True) in covered, code
        assert (code, False) in covered, code


@pytest.mark.parametrize(
    ("previous", "given"),
    [
        ([REPEATED], True),
        ([REPEATED.upper().replace(",", "")], True),
        ([f"{REPEATED}\n\nSalam,\nRina\nCustomer Care"], True),
        (["Halo Pak Budi, paket sudah sampai di gudang Surabaya."], False),
        ([], False),
    ],
    ids=["same", "same words", "same with signature", "different", "first reply"],
)
def test_repeated_reply(previous, given):
    """A reply almost identical to one we already sent in the conversation gets a hint."""
    report = report_for(REPEATED, {"previous_replies": previous})

    assert ("repeated_reply" in report.hint_codes) is given


def test_short_replies_are_not_compared():
    """A short acknowledgement may be sent again without a hint."""
    text = "Baik Pak Budi, terima kasih."

    report = report_for(text, {"previous_replies": [text]})

    assert "repeated_reply" not in report.hint_codes


@pytest.mark.parametrize(
    ("text", "arguments", "code", "matched"),
    [
        (
            BAD_ID,
            {},
            "blame_phrase",
            ["Anda salah", "itu bukan urusan\nkami", "Seperti yang sudah saya bilang"],
        ),
        (BAD_ID, {}, "vague_promise", ["nanti kami kabari", "secepatnya"]),
        (BAD_ID, {}, "all_caps", ["PESANAN SUDAH DIKIRIM SESUAI ALAMAT"]),
        (
            BAD_EN,
            {"language": "en"},
            "blame_phrase",
            ["As I already told you", "that's not our problem", "You should have read"],
        ),
        ("Halo Budi, terima kasih.", {}, "honorific_missing", ["Budi"]),
        ("Halo Bapak Sari, terima kasih.", SARI, "honorific_mismatch", ["Bapak"]),
        ("Halo Pak Budi, kami lalai.", {"fault": "customer"}, "liability_admitted", ["kami lalai"]),
    ],
)
def test_hint_spans_point_into_the_original_text(text, arguments, code, matched):
    """A hint's spans are offsets into the draft as written, quoting the wording at fault."""
    report = report_for(text, arguments)

    hint = next(hint for hint in report.hints if hint.code == code)
    assert [text[start:end] for start, end in hint.spans] == matched


@pytest.mark.parametrize(
    ("text", "arguments", "found"),
    [
        (
            GOOD_ID,
            {"fault": "ours"},
            ["greeting", "name", "honorific", "thanks", "apology", "concrete_time"],
        ),
        (
            GOOD_EN,
            {"language": "en", "fault": "ours"},
            ["greeting", "name", "honorific", "thanks", "apology", "concrete_time"],
        ),
        (
            "Halo Pak Budi, sesuai ketentuan, revisi ketiga dikenakan biaya. Terima kasih.",
            {"fault": "customer"},
            ["greeting", "name", "honorific", "thanks", "sop_reference"],
        ),
        (BAD_ID, {}, []),
    ],
    ids=["indonesian", "english", "advocating", "rude"],
)
def test_found_lists_what_the_reply_does_well(text, arguments, found):
    """The good things found come in a fixed order the UI can tick off."""
    report = report_for(text, arguments)

    assert list(report.found_codes) == found


@pytest.mark.parametrize(
    ("text", "arguments"),
    [(GOOD_ID, {"fault": "ours"}), (GOOD_EN, {"language": "en", "fault": "ours"})],
    ids=["indonesian", "english"],
)
def test_a_good_reply_scores_high_and_gets_no_warning(text, arguments):
    """A polite, personal, concrete reply is left alone."""
    report = report_for(text, arguments)

    assert report.score == 100
    assert report.hints == ()


@pytest.mark.parametrize(
    ("text", "arguments"),
    [(BAD_ID, {"fault": "customer"}), (BAD_EN, {"language": "en", "fault": "customer"})],
    ids=["indonesian", "english"],
)
def test_a_rude_reply_scores_low_with_warnings_first(text, arguments):
    """Warnings come before information, and a rude reply scores low."""
    report = report_for(text, arguments)

    severities = [hint.severity for hint in report.hints]
    assert report.score <= 40
    assert severities == sorted(severities, key=lambda severity: severity != "warning")


@pytest.mark.parametrize(
    ("arguments", "code", "ui", "expected"),
    [
        ({}, "name_missing", "id", "“Bapak Budi”"),
        ({"language": "en"}, "name_missing", "en", "“Mr Budi”"),
        ({"language": "en"}, "name_missing", "id", "“Mr Budi”"),
        ({"language": "en", "honorific": "Kak"}, "name_missing", "en", "“Budi”"),
        ({**SARI, "language": "en"}, "name_missing", "en", "“Ms Sari”"),
        ({**NOBODY}, "greeting_missing", "id", "“Halo, Bapak/Ibu,”"),
        ({}, "thanks_missing", "en", "“Terima kasih atas kesabaran Bapak Budi.”"),
    ],
)
def test_suggestions_quote_wording_in_the_language_of_the_reply(arguments, code, ui, expected):
    """Suggestions are worded in the UI language and quote the reply's language and the customer."""
    report = report_for("Pesanan sudah dikirim.", arguments)

    hint = next(hint for hint in report.hints if hint.code == code)
    assert expected in hint.suggestion[ui]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("aAmMfF kKbBuUdDiI.,!?\n>-1"), max_size=400) | st.text())
def test_any_draft_gets_advice_with_spans_inside_it(text):
    """Whatever is typed, the coach answers, with a score in range and spans inside the draft."""
    report = report_for(text, {})

    assert 0 <= report.score <= 100
    for item in (*report.hints, *report.found):
        assert all(0 <= start < end <= len(text) for start, end in item.spans)


@pytest.mark.parametrize(
    "text",
    [
        "m" + "a" * 20_000 + " Pak Budi",
        "Halo Pak Budi" + "\n" * 20_000,
        "Pak Budi\n" + "Salam\n" * 4_000,
        "> dikutip\n" * 4_000 + "Pak Budi",
        "x" * 20_000 + "@contoh.co.id Pak Budi",
        "Terima kasih Pak Budi. " * 1_000,
    ],
    ids=["held-down key", "blank lines", "sign-offs", "quoted lines", "long token", "repetition"],
)
def test_long_drafts_are_checked(text):
    """Pathological drafts are still read correctly (their speed is measured in bench/)."""
    report = report_for(text, {"previous_replies": [text]})

    assert "name" in report.found_codes


def test_every_hint_is_worded_in_both_languages():
    """Every hint given carries a message and a suggestion in Indonesian and English, filled in."""
    hints = [
        hint
        for cases in CASES.values()
        for _, _, text, arguments in cases
        for hint in report_for(text, arguments).hints
    ]

    assert hints
    for hint in hints:
        for texts in (hint.message, hint.suggestion):
            assert set(texts) == {"id", "en"}
            assert all(text and "{" not in text for text in texts.values())


def test_report_is_json_serialisable():
    """The report travels to the UI as JSON."""
    report = report_for(BAD_ID, {"fault": "customer"})

    data = json.loads(json.dumps(report.to_dict()))

    assert data["score"] == report.score
    assert [hint["code"] for hint in data["hints"]] == list(report.hint_codes)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (GOOD_ID, "id"),
        (GOOD_EN, "en"),
        (BAD_EN, "en"),
        ("Halo Kak, pesanannya sudah dikirim ya, thanks!", "id"),
        ("", "id"),
    ],
    ids=["indonesian", "english", "rude english", "mixed", "empty"],
)
def test_auto_language(text, language):
    """With language "auto" the reply's language is guessed from its words; Indonesian wins ties."""
    assert guess_language(text) == language
    assert report_for(text, {"language": "auto"}).language == language


def test_own_text_keeps_offsets_and_hides_quotes_and_signature():
    """Only the reply's own words remain, at their original offsets."""
    own = own_text(QUOTED_ID)

    assert len(own) == len(QUOTED_ID)
    assert "Sudah kami kirim hari ini" in own
    assert "Budi" not in own
    assert own.count("\n") == QUOTED_ID.count("\n")


def test_a_sentence_after_a_thank_you_line_is_not_a_signature():
    """A short reply whose thanks sits on its own line keeps the lines that follow."""
    text = "Halo Pak Budi,\nTerima kasih.\nPaket Bapak sudah kami kirim hari ini lewat kurir."

    assert own_text(text) == text


@pytest.mark.parametrize(
    "arguments",
    [{"fault": "ours, probably"}, {"language": "fr"}],
    ids=["fault", "language"],
)
def test_unknown_arguments_are_refused(arguments):
    """An unknown fault or language is a programming error, not advice."""
    with pytest.raises(ValueError):
        report_for(GOOD_ID, arguments)


def test_rules_are_loaded_once():
    """The shipped rules are parsed once and shared."""
    assert load_rules() is load_rules()


@pytest.fixture
def rules_copy(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("coach.id.toml", 'language = "id"', 'language = "id', ["coach.id.toml", "not valid TOML"]),
        (
            "coach.id.toml",
            "[flag.vague_promise]\n",
            "[flag.vague_promise]\npatterns = ['(unclosed']\n",
            ["coach.id.toml", "[flag.vague_promise]", "does not compile"],
        ),
        (
            "coach.en.toml",
            "[expect.thanks]\nphrases",
            "[expect.thanks]\nphrase",
            ["coach.en.toml", "[expect.thanks]", "unknown key 'phrase'"],
        ),
        (
            "coach.id.toml",
            "[flag.vague_promise]",
            "[flag.slang]",
            ["coach.id.toml", "[flag.slang]", "no [hint.slang]"],
        ),
        (
            "coach.id.toml",
            "[expect.thanks]",
            "[expect.politeness]",
            ["coach.id.toml", "[expect.politeness]", "unknown"],
        ),
        (
            "coach.id.toml",
            'phrases = [\n    "terima kasih",',
            'phrases = [\n    "...",',
            ["coach.id.toml", "[expect.thanks]", "no letter"],
        ),
        (
            "coach.toml",
            'severity = "warning"\nweight = 15\nmessage.id = "Huruf',
            'severity = "loud"\nweight = 15\nmessage.id = "Huruf',
            ["coach.toml", "[hint.all_caps]", "'loud'"],
        ),
        (
            "coach.toml",
            'message.en = "The reply does not thank the customer."\n',
            "",
            ["coach.toml", "[hint.thanks_missing.message]", "'en' is missing"],
        ),
        (
            "coach.toml",
            "example: “{thanks}”",
            "example: “{nama}”",
            ["coach.toml", "[hint.thanks_missing.suggestion]", "'nama'"],
        ),
        (
            "coach.toml",
            "weight = 25",
            "weight = 250",
            ["coach.toml", "[hint.blame_phrase]", "weight"],
        ),
        (
            "coach.toml",
            "[hint.repeated_reply]",
            "[hint.repeated]",
            ["coach.toml", "[hint.repeated_reply]", "missing"],
        ),
        (
            "coach.en.toml",
            'language = "en"',
            'language = "de"',
            ["coach.en.toml", "[language]", "file name"],
        ),
        (
            "coach.en.toml",
            'greeting = "Dear {address},"',
            'greeting = "Dear {name},"',
            ["coach.en.toml", "[examples.greeting]"],
        ),
        (
            "coach.en.toml",
            'written = ["dear"]',
            'written = "dear"',
            ["coach.en.toml", "[address]", "list of strings"],
        ),
    ],
    ids=[
        "toml syntax",
        "bad regex",
        "misspelt key",
        "flag without hint",
        "unknown expectation",
        "phrase without words",
        "bad severity",
        "missing translation",
        "unknown placeholder",
        "weight out of range",
        "built-in hint missing",
        "language mismatch",
        "example placeholder",
        "wrong type",
    ],
)
def test_malformed_rules_name_the_file_and_the_rule(rules_copy, file, old, new, expected):
    """A broken rules file fails loudly, saying which file and which rule to fix."""
    edit(rules_copy / file, old, new)

    with pytest.raises(RuleError) as error:
        load_rules(rules_copy)

    for part in expected:
        assert part in str(error.value)


def test_a_new_kind_of_advice_needs_only_data(rules_copy):
    """A hint and a flag list added to the rules files work without code changes."""
    with (rules_copy / "coach.toml").open("a", encoding="utf-8") as file:
        file.write(
            '\n[hint.slang]\nseverity = "info"\nweight = 5\n'
            'message.id = "Bahasa gaul."\nmessage.en = "Slang."\n'
            'suggestion.id = "Pakai bahasa baku, {address}."\nsuggestion.en = "Write formally."\n'
        )
    with (rules_copy / "coach.id.toml").open("a", encoding="utf-8") as file:
        file.write('\n[flag.slang]\nphrases = ["gimana sih", "udah*"]\n')
    text = "Halo Pak Budi, gimana sih, udahan aja. Terima kasih."

    report = coach_reply(text, language="id", **BUDI, rules=load_rules(rules_copy))

    hint = next(hint for hint in report.hints if hint.code == "slang")
    assert [text[start:end] for start, end in hint.spans] == ["gimana sih", "udahan"]
    assert hint.suggestion["id"] == "Pakai bahasa baku, Bapak Budi."
    assert report.score == 95


def test_missing_rules_folder_is_a_clear_error(tmp_path):
    """Pointing the coach at an empty folder says the file is missing."""
    with pytest.raises(RuleError, match=r"coach\.toml"):
        load_rules(tmp_path)
