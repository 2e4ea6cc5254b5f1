"""An open clock judged at an instant (core.timer): the one rule behind Home, the console, the
Tickets page and the reports' open-ticket counts. Properties of the rule itself, and a
differential check against the clock engine: a clock computed earlier and advanced to now
is judged as the engine judges the same ticket replayed to now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.core.clocks import TicketEvent, calendars_of, ticket_clocks
from accord.core.judging import warning_share
from accord.core.timer import at_risk_count, judge, of_clock

OFFICE = """
id: office
version: "1"
overview: {title: Office desk}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
effective: {start: 2026-01-01}
calendars:
  office: {timezone: Europe/Paris, hours: {mon-fri: "09:00-17:00"}}
objectives:
  - id: resolution
    metric: resolution
    within: 6h
    target: 90%
    calendar: office
    clock:
      pause: [{when: {status: [Waiting on customer]}, reason: customer}]
      stop: {status: [Resolved]}
escalation:
  - objectives: [resolution]
    levels:
      - {at: 60%, notify: [lead@us.example], channels: [webhook]}
"""
AGREEMENT = load_agreement(OFFICE)
CALENDAR = calendars_of(AGREEMENT)["office"]
SHARE = warning_share(AGREEMENT, AGREEMENT.objectives[0])
OPENED = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # a Monday, 09:30 in Paris
MICRO = timedelta(microseconds=1)
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)

spans = st.integers(min_value=0, max_value=10**12).map(lambda n: n * MICRO)
targets = st.integers(min_value=1, max_value=10**12).map(lambda n: n * MICRO)
shares = st.integers(min_value=1, max_value=99).map(lambda n: Decimal(n) / 100)
open_states = st.sampled_from(["running", "paused"])


def test_the_warning_share_is_the_agreements_earliest_warning() -> None:
    assert Decimal("0.6") == SHARE


@given(open_states, spans, targets, shares)
def test_breached_exactly_when_more_than_the_target_is_used(
    state: str, used: timedelta, target: timedelta, share: Decimal
) -> None:
    judged = judge(state, used, target, share, NOW)
    assert judged.breached == (used > target)
    assert judged.left == target - used
    assert judged.over == (used - target if used > target else None)


@given(open_states, spans, targets, shares)
def test_at_risk_exactly_when_the_time_left_is_within_the_warning_and_not_breached(
    state: str, used: timedelta, target: timedelta, share: Decimal
) -> None:
    judged = judge(state, used, target, share, NOW)
    left = Decimal((target - used) // MICRO)
    threshold = (1 - share) * Decimal(target // MICRO)  # the time left when warned
    assert judged.at_risk == (left <= threshold and used <= target)
    assert not (judged.at_risk and judged.breached)
    if not judged.at_risk and not judged.breached:
        assert judged.verdict == "running"


@given(spans, targets, shares, st.sampled_from(["met", "cancelled"]))
def test_a_stopped_clock_is_neither_at_risk_nor_open(
    used: timedelta, target: timedelta, share: Decimal, state: str
) -> None:
    judged = judge(state, used, target, share, NOW)
    assert judged.verdict == state
    assert not judged.open


@given(spans, shares)
def test_no_target_never_at_risk_nor_breached(used: timedelta, share: Decimal) -> None:
    judged = judge("running", used, None, share, NOW)
    assert (judged.verdict, judged.left) == ("running", None)


def test_a_paused_clock_says_why_and_counts_no_time() -> None:
    later = NOW + timedelta(hours=3)
    judged = judge(
        "paused",
        timedelta(hours=1),
        timedelta(hours=6),
        SHARE,
        later,
        computed_at=NOW,
        calendar=CALENDAR,
        reason="customer",
    )
    assert (judged.paused, judged.reason, judged.used) == (True, "customer", timedelta(hours=1))


@settings(deadline=None, max_examples=60)
@given(
    st.integers(min_value=0, max_value=14 * 24 * 60),
    st.integers(min_value=0, max_value=14 * 24 * 60),
    st.one_of(st.none(), st.integers(min_value=1, max_value=3 * 24 * 60)),
)
def test_a_clock_advanced_to_now_is_judged_as_the_engine_replays_it(
    computed_after: int, later: int, paused_after: int | None
) -> None:
    """Differential: the clock as computed at ``computed`` (what the store keeps), judged at
    ``now`` on its calendar, agrees with the engine's clock replayed to ``now``: used time,
    at risk, breached; and it is breached only after the clock's own deadline."""
    events = [TicketEvent("e1", "T", OPENED, "created", {"status": "New"}, None)]
    if paused_after is not None:
        events.append(
            TicketEvent(
                "e2",
                "T",
                OPENED + timedelta(minutes=paused_after),
                "updated",
                {"status": "Waiting on customer"},
                None,
            )
        )
    computed = OPENED + timedelta(minutes=computed_after)
    now = computed + timedelta(minutes=later)
    if paused_after is not None and computed < OPENED + timedelta(minutes=paused_after) <= now:
        return  # an event between the two instants: the stored clock is recomputed then
    objectives = AGREEMENT.objectives
    calendars = calendars_of(AGREEMENT)
    then = ticket_clocks(events, objectives, calendars, computed)[0]
    replayed = ticket_clocks(events, objectives, calendars, now)[0]
    advanced = judge(
        then.state,
        then.used,
        then.target,
        SHARE,
        now,
        running=then.deadline is not None,
        computed_at=computed,
        calendar=CALENDAR,
    )
    engine = of_clock(replayed, SHARE)
    assert (advanced.verdict, advanced.used, advanced.running) == (
        engine.verdict,
        engine.used,
        engine.running,
    )
    if advanced.breached and then.deadline is not None and not then.breached_at:
        assert now > then.deadline  # never before the clock's own breach instant
    if then.deadline is not None and now <= then.deadline:
        assert not advanced.breached
    if replayed.breached_at is not None:
        assert advanced.breached


_STATES = ("not_started", "running", "paused", "met", "breached", "cancelled")


@example(clocks=[("running", 0, 0)], share=Decimal(1) / 3)  # a denominator of 10**28
@settings(max_examples=300, deadline=None)
@given(
    clocks=st.lists(
        st.tuples(
            st.sampled_from(_STATES),
            st.integers(-(10**6), 10**15) | st.integers(-(2**62), 2**62),
            st.integers(-(10**6), 10**15) | st.integers(-(2**62), 2**62),
        ),
        max_size=40,
    ),
    share=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.999"), places=3)
    | st.sampled_from([Decimal("0.75"), Decimal("0.5"), Decimal("0.9"), Decimal("1") / 3]),
)
def test_the_at_risk_count_of_columns_is_judge_s_count_clock_by_clock(
    clocks: list[tuple[str, int, int]], share: Decimal
) -> None:
    """The reports count open clocks at risk from the column engine's table in one pass
    (used and target in nanoseconds): the same count as judging each clock (exact decimals,
    to the microsecond, huge durations included)."""
    states = [s for s, _, _ in clocks]
    used = np.array([u for _, u, _ in clocks], dtype=np.int64)
    target = np.array([t for _, _, t in clocks], dtype=np.int64)
    settled = np.array([s in ("met", "breached", "cancelled") for s in states], dtype=bool)
    expected = sum(
        judge(
            state,
            timedelta(microseconds=u // 1000),
            timedelta(microseconds=t // 1000),
            share,
            datetime(2026, 3, 2, tzinfo=UTC),
        ).at_risk
        for state, u, t in clocks
    )
    assert at_risk_count(settled, used, target, share) == expected
