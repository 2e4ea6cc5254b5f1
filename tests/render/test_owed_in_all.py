"""The trend and the roll-up show what each month and each agreement owes in all (the pool's
net, the limits across remedies, a netted bonus), adding up; the contract and its figures are
those of tests/core/test_limits_cover_the_pool.py ("service credits never exceed 15,000 EUR a
quarter": April 4,800, May 8,400, June 1,800 after the cap took 10,200 off)."""

from __future__ import annotations

from decimal import Decimal

from accord.core.report import Data
from accord.render.report import (
    report_json,
    rollup_html,
    rollup_markdown,
    trend_html,
    trend_markdown,
)
from accord.render.report_view import build_rollup, build_trend
from tests.core.test_caps import _isp, _outage
from tests.core.test_caps import _report as _isp_report
from tests.core.test_limits_cover_the_pool import Q2_OUTAGES, QUARTER, _agreement, _cap, _report


def test_the_trend_has_an_owed_in_all_row_whose_months_add_up_to_the_quarter() -> None:
    agreement = _agreement([_cap("quarter", 15000)])
    months = [_report(agreement, Q2_OUTAGES, m) for m in QUARTER]
    view = build_trend(months)
    # the at-risk row is each month's net before the cross-remedy cap: 4,800, 8,400, 12,000;
    # what is owed in all is after it: 4,800, 8,400, 1,800 = 15,000
    assert [c.exact for c in view.at_risk] == ["4800.00", "8400.00", "12000.00"]
    assert [c.exact for c in view.owed] == ["4800.00", "8400.00", "1800.00"]
    assert view.owed_total_exact == "15000.00"
    quarter = _report(agreement, Q2_OUTAGES, "2026-Q2")
    assert quarter.owed == (Decimal(view.owed_total_exact), "EUR")
    markdown = trend_markdown(months)
    assert "| owed in all | | 4,800.00 | 8,400.00 | 1,800.00 |" in markdown
    assert "limits across remedies, less a netted bonus): 15,000.00 EUR." in markdown
    assert 'id="owed-total" data-amount="15000.00"' in trend_html(months)


def test_the_roll_up_and_the_json_owe_the_amount_in_all() -> None:
    agreement = _agreement([_cap("quarter", 15000)])
    june = _report(agreement, Q2_OUTAGES, "2026-06")
    [line] = build_rollup([june]).lines
    assert (line.owed, line.owed_exact) == ("1,800.00 EUR", "1800.00")
    assert "| owed in all |" in rollup_markdown([june])
    assert 'data-exact="1800.00">1,800.00 EUR' in rollup_html([june])
    assert report_json(june)["owed"] == {
        "amount": "1800.00",
        "currency": "EUR",
        "parts": [
            {"name": "at-risk net", "amount": "12000.00"},
            {"name": "limits across remedies", "amount": "-10200.00"},
        ],
    }


def test_a_trend_of_service_credits_alone_has_no_owed_in_all_row() -> None:
    agreement = _isp("  penalties: []\n")
    months = [_isp_report(agreement, Data(outages=(_outage(10, 14 * 60),)), "2026-10")]
    assert months[0].settlement is not None
    assert build_trend(months).owed == ()
