"""Claims for service credits: the claim deadline, the credits a report owes, the evidence a
claim keeps, and the steps of a claim (submitted, accepted or rejected with a reason, paid)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord import load_agreement
from accord.cli import parse_period
from accord.core.agreement.model import Claim
from accord.core.claims import (
    DECISIONS,
    MOST_BREACHES,
    STATES,
    ReasonMissingError,
    WrongStateError,
    claim_rule,
    credits_owed,
    evidence_of,
    figure_now,
    next_state,
)
from accord.core.credits import claim_deadline
from accord.core.periods import enclosing, period_bounds
from accord.core.report import Breach, Report, evaluate
from accord.io.data import read_data
from accord.store import codec

ROOT = Path(__file__).resolve().parents[2]
SAAS = ROOT / "examples" / "agreements" / "saas.yaml"
OCTOBER = ROOT / "examples" / "data" / "cloudnote-2026-10"
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]

months = st.builds(
    lambda year, month, zone: period_bounds(f"{year:04d}-{month:02d}", zone)[1],
    st.integers(2000, 2090),
    st.integers(1, 12),
    st.sampled_from(ZONES),
)


@given(months, st.integers(1, 400))
def test_a_claim_window_ends_the_same_wall_clock_days_after_the_period(
    period_end: datetime, days: int
) -> None:
    """``window: 30d`` is 30 calendar days in the period's zone: midnight to midnight, across
    daylight saving time (never 30 blocks of 24 hours that land at 23:00 or 01:00)."""
    deadline = claim_deadline(Claim.model_validate({"window": f"{days}d"}), period_end)
    assert deadline is not None
    assert deadline.tzinfo is period_end.tzinfo
    assert deadline.date() - period_end.date() == timedelta(days=days)
    assert (deadline.hour, deadline.minute) == (0, 0)


@given(months, st.integers(1, 24), st.sampled_from(["month", "quarter", "year"]))
def test_billing_cycles_end_where_a_later_cycle_begins(
    period_end: datetime, cycles: int, cycle: str
) -> None:
    """``billing_cycles: N``: the end of the N-th billing cycle, the one running at the
    period's end being the first; so one cycle more ends one cycle later."""
    deadline = claim_deadline(Claim(billing_cycles=cycles), period_end, cycle)  # type: ignore[arg-type]
    assert deadline is not None
    assert deadline > period_end
    assert enclosing(deadline, cycle)[0] == deadline  # a cycle's first instant
    later = claim_deadline(Claim(billing_cycles=cycles + 1), period_end, cycle)  # type: ignore[arg-type]
    assert later == enclosing(deadline, cycle)[1]
    # one cycle: the end of the cycle holding the period's end (the one it starts, when the
    # period ends as a cycle begins; else the one still running)
    first = claim_deadline(Claim(billing_cycles=1), period_end, cycle)  # type: ignore[arg-type]
    assert first == enclosing(period_end, cycle)[1]


def test_deadlines_as_people_count_them() -> None:
    end_of_october = datetime(2026, 11, 1, tzinfo=UTC)
    two = Claim(billing_cycles=2)
    assert claim_deadline(two, end_of_october) == datetime(2027, 1, 1, tzinfo=UTC)
    # October billed by the quarter: Q4 (ending 1 January) is the first cycle, Q1 the second
    assert claim_deadline(two, end_of_october, "quarter") == datetime(2027, 4, 1, tzinfo=UTC)
    paris = ZoneInfo("Europe/Paris")  # clocks go back on 25 October 2026
    october = datetime(2026, 10, 1, tzinfo=paris)
    assert claim_deadline(Claim.model_validate({"window": "30d"}), october) == datetime(
        2026, 10, 31, tzinfo=paris
    )
    assert claim_deadline(Claim(), end_of_october) is None


def test_the_clause_in_words_names_its_key() -> None:
    window = claim_rule(Claim.model_validate({"window": "30d"}))
    assert window.startswith("remedies.claim.window: 30d:")
    cycles = claim_rule(Claim(billing_cycles=2), "quarter")
    assert "remedies.claim.billing_cycles: 2" in cycles
    assert "quarterly" in cycles
    assert "no claim deadline" in claim_rule(None)
    business = Claim.model_validate({"window": "10 business days"})
    assert claim_deadline(business, datetime(2026, 11, 1, tzinfo=UTC)) is None
    assert "no claim deadline is enforced" in claim_rule(business)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("decision", DECISIONS)
