"""Caps and floors on remedies: per week, month, quarter or year, for one penalty or across
the agreement's remedies.

What a limit does to a report is additive over time, like every remedy: the amounts owed are
known piece by piece (the report's span cut at every boundary of every limit's periods, from the
start of the longest such period holding the report's start), each limit is applied to the
pieces in order of time, and the report owes the limited pieces inside its span. So a yearly cap
is consumed in order of periods: the months of a year add up to the year, and the month in which
the cap binds owes only what was left of it.

Order: a penalty's own limits apply first (shortest period first), and the at-risk pool's own
cap (the at-risk amount of each billing period, :mod:`accord.core.pool`), then the limits across
remedies: those of the penalties or of the credits (the service credits and the pool's net, its
credits less those earned back), then those of all remedies together (each kind shortest period
first). A cap limits the running total of its period: a credit earned back (a negative amount)
lowers it, so what a period owes under a cap is ``min(uncapped sum, cap)`` exactly.
A floor raises an amount owed over its period to at least the floor
in the piece that ends the period (a period not over within the span is not raised yet); a
period that owes nothing still owes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from accord.core.agreement.model import Limit, RemedyLimit
from accord.core.periods import enclosing, period_label

_ORDER = {"week": 0, "month": 1, "quarter": 2, "year": 3}
_ZERO = Decimal(0)

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Limited:
    """Amounts piece by piece after a limit, and what the limit did within the report."""

    amounts: tuple[Decimal, ...]
    reasons: tuple[str, ...]


def origin(start: datetime, kinds: Sequence[str]) -> datetime:
    """The earliest instant the limits of ``kinds`` look back to for a report starting at
    ``start``: the start of each of their periods holding ``start`` (a week may begin before
    the year holding it)."""
    first = start
    while True:
        earlier = min([first, *(enclosing(first, kind)[0] for kind in kinds)])
        if earlier == first:
            return first
        first = earlier


def grid(start: datetime, end: datetime, kinds: Sequence[str]) -> list[Span]:
    """``[origin, end)`` cut at ``start`` and at every boundary of the periods of ``kinds``."""
    first = origin(start, kinds)
    cuts = {first, start, end}
    for kind in set(kinds):
        cursor = first
        while cursor < end:
            cursor = enclosing(cursor, kind)[1]
            cuts.add(min(cursor, end))
    points = sorted(c for c in cuts if first <= c <= end)
    return list(pairwise(points))


def limit_pieces(
    spans: Sequence[Span],
    amounts: Sequence[Decimal],
    rule: Limit,
    start: datetime,
    what: str,
) -> Limited:
    """The amounts owed over ``spans`` (pieces in order of time, none crossing a boundary of
    the limit's period) after one cap or floor, and, for the pieces from ``start`` on (the
    report's), a reason for each period in which the limit changed an amount: the pieces it
    counted, the amount without the limit, and the limit that bound. ``what`` names what is
    limited in the reasons (``availability``, ``all penalties``)."""
    currency = rule.currency
    result = list(amounts)
    reasons = []
    groups: dict[datetime, list[int]] = {}
    for index, (first, _) in enumerate(spans):
        groups.setdefault(enclosing(first, rule.per)[0], []).append(index)
    for period, indexes in groups.items():
        before = [amounts[i] for i in indexes]
        after = list(before)
        said = []
        if rule.at_most is not None:
            after = capped(before, rule.at_most.amount)
            if after != before:
                said.append(f"capped at {rule.at_most.amount} {currency} a {rule.per}")
        total = sum(after, _ZERO)
        ends = enclosing(period, rule.per)[1]
        if (
            rule.at_least is not None
            and spans[indexes[-1]][1] == ends
            and _ZERO < total < rule.at_least.amount
        ):
            after[-1] += rule.at_least.amount - total
            said.append(f"raised to the floor of {rule.at_least.amount} {currency} a {rule.per}")
        for k, i in enumerate(indexes):
            result[i] = after[k]
        changed_here = any(
            after[k] != before[k] for k, i in enumerate(indexes) if spans[i][0] >= start
        )
        if not changed_here:
            continue
        counted = [
            f"{_label(*spans[i])} {before[k]}" for k, i in enumerate(indexes) if before[k] != 0
        ]
        uncapped = sum(before, _ZERO)
        limited = sum(after, _ZERO)
        mine = [k for k, i in enumerate(indexes) if spans[i][0] >= start]
        was = sum((before[k] for k in mine), _ZERO)
        now = sum((after[k] for k in mine), _ZERO)
        reasons.append(
            f"{what}: {' and '.join(said)} ({period_label(period, rule.per)}): owed without "
            f"it {' + '.join(counted) or 'nothing'} = {uncapped} {currency}, with it "
            f"{limited} {currency}; so {now} {currency} in this period instead of {was}"
        )
    return Limited(tuple(result), tuple(reasons))


def capped(amounts: Sequence[Decimal], cap: Decimal) -> list[Decimal]:
    """``amounts`` in order of time under a cap on their running total: each owes what takes
    the running total to at most ``cap``, so the total is ``min(sum, cap)`` and never passes
    it. An amount returned (negative: a credit earned back) lowers the running total and frees
    the cap again; with no amount returned this is "each owes what is left of the cap"."""
    found = []
    total = limited = _ZERO
    for amount in amounts:
        total += amount
        now = min(total, cap)
        found.append(now - limited)
        limited = now
    return found


def apply_limits(
    spans: Sequence[Span],
    amounts: Sequence[Decimal],
    limits: Sequence[Limit],
    start: datetime,
    what: str,
) -> Limited:
    """Several limits, shortest period first, each on the amounts the previous left."""
    found = tuple(amounts)
    reasons: list[str] = []
    for rule in sorted(limits, key=lambda rule: _ORDER[rule.per]):
        once = limit_pieces(spans, found, rule, start, what)
        found = once.amounts
        reasons += once.reasons
    return Limited(found, tuple(reasons))


def across_remedies(
    spans: Sequence[Span],
    owed: Mapping[str, Sequence[Decimal]],
    limits: Sequence[RemedyLimit],
    start: datetime,
) -> list[tuple[Decimal, str, str]]:
    """The limits across remedies: ``owed`` holds each kind of remedy's amounts piece by piece
    (``penalties``, ``credits``; each after its own limits, the credits with the at-risk
    pool's net). Limits of one kind apply first, then those of all remedies together;
    returned is what each binding limit took off (negative) or added within the report (the
    pieces from ``start`` on), with its reason and what it limits (its ``of``)."""
    found = {kind: tuple(amounts) for kind, amounts in owed.items()}
    adjusted: list[tuple[Decimal, str, str]] = []
    ordered = sorted(limits, key=lambda rule: (rule.of == "all", _ORDER[rule.per]))
    extra = tuple(_ZERO for _ in spans)  # what the limits of all remedies changed so far
    for rule in ordered:
        if rule.of == "all":
            amounts = [
                sum((found[kind][i] for kind in found), _ZERO) + extra[i] for i in range(len(spans))
            ]
        else:
            amounts = list(found.get(rule.of, tuple(_ZERO for _ in spans)))
        once = limit_pieces(spans, amounts, rule, start, f"all {_kinds(rule.of)}")
        change = [after - before for after, before in zip(once.amounts, amounts, strict=True)]
        if rule.of == "all":
            extra = tuple(e + c for e, c in zip(extra, change, strict=True))
        elif rule.of in found:
            found[rule.of] = once.amounts
        here = sum(
            (c for c, (first, _) in zip(change, spans, strict=True) if first >= start), _ZERO
        )
        if once.reasons:
            adjusted.append((here, "; ".join(once.reasons), rule.of))
    return adjusted


def _kinds(of: str) -> str:
    return {"all": "remedies", "penalties": "penalties", "credits": "service credits"}[of]


def _label(first: datetime, after: datetime) -> str:
    for kind in ("month", "quarter", "year", "week"):
        if enclosing(first, kind) == (first, after):
            return period_label(first, kind)
    return f"{first:%Y-%m-%d} to {after:%Y-%m-%d}"
