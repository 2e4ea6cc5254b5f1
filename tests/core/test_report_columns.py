"""Reports judged on the column engine's table (counts, figures, open and at-risk tickets,
breaches) against reports judged clock by clock on the replay's clocks: the same in every field."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.cli import parse_period
from accord.core import judging
from accord.core.agreement import Agreement
from accord.core.agreement.model import Remedies
from accord.core.clocks import TicketEvent
from accord.core.clocks_batch import BatchResult
from accord.core.evidence import Data
from accord.core.report import ClockCache, Report, evaluate
from accord.io.data import read_data
from tests.core.test_clocks import DESK, histories, ny
from tests.core.test_clocks_batch import _log
from tests.core.test_examples import AGREEMENTS, DATA, EXAMPLES, Example


def _without_engine(report: Report) -> Report:
    """The report without the account of which engine ran (the one field that differs)."""
    return dataclasses.replace(report, clocks=None)


def _desk(count_in: list[str]) -> Agreement:
    """The desk agreement with each objective counted where its verdict was reached or where
    its clock started, as drawn."""
    objectives = [
        o.model_copy(update={"count_in": c})
        for o, c in zip(DESK.objectives, count_in, strict=False)
    ]
    return DESK.model_copy(update={"objectives": objectives})


def _columns_only(agreement: Agreement, data: Data, *args: object, **kwargs: object) -> Report:
    """The report on the column engine, judged without a clock object (a clock object asked
    for would fail the test: the column path is the one that ran)."""
    with patch.object(BatchResult, "clocks", side_effect=AssertionError("clock objects built")):
        return evaluate(agreement, data, *args, engine="columns", **kwargs)  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(histories(), min_size=1, max_size=6),
    st.lists(st.sampled_from(["resolved", "created"]), min_size=5, max_size=5),
    st.integers(0, 40),
    st.sampled_from([1, 7, 31]),
    st.one_of(st.none(), st.integers(0, 60 * 24 * 40)),
)
def test_a_report_in_columns_equals_the_replay_on_random_logs(
    tickets: list[list[TicketEvent]],
    count_in: list[str],
    first_day: int,
    days: int,
    minutes: int | None,
) -> None:
    agreement = _desk(count_in)
    data = Data(tickets=tuple(_log(tickets)))
    start = ny(2026, 3, 1) + timedelta(days=first_day)
    end = start + timedelta(days=days)
    as_of = None if minutes is None else ny(2026, 3, 1) + timedelta(minutes=minutes)
    replay = evaluate(agreement, data, start, end, as_of=as_of, engine="replay")
    columns = _columns_only(agreement, data, start, end, as_of=as_of)
    assert _without_engine(columns) == _without_engine(replay)
    assert columns.clocks is None or columns.clocks.engine == "columns"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.agreement for e in EXAMPLES])
@pytest.mark.parametrize("at_end_of_evidence", [False, True])
def test_every_example_report_is_the_same_on_both_engines(
    example: Example, at_end_of_evidence: bool
) -> None:
    agreement = load_agreement(AGREEMENTS / example.agreement)
    data = read_data(DATA / example.data)
    span = data.span()
    as_of = span[1] if at_end_of_evidence and span is not None else None
    start, end = parse_period("2026-10", example.zone)
    replay = evaluate(agreement, data, start, end, example.tier, as_of=as_of, engine="replay")
    found = evaluate(agreement, data, start, end, example.tier, as_of=as_of, engine="auto")
    assert _without_engine(found) == _without_engine(replay)


@pytest.mark.parametrize("by_mask", [0, 16])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(histories(), min_size=1, max_size=6),
    st.lists(st.sampled_from(["resolved", "created"]), min_size=5, max_size=5),
    st.one_of(st.none(), st.integers(0, 60 * 24 * 40)),
)
def test_a_trend_sharing_one_clock_cache_equals_each_report_on_its_own(
    by_mask: int, tickets: list[list[TicketEvent]], count_in: list[str], minutes: int | None
) -> None:
    """Weeks of a trend judged with one cache (columns built once, clocks at each instant once)
    are the reports each judged alone on the replay; the clocks of each week picked by a mask
    over their instants or from them sorted (after as many spans as ``by_mask``)."""
    agreement = _desk(count_in)
    data = Data(tickets=tuple(_log(tickets)))
    as_of = None if minutes is None else ny(2026, 3, 1) + timedelta(minutes=minutes)
    weeks = [
        (ny(2026, 3, 1) + timedelta(days=7 * n), ny(2026, 3, 8) + timedelta(days=7 * n))
        for n in range(5)
    ]
    cache = ClockCache()
    with patch.object(judging, "_SPANS_BY_MASK", by_mask):
        shared = [evaluate(agreement, data, a, b, as_of=as_of, cache=cache) for a, b in weeks]
    alone = [evaluate(agreement, data, a, b, as_of=as_of, engine="replay") for a, b in weeks]
    assert [_without_engine(r) for r in shared] == [_without_engine(r) for r in alone]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(histories(), min_size=1, max_size=6),
    st.lists(st.sampled_from(["resolved", "created"]), min_size=5, max_size=5),
    st.integers(0, 24),
    st.sampled_from([1, 3, 7]),
    st.one_of(st.none(), st.integers(-60 * 24, 60 * 24 * 30)),
)
def test_open_tickets_and_termination_months_in_columns_equal_the_replay(
    tickets: list[list[TicketEvent]],
    count_in: list[str],
    first_day: int,
    days: int,
    minutes: int | None,
) -> None:
    """The tickets still open at a period's end, and in the months a termination clause looks
    back on (each month with its own end), counted on the column engine from the tickets that
    may be open then: the replay's report, judged before, inside or after the period (tickets
    reopened or stopped after its end)."""
    remedies = Remedies.model_validate(
        {"termination": {"after_misses": 1, "within": "rolling 60 days"}}
    )
    agreement = _desk(count_in).model_copy(update={"remedies": remedies})
    data = Data(tickets=tuple(_log(tickets)))
    start = ny(2026, 3, 1) + timedelta(days=first_day)
    end = start + timedelta(days=days)
    as_of = None if minutes is None else start + timedelta(minutes=minutes)
    replay = evaluate(agreement, data, start, end, as_of=as_of, engine="replay")
    columns = _columns_only(agreement, data, start, end, as_of=as_of)
    assert _without_engine(columns) == _without_engine(replay)
