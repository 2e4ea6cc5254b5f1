"""The days of an availability series add up to what the availability engine counts over the
period, and each day without maintenance is what the engine counts over that day alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.clocks import calendars_of
from accord.core.evidence import Data
from accord.core.judging import availability_of
from accord.core.series import daily_availability, day_bounds

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = load_agreement(ROOT / "examples" / "agreements" / "saas.yaml")
CALENDARS = calendars_of(AGREEMENT)
START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 10, 11, tzinfo=UTC)

minutes = st.integers(0, 10 * 24 * 60)
spans = st.tuples(minutes, st.integers(1, 36 * 60))
outages = st.lists(
    st.tuples(
        st.sampled_from(["api", "storage", "web-app"]),
        spans,
        st.sampled_from([Decimal(1), Decimal("0.5"), Decimal("0.25")]),
        st.sampled_from(["provider", "customer", "third_party"]),
    ),
    max_size=6,
)
works = st.lists(
    st.tuples(st.sampled_from(["api", "storage"]), spans, st.integers(0, 96)), max_size=4
)


def _at(minute: int) -> datetime:
    return START + timedelta(minutes=minute)


def _data(found_outages: list, found_works: list) -> Data:
    return Data(
        outages=tuple(
            Outage(s, _at(a), _at(a + n), impact, cause, id=f"O{i}")
            for i, (s, (a, n), impact, cause) in enumerate(found_outages)
        ),
        maintenance=tuple(
            MaintenanceWindow(s, _at(a), _at(a + n), _at(a) - timedelta(hours=notice), id=f"M{i}")
            for i, (s, (a, n), notice) in enumerate(found_works)
        ),
        observed=(START, END),
    )


@settings(max_examples=60, deadline=None)
@given(
    outages,
    works,
    st.sampled_from(["24x7", "support-hours"]),
    st.integers(0, 10 * 24),
    st.integers(0, 10 * 24),
)
def test_the_days_add_up_to_the_periods_downtime_and_maintenance(
    found_outages: list,
    found_works: list,
    calendar: str,
    since_hours: int,
    until_hours: int,
) -> None:
    objective = AGREEMENT.objective("availability").model_copy(update={"calendar": calendar})
    data = _data(found_outages, found_works)
    since = START + timedelta(hours=min(since_hours, until_hours))
    until = START + timedelta(hours=max(since_hours, until_hours))
    window = CALENDARS[calendar]
    for service in (None, "api", "web-app"):
        found, days = daily_availability(
            AGREEMENT, objective, data, CALENDARS, service, START, END, (since, until)
        )
        assert [(d.start, d.end) for d in days] == day_bounds(START, END)
        assert sum(d.down for d in days) == found.downtime
        assert sum(d.maintenance for d in days) == found.excluded
        assert sum(d.counted for d in days) == found.window
        assert all(d.known == (max(d.start, since) < min(d.end, until)) for d in days)
        for day in days:
            worked = any(m.start < day.end and m.end > day.start for m in data.maintenance)
            if day.known and not worked:
                own = availability_of(
                    AGREEMENT,
                    objective
                    if service is None
                    else objective.model_copy(
                        update={"scope": {**objective.scope, "service": (service,)}}
                    ),
                    Data(outages=data.outages, observed=data.observed),
                    CALENDARS,
                    max(day.start, since),
                    min(day.end, until),
                )
                assert day.down == own.downtime
                expected = window.elapsed(max(day.start, since), min(day.end, until))
                assert day.window == Decimal(expected // timedelta(microseconds=1))


def test_days_are_local_days_of_the_periods_zone() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    days = day_bounds(datetime(2026, 10, 24, tzinfo=berlin), datetime(2026, 10, 27, tzinfo=berlin))
    assert [d[0].isoformat() for d in days] == [
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
    ]
    # the day the clocks go back is 25 hours long
    assert days[1][1].astimezone(UTC) - days[1][0].astimezone(UTC) == timedelta(hours=25)
