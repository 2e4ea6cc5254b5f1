"""Property-based tests over random calendars and instants: the algebra of business time.

Each example draws a calendar (zone, weekly hours with overnight shifts, company and public
holidays) and instants spread over several years, then checks the laws every clock relies on,
plus an independent wall-clock oracle for ``is_open`` away from DST transitions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import BusinessCalendar

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "America/St_Johns",
]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOW = datetime(2024, 1, 1, tzinfo=UTC)
HIGH = datetime(2028, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
PROPERTY = settings(suppress_health_check=[HealthCheck.too_slow])


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Weekly hours as disjoint intervals of the week; some run past midnight."""
    step = draw(st.sampled_from([1, 15, 30, 60]))
    points = draw(
        st.lists(st.integers(0, 10079 // step), min_size=0, max_size=16, unique=True).map(sorted)
    )
    hours: dict[str, list[str]] = {}
    for start, end in zip(points[::2], points[1::2], strict=False):
        start, end = start * step, end * step
        end = min(end, start + 1439)
        day, offset = divmod(start, 1440)
        length = end - start
        stop = offset + length
        text = f"{_clock(offset)}-{'24:00' if stop == 1440 else _clock(stop % 1440)}"
        hours.setdefault(DAYS[day], []).append(text)
    spec: dict[str, Any] = {"timezone": draw(st.sampled_from(ZONES)), "hours": hours}
    holidays: dict[str, Any] = {}
    if draw(st.booleans()):
        holidays["country"] = draw(st.sampled_from(["US", "GB", "DE", "IN"]))
    dates = draw(st.lists(st.dates(date(2023, 6, 1), date(2028, 6, 1)), max_size=20))
    if dates:
        holidays["dates"] = dates
    if holidays:
        spec["holidays"] = holidays
    return BusinessCalendar.from_spec(spec)


def instants() -> st.SearchStrategy[datetime]:
    span = (HIGH - LOW) // US
    zones = st.sampled_from([UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])
    return st.builds(
        lambda offset, zone: (LOW + offset * US).astimezone(zone),
        st.integers(0, span),
        zones,
    )


durations = st.integers(-2000 * 3600, 2000 * 3600).map(
    lambda s: timedelta(seconds=s)
) | st.integers(-(10**12), 10**12).map(lambda us: us * US)


@PROPERTY
@given(calendars(), st.lists(st.tuples(instants(), instants(), instants()), min_size=1, max_size=8))
def test_elapsed_is_additive_and_antisymmetric(
    cal: BusinessCalendar, triples: list[tuple[datetime, datetime, datetime]]
) -> None:
    for a, b, c in triples:
        assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)
        assert cal.elapsed(a, b) == -cal.elapsed(b, a)


@PROPERTY
@given(calendars(), st.lists(st.tuples(instants(), instants(), instants()), min_size=1, max_size=8))
def test_elapsed_is_monotone_and_bounded_by_real_time(
    cal: BusinessCalendar, triples: list[tuple[datetime, datetime, datetime]]
) -> None:
    for triple in triples:
        a, b, c = sorted(triple)
        assert timedelta(0) <= cal.elapsed(a, b) <= cal.elapsed(a, c)
        assert cal.elapsed(a, b) <= b - a


@PROPERTY
@given(calendars(), st.lists(st.tuples(instants(), durations), min_size=1, max_size=8))
def test_add_is_the_earliest_inverse_of_elapsed(
    cal: BusinessCalendar, cases: list[tuple[datetime, timedelta]]
) -> None:
    if cal.spec.never_open:
        return
    for start, duration in cases:
        deadline = cal.add(start, duration)
        assert cal.elapsed(start, deadline) == duration
        if duration > timedelta(0):
            assert deadline >= start
            assert cal.elapsed(start, deadline - US) < duration  # nothing earlier will do
        elif duration < timedelta(0):
            assert deadline <= start
            assert cal.elapsed(deadline + US, start) < -duration  # nothing later will do
        else:
            assert deadline == start


@PROPERTY
@given(calendars(), st.lists(instants(), min_size=1, max_size=12))
def test_open_means_the_next_microsecond_is_business_time(
    cal: BusinessCalendar, moments: list[datetime]
) -> None:
    for t in moments:
        opened = cal.is_open(t)
        assert cal.elapsed(t, t + US) == (US if opened else timedelta(0))
        if cal.spec.never_open:
            continue
        nxt = cal.next_open(t)
        assert nxt >= t
        assert cal.is_open(nxt)
        assert cal.elapsed(t, nxt) == timedelta(0)
        close = cal.next_close(t)
        if close is not None:
            assert close >= t
            assert not cal.is_open(close)
            assert cal.elapsed(t, close) == close - t


def _oracle_is_open(cal: BusinessCalendar, t: datetime) -> bool | None:
    """Open by reading local wall time, or None within a day of a UTC-offset change."""
    zone = cal.zone
    local = t.astimezone(zone)
    offsets = {
        (t + k * timedelta(hours=10)).astimezone(zone).utcoffset() for k in (-3, -2, -1, 0, 1, 2, 3)
    }
    if len(offsets) > 1:
        return None
    minute = local.hour * 60 + local.minute + (local.second * 1_000_000 + local.microsecond) / 60e6
    today = local.date()
    closed = {d for d, _ in cal.holidays_between(today - timedelta(days=1), today)}
    for day, shift in ((today, 0), (today - timedelta(days=1), 1440)):
        if day in closed:
            continue
        for hours in cal.spec.week[day.weekday()]:
            if hours.start <= minute + shift < hours.end:
                return True
    return False


@PROPERTY
@given(calendars(), st.lists(instants(), min_size=1, max_size=20))
def test_is_open_agrees_with_reading_the_wall_clock(
    cal: BusinessCalendar, moments: list[datetime]
) -> None:
    for t in moments:
        expected = _oracle_is_open(cal, t)
        if expected is not None:
            assert cal.is_open(t) == expected, t


def _utc64(moments: list[datetime]) -> np.ndarray:
    return np.array(
        [m.astimezone(UTC).replace(tzinfo=None) for m in moments], dtype="datetime64[ns]"
    )


@PROPERTY
@given(calendars(), st.lists(st.tuples(instants(), instants(), durations), min_size=1, max_size=30))
def test_batch_forms_give_exactly_the_scalar_results(
    cal: BusinessCalendar, cases: list[tuple[datetime, datetime, timedelta]]
) -> None:
    starts = _utc64([a for a, _, _ in cases])
    ends = _utc64([b for _, b, _ in cases])
    spans = cal.elapsed_many(starts, ends)
    assert spans.tolist() == [np.timedelta64(cal.elapsed(a, b), "ns").tolist() for a, b, _ in cases]
    if cal.spec.never_open:
        return
    durations_ = np.array([d for _, _, d in cases], dtype="timedelta64[ns]")
    deadlines = cal.add_many(starts, durations_)
    assert deadlines.tolist() == _utc64([cal.add(a, d) for a, _, d in cases]).tolist()


@PROPERTY
@given(calendars(), instants(), st.lists(instants(), min_size=1, max_size=30))
def test_elapsed_since_many_gives_exactly_the_scalar_results(
    cal: BusinessCalendar, origin: datetime, moments: list[datetime]
) -> None:
    found = cal.elapsed_since_many(origin, _utc64(moments))
    assert found.tolist() == [
        np.timedelta64(cal.elapsed(origin, m), "ns").tolist() for m in moments
    ]
    # the business time of consecutive spans is the difference of two results
    spans = cal.elapsed_many(_utc64(moments[:-1]), _utc64(moments[1:]))
    assert spans.tolist() == np.diff(found).tolist()


@PROPERTY
@given(calendars(), st.lists(instants(), min_size=1, max_size=30), st.integers(0, 12))
def test_business_days_batch_gives_exactly_the_scalar_results(
    cal: BusinessCalendar, moments: list[datetime], days: int
) -> None:
    if cal.spec.never_open:
        return
    found = cal.add_days_many(_utc64(moments), days)
    assert found.tolist() == _utc64([cal.add_days(m, days) for m in moments]).tolist()
