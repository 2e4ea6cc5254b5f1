"""The portal's standing line of an open month judged by probes says what the month's own
report says: the least the month ends at ("at least"), and what is left of the WHOLE month's
budget, the maintenance announced for the rest of it left out (not the elapsed part's budget
scaled up by the calendar)."""

from __future__ import annotations

from datetime import timedelta

from accord.core.clocks import calendars_of
from accord.core.report import evaluate
from accord.render import words
from accord.render.standing import AVAILABILITY_LEGEND, _line, legend
from accord.service import standing
from tests.core.test_open_month_probes import BY_PROBES, END, START, STEP, _data, _minutes


def test_the_standing_line_of_a_month_by_probes_is_the_month_s() -> None:
    # 10 minutes down on 1 December, judged on the 7th; a day of work announced for the 20th
    now = 6 * 24 * 60 // STEP
    data = _data([(120, 2)], [(19 * 24 * 60 // STEP, 24 * 60 // STEP)], now)
    report = evaluate(BY_PROBES, data, START, END, "standard", as_of=_minutes(now), strict=False)
    (result,) = report.objectives
    found = standing._objective(BY_PROBES, report, result, calendars_of(BY_PROBES))
    assert found.budget == timedelta(minutes=43, seconds=12)  # 99.9% of 30 days, not 31
    assert found.budget_left == timedelta(minutes=33, seconds=12)
    assert found.attained == result.actual
    assert found.pace == result.pace
    line = _line(found, _minutes(now), START.tzinfo, words.ENGLISH)  # type: ignore[arg-type]
    assert line.attained == "at least 99.977%"
    assert line.verdict == "met so far"
    assert line.budget == "33 min 12 s of 43 min 12 s left"
    assert legend([found]) is not None
    assert AVAILABILITY_LEGEND.startswith("Availability measured in time or by probes")
