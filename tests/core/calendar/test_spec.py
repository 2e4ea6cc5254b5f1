"""The calendar mapping: what it accepts, and the message for every kind of mistake."""

from __future__ import annotations

from datetime import date

import pytest

from accord import BusinessCalendar, SpecError
from accord.core.calendar import DailyHours, parse_calendar_spec

NY_OFFICE = {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}}


def _error(spec: object) -> SpecError:
    with pytest.raises(SpecError) as caught:
        BusinessCalendar.from_spec(spec)  # type: ignore[arg-type]
    return caught.value


def test_day_ranges_lists_and_names_expand_to_weekdays() -> None:
    spec = parse_calendar_spec(
        {
            "timezone": "UTC",
            "hours": {"mon-wed": "09:00-12:00", "thu,fri": "10:00-11:00", "Sunday": "08:00-09:00"},
        }
    )
    assert [len(day) for day in spec.week] == [1, 1, 1, 1, 1, 0, 1]
    assert spec.week[3] == (DailyHours(600, 660),)


def test_a_range_may_wrap_round_the_week() -> None:
    spec = parse_calendar_spec({"timezone": "UTC", "hours": {"fri-mon": "09:00-10:00"}})
    assert [bool(day) for day in spec.week] == [True, False, False, False, True, True, True]


def test_several_intervals_a_day_are_kept_in_order() -> None:
    spec = parse_calendar_spec(
        {"timezone": "UTC", "hours": {"sat": ["13:00-15:00", "10:00-12:00"]}}
    )
    assert spec.week[5] == (DailyHours(600, 720), DailyHours(780, 900))


def test_overnight_hours_belong_to_the_day_they_start() -> None:
    spec = parse_calendar_spec({"timezone": "UTC", "hours": {"mon": "22:00-06:00"}})
    assert spec.week[0] == (DailyHours(1320, 1800),)
    assert spec.week[0][0].overnight


def test_whole_day_and_24x7() -> None:
    whole = parse_calendar_spec({"timezone": "UTC", "hours": {"daily": "00:00-24:00"}})
    assert whole.always_open
    assert parse_calendar_spec({"timezone": "UTC", "hours": "24x7"}) == whole


def test_holidays_take_dates_as_list_or_named_mapping() -> None:
    listed = parse_calendar_spec({**NY_OFFICE, "holidays": {"dates": [date(2026, 12, 24)]}})
    named = parse_calendar_spec({**NY_OFFICE, "holidays": {"dates": {"2026-12-24": "Party"}}})
    assert listed.holidays.dates == {date(2026, 12, 24): "Company holiday"}
    assert named.holidays.dates == {date(2026, 12, 24): "Party"}


def test_canonical_mapping_round_trips() -> None:
    spec = parse_calendar_spec(
        {
            "timezone": "Europe/Paris",
            "hours": {"mon-fri": ["08:00-12:00", "14:00-18:00"], "sat": "22:00-02:00"},
            "holidays": {"country": "fr", "dates": ["2026-08-14"]},
        }
    )
    assert parse_calendar_spec(spec.to_mapping()) == spec
    assert spec.holidays.country == "FR"


@pytest.mark.parametrize(
    ("spec", "where", "words"),
    [
        ({"hours": {"mon": "09:00-17:00"}}, "timezone", "missing"),
        (
            {"timezone": "America/New_Yrok", "hours": {}},
            "timezone",
            "unknown time zone 'America/New_Yrok'",
        ),
        ({"timezone": 5, "hours": {}}, "timezone", "expected an IANA zone name"),
        ({"timezone": "UTC"}, "hours", "missing"),
        ({"timezone": "UTC", "hours": ["09:00-17:00"]}, "hours", "expected a mapping of days"),
        (
            {"timezone": "UTC", "hours": {"mon-fry": "09:00-17:00"}},
            "hours.mon-fry",
            "unknown day 'fry'",
        ),
        (
            {"timezone": "UTC", "hours": {"mon-tue-wed": "09:00-17:00"}},
            "hours.mon-tue-wed",
            "malformed day range",
        ),
        ({"timezone": "UTC", "hours": {"mon": "9-17"}}, "hours.mon", "malformed hours '9-17'"),
        ({"timezone": "UTC", "hours": {"mon": "25:00-26:00"}}, "hours.mon", "not a time of day"),
        ({"timezone": "UTC", "hours": {"mon": "09:00-24:30"}}, "hours.mon", "after 24:00"),
        ({"timezone": "UTC", "hours": {"mon": "09:00-09:00"}}, "hours.mon", "start equals end"),
        ({"timezone": "UTC", "hours": {"mon": 900}}, "hours.mon", "expected a string"),
        (
            {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00", "wed": "12:00-13:00"}},
            "hours.wed",
            "overlap 09:00-17:00 (from 'mon-fri')",
        ),
        (
            {"timezone": "UTC", "hours": {"mon": "22:00-06:00", "tue": "05:00-09:00"}},
            "hours.mon",
            "overnight hours 22:00-06:00 of Monday run into Tuesday's hours 05:00-09:00",
        ),
        (
            {"timezone": "UTC", "hours": {"sun": "20:00-08:00", "mon": "07:00-09:00"}},
            "hours.sun",
            "of Sunday run into Monday's",
        ),
        ({**NY_OFFICE, "holidays": {"country": "XX"}}, "holidays.country", "unknown country 'XX'"),
        (
            {**NY_OFFICE, "holidays": {"country": "US", "subdivision": "ZZ"}},
            "holidays.subdivision",
            "unknown subdivision 'ZZ' of US",
        ),
        (
            {**NY_OFFICE, "holidays": {"subdivision": "NY"}},
            "holidays.subdivision",
            "needs a country",
        ),
        (
            {**NY_OFFICE, "holidays": {"dates": ["2026-13-01"]}},
            "holidays.dates[0]",
            "expected a date YYYY-MM-DD, got '2026-13-01'",
        ),
        (
            {**NY_OFFICE, "holidays": {"dates": "2026-12-24"}},
            "holidays.dates",
            "expected a list of dates",
        ),
        (
            {**NY_OFFICE, "holidays": {"date": ["2026-12-24"]}},
            "holidays.date",
            "unknown key; expected one of country",
        ),
        (
            {**NY_OFFICE, "hour": {}},
            "hour",
            "unknown key; expected one of timezone, hours, holidays",
        ),
    ],
)
def test_mistakes_name_the_key_the_value_and_what_was_expected(
    spec: dict[str, object], where: str, words: str
) -> None:
    error = _error(spec)
    assert error.where == where
    assert words in str(error)
    assert str(error).startswith(f"{where}: ")


def test_a_calendar_that_is_not_a_mapping_is_an_error() -> None:
    assert "must be a mapping" in str(_error("mon-fri 9-5"))


def test_adjacent_intervals_are_not_an_overlap() -> None:
    spec = parse_calendar_spec(
        {"timezone": "UTC", "hours": {"mon": ["09:00-12:00", "12:00-17:00"], "tue": "17:00-09:00"}}
    )
    assert len(spec.week[0]) == 2
