"""The at-risk amount and its allocation, the usual form of service credits in IT outsourcing.

A share of each billing period's fee is at risk (e.g. 12% of the monthly fee); each critical
service level is allocated a percentage of that amount (together they may pass 100%: the
pool). A service level missed in a billing period costs the at-risk amount times its
allocation, and the period's total is capped at the at-risk amount: when the misses add up to
more, each miss's credit is scaled down in proportion, to the cent, so that they add up to the
at-risk amount exactly. The limits across remedies (``remedies.limits`` of credits or of all,
:mod:`accord.core.caps`), where stated, apply after this one to the pool's net.

Earn-back (:mod:`accord.core.earnback`) returns a credit when the provider meets the same
service level in the following billing periods. Every figure is additive over time: a billing
period is settled in the report holding its end, and an earn-back is recognised in the
billing period that completes it, so a year's figures are the sum of its months'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from accord.core.agreement.model import AtRisk, EarnBack, Tier
from accord.core.credits import plain
from accord.core.earnback import Fate, Verdict, fate
from accord.core.judging import (
    Judging,
    ObjectiveResult,
    judge_objective,
    target_of,
)
from accord.core.periods import enclosing, in_force_span, period_label

_CENT = Decimal("0.01")
_TICK = timedelta(microseconds=1)
_NOTHING = Decimal("0.00")
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PoolMiss:
    """One critical service level missed in one billing period, and the credit it costs."""

    objective: str
    period: str
    """The billing period missed, as ``2026-06``."""
    attainment: Decimal | None
    allocation: Decimal
    """Percent of the at-risk amount."""
    share: Decimal
    """The at-risk amount times the allocation, to the cent."""
    credit: Decimal
    """The share after the period's cap (the share when the cap does not bind)."""
    currency: str

    @property
    def reason(self) -> str:
        shown = "" if self.attainment is None else f" (attainment {_percent(self.attainment)}%)"
        capped = f", {self.credit} {self.currency} after the cap"
        after = "" if self.credit == self.share else capped
        return (
            f"{self.period}: {self.objective} missed{shown}: {plain(self.allocation)}% of the "
            f"at-risk amount = {self.share} {self.currency}{after}"
        )


@dataclass(frozen=True)
class PoolPeriod:
    """One billing period of the pool: the at-risk amount, the misses and what they cost."""

    label: str
    fee: Decimal
    share: Decimal
    """Percent of the fee at risk."""
    at_risk: Decimal
    currency: str
    misses: tuple[PoolMiss, ...]
    uncapped: Decimal
    """The misses' shares added up, before the cap."""
    owed: Decimal
    """What the period owes: the uncapped sum, or the at-risk amount when that is less."""

    @property
    def capped(self) -> bool:
        """True when the cap binds: the misses' shares add up to more than the at-risk amount."""
        return self.uncapped > self.at_risk

    @property
    def reasons(self) -> tuple[str, ...]:
        found = [m.reason for m in self.misses]
        allocations = sum((m.allocation for m in self.misses), Decimal(0))
        if len(self.misses) > 1:
            found.append(
                f"{self.label}: misses add up to {plain(allocations)}% of the at-risk amount "
                f"= {self.uncapped} {self.currency}"
            )
        if self.capped:
            found.append(
                f"{self.label}: capped at the at-risk amount, {plain(self.share)}% of the fee "
                f"{self.fee} = {self.at_risk} {self.currency} (was {self.uncapped}): each "
                f"miss's credit scaled by {self.at_risk}/{self.uncapped}"
            )
        return tuple(found)


def settle_period(
    terms: AtRisk,
    fee: Decimal,
    currency: str,
    label: str,
    missed: Mapping[str, Decimal | None],
) -> PoolPeriod:
    """The pool of one billing period given the allocated objectives missed in it (with their
    attainment, when there is one): each miss costs its share of the at-risk amount, and the
    period's total is at most the at-risk amount."""
    at_risk = _money(fee * terms.share / _HUNDRED)
    allocated = [a for a in terms.allocations if a.objective in missed]
    shares = [_money(at_risk * a.allocation / _HUNDRED) for a in allocated]
    uncapped = sum(shares, _NOTHING)
    credits = apportion(at_risk, shares) if uncapped > at_risk else shares
    misses = tuple(
        PoolMiss(a.objective, label, missed[a.objective], a.allocation, share, credit, currency)
        for a, share, credit in zip(allocated, shares, credits, strict=True)
    )
    return PoolPeriod(
        label, fee, terms.share, at_risk, currency, misses, uncapped, min(uncapped, at_risk)
    )


