"""Calendars made of others (``except``, ``union``): named cases, then the laws of the algebra
over random calendars, and scalar and batch forms giving the same answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord import BusinessCalendar, CalendarError, SpecError
from accord.core.calendar import named_calendars
from tests.core.calendar.test_properties import PROPERTY, _utc64, calendars, durations, instants

NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
PRIME = {
    "timezone": "America/New_York",
    "hours": {"mon-fri": "08:00-18:00"},
    "holidays": {"country": "US"},
}
NOVEMBER = (datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 12, 1, tzinfo=NY))


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


def real(start: datetime, end: datetime) -> timedelta:
    """Real time between two instants (Python subtracts wall clocks within one zone)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


@pytest.fixture(scope="module")
def window() -> dict[str, BusinessCalendar]:
    """Prime time in New York with US holidays, the rest of the time, and the two together."""
    return named_calendars(
        {
            "prime": PRIME,
            "off-hours": {"except": "prime"},
            "weekend": {"timezone": "America/New_York", "hours": {"sat,sun": "10:00-16:00"}},
            "every-minute": {"union": ["prime", "off-hours"]},
            "prime-or-weekend": {"union": ["prime", "weekend"]},
        }
    )


# ---------------------------------------------------------------- November 2026 in New York


def test_off_hours_are_every_minute_of_the_month_prime_time_is_closed(
    window: dict[str, BusinessCalendar],
) -> None:
    # 21 weekdays less Veterans Day (Wed 11th) and Thanksgiving (Thu 26th): 19 x 10 h of prime
    # time; the month is 30 x 24 h plus the hour the clocks go back on the 1st: 43,260 minutes
    start, end = NOVEMBER
    assert window["prime"].elapsed(start, end) == 11_400 * MINUTE
    assert window["off-hours"].elapsed(start, end) == 31_860 * MINUTE
    assert window["every-minute"].elapsed(start, end) == 43_260 * MINUTE == real(start, end)
    starts, ends = _utc64([start]), _utc64([end])
    assert window["off-hours"].elapsed_many(starts, ends)[0] == np.timedelta64(31_860, "m")


def test_a_weekday_holiday_of_prime_time_is_off_hours_all_day(
    window: dict[str, BusinessCalendar],
) -> None:
    off = window["off-hours"]
    assert off.is_open(ny(2026, 11, 11, 12))
    assert off.elapsed(ny(2026, 11, 11), ny(2026, 11, 12)) == 24 * H
    # from Tuesday's close to Thursday's opening is one stretch of off-hours
    assert off.next_close(ny(2026, 11, 10, 18)) == ny(2026, 11, 12, 8)
    assert off.next_open(ny(2026, 11, 12, 9)) == ny(2026, 11, 12, 18)
    assert off.add(ny(2026, 11, 10, 17), 20 * H) == ny(2026, 11, 11, 14)
    # the holiday closes prime time, so it is no holiday of the time prime time is closed
    assert [
        d for d, _ in window["prime"].holidays_between(date(2026, 11, 1), date(2026, 11, 30))
    ] == [
        date(2026, 11, 11),
        date(2026, 11, 26),
    ]
    assert off.holidays_between(date(2026, 11, 1), date(2026, 11, 30)) == []


def test_a_union_is_closed_on_a_holiday_only_when_every_calendar_in_it_is(
    window: dict[str, BusinessCalendar],
) -> None:
    either = window["prime-or-weekend"]
    assert either.holidays_between(date(2026, 11, 1), date(2026, 11, 30)) == [
        (date(2026, 11, 11), "Veterans Day"),
        (date(2026, 11, 26), "Thanksgiving Day"),
    ]
    # 11,400 minutes of prime time and 9 weekend days of 6 hours
    assert either.elapsed(*NOVEMBER) == 11_400 * MINUTE + 9 * 6 * H


