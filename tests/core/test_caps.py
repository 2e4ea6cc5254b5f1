"""Rounding of per-hour penalties and caps and floors on remedies, from contract wording.

Each case states the clause and works its arithmetic out in comments before asking Accord."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from accord import load_agreement
from accord.core.agreement.model import Agreement, Limit, Money
from accord.core.availability import Outage
from accord.core.caps import apply_limits, grid
from accord.core.periods import period_bounds
from accord.core.report import Data, Report, evaluate, evidence_since
from accord.render.agreement import to_markdown
from accord.render.report import report_html, report_json, report_markdown, report_terminal

ISP = (Path(__file__).resolve().parents[2] / "examples" / "agreements" / "isp.yaml").read_text()


def _isp(penalties: str, limits: str = "") -> Agreement:
    """The ISP example with other penalties (and limits across remedies)."""
    start = ISP.index("  penalties:")
    stop = ISP.index("  claim:", start)
    return load_agreement(ISP[:start] + penalties + limits + ISP[stop:])


def _outage(month: int, minutes: int, day: int = 9) -> Outage:
    at = datetime(2026, month, day, 6, tzinfo=UTC)
    return Outage("access", at, at + timedelta(minutes=minutes), id=f"FB-{month}-{day}")


def _report(agreement: Agreement, data: Data, period: str) -> Report:
    return evaluate(agreement, data, *period_bounds(period, "UTC"))


def _credits(agreement: Agreement, data: Data, period: str) -> Decimal:
    settled = _report(agreement, data, period).settlement
    return Decimal(0) if settled is None else settled.amount


def _through_the_year(outages: list[tuple[int, int]]) -> Data:
    """Outages starting at 20:00 on days of 2026 (0: 1 January), lasting minutes each."""
    new_year = datetime(2026, 1, 1, 20, tzinfo=UTC)
    return Data(
        outages=tuple(
            Outage(
                "access",
                new_year + timedelta(days=day),
                new_year + timedelta(days=day, minutes=minutes),
                id=f"R{i}",
            )
            for i, (day, minutes) in enumerate(outages)
        )
    )


def _owed(agreement: Agreement, data: Data, period: str) -> Decimal:
    report = _report(agreement, data, period)
    return sum((amount for amount, _ in (*report.penalties, *report.limits)), Decimal(0))


# "50 EUR per started hour of downtime beyond 8 hours a year; penalties never exceed 250 EUR a
# year."
STARTED_CAPPED = (
    "  penalties:\n"
    "    - objective: availability\n"
    "      amount: {amount: '50.00', currency: EUR}\n"
    "      per: hour\n"
    "      beyond: 8h\n"
    "      rounding: per started hour\n"
    "      limits: [{per: year, at_most: {amount: 250, currency: EUR}}]\n"
)
# 8 h in March (the threshold, nothing over), 1 h 30 m in June (1 h 30 m over), 1 h in
# September (2 h 30 m over), 3 h in November (5 h 30 m over: five and a half hours)
ISSUE = Data(outages=(_outage(3, 480), _outage(6, 90), _outage(9, 60), _outage(11, 180)))


def test_started_hours_under_a_yearly_cap_owe_the_issues_figures() -> None:
    # started hours over the threshold, the year to date, and what each month adds:
    #   June:      1.5 h over -> 2 started hours -> 100 EUR; 100 so far
    #   September: 2.5 h over -> 3 started hours -> 150 EUR; 50 more
    #   November:  5.5 h over -> 6 started hours -> 300 EUR; 150 more, but the cap of 250 a
    #              year leaves 250 - 150 = 100
    #   the year:  100 + 50 + 100 = 250 (the cap), not 300
    agreement = _isp(STARTED_CAPPED)
    months = {m: _owed(agreement, ISSUE, f"2026-{m:02d}") for m in range(1, 13)}
    assert {m: a for m, a in months.items() if a} == {
        6: Decimal("100.00"),
        9: Decimal("50.00"),
        11: Decimal("100.00"),
    }
    assert _owed(agreement, ISSUE, "2026") == Decimal("250.00") == sum(months.values())
    assert _owed(agreement, ISSUE, "2026-Q4") == Decimal("100.00")
    [(_, reason)] = _report(agreement, ISSUE, "2026-11").penalties
    assert "counted per started hour: 5.5 hour(s) over the threshold" in reason
    assert "make 6 hour(s), 3 of them owed before this period" in reason
    assert "capped at 250 EUR a year (2026)" in reason
    assert "2026-06 100.00 + 2026-09 50.00 + 2026-11 150.00 = 300.00 EUR" in reason
    assert "so 100.00 EUR in this period instead of 150.00" in reason


def test_full_hours_count_only_whole_hours_over_the_threshold() -> None:
    # "50 EUR per full hour beyond 8 hours a year": 1.5 h over by June is 1 full hour (50);
    # 2.5 h by September is 2 (50 more); 5.5 h by November is 5 (150 more): 250 for the year,
    # against 275 pro rata
    full = _isp(STARTED_CAPPED.replace("started", "full").replace("limits", "# limits"))
    months = [_owed(full, ISSUE, f"2026-{m:02d}") for m in range(1, 13)]
    assert months[5] == months[8] == Decimal("50.00")
    assert months[10] == Decimal("150.00")
    assert _owed(full, ISSUE, "2026") == Decimal("250.00") == sum(months)


def test_pro_rata_is_the_default_and_says_no_rounding() -> None:
    # 5.5 h over at 50 EUR = 275 EUR, in exact hours
    exact = _isp(
        STARTED_CAPPED.replace("      rounding: per started hour\n", "").split("      limits")[0]
    )
    assert _owed(exact, ISSUE, "2026") == Decimal("275.00")
    [(_, reason)] = _report(exact, ISSUE, "2026").penalties
    assert "counted" not in reason


def test_a_monthly_cap_on_incidents_and_a_floor() -> None:
    # "15 EUR per incident, at most 30 EUR a month; each month with a charge costs at least
    # 20 EUR": three incidents in October (45, capped to 30), one in November (15, raised to
    # 20), none in December (nothing: a floor does not charge a quiet month)
    agreement = _isp(
        "  penalties:\n"
        "    - objective: availability\n"
        "      amount: {amount: '15.00', currency: EUR}\n"
        "      per: incident\n"
        "      limits: [{per: month, at_most: {amount: 30, currency: EUR},\n"
        "                at_least: {amount: 20, currency: EUR}}]\n"
    )
    data = Data(
        outages=(
            _outage(10, 30, day=3),
            _outage(10, 30, day=9),
            _outage(10, 30, day=20),
            _outage(11, 30, day=9),
        )
    )
    assert _owed(agreement, data, "2026-10") == Decimal(30)
    assert _owed(agreement, data, "2026-11") == Decimal(20)
    assert _owed(agreement, data, "2026-12") == 0
    assert _owed(agreement, data, "2026-Q4") == Decimal(50)
    [(_, reason)] = _report(agreement, data, "2026-11").penalties
    assert "raised to the floor of 20 EUR a month (2026-11)" in reason


def test_penalties_capped_across_remedies_in_a_year() -> None:
    # "penalties never exceed 100 EUR a year", over two penalties of the agreement:
    # 25 EUR per hour beyond 8 h (June: 10 h, 2 h over: 50) and 40 EUR per missed month
    # (June: 10 h of 720 is 98.61%, missed: 40): 90 by June; November: 3 h more over (75),
    # 3 h of 720 is 99.58%, not missed: 165 by November, capped to 100: November owes 10,
    # 65 less than its 75
    agreement = _isp(
        "  penalties:\n"
        "    - {objective: availability, amount: {amount: '25.00', currency: EUR}, per: hour,"
        " beyond: 8h}\n"
        "    - {objective: availability, amount: {amount: '40.00', currency: EUR}, per: miss}\n",
        "  limits: [{per: year, of: penalties, at_most: {amount: 100, currency: EUR}}]\n",
    )
    data = Data(outages=(_outage(6, 600), _outage(11, 180)))
    assert _owed(agreement, data, "2026-06") == Decimal(90)
    november = _report(agreement, data, "2026-11")
    assert [a for a, _ in november.penalties] == [Decimal(75), 0]
    [(taken, reason)] = november.limits
    assert taken == Decimal(-65)
    assert reason.startswith("all penalties: capped at 100 EUR a year (2026)")
    assert _owed(agreement, data, "2026") == Decimal(100)
    assert sum(_owed(agreement, data, f"2026-{m:02d}") for m in range(1, 13)) == Decimal(100)


def test_service_credits_in_a_month_never_exceed_a_set_amount() -> None:
    # the fee is 89 EUR a month; 14 h down in October is 98.1% available: 25% of the fee,
    # 22.25 EUR; "service credits never exceed 15 EUR a month" takes 7.25 off
    agreement = _isp(
        "  penalties: []\n",
        "  limits: [{per: month, of: credits, at_most: {amount: 15, currency: EUR}}]\n",
    )
    report = _report(agreement, Data(outages=(_outage(10, 14 * 60),)), "2026-10")
    assert report.settlement is not None
    assert report.settlement.amount == Decimal("22.25")
    [(taken, reason)] = report.limits
    assert taken == Decimal("-7.25")
    assert "all service credits: capped at 15 EUR a month (2026-10)" in reason
    assert "owed without it 2026-10 22.25 = 22.25 EUR" in reason


def test_limits_across_remedies_are_in_every_output() -> None:
    agreement = _isp(
        "  penalties: []\n",
        "  limits: [{per: month, of: credits, at_most: {amount: 15, currency: EUR}}]\n",
    )
    report = _report(agreement, Data(outages=(_outage(10, 14 * 60),)), "2026-10")
    reason = report.limits[0][1]
    assert report_json(report)["limits"] == [{"amount": "-7.25", "reason": reason}]
    assert f"- -7.25: {reason}" in report_markdown(report)
    assert reason in report_html(report)
    screen = io.StringIO()
    Console(file=screen, width=1000).print(report_terminal(report))
    assert f"-7.25: {reason}" in screen.getvalue()
    # what the month costs in all, as a trial of the agreement counts it: 22.25 - 7.25
    assert report.owed == (Decimal("15.00"), "EUR")


# "Each incident costs 50 EUR per started hour of its downtime, at most 120 EUR an incident;
# the first 2 hours of downtime in a year are free."
EACH_INCIDENT = (
    "  penalties:\n"
    "    - objective: availability\n"
    "      amount: {amount: '50.00', currency: EUR}\n"
    "      per: hour\n"
    "      beyond: 2h\n"
    "      rounding: per started hour\n"
    "      rounding_of: incident\n"
    "      limits: [{per: incident, at_most: {amount: 120, currency: EUR}}]\n"
)


def test_each_incident_rounded_and_capped_on_its_own() -> None:
    # February: 1 h 30 m -> 2 started hours, all within the 2 free hours: nothing
    # May:      20 m     -> 1 started hour, 3 in the year, 1 over: 50
    # August:   3 h 10 m -> 4 started hours, all over: 200, capped at 120 an incident
    # the year: 0 + 50 + 120 = 170 (rounding the year's total instead: 5 h, 3 h over, 150)
    agreement = _isp(EACH_INCIDENT)
    data = Data(outages=(_outage(2, 90), _outage(5, 20), _outage(8, 190)))
    months = {m: _owed(agreement, data, f"2026-{m:02d}") for m in range(1, 13)}
    assert {m: a for m, a in months.items() if a} == {5: Decimal(50), 8: Decimal(120)}
    assert _owed(agreement, data, "2026") == Decimal(170) == sum(months.values())
    [(_, reason)] = _report(agreement, data, "2026-08").penalties
    assert reason == (
        "availability: incidents at 50.00 EUR per hour counted per started hour of each "
        "incident, 2h allowed a year: 2026-08-09 06:00 3h10m: 4 hour(s), 4 over = 200.00 EUR, "
        "capped at 120 EUR an incident = 120.00 EUR"
    )
    whole = _isp(
        EACH_INCIDENT.replace("      rounding_of: incident\n", "").split("      limits")[0]
    )
    assert _owed(whole, data, "2026") == Decimal(150)


def test_an_incident_over_the_turn_of_a_month_owes_in_each_what_it_added_there() -> None:
    # 10 EUR per started hour of each incident, nothing free: 23:00 on 31 October to 02:00 on
    # 1 November; by October's end 1 h (1 started hour, 10), by November's end 3 h (30): 20
    agreement = _isp(
        EACH_INCIDENT.replace("'50.00'", "'10.00'")
        .replace("      beyond: 2h\n", "")
        .split("      limits")[0]
    )
    at = datetime(2026, 10, 31, 23, tzinfo=UTC)
    data = Data(outages=(Outage("access", at, at + timedelta(hours=3), id="FB-1"),))
    assert _owed(agreement, data, "2026-10") == Decimal(10)
    assert _owed(agreement, data, "2026-11") == Decimal(20)
    assert _owed(agreement, data, "2026-Q4") == Decimal(30)


# ---------------------------------------------------------------- the arithmetic of limits

_MONTHS = grid(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), ["month"])
_CENTS = st.integers(0, 20_000).map(lambda cents: Decimal(cents) / 100)


@settings(max_examples=200, deadline=None)
@given(amounts=st.lists(_CENTS, min_size=12, max_size=12), cap=_CENTS, start=st.integers(0, 11))
def test_a_yearly_cap_is_never_exceeded_and_binds_exactly_when_the_sum_passes_it(
    amounts: list[Decimal], cap: Decimal, start: int
) -> None:
    limit = Limit(per="year", at_most=Money(amount=cap, currency="EUR"))
    limited = apply_limits(_MONTHS, amounts, [limit], _MONTHS[start][0], "x")
    assert sum(limited.amounts) == min(sum(amounts), cap)
    assert all(0 <= after <= before for after, before in zip(limited.amounts, amounts, strict=True))
    # consumed in order of periods: a month is cut only once the months before it used the cap
    for month, (after, before) in enumerate(zip(limited.amounts, amounts, strict=True)):
        if after < before:
            assert sum(limited.amounts[: month + 1]) == cap
    # a report from any month owes what the year owes from that month on, and says so when the
    # cap changed something there
    bound = limited.amounts[start:] != tuple(amounts[start:])
    assert bool(limited.reasons) == bound


@settings(max_examples=200, deadline=None)
@given(amounts=st.lists(_CENTS, min_size=12, max_size=12), floor=_CENTS)
def test_a_yearly_floor_raises_only_a_year_that_owes_something(
    amounts: list[Decimal], floor: Decimal
) -> None:
    limit = Limit(per="year", at_least=Money(amount=floor, currency="EUR"))
    limited = apply_limits(_MONTHS, amounts, [limit], _MONTHS[0][0], "x")
    total = sum(amounts, Decimal(0))
    assert sum(limited.amounts) == (max(total, floor) if total else 0)
    # raised in the month that ends the year only, and only when the sum is short of it
    assert limited.amounts[:11] == tuple(amounts[:11])
    assert bool(limited.reasons) == (0 < total < floor)


@settings(max_examples=100, deadline=None)
@given(amounts=st.lists(_CENTS, min_size=12, max_size=12), month=_CENTS, year=_CENTS)
def test_the_months_of_a_capped_year_add_up_to_the_year(
    amounts: list[Decimal], month: Decimal, year: Decimal
) -> None:
    limits = [
        Limit(per="year", at_most=Money(amount=year, currency="EUR")),
        Limit(per="month", at_most=Money(amount=month, currency="EUR")),
    ]
    whole = apply_limits(_MONTHS, amounts, limits, _MONTHS[0][0], "x").amounts
    for m in range(12):  # a report of month m owes its own piece of the year's pieces
        assert (
            apply_limits(_MONTHS[: m + 1], amounts[: m + 1], limits, _MONTHS[m][0], "x").amounts[m]
            == whole[m]
        )
    capped_months = [min(a, month) for a in amounts]
    assert sum(whole) == min(sum(capped_months), year)


@settings(max_examples=15, deadline=None)
@given(
    outages=st.lists(
        st.tuples(st.integers(1, 12), st.integers(1, 28), st.integers(1, 600)),
        max_size=6,
    )
)
def test_a_capped_rounded_penalty_s_months_add_up_to_its_year(
    outages: list[tuple[int, int, int]],
) -> None:
    # whatever the downtime, the twelve monthly reports owe what the year's report owes, which
    # is the uncapped year's figure up to the cap of 250
    data = Data(
        outages=tuple(
            replace(_outage(month, minutes, day), id=f"R{i}")
            for i, (month, day, minutes) in enumerate(outages)
        )
    )
    capped = _isp(STARTED_CAPPED)
    uncapped = _isp(STARTED_CAPPED.split("      limits")[0])
    year = _owed(capped, data, "2026")
    assert sum(_owed(capped, data, f"2026-{m:02d}") for m in range(1, 13)) == year
    assert year == min(_owed(uncapped, data, "2026"), Decimal(250))
    # the same cap across remedies, the credits too: the months add up to the year as well
    across = _isp(
        STARTED_CAPPED.split("      limits")[0],
        "  limits: [{per: year, at_most: {amount: 250, currency: EUR}}]\n",
    )
    year = _owed(across, data, "2026") + _credits(across, data, "2026")
    months = [
        _owed(across, data, f"2026-{m:02d}") + _credits(across, data, f"2026-{m:02d}")
        for m in range(1, 13)
    ]
    assert sum(months) == year <= 250


def test_a_month_s_report_reads_the_evidence_its_yearly_cap_looks_back_to() -> None:
    # November's share of a yearly cap depends on what January to October owed
    since = evidence_since(_isp(STARTED_CAPPED), *period_bounds("2026-11", "UTC"))
    assert since <= datetime(2026, 1, 1, tzinfo=UTC)
    across = _isp(
        "  penalties: []\n",
        "  limits: [{per: quarter, of: credits, at_most: {amount: 15, currency: EUR}}]\n",
    )
    assert evidence_since(across, *period_bounds("2026-11", "UTC")) <= datetime(
        2026, 10, 1, tzinfo=UTC
    )


@settings(max_examples=10, deadline=None)
@given(
    outages=st.lists(st.tuples(st.integers(0, 364), st.integers(1, 600)), max_size=5),
)
def test_incidents_rounded_and_capped_each_add_up_from_months_to_the_year(
    outages: list[tuple[int, int]],
) -> None:
    # incidents anywhere in the year, some over the turn of a month: the months owe the year
    data = _through_the_year(outages)
    agreement = _isp(EACH_INCIDENT)
    year = _owed(agreement, data, "2026")
    assert sum(_owed(agreement, data, f"2026-{m:02d}") for m in range(1, 13)) == year


def test_the_agreement_in_words_states_its_rounding_and_limits() -> None:
    agreement = _isp(
        EACH_INCIDENT,
        "  limits: [{per: year, of: penalties, at_most: {amount: 400, currency: EUR}}]\n",
    )
    lines = to_markdown(agreement).splitlines()
    assert (
        "- Penalty on `availability`: 50.00 EUR per started hour of each incident beyond 2h each "
        "year; at most 120 EUR an incident."
    ) in lines
    assert "- Penalties together: at most 400 EUR a year." in lines


def test_all_remedies_of_a_month_capped_together() -> None:
    # "credits and penalties together never exceed 100 EUR a month": 14 h down in October is
    # 98.06% available, 25% of the 89 EUR fee (22.25), and 6 h over the 8 h a year at 25 EUR
    # (150): 172.25 owed, 72.25 taken off
    agreement = _isp(
        ISP[ISP.index("  penalties:") : ISP.index("  claim:")],
        "  limits: [{per: month, at_most: {amount: 100, currency: EUR}}]\n",
    )
    report = _report(agreement, Data(outages=(_outage(10, 14 * 60),)), "2026-10")
    assert report.settlement is not None
    assert (report.settlement.amount, report.penalties[0][0]) == (Decimal("22.25"), Decimal(150))
    [(taken, reason)] = report.limits
    assert taken == Decimal("-72.25")
    assert reason.startswith("all remedies: capped at 100 EUR a month (2026-10)")


@settings(max_examples=15, deadline=None)
@given(
    outages=st.lists(st.tuples(st.integers(0, 364), st.integers(1, 600)), max_size=6),
    beyond=st.sampled_from(["0h", "2h", "8h"]),
)
def test_counted_incident_by_incident_the_hours_are_those_of_the_year(
    outages: list[tuple[int, int]], beyond: str
) -> None:
    # exact hours and a cap per incident no incident reaches: the incidents' amounts are the
    # year's hours over the threshold, each incident's rounded to the cent on its own
    data = _through_the_year(outages)
    total = (
        "  penalties:\n    - {objective: availability, amount: {amount: '33.33', currency: EUR}, "
        f"per: hour, beyond: {beyond}}}\n"
    )
    each = total[:-2] + ", limits: [{per: incident, at_most: {amount: 9999, currency: EUR}}]}\n"
    by_incident = _report(_isp(each), data, "2026").penalties
    # counted incident by incident (or not at all, without evidence for the objective)
    assert all(
        "incidents at 33.33 EUR per hour" in reason or "not charged" in reason
        for _, reason in by_incident
    )
    charged = sum((amount for amount, _ in by_incident), Decimal(0))
    assert abs(charged - _owed(_isp(total), data, "2026")) <= Decimal("0.01") * len(outages)
