"""The time helpers: one copy each of now, a zone's today, HH:MM and backoff."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from digestbot.clock import backoff_delay, local_today, parse_hhmm, utcnow, zone_or

SEOUL = ZoneInfo("Asia/Seoul")


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(n, base=2.0, cap=20.0) for n in (1, 2, 3, 4, 5)] == [
        2.0,
        4.0,
        8.0,
        16.0,
        20.0,
    ]
    # a long run of failures never overflows
    assert backoff_delay(10_000, base=0.5, cap=30.0) == 30.0
    assert backoff_delay(0, base=1.0) == 1.0


@pytest.mark.parametrize(
    ("text", "hour", "minute"), [("08:00", 8, 0), ("8:05", 8, 5), (" 23:59 ", 23, 59)]
)
def test_a_time_of_day(text: str, hour: int, minute: int) -> None:
    assert parse_hhmm(text) == dt.time(hour, minute)


@pytest.mark.parametrize("text", ["24:00", "12:60", "8am", "0800", "", "12:5", "-1:00"])
def test_not_a_time_of_day(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)


def test_today_is_the_zone_s_date() -> None:
    late_utc = dt.datetime(2025, 5, 8, 15, 30, tzinfo=dt.UTC)  # 00:30 the next day in Seoul
    assert local_today(SEOUL, late_utc) == dt.date(2025, 5, 9)
    assert local_today("UTC", late_utc) == dt.date(2025, 5, 8)


def test_now_is_aware_utc_and_unknown_zones_fall_back() -> None:
    assert utcnow().tzinfo is dt.UTC
    assert zone_or("Europe/Berlin", SEOUL) == ZoneInfo("Europe/Berlin")
    assert zone_or("Mars/Olympus", SEOUL) is SEOUL
