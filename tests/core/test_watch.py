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


def firing(
    agreement: object, data: Data, moment: datetime, not_before: datetime | None = None
) -> dict[str, bool]:
    found = watch(agreement, data, moment, not_before)  # type: ignore[arg-type]
    return {w.escalation.at: w.firing for w in found}


def test_shares_of_the_error_budget_used_this_month() -> None:
    forty = Data(outages=(down(10, 40),))  # 40 of 44.64 minutes: 89.6%
    assert firing(SAAS, forty, datetime(2026, 10, 11, tzinfo=UTC)) == {
        "75%": True,
        "100%": False,
        "breach + 2h": False,
    }
    october = datetime(2026, 10, 1, tzinfo=UTC)
    [level] = [
        w
        for w in watch(SAAS, forty, datetime(2026, 10, 11, tzinfo=UTC))
        if w.level == 0 and w.period == october
    ]
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
    # its 100% level looks back at September: a budget spent at the very end of a month
    assert watch_since(uptime, moment) == datetime(2026, 9, 1, tzinfo=UTC)
    assert watch_since(LEADS, moment) == datetime(2026, 9, 1, tzinfo=UTC)  # breach: September


def test_a_budget_spent_in_the_last_minutes_of_a_month_is_a_breach_of_that_month() -> None:
    """The outage runs out September's budget at 23:59:12; the check at midnight judges
    October, so it must look back at September for ``100%`` and ``breach + 2h``."""
    start = datetime(2026, 9, 30, 23, 16, tzinfo=UTC)
    late = Data(outages=(Outage("api", start, datetime(2026, 10, 1, tzinfo=UTC), id="L"),))
    midnight = {
        (w.escalation.at, w.period): w.firing
        for w in watch(SAAS, late, datetime(2026, 10, 1, tzinfo=UTC))
    }
    september, october = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    assert midnight[("100%", september)] is True
    assert midnight[("100%", october)] is False
    assert midnight[("75%", september)] is True  # a share crossed in the last minutes too
    two_hours = {
        (w.escalation.at, w.period): w.firing
        for w in watch(SAAS, late, datetime(2026, 10, 1, 2, tzinfo=UTC))
    }
    assert two_hours[("breach + 2h", september)] is True


def test_a_hundred_percent_of_a_count_is_its_breach() -> None:
    hundred = load_agreement(
        (EXAMPLES / "marketing-to-sales.yaml")
        .read_text()
        .replace(
            "      - at: breach\n        notify: [lena",
            "      - at: 100%\n        notify: [lena",
            1,
        )
    )
    levels = {
        w.escalation.at: w for w in watch(hundred, Data(), datetime(2026, 11, 1, 9, tzinfo=UTC))
    }
    assert levels["100%"].firing is True
    assert levels["100%"].period == datetime(2026, 10, 1, tzinfo=UTC)


def test_periods_before_the_agreement_or_before_it_was_watched_are_not_judged() -> None:
    """Effective from 2026-01-01: no breach for December 2025; uploaded on 10 February: no
    breach for January either."""
    early = {w.escalation.at for w in watch(LEADS, Data(), datetime(2026, 1, 5, tzinfo=UTC))}
    assert "breach" not in early
    uploaded = datetime(2026, 2, 10, tzinfo=UTC)
    february = watch(LEADS, Data(), datetime(2026, 2, 11, tzinfo=UTC), not_before=uploaded)
    assert "breach" not in {w.escalation.at for w in february}
    march = watch(LEADS, Data(), datetime(2026, 3, 1, 1, tzinfo=UTC), not_before=uploaded)
    assert [w.firing for w in march if w.escalation.at == "breach"] == [True]  # February


def test_the_share_of_a_month_counts_real_hours_across_a_change_of_clocks() -> None:
    """March 2026 in Chicago has 743 hours (clocks go forward on the 8th): 75% of it is
    557 h 15 min after 1 March 06:00 UTC."""
    chicago = load_agreement(
        (EXAMPLES / "marketing-to-sales.yaml")
        .read_text()
        .replace(
            "    period: month\n    calendar: 24x7\n",
            "    period: month\n    calendar: sales-floor\n",
            1,
        )
    )
    three_quarters = datetime(2026, 3, 1, 6, tzinfo=UTC) + timedelta(hours=557, minutes=15)

    def share(moment: datetime) -> bool:
        return next(w.firing for w in watch(chicago, Data(), moment) if w.escalation.at == "75%")

    assert share(three_quarters - timedelta(minutes=1)) is False
    assert share(three_quarters) is True


def test_burn_rate_levels_sleep_outside_the_agreements_dates() -> None:
    uptime = load_agreement(
        (EXAMPLES / "saas.yaml")
        .read_text()
        .replace("      - at: 75%\n", "      - at: burn 14.4x over 1h/5m\n", 1)
    )
    before = datetime(2020, 10, 10, 0, 30, tzinfo=UTC)  # long before 2026
    outage = Data(outages=(Outage("api", before - timedelta(minutes=30), before, id="old"),))
    assert "burn 14.4x over 1h/5m" not in firing(uptime, outage, before)
    now = datetime(2026, 10, 10, 0, 30, tzinfo=UTC)
    assert "burn 14.4x over 1h/5m" not in firing(
        uptime, Data(), now, not_before=now + timedelta(days=1)
    )
