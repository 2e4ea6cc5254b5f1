"""The quantities agreements are written in: parsed exactly, printed back as written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.agreement.units import (
    LONGEST_DAYS,
    Bound,
    Duration,
    Period,
    format_percent,
    parse_bound,
    parse_duration,
    parse_percent,
    parse_period,
    parse_target,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", Duration(time=timedelta(minutes=30))),
        ("1h", Duration(time=timedelta(hours=1))),
        ("4h30m", Duration(time=timedelta(hours=4, minutes=30))),
        ("1.5h", Duration(time=timedelta(minutes=90))),
        ("2d", Duration(time=timedelta(days=2))),
        ("3 business days", Duration(business_days=3)),
        ("1 business day", Duration(business_days=1)),
        ("30 days", Duration(time=timedelta(days=30))),
        ("4 hours", Duration(time=timedelta(hours=4))),
        ("90 minutes", Duration(time=timedelta(minutes=90))),
        ("2 weeks", Duration(time=timedelta(weeks=2))),
        ("4 hrs", Duration(time=timedelta(hours=4))),
    ],
)
def test_durations(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["4", "4 parsecs", "h", "", "1h30", "three days"])
def test_malformed_durations_say_what_is_expected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"expected a duration such as '30m', '1h'"):
        parse_duration(bad)


@pytest.mark.parametrize(
    "text", ["99999999999999999999d", "36601d", "5300w", "99999999999999999999 business days"]
)
def test_a_duration_beyond_a_century_is_refused_not_an_overflow(text: str) -> None:
    with pytest.raises(ValueError, match="longest duration Accord handles, 36,600 days"):
        parse_duration(text)


@given(number=st.integers(0, 10**30), unit=st.sampled_from(["w", "d", "h", "m", "s", " days"]))
def test_any_written_duration_parses_within_a_century_or_is_refused(number: int, unit: str) -> None:
    seconds = number * {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, " days": 86400}[unit]
    if seconds > LONGEST_DAYS * 86400:
        with pytest.raises(ValueError, match="longest duration"):
            parse_duration(f"{number}{unit}")
    else:
        assert parse_duration(f"{number}{unit}").time == timedelta(seconds=seconds)


def test_months_are_not_durations() -> None:
    with pytest.raises(ValueError, match="months and years vary in length"):
        parse_duration("3 months")


def test_a_bare_number_duration_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="a bare number has no unit"):
        parse_duration(4)


def test_percent_is_exact_decimal() -> None:
    assert parse_percent("99.9%") == Decimal("99.9")
    assert parse_percent("99.9%") != 99.9  # never a float
    assert format_percent(Decimal("99.90")) == "99.9%"
    assert format_percent(Decimal("100")) == "100%"


@pytest.mark.parametrize(
    ("bad", "hint"), [(99.9, "write '99.9%'"), ("99.9", ""), ("101%", "between")]
)
def test_percent_mistakes(bad: object, hint: str) -> None:
    with pytest.raises(ValueError, match=hint or "expected a percentage"):
        parse_percent(bad)


def test_bounds_in_symbols_and_words() -> None:
    assert parse_bound(">= 200") == Bound(">=", Decimal(200))
    assert parse_bound("at least 20 Mbit/s") == Bound(">=", Decimal(20), "Mbit/s")
    assert parse_bound("less than 50 ms") == Bound("<", Decimal(50), "ms")
    assert str(parse_bound("at least 20 Mbit/s")) == ">= 20 Mbit/s"
    assert parse_bound(">= 60").holds(Decimal(60))
    assert not parse_bound("> 60").holds(Decimal(60))


def test_periods() -> None:
    assert parse_period("month") == Period("month")
    assert parse_period("Quarterly") == Period("quarter")
    assert parse_period("rolling 30 days") == Period("rolling", 30)
    with pytest.raises(ValueError, match="expected a period"):
        parse_period("fortnight")


def test_target_is_percent_or_bound() -> None:
    assert parse_target("95%") == Decimal(95)
    assert parse_target(">= 200") == Bound(">=", Decimal(200))
    with pytest.raises(ValueError, match="write '95%'"):
        parse_target(95)


@given(st.decimals(min_value=0, max_value=100, places=4, allow_nan=False))
def test_percent_round_trips(value: Decimal) -> None:
    assert parse_percent(format_percent(value)) == value


@given(st.integers(1, 10**7))
def test_duration_round_trips(seconds: int) -> None:
    duration = Duration(time=timedelta(seconds=seconds))
    assert parse_duration(str(duration)) == duration
