"""Earn-back: a credit owed for a miss is returned when the provider meets the same service
level in each of the ``after`` billing periods that follow the one missed, or (with a margin)
when the service level's attainment over the calendar year of the miss passes its target by
the margin.

When it is recognised: in the billing period that completes the run (the ``after``-th period
met), so a report holding that period's end returns the credit, and a year's earn-backs are
the sum of its months'. A period that follows the miss and is missed, has no data or is not in
force ends the run: the credit is kept by the customer. A run not complete at a report's end
(a period not over, or not yet come) leaves the credit pending: it is shown as pending and
counted as outstanding, never as earned back. By the margin, the year's credits not earned
back earlier are returned in the year's last billing period (December), once the year is over
and its attainment is known; a credit kept by a broken run may still be returned so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
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
    """How the period that ended the run went (``missed``, ``no data``), for a credit kept;
    the year's verdict, for one earned back or kept by the margin."""
    year: str = ""
    """What the year's margin may still do, for a credit pending on it."""

    @property
    def reason(self) -> str:
        head = f"{self.period} credit for {self.objective} ({self.credit})"
        run = f"met in {', '.join(self.met)}" if self.met else "not met since"
        if self.status == "earned back":
            return f"{head} earned back in {self.settled_in}: {self.word or run}"
        if self.status == "kept" and not self.after:
            return f"{head} kept: {self.word}"
        if self.status == "kept":
            return (
                f"{head} kept: {self.settled_in} {self.word}"
                + (f" ({run})" if self.met else "")
                + f"; {self.after} periods in a row after the miss earn it back"
            )
        left = self.after - len(self.met)
        parts = []
        if self.after and left > 0:
            parts.append(
                f"{run if self.met else 'no period after it is over yet'}; {left} more "
                f"period{'s' if left != 1 else ''} to meet to earn it back"
            )
        if self.year:
            parts.append(self.year)
        return f"{head} pending: " + "; or ".join(parts)


def fate(
    credit: Credited, after: int, following: Sequence[Verdict], year: Verdict | None = None
) -> Fate:
    """What became of a credit given the verdicts of the billing periods that follow its miss
    (in order, at least the first ``after`` of them; ``after`` 0: no run earns it back) and,
    with a yearly margin, the year's verdict (``period``: the year's last billing period;
    ``met`` None while the year is not over)."""
    run = _by_run(credit, after, following)
    if year is None:
        return run
    earned = run.status == "earned back" and run.settled_in is not None
    if earned and (year.met is not True or str(run.settled_in) <= year.period):
        return run
    if year.met is True:
        return replace(run, status="earned back", settled_in=year.period, word=year.word)
    if year.met is None:  # the year may still return it (a broken run says so)
        broken = (
            f"{run.settled_in} {run.word} (the run is broken); " if run.status == "kept" else ""
        )
        after = 0 if run.status == "kept" else run.after
        return replace(
            run, status="pending", settled_in=None, word="", after=after, year=broken + year.word
        )
    if run.status == "pending" and after == 0:
        return replace(run, status="kept", settled_in=year.period, word=year.word)
    return run


def _by_run(credit: Credited, after: int, following: Sequence[Verdict]) -> Fate:
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
    if after and len(met) == after:
        return Fate(
            credit.objective, credit.period, amount, "earned back", met[-1], tuple(met), after
        )
    return Fate(credit.objective, credit.period, amount, "pending", None, tuple(met), after)