def test_business_days_of_a_calendar_made_of_others_are_the_days_it_opens_at_all(
    window: dict[str, BusinessCalendar],
) -> None:
    # off-hours open every day, the holidays of prime time included
    off = window["off-hours"]
    assert off.add_days(ny(2026, 11, 10, 19), 1) == ny(2026, 11, 11, 19)
    assert off.add_days(ny(2026, 11, 10, 19), 3) == ny(2026, 11, 13, 19)
    # prime time or the weekend: Thanksgiving is closed in both, so Wednesday + 1 is Friday
    either = window["prime-or-weekend"]
    assert either.add_days(ny(2026, 11, 25, 9), 1) == ny(2026, 11, 27, 9)
    assert either.add_days(ny(2026, 11, 27, 9), 1) == ny(2026, 11, 28, 9)  # Saturday
    moments = [ny(2026, 11, 10, 19), ny(2026, 11, 25, 9), ny(2026, 11, 27, 9)]
    for calendar in (off, either):
        found = calendar.add_days_many(_utc64(moments), 2)
        assert found.tolist() == _utc64([calendar.add_days(m, 2) for m in moments]).tolist()


def test_far_years_are_laid_out_when_asked_for(window: dict[str, BusinessCalendar]) -> None:
    prime, off = window["prime"], window["off-hours"]
    for year in (2400, 1900, 2026, 1650):
        start, end = ny(year, 1, 1), ny(year + 1, 1, 1)
        assert prime.elapsed(start, end) + off.elapsed(start, end) == real(start, end)
    # and a span joining them, across every year between
    start, end = ny(1650, 1, 1), ny(2400, 1, 1)
    assert off.elapsed(start, end) + prime.elapsed(start, end) == real(start, end)


def test_results_are_in_the_zone_of_the_calendar_taken_away_unless_one_is_given() -> None:
    found = named_calendars(
        {
            "prime": PRIME,
            "off-hours": {"except": "prime"},
            "off-hours-in-london": {"except": "prime", "timezone": "Europe/London"},
        }
    )
    assert found["off-hours"].zone == NY
    assert found["off-hours"].next_open(ny(2026, 11, 10, 12)) == ny(2026, 11, 10, 18)
    london = found["off-hours-in-london"].next_open(ny(2026, 11, 10, 12))
    assert london == ny(2026, 11, 10, 18)
    assert london.tzinfo == ZoneInfo("Europe/London")


def test_taking_away_a_calendar_that_never_closes_leaves_one_that_never_opens() -> None:
    closed = BusinessCalendar.from_spec({"except": "24x7"})
    assert closed.spec.never_open
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert closed.elapsed(moment, moment + 100 * H) == timedelta(0)
    with pytest.raises(CalendarError, match="never opens"):
        closed.add(moment, H)
    always = BusinessCalendar.from_spec({"except": {"timezone": "UTC", "hours": {}}})
    assert always.spec.always_open
    assert always.next_close(moment) is None


def test_a_calendar_file_writes_the_calendar_it_takes_away_in_place() -> None:
    outside = BusinessCalendar.from_spec(
        {"except": {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}}}
    )
    assert outside.elapsed(ny(2026, 11, 9), ny(2026, 11, 10)) == 16 * H
    with pytest.raises(SpecError) as caught:
        BusinessCalendar.from_spec({"except": "office"})
    assert str(caught.value).startswith(
        "except: unknown calendar 'office'; defined: 24x7 (a calendar standing alone names no "
        "other: write the calendar itself in place"
    )


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("spec", "where", "words"),
    [
        (
            {"except": "prime", "hours": {"sat": "09:00-12:00"}},
            "hours",
            "a calendar made of others (union, except) takes its hours from them",
        ),
        ({"except": "prime", "holidays": {"country": "US"}}, "holidays", "takes its holidays"),
        ({"union": []}, "union", "an empty list; expected a calendar's name"),
        ({"except": None}, "except", "expected a calendar's name such as prime"),
        ({"union": ["prime", 7]}, "union[1]", "got 7"),
        ({"union": ["prime", "prime"]}, "union[1]", "'prime' is named twice (also union[0])"),
        (
            {"union": ["prime", "weekend"], "except": "weekend"},
            "except",
            "'weekend' is under both union and except",
        ),
        (
            {"except": {"timezone": "UTC", "hours": {"mon": "9-5"}}},
            "except.hours.mon",
            "malformed hours '9-5'",
        ),
        ({"except": [{"hours": "24x7"}]}, "except[0].timezone", "missing"),
        ({"except": "prime", "timezone": "Mars/Base"}, "timezone", "unknown time zone"),
        ({"except": "prime", "hour": {}}, "hour", "unknown key; expected one of union, except"),
        ({"timezone": "UTC", "excpet": "prime"}, "excpet", "(or union, except to make"),
    ],
)
def test_mistakes_in_a_calendar_made_of_others_name_the_key(
    spec: dict[str, Any], where: str, words: str
) -> None:
    with pytest.raises(SpecError) as caught:
        named_calendars({"prime": PRIME, "weekend": PRIME, "made": spec})
    assert caught.value.where == f"made.{where}"
    assert words in caught.value.problem


