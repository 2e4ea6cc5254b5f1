"""Escalation levels of objectives without a ticket clock, judged at a moment: the error budget
used, burn rates, and shares of the period for counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord import load_agreement
from accord.core.availability import Outage
from accord.core.report import Data, Measurement
from accord.core.watch import watch, watch_since

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "agreements"
SAAS = load_agreement(EXAMPLES / "saas.yaml")  # 99.9% a month: 44.64 minutes of budget
LEADS = load_agreement(EXAMPLES / "marketing-to-sales.yaml")  # >= 200 qualified leads a month


def down(day: int, minutes: int) -> Outage:
    start = datetime(2026, 10, day, tzinfo=UTC)
    return Outage("api", start, start + timedelta(minutes=minutes), id=f"O{day}")


def firing(agreement: object, data: Data, moment: datetime) -> dict[str, bool]:
    found = watch(agreement, data, moment)  # type: ignore[arg-type]
    return {w.escalation.at: w.firing for w in found}


def test_shares_of_the_error_budget_used_this_month() -> None:
    forty = Data(outages=(down(10, 40),))  # 40 of 44.64 minutes: 89.6%
    assert firing(SAAS, forty, datetime(2026, 10, 11, tzinfo=UTC)) == {
        "75%": True,
        "100%": False,
        "breach + 2h": False,
    }
    [level] = [w for w in watch(SAAS, forty, datetime(2026, 10, 11, tzinfo=UTC)) if w.level == 0]
    assert level.why == "89.6% of the error budget of the period from 2026-10-01 used"
    assert level.period == datetime(2026, 10, 1, tzinfo=UTC)
    fifty = Data(outages=(down(10, 40), down(20, 10)))  # the budget ran out at 00:04:38
    assert firing(SAAS, fifty, datetime(2026, 10, 20, 1, tzinfo=UTC))["100%"] is True
    late = firing(SAAS, fifty, datetime(2026, 10, 20, 2, 4, tzinfo=UTC))
    assert late["breach + 2h"] is False  # two hours after 00:04:38 have not gone by
    assert firing(SAAS, fifty, datetime(2026, 10, 20, 2, 5, tzinfo=UTC))["breach + 2h"] is True
    # a new month, a new budget
    assert firing(SAAS, fifty, datetime(2026, 11, 2, tzinfo=UTC))["75%"] is False


def leads(count: int, day: int = 1) -> tuple[Measurement, ...]:
    start = datetime(2026, 10, day, tzinfo=UTC)
    return tuple(
        Measurement(
            "leads",
            start + timedelta(hours=i),
            {"lead": f"L-{i}", "score": "80", "status": "qualified"},
        )
        for i in range(count)
    )


def test_a_count_behind_three_quarters_into_the_month_and_a_missed_month() -> None:
    quarter_way = datetime(2026, 10, 24, 6, tzinfo=UTC)  # 75% of October's 744 hours
    few = Data(measurements=leads(150))
    assert firing(LEADS, few, quarter_way - timedelta(hours=1))["75%"] is False
    assert firing(LEADS, few, quarter_way)["75%"] is True
    assert firing(LEADS, Data(measurements=leads(200)), quarter_way)["75%"] is False
    # breach: the month ended missed; reported once November has begun
    november = {w.escalation.at: w for w in watch(LEADS, few, datetime(2026, 11, 1, 9, tzinfo=UTC))}
    breach = november["breach"]  # the leads' (first contact is a ticket clock's)
    assert breach.firing is True
    assert breach.period == datetime(2026, 10, 1, tzinfo=UTC)
    assert breach.why.startswith("the period from 2026-10-01 ended missed: ")


def test_burn_rate_levels_and_how_far_back_the_evidence_is_read() -> None:
    uptime = load_agreement(
        (EXAMPLES / "saas.yaml")
        .read_text()
        .replace("      - at: 75%\n", "      - at: burn 14.4x over 1h/5m\n", 1)
    )
    moment = datetime(2026, 10, 10, 0, 30, tzinfo=UTC)
    found = firing(uptime, Data(outages=(down(10, 40),)), moment)
    assert found["burn 14.4x over 1h/5m"] is True  # 30 of the last 60 minutes down
    assert firing(uptime, Data(), moment)["burn 14.4x over 1h/5m"] is False
    assert watch_since(uptime, moment) == datetime(2026, 10, 1, tzinfo=UTC)  # the month
    assert watch_since(LEADS, moment) == datetime(2026, 9, 1, tzinfo=UTC)  # breach: September
