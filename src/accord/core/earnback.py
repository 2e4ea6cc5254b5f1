"""Earn-back: a credit owed for a miss is returned when the provider meets the same service
level in each of the ``after`` billing periods that follow the one missed.

When it is recognised: in the billing period that completes the run (the ``after``-th period
met), so a report holding that period's end returns the credit, and a year's earn-backs are
the sum of its months'. A period that follows the miss and is missed, has no data or is not in
force ends the run: the credit is kept by the customer. A run not complete at a report's end
(a period not over, or not yet come) leaves the credit pending: it is shown as pending and
counted as outstanding, never as earned back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


class Credited(Protocol):
    """A credit owed for a miss: the objective, the billing period missed, the amount."""

    @property
    def objective(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def credit(self) -> object: ...
    @property
    def currency(self) -> str: ...


@dataclass(frozen=True)
class Verdict:
    """The objective over one billing period after the miss, as earn-back reads it."""

    period: str
    met: bool | None
    """True: met (final); False: missed, no data or not in force; None: not over yet."""
    word: str
    """How it went, in a word or two (``met``, ``missed``, ``no data``...)."""


@dataclass(frozen=True)
class Fate:
    """What became of one credit by a report's end."""

    objective: str
    period: str
    """The billing period whose miss owes the credit."""
    credit: str
    """The amount with its currency, as the reasons say it."""
    status: Literal["earned back", "kept", "pending"]
    settled_in: str | None
    """The billing period that earned it back, or that ended the run (None: pending)."""
    met: tuple[str, ...]
    """The periods met in a row after the miss."""
    after: int
    word: str = ""
    """How the period that ended the run went (``missed``, ``no data``), for a credit kept."""

    @property
    def reason(self) -> str:
        head = f"{self.period} credit for {self.objective} ({self.credit})"
        run = f"met in {', '.join(self.met)}" if self.met else "not met since"
        if self.status == "earned back":
            return f"{head} earned back in {self.settled_in}: {run}"
        if self.status == "kept":
            return (
                f"{head} kept: {self.settled_in} {self.word}"
                + (f" ({run})" if self.met else "")
                + f"; {self.after} periods in a row after the miss earn it back"
            )
        left = self.after - len(self.met)
        return (
            f"{head} pending: {run if self.met else 'no period after it is over yet'}; "
            f"{left} more period{'s' if left != 1 else ''} to meet to earn it back"
        )


def fate(credit: Credited, after: int, following: Sequence[Verdict]) -> Fate:
    """What became of a credit given the verdicts of the billing periods that follow its miss
    (in order, at least the first ``after`` of them)."""
    met: list[str] = []
    amount = f"{credit.credit} {credit.currency}"
    for verdict in following[:after]:
        if verdict.met is None:
            break
        if verdict.met is False:
            return Fate(
                credit.objective,
                credit.period,
                amount,
                "kept",
                verdict.period,
                tuple(met),
                after,
                verdict.word,
            )
        met.append(verdict.period)
    if len(met) == after:
        return Fate(
            credit.objective, credit.period, amount, "earned back", met[-1], tuple(met), after
        )
    return Fate(credit.objective, credit.period, amount, "pending", None, tuple(met), after)
