"""Availability from probes and requests, burn rates, fixed penalties, claim deadlines and the
termination right."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord import BusinessCalendar, load_agreement
from accord.core.agreement.model import Agreement, Claim, Penalty
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.credits import claim_deadline, penalty
from accord.core.errors import SpecError
from accord.core.periods import period_bounds
from accord.core.report import Data, TerminationRight, evaluate
from accord.core.slices import (
    burn_alerts,
    burn_rate,
    occurrences,
    ratio_slices,
    slice_availability,
    slice_availability_many,
)
from accord.io.data import read_data
from accord.render.report import report_html, report_json, report_markdown

DAY = (datetime(2026, 4, 14, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC))  # 1,440 minutes


def probes(
    minutes_down: set[int], missing: set[int] = frozenset()
) -> tuple[np.ndarray, np.ndarray]:
    """Two probes a minute (at :00 and :30) over the day; both fail in the minutes down."""
    at, ok = [], []
    for minute in range(1440):
        if minute in missing:
            continue
        for second in (0, 30):
            at.append(np.datetime64("2026-04-14T00:00") + np.timedelta64(minute * 60 + second, "s"))
            ok.append(minute not in minutes_down)
    return np.array(at, dtype="datetime64[ns]"), np.array(ok)


def test_bad_slices_count_as_down() -> None:
    at, ok = probes(set(range(100, 130)))
    result = slice_availability(at, ok, *DAY)
    assert (result.good, result.bad, result.counted, result.down) == (1410, 30, 1440, 30)
    assert result.percent == Decimal(1410) / Decimal(1440) * 100
    assert result.downtime == timedelta(minutes=30)


def test_a_slice_with_half_its_probes_failing_against_a_threshold() -> None:
    at, ok = probes(set())
    ok[::2][:10] = False  # the :00 probe fails in the first 10 minutes
    assert slice_availability(at, ok, *DAY).bad == 10  # 100% of probes must pass by default
    assert slice_availability(at, ok, *DAY, threshold=Decimal(50)).bad == 0


@pytest.mark.parametrize(
    ("unknown", "counted", "down"), [("excluded", 1380, 0), ("up", 1440, 0), ("down", 1440, 60)]
)
def test_slices_without_data_are_never_silently_up(unknown: str, counted: int, down: int) -> None:
    at, ok = probes(set(), missing=set(range(600, 660)))
    result = slice_availability(at, ok, *DAY, unknown=unknown)  # type: ignore[arg-type]
    assert (result.unknown, result.counted, result.down) == (60, counted, down)


def test_only_runs_of_consecutive_bad_slices_count_when_asked() -> None:
    at, ok = probes({10, 11, 12, 13, 14, 50, 51, 90})
    assert slice_availability(at, ok, *DAY, bad_run=5).down == 5
    assert slice_availability(at, ok, *DAY, bad_run=2).down == 7


def test_only_slices_in_the_window_count() -> None:
    prime = BusinessCalendar.from_spec({"timezone": "UTC", "hours": {"daily": "08:00-18:00"}})
    at, ok = probes(set(range(0, 60)) | set(range(600, 610)))  # 00:00-01:00 and 10:00-10:10
    result = slice_availability(at, ok, *DAY, window=prime)
    assert (result.counted, result.down) == (600, 10)


def test_occurrences_and_ratio_slices() -> None:
    assert occurrences(999, 1000) == Decimal("99.9")
    assert occurrences(0, 0) == 100
    with pytest.raises(ValueError, match="good <= total"):
        occurrences(5, 4)
    # S3: the mean of five-minute error rates, not the overall ratio
    assert ratio_slices([90, 1000], [100, 1000]) == Decimal(95)
    assert ratio_slices([0], [0]) == 100


def test_burn_rates_and_the_workbook_alerts() -> None:
    assert burn_rate(999, 1000, Decimal("99.9")) == 1  # spending exactly the budget
    assert burn_rate(980, 1000, Decimal("99.9")) == 20
    now = datetime(2026, 4, 14, 12, tzinfo=UTC)
    minutes = np.arange(-72 * 60, 0)
    at = (np.datetime64("2026-04-14T12:00") + minutes.astype("timedelta64[m]")).astype(
        "datetime64[ns]"
    )
    total = np.full(len(minutes), 1000)
    good = np.where(minutes >= -30, 970, 1000)  # 3% errors for the last half hour
    alerts = burn_alerts(at, good, total, now, Decimal("99.9"))
    fast, medium, slow = alerts
    assert fast[3] == 15
    assert fast[4] == 30
    assert fast[5] is True
    assert medium[4] == 30
    assert medium[5] is False
    assert slow[3] < 1
    assert slow[5] is False  # 3 days at 0.21x: the slow alert needs both windows at 1x or more


def test_isp_over_its_annual_downtime_threshold() -> None:
    rule = Penalty.model_validate(
        {
            "objective": "availability",
            "amount": {"amount": "50", "currency": "EUR"},
            "per": "hour",
            "beyond": "8h",
            "period": "year",
        }
    )
    amount, reason = penalty(rule, timedelta(hours=12, minutes=30))
    assert amount == Decimal("225.00")
    assert "12h30m of downtime, 8h allowed a year: 4.5 hour(s) over at 50 EUR" in reason
    assert penalty(rule, timedelta(hours=7))[0] == 0


def test_claim_deadlines() -> None:
    end_of_october = datetime(2026, 11, 1, tzinfo=UTC)
    assert claim_deadline(Claim.model_validate({"window": "30d"}), end_of_october) == datetime(
        2026, 12, 1, tzinfo=UTC
    )
    assert claim_deadline(Claim.model_validate({"billing_cycles": 2}), end_of_october) == datetime(
        2027, 1, 1, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("threshold", "unknown", "bad_run", "windowed", "length", "chunk", "order"),
    [
        (Decimal(100), "excluded", 1, False, 1, None, "shuffled"),
        (Decimal(50), "down", 1, True, 1, 1000, "shuffled"),
        (Decimal("66.7"), "up", 3, True, 5, None, "shuffled"),
        (Decimal(100), "down", 4, False, 2, 4096, "shuffled"),
        (Decimal(101), "excluded", 1, False, 1, None, "shuffled"),
        (Decimal(100), "excluded", 1, False, 1, 1000, "sorted"),
        (Decimal(50), "down", 2, True, 1, 1000, "half sorted"),
    ],
)
def test_many_services_equal_one_at_a_time(
    threshold: Decimal,
    unknown: str,
    bad_run: int,
    windowed: bool,
    length: int,
    chunk: int | None,
    order: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Random probes of five services, shuffled, some outside the period, with failure bursts
    and gaps: the column-wise table equals ``slice_availability`` service by service (also
    when its samples are taken in several steps, and sorted by service and time, so that
    steps are counted where they are, or half sorted, so that both ways meet)."""
    from accord.core import slices

    if chunk is not None:
        monkeypatch.setattr(slices, "_CHUNK", chunk)
    rng = np.random.default_rng(int(threshold) + bad_run)
    services = ["a", "b", "c", "d", "e"]
    samples = 30_000
    code = rng.integers(0, len(services) - 1, samples)  # "e" has no sample at all
    start = np.datetime64("2026-04-13T22:00", "ns")
    at = start + rng.integers(0, 28 * 3600 * 10**9, samples).astype("timedelta64[ns]")
    minute = (at - start).astype("timedelta64[m]").astype(np.int64)
    ok = (rng.random(samples) < 0.97) & ~((minute % 97 < 16) & (code == minute // 97 % 4))
    gap = (minute % 151 < 9) & (code == 1)
    code, at, ok = code[~gap], at[~gap], ok[~gap]
    if order != "shuffled":
        inside = (at >= np.datetime64(DAY[0].replace(tzinfo=None), "ns")) & (
            at < np.datetime64(DAY[1].replace(tzinfo=None), "ns")
        )
        code, at, ok = code[inside], at[inside], ok[inside]  # sorted input is in the period
        sorted_ = np.lexsort((at, code))
        if order == "half sorted":
            sorted_[len(sorted_) // 2 :] = rng.permutation(sorted_[len(sorted_) // 2 :])
        code, at, ok = code[sorted_], at[sorted_], ok[sorted_]
    window = (
        BusinessCalendar.from_spec({"timezone": "Europe/Berlin", "hours": {"daily": "08:00-20:00"}})
        if windowed
        else None
    )
    options = {
        "window": window,
        "slice_length": timedelta(minutes=length),
        "threshold": threshold,
        "unknown": unknown,
        "bad_run": bad_run,
    }
    table = slice_availability_many(services, code, at, ok, *DAY, **options)  # type: ignore[arg-type]
    for index in range(len(services)):
        mine = code == index
        one = slice_availability(at[mine], ok[mine], *DAY, **options)  # type: ignore[arg-type]
        assert table.result(index) == one, services[index]
    assert table.result(4).good == 0


# ---------------------------------------------------------------- penalties in the report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ISP = (EXAMPLES / "agreements" / "isp.yaml").read_text()


PER_INCIDENT = (
    "  penalties:\n"
    "    - {objective: availability, amount: {amount: '25.00', currency: EUR}, per: incident}\n"
)


def _isp(penalties: str) -> Agreement:
    start = ISP.index("  penalties:")
    stop = ISP.index("  claim:", start)
    return load_agreement(ISP[:start] + penalties + ISP[stop:])


def _outage(month: int, hours: int, day: int = 9) -> Outage:
    at = datetime(2026, month, day, 6, tzinfo=UTC)
    return Outage("access", at, at + timedelta(hours=hours), id=f"FB-{month}-{day}")


def _owed(agreement: Agreement, data: Data, period: str) -> Decimal:
    report = evaluate(agreement, data, *period_bounds(period, "UTC"))
    return sum((amount for amount, _ in report.penalties), Decimal(0))


def test_an_annual_threshold_charges_each_month_only_the_hours_it_added() -> None:
    """5 h in March, 5 h in July, 2 h in October: 12 h in the year, 4 h over the 8 allowed."""
    isp = load_agreement(ISP)
    data = Data(outages=(_outage(3, 5), _outage(7, 5), _outage(10, 2)))
    months = {f"2026-{m:02d}": _owed(isp, data, f"2026-{m:02d}") for m in range(1, 13)}
    assert months["2026-03"] == 0  # 5 h of 8
    assert months["2026-07"] == Decimal("50.00")  # 10 h: 2 h over
    assert months["2026-10"] == Decimal("50.00")  # 12 h: 2 more over
    assert sum(months.values()) == Decimal("100.00") == _owed(isp, data, "2026")
    assert _owed(isp, data, "2026-Q3") == Decimal("50.00")
    report = evaluate(isp, data, *period_bounds("2026-10", "UTC"))
    [(_, reason)] = report.penalties
    assert "12h of downtime (10h of it before this period), 8h allowed a year" in reason
    # the next year starts afresh
    assert _owed(isp, Data(outages=(_outage(3, 5), _outage(7, 5))), "2027-07") == 0


def test_a_monthly_threshold_over_a_quarter_is_charged_month_by_month() -> None:
    monthly = _isp(
        "  penalties:\n    - objective: availability\n      amount: {amount: '10.00', "
        "currency: EUR}\n      per: hour\n      beyond: 2h\n      period: month\n"
    )
    data = Data(outages=(_outage(10, 3), _outage(11, 1), _outage(12, 5)))
    report = evaluate(monthly, data, *period_bounds("2026-Q4", "UTC"))
    assert [amount for amount, _ in report.penalties] == [Decimal(10), Decimal(0), Decimal(30)]
    assert report.penalties[0][1].startswith("2026-10-01 to 2026-11-01: availability: 3h")


def test_penalties_per_incident_and_per_miss() -> None:
    both = _isp(
        "  penalties:\n"
        "    - {objective: availability, amount: {amount: '15.00', currency: EUR}, per: incident}\n"
        "    - {objective: download-speed, amount: {amount: '40.00', currency: EUR}, per: miss}\n"
        "    - {objective: availability, amount: {amount: '40.00', currency: EUR}, per: miss}\n"
    )
    # two incidents in October, 99.5% missed (14 h down); the speed is met (no measurement)
    data = Data(outages=(_outage(10, 9, day=9), _outage(10, 5, day=20)))
    report = evaluate(both, data, *period_bounds("2026-10", "UTC"))
    (incident, reason), (speed, _), (miss, why) = report.penalties
    assert (incident, speed, miss) == (Decimal("30.00"), 0, Decimal("40.00"))
    assert reason == "availability: 2 incidents at 15.00 EUR = 30.00 EUR"
    assert why == "availability: 1 miss at 40.00 EUR = 40.00 EUR (2026-10)"
    quiet = evaluate(both, Data(), *period_bounds("2026-10", "UTC"))
    assert sum(amount for amount, _ in quiet.penalties) == 0


def test_a_penalty_on_a_common_metric_is_charged_to_each_provider_on_its_own_figures() -> None:
    text = (EXAMPLES / "agreements" / "two-vendors.yaml").read_text()
    text = text.replace(
        "remedies:\n",
        "remedies:\n  penalties:\n    - objective: fix-time\n"
        "      amount: {amount: '500.00', currency: GBP}\n      per: incident\n",
        1,
    )
    report = evaluate(
        load_agreement(text),
        read_data(EXAMPLES / "data" / "field-support-2026-10"),
        *period_bounds("2026-10", "UTC"),
    )
    assert report.penalties == (
        (
            Decimal(0),
            "FixFast Field Services Ltd: fix-time: 0 breached tickets at 500.00 GBP = 0.00 GBP",
        ),
        (
            Decimal("500.00"),
            "TechForce Services Ltd: fix-time: 1 breached ticket at 500.00 GBP = 500.00 GBP",
        ),
    )


def test_a_penalty_per_hour_needs_downtime_and_a_calendar_period() -> None:
    with pytest.raises(SpecError) as caught:
        _isp(
            "  penalties:\n"
            "    - {objective: fault-repair, amount: {amount: '1', currency: EUR}, per: hour}\n"
            "    - {objective: availability, amount: {amount: '1', currency: EUR},"
            " period: rolling 30 days}\n"
        )
    message = str(caught.value)
    assert "penalties[0].per" in message
    assert "a penalty per hour counts downtime, but fault-repair is measured by" in message
    assert "penalties[1].period" in message


# ---------------------------------------------------------------- the termination right


def test_three_missed_months_in_a_year_give_the_right_to_terminate() -> None:
    """Availability (99.5% a month) missed in February, May and October: the third miss in the
    calendar year reaches the clause's three; the next year counts afresh."""
    isp = load_agreement(ISP)
    data = Data(outages=(_outage(2, 9), _outage(5, 9), _outage(10, 9)))

    def right(period: str) -> TerminationRight:
        [found] = evaluate(isp, data, *period_bounds(period, "UTC")).termination
        return found

    may, october = right("2026-05"), right("2026-10")
    assert may.misses == ("availability 2026-02", "availability 2026-05")
    assert may.triggered is False
    assert october.misses == (
        "availability 2026-02",
        "availability 2026-05",
        "availability 2026-10",
    )
    assert october.triggered is True
    assert october.text.endswith("3 give the right to terminate: reached")
    assert right("2027-02").misses == ()
    report = evaluate(isp, data, *period_bounds("2026-10", "UTC"))
    assert report_json(report)["termination"][0]["triggered"] is True
    # the span's days as people write them, the last one the day before its exclusive end
    assert "**3 misses from 1 Feb 2026 to 31 Oct 2026 (year)" in report_markdown(report)
    assert 'data-triggered="yes"' in report_html(report)


def test_a_rolling_span_counts_the_periods_that_end_within_it() -> None:
    rolling = load_agreement(ISP.replace("    within: year\n", "    within: rolling 90 days\n"))
    data = Data(outages=(_outage(2, 9), _outage(8, 9), _outage(10, 9)))
    [found] = evaluate(rolling, data, *period_bounds("2026-10", "UTC")).termination
    # August ends on 1 September, inside the 90 days before 1 November; February does not
    assert found.misses == ("availability 2026-08", "availability 2026-10")
    assert found.since == datetime(2026, 8, 3, tzinfo=UTC)


def test_each_provider_is_counted_on_its_own_misses() -> None:
    report = evaluate(
        load_agreement(EXAMPLES / "agreements" / "two-vendors.yaml"),
        read_data(EXAMPLES / "data" / "field-support-2026-10"),
        *period_bounds("2026-10", "UTC"),
    )
    together, fixfast, techforce = report.termination
    assert (together.provider, len(together.misses)) == (None, 2)
    assert (fixfast.provider, fixfast.misses) == ("FixFast Field Services Ltd", ())
    assert techforce.misses == ("engineer-on-site 2026-10", "fix-time 2026-10")


def _works(months: Iterable[int], hours: int) -> Data:
    """Maintenance on the 10th of each month from 01:00, announced on the 1st (9 days ahead,
    the ISP agreement's notice being 7)."""
    return Data(
        maintenance=tuple(
            MaintenanceWindow(
                "access",
                datetime(2026, month, 10, 1, tzinfo=UTC),
                datetime(2026, month, 10, 1 + hours, tzinfo=UTC),
                announced_at=datetime(2026, month, 1, tzinfo=UTC),
                id=f"M{month}",
            )
            for month in months
        )
    )


def test_maintenance_within_each_months_allowance_costs_no_penalty_all_year() -> None:
    """3 hours of announced maintenance every month, within the 4-hour monthly allowance:
    excluded from every month, so it is never downtime against the yearly threshold."""
    isp = load_agreement(ISP)
    data = _works(range(1, 13), hours=3)
    assert _owed(isp, data, "2026") == 0
    assert all(_owed(isp, data, f"2026-{m:02d}") == 0 for m in range(1, 13))


def test_an_incident_over_the_turn_of_a_month_is_charged_in_the_month_it_began() -> None:
    per_incident = _isp(PER_INCIDENT)
    night = datetime(2026, 9, 30, 23, tzinfo=UTC)
    data = Data(outages=(Outage("access", night, night + timedelta(hours=2), id="X"),))
    assert _owed(per_incident, data, "2026-09") == Decimal("25.00")
    assert _owed(per_incident, data, "2026-10") == 0
    assert _owed(per_incident, data, "2026") == Decimal("25.00")


def test_a_penalty_per_incident_needs_incidents_to_count() -> None:
    probed = ISP.replace(
        '    source: line-probe\n    target: "99.5%"',
        '    source: line-probe\n    method: slices\n    target: "99.5%"',
    )
    assert "method: slices" in probed
    start = probed.index("  penalties:")
    stop = probed.index("  claim:", start)
    text = (
        probed[:start]
        + "  penalties:\n"
        + "    - {objective: availability, amount: {amount: '1', currency: EUR}, per: incident}\n"
        + probed[stop:]
    )
    with pytest.raises(SpecError) as caught:
        load_agreement(text)
    assert (
        "a penalty per incident counts incidents of downtime or breached tickets, but "
        "availability is measured by slices" in str(caught.value)
    )


def test_misses_before_the_agreement_took_effect_do_not_count() -> None:
    later = load_agreement(ISP.replace("  start: 2026-02-01\n", "  start: 2026-09-01\n"))
    data = Data(outages=(_outage(2, 9), _outage(5, 9), _outage(10, 9)))
    [found] = evaluate(later, data, *period_bounds("2026-10", "UTC")).termination
    assert found.misses == ("availability 2026-10",)


def test_downtime_before_the_agreement_took_effect_costs_nothing() -> None:
    """The ISP agreement is in force from 1 February: January's 10 hours do not count toward
    the year's 8 free hours, so March's 5 hours cost nothing either."""
    isp = load_agreement(ISP)
    data = Data(outages=(_outage(1, 10), _outage(3, 5)))
    assert [_owed(isp, data, p) for p in ("2026", "2026-Q1", "2026-01", "2026-03")] == [0] * 4


def test_maintenance_within_each_months_allowance_is_no_incident() -> None:
    per_incident = _isp(PER_INCIDENT)
    assert _owed(per_incident, _works(range(2, 13), hours=3), "2026") == 0


def test_an_incident_over_the_turn_of_the_year_is_charged_once() -> None:
    per_incident = _isp(PER_INCIDENT)
    night = datetime(2026, 12, 31, 23, tzinfo=UTC)
    data = Data(outages=(Outage("access", night, night + timedelta(hours=2), id="NY"),))
    assert _owed(per_incident, data, "2026-12") == Decimal("25.00")
    assert _owed(per_incident, data, "2027-01") == 0


def test_a_monthly_penalty_on_a_quarterly_objective_sees_the_quarters_allowance_used() -> None:
    """Availability judged by quarter, with 4 hours of maintenance allowed a quarter; a penalty
    of 25 EUR an hour beyond 1 hour a month. 4 hours of works in each of April, May and June:
    April's are within the allowance, May's and June's are downtime (3 hours over each)."""
    quarterly = load_agreement(
        ISP.replace(
            '    target: "99.5%"\n    period: month\n', '    target: "99.5%"\n    period: quarter\n'
        ).replace(
            "      beyond: 8h\n      period: year\n", "      beyond: 1h\n      period: month\n"
        )
    )
    works = _works((4, 5, 6), hours=4)
    assert [_owed(quarterly, works, f"2026-{m:02d}") for m in (4, 5, 6)] == [
        0,
        Decimal("75.00"),
        Decimal("75.00"),
    ]


def test_an_incident_begins_at_its_first_business_time() -> None:
    """On the field-service calendar (closed on Saturday evening and Sunday), an outage from
    Saturday 31 October 20:00 to Monday 2 November 09:00, Berlin, has all its business time in
    November: it is November's incident, and the quarter's."""
    month = '    target: "99.5%"\n    period: month\n'
    text = ISP.replace(month + "    calendar: 24x7\n", month + "    calendar: field-service\n")
    assert "calendar: field-service\n" in text.split("id: availability")[1].split("- id:")[0]
    start = text.index("  penalties:")
    stop = text.index("  claim:", start)
    per_incident = load_agreement(
        text[:start]
        + "  penalties:\n    - {objective: availability, per: incident,\n"
        + "       amount: {amount: '25.00', currency: EUR}}\n"
        + text[stop:]
    )
    berlin = ZoneInfo("Europe/Berlin")
    outage = Outage(
        "access",
        datetime(2026, 10, 31, 20, tzinfo=berlin),
        datetime(2026, 11, 2, 9, tzinfo=berlin),
        id="W",
    )
    data = Data(outages=(outage,))

    def owed(period: str) -> Decimal:
        report = evaluate(per_incident, data, *period_bounds(period, "Europe/Berlin"))
        return sum((amount for amount, _ in report.penalties), Decimal(0))

    assert [owed("2026-10"), owed("2026-11"), owed("2026-Q4")] == [
        0,
        Decimal("25.00"),
        Decimal("25.00"),
    ]


def test_an_incident_running_into_the_agreements_start_is_its_first() -> None:
    per_incident = _isp(PER_INCIDENT)
    eve = datetime(2026, 1, 31, 22, tzinfo=UTC)  # the agreement starts on 1 February
    data = Data(outages=(Outage("access", eve, eve + timedelta(hours=4), id="E"),))
    assert [_owed(per_incident, data, p) for p in ("2026-01", "2026-02", "2026")] == [
        0,
        Decimal("25.00"),
        Decimal("25.00"),
    ]


@settings(max_examples=8, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(2, 12), st.integers(1, 28), st.integers(1, 900)),
        min_size=1,
        max_size=12,
    )
)
def test_the_months_penalties_add_up_to_the_years_to_the_cent(
    outages: list[tuple[int, int, int]],
) -> None:
    isp = load_agreement(ISP)
    data = Data(
        outages=tuple(
            Outage(
                "access",
                datetime(2026, month, day, 7, tzinfo=UTC),
                datetime(2026, month, day, 7, tzinfo=UTC) + timedelta(minutes=minutes),
                id=f"R{i}",
            )
            for i, (month, day, minutes) in enumerate(outages)
        )
    )
    months = sum((_owed(isp, data, f"2026-{m:02d}") for m in range(1, 13)), Decimal(0))
    assert months == _owed(isp, data, "2026")