def test_unknown_names_and_cycles_are_refused() -> None:
    with pytest.raises(SpecError) as caught:
        named_calendars({"prime": PRIME, "off-hours": {"except": "prme"}})
    assert str(caught.value) == (
        "off-hours.except: unknown calendar 'prme' (did you mean 'prime'?); "
        "defined: 24x7, off-hours, prime"
    )
    with pytest.raises(SpecError) as caught:
        named_calendars({"a": {"union": ["24x7"], "except": ["b"]}, "b": {"except": "a"}})
    assert str(caught.value) == "a.except[0]: a cycle: a is made of b, which is made of a"
    with pytest.raises(SpecError, match="cannot be made of itself"):
        named_calendars({"a": {"union": [{"except": "a"}]}})


def test_each_named_calendar_is_built_once_and_shared() -> None:
    found = named_calendars({"off-hours": {"except": "prime"}, "prime": PRIME})
    assert list(found) == ["off-hours", "prime", "24x7"]
    assert found["off-hours"].spec.excluded == (found["prime"],)  # type: ignore[union-attr]
    assert found["off-hours"].spec.excluded[0] is found["prime"]  # type: ignore[union-attr]


# ---------------------------------------------------------------- laws, over random calendars


def _except(calendar: BusinessCalendar) -> BusinessCalendar:
    return BusinessCalendar.from_spec({"except": "c"}, {"c": calendar})


def _union(*members: BusinessCalendar) -> BusinessCalendar:
    names = {f"c{i}": m for i, m in enumerate(members)}
    return BusinessCalendar.from_spec({"union": list(names)}, names)


def _both(a: BusinessCalendar, b: BusinessCalendar) -> BusinessCalendar:
    """Open when both are: a with the time b is closed taken away."""
    return BusinessCalendar.from_spec(
        {"union": ["a"], "except": [{"except": "b"}]}, {"a": a, "b": b}
    )


@st.composite
def composed(draw: st.DrawFn) -> BusinessCalendar:
    """A calendar made of random ones: the rest of one, a union, or a union less another."""
    form = draw(st.sampled_from(["except", "union", "union-except", "nested"]))
    if form == "except":
        return _except(draw(calendars()))
    if form == "union":
        return _union(draw(calendars()), draw(calendars()))
    if form == "nested":
        return _union(_except(draw(calendars())), draw(calendars()))
    a, b, c = draw(calendars()), draw(calendars()), draw(calendars())
    return BusinessCalendar.from_spec(
        {"union": ["a", "b"], "except": "c", "timezone": c.spec.timezone}, {"a": a, "b": b, "c": c}
    )


FAR_YEAR = (datetime(2300, 1, 1, tzinfo=UTC), datetime(2301, 1, 1, tzinfo=UTC))


def _opens_regularly(calendar: BusinessCalendar) -> bool:
    """Open half an hour a week in a year with no holidays known (past every country's in the
    `holidays` library): deadlines are found without laying out centuries. A random union less
    another may open only on holidays, or never."""
    return calendar.elapsed(*FAR_YEAR) >= timedelta(hours=26)


def _closes_regularly(calendar: BusinessCalendar) -> bool:
    """Closed some time in that year: the next closing is found without laying out centuries."""
    return calendar.elapsed(*FAR_YEAR) < real(*FAR_YEAR)


spans = st.lists(st.tuples(instants(), instants()), min_size=1, max_size=8)