def test_a_claim_moves_only_along_its_steps(state: str, decision: str) -> None:
    allowed = {
        ("submitted", "accept"): "accepted",
        ("submitted", "reject"): "rejected",
        ("accepted", "pay"): "paid",
    }
    if (state, decision) in allowed:
        assert next_state(state, decision, "checked") == allowed[(state, decision)]  # type: ignore[arg-type]
    else:
        with pytest.raises(WrongStateError, match=f"the claim is {state}; {decision} applies"):
            next_state(state, decision, "checked")  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_rejection_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(ReasonMissingError, match="reason: a rejection needs a reason"):
        next_state("submitted", "reject", reason)
    assert next_state("submitted", "accept", reason) == "accepted"  # a comment is optional


@pytest.fixture(scope="module")
def october() -> Report:
    return evaluate(load_agreement(SAAS), read_data(OCTOBER), *parse_period("2026-10", "UTC"))


def test_the_credits_a_report_owes_with_their_deadline(october: Report) -> None:
    owed = credits_owed(october, "2026-10")
    assert [(o.objective, o.credit.amount, o.period_amount) for o in owed] == [
        ("availability", Decimal("120.00"), Decimal("120.00"))
    ]
    (credit,) = owed
    assert credit.deadline == datetime(2026, 12, 1, tzinfo=UTC)
    assert credit.open_at(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    assert credit.too_late(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) is None
    late = credit.too_late(datetime(2026, 12, 1, tzinfo=UTC))
    assert late is not None
    assert "was 2026-12-01 00:00 UTC" in late
    assert "remedies.claim.window: 30d" in late


def test_the_deadline_owed_is_the_reports_own(october: Report) -> None:
    """The report reckons the claim deadline by its tier's billing period; what it owes
    keeps that deadline, whatever ``cycle`` names in the clause's words (a report billed by
    the quarter: two cycles after October end on 1 April, not 1 January)."""
    rules = Claim(billing_cycles=2)
    quarterly = replace(
        october, claim=rules, claim_deadline=claim_deadline(rules, october.end, "quarter")
    )
    (owed,) = credits_owed(quarterly, "2026-10")
    assert owed.deadline == quarterly.claim_deadline == datetime(2027, 4, 1, tzinfo=UTC)


def test_a_report_not_final_owes_nothing_yet(october: Report) -> None:
    running = replace(october, as_of=datetime(2026, 10, 20, tzinfo=UTC))
    assert credits_owed(running, "2026-10") == ()


def test_the_evidence_keeps_the_figures_and_reads_back_the_same(october: Report) -> None:
    (owed,) = credits_owed(october, "2026-10")
    evidence = evidence_of(october, owed)
    assert evidence.objective.actual == (Decimal(44520) - 137) / Decimal(44520) * 100
    assert evidence.breaches_total == 4 == len(evidence.objective.breaches)
    assert "Open a support ticket" in (evidence.procedure or "")
    assert codec.loads(codec.dumps(evidence), type(evidence)) == evidence
    same = figure_now(evidence, october)
    assert not same.differs


def test_late_data_show_as_a_figure_that_differs(october: Report) -> None:
    (owed,) = credits_owed(october, "2026-10")
    evidence = evidence_of(october, owed)
    data = read_data(OCTOBER)
    fewer = replace(data, outages=data.outages[1:])
    later = evaluate(load_agreement(SAAS), fewer, *parse_period("2026-10", "UTC"))
    now = figure_now(evidence, later)
    assert now.differs
    assert now.actual != evidence.objective.actual
    assert "then" in now.text
    assert "keeps the figures it was filed on" in now.text


def test_the_evidence_keeps_the_costliest_breaches_and_counts_them_all(october: Report) -> None:
    result = october.objectives[0]
    start = october.start
    many = tuple(
        Breach(
            result.objective,
            start,
            start,
            f"breach {n}",
            item=f"o{n}",
            business=timedelta(minutes=n),
        )
        for n in range(MOST_BREACHES + 50)
    )
    crowded = replace(october, objectives=(replace(result, breaches=many), *october.objectives[1:]))
    (owed,) = credits_owed(crowded, "2026-10")
    evidence = evidence_of(crowded, owed)
    assert evidence.breaches_total == MOST_BREACHES + 50
    kept = [b.item for b in evidence.objective.breaches]
    assert kept == [f"o{n}" for n in range(50, MOST_BREACHES + 50)]  # the costliest, in order
