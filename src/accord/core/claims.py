"""Claims for service credits: what a period's report owes, until when it can be claimed, the
evidence a claim keeps, and the steps a claim goes through.

A credit is owed per objective and period (:class:`CreditOwed`, from the report's
settlement). A claim for it is filed before its deadline (:func:`accord.core.credits.
claim_deadline`, from the agreement's ``remedies.claim``) with its evidence frozen
(:class:`ClaimEvidence`: the report's figures for that objective and period, and the breaches
behind them), then decided: submitted, then accepted or rejected (with a reason, which the
customer reads), and an accepted claim is paid (:func:`next_state`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from accord.core.agreement.model import Claim
from accord.core.credits import Credit, plain
from accord.core.errors import AccordError
from accord.core.judging import ObjectiveResult, costliest
from accord.core.report import Report

ClaimState = Literal["submitted", "accepted", "rejected", "paid"]
Decision = Literal["accept", "reject", "pay"]
Cycle = Literal["month", "quarter", "year"]

STATES: tuple[ClaimState, ...] = ("submitted", "accepted", "rejected", "paid")
DECISIONS: tuple[Decision, ...] = ("accept", "reject", "pay")
STEPS: dict[Decision, tuple[ClaimState, ClaimState]] = {
    "accept": ("submitted", "accepted"),
    "reject": ("submitted", "rejected"),
    "pay": ("accepted", "paid"),
}
"""Each decision: the state it applies to, and the state it leads to."""

MOST_BREACHES = 200
"""The breaches a claim's evidence keeps (the costliest, in their order); the others are
counted (:attr:`ClaimEvidence.breaches_total`)."""


class ClaimError(AccordError, ValueError):
    """A claim that cannot be filed or decided as asked; the message says why."""


class ReasonMissingError(ClaimError):
    """A rejection without a reason."""


class WrongStateError(ClaimError):
    """A decision that does not apply to the claim's state."""


def next_state(state: ClaimState, decision: Decision, reason: str | None = None) -> ClaimState:
    """The state ``decision`` takes a claim in ``state`` to: ``accept`` and ``reject`` a
    submitted claim (a rejection needs a reason, which the customer reads), ``pay`` an
    accepted one. Anything else is refused, saying which state the decision applies to."""
    applies_to, leads_to = STEPS[decision]
    if state != applies_to:
        raise WrongStateError(
            f"the claim is {state}; {decision} applies to a claim that is {applies_to}"
            + (" (a decided claim is not decided again)" if state != "submitted" else "")
        )
    if decision == "reject" and not (reason or "").strip():
        raise ReasonMissingError(
            "reason: a rejection needs a reason, which the customer reads; none was given"
        )
    return leads_to


def claim_rule(claim: Claim | None, cycle: Cycle = "month") -> str:
    """The agreement's clause on claim deadlines, in words, naming its key."""
    if claim is None:
        return "the agreement sets no claim deadline (it has no remedies.claim)"
    if claim.window is not None and claim.window.time is not None:
        return (
            f"remedies.claim.window: {claim.window}: a credit is claimed within "
            f"{claim.window} of the end of its period"
        )
    if claim.billing_cycles is not None:
        cycles = "cycle" if claim.billing_cycles == 1 else "cycles"
        return (
            f"remedies.claim.billing_cycles: {claim.billing_cycles}: a credit is claimed "
            f"within {claim.billing_cycles} billing {cycles} ({cycle}ly) after its period"
        )
    if claim.window is not None:  # in business days: no calendar is named to count them in
        return (
            f"remedies.claim.window: {claim.window}: business days with no calendar named to "
            "count them in, so no claim deadline is enforced"
        )
    return "the agreement sets no claim deadline (remedies.claim has no window)"


@dataclass(frozen=True)
class CreditOwed:
    """One objective's credit in one period, and until when it can be claimed."""

    agreement: str
    period: str
    objective: str
    """The objective's id, ``objective@provider`` when settled on one provider's figures."""
    name: str
    credit: Credit
    period_amount: Decimal
    """What the period owes in all (:attr:`Report.owed`): its service credits after combining,
    the cap and the minimum payable, with its penalties, the at-risk pool's net, what the
    limits across remedies took off or added, less a netted bonus."""
    deadline: datetime | None
    """Claims are open before this instant (None: the agreement sets no limit)."""
    rule: str
    """The agreement's clause on the deadline, in words (:func:`claim_rule`)."""

    def open_at(self, moment: datetime) -> bool:
        """Whether a claim filed at ``moment`` is in time."""
        return self.deadline is None or moment < self.deadline

    def too_late(self, moment: datetime) -> str | None:
        """Why a claim filed at ``moment`` is refused (None: it is in time)."""
        if self.open_at(moment):
            return None
        assert self.deadline is not None
        at = moment.astimezone(self.deadline.tzinfo)
        return (
            f"the claim deadline for {self.objective} in {self.period} was "
            f"{_when(self.deadline)}, and it is now {_when(at)}: {self.rule}"
        )


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or ''}".rstrip()


