"""Limits across remedies cover the at-risk pool, as outsourcing contracts write them. Each
case's figures are worked from the contract's words in the comments before the assertions.

The contract (examples/agreements/it-outsourcing.yaml): "12% of the monthly fee of 100,000 EUR
is at risk (12,000 EUR). ERP carries 40% of it (4,800), the network 30% (3,600), hosting 20%,
e-mail 20% (2,400 each) and telephony 10% (1,200); a month never costs more than the at-risk
amount." Targets: ERP 99.7%, network 99.9%, hosting 99.95%, e-mail 99.5%, telephony 99.5%.
Order: the pool's own cap (a month's at-risk amount) first, then the limits across remedies
(of credits, then of all remedies), shortest period first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.core.agreement import Agreement
from accord.core.agreement.validate import check_agreement
from accord.core.availability import Outage
from accord.core.caps import capped
from accord.core.claims import credits_owed
from accord.core.periods import period_bounds
from accord.core.report import Data, Report, evaluate
from tests.core.test_caps import _isp
from tests.core.test_caps import _outage as _isp_outage
from tests.core.test_caps import _report as _isp_report

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "agreements" / "it-outsourcing.yaml"
OBSERVED = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
SERVICES = ("erp", "network", "hosting", "email", "telephony")
QUARTER = ("2026-04", "2026-05", "2026-06")


def _agreement(limits: list[dict[str, Any]], *, earn_back: bool = False, **more: Any) -> Agreement:
    document = yaml.safe_load(EXAMPLE.read_text())
    if not earn_back:
        del document["remedies"]["at_risk"]["earn_back"]
    document["remedies"]["limits"] = limits
    document["remedies"].update(more)
    return load_agreement(yaml.safe_dump(document, sort_keys=False))


def _cap(per: str, amount: int, of: str = "credits") -> dict[str, Any]:
    return {"per": per, "of": of, "at_most": {"amount": amount, "currency": "EUR"}}


def _down(service: str, month: str, hours: float) -> Outage:
    start = period_bounds(month, "UTC")[0].replace(day=8, hour=2)
    return Outage(service, start, start + timedelta(hours=hours), id=f"{service}-{month}")


def _report(agreement: Agreement, outages: list[Outage], period: str) -> Report:
    data = Data(outages=tuple(outages), observed=OBSERVED)
    return evaluate(agreement, data, *period_bounds(period, "UTC"))


def _owed(report: Report) -> Decimal:
    assert report.owed is not None
    return report.owed[0]


def _limited(report: Report) -> Decimal:
    return sum((change for change, _ in report.limits), Decimal(0))


# "Service credits never exceed 15,000 EUR a quarter."
# April: ERP down 5 h (99.31% < 99.7%): 4,800.  May: ERP and network down: 4,800 + 3,600 =
# 8,400.  June: all five down: 14,400, the pool's own cap makes it 12,000.  The quarter without
# the cross-remedy cap: 4,800 + 8,400 + 12,000 = 25,200 > 15,000: April owes 4,800, May 8,400
# (13,200 so far), June what is left, 1,800 (12,000 taken off); the quarter owes 15,000.
Q2_OUTAGES = [
    _down("erp", "2026-04", 5),
    _down("erp", "2026-05", 5),
    _down("network", "2026-05", 5),
    *(_down(s, "2026-06", 5) for s in SERVICES),
]


def test_a_quarterly_cap_on_credits_covers_the_pools_net_after_its_own_cap() -> None:
    agreement = _agreement([_cap("quarter", 15000)])
    months = [_report(agreement, Q2_OUTAGES, m) for m in QUARTER]
    assert [_owed(r) for r in months] == [Decimal(x) for x in ("4800.00", "8400.00", "1800.00")]
    june = months[2]
    assert june.pool is not None
    assert june.pool.net == Decimal("12000.00")
    assert _limited(june) == Decimal("-10200.00")
    [(_, reason)] = june.limits
    assert "all service credits: capped at 15000 EUR a quarter (2026-Q2)" in reason
    assert "2026-04 4800.00 + 2026-05 8400.00 + 2026-06 12000.00 = 25200.00 EUR" in reason
    quarter = _report(agreement, Q2_OUTAGES, "2026-Q2")
    year = _report(agreement, Q2_OUTAGES, "2026")
    # the months add up to the quarter and the year: 4,800 + 8,400 + 1,800 = 15,000
    assert _owed(quarter) == _owed(year) == sum(map(_owed, months)) == Decimal("15000.00")


def test_a_cap_of_all_remedies_covers_the_pool_and_earn_back_frees_it() -> None:
    # "Remedies never exceed 6,000 EUR a year", with the example's earn-back (3 months met).
    # February: ERP missed, 4,800, earned back in May (met March, April, May): May -4,800.
    # June: ERP missed, 4,800 (running total 4,800).  August: e-mail missed (4 h of 744 h =
    # 99.46% < 99.5%), 2,400: running total 7,200 > 6,000, so August owes 1,200 (-1,200).
    # September: June's ERP credit earned back (July, August, September met): the running
    # total without the cap falls to 2,400, under the cap, so September returns 4,800 less
    # the 1,200 August did not pay: -3,600 (+1,200).  The year owes min(2,400, 6,000) less
    # November's earn-back of August's e-mail credit (September to November met), 0.
    agreement = _agreement([_cap("year", 6000, "all")], earn_back=True)
    outages = [
        _down("erp", "2026-02", 4),
        _down("erp", "2026-06", 5),
        _down("email", "2026-08", 4),
    ]
    august = _report(agreement, outages, "2026-08")
    assert august.pool is not None
    assert august.pool.net == Decimal("2400.00")
    assert (_limited(august), _owed(august)) == (Decimal("-1200.00"), Decimal("1200.00"))
    september = _report(agreement, outages, "2026-09")
    assert september.pool is not None
    assert september.pool.net == Decimal("-4800.00")
    assert (_limited(september), _owed(september)) == (Decimal("1200.00"), Decimal("-3600.00"))
    months = [_report(agreement, outages, f"2026-{m:02d}") for m in range(1, 13)]
    year = _report(agreement, outages, "2026")
    assert _owed(year) == sum(map(_owed, months)) == Decimal("0.00")
    assert _limited(year) == Decimal("0.00")


def test_a_netted_bonus_is_netted_against_the_credits_after_their_limits() -> None:
    # "Service credits never exceed 15,000 EUR a quarter"; "ERP at 99.99% or more earns the
    # provider 3% of the fee (3,000), netted against the credits."  June as above: the pool
    # owes 12,000, the quarterly cap takes 10,200 off (1,800 left); ERP is missed, so no bonus
    # in June; in July ERP is not down (100%): a bonus of 3,000 against no credits: -3,000.
    bonus = {"bands": [{"objective": "erp", "at_least": "99.99%", "bonus": "3%"}], "net": True}
    agreement = _agreement([_cap("quarter", 15000)], bonus=bonus)
    june = _report(agreement, Q2_OUTAGES, "2026-06")
    assert june.bonus is not None
    assert june.bonus.amount == Decimal("0.00")
    assert june.bonus.credits == Decimal("1800.00")  # 12,000 - 10,200, not 12,000
    assert _owed(june) == Decimal("1800.00")
    july = _report(agreement, Q2_OUTAGES, "2026-07")
    assert july.bonus is not None
    assert july.bonus.balance == Decimal("-3000.00")
    assert _owed(july) == Decimal("-3000.00")


def test_a_cap_of_credits_is_accepted_for_an_agreement_whose_credits_are_its_pool() -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["remedies"]["limits"] = [_cap("month", 5000)]
    assert check_agreement(document)[1] == []
    document["remedies"]["limits"] = [_cap("month", 5000, "penalties")]
    [problem] = check_agreement(document)[1]
    assert "limits penalties, but the agreement has none" in str(problem)


# ---------------------------------------------------------------- properties


@settings(max_examples=300)
@given(
    amounts=st.lists(st.decimals(min_value=-5000, max_value=20000, places=2), max_size=14),
    cap=st.decimals(min_value=0, max_value=30000, places=2),
)
def test_a_cap_on_the_running_total_is_never_passed_and_binds_exactly_when_it_would_be(
    amounts: list[Decimal], cap: Decimal
) -> None:
    found = capped(amounts, cap)
    running = [sum(amounts[: k + 1], Decimal(0)) for k in range(len(amounts))]
    limited = [sum(found[: k + 1], Decimal(0)) for k in range(len(found))]
    assert all(total <= cap for total in limited)
    assert sum(found, Decimal(0)) == min(sum(amounts, Decimal(0)), cap) or not amounts
    assert (found != amounts) == any(total > cap for total in running)
    if all(a >= 0 for a in amounts):  # with nothing returned, it binds when the sum passes it
        assert (found != amounts) == (sum(amounts, Decimal(0)) > cap)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hours=st.lists(
        st.lists(st.sampled_from([0, 1, 5]), min_size=len(SERVICES), max_size=len(SERVICES)),
        min_size=3,
        max_size=3,
    ),
    cap=st.integers(0, 40000),
)
def test_a_quarterly_cap_covering_the_pool_is_never_passed_and_binds_exactly_when_it_would_be(
    hours: list[list[int]], cap: int
) -> None:
    outages = [
        _down(service, month, h)
        for month, row in zip(QUARTER, hours, strict=True)
        for service, h in zip(SERVICES, row, strict=True)
        if h
    ]
    free = _agreement([])
    uncapped = sum((_owed(_report(free, outages, m)) for m in QUARTER), Decimal(0))
    agreement = _agreement([_cap("quarter", cap)])
    months = [_report(agreement, outages, m) for m in QUARTER]
    quarter = _report(agreement, outages, "2026-Q2")
    assert _owed(quarter) == sum(map(_owed, months)) == min(uncapped, Decimal(cap))
    assert bool(quarter.limits) == (uncapped > cap)


def test_a_claimable_credit_says_what_the_period_owes_after_the_limits_across_remedies() -> None:
    # The ISP example's credits, "service credits in a month never exceed 15 EUR": October's
    # 14 h of downtime earn 22.25 EUR of credits; the cap takes 7.25 off, so the period owes
    # 15.00 in all, and a claim for the availability credit says so beside its 22.25.
    agreement = _isp(
        "  penalties: []\n",
        "  limits: [{per: month, of: credits, at_most: {amount: 15, currency: EUR}}]\n",
    )
    report = _isp_report(agreement, Data(outages=(_isp_outage(10, 14 * 60),)), "2026-10")
    [owed] = credits_owed(report, "2026-10")
    assert (owed.credit.amount, owed.period_amount) == (Decimal("22.25"), Decimal("15.00"))