def apportion(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` shared in proportion to ``weights``, to the cent, the parts adding up to
    ``total`` exactly: each part rounded down, the cents left over given one each to the parts
    with the largest remainders (the first of equal ones)."""
    whole = sum(weights, Decimal(0))
    if not weights or whole == 0:
        return [Decimal(0) for _ in weights]
    exact = [total * w / whole for w in weights]
    parts = [e.quantize(_CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((total - sum(parts, Decimal(0))) / _CENT)
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += _CENT
    return parts


@dataclass(frozen=True)
class PoolSettlement:
    """The pool over a report's span: the billing periods settled in it, the credits they
    owe, the credits earned back in it, and what remains of the span's credits at its end."""

    currency: str
    periods: tuple[PoolPeriod, ...]
    owed: Decimal
    """What the span's billing periods owe (the months of a year add up to the year)."""
    earned_back: Decimal
    """Credits returned in the span's billing periods: those whose earn-back is completed
    (recognised) in one of them, including credits owed before the span."""
    outstanding: Decimal
    """Of the credits owed in the span, what was not earned back by the span's end."""
    pending: Decimal
    """The part of ``outstanding`` that may still be earned back after the span's end."""
    fates: tuple[Fate, ...]
    """Each credit owed in the span, and earned back in it from before it, with its fate."""
    earn_back: EarnBack | None
    """How a credit is earned back (None: it is not)."""

    @property
    def net(self) -> Decimal:
        """What the span owes once the credits earned back in it are returned."""
        return self.owed - self.earned_back

    @property
    def capped(self) -> tuple[str, ...]:
        """The billing periods whose cap binds."""
        return tuple(p.label for p in self.periods if p.capped)

    @property
    def reasons(self) -> tuple[str, ...]:
        found = [r for p in self.periods for r in p.reasons]
        found += [f.reason for f in self.fates]
        owed = [f"{p.owed} ({p.label})" for p in self.periods if p.owed]
        count = len(self.periods)
        found.append(
            f"owed over {count} billing period{'s' if count != 1 else ''}: "
            + (" + ".join(owed) + f" = {self.owed} {self.currency}" if owed else "nothing")
        )
        if self.earn_back is not None:
            found.append(
                f"earned back in the span: {self.earned_back} {self.currency}; net "
                f"{self.owed} - {self.earned_back} = {self.net} {self.currency}; outstanding "
                f"at its end: {self.outstanding} {self.currency}"
                + (f", of which {self.pending} pending" if self.pending else "")
            )
        return tuple(found)


def at_risk_pool(
    judging: Judging,
    chosen: Tier | None,
    known: Mapping[str, ObjectiveResult],
    start: datetime,
    end: datetime,
) -> PoolSettlement | None:
    """The at-risk pool over ``[start, end)``: each billing period of the tier (a month) that
    ends in the span is settled on its own figures and fee (a report inside a longer billing
    period owes nothing; the period is settled in the report holding its end). An objective
    counts as missed in a billing period when it is judged over it (final or to date) and
    missed. With earn-back, the credits of the billing periods before the span whose return
    may be recognised in it are followed too (:func:`_earn_back_since`). ``known``: results already
    judged over ``[start, end)``. None without at-risk terms or a tier with one fee."""
    agreement = judging.agreement
    terms = agreement.remedies.at_risk if agreement.remedies is not None else None
    if terms is None or chosen is None or chosen.fee is None:
        return None
    kind, fee = chosen.per, chosen.fee
    until = end if judging.as_of is None else max(start, min(end, judging.as_of))
    results: dict[tuple[str, datetime, datetime], ObjectiveResult] = {}

    def judged(objective: str, first: datetime, after: datetime) -> ObjectiveResult:
        if (first, after) == (start, end) and objective in known:
            return known[objective]
        key = (objective, first, after)
        if key not in results:
            found = judge_objective(
                judging, agreement.objective(objective), first, after, breaches=False
            )
            results[key] = found
        return results[key]

    def settled(first: datetime, after: datetime) -> PoolPeriod:
        missed = {}
        for allocation in terms.allocations:
            result = judged(allocation.objective, first, after)
            if result.judged and result.met is False:
                missed[allocation.objective] = result.actual
        return settle_period(terms, fee.amount, fee.currency, period_label(first, kind), missed)

    def verdict(objective: str, first: datetime, after: datetime) -> Verdict:
        label = period_label(first, kind)
        if after > until:
            return Verdict(label, None, "not over at the report's end")
        result = judged(objective, first, after)
        if result.status == "final" and result.met is True:
            return Verdict(label, True, "met")
        word = "missed" if result.met is False else result.status
        return Verdict(label, False, word)

    own = [
        (first, after)
        for first, after in billing_periods(kind, start, end)
        if settled_here(judging, first, after, start, end)
    ]
    if not own:
        return None
    periods = tuple(settled(first, after) for first, after in own)
    earn = terms.earn_back
    fates: list[Fate] = []
    labels = {p.label for p in periods}
    earned_back = outstanding = pending = _NOTHING
    if earn is not None:
        runs = earn.after or 0

        def by_year(objective: str, first: datetime) -> Verdict | None:
            """The margin's verdict on the year holding ``first``, in its last period."""
            if earn.margin is None:
                return None
            year, after = enclosing(first, "year")
            last = period_label(enclosing(after - _TICK, kind)[0], kind)
            target = target_of(agreement.objective(objective), chosen.id)
            if not isinstance(target, Decimal):
                return None
            needed = target + earn.margin
            wanted = f"{plain(needed)}% (the target {target}% and {earn.margin} points more)"
            if after > until:
                return Verdict(last, None, f"in {last} if {year.year} reaches {wanted}")
            result = judged(objective, year, after)
            if result.status != "final" or result.actual is None:
                return Verdict(last, False, f"{year.year} has no figure ({result.status})")
            shown = f"{year.year}'s attainment {_percent(result.actual)}%"
            if result.actual >= needed:
                return Verdict(last, True, f"{shown} is at least {wanted}")
            return Verdict(last, False, f"{shown} is below {wanted}")

        before = [
            (first, after)
            for first, after in billing_periods(
                kind, _earn_back_since(earn, kind, own[0][0]), own[0][0]
            )
            if after <= own[0][0] and _in_force(judging, first, after)
        ]
        tracked = [(settled(f, a), f, a, False) for f, a in before]
        tracked += [(p, f, a, True) for p, (f, a) in zip(periods, own, strict=True)]
        for period, first, after, is_own in tracked:
            following = _periods_from(kind, after, runs)
            for miss in period.misses:
                found = fate(
                    miss,
                    runs,
                    [verdict(miss.objective, f, later) for f, later in following],
                    by_year(miss.objective, first),
                )
                returned = found.status == "earned back" and found.settled_in in labels
                if returned:
                    earned_back += miss.credit
                if is_own:
                    fates.append(found)
                    if not returned:
                        outstanding += miss.credit
                        if found.status == "pending":
                            pending += miss.credit
                elif returned:
                    fates.append(found)
    else:
        outstanding = sum((p.owed for p in periods), _NOTHING)
    return PoolSettlement(
        fee.currency,
        periods,
        sum((p.owed for p in periods), _NOTHING),
        earned_back,
        outstanding,
        pending,
        tuple(fates),
        earn,
    )


def billing_periods(kind: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The calendar periods of ``kind`` that overlap ``[start, end)``, whole."""
    periods = []
    first = enclosing(start, kind)[0]
    while first < end:
        after = enclosing(first, kind)[1]
        periods.append((first, after))
        first = after
    return periods


def pool_since(terms: AtRisk, kind: str, start: datetime) -> datetime:
    """The earliest instant the pool of a report beginning at ``start`` judges from: the
    billing period holding ``start``, and with earn-back the periods whose credits may be
    returned in the report (:func:`_earn_back_since`)."""
    first = enclosing(start, kind)[0]
    if terms.earn_back is None:
        return first
    return _earn_back_since(terms.earn_back, kind, first)


def _earn_back_since(earn: EarnBack, kind: str, first: datetime) -> datetime:
    """The start of the earliest billing period whose credit may be earned back in a report
    beginning with the billing period at ``first``: ``after`` periods before it, and with a
    margin the start of its year (a year's credits are returned in its last period)."""
    since = first
    if earn.after:
        since = _periods_before(kind, first, earn.after)[0][0]
    if earn.margin is not None:
        since = min(since, enclosing(first, "year")[0])
    return since


def settled_here(
    judging: Judging, first: datetime, after: datetime, start: datetime, end: datetime
) -> bool:
    """Whether the billing period ``[first, after)`` is settled in the report over
    ``[start, end)``: it is in force, and it ends (or the agreement ends in it) in the span."""
    ends = in_force_span(judging.agreement, first, after)[1]
    return _in_force(judging, first, after) and start < ends <= end


def _in_force(judging: Judging, first: datetime, after: datetime) -> bool:
    begins, ends = in_force_span(judging.agreement, first, after)
    return begins < ends


def _periods_before(kind: str, first: datetime, count: int) -> list[tuple[datetime, datetime]]:
    found: list[tuple[datetime, datetime]] = []
    for _ in range(count):
        first = enclosing(first - timedelta(microseconds=1), kind)[0]
        found.insert(0, (first, enclosing(first, kind)[1]))
    return found


def _periods_from(kind: str, first: datetime, count: int) -> list[tuple[datetime, datetime]]:
    found = []
    for _ in range(count):
        after = enclosing(first, kind)[1]
        found.append((first, after))
        first = after
    return found


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _percent(value: Decimal) -> str:
    return f"{plain(value.quantize(Decimal('0.0001'))):f}"