def credits_owed(report: Report, period: str, cycle: Cycle = "month") -> tuple[CreditOwed, ...]:
    """The credits a final report owes, an objective each, with the report's claim deadline
    (as the report reckoned it from the agreement's ``remedies.claim`` and its tier's billing
    period; ``cycle`` names that period in the clause's words). Nothing when the period is not
    final (its figures may still change) or owes nothing in all (the minimum payable)."""
    settlement = report.settlement
    if settlement is None or not settlement.amount or not report.final:
        return ()
    deadline = report.claim_deadline
    rule = claim_rule(report.claim, cycle)
    names = {o.objective: o.name for o in report.objectives}
    return tuple(
        CreditOwed(
            report.agreement,
            period,
            credit.objective,
            names.get(credit.objective, credit.objective),
            credit,
            settlement.amount if report.owed is None else report.owed[0],
            deadline,
            rule,
        )
        for credit in settlement.credits
        if credit.amount > 0
    )


@dataclass(frozen=True)
class ClaimEvidence:
    """What a claim was filed on, kept as it was at filing: the report's figures for the
    objective and period, the breaches behind them, the credit and the period's settlement."""

    agreement: str
    version: str
    title: str
    period: str
    start: datetime
    end: datetime
    tier: str | None
    judged_at: datetime
    objective: ObjectiveResult
    """The objective's result, with at most :data:`MOST_BREACHES` breaches (the costliest)."""
    breaches_total: int
    credit: Credit
    period_amount: Decimal
    currency: str
    reasons: tuple[str, ...]
    """The settlement's reasons: bands, sums, the cap, the minimum payable."""
    deadline: datetime | None
    rule: str
    procedure: str | None = None
    asked: tuple[str, ...] = ()
    """The evidence the agreement asks a claim to give (``remedies.claim.evidence``)."""


def evidence_of(report: Report, owed: CreditOwed) -> ClaimEvidence:
    """The evidence of a claim for ``owed``, from the report it was found in."""
    result = next(o for o in report.objectives if o.objective == owed.objective)
    breaches: Sequence[object] = result.breaches
    kept = [result.breaches[i] for i in costliest(result.breaches, MOST_BREACHES)]
    settlement = report.settlement
    assert settlement is not None
    claim = report.claim
    return ClaimEvidence(
        agreement=report.agreement,
        version=report.version,
        title=report.title,
        period=owed.period,
        start=report.start,
        end=report.end,
        tier=report.tier,
        judged_at=report.judged_at,
        objective=replace(result, breaches=tuple(kept)),
        breaches_total=len(breaches),
        credit=owed.credit,
        period_amount=settlement.amount,
        currency=settlement.currency,
        reasons=settlement.reasons,
        deadline=owed.deadline,
        rule=owed.rule,
        procedure=None if claim is None else claim.procedure,
        asked=() if claim is None else claim.evidence,
    )


@dataclass(frozen=True)
class FigureNow:
    """The claimed objective's figure in the period's report as judged now, against the one
    the claim was filed on (late data may have changed it)."""

    actual: Decimal | None
    amount: Decimal
    """The objective's credit now (0: none owed any more)."""
    differs: bool
    text: str


def figure_now(evidence: ClaimEvidence, report: Report) -> FigureNow:
    """How the period's report judged now compares with the claim's evidence."""
    result = next(
        (o for o in report.objectives if o.objective == evidence.objective.objective), None
    )
    actual = None if result is None else result.actual
    settlement = report.settlement
    credit = next(
        (
            c
            for c in (settlement.credits if settlement is not None else ())
            if c.objective == evidence.credit.objective
        ),
        None,
    )
    amount = Decimal(0) if credit is None else credit.amount
    then = evidence.objective.actual
    differs = actual != then or amount != evidence.credit.amount
    if not differs:
        return FigureNow(actual, amount, False, "the report judged now has the same figures")
    return FigureNow(
        actual,
        amount,
        True,
        f"the report judged now differs (late data or a new agreement version): "
        f"{evidence.objective.objective} {_percent(then)} then, {_percent(actual)} now; "
        f"credit {evidence.credit.amount} {evidence.currency} then, {amount} "
        f"{evidence.currency} now. The claim keeps the figures it was filed on.",
    )


def _percent(value: Decimal | None) -> str:
    return "no figure" if value is None else f"{plain(value.quantize(Decimal('0.0001'))):f}%"


@dataclass(frozen=True)
class Eligible:
    """A credit owed, whether it is claimed already (and how far that claim got), and why it
    can no longer be claimed when its deadline has passed."""

    owed: CreditOwed
    claim_id: int | None
    state: ClaimState | None
    too_late: str | None

    @property
    def claimable(self) -> bool:
        return self.claim_id is None and self.too_late is None


@dataclass(frozen=True)
class ClaimStep:
    """One step of a claim: who did what and when, with their comment (a rejection's
    reason), which the customer reads."""

    at: datetime
    actor: str
    action: Literal["filed", "accept", "reject", "pay"]
    state: ClaimState
    """The claim's state after the step."""
    comment: str | None


@dataclass(frozen=True)
class ClaimRecord:
    """A claim as its readers see it: what is claimed, its state, its history (oldest first),
    its frozen evidence, and the figure the period's report gives now (when judged)."""

    id: int
    agreement: str
    customer: str | None
    objective: str
    period: str
    timezone: str
    state: ClaimState
    amount: Decimal
    currency: str
    deadline: datetime | None
    filed_at: datetime
    filed_by: str
    updated_at: datetime
    history: tuple[ClaimStep, ...]
    evidence: ClaimEvidence | None
    """None in a list of claims: each claim's own page reads it."""
    now: FigureNow | None = None
