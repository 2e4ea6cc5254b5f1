"""Availability within a service window, from outages and maintenance, in exact arithmetic.

The window is a business calendar (24x7, prime time, off hours...); only time inside it counts.
Downtime is the union of outage intervals inside the window, each instant counted once at the
heaviest impact that covers it (a partial outage has a weight between 0 and 1). The agreement's
exclusions decide what does not count: customer-caused and force-majeure outages, and scheduled
maintenance, which is excluded from the window, counted as down, or counted as up; maintenance
announced later than the notice requires, or beyond the period's allowance, is ordinary downtime.

Figures are integers of microseconds and ``Decimal`` percentages, so a 99.9% target is compared
exactly (never 0.0009999999999999432).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from accord.core.agreement.model import Exclusions, Maintenance
from accord.core.calendar import BusinessCalendar

Cause = Literal["provider", "customer", "third_party", "force_majeure"]
_ZERO = timedelta(0)
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Outage:
    """A service down (``impact`` 1) or degraded (a weight below 1) from ``start`` to ``end``."""

    service: str
    start: datetime
    end: datetime | None = None
    impact: Decimal = Decimal(1)
    cause: Cause = "provider"
    id: str = ""

    def __post_init__(self) -> None:
        _to_utc(self, "start", "end")


@dataclass(frozen=True)
class MaintenanceWindow:
    """Scheduled work on a service, and when it was announced."""

    service: str
    start: datetime
    end: datetime
    announced_at: datetime | None = None
    id: str = ""

    def __post_init__(self) -> None:
        _to_utc(self, "start", "end", "announced_at")


@dataclass(frozen=True)
class Downtime:
    """A stretch that counts against the service, with its weight and why it counts."""

    start: datetime
    end: datetime
    weight: Decimal
    business: timedelta
    reason: str


@dataclass(frozen=True)
class Availability:
    """Availability of one service in one window over one period, with its figures."""

    service: str
    window: timedelta
    downtime: Decimal
    excluded: timedelta
    target: Decimal | None
    intervals: tuple[Downtime, ...]

    @property
    def percent(self) -> Decimal:
        """Up share of the window, in percent, exact (100 when the window is empty)."""
        if self.window <= _ZERO:
            return _HUNDRED
        window = Decimal(self.window // timedelta(microseconds=1))
        return (window - self.downtime) / window * _HUNDRED

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.percent >= self.target

    @property
    def margin(self) -> Decimal | None:
        """Percentage points above (positive) or below (negative) the target."""
        return None if self.target is None else self.percent - self.target

    @property
    def budget(self) -> Decimal | None:
        """Downtime the target allows over the window, in microseconds (the error budget)."""
        if self.target is None:
            return None
        return (
            Decimal(self.window // timedelta(microseconds=1)) * (_HUNDRED - self.target) / _HUNDRED
        )

    @property
    def budget_left(self) -> Decimal | None:
        budget = self.budget
        return None if budget is None else budget - self.downtime


def availability(
    service: str,
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
    outages: Iterable[Outage],
    maintenance: Iterable[MaintenanceWindow] = (),
    exclusions: Exclusions | None = None,
    target: Decimal | None = None,
) -> Availability:
    """Availability of ``service`` in ``window`` over ``[start, end)``.

    Outages still open count up to ``end``. Maintenance follows ``exclusions.maintenance``
    (excluded by default: neither window nor downtime).
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    rules = exclusions or Exclusions.model_validate({})
    plan = rules.maintenance or Maintenance.model_validate({})
    pieces: list[tuple[datetime, datetime, Decimal, str]] = []
    for outage in outages:
        if outage.service != service:
            continue
        if outage.cause == "customer" and rules.customer_caused == "excluded":
            continue
        if outage.cause == "force_majeure" and rules.force_majeure == "excluded":
            continue
        if outage.cause == "third_party" and rules.third_party == "excluded":
            continue
        clipped = _clip(outage.start, outage.end or end, start, end)
        if clipped is not None:
            weight = min(max(outage.impact, Decimal(0)), Decimal(1))
            name = f"outage {outage.id}" if outage.id else "outage"
            pieces.append((*clipped, weight, f"{name} ({outage.cause.replace('_', ' ')})"))
    removed: list[tuple[datetime, datetime]] = []
    allowance = plan.allowance.time if plan.allowance is not None else None
    allowed_left = allowance
    for work in sorted((m for m in maintenance if m.service == service), key=lambda m: m.start):
        clipped = _clip(work.start, work.end, start, end)
        if clipped is None:
            continue
        announced = plan.notice is None or (
            work.announced_at is not None
            and plan.notice.time is not None
            and work.start - work.announced_at >= plan.notice.time
        )
        if not announced:
            pieces.append((*clipped, Decimal(1), "maintenance not announced in time"))
            continue
        inside = window.elapsed(*clipped)
        if allowed_left is not None and inside > allowed_left:
            # the allowance runs out inside this window: the rest is ordinary downtime
            cut = window.add(clipped[0], allowed_left) if allowed_left > _ZERO else clipped[0]
            pieces.append((cut, clipped[1], Decimal(1), "maintenance beyond the allowance"))
            clipped = (clipped[0], cut)
            allowed_left = _ZERO
        elif allowed_left is not None:
            allowed_left -= inside
        if clipped[1] <= clipped[0]:
            continue
        if plan.counts_as == "down":
            pieces.append((*clipped, Decimal(1), "maintenance (counted as down)"))
        else:
            removed.append(clipped)
    removed = _union(removed)
    excluded = sum((window.elapsed(a, b) for a, b in removed), _ZERO)
    excluded_from_window = _ZERO if plan.counts_as == "up" else excluded
    downtime_pieces = _heaviest(pieces, removed)
    intervals = tuple(
        Downtime(a, b, weight, window.elapsed(a, b), reason)
        for a, b, weight, reason in downtime_pieces
    )
    downtime = sum(
        (Decimal(i.business // timedelta(microseconds=1)) * i.weight for i in intervals), Decimal(0)
    )
    return Availability(
        service=service,
        window=window.elapsed(start, end) - excluded_from_window,
        downtime=downtime,
        excluded=excluded,
        target=target,
        intervals=intervals,
    )


def _to_utc(value: object, *names: str) -> None:
    """Instants in UTC: aware datetimes sharing a zone compare and subtract by wall time, which
    is wrong across a DST change."""
    for name in names:
        moment = getattr(value, name)
        if moment is None:
            continue
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{type(value).__name__}.{name}: naive datetime {moment.isoformat()}")
        object.__setattr__(value, name, moment.astimezone(UTC))


def _clip(
    a: datetime, b: datetime, start: datetime, end: datetime
) -> tuple[datetime, datetime] | None:
    low, high = max(a, start), min(b, end)
    return (low, high) if low < high else None


def _union(spans: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _heaviest(
    pieces: Sequence[tuple[datetime, datetime, Decimal, str]],
    removed: Sequence[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime, Decimal, str]]:
    """Each instant once, at the heaviest weight covering it, outside the removed spans."""
    edges = sorted(
        {p[0] for p in pieces}
        | {p[1] for p in pieces}
        | {r[0] for r in removed}
        | {r[1] for r in removed}
    )
    result: list[tuple[datetime, datetime, Decimal, str]] = []
    for a, b in itertools.pairwise(edges):
        if any(r0 <= a and b <= r1 for r0, r1 in removed):
            continue
        covering = [p for p in pieces if p[0] <= a and b <= p[1]]
        if not covering:
            continue
        weight, reason = max((p[2], p[3]) for p in covering)
        if weight <= 0:
            continue
        if result and result[-1][1] == a and result[-1][2] == weight and result[-1][3] == reason:
            result[-1] = (result[-1][0], b, weight, reason)
        else:
            result.append((a, b, weight, reason))
    return result
