"""Where a period is projected to end: an availability objective's downtime at the pace so
far against the whole period's budget (and when that budget runs out), and the best share a
ticket objective can still end at."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.core.availability import Outage
from accord.core.burn import projection, ticket_projection
from accord.core.clocks import calendars_of
from accord.core.judging import ObjectiveResult, TicketCounts
from accord.core.report import Data, evaluate
from accord.core.series import budget_burn

AGREEMENT = load_agreement(
    """
id: cloud
version: "1"
overview: {title: Cloud}
services: [{id: api, name: API}]
objectives:
  - {id: availability, metric: availability, scope: {service: [api]}, target: 99.9%,
     calendar: 24x7}
"""
)
WINDOW = calendars_of(AGREEMENT)["24x7"]
START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)


def _judged(outages: list[tuple[int, int]], as_of: datetime) -> ObjectiveResult:
    """The availability result of December judged to date at ``as_of``, with outages given
    as (minute of the month they begin, minutes long)."""
    data = Data(
        outages=tuple(
            Outage(
                "api", START + timedelta(minutes=a), START + timedelta(minutes=a + n), id=f"o{i}"
            )
            for i, (a, n) in enumerate(outages)
        ),
        observed=(START, as_of),
    )
    found = evaluate(AGREEMENT, data, START, END, as_of=as_of, strict=False)
    return found.objectives[0]


def test_twenty_minutes_in_nine_and_a_half_days_spend_december_s_budget_before_its_end() -> None:
    now = START + timedelta(days=9, hours=12)
    result = _judged([(7 * 1440 + 600, 20)], now)
    ahead = projection(result, WINDOW, END)
    assert ahead is not None
    # 99.9% of 31 days allows 44 min 38.4 s; at 20 min per 9.5 days, 31 days cost 65 min 16 s
    assert ahead.budget == timedelta(minutes=44, seconds=38.4)
    assert abs(ahead.downtime - timedelta(seconds=20 * 60 * 31 / 9.5)) <= timedelta(milliseconds=1)
    assert not ahead.met
    assert ahead.left == ahead.budget - ahead.downtime
    # the 24 min 38.4 s left last 24.64 / 20 * 9.5 days more at that pace
    expected = now + timedelta(days=24.64 / 20 * 9.5)
    assert ahead.exhausted_at is not None
    assert abs(ahead.exhausted_at - expected) <= timedelta(milliseconds=1)


def test_a_budget_already_spent_ran_out_during_the_outage_that_spent_it() -> None:
    now = START + timedelta(days=10)
    result = _judged([(1440, 30), (3 * 1440, 60)], now)
    ahead = projection(result, WINDOW, END)
    assert ahead is not None
    assert ahead.exhausted_at is not None
    # the whole month's 44 min 38.4 s: 30 min in the first outage, 14 min 38.4 s in the second
    assert ahead.exhausted_at == START + timedelta(days=3, minutes=14, seconds=38.4)


def test_a_period_without_downtime_keeps_its_whole_budget() -> None:
    result = _judged([], START + timedelta(days=5))
    ahead = projection(result, WINDOW, END)
    assert ahead is not None
    assert ahead.downtime == timedelta(0)
    assert ahead.exhausted_at is None
    assert ahead.met


@settings(max_examples=40, deadline=None)
@given(
    outages=st.lists(st.tuples(st.integers(0, 20 * 1440), st.integers(1, 240)), max_size=5),
    day=st.integers(1, 30),
    minute=st.integers(0, 1439),
)
def test_the_projection_extrapolates_the_downtime_at_the_pace_so_far(
    outages: list[tuple[int, int]], day: int, minute: int
) -> None:
    now = START + timedelta(days=day, minutes=minute)
    result = _judged(outages, now)
    ahead = projection(result, WINDOW, END)
    assert ahead is not None
    assert result.downtime is not None
    burn = budget_burn(result, WINDOW, END)
    assert burn is not None
    # the same whole-period budget the report's burn-down draws
    assert abs(ahead.budget - timedelta(microseconds=int(burn.budget))) <= US
    judged = now - START
    exact = result.downtime * ((END - START) / judged)
    assert abs(ahead.downtime - exact) <= timedelta(milliseconds=1)
    assert ahead.met == (ahead.downtime <= ahead.budget)
    if result.downtime > ahead.budget:  # spent already: during an outage before now
        assert ahead.exhausted_at is not None
        assert ahead.exhausted_at <= now
        assert any(b.start <= ahead.exhausted_at <= b.end for b in result.breaches if b.end)
    elif ahead.met:
        assert ahead.exhausted_at is None
    else:  # at the pace so far, the budget left is spent between now and the end
        assert ahead.exhausted_at is not None
        assert now <= ahead.exhausted_at <= END
        spent = result.downtime * ((ahead.exhausted_at - START) / judged)
        assert abs(spent - ahead.budget) <= timedelta(milliseconds=1)


def _counts(met: int, breached: int, open_: int, open_breached: int, count_in: str) -> TicketCounts:
    return TicketCounts(
        count_in,  # type: ignore[arg-type]
        met,
        breached,
        open_,
        open_breached,
        0,
        START,
        Decimal("0.75"),
    )


def _ticket_result(counts: TicketCounts) -> ObjectiveResult:
    blank = ObjectiveResult("resolution", "Resolution", "resolution", "90%", None, None, None, "")
    total = counts.met + counts.breached
    actual = Decimal(counts.met) * 100 / total if total else None
    return replace(blank, actual=actual, tickets=counts, status="to date")


def test_open_tickets_past_their_deadline_count_as_breached_in_the_projection() -> None:
    # 8 met, 1 breached, 3 open of which 1 is past its deadline: at best 10 of 12
    best = ticket_projection(_ticket_result(_counts(8, 1, 3, 1, "resolved")), Decimal(90))
    assert best is not None
    assert best.actual == Decimal(10) * 100 / 12
    assert best.met is False
    # counted by creation, the open breached one is among the breached already
    best = ticket_projection(_ticket_result(_counts(8, 2, 3, 1, "created")), Decimal(80))
    assert best is not None
    assert best.actual == Decimal(10) * 100 / 12
    assert best.met is True


@given(
    met=st.integers(0, 50),
    breached=st.integers(0, 50),
    count_in=st.sampled_from(["resolved", "created"]),
)
def test_without_open_tickets_the_projection_is_the_figure_so_far(
    met: int, breached: int, count_in: str
) -> None:
    result = _ticket_result(_counts(met, breached, 0, 0, count_in))
    best = ticket_projection(result, Decimal(90))
    if met + breached == 0:
        assert best is None
    else:
        assert best is not None
        assert best.actual == result.actual
        assert best.met == (result.actual is not None and result.actual >= 90)
