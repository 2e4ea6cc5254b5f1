"""The open month of an availability objective judged by probes, judged to date, reads as one
judged by time on the same outages: the least the month ends at, over the WHOLE month's window
(the maintenance announced for the rest of the month left out of it), its budget, and what is
left of it to spare, are the month's, not the elapsed part's scaled up by the calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.core.agreement.model import Agreement
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.burn import projection
from accord.core.calendar import BusinessCalendar
from accord.core.clocks import calendars_of
from accord.core.evidence import Probe
from accord.core.judging import ObjectiveResult
from accord.core.report import Data, evaluate
from accord.core.series import budget_burn
from accord.render.report import report_markdown
from tests.core.test_open_month import TEXT as MONTHLY

# December's agreement with the credits of tests/core/test_open_month.py, maintenance announced
# 48 hours ahead excluded, measured in time or by probes in 5-minute slices
TEXT = MONTHLY.replace("calendar: 24x7}", "calendar: 24x7METHOD}") + (
    "exclusions:\n  maintenance: {notice: 48h, counts_as: excluded}\n"
)
assert "METHOD" in TEXT
BY_TIME = load_agreement(TEXT.replace("METHOD", ""))
BY_PROBES = load_agreement(TEXT.replace("METHOD", ", method: slices, slice: 5m"))
START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
STEP = 5  # minutes: a slice, and a probe in each, half way through it
STEPS = (END - START) // timedelta(minutes=STEP)  # 8928 slices in December


def _minutes(step: int) -> datetime:
    return START + timedelta(minutes=step * STEP)


def _data(
    outages: list[tuple[int, int]],
    works: list[tuple[int, int]],
    now: int,
    leads: list[int] | None = None,
) -> Data:
    """December as known after ``now`` slices: outages (first slice, slices long) before
    then, the probes of those slices (down in an outage), and maintenance (first slice, slices
    long). Without ``leads``, only the maintenance in the rest of the month, announced then
    (with the 48 hours' notice the agreement asks for, or not); with them, maintenance
    anywhere, each announced its lead (slices) before it starts (or at ``now``, when that is
    later: announced later is not known yet), the service down while it lasts (its probes
    fail, whether the agreement excuses it or not)."""
    down = [(a, min(a + n, now)) for a, n in outages if a < now]
    announced = [
        (a, n, _minutes(now) if leads is None else min(_minutes(a - lead), _minutes(now)))
        for (a, n), lead in zip(works, leads or [0] * len(works), strict=True)
        if leads is not None or a >= now
    ]
    failing = down + [(a, min(a + n, now)) for a, n, _ in announced if leads is not None]
    return Data(
        outages=tuple(
            Outage("api", _minutes(a), _minutes(b), id=f"o{i}") for i, (a, b) in enumerate(down)
        ),
        maintenance=tuple(
            MaintenanceWindow(
                "api", _minutes(a), _minutes(min(a + n, STEPS)), announced_at=at, id=f"m{i}"
            )
            for i, (a, n, at) in enumerate(announced)
        ),
        probes=tuple(
            Probe(
                "api",
                _minutes(step) + timedelta(minutes=STEP / 2),
                not any(a <= step < b for a, b in failing),
            )
            for step in range(now)
        ),
        observed=(START, END),
    )


def _judged(agreement: Agreement, data: Data, now: int) -> ObjectiveResult:
    found = evaluate(
        agreement, data, START, END, "standard", as_of=_minutes(now), strict=False
    ).objectives[0]
    assert found.status == "to date"
    return found


def _window(agreement: Agreement) -> BusinessCalendar:
    return calendars_of(agreement)["24x7"]


# the same with an allowance of 3 hours of maintenance a month: beyond it, ordinary downtime
ALLOWED = "maintenance: {notice: 48h, allowance: 3h, counts_as: excluded}"
BY_TIME_ALLOWED = load_agreement(
    TEXT.replace("METHOD", "").replace("maintenance: {notice: 48h, counts_as: excluded}", ALLOWED)
)
BY_PROBES_ALLOWED = load_agreement(
    TEXT.replace("METHOD", ", method: slices, slice: 5m").replace(
        "maintenance: {notice: 48h, counts_as: excluded}", ALLOWED
    )
)
NOTICE = 48 * 60 // STEP  # the notice the agreement asks for, in slices


@settings(max_examples=40, deadline=None)
@given(
    outages=st.lists(st.tuples(st.integers(0, STEPS - 1), st.integers(1, 40)), max_size=4),
    works=st.lists(
        # maintenance anywhere in the month, announced in time or not (a lead in slices)
        st.tuples(
            st.integers(0, STEPS - 1),
            st.integers(1, 60),
            st.sampled_from([0, 1, NOTICE - 1, NOTICE, 3 * NOTICE]),
        ),
        max_size=3,
    ),
    now=st.integers(1, STEPS - 1),
    allowance=st.booleans(),
)
def test_probes_agree_with_time_on_the_same_outages_to_date(
    outages: list[tuple[int, int]], works: list[tuple[int, int, int]], now: int, allowance: bool
) -> None:
    data = _data(outages, [(a, n) for a, n, _ in works], now, [lead for _, _, lead in works])
    by_time = _judged(BY_TIME_ALLOWED if allowance else BY_TIME, data, now)
    by_probes = _judged(BY_PROBES_ALLOWED if allowance else BY_PROBES, data, now)
    assert by_probes.downtime == by_time.downtime
    assert by_probes.pace == by_time.pace  # the figure over the part elapsed
    # the least the month ends at, judged against the month's budget, announced work left out
    assert by_probes.actual == by_time.actual
    assert by_probes.met == by_time.met
    assert by_probes.margin == by_time.margin
    assert by_probes.period_budget is not None
    assert by_probes.period_budget == by_time.period_budget
    assert by_probes.budget_left == by_time.budget_left  # the month's allowance to spare
    # the forecast and the burn-down picture draw the same budget
    ahead = projection(by_probes, _window(BY_PROBES), END)
    assert ahead is not None
    assert ahead.budget == by_time.period_budget
    burn = budget_burn(by_probes, _window(BY_PROBES), END)
    assert burn is not None
    assert burn.budget == Decimal(by_time.period_budget // timedelta(microseconds=1))


def test_maintenance_announced_for_the_rest_of_the_month_shrinks_its_budget() -> None:
    # 10 minutes down on 1 December, judged on the 7th; 24 hours of work announced for the
    # 20th: December's window is 31 days less that day, and 99.9% of it allows 43 min 12 s
    now = 6 * 24 * 60 // STEP
    work = 19 * 24 * 60 // STEP
    data = _data([(120, 2)], [(work, 24 * 60 // STEP)], now)
    found = _judged(BY_PROBES, data, now)
    assert found.period_budget == timedelta(minutes=43, seconds=12)
    assert found.downtime == timedelta(minutes=10)
    assert found.budget_left == timedelta(minutes=33, seconds=12)
    assert found.actual == Decimal(30 * 1440 - 10) / (30 * 1440) * 100
    assert found.pace == Decimal(6 * 1440 - 10) / (6 * 1440) * 100
    ahead = projection(found, _window(BY_PROBES), END)
    assert ahead is not None
    assert ahead.budget == timedelta(minutes=43, seconds=12)  # not 31 days' 44 min 38 s
    # the report says the month's allowance is what is left to spare, not the six days'
    report = evaluate(BY_PROBES, data, START, END, "standard", as_of=_minutes(now), strict=False)
    text = report_markdown(report)
    assert "at least 99.977% available by the period's end" in text
    assert "33 min 12 s of allowed downtime to spare" in text
    assert "43 min 12 s of downtime allowed, 10 min used" in text


def test_a_closed_month_by_probes_is_judged_whole() -> None:
    data = _data([(120, 2)], [], STEPS)
    found = evaluate(BY_PROBES, data, START, END, "standard", strict=False).objectives[0]
    assert found.status == "final"
    assert found.pace is None
    assert found.period_budget is None
    assert found.actual == Decimal(STEPS - 2) / STEPS * 100
    assert replace(found).verdict_budget == found.budget
