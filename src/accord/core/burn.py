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
    return replace(result, burn_rate=burn_rate(result.actual, target), burn_alerts=alerts)


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
