"""Bonuses (bonus/malus) and credits in service time, from contract wording; the arithmetic
is worked in the comments before the assertions.

Both on the IT outsourcing example (examples/agreements/it-outsourcing.yaml: 100,000 EUR a
month, 12% at risk, ERP 99.7%, network 99.9%, hosting 99.95%, monthly), with these clauses:

- "The provider earns a bonus of 2% of the monthly fee when ERP availability is at least
  99.95% and below 99.99%, 3% at 99.99% or more, and 2% when network availability is at
  least 99.99%; bonuses never exceed 4% of the monthly fee. The bonus is set off against the
  service credits (net)."
- "For each hour of downtime of hosting, one day of service is added to the term."
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.core.agreement import Agreement
from accord.core.availability import Outage
from accord.core.errors import SpecError
from accord.core.periods import period_bounds
from accord.core.report import Data, Report, evaluate
from accord.core.service_time import in_days
from accord.render.report import report_html, report_json, report_markdown
from accord.render.report_document import ReportDocument
from accord.store import codec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "agreements" / "it-outsourcing.yaml"
OBSERVED = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
BONUS: dict[str, Any] = {
    "bands": [
        {"objective": "erp", "at_least": "99.95%", "below": "99.99%", "bonus": "2%"},
        {"objective": "erp", "at_least": "99.99%", "bonus": "3%"},
        {"objective": "network", "at_least": "99.99%", "bonus": "2%"},
    ],
    "cap": "4%",
    "net": True,
}
DAY_PER_HOUR = [{"objective": "hosting", "add": "1d", "per": "hour"}]


def _agreement(change: dict[str, Any]) -> Agreement:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["remedies"].update(change)
    return load_agreement(yaml.safe_dump(document, sort_keys=False))


def _down(service: str, month: str, minutes: float, day: int = 8) -> Outage:
    start = period_bounds(month, "UTC")[0].replace(day=day, hour=2)
    return Outage(service, start, start + timedelta(minutes=minutes), id=f"{service}-{month}")


def _report(agreement: Agreement, outages: list[Outage], period: str) -> Report:
    data = Data(outages=tuple(outages), observed=OBSERVED)
    return evaluate(agreement, data, *period_bounds(period, "UTC"))


# ---------------------------------------------------------------- bonus


def test_the_bonus_bands_add_up_and_the_bonus_cap_binds() -> None:
    # March, nothing down: ERP 100% earns 3%, the network 100% earns 2%: 5% > the 4% cap:
    # 4% x 100,000 = 4,000 EUR owed to the provider; no credit, so netted: 4,000 to the
    # provider.
    bonus = _report(_agreement({"bonus": BONUS}), [], "2026-03").bonus
    assert bonus is not None
    assert bonus.amount == Decimal("4000.00")
    [period] = bonus.periods
    assert (period.uncapped, period.percent, period.capped) == (Decimal(5), Decimal(4), True)
    assert bonus.balance == Decimal("-4000.00")
    assert bonus.reasons[0] == (
        "2026-03: erp: attainment 100% is at least 99.99%, so a bonus of 3% of the fee "
        "= 3000.00 EUR"
    )
    assert "2026-03: bonus capped at 4% of the fee 100000.00 = 4000.00 EUR (was 5%)" in (
        bonus.reasons
    )


def test_a_bonus_is_netted_against_the_credits_when_the_contract_says_so() -> None:
    # April: hosting down 30 min of 43,200 = 99.9306%, below 99.95%: 20% x 12,000 = 2,400
    # credit. ERP 100% (3%) and network 100% (2%), capped at 4%: 4,000 bonus. Net:
    # 2,400 - 4,000 = -1,600: 1,600 EUR owed to the provider.
    report = _report(_agreement({"bonus": BONUS}), [_down("hosting", "2026-04", 30)], "2026-04")
    assert report.pool is not None
    assert report.pool.owed == Decimal("2400.00")
    assert report.bonus is not None
    assert (report.bonus.credits, report.bonus.balance) == (
        Decimal("2400.00"),
        Decimal("-1600.00"),
    )
    assert report.bonus.reasons[-1] == (
        "netted against the credits: 2400.00 - 4000.00 = 1600.00 EUR owed to the provider"
    )
    assert "Netted against the credits: 1,600.00 EUR owed to the provider." in (
        report_markdown(report)
    )


def test_a_bonus_not_netted_is_shown_beside_the_credits() -> None:
    # The same April with net: false: the credit stays 2,400 and the bonus 4,000 is beside it.
    agreement = _agreement({"bonus": {**BONUS, "net": False}})
    report = _report(agreement, [_down("hosting", "2026-04", 30)], "2026-04")
    assert report.pool is not None
    assert report.bonus is not None
    assert report.pool.net == Decimal("2400.00")
    assert (report.bonus.amount, report.bonus.balance) == (Decimal("4000.00"), None)
    assert report.bonus.reasons[-1] == "shown beside the credits, not netted against them"


def test_a_band_below_its_edge_earns_nothing() -> None:
    # May: ERP down 30 min of 44,640 = 99.9328%: below 99.95%, no ERP bonus; network 100%:
    # 2% = 2,000 EUR.
    bonus = _report(_agreement({"bonus": BONUS}), [_down("erp", "2026-05", 30)], "2026-05").bonus
    assert bonus is not None
    assert bonus.amount == Decimal("2000.00")
    assert [e.objective for e in bonus.periods[0].earned] == ["network"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    downs=st.lists(
        st.tuples(st.sampled_from(["erp", "network"]), st.integers(1, 12), st.integers(1, 60)),
        max_size=6,
    )
)
def test_the_bonus_of_the_months_adds_up_to_the_years(downs: list[tuple[str, int, int]]) -> None:
    agreement = _agreement({"bonus": BONUS})
    outages = [_down(s, f"2026-{m:02d}", n, day=1 + i) for i, (s, m, n) in enumerate(downs)]
    year = _report(agreement, outages, "2026").bonus
    months = [_report(agreement, outages, m).bonus for m in MONTHS]
    assert year is not None
    assert all(m is not None for m in months)
    assert year.amount == sum((m.amount for m in months if m), Decimal(0))
    assert year.balance == sum((m.balance or Decimal(0) for m in months if m), Decimal(0))


def test_overlapping_bonus_bands_are_refused() -> None:
    bands = [*BONUS["bands"], {"objective": "erp", "at_least": "99.98%", "bonus": "1%"}]
    with pytest.raises(SpecError, match=r"bonus\.bands\[3\]\.at_least: band from 99\.98% overl"):
        _agreement({"bonus": {**BONUS, "bands": bands}})


# ---------------------------------------------------------------- service time


def test_one_day_of_service_for_each_hour_of_downtime() -> None:
    # Hosting down 1 h 30 min in March: 1.5 hours x 1 day = 1 day 12 hours of service.
    agreement = _agreement({"service_time": DAY_PER_HOUR})
    report = _report(agreement, [_down("hosting", "2026-03", 90)], "2026-03")
    [credit] = report.service_time
    assert credit.added == timedelta(days=1, hours=12)
    assert credit.reason == (
        "hosting: 1h30m of downtime at 1 day of service per hour = 1 day 12 hours of service added"
    )


def test_service_time_is_reported_in_days_and_hours_never_as_money() -> None:
    # 1 h 30 min down in March; credits in service time only (no at-risk pool): the report
    # owes no money, says 1 day 12 hours in every format, and the JSON has it in seconds.
    document = yaml.safe_load(EXAMPLE.read_text())
    document["remedies"] = {"service_time": DAY_PER_HOUR}
    agreement = load_agreement(yaml.safe_dump(document))
    report = _report(agreement, [_down("hosting", "2026-03", 90)], "2026-03")
    assert (report.settlement, report.pool, report.bonus, report.penalties) == (
        None,
        None,
        None,
        (),
    )
    assert "1 day 12 hours of service added (service time, not money)." in report_markdown(report)
    assert '<section id="service-time">' in report_html(report)
    shown = report_json(report)
    ReportDocument.model_validate(shown)
    assert shown["service_time"][0]["added_seconds"] == 129600
    assert shown["credits"] is None
    assert shown["at_risk"] is None


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    minutes=st.lists(st.integers(0, 200), min_size=12, max_size=12),
    add=st.sampled_from(["1d", "7h", "13m", "1s"]),
)
def test_the_service_time_of_the_months_adds_up_to_the_years_to_the_second(
    minutes: list[int], add: str
) -> None:
    # 7 hours per hour of downtime and 13 minutes per hour earn fractions of a second for
    # odd minutes: each month earns what the year to its end earns less the year to its start.
    agreement = _agreement({"service_time": [{"objective": "hosting", "add": add}]})
    outages = [_down("hosting", MONTHS[i], n + 0.5) for i, n in enumerate(minutes) if n]
    year = _report(agreement, outages, "2026").service_time[0]
    months = [_report(agreement, outages, m).service_time[0] for m in MONTHS]
    assert year.added == sum((m.added for m in months), timedelta(0))
    assert year.downtime == sum((m.downtime for m in months), timedelta(0))


def test_service_time_words() -> None:
    assert in_days(timedelta(days=3)) == "3 days"
    assert in_days(timedelta(hours=1, minutes=30)) == "1 hour 30 minutes"
    assert in_days(timedelta(0)) == "no time"


def test_service_time_on_an_objective_without_downtime_is_refused() -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["objectives"][2]["method"] = "occurrences"
    document["remedies"]["service_time"] = DAY_PER_HOUR
    with pytest.raises(
        SpecError, match=r"service_time\[0\]\.objective: service time is added per hour"
    ):
        load_agreement(yaml.safe_dump(document))


def test_a_kept_report_reads_its_bonus_and_service_time_back() -> None:
    # the service keeps closed periods' reports as JSON (accord.store.codec): both come back
    agreement = _agreement({"bonus": BONUS, "service_time": DAY_PER_HOUR})
    report = _report(agreement, [_down("hosting", "2026-04", 30)], "2026-Q2")
    assert report.bonus is not None
    assert report.service_time
    found = codec.loads(codec.dumps(report), Report)
    assert (found.bonus, found.service_time, found.pool) == (
        report.bonus,
        report.service_time,
        report.pool,
    )
