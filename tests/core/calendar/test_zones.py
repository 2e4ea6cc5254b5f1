"""Odd time zones: every open interval of a year equals the documented rule applied literally.

The oracle converts each interval's local wall times with ``zoneinfo`` one by one (fold 0: a
wall time in a gap moves forward, a repeated one takes its first occurrence); Accord lays the
same year out with integer arithmetic on days without a clock change. Both must give the same
intervals, in zones with midnight transitions, skipped days, negative DST and two-hour shifts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accord import BusinessCalendar

HOURS = {  # overnight shifts every night, running across the usual 00:00-03:00 clock changes
    "mon-fri": ["04:00-04:40", "08:00-12:00", "22:30-03:30"],
    "sat": ["04:00-05:00", "21:00-03:50"],
    "sun": ["04:00-04:30", "23:00-03:00"],
}


def oracle_intervals(zone: ZoneInfo, year: int) -> list[tuple[datetime, datetime]]:
    spec = BusinessCalendar.from_spec({"timezone": zone.key, "hours": HOURS}).spec
    raw = []
    day = date(year, 1, 1)
    while day.year == year:
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        for hours in spec.week[day.weekday()]:
            start = midnight + timedelta(minutes=hours.start)
            end = midnight + timedelta(minutes=hours.end)
            if end.timestamp() > start.timestamp():
                raw.append((start.timestamp(), end.timestamp()))
        day += timedelta(days=1)
    merged: list[list[float]] = []
    for start, end in sorted(raw):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(datetime.fromtimestamp(s, zone), datetime.fromtimestamp(e, zone)) for s, e in merged]


@pytest.mark.parametrize(
    ("zone", "year"),
    [
        ("Pacific/Apia", 2011),  # skipped 30 December 2011 entirely
        ("America/Sao_Paulo", 2018),  # DST began at midnight
        ("Asia/Beirut", 2023),  # midnight transitions
        ("Europe/Dublin", 2026),  # "negative" DST in the tz database
        ("Antarctica/Troll", 2026),  # two-hour shifts
        ("Africa/Casablanca", 2026),  # DST suspended for Ramadan: four changes a year
        ("Australia/Lord_Howe", 2026),  # half-hour shifts
        ("America/New_York", 2026),
    ],
)
def test_year_layout_matches_the_rule_applied_interval_by_interval(zone: str, year: int) -> None:
    tz = ZoneInfo(zone)
    calendar = BusinessCalendar.from_spec({"timezone": zone, "hours": HOURS})
    expected = oracle_intervals(tz, year)
    first, last = expected[0][0], expected[-1][1]
    found = calendar.open_intervals(first, last)
    assert [(i.start, i.end) for i in found] == expected


@pytest.mark.parametrize(
    ("zone", "first", "last"),
    [
        ("America/New_York", datetime(2024, 3, 8, 2), datetime(2024, 3, 10, 3)),  # spring: 23 h day
        ("America/New_York", datetime(2024, 11, 2, 12), datetime(2024, 11, 4, 12)),  # fall: 25 h
        ("Australia/Lord_Howe", datetime(2026, 4, 4, 12), datetime(2026, 4, 5, 12)),  # half hour
    ],
)
def test_an_open_interval_lasts_the_real_time_across_a_clock_change(
    zone: str, first: datetime, last: datetime
) -> None:
    """An interval's duration is real time (what `accord calendar` prints beside it); wall
    times subtracted in one zone are off by the clock change."""
    tz = ZoneInfo(zone)
    calendar = BusinessCalendar.from_spec({"timezone": zone, "hours": {"mon-sun": "00:00-24:00"}})
    start, end = first.replace(tzinfo=tz), last.replace(tzinfo=tz)
    (interval,) = calendar.open_intervals(start, end)
    real = end.astimezone(ZoneInfo("UTC")) - start.astimezone(ZoneInfo("UTC"))
    assert real != end - start  # the span crosses a change
    assert interval.duration == real == calendar.elapsed(start, end)
