"""Availability from outages in columns (the sweep of ``heaviest_swept``) against the scalar
reference engine: the same downtime intervals, figures and report, Decimal for Decimal."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis import target as seek

from accord import BusinessCalendar, load_agreement
from accord.core.agreement.model import Exclusions, Service
from accord.core.availability import MaintenanceWindow, Outage, OutageIndex, availability
from accord.core.clocks import calendars_of
from accord.core.composition import service_availability
from accord.core.judging import availability_of, span_of
from accord.core.report import ClockCache, Data, evaluate

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WINDOWS = {
    "24x7": BusinessCalendar.always_open(),
    "berlin-office": BusinessCalendar.from_spec(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": "08:00-18:00"},
            "holidays": {"country": "DE"},
        }
    ),
    "new-york": BusinessCalendar.from_spec(
        {"timezone": "America/New_York", "hours": {"mon-fri": "09:00-17:00", "sat": "22:00-02:00"}}
    ),
}
NIGHTS = BusinessCalendar.from_spec(
    {"timezone": "Europe/Berlin", "hours": {"sat": "22:00-06:00", "wed": "01:00-05:00"}}
)
# February to April 2026: both DST changes (New York 8 March, Berlin 29 March) and three month
# ends inside it
FIRST = datetime(2026, 2, 1, tzinfo=UTC)
SPAN_MINUTES = 89 * 24 * 60
IMPACTS = [Decimal(1), Decimal("0.5"), Decimal("0.25"), Decimal("0.333"), Decimal(0)]
IMPACTS += [Decimal(1) / Decimal(3), Decimal("1.5"), Decimal("-0.2"), Decimal("0.50")]

# the days around Berlin's spring change (29 March), where many records crowd in half the runs
CROWD = (datetime(2026, 3, 27, tzinfo=UTC) - FIRST) // timedelta(minutes=1)
minutes = st.integers(0, SPAN_MINUTES) | st.integers(CROWD, CROWD + 4 * 24 * 60)
outages = st.builds(
    lambda service, start, length, impact, cause, name, still_open: Outage(
        service,
        FIRST + timedelta(minutes=start),
        None if still_open else FIRST + timedelta(minutes=start + length),
        impact,
        cause,
        name,
    ),
    st.sampled_from(["api", "api", "web"]),
    minutes,
    st.integers(1, 4000),
    st.sampled_from(IMPACTS),
    st.sampled_from(["provider", "customer", "third_party", "force_majeure"]),
    st.sampled_from(["", "", "INC-1", "INC-2", "INC-3"]),  # ids repeat: reasons tie
    st.sampled_from([False, False, False, True]),  # still open at the period's end
)
works = st.builds(
    lambda service, start, length, notice, name: MaintenanceWindow(
        service,
        FIRST + timedelta(minutes=start),
        FIRST + timedelta(minutes=start + length),
        None if notice is None else FIRST + timedelta(minutes=start - notice),
        name,
    ),
    st.sampled_from(["api", "web"]),
    minutes,
    st.integers(1, 900),
    st.none() | st.integers(0, 5 * 24 * 60),
    st.sampled_from(["", "CHG-1", "CHG-2"]),
)
exclusions = st.builds(
    lambda notice, allowance, counts_as, customer, third: Exclusions.model_validate(
        {
            "maintenance": {
                **({"notice": notice} if notice else {}),
                **({"allowance": allowance} if allowance else {}),
                "counts_as": counts_as,
            },
            "customer_caused": customer,
            "third_party": third,
        }
    ),
    st.sampled_from([None, "48h", "2 business days"]),
    st.sampled_from([None, "3h", "90m"]),
    st.sampled_from(["excluded", "down", "up"]),
    st.sampled_from(["excluded", "counted"]),
    st.sampled_from(["excluded", "counted"]),
)


def _period(first: int, length: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = (FIRST + timedelta(minutes=first)).astimezone(zone)
    return start, start + timedelta(minutes=length)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(outages, max_size=25),
    st.lists(works, max_size=6),
    exclusions,
    st.sampled_from(sorted(WINDOWS)),
    st.booleans(),
    minutes,
    st.integers(0, 45 * 24 * 60),
    st.sampled_from([BERLIN, NEW_YORK, UTC]),
    st.sampled_from([None, Decimal("99.9"), Decimal("99.5"), Decimal("97")]),
)
def test_columns_give_the_scalar_engines_intervals_and_figures(
    outage_list: list[Outage],
    work_list: list[MaintenanceWindow],
    rules: Exclusions,
    window_name: str,
    nights_only: bool,
    first: int,
    length: int,
    zone: ZoneInfo,
    target: Decimal | None,
) -> None:
    start, end = _period(first, length, zone)
    found = {
        engine: availability(
            "api",
            WINDOWS[window_name],
            start,
            end,
            outage_list,
            work_list,
            rules,
            target,
            NIGHTS if nights_only else None,
            engine,
        )
        for engine in ("columns", "scalar")
    }
    columns, scalar = found["columns"], found["scalar"]
    seek(float(len(scalar.intervals)), label="downtime intervals")  # crowded periods
    assert columns.intervals == scalar.intervals
    assert [d.weight.as_tuple() for d in columns.intervals] == [
        d.weight.as_tuple() for d in scalar.intervals
    ]
    assert (columns.window, columns.excluded) == (scalar.window, scalar.excluded)
    assert columns.downtime.as_tuple() == scalar.downtime.as_tuple()
    figures = ("percent", "met", "margin", "budget", "budget_left")
    for name in figures:
        mine, theirs = getattr(columns, name), getattr(scalar, name)
        assert mine == theirs, name
        if isinstance(mine, Decimal):
            assert str(mine) == str(theirs), name


def test_a_weight_written_two_ways_is_written_as_the_scalar_engine_writes_it() -> None:
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    pieces = [  # the same reason ("outage (provider)") and weight, written 0.50 and 0.5
        Outage("api", at + timedelta(hours=1), at + timedelta(hours=2), Decimal("0.50")),
        Outage("api", at, at + timedelta(hours=3), Decimal("0.5")),
    ]
    month = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    columns = availability("api", WINDOWS["24x7"], *month, pieces)
    scalar = availability("api", WINDOWS["24x7"], *month, pieces, engine="scalar")
    assert columns == scalar
    # one piece, written as the last stretch's heaviest (the second outage)
    assert [str(d.weight) for d in columns.intervals] == ["0.5"]
    assert str(columns.downtime) == str(scalar.downtime)


def test_ties_on_weight_are_broken_by_reason_as_the_scalar_engine_breaks_them() -> None:
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    pieces = [
        Outage("api", at, at + timedelta(hours=3), Decimal("0.5"), id="B"),
        Outage("api", at + timedelta(hours=1), at + timedelta(hours=2), Decimal("0.50"), id="A"),
        Outage("api", at + timedelta(hours=1), at + timedelta(hours=4), Decimal("0.5"), id="C"),
    ]
    month = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    columns = availability("api", WINDOWS["berlin-office"], *month, pieces)
    scalar = availability("api", WINDOWS["berlin-office"], *month, pieces, engine="scalar")
    assert columns == scalar
    # B until C starts, then C (the greater reason) to its end: two pieces, not three
    assert [d.item for d in columns.intervals] == ["B", "C"]


SAAS = load_agreement("examples/agreements/saas.yaml")
ECOMMERCE = load_agreement("examples/agreements/ecommerce.yaml")
SERVICES = {
    "saas": [s.id for s in SAAS.services] + ["elsewhere"],
    "ecommerce": [s.id for s in ECOMMERCE.services],
}


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["saas", "ecommerce"]),
    st.lists(st.tuples(st.integers(0, 3), outages), max_size=40),
    st.lists(st.tuples(st.integers(0, 3), works), max_size=6),
    st.integers(0, 2),
)
def test_a_report_judges_availability_alike_in_columns_and_by_the_scalar_engine(
    name: str,
    outage_list: list[tuple[int, Outage]],
    work_list: list[tuple[int, MaintenanceWindow]],
    month: int,
) -> None:
    agreement = SAAS if name == "saas" else ECOMMERCE
    services = SERVICES[name]
    data = Data(
        outages=tuple(replace(o, service=services[i % len(services)]) for i, o in outage_list),
        maintenance=tuple(replace(m, service=services[i % len(services)]) for i, m in work_list),
        observed=(FIRST, FIRST + timedelta(days=120)),
    )
    zone = BERLIN if month == 1 else NEW_YORK
    start = datetime(2026, 2 + month, 1, tzinfo=zone)
    end = datetime(2026, 3 + month, 1, tzinfo=zone)
    columns = evaluate(agreement, data, start, end)
    scalar = evaluate(agreement, data, start, end, engine="replay")
    assert columns.objectives == scalar.objectives
    for mine, theirs in zip(columns.objectives, scalar.objectives, strict=True):
        for figure in ("actual", "margin", "budget", "downtime", "met", "incidents"):
            assert str(getattr(mine, figure)) == str(getattr(theirs, figure)), figure
    assert columns.settlement == scalar.settlement
    assert columns.penalties == scalar.penalties
    assert columns.owed == scalar.owed


COMPOSED = {
    s.id: s
    for s in (
        Service.model_validate({"id": "api", "name": "api"}),
        Service.model_validate({"id": "web", "name": "web", "components": ["api"]}),
        Service.model_validate(
            {
                "id": "blend",
                "name": "blend",
                "components": ["api", "web"],
                "composition": "weighted",
                "weights": {"api": "0.3", "web": "0.7"},
            }
        ),
    )
}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(outages, max_size=20),
    st.lists(works, max_size=5),
    exclusions,
    st.sampled_from([(), ("api",), ("web",), ("blend",), ("api", "web")]),
    st.sampled_from(sorted(WINDOWS)),
    st.integers(0, SPAN_MINUTES),
    st.integers(0, 45 * 24 * 60),
)
def test_composed_services_alike_in_columns_and_by_the_scalar_engine(
    outage_list: list[Outage],
    work_list: list[MaintenanceWindow],
    rules: Exclusions,
    scope: tuple[str, ...],
    window_name: str,
    first: int,
    length: int,
) -> None:
    start, end = _period(first, length, BERLIN)
    found = [
        service_availability(
            COMPOSED,
            scope,
            WINDOWS[window_name],
            start,
            end,
            outage_list,
            work_list,
            rules,
            Decimal("99.5"),
            NIGHTS,
            engine,
        )
        for engine in ("columns", "scalar")
    ]
    seek(float(len(found[1].intervals)), label="downtime intervals")
    assert found[0] == found[1]
    assert (str(found[0].percent), found[0].incidents) == (
        str(found[1].percent),
        found[1].incidents,
    )


ISP = load_agreement("examples/agreements/isp.yaml")  # 25 EUR an hour beyond 8 h a year


@settings(max_examples=15, deadline=None)
@given(st.lists(outages, min_size=1, max_size=40), st.lists(works, max_size=4))
def test_a_trend_shares_the_years_downtime_and_owes_what_the_scalar_engine_owes(
    outage_list: list[Outage], work_list: list[MaintenanceWindow]
) -> None:
    data = Data(
        outages=tuple(replace(o, service="access") for o in outage_list),
        maintenance=tuple(replace(m, service="access") for m in work_list),
        observed=(FIRST + timedelta(days=3), FIRST + timedelta(days=100)),
    )
    months = [
        (datetime(2026, m, 1, tzinfo=BERLIN), datetime(2026, m + 1, 1, tzinfo=BERLIN))
        for m in range(2, 6)
    ]
    cache = ClockCache()
    trend = [evaluate(ISP, data, a, b, cache=cache) for a, b in months]
    alone = [evaluate(ISP, data, a, b, engine="replay") for a, b in months]
    for mine, theirs in zip(trend, alone, strict=True):
        assert mine.objectives == theirs.objectives
        assert mine.penalties == theirs.penalties
        assert mine.owed == theirs.owed


@settings(max_examples=100, deadline=None)
@given(st.lists(outages, max_size=30), st.integers(0, SPAN_MINUTES), st.integers(0, 3000))
def test_the_outage_index_picks_the_outages_overlapping_a_span(
    outage_list: list[Outage], first: int, length: int
) -> None:
    start, end = _period(first, length, NEW_YORK)
    expected = tuple(o for o in outage_list if o.start < end and (o.end is None or o.end > start))
    assert OutageIndex.of(outage_list).over(start, end) == expected
    # touching is not overlapping: an outage ending at the span's start is not in it
    if outage_list and outage_list[0].end is not None:
        touching = OutageIndex.of(outage_list[:1]).over(outage_list[0].end, end)
        assert touching == ()


def test_a_report_over_many_outages_judges_what_the_scalar_engine_counts_over_all_of_them() -> None:
    rng = random.Random(7)
    services = [s.id for s in SAAS.services]
    records = []
    for number in range(600):  # enough for the report to pick a span's outages by index
        begin = FIRST + timedelta(minutes=rng.randrange(SPAN_MINUTES))
        length = timedelta(minutes=rng.randrange(1, 300))
        still_open = rng.random() < 0.01
        weight = rng.choice(IMPACTS)
        records.append(
            Outage(
                rng.choice(services),
                begin,
                None if still_open else begin + length,
                weight,
                id=f"INC-{number}",
            )
        )
    data = Data(outages=tuple(records), observed=(FIRST, FIRST + timedelta(days=120)))
    start, end = datetime(2026, 3, 1, tzinfo=BERLIN), datetime(2026, 4, 1, tzinfo=BERLIN)
    judged = evaluate(SAAS, data, start, end).objectives
    objective = SAAS.objective("availability")
    found = availability_of(SAAS, objective, data, calendars_of(SAAS), start, end, "scalar")
    result = next(o for o in judged if o.objective == "availability")
    assert result.actual == found.percent
    assert result.downtime == span_of(found.downtime)
    assert result.incidents == found.incidents.count
    assert len(result.breaches) == sum(1 for d in found.intervals if d.business > timedelta(0))
