"""Reporting periods written as text: their bounds, and periods outside the years Accord handles
refused by name before any arithmetic (9999-12 used to overflow into an internal error)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.errors import AccordError
from accord.core.horizon import FIRST_YEAR, LAST_YEAR
from accord.core.periods import months_before, period_bounds, period_holding

# the zones furthest from UTC, where a period's local start is a day away from its UTC start
EXTREME_ZONES = ("UTC", "Pacific/Kiritimati", "Etc/GMT-14", "Etc/GMT+12", "Pacific/Pago_Pago")


def test_periods_are_months_quarters_and_years_in_the_zone() -> None:
    start, end = period_bounds("2026-Q4", "Europe/Paris")
    assert (start.isoformat(), end.isoformat()) == (
        "2026-10-01T00:00:00+02:00",
        "2027-01-01T00:00:00+01:00",
    )


@pytest.mark.parametrize(
    "text", ["9999-12", "9999", "9999-Q4", "0000", "0000-01", "0001-01", "1969-12", "2200"]
)
def test_a_period_outside_the_years_accord_handles_is_refused_by_name(text: str) -> None:
    with pytest.raises(AccordError) as caught:
        period_bounds(text, "Pacific/Kiritimati")
    assert f"period {text!r}" in str(caught.value)
    assert f"{FIRST_YEAR} to {LAST_YEAR}" in str(caught.value)


@given(
    year=st.integers(0, 9999),
    part=st.one_of(
        st.just(""),
        st.integers(0, 13).map(lambda m: f"-{m:02d}"),
        st.integers(1, 4).map(lambda q: f"-Q{q}"),
    ),
    zone=st.sampled_from(EXTREME_ZONES),
)
def test_any_period_text_has_bounds_or_a_named_refusal_never_an_overflow(
    year: int, part: str, zone: str
) -> None:
    text = f"{year:04d}{part}"
    well_formed = part in ("", "-Q1", "-Q2", "-Q3", "-Q4") or "-01" <= part <= "-12"
    if not (well_formed and FIRST_YEAR <= year <= LAST_YEAR):
        with pytest.raises(AccordError, match=re.escape(repr(text))):
            period_bounds(text, zone)
        return
    start, end = period_bounds(text, zone)
    assert start < end
    assert start.astimezone(UTC) < end.astimezone(UTC)  # both convertible to UTC


ZONES = (*EXTREME_ZONES, "America/Los_Angeles", "Europe/Paris", "Australia/Lord_Howe")
MOMENTS = st.datetimes(  # from 1973: 30 months before still in FIRST_YEAR (1970) in any zone
    min_value=datetime(1973, 1, 1), max_value=datetime(2199, 1, 1), timezones=st.just(UTC)
)


@given(
    moment=MOMENTS, kind=st.sampled_from(("month", "quarter", "year")), zone=st.sampled_from(ZONES)
)
def test_the_period_holding_an_instant_has_bounds_around_it(
    moment: datetime, kind: str, zone: str
) -> None:
    """Reference: the instant lies in ``[start, end)`` of the period named, compared in UTC."""
    start, end = period_bounds(period_holding(moment, kind, zone), zone)
    assert start.astimezone(UTC) <= moment < end.astimezone(UTC)


@given(moment=MOMENTS, count=st.integers(1, 30), zone=st.sampled_from(ZONES))
def test_the_months_before_an_instant_are_the_ones_that_end_where_the_next_begins(
    moment: datetime, count: int, zone: str
) -> None:
    labels = [period_holding(moment, "month", zone), *months_before(moment, count, zone)]
    assert len(labels) == count + 1
    for later, earlier in pairwise(labels):
        assert period_bounds(earlier, zone)[1] == period_bounds(later, zone)[0]


def test_the_last_evening_of_october_in_los_angeles_is_october_there_and_november_in_utc() -> None:
    evening = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 21:00 on 31 October, PDT
    assert period_holding(evening, "month", "America/Los_Angeles") == "2026-10"
    assert period_holding(evening, "month", "UTC") == "2026-11"
    assert period_holding(evening, "quarter", "America/Los_Angeles") == "2026-Q4"
    assert months_before(evening, 2, "America/Los_Angeles") == ["2026-09", "2026-08"]


def test_no_month_before_the_years_accord_handles() -> None:
    """Early in 1970 there are fewer months before: none is 1969, which no report can be
    made for (the standing overview judged at such an instant answered 422; schemathesis)."""
    moment = datetime(1970, 3, 20, 23, 36, tzinfo=UTC)
    assert months_before(moment, 12, "UTC") == ["1970-02", "1970-01"]
    assert months_before(datetime(1970, 1, 5, tzinfo=UTC), 12, "UTC") == []
    assert len(months_before(datetime(2026, 12, 7, tzinfo=UTC), 12, "UTC")) == 12
