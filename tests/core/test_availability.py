"""Availability and service credits: worked examples from public cloud SLAs, checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord import BusinessCalendar
from accord.core.agreement.model import Exclusions, Remedies
from accord.core.availability import MaintenanceWindow, Outage, availability, incidents_of
from accord.core.credits import settle

ALWAYS = BusinessCalendar.always_open()
APRIL = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))  # 30 days, 720 h
H = timedelta(hours=1)


def down(hours: float, at: datetime = datetime(2026, 4, 10, tzinfo=UTC), **kw: Any) -> Outage:
    return Outage("api", at, at + timedelta(hours=hours), **kw)


def remedies(bands: list[tuple[str, str, str]], **kw: Any) -> Remedies:
    return Remedies.model_validate(
        {
            "credits": [
                {
                    "objective": "availability",
                    "bands": [{"below": b, "at_least": a, "credit": c} for b, a, c in bands],
                }
            ],
            **kw,
        }
    )


EC2 = remedies([("99.99%", "99.0%", "10%"), ("99.0%", "95.0%", "30%"), ("95.0%", "0%", "100%")])
S3 = remedies([("99.9%", "99.0%", "10%"), ("99.0%", "95.0%", "25%"), ("95.0%", "0%", "100%")])


def test_ec2_region_an_hour_down_in_april_is_a_ten_percent_credit() -> None:
    result = availability("api", ALWAYS, *APRIL, [down(1)], target=Decimal("99.99"))
    assert result.percent == Decimal(719) / Decimal(720) * 100  # 99.8611...%
    assert result.met is False
    settlement = settle(EC2, {"availability": result.percent}, Decimal(1000), "USD")
    assert (settlement.percent, settlement.amount) == (Decimal(10), Decimal("100.00"))
    assert "below 99.99%" in settlement.reasons[0]


def test_s3_ten_hours_down_is_a_quarter_of_the_bill() -> None:
    result = availability("api", ALWAYS, *APRIL, [down(10)])
    assert round(result.percent, 3) == Decimal("98.611")
    assert settle(S3, {"availability": result.percent}, Decimal(200), "USD").amount == Decimal(50)


def test_a_month_exactly_on_a_band_edge_earns_nothing() -> None:
    # 0.1% of 720 hours is 43.2 minutes: exactly 99.9%, which is not "below 99.9%"
    result = availability("api", ALWAYS, *APRIL, [down(0.72)], target=Decimal("99.9"))
    assert result.percent == Decimal("99.9")
    assert result.met is True
    assert result.margin == 0
    assert result.budget_left == 0
    assert settle(S3, {"availability": result.percent}, Decimal(200), "USD").amount == 0
    # a microsecond more and the month falls into the 10% band
    begin = APRIL[0] + 9 * 24 * H
    longer = Outage("api", begin, begin + timedelta(minutes=43.2, microseconds=1))
    worse = availability("api", ALWAYS, *APRIL, [longer]).percent
    assert worse < Decimal("99.9")
    assert settle(S3, {"availability": worse}, Decimal(200), "USD").amount == Decimal(20)


def test_an_older_gcp_schedule_caps_the_credits_at_half_the_bill() -> None:
    gcp = Remedies.model_validate(
        {
            "credits": [
                {"objective": "compute", "bands": [{"below": "99.95%", "credit": "30%"}]},
                {"objective": "storage", "bands": [{"below": "99.95%", "credit": "30%"}]},
            ],
            "combine": "sum",
            "cap": "50%",
        }
    )
    settlement = settle(gcp, {"compute": Decimal(99), "storage": Decimal(98)}, Decimal(1000), "USD")
    assert (settlement.percent, settlement.amount) == (Decimal(50), Decimal(500))
    assert any("capped at 50%" in r for r in settlement.reasons)
    largest = settle(
        gcp.model_copy(update={"combine": "max"}),
        {"compute": Decimal(99), "storage": Decimal(98)},
        Decimal(1000),
        "USD",
    )
    assert largest.percent == Decimal(30)


def test_minimum_payable_amount() -> None:
    small = remedies([("99.9%", "0%", "1%")], minimum_payable={"amount": "25", "currency": "USD"})
    settlement = settle(small, {"availability": Decimal("99.5")}, Decimal(1000), "USD")
    assert settlement.amount == 0
    assert "below the minimum payable" in settlement.reasons[-1]


def _maintenance(
    counts_as: str, notice: str | None = "48h", allowance: str | None = None
) -> Exclusions:
    plan: dict[str, Any] = {"counts_as": counts_as}
    if notice:
        plan["notice"] = notice
    if allowance:
        plan["allowance"] = allowance
    return Exclusions.model_validate({"maintenance": plan})


WORK = MaintenanceWindow(
    "api",
    datetime(2026, 4, 12, 2, tzinfo=UTC),
    datetime(2026, 4, 12, 6, tzinfo=UTC),
    announced_at=datetime(2026, 4, 5, tzinfo=UTC),
)


def test_maintenance_excluded_counted_as_down_or_as_up() -> None:
    excluded = availability("api", ALWAYS, *APRIL, [], [WORK], _maintenance("excluded"))
    assert (excluded.window, excluded.downtime, excluded.percent) == (716 * H, 0, 100)
    azure = availability("api", ALWAYS, *APRIL, [], [WORK], _maintenance("down"))
    assert azure.percent == Decimal(716) / Decimal(720) * 100  # Azure counts it as downtime
    up = availability("api", ALWAYS, *APRIL, [down(3, at=WORK.start)], [WORK], _maintenance("up"))
    assert (up.window, up.percent) == (720 * H, 100)  # the outage fell inside the maintenance


def test_maintenance_announced_too_late_or_beyond_the_allowance_is_downtime() -> None:
    late = MaintenanceWindow(WORK.service, WORK.start, WORK.end, WORK.start - H)
    result = availability("api", ALWAYS, *APRIL, [], [late], _maintenance("excluded"))
    assert result.downtime == Decimal(4 * 3600 * 10**6)
    assert result.intervals[0].reason == "maintenance not announced in time"
    capped = availability(
        "api", ALWAYS, *APRIL, [], [WORK], _maintenance("excluded", allowance="3h")
    )
    assert capped.excluded == 3 * H
    assert capped.downtime == Decimal(3600 * 10**6)
    assert capped.intervals[0].reason == "maintenance beyond the allowance"


def test_partial_and_overlapping_outages_count_each_instant_once_at_the_heaviest() -> None:
    at = datetime(2026, 4, 10, tzinfo=UTC)
    result = availability(
        "api",
        ALWAYS,
        *APRIL,
        [down(4, at, impact=Decimal("0.5")), down(1, at + H), down(2, at + 2 * H)],
    )
    # 00-01 half, 01-04 full (two full outages overlap), nothing else
    assert result.downtime == Decimal(int(3.5 * 3600 * 10**6))


def test_customer_caused_and_force_majeure_downtime_is_excluded_as_agreed() -> None:
    outages = [
        down(2, cause="customer"),
        down(1, cause="force_majeure", at=datetime(2026, 4, 20, tzinfo=UTC)),
    ]
    assert availability("api", ALWAYS, *APRIL, outages).percent == 100
    counted = Exclusions.model_validate({"customer_caused": "counted"})
    assert availability("api", ALWAYS, *APRIL, outages, exclusions=counted).downtime == Decimal(
        2 * 3600 * 10**6
    )


def test_prime_time_and_off_hours_windows() -> None:
    prime = BusinessCalendar.from_spec({"timezone": "UTC", "hours": {"mon-fri": "08:00-18:00"}})
    night = datetime(2026, 4, 14, 22, tzinfo=UTC)  # a Tuesday night
    outage = [Outage("api", night, night + 4 * H)]
    assert availability("api", prime, *APRIL, outage, target=Decimal("99.5")).percent == 100
    day = [Outage("api", night.replace(hour=9), night.replace(hour=11))]
    result = availability("api", prime, *APRIL, day, target=Decimal("99.5"))
    assert result.window == 22 * 10 * H  # 22 weekdays in April 2026
    assert result.percent == Decimal(218) / Decimal(220) * 100
    assert result.met is False  # 99.09% < 99.5%


# ---------------------------------------------------------------- properties

moments = st.integers(0, 30 * 24 * 60).map(lambda m: APRIL[0] + timedelta(minutes=m))
outage_lists = st.lists(
    st.builds(
        lambda a, minutes, weight, cause: Outage(
            "api", a, a + timedelta(minutes=minutes), Decimal(weight) / 4, cause
        ),
        moments,
        st.integers(1, 3000),
        st.integers(0, 4),
        st.sampled_from(["provider", "customer", "third_party"]),
    ),
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(outage_lists, st.integers(0, 3))
def test_excluding_more_never_lowers_availability(outages: list[Outage], flip: int) -> None:
    strict = Exclusions.model_validate({"customer_caused": "counted", "third_party": "counted"})
    lenient = Exclusions.model_validate({"customer_caused": "excluded", "third_party": "excluded"})
    assert (
        availability("api", ALWAYS, *APRIL, outages, exclusions=lenient).percent
        >= availability("api", ALWAYS, *APRIL, outages, exclusions=strict).percent
    )


@settings(max_examples=100, deadline=None)
@given(outage_lists, moments)
def test_splitting_the_period_and_recombining_gives_the_same_downtime(
    outages: list[Outage], middle: datetime
) -> None:
    whole = availability("api", ALWAYS, *APRIL, outages)
    first = availability("api", ALWAYS, APRIL[0], middle, outages)
    second = availability("api", ALWAYS, middle, APRIL[1], outages)
    assert first.downtime + second.downtime == whole.downtime
    assert first.window + second.window == whole.window


def _ns(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), moments, st.integers(1, 3000), st.integers(0, 4)), max_size=20
    ),
    st.lists(st.tuples(st.integers(0, 3), moments, st.integers(1, 600)), max_size=6),
    st.sampled_from(["24x7", "office"]),
)
def test_many_services_at_once_equal_one_at_a_time(
    outages: list[tuple[int, datetime, int, int]],
    works: list[tuple[int, datetime, int]],
    calendar: str,
) -> None:
    import numpy as np

    from accord.core.availability import availability_many

    window = (
        ALWAYS
        if calendar == "24x7"
        else BusinessCalendar.from_spec(
            {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}}
        )
    )
    names = ["a", "b", "c", "d"]
    # one table, outages and maintenance interleaved as a log would have them
    rows = sorted(
        [(a, s, m, w * 250, False) for s, a, m, w in outages]
        + [(a, s, m, 0, True) for s, a, m in works],
        key=lambda row: row[0],
    )
    table = availability_many(
        names,
        np.array([s for _, s, _, _, _ in rows], dtype=np.int64),
        np.array([_ns(a) for a, _, _, _, _ in rows], dtype=np.int64),
        np.array([_ns(a + timedelta(minutes=m)) for a, _, m, _, _ in rows], dtype=np.int64),
        np.array([w for _, _, _, w, _ in rows], dtype=np.int64),
        np.array([work for _, _, _, _, work in rows], dtype=np.bool_),
        window,
        *APRIL,
    )
    for index, name in enumerate(names):
        one = availability(
            name,
            window,
            *APRIL,
            [
                Outage(names[s], a, a + timedelta(minutes=m), Decimal(w) / 4)
                for s, a, m, w in outages
            ],
            [MaintenanceWindow(names[s], a, a + timedelta(minutes=m)) for s, a, m in works],
        )
        assert table.percent(index) == one.percent
        assert table.excluded[index] == one.excluded // timedelta(microseconds=1)
    assert table.percents() == [table.percent(i) for i in range(len(names))]


def test_many_weight_levels_and_narrow_codes_equal_one_at_a_time() -> None:
    """Thirty weight levels: more channels than one running sum holds, so the coverage is
    counted in several; service codes as int32, as a Parquet dictionary gives them."""
    import numpy as np

    from accord.core.availability import availability_many

    rng = np.random.default_rng(5)
    first, span = _ns(APRIL[0]), _ns(APRIL[1]) - _ns(APRIL[0])
    rows = 40
    code = rng.integers(0, 3, rows).astype(np.int32)
    start = first + rng.integers(-86400 * 10**9, span, rows)
    end = start + rng.integers(1, 3 * 86400 * 10**9, rows)
    weight = rng.integers(1, 31, rows) * 33
    work = rng.random(rows) < 0.1
    names = ["a", "b", "c"]
    table = availability_many(names, code, start, end, weight, work, ALWAYS, *APRIL)

    def moment(ns: int) -> datetime:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(ns) // 1000)

    # 16 levels and more edges than 8: more channels than a 63-bit sum of 4-bit fields holds
    assert len(set(weight[~work].tolist())) >= 16
    for index, name in enumerate(names):
        mine = code == index
        one = availability(
            name,
            ALWAYS,
            *APRIL,
            [
                Outage(name, moment(a), moment(b), Decimal(int(w)) / 1000)
                for a, b, w in zip(
                    start[mine & ~work], end[mine & ~work], weight[mine & ~work], strict=True
                )
            ],
            [
                MaintenanceWindow(name, moment(a), moment(b))
                for a, b in zip(start[mine & work], end[mine & work], strict=True)
            ],
        )
        assert table.percent(index) == one.percent, name
        assert table.excluded[index] == one.excluded // timedelta(microseconds=1)


def test_maintenance_outside_its_window_is_downtime() -> None:
    nights = BusinessCalendar.from_spec({"timezone": "UTC", "hours": {"sun": "00:00-06:00"}})
    work = MaintenanceWindow(  # Sunday 12 April 04:00-08:00: two hours fall after the window
        "api",
        datetime(2026, 4, 12, 4, tzinfo=UTC),
        datetime(2026, 4, 12, 8, tzinfo=UTC),
        announced_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    result = availability(
        "api", ALWAYS, *APRIL, [], [work], _maintenance("excluded"), maintenance_window=nights
    )
    assert result.excluded == 2 * H
    assert [(i.start.hour, i.end.hour, i.reason) for i in result.intervals] == [
        (6, 8, "maintenance outside its window")
    ]


@pytest.mark.parametrize("pack", [True, False])
def test_many_services_over_a_year_with_nanoseconds(
    pack: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instants in nanoseconds, some before and after the period, outages and maintenance in
    one table: the nanoseconds below the microsecond are dropped (as a datetime drops them),
    and the packed sort and the index sort both equal the scalar function on the same instants
    as datetimes."""
    import numpy as np

    from accord.core import availability as module

    if not pack:
        original = module._Edges.sort.__func__  # type: ignore[attr-defined]
        monkeypatch.setattr(
            module._Edges,
            "sort",
            classmethod(lambda cls, *args: original(cls, *args, pack=False)),
        )
    rng = np.random.default_rng(11)
    year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    first = _ns(year[0])
    services, per = 12, 30
    span = _ns(year[1]) - first
    code = np.repeat(np.arange(services), per)
    start = first - 86400 * 10**9 + rng.integers(0, span + 2 * 86400 * 10**9, services * per)
    end = start + rng.integers(1, 3 * 86400 * 10**9, services * per)
    weight = rng.choice([250, 500, 1000], services * per)
    work = rng.random(services * per) < 0.2
    office = BusinessCalendar.from_spec(
        {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00"}}
    )
    names = [f"s{i}" for i in range(64)]  # services with no intervals at all, too
    table = module.availability_many(names, code, start, end, weight, work, office, *year)

    def moment(ns: int) -> datetime:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(ns) // 1000)

    assert all(table.percent(i) == 100 for i in range(services, 64))
    for index, name in enumerate(names[:services]):
        mine = code == index
        down, planned = mine & ~work, mine & work
        one = availability(
            name,
            office,
            *year,
            [
                Outage(name, moment(a), moment(b), Decimal(int(w)) / 1000)
                for a, b, w in zip(start[down], end[down], weight[down], strict=True)
            ],
            [
                MaintenanceWindow(name, moment(a), moment(b))
                for a, b in zip(start[planned], end[planned], strict=True)
            ],
        )
        assert table.percent(index) == one.percent, name


# ---------------------------------------------------------------- incidents


def test_incidents_merge_overlapping_and_back_to_back_outages_and_give_mean_times() -> None:
    at = datetime(2026, 4, 10, tzinfo=UTC)
    outages = [
        down(2, at),  # 00:00-02:00
        down(1, at + H),  # overlaps it: same incident
        down(1, at + 2 * H),  # starts as the first ends: same incident, 3 h in all
        down(1, at + 10 * H),  # apart: a second incident
    ]
    result = availability("api", ALWAYS, *APRIL, outages)
    found = incidents_of(result.intervals, result.window)
    assert (found.count, found.down) == (2, 4 * H)
    assert found.time_to_recover == 2 * H
    assert found.time_between_failures == (720 * H - 4 * H) / 2


def test_incidents_apart_only_by_closed_time_are_two_and_one_bridged_by_closed_time_is_one() -> (
    None
):
    prime = BusinessCalendar.from_spec({"timezone": "UTC", "hours": {"mon-fri": "08:00-18:00"}})
    tuesday = datetime(2026, 4, 14, tzinfo=UTC)
    evening, morning = tuesday.replace(hour=17), tuesday.replace(hour=8) + timedelta(days=1)
    apart = [Outage("api", evening, evening + H), Outage("api", morning, morning + H)]
    result = availability("api", prime, *APRIL, apart)
    assert incidents_of(result.intervals, result.window).count == 2
    # one outage through the night is one incident of two business hours
    night = [Outage("api", evening, morning + H)]
    result = availability("api", prime, *APRIL, night)
    found = incidents_of(result.intervals, result.window)
    assert (found.count, found.down) == (1, 2 * H)
    # so is a chain whose middle link lies wholly in closed time
    chain = [
        Outage("api", evening, evening + H),
        Outage("api", evening + H, morning),  # 18:00-08:00: no business time
        Outage("api", morning, morning + H),
    ]
    result = availability("api", prime, *APRIL, chain)
    assert incidents_of(result.intervals, result.window).count == 1
    # an outage wholly at night is no incident at all
    result = availability("api", prime, *APRIL, [Outage("api", evening + 2 * H, morning)])
    found = incidents_of(result.intervals, result.window)
    assert (found.count, found.time_to_recover, found.time_between_failures) == (0, None, None)


def test_excluded_downtime_is_no_incident() -> None:
    customer = [down(3, cause="customer")]
    result = availability("api", ALWAYS, *APRIL, customer)
    assert incidents_of(result.intervals, result.window).count == 0
