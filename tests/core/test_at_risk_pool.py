"""The at-risk amount, its allocation over critical service levels, and earn-back, as IT
outsourcing contracts write them. Each case's figures are worked from the contract's words in
the comments before the assertions.

The contract (examples/agreements/it-outsourcing.yaml): "12% of the monthly fee of 100,000 EUR
is at risk (12,000 EUR). ERP carries 40% of it, the network 30%, hosting 20%, e-mail 20% and
telephony 10% (120% in all). A missed critical service level costs the at-risk amount times
its allocation; a month never costs more than the at-risk amount. A credit is earned back when
the same service level is met in the three months after the miss."
Targets: ERP 99.7%, network 99.9%, hosting 99.95%, e-mail 99.5%, telephony 99.5%, monthly.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from accord import load_agreement
from accord.core.agreement import Agreement
from accord.core.agreement.model import AtRisk
from accord.core.availability import Outage
from accord.core.errors import SpecError
from accord.core.periods import period_bounds
from accord.core.pool import PoolSettlement, apportion, settle_period
from accord.core.report import Data, evaluate
from accord.render.report import (
    report_html,
    report_json,
    report_markdown,
    report_terminal,
    trend_html,
    trend_markdown,
)
from accord.render.report_document import ReportDocument

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "agreements" / "it-outsourcing.yaml"
OBSERVED = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
SERVICES = ("erp", "network", "hosting", "email", "telephony")
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def _agreement(change: dict[str, Any] | None = None) -> Agreement:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["remedies"].update(change or {})
    return load_agreement(yaml.safe_dump(document, sort_keys=False))


def _down(service: str, month: str, hours: float, day: int = 8) -> Outage:
    start = period_bounds(month, "UTC")[0].replace(day=day, hour=2)
    return Outage(service, start, start + timedelta(hours=hours), id=f"{service}-{month}")


def _pool(agreement: Agreement, outages: list[Outage], period: str) -> PoolSettlement:
    report = evaluate(agreement, Data(outages=tuple(outages), observed=OBSERVED), *_span(period))
    assert report.pool is not None
    return report.pool


def _span(period: str) -> tuple[datetime, datetime]:
    return period_bounds(period, "UTC")


# ---------------------------------------------------------------- the pool


def test_a_miss_costs_the_at_risk_amount_times_its_allocation() -> None:
    # February: ERP down 4 h of 672 h = 99.405%, below 99.7%: missed.
    # at risk: 12% x 100,000 = 12,000; ERP's share 40% x 12,000 = 4,800 EUR.
    pool = _pool(_agreement(), [_down("erp", "2026-02", 4)], "2026-02")
    assert pool.owed == Decimal("4800.00")
    [period] = pool.periods
    assert period.at_risk == Decimal("12000.00")
    [miss] = period.misses
    assert (miss.objective, miss.share, miss.credit) == (
        "erp",
        Decimal("4800.00"),
        Decimal("4800.00"),
    )
    assert not period.capped
    assert pool.reasons[0] == (
        "2026-02: erp missed (attainment 99.4048%): 40% of the at-risk amount = 4800.00 EUR"
    )


def test_a_month_is_capped_at_the_at_risk_amount_and_each_share_scaled() -> None:
    # June: all five missed: 4,800 + 3,600 + 2,400 + 2,400 + 1,200 = 14,400 > 12,000.
    # Capped at 12,000; each credit x 12,000/14,400 = 5/6: 4,000, 3,000, 2,000, 2,000, 1,000.
    outages = [_down(s, "2026-06", 5) for s in SERVICES]
    pool = _pool(_agreement(), outages, "2026-06")
    [period] = pool.periods
    assert period.uncapped == Decimal("14400.00")
    assert pool.owed == Decimal("12000.00")
    assert period.capped
    assert [m.credit for m in period.misses] == [
        Decimal(x) for x in ("4000.00", "3000.00", "2000.00", "2000.00", "1000.00")
    ]
    assert pool.capped == ("2026-06",)
    assert any("capped at the at-risk amount" in r and "(was 14400.00)" in r for r in pool.reasons)


def test_the_cap_does_not_bind_at_exactly_the_at_risk_amount() -> None:
    # ERP 40% + network 30% + hosting 20% + telephony 10% = 100% = 12,000: owed in full,
    # and the cap is not said to bind (it binds only when the sum passes the amount).
    outages = [_down(s, "2026-06", 5) for s in ("erp", "network", "hosting", "telephony")]
    pool = _pool(_agreement(), outages, "2026-06")
    assert pool.owed == Decimal("12000.00")
    assert pool.capped == ()
    assert not any("capped" in r for r in pool.reasons)


def test_scaled_credits_are_shared_to_the_cent() -> None:
    # 10.00 shared by three equal shares: 3.33 each and the cent left to the first.
    assert apportion(Decimal("10.00"), [Decimal(1)] * 3) == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]


_allocations = st.lists(
    st.tuples(st.sampled_from(SERVICES), st.integers(1, 100)),
    min_size=1,
    max_size=5,
    unique_by=lambda pair: pair[0],
)


@settings(max_examples=200)
@given(
    allocations=_allocations,
    share=st.integers(1, 100),
    fee=st.decimals(min_value=0, max_value=10_000_000, places=2),
    missed=st.sets(st.sampled_from(SERVICES)),
)
def test_the_pool_never_passes_the_at_risk_amount_and_binds_exactly_when_the_sum_does(
    allocations: list[tuple[str, int]], share: int, fee: Decimal, missed: set[str]
) -> None:
    terms = AtRisk.model_validate(
        {
            "share": f"{share}%",
            "allocations": [{"objective": o, "allocation": f"{a}%"} for o, a in allocations],
        }
    )
    period = settle_period(terms, fee, "EUR", "2026-06", dict.fromkeys(missed))
    assert period.owed <= period.at_risk
    assert period.capped == (period.uncapped > period.at_risk)
    assert period.owed == (period.at_risk if period.capped else period.uncapped)
    assert sum((m.credit for m in period.misses), Decimal(0)) == period.owed
    assert all(Decimal(0) <= m.credit <= m.share for m in period.misses)


# ---------------------------------------------------------------- earn-back


def test_a_credit_is_earned_back_in_the_third_month_met_after_the_miss() -> None:
    # February's ERP miss owes 4,800. ERP met in March, April and May: earned back, and the
    # return is recognised in May (the month that completes the run): February owes 4,800 and
    # is pending; March and April return nothing; May owes nothing and returns 4,800 (net
    # -4,800); the year owes 4,800, returns 4,800, nothing outstanding.
    agreement = _agreement()
    outages = [_down("erp", "2026-02", 4)]
    february = _pool(agreement, outages, "2026-02")
    assert (february.owed, february.earned_back, february.pending) == (
        Decimal("4800.00"),
        0,
        Decimal("4800.00"),
    )
    assert february.fates[0].status == "pending"
    assert _pool(agreement, outages, "2026-04").earned_back == 0
    may = _pool(agreement, outages, "2026-05")
    assert (may.owed, may.earned_back, may.net) == (0, Decimal("4800.00"), Decimal("-4800.00"))
    assert may.fates[0].reason == (
        "2026-02 credit for erp (4800.00 EUR) earned back in 2026-05: "
        "met in 2026-03, 2026-04, 2026-05"
    )
    year = _pool(agreement, outages, "2026")
    assert (year.owed, year.earned_back, year.outstanding) == (
        Decimal("4800.00"),
        Decimal("4800.00"),
        0,
    )


def test_a_credit_is_kept_when_the_objective_misses_again_within_the_run() -> None:
    # E-mail missed in June (2,400) and again in August: June's credit is kept; August's
    # (2,400) is earned back in November (met September, October, November).
    agreement = _agreement()
    outages = [_down("email", "2026-06", 6), _down("email", "2026-08", 5)]
    year = _pool(agreement, outages, "2026")
    june, august = year.fates
    assert (june.status, june.settled_in) == ("kept", "2026-08")
    assert june.reason.startswith("2026-06 credit for email (2400.00 EUR) kept: 2026-08 missed")
    assert (august.status, august.settled_in) == ("earned back", "2026-11")
    assert (year.owed, year.earned_back, year.outstanding, year.pending) == (
        Decimal("4800.00"),
        Decimal("2400.00"),
        Decimal("2400.00"),
        0,
    )


def test_an_earn_back_pending_at_the_reports_end_is_pending_not_earned() -> None:
    # Hosting missed in November 2026 (2,400); met December 2026, January and February 2027.
    # The year 2026 shows it pending (the evidence for 2027 notwithstanding); the report for
    # February 2027 returns it.
    agreement = _agreement()
    outages = [_down("hosting", "2026-11", 1)]
    year = _pool(agreement, outages, "2026")
    assert (year.earned_back, year.outstanding, year.pending) == (
        0,
        Decimal("2400.00"),
        Decimal("2400.00"),
    )
    [pending] = year.fates
    assert pending.reason == (
        "2026-11 credit for hosting (2400.00 EUR) pending: met in 2026-12; "
        "2 more periods to meet to earn it back"
    )
    assert _pool(agreement, outages, "2027-02").earned_back == Decimal("2400.00")


def test_an_earn_back_judged_before_the_run_is_over_is_pending() -> None:
    # Judged on 15 May, with May not over: February's credit is pending, not earned back.
    agreement = _agreement()
    data = Data(outages=(_down("erp", "2026-02", 4),), observed=OBSERVED)
    as_of = datetime(2026, 5, 15, tzinfo=UTC)
    report = evaluate(agreement, data, *_span("2026-05"), as_of=as_of)
    assert report.pool is not None
    assert report.pool.earned_back == 0
    report = evaluate(agreement, data, *_span("2026"), as_of=as_of)
    assert report.pool is not None
    assert (report.pool.owed, report.pool.pending) == (Decimal("4800.00"), Decimal("4800.00"))


def test_the_scaled_credit_is_the_one_earned_back() -> None:
    # June capped: ERP's credit is 4,000 (not its 4,800 share); met July to September: 4,000
    # is returned in September.
    outages = [_down(s, "2026-06", 5) for s in SERVICES]
    september = _pool(_agreement(), outages, "2026-09")
    assert september.earned_back == Decimal("12000.00")  # all five met July-September
    assert [f.credit for f in september.fates] == [
        "4000.00 EUR",
        "3000.00 EUR",
        "2000.00 EUR",
        "2000.00 EUR",
        "1000.00 EUR",
    ]


# ---------------------------------------------------------------- earn-back by a margin


def _with_earn_back(earn_back: dict[str, Any]) -> Agreement:
    at_risk = yaml.safe_load(EXAMPLE.read_text())["remedies"]["at_risk"]
    return _agreement({"at_risk": {**at_risk, "earn_back": earn_back}})


def test_a_credit_is_earned_back_when_the_year_passes_the_target_by_the_margin() -> None:
    # "A credit is earned back when the service level's attainment over the calendar year
    # exceeds its target by 0.1 percentage points." ERP (99.7%) down 4 h in February: a miss,
    # 4,800. The year: 4 h of 8,760 h down = 99.9543% >= 99.8%: earned back, recognised in
    # December (once the year is over); pending in every report before.
    agreement = _with_earn_back({"margin": "0.1%"})
    outages = [_down("erp", "2026-02", 4)]
    november = _pool(agreement, outages, "2026-11")
    assert november.earned_back == 0
    assert _pool(agreement, outages, "2026-02").pending == Decimal("4800.00")
    december = _pool(agreement, outages, "2026-12")
    assert december.earned_back == Decimal("4800.00")
    assert december.fates[0].reason == (
        "2026-02 credit for erp (4800.00 EUR) earned back in 2026-12: 2026's attainment "
        "99.9543% is at least 99.8% (the target 99.7% and 0.1 points more)"
    )
    year = _pool(agreement, outages, "2026")
    assert (year.earned_back, year.outstanding) == (Decimal("4800.00"), 0)


def test_a_credit_is_kept_when_the_year_falls_short_of_the_margin() -> None:
    # ERP down 20 h in February: the year 20 h of 8,760 h = 99.7717% < 99.8%: kept, in December.
    agreement = _with_earn_back({"margin": "0.1%"})
    year = _pool(agreement, [_down("erp", "2026-02", 20)], "2026")
    [kept] = year.fates
    assert (kept.status, kept.settled_in) == ("kept", "2026-12")
    assert kept.reason.endswith(
        "kept: 2026's attainment 99.7717% is below 99.8% (the target 99.7% and 0.1 points more)"
    )
    assert (year.earned_back, year.outstanding, year.pending) == (0, Decimal("4800.00"), 0)


def test_the_margin_returns_a_credit_whose_run_was_broken() -> None:
    # after: 3 or margin 0.1%: ERP missed in February and April (4 h each). February's run is
    # broken in April; April's credit is earned back in July (met May, June, July). The year,
    # 8 h of 8,760 h = 99.9087% >= 99.8%, returns February's in December.
    agreement = _with_earn_back({"after": 3, "margin": "0.1%"})
    outages = [_down("erp", "2026-02", 4), _down("erp", "2026-04", 4)]
    assert _pool(agreement, outages, "2026-02").fates[0].status == "pending"
    june = _pool(agreement, outages, "2026-06")
    [february, april] = _pool(agreement, outages, "2026").fates
    assert (february.status, february.settled_in) == ("earned back", "2026-12")
    assert (april.status, april.settled_in) == ("earned back", "2026-07")
    assert june.earned_back == 0
    september = _pool(agreement, outages, "2026-09")
    assert september.fates == ()
    # judged on 1 May, February's run is broken and the year is not over: pending on the year
    data = Data(outages=tuple(outages), observed=OBSERVED)
    as_of = datetime(2026, 5, 1, tzinfo=UTC)
    pool = evaluate(agreement, data, *_span("2026"), as_of=as_of).pool
    assert pool is not None
    assert pool.fates[0].reason == (
        "2026-02 credit for erp (4800.00 EUR) pending: 2026-04 missed (the run is broken); "
        "in 2026-12 if 2026 reaches 99.8% (the target 99.7% and 0.1 points more)"
    )
    assert pool.pending == Decimal("9600.00")


# ---------------------------------------------------------------- months add up to the year

_year = st.lists(
    st.tuples(st.sampled_from(SERVICES), st.integers(1, 12), st.sampled_from([0.25, 1, 3, 8])),
    max_size=8,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    downs=_year,
    earn_back=st.sampled_from([{"after": 3}, {"after": 1, "margin": "0.2%"}, {"margin": "0.1%"}]),
)
def test_the_months_add_up_to_the_year_and_earned_back_plus_outstanding_is_owed(
    downs: list[tuple[str, int, float]], earn_back: dict[str, Any]
) -> None:
    agreement = _with_earn_back(earn_back)
    outages = [_down(s, f"2026-{m:02d}", h, day=1 + i) for i, (s, m, h) in enumerate(downs)]
    year = _pool(agreement, outages, "2026")
    months = [_pool(agreement, outages, m) for m in MONTHS]
    assert year.owed == sum((m.owed for m in months), Decimal(0))
    assert year.earned_back == sum((m.earned_back for m in months), Decimal(0))
    assert year.net == sum((m.net for m in months), Decimal(0))
    # the agreement starts on 1 January: every credit returned in 2026 was owed in 2026
    assert year.earned_back + year.outstanding == year.owed
    assert year.pending <= year.outstanding
    quarter = _pool(agreement, outages, "2026-Q3")
    assert quarter.owed == sum((m.owed for m in months[6:9]), Decimal(0))
    assert quarter.earned_back == sum((m.earned_back for m in months[6:9]), Decimal(0))


# ---------------------------------------------------------------- in every output


def test_every_output_shows_the_share_the_cap_and_the_earn_back() -> None:
    outages = [_down("erp", "2026-02", 4), *(_down(s, "2026-06", 5) for s in SERVICES)]
    report = evaluate(_agreement(), Data(outages=tuple(outages), observed=OBSERVED), *_span("2026"))
    text = report_markdown(report)
    assert "## At-risk amount" in text
    assert "(the cap bound in 2026-06)" in text
    assert (
        "- 2026-06: erp missed (attainment 99.3056%): 40% of the at-risk amount = 4800.00 EUR"
        in text
    )
    assert "earned back in 2026-05" in text
    screen = io.StringIO()
    Console(file=screen, width=300).print(report_terminal(report))
    assert "At-risk amount\n  16,800.00 EUR owed for missed critical service levels" in (
        screen.getvalue()
    )
    assert "(the cap bound in 2026-06)" in screen.getvalue()
    page = report_html(report)
    assert '<section id="at-risk">' in page
    assert "earned back in 2026-05" in page
    document = report_json(report)
    ReportDocument.model_validate(document)
    at_risk = document["at_risk"]
    assert (at_risk["owed"], at_risk["earned_back"]) == ("16800.00", "16800.00")
    assert at_risk["periods"][5]["capped"] is True
    assert at_risk["earn_back"][0]["status"] == "earned back"


def test_the_trend_shows_each_months_net_adding_up_to_the_years() -> None:
    # February owes 4,800, May returns it (-4,800), June owes 12,000 (capped): net 12,000.
    outages = [_down("erp", "2026-02", 4), *(_down(s, "2026-06", 5) for s in SERVICES)]
    data = Data(outages=tuple(outages), observed=OBSERVED)
    agreement = _agreement()
    reports = [evaluate(agreement, data, *_span(m)) for m in MONTHS[:6]]
    text = trend_markdown(reports)
    assert "| at-risk net | | 0.00 | 4,800.00 | 0.00 | 0.00 | -4,800.00 | 12,000.00 |" in text
    assert "At-risk credits over the period, net of earn-back: 12,000.00 EUR." in text
    assert '<tr id="at-risk-net">' in trend_html(reports)


# ---------------------------------------------------------------- validation


def _refused(change: dict[str, Any], match: str) -> None:
    with pytest.raises(SpecError, match=match):
        _agreement(change)


def test_an_allocation_to_an_unknown_objective_is_refused_with_a_suggestion() -> None:
    at_risk = yaml.safe_load(EXAMPLE.read_text())["remedies"]["at_risk"]
    at_risk["allocations"][0]["objective"] = "erpp"
    _refused(
        {"at_risk": at_risk},
        r":82:7: remedies\.at_risk\.allocations\[0\]\.objective: unknown objective 'erpp' "
        r"\(did you mean 'erp'\?\); defined: email, erp, hosting, network, telephony",
    )


def test_an_objective_allocated_twice_is_refused() -> None:
    at_risk = yaml.safe_load(EXAMPLE.read_text())["remedies"]["at_risk"]
    at_risk["allocations"].append({"objective": "erp", "allocation": "5%"})
    _refused({"at_risk": at_risk}, r"allocations\[5\]\.objective: erp is allocated twice")


def test_an_at_risk_amount_needs_a_fee() -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    del document["tiers"][0]["fee"]
    with pytest.raises(SpecError, match=r"remedies\.at_risk: the at-risk amount is a share of"):
        load_agreement(yaml.safe_dump(document))


def test_an_allocation_is_a_percentage() -> None:
    at_risk = yaml.safe_load(EXAMPLE.read_text())["remedies"]["at_risk"]
    at_risk["allocations"][0]["allocation"] = 40
    _refused({"at_risk": at_risk}, r"allocations\[0\]\.allocation: .*write '40%'")


def test_nothing_at_risk_is_refused() -> None:
    at_risk = yaml.safe_load(EXAMPLE.read_text())["remedies"]["at_risk"]
    _refused({"at_risk": {**at_risk, "share": "0%"}}, r"at_risk\.share: 0% of the fee at risk")


def test_an_earn_back_needs_a_way() -> None:
    at_risk = yaml.safe_load(EXAMPLE.read_text())["remedies"]["at_risk"]
    _refused(
        {"at_risk": {**at_risk, "earn_back": {}}},
        r"earn_back.*say how a credit is earned back: after: N billing periods met, or margin",
    )


def test_a_margin_on_a_bound_target_is_refused() -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["objectives"].append(
        {"id": "changes", "metric": "count", "source": "changes", "target": ">= 20"}
    )
    document["remedies"]["at_risk"]["allocations"].append(
        {"objective": "changes", "allocation": "10%"}
    )
    document["remedies"]["at_risk"]["earn_back"] = {"margin": "0.1%"}
    with pytest.raises(SpecError, match=r"allocations\[5\]\.objective: earn_back\.margin is"):
        load_agreement(yaml.safe_dump(document))


def test_the_agreement_in_words_states_the_pool_and_its_earn_back() -> None:
    from accord.render.agreement import to_markdown

    text = to_markdown(_with_earn_back({"after": 3, "margin": "0.1%"}))
    assert "- 12% of each billing period's fee is at risk;" in text
    assert "  - `erp`: 40%" in text
    assert (
        "met in the 3 billing periods after the miss or when its attainment over the year "
        "passes the target by 0.1 points." in text
    )
