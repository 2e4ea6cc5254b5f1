"""Bonus/malus: a payment owed *to* the provider for exceeding a target band.

Each band of the agreement's ``bonus`` pays ``bonus`` percent of a billing period's fee when
its objective's attainment over the period lies in ``[at_least, below)``; the bands met in a
period add up, then the bonus cap applies (percent of the fee). Like credits, each billing
period is settled in the report holding its end, so a year's bonus is the sum of its months'.
With ``net: true`` the bonus is netted against the credits owed over the same span (the
service credits and the at-risk pool's net, after the limits of credits across remedies; the
credits less the bonus, owed to whichever side the difference favours); otherwise it is shown
beside them and never changes them. No limit across remedies applies to a bonus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from accord.core.agreement.model import Bonus, BonusBand, Tier
from accord.core.credits import plain
from accord.core.judging import Judging, ObjectiveResult, judge_objective
from accord.core.periods import period_label
from accord.core.pool import billing_periods, settled_here

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class BonusEarned:
    """One band an objective's attainment reached in one billing period."""

    objective: str
    period: str
    attainment: Decimal
    band: BonusBand
    amount: Decimal
    currency: str

    @property
    def reason(self) -> str:
        below = "" if self.band.below is None else f" and below {self.band.below}%"
        shown = f"{plain(self.attainment.quantize(Decimal('0.0001'))):f}"
        return (
            f"{self.period}: {self.objective}: attainment {shown}% is at least "
            f"{self.band.at_least}%{below}, so a bonus of {self.band.bonus}% of the fee "
            f"= {self.amount} {self.currency}"
        )


@dataclass(frozen=True)
class BonusPeriod:
    label: str
    fee: Decimal
    currency: str
    earned: tuple[BonusEarned, ...]
    uncapped: Decimal
    """Percent of the fee the bands add up to."""
    percent: Decimal
    """After the cap."""
    amount: Decimal
    cap: Decimal | None

    @property
    def capped(self) -> bool:
        return self.percent < self.uncapped

    @property
    def reasons(self) -> tuple[str, ...]:
        found = [e.reason for e in self.earned]
        if len(self.earned) > 1:
            found.append(
                f"{self.label}: bonuses add up: "
                + " + ".join(f"{e.band.bonus}%" for e in self.earned)
                + f" = {plain(self.uncapped)}%"
            )
        if self.capped:
            found.append(
                f"{self.label}: bonus capped at {self.cap}% of the fee {self.fee} "
                f"= {self.amount} {self.currency} (was {plain(self.uncapped)}%)"
            )
        return tuple(found)


@dataclass(frozen=True)
class BonusSettlement:
    """The bonus over a report's span, and, when netted, the credits it is netted against."""

    currency: str
    periods: tuple[BonusPeriod, ...]
    amount: Decimal
    net: bool
    """True: netted against the credits (the agreement's ``net: true``)."""
    credits: Decimal | None = None
    """The credits owed over the span it is netted against (None: not netted)."""

    @property
    def balance(self) -> Decimal | None:
        """Credits less the bonus: owed to the customer when positive, to the provider when
        negative (None: not netted)."""
        return None if self.credits is None else self.credits - self.amount

    @property
    def reasons(self) -> tuple[str, ...]:
        found = [r for p in self.periods for r in p.reasons]
        owed = [f"{p.amount} ({p.label})" for p in self.periods if p.amount]
        count = len(self.periods)
        found.append(
            f"bonus over {count} billing period{'s' if count != 1 else ''}: "
            + (" + ".join(owed) + f" = {self.amount} {self.currency}" if owed else "nothing")
        )
        balance = self.balance
        if balance is not None:
            side = "the customer" if balance >= 0 else "the provider"
            found.append(
                f"netted against the credits: {self.credits} - {self.amount} = "
                f"{abs(balance)} {self.currency} owed to {side}"
            )
        else:
            found.append("shown beside the credits, not netted against them")
        return tuple(found)


def bonus_period(
    terms: Bonus, attainments: Mapping[str, Decimal], fee: Decimal, currency: str, label: str
) -> BonusPeriod:
    """The bonus of one billing period given each objective's attainment (percent)."""
    earned = tuple(
        BonusEarned(
            band.objective,
            label,
            attainments[band.objective],
            band,
            _money(fee * band.bonus / _HUNDRED),
            currency,
        )
        for band in terms.bands
        if band.objective in attainments
        and band.at_least <= attainments[band.objective]
        and (band.below is None or attainments[band.objective] < band.below)
        and band.bonus > 0
    )
    uncapped = sum((e.band.bonus for e in earned), Decimal(0))
    percent = uncapped if terms.cap is None else min(uncapped, terms.cap)
    return BonusPeriod(
        label, fee, currency, earned, uncapped, percent, _money(fee * percent / _HUNDRED), terms.cap
    )


def bonuses(
    judging: Judging,
    chosen: Tier | None,
    known: Mapping[str, ObjectiveResult],
    start: datetime,
    end: datetime,
) -> BonusSettlement | None:
    """The bonus over ``[start, end)``: each billing period of the tier ending in the span,
    each band judged on its objective's attainment over the period (final or to date).
    ``known``: results already judged over ``[start, end)``. None without bonus terms or a
    tier with one fee."""
    agreement = judging.agreement
    terms = agreement.remedies.bonus if agreement.remedies is not None else None
    if terms is None or chosen is None or chosen.fee is None:
        return None
    fee = chosen.fee
    periods = []
    for first, after in billing_periods(chosen.per, start, end):
        if not settled_here(judging, first, after, start, end):
            continue
        attainments = {}
        for name in dict.fromkeys(band.objective for band in terms.bands):
            result = (
                known[name]
                if (first, after) == (start, end) and name in known
                else judge_objective(
                    judging, agreement.objective(name), first, after, breaches=False
                )
            )
            if result.judged and result.actual is not None:
                attainments[name] = result.actual
        label = period_label(first, chosen.per)
        periods.append(bonus_period(terms, attainments, fee.amount, fee.currency, label))
    if not periods:
        return None
    amount = sum((p.amount for p in periods), Decimal("0.00"))
    return BonusSettlement(fee.currency, tuple(periods), amount, terms.net)


def netted(bonus: BonusSettlement, credits: Decimal) -> BonusSettlement:
    """The bonus netted against the credits owed over the same span, when its terms say so."""
    return replace(bonus, credits=credits) if bonus.net else bonus


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)
