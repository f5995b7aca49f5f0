"""Measure `layan.insight.analyze`: messages per second on one core, model load time, memory.

Prints one JSON line and appends it to bench/results.jsonl. The messages are the team-written
evaluation set, repeated, then made-up words (how much the per-word caches hold once full);
every figure is for a single thread.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from common import record  # noqa: E402

from layan.insight import analysis  # noqa: E402
from layan.insight.corpus import read_examples  # noqa: E402
from layan.insight.normalize import normalize_word  # noqa: E402

MESSAGES = ROOT / "layan/insight/data/written/messages_eval.tsv"
ROUNDS = 30
NEW_WORDS = 100_000


def _made_up(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnprstwy") + rng.choice("aiueo") for _ in range(4))


def rss_kib() -> int:
    """Return the current resident set size in KiB (Linux), else the peak."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="passes over the messages")
    rounds = parser.parse_args().rounds
    texts = [example.text for example in read_examples(MESSAGES, "sentiment")]
    before = rss_kib()
    started = time.perf_counter()
    analysis.models_load()
    load_seconds = time.perf_counter() - started
    loaded = rss_kib()

    analysis.analyze(texts[0])
    normalize_word.cache_clear()
    started = time.perf_counter()
    cold = [analysis.analyze(text) for text in texts]
    cold_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            analysis.analyze(text)
    warm_seconds = time.perf_counter() - started

    # A process that runs for weeks meets ever new words (names, codes, typos), and every
    # per-word cache fills up: what it holds then, over what the models took.
    rng = random.Random(3)
    warmed = rss_kib()
    for _ in range(NEW_WORDS // 25):
        analysis.analyze(" ".join(_made_up(rng) for _ in range(25)))
    filled = rss_kib()

    models = sorted((ROOT / "layan/insight/models").glob("*"))
    figures = {
        "messages": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "analyze_per_s_cold": round(len(cold) / cold_seconds),
        "analyze_per_s": round(rounds * len(texts) / warm_seconds),
        "analyze_us_per_message": round(warm_seconds / (rounds * len(texts)) * 1e6, 1),
        "model_load_s": round(load_seconds, 3),
        "rss_added_mib": round((loaded - before) / 1024, 1),
        "new_words": NEW_WORDS,
        "rss_after_new_words_mib": round((filled - warmed) / 1024, 1),
        "artefact_bytes": sum(path.stat().st_size for path in models),
    }
    record("insight", figures)


if __name__ == "__main__":
    main()
