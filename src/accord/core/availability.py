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

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import Exclusions, Maintenance
from accord.core.calendar import BusinessCalendar, to_nanos

Cause = Literal["provider", "customer", "third_party", "force_majeure"]
_ZERO = timedelta(0)
_HUNDRED = Decimal(100)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    maintenance_window: BusinessCalendar | None = None,
) -> Availability:
    """Availability of ``service`` in ``window`` over ``[start, end)``.

    Outages still open count up to ``end``. Maintenance follows ``exclusions.maintenance``
    (excluded by default: neither window nor downtime); with ``maintenance_window`` (the
    calendar named by ``exclusions.maintenance.window``), work outside it is ordinary downtime.
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
        parts = [clipped]
        if maintenance_window is not None:
            parts = [
                (i.start.astimezone(UTC), i.end.astimezone(UTC))
                for i in maintenance_window.open_intervals(*clipped)
            ]
            cursor = clipped[0]
            for a, b in [*parts, (clipped[1], clipped[1])]:
                if a > cursor:
                    pieces.append((cursor, a, Decimal(1), "maintenance outside its window"))
                cursor = max(cursor, b)
        for part in parts:
            inside = window.elapsed(*part)
            if allowed_left is not None and inside > allowed_left:
                # the allowance runs out inside this part: the rest is ordinary downtime
                cut = window.add(part[0], allowed_left) if allowed_left > _ZERO else part[0]
                pieces.append((cut, part[1], Decimal(1), "maintenance beyond the allowance"))
                part = (part[0], cut)
                allowed_left = _ZERO
            elif allowed_left is not None:
                allowed_left -= inside
            if part[1] <= part[0]:
                continue
            if plan.counts_as == "down":
                pieces.append((*part, Decimal(1), "maintenance (counted as down)"))
            else:
                removed.append(part)
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


@dataclass(frozen=True)
class AvailabilityTable:
    """Per service: business time in the window, weighted downtime and excluded time (µs)."""

    services: list[str]
    window: npt.NDArray[np.int64]
    downtime_milli: npt.NDArray[np.int64]
    excluded: npt.NDArray[np.int64]

    def percent(self, index: int) -> Decimal:
        """Availability of one service in percent, exact."""
        window = Decimal(int(self.window[index]))
        if window <= 0:
            return _HUNDRED
        down = Decimal(int(self.downtime_milli[index])) / 1000
        return (window - down) / window * _HUNDRED


def availability_many(
    services: list[str],
    outage_service: npt.NDArray[np.int64],
    outage_start: npt.NDArray[np.int64],
    outage_end: npt.NDArray[np.int64],
    outage_weight_milli: npt.NDArray[np.int64],
    work_service: npt.NDArray[np.int64],
    work_start: npt.NDArray[np.int64],
    work_end: npt.NDArray[np.int64],
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
) -> AvailabilityTable:
    """``availability`` for many services at once, column-wise: outages (service codes, UTC ns,
    weights in thousandths) already filtered by cause, and maintenance excluded from the window
    (the agreement's notice and allowance rules are the scalar function's). Same figures as
    ``availability`` for those inputs (tests compare them)."""
    first, last = to_nanos(start), to_nanos(end)
    count = len(services)
    o_start = np.clip(outage_start, first, last)
    o_end = np.clip(outage_end, first, last)
    keep = o_end > o_start
    w_start = np.clip(work_start, first, last)
    w_end = np.clip(work_end, first, last)
    keep_w = w_end > w_start
    weights = outage_weight_milli[keep]
    levels_up = np.unique(weights[weights > 0])
    levels = [int(w) for w in levels_up[::-1]]  # heaviest first
    channels = len(levels) + 1
    # each edge carries +1/-1 on one channel: a weight level, or maintenance (the last channel)
    level_of = np.where(
        weights > 0, len(levels) - 1 - np.searchsorted(levels_up, weights), -1
    ).astype(np.int64)
    kept, kept_w = int(keep.sum()), int(keep_w.sum())
    service = np.concatenate([outage_service[keep]] * 2 + [work_service[keep_w]] * 2)
    instant = np.concatenate([o_start[keep], o_end[keep], w_start[keep_w], w_end[keep_w]])
    channel = np.concatenate([level_of, level_of] + [np.full(kept_w, channels - 1)] * 2)
    step = np.concatenate(
        [
            np.ones(kept, dtype=np.int64),
            -np.ones(kept, dtype=np.int64),
            np.ones(kept_w, dtype=np.int64),
            -np.ones(kept_w, dtype=np.int64),
        ]
    )
    valid = channel >= 0
    if not valid.all():
        service, instant, channel, step = (
            service[valid],
            instant[valid],
            channel[valid],
            step[valid],
        )
    # by service, then time: a sort on time, then a stable sort on the (small) service codes
    order = np.argsort(instant, kind="stable")
    small = service[order].astype(np.int32 if count >= 2**15 else np.int16)
    order = order[np.argsort(small, kind="stable")]
    service, instant, channel, step = service[order], instant[order], channel[order], step[order]
    coverage = np.zeros((channels, len(step)), dtype=np.int64)
    for c in range(channels):
        coverage[c] = np.cumsum(np.where(channel == c, step, 0))
    total_window = (
        window.elapsed_many(
            np.array([first], dtype=np.int64).view("datetime64[ns]"),
            np.array([last], dtype=np.int64).view("datetime64[ns]"),
        ).view(np.int64)[0]
        // 1000
    )
    window_us = np.full(count, total_window, dtype=np.int64)
    downtime = np.zeros(count, dtype=np.int64)
    excluded = np.zeros(count, dtype=np.int64)
    if len(step) > 1:
        same = service[1:] == service[:-1]
        seg_start, seg_end = instant[:-1][same], instant[1:][same]
        seg_service = service[:-1][same]
        in_work = coverage[channels - 1, :-1][same] > 0
        weight = np.zeros(len(seg_start), dtype=np.int64)
        for c in range(len(levels) - 1, -1, -1):  # heaviest last, so it wins
            weight = np.where(coverage[c, :-1][same] > 0, levels[c], weight)
        weight = np.where(in_work, 0, weight)
        counted = (weight > 0) | in_work
        business = np.zeros(len(seg_start), dtype=np.int64)
        if counted.any():
            business[counted] = (
                window.elapsed_many(
                    seg_start[counted].view("datetime64[ns]"),
                    seg_end[counted].view("datetime64[ns]"),
                ).view(np.int64)
                // 1000
            )
        downtime = _sum_by(seg_service, business * weight, count)
        excluded = _sum_by(seg_service, np.where(in_work, business, 0), count)
        window_us = window_us - excluded
    return AvailabilityTable(services, window_us, downtime, excluded)


def _sum_by(
    keys: npt.NDArray[np.int64], values: npt.NDArray[np.int64], count: int
) -> npt.NDArray[np.int64]:
    """Exact integer sums of ``values`` per key (``np.bincount`` would go through floats)."""
    result = np.zeros(count, dtype=np.int64)
    np.add.at(result, keys, values)
    return result
