"""Credits in service time instead of money: e.g. "one day of service added for each hour of
downtime". The objective's downtime over a report's span (each of its own periods judged from
its own start, as fixed penalties count it) earns ``add`` per hour (or day), pro rata, to the
second. Service time is reported in days and hours and never added to money.

Additive over time: within a calendar year, a span earns what the year to its end earns less
what the year to its start earned, each rounded down to the second, so the months of a year
add up to the year to the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from accord.core.agreement.model import ServiceTime
from accord.core.agreement.units import format_timedelta
from accord.core.judging import Judging
from accord.core.penalties import _downtime_to, _observed_only
from accord.core.periods import in_force_span, split

_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class TimeCredit:
    """Service time one objective's downtime earned over a report's span."""

    objective: str
    downtime: timedelta
    add: timedelta
    per: str
    added: timedelta

    @property
    def reason(self) -> str:
        return (
            f"{self.objective}: {format_timedelta(self.downtime)} of downtime at "
            f"{in_days(self.add)} of service per {self.per} = {in_days(self.added)} of "
            "service added"
        )


def earned(rule: ServiceTime, downtime: timedelta) -> timedelta:
    """The service time ``downtime`` earns under ``rule``, pro rata, rounded down to the
    second."""
    unit = timedelta(hours=1) if rule.per == "hour" else timedelta(days=1)
    add = rule.add.time if rule.add.time is not None else timedelta(0)
    exact = Decimal(add // _SECOND) * Decimal(downtime // timedelta(microseconds=1))
    seconds = (exact / Decimal(unit // timedelta(microseconds=1))).quantize(
        Decimal(1), rounding=ROUND_DOWN
    )
    return timedelta(seconds=int(seconds))


def service_time(judging: Judging, rule: ServiceTime, start: datetime, end: datetime) -> TimeCredit:
    """The service time ``rule`` adds over ``[start, end)``, counting downtime up to the
    instant judged at, the agreement's end and the end of the observed evidence."""
    agreement = judging.agreement
    objective = agreement.objective(rule.objective)
    own = _observed_only(judging)
    cut = end if judging.as_of is None else max(start, min(end, judging.as_of))
    cut = max(start, min(cut, in_force_span(agreement, start, end)[1]))
    observed = judging.all_evidence.observed
    if observed is not None:
        cut = max(start, min(cut, observed[1]))
    downtime = added = timedelta(0)
    for first, begin, finish in split(start, cut, "year"):
        if agreement.effective is not None:  # nothing before the agreement counts
            first = max(first, datetime.combine(agreement.effective.start, time(), first.tzinfo))
        to_end = _downtime_to(own, objective, first, finish)
        to_start = _downtime_to(own, objective, first, begin)
        downtime += to_end - to_start
        added += earned(rule, to_end) - earned(rule, to_start)
    add = rule.add.time if rule.add.time is not None else timedelta(0)
    return TimeCredit(rule.objective, downtime, add, rule.per, added)


def in_days(span: timedelta) -> str:
    """Service time as a contract counts it: ``1 day 12 hours``, ``3 days``, ``45 min``."""
    days, rest = divmod(span, timedelta(days=1))
    hours, rest = divmod(rest, timedelta(hours=1))
    minutes, rest = divmod(rest, timedelta(minutes=1))
    seconds = rest // _SECOND
    counts = ((days, "day"), (hours, "hour"), (minutes, "minute"), (seconds, "second"))
    parts = [f"{count} {word}{'s' if count != 1 else ''}" for count, word in counts if count]
    return " ".join(parts) or "no time"
