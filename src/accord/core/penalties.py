"""Fixed penalties over a report's span: per hour (or day) of downtime beyond the threshold of
the rule's period, per incident, per miss of the objective's own periods.

Every charge is additive over time: the months of a year owe, together, what the year owes. A
per-hour charge owes only the time over the threshold that its span added; incidents are
charged in the period they began; a miss is charged in the report holding the end of the
objective period that missed."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal

from accord.core.agreement.model import Objective, Penalty
from accord.core.agreement.units import format_timedelta
from accord.core.availability import Downtime, incidents_of
from accord.core.caps import apply_limits, grid, origin
from accord.core.credits import cents, penalty, plain, rounded_units
from accord.core.evidence import Data
from accord.core.judging import (
    Judging,
    ObjectiveResult,
    for_provider,
    judge_objective,
    provider_name,
    reads_from,
    span_of,
)
from accord.core.periods import enclosing, in_force_span, period_label, split
from accord.core.termination import judged_by

_TICK = timedelta(microseconds=1)


def penalties(
    judging: Judging,
    rule: Penalty,
    known: Mapping[str, ObjectiveResult],
    start: datetime,
    end: datetime,
) -> list[tuple[Decimal, str]]:
    """What a fixed penalty costs over ``[start, end)``, with its reasons. An objective
    measured across several providers is charged to each on its own figures. ``known``:
    results already judged over ``[start, end)`` by objective (``objective@provider``).
    The penalty's own caps and floors (``limits``) are applied (:mod:`accord.core.caps`)."""
    periodic = [limit for limit in rule.limits if limit.per != "incident"]
    if not periodic:  # limits per incident are applied incident by incident
        return [
            owed
            for _, found in penalties_by_side(judging, rule, known, start, end)
            for owed in found
        ]
    objective = judging.agreement.objective(rule.objective)
    # cut at months too, so a reason names the months that used a longer period's cap
    kinds = [limit.per for limit in periodic] + [rule.period.kind, "month"]
    spans = grid(start, end, kinds)
    pieces = [
        penalties_by_side(
            judging,
            rule,
            known if (a, b) == (start, end) else judged_over(judging, objective, a, b),
            a,
            b,
        )
        for a, b in spans
    ]
    report = penalties_by_side(judging, rule, known, start, end)
    owed: list[tuple[Decimal, str]] = []
    for side, (provider, found) in enumerate(report):
        prefix = "" if provider is None else f"{provider_name(judging.agreement, provider)}: "
        amounts = [sum((a for a, _ in piece[side][1]), Decimal(0)) for piece in pieces]
        limited = apply_limits(spans, amounts, periodic, start, prefix + rule.objective)
        if not limited.reasons:
            owed.extend(found)
            continue
        total = sum(
            (a for a, (first, _) in zip(limited.amounts, spans, strict=True) if first >= start),
            Decimal(0),
        )
        if len(found) == 1:
            owed.append((total, f"{found[0][1]}; {'; '.join(limited.reasons)}"))
        else:
            owed.extend(found)
            was = sum((a for a, _ in found), Decimal(0))
            owed.append((total - was, "; ".join(limited.reasons)))
    return owed


