"""Remembered date texts are Django's texts, in the language and time zone they were asked in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import dateformat, formats, timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.core.datetext import _written, date_format, date_text

MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
)
PATTERNS = st.sampled_from(["j M H:i", "j M Y H:i", "c", "N j, Y, P", "D, j F Y G.i"])
FORMAT_NAMES = st.sampled_from(["DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATETIME_FORMAT"])
LANGUAGES = st.sampled_from(["id", "en"])


@settings(max_examples=200)
@given(MOMENTS, PATTERNS, FORMAT_NAMES, LANGUAGES)
def test_the_texts_are_djangos(
    moment: datetime, pattern: str, format_name: str, language: str
) -> None:
    with translation.override(language):
        local = timezone.localtime(moment)
        for _ in range(2):  # written, then remembered
            assert date_text(moment) == formats.localize(local)
            assert date_text(moment, format_name) == formats.date_format(local, format_name)
            assert date_format(moment, pattern) == dateformat.format(local, pattern)


def test_each_language_gets_its_own_text() -> None:
    moment = datetime(2026, 3, 5, 1, 30, tzinfo=UTC)
    with translation.override("en"):
        english = date_text(moment)
        english_short = date_format(moment, "j F")
    with translation.override("id"):
        indonesian = date_text(moment)
        indonesian_short = date_format(moment, "j F")
    assert (english, english_short) == ("March 5, 2026, 8:30 a.m.", "5 March")
    assert (indonesian, indonesian_short) == ("5 Maret 2026, 8.30", "5 Maret")


def test_the_same_moment_in_another_time_zone_is_written_there() -> None:
    """Two aware moments are equal across zones; the text must follow the active zone."""
    moment = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    with translation.override("en"):
        jakarta = date_format(moment, "j M H:i")
        with timezone.override(ZoneInfo("America/New_York")):
            new_york = date_format(moment, "j M H:i")
            also_new_york = date_format(moment.astimezone(ZoneInfo("Asia/Jakarta")), "j M H:i")
    assert (jakarta, new_york, also_new_york) == ("6 Mar 06:30", "5 Mar 18:30", "5 Mar 18:30")


def test_a_text_is_written_once_then_looked_up() -> None:
    moment = datetime(2031, 7, 9, 4, 5, tzinfo=UTC) + timedelta(microseconds=123)
    with translation.override("id"):
        before = _written.cache_info()
        first = date_text(moment)
        after_first = _written.cache_info()
        again = date_text(moment)
        after_again = _written.cache_info()
    assert first == again
    assert after_first.misses == before.misses + 1
    assert after_again.hits == after_first.hits + 1
    assert after_again.misses == after_first.misses
