import gc
import json
import random
import threading
import tracemalloc

import pytest

from layan.insight import abuse, analysis, normalize
from layan.insight.analysis import UnknownTask, analyze, predict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Terima kasih banyak kak, barangnya bagus sekali dan pengirimannya cepat!", "positive"),
        ("Pelayanannya ramah, saya sangat puas 😊", "positive"),
        ("Thank you so much, the technician was friendly and fixed everything.", "positive"),
        ("Barangnya rusak dan tidak sesuai pesanan, kecewa sekali.", "negative"),
        ("brg nya blm dtg udh seminggu, kecewaaa 😞", "negative"),
        ("The item arrived broken and nobody answers my emails.", "negative"),
        ("Kak, ongkir ke Surabaya berapa ya?", "neutral"),
        ("Could you send me a copy of the invoice?", "neutral"),
    ],
)
def test_sentiment(text, expected):
    """Clear praise, complaints and plain questions get their sentiment in both languages."""
    assert predict("sentiment", text).label == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Saya kesal sekali, sudah tiga kali komplain tidak ada tanggapan!", "anger"),
        ("Pelayanan macam apa ini?! Saya marah, uang saya belum kembali!", "anger"),
        ("This is ridiculous, I am furious that nobody has answered me!", "anger"),
        ("Terima kasih kak, paketnya sudah sampai.", "no_anger"),
        ("Kak, apakah bisa kirim ke alamat kantor?", "no_anger"),
        ("Thanks, everything works now.", "no_anger"),
    ],
)
def test_anger(text, expected):
    """Frustrated messages are angry; thanks and questions are not."""
    assert predict("anger", text).label == expected


@pytest.mark.parametrize(
    ("task", "text", "expected"),
    [
        ("abuse", "Dasar admin goblok", "abusive"),
        ("abuse", "You idiots lost my package", "abusive"),
        ("abuse", "Barangnya bagus", "not_abusive"),
        ("urgency", "Tolong segera, akun saya dibajak", "urgent"),
        ("urgency", "Please help immediately, our payment page is down", "urgent"),
        ("urgency", "Kapan promo berikutnya?", "normal"),
        ("language", "Kapan pesanan saya dikirim?", "id"),
        ("language", "When will my order be shipped?", "en"),
        ("language", "Kak, when will my order dikirim? Saya sudah bayar, thank you", "mixed"),
    ],
)
def test_rule_based_tasks(task, text, expected):
    """Abuse, urgency and language answer from the word lists."""
    assert predict(task, text).label == expected


def test_analyze_returns_every_task_as_json():
    """analyze() answers all five tasks and its to_dict() is plain JSON."""
    result = analyze("Kak tolong segera!!! Barang saya rusak, kecewa bgt 😡")

    data = json.loads(json.dumps(result.to_dict()))

    assert set(data) == {"language", "sentiment", "anger", "abuse", "urgency"}
    assert data["sentiment"]["label"] == "negative"
    assert data["urgency"]["label"] == "urgent"
    assert sum(data["sentiment"]["scores"].values()) == pytest.approx(1.0, abs=1e-3)


def test_emoji_only_message_reads_as_sentiment():
    """A message of only emoji still carries its sentiment."""
    assert predict("sentiment", "😡😡😡").label == "negative"
    assert predict("sentiment", "👍👍😍").label == "positive"


@pytest.mark.parametrize("text", ["", "   ", "🙈", "..."])
def test_empty_text_gets_calm_answers(text):
    """Text with nothing to read is neutral, calm, clean and Indonesian by default."""
    result = analyze(text)

    labels = [getattr(result, task).label for task in ("sentiment", "anger", "abuse", "urgency")]
    assert labels == ["neutral", "no_anger", "not_abusive", "normal"]
    assert result.language.label == "id"


def test_unknown_task():
    """predict() rejects a task it does not know."""
    with pytest.raises(UnknownTask):
        predict("spam", "halo")


def test_models_load_once_across_threads(monkeypatch):
    """Concurrent first calls load the models exactly once."""
    calls = []
    real = analysis.model_load

    def counting(directory, name):
        calls.append(name)
        return real(directory, name)

    monkeypatch.setattr(analysis._Models, "_loaded", None)
    monkeypatch.setattr(analysis, "model_load", counting)
    threads = [threading.Thread(target=analyze, args=("bagus",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(calls) == ["anger", "sentiment"]


def test_what_the_analysis_remembers_stays_small_however_many_words_it_meets():
    """A long-lived process meets ever new words (names, codes, typos); the per-word caches
    keep at most WORDS_CACHED of them each, in a bounded amount of memory."""
    analyze("Halo kak")  # the models are loaded before memory is counted
    rng = random.Random(5)
    made_up = {
        "".join(rng.choice("bcdfghjklmnprstwy") + rng.choice("aiueo") for _ in range(4))
        for _ in range(3 * normalize.WORDS_CACHED)
    }
    words = sorted(made_up)[: 2 * normalize.WORDS_CACHED]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for start in range(0, len(words), 64):
            analyze(" ".join(words[start : start + 64]))
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    caches = [normalize.normalize_word, abuse._match_raw, abuse._match_word]
    caches.append(analysis._Models.get().char_rows)
    assert all(cache.cache_info().currsize <= normalize.WORDS_CACHED for cache in caches)
    assert grown < 20 * 1024 * 1024, f"{grown / 2**20:.1f} MB kept"