@PROPERTY
@given(calendars(), spans)
def test_a_calendar_and_its_rest_add_up_to_real_time(
    calendar: BusinessCalendar, pairs: list[tuple[datetime, datetime]]
) -> None:
    rest = _except(calendar)
    for a, b in pairs:
        assert calendar.elapsed(a, b) + rest.elapsed(a, b) == real(a, b)
        assert _union(calendar, rest).elapsed(a, b) == real(a, b)
    starts, ends = _utc64([a for a, _ in pairs]), _utc64([b for _, b in pairs])
    total = calendar.elapsed_many(starts, ends) + rest.elapsed_many(starts, ends)
    assert total.tolist() == (ends - starts).tolist()


@PROPERTY
@given(calendars(), calendars(), spans)
def test_a_union_is_commutative_and_counts_shared_time_once(
    a: BusinessCalendar, b: BusinessCalendar, pairs: list[tuple[datetime, datetime]]
) -> None:
    ab, ba, both = _union(a, b), _union(b, a), _both(a, b)
    for start, end in pairs:
        start, end = min(start, end), max(start, end)
        assert ab.elapsed(start, end) == ba.elapsed(start, end)
        assert ab.is_open(start) == ba.is_open(start) == (a.is_open(start) or b.is_open(start))
        assert both.is_open(start) == (a.is_open(start) and b.is_open(start))
        assert max(a.elapsed(start, end), b.elapsed(start, end)) <= ab.elapsed(start, end)
        assert ab.elapsed(start, end) <= a.elapsed(start, end) + b.elapsed(start, end)
        # time in either plus time in both is time in the one plus time in the other
        assert ab.elapsed(start, end) + both.elapsed(start, end) == a.elapsed(
            start, end
        ) + b.elapsed(start, end)


@PROPERTY
@given(composed(), st.lists(st.tuples(instants(), instants(), durations), min_size=1, max_size=20))
def test_batch_forms_give_exactly_the_scalar_results_for_calendars_made_of_others(
    calendar: BusinessCalendar, cases: list[tuple[datetime, datetime, timedelta]]
) -> None:
    starts = _utc64([a for a, _, _ in cases])
    ends = _utc64([b for _, b, _ in cases])
    found = calendar.elapsed_many(starts, ends)
    assert found.tolist() == [
        np.timedelta64(calendar.elapsed(a, b), "ns").tolist() for a, b, _ in cases
    ]
    since = calendar.elapsed_since_many(cases[0][0], ends)
    assert since.tolist() == [
        np.timedelta64(calendar.elapsed(cases[0][0], b), "ns").tolist() for _, b, _ in cases
    ]
    if not _opens_regularly(calendar):
        return
    steps = np.array([d for _, _, d in cases], dtype="timedelta64[ns]")
    assert calendar.add_many(starts, steps).tolist() == (
        _utc64([calendar.add(a, d) for a, _, d in cases]).tolist()
    )
    days = len(cases) % 6
    assert calendar.add_days_many(starts, days).tolist() == (
        _utc64([calendar.add_days(a, days) for a, _, _ in cases]).tolist()
    )


@PROPERTY
@given(composed(), st.lists(st.tuples(instants(), durations), min_size=1, max_size=8))
def test_deadlines_opening_and_closing_of_calendars_made_of_others(
    calendar: BusinessCalendar, cases: list[tuple[datetime, timedelta]]
) -> None:
    if not _opens_regularly(calendar):
        return
    tick = timedelta(microseconds=1)
    for start, duration in cases:
        deadline = calendar.add(start, duration)
        assert calendar.elapsed(start, deadline) == duration
        if duration > timedelta(0):
            assert calendar.elapsed(start, deadline - tick) < duration
        opening = calendar.next_open(start)
        assert calendar.is_open(opening)
        assert calendar.elapsed(start, opening) == timedelta(0)
        closing = calendar.next_close(start) if _closes_regularly(calendar) else None
        if closing is not None:
            assert not calendar.is_open(closing)
            assert calendar.elapsed(start, closing) == real(start, closing)
        for interval in calendar.open_intervals(start, start + 48 * H):
            assert calendar.elapsed(interval.start, interval.end) == interval.duration


def test_a_calendar_and_the_rest_of_it_are_known_to_never_close(
    window: dict[str, BusinessCalendar],
) -> None:
    every = window["every-minute"]
    assert every.spec.always_open
    assert every.next_close(ny(2026, 11, 11, 12)) is None
    assert every.add(ny(2026, 11, 11, 12), 30 * H) == ny(2026, 11, 12, 18)
