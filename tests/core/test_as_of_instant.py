"""A report judged as of an instant T knows what happened at T (docs/periods.md, "As of an
instant: one rule"): a ticket resolved at T counts in the period holding T, even at its very
first instant; a share of time over no time is no figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord import load_agreement
from accord.core.clocks import TicketEvent
from accord.core.periods import period_bounds
from accord.core.report import Data, evaluate
from accord.io.data import read_data

ROOT = Path(__file__).resolve().parents[2]
SAAS = ROOT / "examples" / "agreements" / "saas.yaml"
OCTOBER = ROOT / "examples" / "data" / "cloudnote-2026-10"


def _support(at: datetime, resolved: datetime) -> tuple[TicketEvent, ...]:
    fields = {"service": "web-app", "priority": "P2", "status": "New"}
    return (
        TicketEvent("s-1", "S-1", at, "created", fields),
        TicketEvent("s-2", "S-1", resolved, "resolved"),
    )


def test_a_month_judged_at_its_first_instant_counts_what_happened_then_and_no_uptime() -> None:
    """November as of 1 November 00:00: the ticket answered (resolved) at that instant counts
    in November; availability has no time to be a share of, so it is no data (before, the
    month was "nothing known of it"; judged a microsecond later it read 100%)."""
    agreement = load_agreement(SAAS)
    start, end = period_bounds("2026-11", "UTC")
    october = read_data(OCTOBER)
    evidence = Data(
        outages=october.outages,
        tickets=_support(start - timedelta(minutes=20), start),
        observed=(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)),
    )
    found = {
        o.objective: o for o in evaluate(agreement, evidence, start, end, as_of=start).objectives
    }
    availability = found["availability"]
    assert (availability.status, availability.actual) == ("no data", None)
    response = found["support-first-response"]
    assert response.tickets is not None
    assert (response.status, response.tickets.met, response.tickets.counted) == ("to date", 1, 1)
    # October, over at that instant, does not take the November verdict
    before = evaluate(agreement, evidence, *period_bounds("2026-10", "UTC"), as_of=start)
    october_response = {o.objective: o for o in before.objectives}["support-first-response"]
    assert october_response.tickets is None or october_response.tickets.counted == 0
