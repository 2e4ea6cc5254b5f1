"""Burn rates of an availability objective's error budget, and the SRE workbook's multi-window
alerts: the objective judged again over each alert's long and short window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from accord.core.agreement.model import Agreement, Objective
from accord.core.agreement.units import format_timedelta
from accord.core.calendar import BusinessCalendar
from accord.core.clocks import calendars_of
from accord.core.evidence import Data
from accord.core.judging import Judging, ObjectiveResult, judge_objective, target_of
from accord.core.slices import WORKBOOK_ALERTS

_HUNDRED = Decimal(100)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class BurnAlert:
    """One multi-window burn-rate alert (SRE workbook): it fires when the burn rate over both the
    long and the short window, each ending at the period's end, reaches the threshold."""

    long: timedelta
    short: timedelta
    threshold: Decimal
    long_rate: Decimal | None
    """None when the window holds nothing to judge (closed, or no data)."""
    short_rate: Decimal | None

    @property
    def firing(self) -> bool:
        return all(r is not None and r >= self.threshold for r in (self.long_rate, self.short_rate))

    @property
    def text(self) -> str:
        def rate(value: Decimal | None) -> str:
            return "-" if value is None else f"{value:.1f}x"

        return (
            f"burn rate {rate(self.long_rate)} over {format_timedelta(self.long)} and "
            f"{rate(self.short_rate)} over {format_timedelta(self.short)} "
            f"(alert at {self.threshold}x): {'firing' if self.firing else 'quiet'}"
        )


def burning(judging: Judging, objective: Objective, result: ObjectiveResult) -> ObjectiveResult:
    """An availability result with its burn rate over the span judged and the workbook's alerts
    as of the span's end."""
    if (
        objective.metric != "availability"
        or not result.judged
        or result.actual is None
        or result.margin is None
        or result.judged_until is None
    ):
        return result
    target = result.actual - result.margin
    alerts = tuple(
        _alert(judging, objective, result.judged_until, target, *alert) for alert in WORKBOOK_ALERTS
    )
    pace = result.elapsed_actual
    assert pace is not None  # ``actual`` is, or ``pace`` with it
    return replace(result, burn_rate=burn_rate(pace, target), burn_alerts=alerts)


def burn_alert(
    agreement: Agreement,
    objective: str,
    data: Data,
    moment: datetime,
    long: timedelta,
    short: timedelta,
    threshold: Decimal,
    tier: str | None = None,
    calendars: Mapping[str, BusinessCalendar] | None = None,
) -> BurnAlert | None:
    """One burn-rate alert of an availability objective as of ``moment``: its long and short
    windows ending then, judged by the objective's method and calendar (None when the
    objective has no percent target to burn against; ``calendars``: the agreement's, when the
    caller has them built already)."""
    found = agreement.objective(objective)
    target = target_of(found, tier)
    if found.metric != "availability" or not isinstance(target, Decimal):
        return None
    built = calendars if calendars is not None else calendars_of(agreement)
    judging = Judging(agreement, data, built, tier)
    return _alert(judging, found, moment, target, long, short, threshold)


def _alert(
    judging: Judging,
    objective: Objective,
    end: datetime,
    target: Decimal,
    long: timedelta,
    short: timedelta,
    threshold: Decimal,
) -> BurnAlert:
    rates = []
    end = end.astimezone(UTC)  # the last hour is 60 minutes, even across a change of clocks
    for span in (long, short):
        part = judge_objective(judging, objective, end - span, end)
        rates.append(
            burn_rate(part.actual, target) if part.judged and part.actual is not None else None
        )
    return BurnAlert(long, short, threshold, rates[0], rates[1])


def burn_rate(actual: Decimal, target: Decimal) -> Decimal:
    """(100 - actual) / (100 - target): the share of the error budget spent per share of time."""
    if target >= _HUNDRED:
        return Decimal("Infinity") if actual < _HUNDRED else Decimal(0)
    rate = (_HUNDRED - actual) / (_HUNDRED - target)
    return rate if rate else Decimal(0)


@dataclass(frozen=True)
class Projection:
    """Where a time-based availability objective ends its period if the rest of the period
    goes as the part judged so far: the same downtime per business hour of the window."""

    end: datetime
    """The period's end (or the agreement's, when earlier)."""
    budget: timedelta
    """The downtime the target allows over the whole period."""
    downtime: timedelta
    """The downtime projected at ``end``: the downtime so far at the pace so far."""
    exhausted_at: datetime | None
    """When the budget ran out (already spent), or runs out at that pace before ``end``;
    None when it lasts the period."""

    @property
    def left(self) -> timedelta:
        """The budget left at ``end`` (negative: the target is projected to be missed)."""
        return self.budget - self.downtime

    @property
    def met(self) -> bool:
        return self.downtime <= self.budget


