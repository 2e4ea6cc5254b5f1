"""Evidence read from a file and judged as of T (docs/periods.md, "As of an instant: one rule"):
a file holding records after T shows the log was being kept through T, so the span known at T
reaches T, as the service's does (it watched until then). A month begun after the last record
known at T, but by T, is judged, not "no data". A file ending before T says nothing of after
its end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.availability import Outage
from accord.core.clocks import TicketEvent
from accord.core.periods import enclosing
from accord.core.report import Data, Report, evaluate
from tests.core.test_projection import AGREEMENT

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _log(outages: list[tuple[int, int]]) -> Data:
    """An outage log as a file gives it, no span declared: (minute after 1 November each
    begins, minutes long)."""
    return Data(
        outages=tuple(
            Outage(
                "api",
                NOVEMBER + timedelta(minutes=h),
                NOVEMBER + timedelta(minutes=h + m),
                id=f"o{i}",
            )
            for i, (h, m) in enumerate(outages)
        )
    )


def _judged(data: Data, moment: datetime) -> Report:
    start, end = enclosing(moment, "month")
    return evaluate(AGREEMENT, data, start, end, as_of=moment, strict=False)


def _figures(report: Report) -> list[tuple[object, ...]]:
    return [(o.status, o.actual, o.downtime, o.budget, o.met) for o in report.objectives]


def test_a_month_begun_after_the_last_record_known_is_judged_when_the_file_goes_on() -> None:
    """Outages on 3 November and 10 December, judged as of 5 December: December began after
    the last outage known then, but the file goes on past 5 December, so the log was kept
    through it: December to date is up (it read "no data")."""
    data = _log([(50 * 60, 30), (39 * 24 * 60, 20)])
    moment = datetime(2026, 12, 5, tzinfo=UTC)
    assert data.known_at(moment).span() == (NOVEMBER + timedelta(hours=50), moment)
    (availability,) = _judged(data, moment).objectives
    assert availability.status == "to date"
    assert availability.actual == 100
    assert availability.met is True


def test_a_file_ending_before_the_instant_says_nothing_of_after_its_end() -> None:
    """The same log without its December outage ends on 3 November: December, judged as of 5
    December, is "no data" (nothing says the log was kept after its end)."""
    data = _log([(50 * 60, 30)])
    moment = datetime(2026, 12, 5, tzinfo=UTC)
    last = NOVEMBER + timedelta(hours=50, minutes=30)
    assert data.known_at(moment).span() == (NOVEMBER + timedelta(hours=50), last)
    (availability,) = _judged(data, moment).objectives
    assert availability.status == "no data"


def test_a_ticket_log_kept_through_the_instant_is_not_an_outage_log() -> None:
    """A ticket log going on after T reaches T, but it holds no outage: availability is still
    not judged from it (no outage log is not a log without outages)."""
    events = (
        TicketEvent("e1", "T1", NOVEMBER, "created", {"status": "New"}),
        TicketEvent("e2", "T1", DECEMBER + timedelta(days=9), "resolved"),
    )
    data = Data(tickets=events)
    moment = datetime(2026, 12, 5, tzinfo=UTC)
    assert data.known_at(moment).span() == (NOVEMBER, moment)
    (availability,) = _judged(data, moment).objectives
    assert availability.status == "no data"
    assert availability.actual is None


@settings(max_examples=150, deadline=None)
@given(
    outages=st.lists(
        st.tuples(st.integers(0, 60 * 24 * 60), st.sampled_from([0, 1, 20, 45, 90, 24 * 60])),
        min_size=1,
        max_size=5,
    ),
    at=st.integers(0, 60 * 24 * 60),
    offset=st.sampled_from([0, 0, 1, -1]),
)
def test_a_file_judged_as_of_t_agrees_with_the_span_the_service_declares(
    outages: list[tuple[int, int]], at: int, offset: int
) -> None:
    """Differential: a file judged as of T gives the figures of the same records with the span
    the service declares (from the log's beginning to T, an event at T included), whenever
    the file holds a record after T; and its own span, to its last record, when it does
    not."""
    data = _log(outages)
    moment = NOVEMBER + timedelta(minutes=at) + offset * MICROSECOND
    span = data.span()
    assert span is not None
    if span[0] > moment:  # nothing known yet
        return
    if span[1] > moment:  # records after T: kept through T, as the service watched
        declared = replace(data, observed=(NOVEMBER, moment + MICROSECOND))
        assert _figures(_judged(data, moment)) == _figures(_judged(declared, moment))
    else:
        assert data.known_at(moment).span() == span