def penalties_by_side(
    judging: Judging,
    rule: Penalty,
    known: Mapping[str, ObjectiveResult],
    start: datetime,
    end: datetime,
) -> list[tuple[str | None, list[tuple[Decimal, str]]]]:
    """:func:`penalties` without limits, by side: for each provider charged on its own figures
    (None: the combined figures), the amounts and reasons."""
    agreement = judging.agreement
    objective = agreement.objective(rule.objective)
    sides: list[tuple[str | None, Judging]] = [
        (p, judging.of(for_provider(agreement, judging.data, p))) for p in objective.providers
    ] or [(None, judging)]
    sides = [(p, _observed_only(own)) for p, own in sides]
    # downtime and incidents count up to the instant judged at; misses are judged per period
    cut = end if judging.as_of is None else max(start, min(end, judging.as_of))
    cut = max(start, min(cut, in_force_span(agreement, start, end)[1]))  # nor after its end
    observed = judging.all_evidence.observed
    if observed is not None:  # nor outside the span the evidence was watched over
        cut = max(start, min(cut, observed[1]))
    by_side: list[tuple[str | None, list[tuple[Decimal, str]]]] = []
    for provider, own in sides:
        owed: list[tuple[Decimal, str]] = []
        by_side.append((provider, owed))
        prefix = "" if provider is None else f"{provider_name(agreement, provider)}: "
        key = objective.id if provider is None else f"{objective.id}@{provider}"
        result = known[key]
        if rule.per == "miss":
            owed.append(_per_miss(own, rule, objective, known.get(key), start, end, prefix))
            continue
        if not result.judged:
            owed.append((Decimal(0), f"{prefix}{rule.objective}: not charged: {result.detail}"))
            continue
        if rule.per == "incident" and result.incidents is None:
            # the breached tickets of a ticket objective
            amount, reason = penalty(
                rule, timedelta(0), len(result.breaches), counted="breached ticket"
            )
            owed.append((amount, prefix + reason))
            continue
        pieces = split(start, cut, rule.period.kind)
        for first, begin, finish in pieces:
            opened = first
            if agreement.effective is not None:  # nothing before the agreement counts
                opened = datetime.combine(agreement.effective.start, time(), first.tzinfo)
                first = max(first, opened)
            if rule.per == "incident":  # the incidents that began in this period
                count = _incidents_begun(own, objective, max(begin, first), finish, opened)
                amount, reason = penalty(rule, timedelta(0), count)
            elif rule.rounding_of == "incident" or any(b.per == "incident" for b in rule.limits):
                amount, reason = _by_incident(own, rule, objective, first, begin, finish)
            else:
                amount, reason = penalty(
                    rule,
                    _downtime_to(own, objective, first, finish),
                    before=_downtime_to(own, objective, first, begin),
                )
            scope = f"{begin:%Y-%m-%d} to {finish:%Y-%m-%d}: " if len(pieces) > 1 else ""
            owed.append((amount, prefix + scope + reason))
    return by_side


@dataclass(frozen=True)
class _Charged:
    """One incident's share of a per-hour penalty, to some instant."""

    start: datetime
    down: timedelta
    counted: Decimal
    """Its hours (days), rounded when each incident is rounded on its own."""
    over: Decimal
    """The hours of it over the threshold, the incidents before it having used it first."""
    amount: Decimal
    owed: Decimal
    """``amount`` after the penalty's caps and floors per incident."""


def _by_incident(
    judging: Judging,
    rule: Penalty,
    objective: Objective,
    first: datetime,
    begin: datetime,
    finish: datetime,
) -> tuple[Decimal, str]:
    """A per-hour (per-day) penalty counted incident by incident, over ``[begin, finish)`` of
    the penalty's period starting at ``first``: each incident's downtime (rounded on its own
    with ``rounding_of: incident``), the threshold used by the incidents in order of time, each
    incident's amount capped or floored per incident. What ``[first, finish)`` owes less what
    ``[first, begin)`` owed: an incident running over a boundary owes in each period what it
    added there, so the periods add up to the year."""
    after, before = _incidents_to(judging, rule, objective, first, finish), []
    if begin > first:
        before = _incidents_to(judging, rule, objective, first, begin)
    currency = rule.amount.currency
    owed = sum((i.owed for i in after), Decimal(0)) - sum((i.owed for i in before), Decimal(0))
    earlier = {i.start: i.owed for i in before}
    lines = []
    for incident in after:
        if incident.owed == earlier.get(incident.start, Decimal(0)):
            continue
        bound = ""
        if incident.owed < incident.amount:
            bound = f", capped at {incident.owed} {currency} an incident"
        elif incident.owed > incident.amount:
            bound = f", raised to the floor of {incident.owed} {currency} an incident"
        lines.append(
            f"{incident.start:%Y-%m-%d %H:%M} {format_timedelta(incident.down)}: "
            f"{plain(incident.counted):f} {rule.per}(s), {plain(incident.over):f} over = "
            f"{incident.amount} {currency}{bound}"
            + (
                f" ({earlier[incident.start]} of it before this period)"
                if incident.start in earlier
                else ""
            )
        )
    allowed = rule.beyond.time if rule.beyond is not None and rule.beyond.time else timedelta(0)
    rounded = "" if rule.rounding == "pro rata" else f" counted {rule.rounding}"
    each = " of each incident" if rule.rounding_of == "incident" and rounded else ""
    return owed, (
        f"{rule.objective}: incidents at {rule.amount.amount} {currency} per {rule.per}"
        f"{rounded}{each}, {format_timedelta(allowed)} allowed a {rule.period}"
        + (f": {'; '.join(lines)}" if lines else ": none owing")
        + f" = {owed} {currency}"
    )