def projection(
    result: ObjectiveResult, window: BusinessCalendar, end: datetime
) -> Projection | None:
    """The end of the period of a time-based availability result judged to date (``end``:
    where the period or the agreement ends; ``window``: the objective's calendar): the whole
    period's budget at the target's share of its window, the downtime so far extrapolated
    over the window still to come, and when the budget runs out at that pace. None without a
    budget or a span judged."""
    if (
        result.budget is None
        or result.downtime is None
        or result.judged_from is None
        or result.judged_until is None
    ):
        return None
    first, last = result.judged_from, min(result.judged_until, end)
    judged = window.elapsed(first, last)
    whole = window.elapsed(first, end) if last < end else judged
    budget = timedelta(microseconds=int(whole_budget(result, judged, whole).to_integral_value()))
    downtime = result.downtime
    if judged > timedelta(0) and whole > judged:
        downtime = _scaled(downtime, whole, judged)
    exhausted: datetime | None = None
    if result.downtime > budget:
        exhausted = _spent_by(result, budget) or last
    elif result.downtime > timedelta(0) and downtime > budget:
        # the budget left, at the pace so far (downtime per business time of the window)
        to_go = _scaled(budget - result.downtime, judged, result.downtime)
        exhausted = min(window.add(last, to_go), end)
    return Projection(end, budget, downtime, exhausted)


def whole_budget(result: ObjectiveResult, judged: timedelta, whole: timedelta) -> Decimal:
    """The whole period's error budget of a time-based availability result (with a budget),
    µs, exact: measured over the period's window when the result says
    (``period_budget``), else the span judged's budget at the same share of the period's
    window (``judged``, ``whole``: the business time of the span judged, and from its start
    to the period's end; as it is when nothing was judged, or nothing is left)."""
    if result.period_budget is not None:
        return Decimal(result.period_budget // _MICRO)
    assert result.budget is not None
    budget = Decimal(result.budget // _MICRO)
    if judged > timedelta(0) and whole > judged:
        return budget * Decimal(whole // _MICRO) / Decimal(judged // _MICRO)
    return budget


def _scaled(span: timedelta, numerator: timedelta, denominator: timedelta) -> timedelta:
    """``span * numerator / denominator``, exact to the microsecond (rounded half even)."""
    micros = Decimal(span // _MICRO) * Decimal(numerator // _MICRO) / Decimal(denominator // _MICRO)
    return timedelta(microseconds=int(micros.to_integral_value()))


def _spent_by(result: ObjectiveResult, budget: timedelta) -> datetime | None:
    """The instant the downtime counted (the result's breaches, weighted, in order) passed
    ``budget``: within the breach that crossed it, at its share of that breach."""
    spent = timedelta(0)
    for breach in sorted(result.breaches, key=lambda b: b.start):
        if breach.business is None or breach.end is None or breach.business <= timedelta(0):
            continue
        weighted = _weighted(breach.business, breach.weight)
        if spent + weighted > budget:
            share = (budget - spent) / weighted if weighted > timedelta(0) else 0.0
            return breach.start + (breach.end - breach.start) * share
        spent += weighted
    return None


def _weighted(span: timedelta, weight: Decimal) -> timedelta:
    micros = Decimal(span // _MICRO) * weight
    return timedelta(microseconds=int(micros.to_integral_value()))


@dataclass(frozen=True)
class TicketProjection:
    """A ticket objective's share met if every ticket open now is resolved: those already past
    their deadline count as breached, the others as met (the best the period can still end at)."""

    actual: Decimal
    met: bool | None


def ticket_projection(result: ObjectiveResult, target: Decimal | None) -> TicketProjection | None:
    """The best share a percent ticket objective can still end its period at (``target``:
    its percent target; None without one): tickets counted so far, and the open ones (open
    breached as breached, other open ones as met). None without tickets counted or open."""
    counts = result.tickets
    if counts is None:
        return None
    met, breached = counts.met, counts.breached
    if counts.count_in == "resolved":  # open clocks are not counted yet
        met += counts.open - counts.open_breached
        breached += counts.open_breached
    elif counts.count_in == "created":  # open breached ones are counted breached already
        met += counts.open - counts.open_breached
    total = met + breached
    if total == 0:
        return None
    actual = Decimal(met) * _HUNDRED / Decimal(total)
    return TicketProjection(actual, None if target is None else actual >= target)
