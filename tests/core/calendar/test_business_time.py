"""Named cases of business-time arithmetic: DST, overnight shifts, holidays, far years, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from accord import BusinessCalendar, CalendarError

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
H = timedelta(hours=1)


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)  # type: ignore[misc]


def calendar(timezone: str, hours: object, **holidays: object) -> BusinessCalendar:
    spec: dict[str, object] = {"timezone": timezone, "hours": hours}
    if holidays:
        spec["holidays"] = holidays
    return BusinessCalendar.from_spec(spec)


# ---------------------------------------------------------------- elapsed and add, plain days


def test_elapsed_is_negative_when_end_is_before_start(office: BusinessCalendar) -> None:
    # Mon 10:00..17:00 is 7 h and Tue 09:00..15:00 is 6 h: -13 h, not +13 h, 0 or NaN
    assert office.elapsed(ny(2026, 3, 10, 15), ny(2026, 3, 9, 10)) == -13 * H
    assert office.elapsed(ny(2026, 3, 9, 10), ny(2026, 3, 10, 15)) == 13 * H


def test_deadline_at_closing_time_stays_that_day(office: BusinessCalendar) -> None:
    assert office.add(ny(2026, 3, 10, 16), H) == ny(2026, 3, 10, 17)
    assert office.add(ny(2026, 3, 10, 16), 2 * H) == ny(2026, 3, 11, 10)


def test_deadline_from_closed_time_starts_at_next_opening(office: BusinessCalendar) -> None:
    assert office.add(ny(2026, 3, 7, 3), H) == ny(2026, 3, 9, 10)  # Saturday night -> Monday


def test_zero_duration_returns_start_even_when_closed(office: BusinessCalendar) -> None:
    saturday = ny(2026, 3, 7, 3)
    assert office.add(saturday, timedelta(0)) == saturday


def test_negative_duration_counts_backwards(office: BusinessCalendar) -> None:
    assert office.add(ny(2026, 3, 10, 10), -2 * H) == ny(2026, 3, 9, 16)
    # the latest instant with 1 h before it: Monday's opening, not Friday's close
    assert office.add(ny(2026, 3, 9, 10), -H) == ny(2026, 3, 9, 9)


def test_results_are_in_the_calendars_zone(office: BusinessCalendar) -> None:
    deadline = office.add(datetime(2026, 3, 10, 20, tzinfo=UTC), H)
    assert deadline.tzinfo == NY
    assert deadline == ny(2026, 3, 10, 17)


def test_intervals_are_half_open(office: BusinessCalendar) -> None:
    assert office.is_open(ny(2026, 3, 10, 9))
    assert not office.is_open(ny(2026, 3, 10, 17))
    assert office.next_open(ny(2026, 3, 10, 17)) == ny(2026, 3, 11, 9)
    assert office.next_open(ny(2026, 3, 10, 12)) == ny(2026, 3, 10, 12)
    assert office.next_close(ny(2026, 3, 10, 9)) == ny(2026, 3, 10, 17)
    assert office.next_close(ny(2026, 3, 10, 20)) == ny(2026, 3, 10, 20)


def test_next_open_skips_weekend_and_holiday(office: BusinessCalendar) -> None:
    # Wed 23 Dec 17:00 -> Thu 24 (company closure), Fri 25 (Christmas), weekend -> Mon 28
    assert office.next_open(ny(2026, 12, 23, 17)) == ny(2026, 12, 28, 9)


def test_always_open_calendar_never_closes() -> None:
    always = BusinessCalendar.always_open("Europe/Paris")
    moment = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert always.next_close(moment) is None
    assert always.elapsed(moment, moment + 100 * H) == 100 * H
    assert always.add(moment, 30 * H) == moment + 30 * H


def test_24x7_with_holidays_closes_on_the_next_holiday() -> None:
    always = calendar("America/New_York", "24x7", country="US")
    assert always.next_close(ny(2026, 12, 20, 12)) == ny(2026, 12, 25)
    assert always.elapsed(ny(2026, 12, 24), ny(2026, 12, 27)) == 48 * H


# ---------------------------------------------------------------- holidays


def test_holiday_closes_the_day(office: BusinessCalendar) -> None:
    # Wed 15:00 -> Mon 10:00 over Christmas Eve (company), Christmas (public) and a weekend
    assert office.elapsed(ny(2026, 12, 23, 15), ny(2026, 12, 28, 10)) == 3 * H


def test_observed_holidays_count_as_the_holidays_library_reports_them(
    office: BusinessCalendar,
) -> None:
    # Christmas 2027 is a Saturday: observed on Friday 24 December
    assert office.elapsed(ny(2027, 12, 24), ny(2027, 12, 25)) == timedelta(0)
    names = dict(office.holidays_between(date(2027, 12, 20), date(2027, 12, 31)))
    assert "observed" in names[date(2027, 12, 24)].lower()


def test_holidays_far_past_any_preloaded_range(office: BusinessCalendar) -> None:
    # Christmas 2045 (Monday) and Thanksgiving 2100 (Thursday 25 November) are closed
    assert office.elapsed(ny(2045, 12, 25), ny(2045, 12, 26)) == timedelta(0)
    assert office.elapsed(ny(2100, 11, 25), ny(2100, 11, 26)) == timedelta(0)
    assert office.elapsed(ny(2100, 11, 26), ny(2100, 11, 27)) == 8 * H


def test_public_holidays_are_known_only_for_the_years_the_library_covers(
    office: BusinessCalendar,
) -> None:
    # `holidays` knows US holidays from 1777 to 2100; beyond, only company closures apply,
    # and the calendar says so rather than pretending to know.
    assert office.public_holiday_years == (1777, 2100)
    assert office.elapsed(ny(2101, 7, 4), ny(2101, 7, 5)) == 8 * H
    assert BusinessCalendar.always_open().public_holiday_years is None


def test_company_holidays_are_named_in_holidays_between(office: BusinessCalendar) -> None:
    assert office.holidays_between(date(2026, 12, 24), date(2026, 12, 25)) == [
        (date(2026, 12, 24), "Company holiday"),
        (date(2026, 12, 25), "Christmas Day"),
    ]


# ---------------------------------------------------------------- overnight shifts


def test_overnight_shift_counts_its_whole_night(nights: BusinessCalendar) -> None:
    assert nights.elapsed(ny(2026, 3, 2, 22), ny(2026, 3, 3, 6)) == 8 * H
    assert nights.add(ny(2026, 3, 2, 22), 4 * H) == ny(2026, 3, 3, 2)


def test_holiday_closes_the_shift_starting_on_it_not_the_one_running_into_it() -> None:
    nights = calendar("America/New_York", {"daily": "22:00-06:00"}, country="US")
    # Christmas 2026 is a Friday: Thursday's shift runs to 06:00 on the 25th in full;
    # the shift that would start on Christmas evening is off.
    assert nights.elapsed(ny(2026, 12, 24, 12), ny(2026, 12, 25, 12)) == 8 * H
    assert nights.elapsed(ny(2026, 12, 25, 12), ny(2026, 12, 26, 12)) == timedelta(0)
    assert nights.is_open(ny(2026, 12, 25, 3))
    assert not nights.is_open(ny(2026, 12, 25, 23))


def test_weekday_night_shift_across_a_weekend() -> None:
    nights = calendar("America/New_York", {"mon-fri": "22:00-06:00"})
    # Friday's shift runs into Saturday morning; no shift starts on Saturday or Sunday
    assert nights.elapsed(ny(2026, 3, 13, 12), ny(2026, 3, 16, 12)) == 8 * H
    assert nights.add(ny(2026, 3, 14, 5), H) == ny(2026, 3, 14, 6)
    assert nights.add(ny(2026, 3, 14, 5), 2 * H) == ny(2026, 3, 16, 23)


# ---------------------------------------------------------------- DST


def test_working_day_is_eight_hours_on_both_dst_days(office: BusinessCalendar) -> None:
    daily = calendar("America/New_York", {"daily": "09:00-17:00"})
    assert daily.elapsed(ny(2026, 3, 8), ny(2026, 3, 9)) == 8 * H  # spring forward
    assert daily.elapsed(ny(2026, 11, 1), ny(2026, 11, 2)) == 8 * H  # fall back


def test_night_shift_is_seven_then_nine_hours_on_dst_nights(nights: BusinessCalendar) -> None:
    assert nights.elapsed(ny(2026, 3, 7, 12), ny(2026, 3, 8, 12)) == 7 * H
    assert nights.elapsed(ny(2026, 10, 31, 12), ny(2026, 11, 1, 12)) == 9 * H


def test_europe_dst_nights() -> None:
    nights = calendar("Europe/London", {"daily": "22:00-06:00"})
    london = LONDON
    assert (
        nights.elapsed(
            datetime(2026, 3, 28, 12, tzinfo=london), datetime(2026, 3, 29, 12, tzinfo=london)
        )
        == 7 * H
    )
    assert (
        nights.elapsed(
            datetime(2026, 10, 24, 12, tzinfo=london), datetime(2026, 10, 25, 12, tzinfo=london)
        )
        == 9 * H
    )


def test_half_hour_dst_of_lord_howe_island() -> None:
    nights = calendar("Australia/Lord_Howe", {"daily": "22:00-06:00"})
    days = calendar("Australia/Lord_Howe", {"daily": "09:00-17:00"})

    def lh(*args: int) -> datetime:
        return datetime(*args, tzinfo=LORD_HOWE)  # type: ignore[misc]

    # clocks go forward 30 minutes on 4 October 2026 and back 30 minutes on 5 April 2026
    assert nights.elapsed(lh(2026, 10, 3, 12), lh(2026, 10, 4, 12)) == 7.5 * H
    assert nights.elapsed(lh(2026, 4, 4, 12), lh(2026, 4, 5, 12)) == 8.5 * H
    assert days.elapsed(lh(2026, 10, 4), lh(2026, 10, 5)) == 8 * H


def test_repeated_hour_respects_fold(nights: BusinessCalendar) -> None:
    first = ny(2026, 11, 1, 1, 30, fold=0)  # 01:30 EDT
    second = ny(2026, 11, 1, 1, 30, fold=1)  # 01:30 EST, an hour later
    assert nights.elapsed(first, second) == H
    assert nights.add(first, H) == second
    assert nights.add(first, H).fold == 1


def test_hours_in_the_spring_gap_move_forward_by_the_gap() -> None:
    early = calendar("America/New_York", {"daily": "02:30-04:00"})
    # 02:30 does not exist on 8 March 2026: it becomes 03:30 EDT, leaving 30 minutes
    assert early.elapsed(ny(2026, 3, 8), ny(2026, 3, 9)) == timedelta(minutes=30)
    assert early.next_open(ny(2026, 3, 8)) == ny(2026, 3, 8, 3, 30)


def test_ambiguous_hours_take_their_first_occurrence() -> None:
    early = calendar("America/New_York", {"daily": "01:30-03:00"})
    # 01:30 is the first (EDT) 01:30; 03:00 is EST: 2 h 30 min on the fall-back night
    assert early.elapsed(ny(2026, 11, 1), ny(2026, 11, 2)) == 2.5 * H


# ---------------------------------------------------------------- calendar dates and far years


def test_leap_days() -> None:
    office = calendar("UTC", {"mon-fri": "09:00-17:00"}, dates=["2028-02-29"])
    plain = calendar("UTC", {"mon-fri": "09:00-17:00"})
    feb28, mar1 = datetime(2028, 2, 28, tzinfo=UTC), datetime(2028, 3, 1, tzinfo=UTC)
    assert plain.elapsed(feb28, mar1) == 16 * H
    assert office.elapsed(feb28, mar1) == 8 * H
    # 2100 is not a leap year: Sunday 28 February is followed by Monday 1 March
    assert (
        plain.elapsed(datetime(2100, 2, 28, tzinfo=UTC), datetime(2100, 3, 2, tzinfo=UTC)) == 8 * H
    )


def test_year_one_and_year_9999() -> None:
    plain = calendar("UTC", {"mon-fri": "09:00-17:00"})
    # 1 January of year 1 is a Monday in the proleptic Gregorian calendar
    assert plain.elapsed(datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 8, tzinfo=UTC)) == 40 * H
    assert plain.add(datetime(1, 1, 1, tzinfo=UTC), H) == datetime(1, 1, 1, 10, tzinfo=UTC)
    # 31 December 9999 is a Friday
    assert plain.add(datetime(9999, 12, 31, 16, tzinfo=UTC), H) == datetime(
        9999, 12, 31, 17, tzinfo=UTC
    )
    with pytest.raises(CalendarError, match="1-9999"):
        plain.add(datetime(9999, 12, 31, 16, tzinfo=UTC), 2 * H)


def test_centuries_long_span_matches_numpy_business_days() -> None:
    plain = calendar("UTC", {"mon-fri": "09:00-17:00"})
    days = int(np.busday_count("1850-01-01", "2250-01-01"))
    assert (
        plain.elapsed(datetime(1850, 1, 1, tzinfo=UTC), datetime(2250, 1, 1, tzinfo=UTC))
        == 8 * H * days
    )


def test_far_apart_queries_then_a_span_joining_them() -> None:
    plain = calendar("UTC", {"mon-fri": "09:00-17:00"})
    a, b = datetime(1900, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    assert plain.is_open(a.replace(hour=10))
    assert plain.is_open(b.replace(hour=10))
    days = int(np.busday_count("1900-01-01", "2100-01-01"))
    assert plain.elapsed(a, b) == 8 * H * days


# ---------------------------------------------------------------- errors


def test_naive_datetimes_are_an_error_not_a_guess(office: BusinessCalendar) -> None:
    naive = datetime(2026, 3, 10, 9)
    for call in (
        lambda: office.elapsed(naive, ny(2026, 3, 11)),
        lambda: office.elapsed(ny(2026, 3, 11), naive),
        lambda: office.add(naive, H),
        lambda: office.is_open(naive),
        lambda: office.next_open(naive),
    ):
        with pytest.raises(CalendarError, match=r"naive datetime 2026-03-10T09:00:00"):
            call()


def test_non_datetime_is_an_error(office: BusinessCalendar) -> None:
    with pytest.raises(CalendarError, match="expected an aware datetime, got date"):
        office.elapsed(date(2026, 3, 10), ny(2026, 3, 11))  # type: ignore[arg-type]


def test_a_calendar_that_never_opens_fails_at_add_instead_of_looping() -> None:
    closed = calendar("UTC", {})
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert closed.elapsed(moment, moment + 1000 * H) == timedelta(0)
    with pytest.raises(CalendarError, match="never opens"):
        closed.add(moment, H)
    with pytest.raises(CalendarError, match="never opens"):
        closed.next_open(moment)


# ---------------------------------------------------------------- explaining


def test_open_intervals_are_clipped_to_the_span(office: BusinessCalendar) -> None:
    intervals = office.open_intervals(ny(2026, 12, 23, 12), ny(2026, 12, 28, 10))
    assert [(i.start, i.end) for i in intervals] == [
        (ny(2026, 12, 23, 12), ny(2026, 12, 23, 17)),
        (ny(2026, 12, 28, 9), ny(2026, 12, 28, 10)),
    ]
    assert sum((i.duration for i in intervals), timedelta(0)) == office.elapsed(
        ny(2026, 12, 23, 12), ny(2026, 12, 28, 10)
    )


# ---------------------------------------------------------------- batch forms


def _utc64(*moments: datetime) -> np.ndarray:
    return np.array(
        [m.astimezone(UTC).replace(tzinfo=None) for m in moments], dtype="datetime64[ns]"
    )


def test_batch_propagates_nat_and_matches_scalar(office: BusinessCalendar) -> None:
    starts = _utc64(ny(2026, 3, 10, 15), ny(2026, 12, 23, 15), ny(2026, 3, 9))
    ends = _utc64(ny(2026, 3, 9, 10), ny(2026, 12, 28, 10), ny(2026, 3, 9))
    ends[2] = np.datetime64("NaT")
    result = office.elapsed_many(starts, ends)
    assert result[0] == np.timedelta64(-13, "h")
    assert result[1] == np.timedelta64(3, "h")
    assert np.isnat(result[2])
    deadlines = office.add_many(starts, np.array([1, 4, 1], dtype="timedelta64[h]"))
    assert deadlines[0] == _utc64(office.add(ny(2026, 3, 10, 15), H))[0]
    assert deadlines[1] == _utc64(office.add(ny(2026, 12, 23, 15), 4 * H))[0]


def test_elapsed_since_many_propagates_nat_and_is_signed(office: BusinessCalendar) -> None:
    moments = _utc64(ny(2026, 3, 9, 10), ny(2026, 3, 10, 15), ny(2026, 3, 9))
    moments[2] = np.datetime64("NaT")
    found = office.elapsed_since_many(ny(2026, 3, 10, 9), moments)
    assert found[0] == np.timedelta64(-7, "h")  # Mon 10:00 is 7 business hours before Tue 09:00
    assert found[1] == np.timedelta64(6, "h")
    assert np.isnat(found[2])
    assert office.elapsed_since_many(ny(2026, 3, 10, 9), moments[:0]).shape == (0,)


def test_batch_rejects_wrong_dtypes_and_shapes(office: BusinessCalendar) -> None:
    starts = _utc64(ny(2026, 3, 10, 15))
    with pytest.raises(CalendarError, match="datetime64 UTC instants"):
        office.elapsed_many(np.array([1.5]), starts)
    with pytest.raises(CalendarError, match="differ in shape"):
        office.elapsed_many(starts, np.concatenate([starts, starts]))
    with pytest.raises(CalendarError, match="timedelta64"):
        office.add_many(starts, np.array([3600]))


def test_duration_must_be_a_timedelta(office: BusinessCalendar) -> None:
    with pytest.raises(CalendarError, match="expected a timedelta duration, got int 3600"):
        office.add(ny(2026, 3, 10, 9), 3600)  # type: ignore[arg-type]


def test_batch_deadline_beyond_datetime64_range_is_an_error() -> None:
    start = np.array(["2200-01-01"], dtype="datetime64[ns]")
    far = np.array([100 * 365 * 24], dtype="timedelta64[h]")
    for cal in (BusinessCalendar.always_open(), calendar("UTC", {"mon-fri": "09:00-17:00"})):
        with pytest.raises(CalendarError, match="1678-2261"):
            cal.add_many(start, far)


def test_business_days_are_days_of_the_calendar_not_24_hour_blocks(
    office: BusinessCalendar,
) -> None:
    # Wed 23 Dec 2026 10:00 + 3 business days: skips the 24th (company), 25th (Christmas) and
    # the weekend: Mon 28, Tue 29, Wed 30 at 10:00
    assert office.add_days(ny(2026, 12, 23, 10), 3) == ny(2026, 12, 30, 10)
    # from closed time, counting starts at the next opening (Monday 09:00)
    assert office.add_days(ny(2026, 3, 7, 12), 1) == ny(2026, 3, 10, 9)
    assert office.add_days(ny(2026, 3, 7, 12), 0) == ny(2026, 3, 9, 9)
    with pytest.raises(CalendarError, match=">= 0"):
        office.add_days(ny(2026, 3, 7, 12), -1)