def _incidents_to(
    judging: Judging, rule: Penalty, objective: Objective, first: datetime, until: datetime
) -> list[_Charged]:
    """Each incident of ``[first, until)`` with its share of the penalty, in order of time."""
    pieces = [
        piece
        for start, end in objective_spans(objective, first, until)
        for piece in judging.availability(objective, start, end).intervals
    ]
    found = incidents_of(pieces, timedelta(0))
    unit = timedelta(hours=1) if rule.per == "hour" else timedelta(days=1)
    allowed = rule.beyond.time if rule.beyond is not None and rule.beyond.time else timedelta(0)
    free = Decimal(allowed // _TICK) / Decimal(unit // _TICK)
    caps = [b for b in rule.limits if b.per == "incident"]
    each = rule.rounding_of == "incident"
    charged: list[_Charged] = []
    used = Decimal(0)  # the incidents' hours so far, exact or each rounded

    def over(hours: Decimal) -> Decimal:
        beyond = max(hours - free, Decimal(0))
        return beyond if each else rounded_units(beyond, rule.rounding)

    counted_pieces = sorted((p for p in pieces if p.weight > 0 and p.end > first), key=_start)
    starts = [p.start for p in counted_pieces]
    for start, end in zip(found.starts, found.ends, strict=True):
        if end <= first or start >= until:
            continue
        own = counted_pieces[bisect_left(starts, start) : bisect_left(starts, end)]
        if any(p.start < first for p in own):  # a piece across ``first``: its part after it
            down = _downtime_to(judging, objective, first, min(end, until)) - _downtime_to(
                judging, objective, first, max(start, first)
            )
        else:  # the pieces are disjoint: its downtime is theirs, weighted as availability's
            down = span_of(sum((Decimal(p.business // _TICK) * p.weight for p in own), Decimal(0)))
        exact = Decimal(down // _TICK) / Decimal(unit // _TICK)
        counted = rounded_units(exact, rule.rounding) if each else exact
        share = over(used + counted) - over(used)
        used += counted
        amount = cents(share * rule.amount.amount)
        owed = amount
        for bound in caps:
            if bound.at_most is not None:
                owed = min(owed, bound.at_most.amount)
            if bound.at_least is not None and owed > 0:
                owed = max(owed, bound.at_least.amount)
        charged.append(_Charged(max(start, first), down, counted, share, amount, owed))
    return charged


def _start(piece: Downtime) -> datetime:
    return piece.start


def judged_over(
    judging: Judging, objective: Objective, start: datetime, end: datetime
) -> dict[str, ObjectiveResult]:
    """The objective judged over ``[start, end)``, on the combined figures and each provider's."""
    agreement = judging.agreement
    found = {objective.id: judge_objective(judging, objective, start, end)}
    for provider in objective.providers:
        own = judging.of(for_provider(agreement, judging.data, provider))
        found[f"{objective.id}@{provider}"] = judge_objective(own, objective, start, end)
    return found


def penalty_since(objective: Objective, rule: Penalty, start: datetime) -> datetime:
    """The earliest instant :func:`penalties` reads evidence from for a report beginning at
    ``start`` (``objective``: the rule's): the objective periods a per-miss
    penalty judges; for downtime against a threshold, the objective periods from the start of
    the threshold's period (each judged from its own start, for its maintenance allowance);
    for incidents, the objective period before the one holding ``start`` (an incident running
    into the report from there began before it). With caps or floors, from the start of the
    longest of their periods holding ``start``."""
    periodic = [limit.per for limit in rule.limits if limit.per != "incident"]
    if periodic:
        start = origin(start, [*periodic, rule.period.kind])
    if rule.per == "miss":
        return reads_from(objective, enclosing(start, judged_by(objective))[0])
    kind = objective.period.kind
    if rule.per == "incident":
        if kind == "rolling":
            return start - _TICK
        return enclosing(enclosing(start, kind)[0] - _TICK, kind)[0]
    first = enclosing(start, rule.period.kind)[0]
    return first if kind == "rolling" else enclosing(first, kind)[0]


def _per_miss(
    judging: Judging,
    rule: Penalty,
    objective: Objective,
    whole: ObjectiveResult | None,
    start: datetime,
    end: datetime,
    prefix: str,
) -> tuple[Decimal, str]:
    """A per-miss penalty: each of the objective's own periods that ends within the span and
    missed is one miss (a year's report owes the sum of its months; a quarter's report of a
    monthly objective counts its three months). A period not over at the instant judged at is
    judged to date, as the rest of such a report."""
    kind = judged_by(objective)
    misses = []
    first = enclosing(start, kind)[0]
    while first < end:
        after = enclosing(first, kind)[1]
        if start < after <= end:
            result = (
                whole
                if whole is not None and (first, after) == (start, end)
                else judge_objective(judging, objective, first, after, breaches=False)
            )
            if result.met is False and result.judged:
                so_far = " (to date)" if result.status == "to date" else ""
                misses.append(f"{period_label(first, kind)}{so_far}")
        first = after
    amount, reason = penalty(rule, timedelta(0), misses=len(misses))
    return amount, prefix + reason + (f" ({', '.join(misses)})" if misses else "")


def _observed_only(judging: Judging) -> Judging:
    """The judging with its outages and maintenance cut to the declared span of the evidence:
    downtime nobody was watching for is not charged."""
    observed = judging.all_evidence.observed
    if observed is None:
        return judging
    first, last = observed
    data = (
        _within(judging.data, first, last)
        if judging.cache is None
        else judging.cache.within(judging.data, observed, lambda d: _within(d, first, last))
    )
    return (
        judging.of(data)
        if judging.whole is None
        else replace(judging, data=data, evaluations={}, _columns=None)
    )


def _within(evidence: Data, first: datetime, last: datetime) -> Data:
    """The outages and maintenance of ``evidence`` cut to ``[first, last]``."""

    def cut(start: datetime, end: datetime | None) -> tuple[datetime, datetime] | None:
        a, b = max(start, first), min(end or last, last)
        return (a, b) if a < b else None

    # a record inside the span is kept as it is (copying each costs more than judging it)
    outages = []
    for outage in evidence.outages:
        kept = cut(outage.start, outage.end)
        if kept is not None:
            inside = kept == (outage.start, outage.end)
            outages.append(outage if inside else replace(outage, start=kept[0], end=kept[1]))
    maintenance = []
    for work in evidence.maintenance:
        kept = cut(work.start, work.end)
        if kept is not None:
            inside = kept == (work.start, work.end)
            maintenance.append(work if inside else replace(work, start=kept[0], end=kept[1]))
    return replace(evidence, outages=tuple(outages), maintenance=tuple(maintenance))


def _downtime_to(
    judging: Judging, objective: Objective, first: datetime, until: datetime
) -> timedelta:
    """Downtime from ``first`` to ``until``, each of the objective's own periods judged from
    its own start (a maintenance allowance is so much a period, used from the period's start,
    not so much a year)."""
    if until <= first:
        return timedelta(0)
    total = timedelta(0)
    for start, end in objective_spans(objective, first, until):
        total += span_of(judging.availability(objective, start, end).downtime)
        if start < first:  # the part of this period before ``first`` is not asked for
            earlier = judging.availability(objective, start, first)
            total -= span_of(earlier.downtime)
    return total


def _incidents_begun(
    judging: Judging, objective: Objective, begin: datetime, finish: datetime, floor: datetime
) -> int:
    """Incidents that began in ``[begin, finish)``: runs of downtime with business time, each
    objective period judged from its own start (its maintenance allowance), the period before
    too so that an incident running into this one is known to have begun earlier. An incident
    begins at its first business time; one that began before ``floor`` (the agreement's start)
    begins at ``floor``."""
    if finish <= begin:
        return 0
    calendars = judging.calendars
    earlier = begin - _TICK
    if objective.period.kind != "rolling":
        earlier = enclosing(
            enclosing(begin, objective.period.kind)[0] - _TICK, objective.period.kind
        )[0]
    pieces = [
        piece
        for start, end in objective_spans(objective, earlier, finish)
        for piece in judging.availability(objective, start, end).intervals
    ]
    window = calendars[objective.calendar]
    began = (
        max(floor, start if window.is_open(start) else window.next_open(start))
        for start in incidents_of(pieces, timedelta(0)).starts
    )
    return sum(1 for start in began if begin <= start < finish)


def objective_spans(
    objective: Objective, first: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The objective's own periods that overlap ``[first, until)``, each from its start (which
    may come before ``first``) to its end or ``until``; one span for a rolling period."""
    kind = objective.period.kind
    if kind == "rolling":
        return [(first, until)]
    spans = []
    cursor = enclosing(first, kind)[0]
    while cursor < until:
        start, end = enclosing(cursor, kind)
        spans.append((start, min(end, until)))
        cursor = end
    return spans


__all__ = [
    "judged_over",
    "objective_spans",
    "penalties",
    "penalties_by_side",
    "penalty_since",
    "provider_name",
]
