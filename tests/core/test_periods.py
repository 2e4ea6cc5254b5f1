"""Reporting periods written as text: their bounds, and periods outside the years Accord handles
refused by name before any arithmetic (9999-12 used to overflow into an internal error)."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.errors import AccordError
from accord.core.horizon import FIRST_YEAR, LAST_YEAR
from accord.core.periods import period_bounds

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
