"""A terminated agreement (``Agreement.terminated``, set by the service from its history) is in
force up to the termination instant and not after it, wherever the span in force is asked:
the reports' span, the periods a watch judges, and the month's judgement of an objective."""

from __future__ import annotations

from datetime import UTC, date, datetime

from accord.core.agreement.model import Agreement
from accord.core.periods import in_force, in_force_span

DESK = Agreement.model_validate(
    {
        "id": "desk",
        "version": "1",
        "overview": {"title": "Desk"},
        "effective": {"start": date(2026, 1, 1)},
    }
)
ENDS = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
APRIL = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
FEBRUARY = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))


def test_the_span_in_force_stops_at_the_termination_instant() -> None:
    ended = DESK.model_copy(update={"terminated": ENDS})
    assert in_force_span(DESK, *MARCH) == MARCH
    assert in_force_span(ended, *MARCH) == (MARCH[0], ENDS)
    assert in_force_span(ended, *FEBRUARY) == FEBRUARY  # before it: untouched
    first, last = in_force_span(ended, *APRIL)
    assert last <= first  # after it: nothing in force


def test_a_period_from_the_termination_on_is_not_in_force() -> None:
    effective = DESK.effective
    assert in_force(effective, *MARCH, terminated=ENDS)
    assert in_force(effective, *FEBRUARY, terminated=ENDS)
    assert not in_force(effective, *APRIL, terminated=ENDS)
    assert not in_force(effective, ENDS, APRIL[0], terminated=ENDS)
    assert in_force(effective, *APRIL)  # without a termination: in force


def test_an_agreement_that_renews_by_itself_stays_in_force_past_its_end_until_terminated() -> None:
    """ "Renews automatically for successive terms unless either party gives notice": a term
    ending on 28 February does not end the agreement; only a termination does (no notice is
    known to Accord but as a termination). One that does not renew by itself ends there."""
    for renewal, after_end in (("automatic", True), ("manual", False), ("none", False)):
        effective = {"start": date(2026, 1, 1), "end": date(2026, 2, 28), "renewal": renewal}
        desk = DESK.model_copy(update={"effective": DESK.effective.model_copy(update=effective)})
        assert in_force(desk.effective, *FEBRUARY)
        assert in_force(desk.effective, *MARCH) is after_end, renewal
        first, last = in_force_span(desk, *MARCH)
        assert (last > first) is after_end, renewal
        ended = desk.model_copy(update={"terminated": ENDS})
        assert in_force_span(ended, *MARCH) == (
            (MARCH[0], ENDS) if after_end else (MARCH[0], MARCH[0])
        )
        assert not in_force(ended.effective, *APRIL, terminated=ENDS)
