"""Availability within a service window, from outages and maintenance, in exact arithmetic.

The window is a business calendar (24x7, prime time, off hours...); only time inside it counts.
Downtime is the union of outage intervals inside the window, each instant counted once at the
heaviest impact that covers it (a partial outage has a weight between 0 and 1). The agreement's
exclusions decide what does not count: customer-caused and force-majeure outages, and scheduled
maintenance, which is excluded from the window, counted as down, or counted as up; maintenance
announced later than the notice requires, or beyond the period's allowance, is ordinary downtime.

Figures are integers of microseconds and ``Decimal`` percentages, so a 99.9% target is compared
exactly (never 0.0009999999999999432).

The records are read one by one (exclusions, weights, reasons, maintenance rules); the pieces
of downtime they leave are found in columns (:func:`heaviest_swept`), the scalar reference
(``engine="scalar"``) giving the same intervals and figures. :func:`availability_many` takes
many services at once from columns and gives their totals only (no intervals).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import Exclusions, Maintenance
from accord.core.calendar import BusinessCalendar, to_micros
from accord.core.calendar.timeline import CHUNK

Cause = Literal["provider", "customer", "third_party", "force_majeure"]
Engine = Literal["columns", "scalar"]
_ZERO = timedelta(0)
_HUNDRED = Decimal(100)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Outage:
    """A service down (``impact`` 1) or degraded (a weight below 1) from ``start`` to ``end``."""

    service: str
    start: datetime
    end: datetime | None = None
    impact: Decimal = Decimal(1)
    cause: Cause = "provider"
    id: str = ""
    recorded_on: str = ""
    """The service the record names, when it counts for another (a composed service) as
    ``service``; "" when they are the same."""

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
    recorded_on: str = ""
    """As :attr:`Outage.recorded_on`."""

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
    item: str = ""
    """The record behind it: the outage's or maintenance window's id ("" when it has none)."""
    cause: str = ""
    """provider, customer, third_party, force_majeure, or maintenance."""
    service: str = ""


@dataclass(frozen=True)
class Incidents:
    """Stretches of downtime in the window: how many, and the business time they lasted.

    An incident is a run of counted downtime (full or partial, an outage or maintenance that
    counts as down) with some of it inside the window: overlapping and back-to-back outages
    are one incident, outages apart are two even when only closed time lies between them."""

    count: int
    down: timedelta
    """Business time the incidents lasted (not weighted by impact)."""
    window: timedelta
    starts: tuple[datetime, ...] = ()
    """Where each incident's business time begins: the start of its first piece with some
    (which may still lie in closed time: the window's next opening is when it began)."""
    ends: tuple[datetime, ...] = ()
    """Where each incident ends: the end of its last piece."""

    @property
    def time_to_recover(self) -> timedelta | None:
        """Mean time to recover: business time per incident (None without incidents)."""
        return self.down / self.count if self.count else None

    @property
    def time_between_failures(self) -> timedelta | None:
        """Mean time between failures: up time in the window per incident."""
        return max(self.window - self.down, _ZERO) / self.count if self.count else None


def incidents_of(intervals: Iterable[Downtime], window: timedelta) -> Incidents:
    """The incidents of counted downtime (``Downtime`` pieces, in any order)."""
    runs: list[list[Any]] = []  # [start, business time, end] of each run of touching pieces
    reach: datetime | None = None
    pieces = sorted((d.start, d.end, d.business) for d in intervals if d.weight > 0)
    for begin, finish, business in pieces:
        if reach is None or begin > reach:
            runs.append([None, _ZERO, finish])
        if runs[-1][0] is None and business > _ZERO:
            runs[-1][0] = begin
        runs[-1][1] += business
        reach = finish if reach is None else max(reach, finish)
        runs[-1][2] = reach
    counted = [(start, run, end) for start, run, end in runs if run > _ZERO]
    return Incidents(
        len(counted),
        sum((run for _, run, _ in counted), _ZERO),
        window,
        tuple(start for start, _, _ in counted),
        tuple(end for _, _, end in counted),
    )


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
    engine: Engine = "columns",
) -> Availability:
    """Availability of ``service`` in ``window`` over ``[start, end)``.

    Outages still open count up to ``end``. Maintenance follows ``exclusions.maintenance``
    (excluded by default: neither window nor downtime); with ``maintenance_window`` (the
    calendar named by ``exclusions.maintenance.window``), work outside it is ordinary downtime.

    ``engine``: how the pieces of downtime are found once the records are read (each instant
    at the heaviest weight covering it, outside the excluded spans): ``columns``, a sweep over
    their edges in numpy (:func:`heaviest_swept`), or ``scalar``, the reference that tests
    each elementary stretch against every piece (quadratic in the outages of the period). The
    records, the exclusions and the maintenance rules are read by the same code either way,
    and the two give the same intervals and figures (tests compare them).
    """
    return availability_counted(
        service,
        window,
        start,
        end,
        [o for o in outages if o.service == service],
        [m for m in maintenance if m.service == service],
        exclusions,
        target,
        maintenance_window,
        engine,
    )


def availability_counted(
    service: str,
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
    outages: Iterable[Outage],
    maintenance: Iterable[MaintenanceWindow],
    exclusions: Exclusions | None = None,
    target: Decimal | None = None,
    maintenance_window: BusinessCalendar | None = None,
    engine: Engine = "columns",
    named: bool = False,
) -> Availability:
    """``availability`` of ``service`` counting every record given, whichever service it is
    on (a composed service counts its components'); ``named``: each downtime's reason names
    the service its record is on (several services count)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    rules = exclusions or Exclusions.model_validate({})
    plan = rules.maintenance or Maintenance.model_validate({})
    pieces: list[tuple[datetime, datetime, Decimal, str]] = []
    # a piece's reason -> its record's id, cause and service
    origins: dict[str, tuple[str, str, str]] = {}
    for outage in outages:
        if outage.cause == "customer" and rules.customer_caused == "excluded":
            continue
        if outage.cause == "force_majeure" and rules.force_majeure == "excluded":
            continue
        if outage.cause == "third_party" and rules.third_party == "excluded":
            continue
        clipped = _clip(outage.start, outage.end or end, start, end)
        if clipped is not None:
            weight = min(max(outage.impact, Decimal(0)), Decimal(1))
            on = outage.recorded_on or (outage.service if named else "")
            name = _named("outage", outage.id, on)
            reason = f"{name} ({outage.cause.replace('_', ' ')})"
            origins[reason] = (outage.id, outage.cause, on or service)
            pieces.append((*clipped, weight, reason))
    excused = _maintenance_pieces(
        service, window, start, end, maintenance, plan, maintenance_window, named, pieces, origins
    )
    removed = _union(excused)
    excluded = sum((window.elapsed(a, b) for a, b in removed), _ZERO)
    excluded_from_window = _ZERO if plan.counts_as == "up" else excluded
    if engine == "scalar":
        downtime_pieces = _heaviest(pieces, removed)
        business = [window.elapsed(a, b) for a, b, _, _ in downtime_pieces]
    else:
        downtime_pieces, business = heaviest_swept(pieces, removed, window)
    intervals = tuple(
        Downtime(a, b, weight, inside, reason, *origins[reason])
        for (a, b, weight, reason), inside in zip(downtime_pieces, business, strict=True)
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


def excused_maintenance(
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
    maintenance: Iterable[MaintenanceWindow],
    exclusions: Exclusions | None = None,
    maintenance_window: BusinessCalendar | None = None,
) -> tuple[tuple[datetime, datetime], ...]:
    """The spans of ``[start, end)`` (UTC, merged, in order) that the agreement excuses as
    maintenance: work announced in time, inside its window, within the period's allowance
    (counted in ``window`` from ``start``), when ``exclusions.maintenance.counts_as`` is
    ``excluded`` or ``up``; none when it is ``down`` (maintenance is then downtime). The very
    spans :func:`availability_counted` leaves out of the downtime (and, when excluded, out of
    the window): what availability by probes leaves out too (or counts as up)."""
    rules = exclusions or Exclusions.model_validate({})
    plan = rules.maintenance or Maintenance.model_validate({})
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    removed = _maintenance_pieces(
        "", window, start, end, maintenance, plan, maintenance_window, False, [], {}
    )
    return tuple(_union(removed))


def _maintenance_pieces(
    service: str,
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
    maintenance: Iterable[MaintenanceWindow],
    plan: Maintenance,
    maintenance_window: BusinessCalendar | None,
    named: bool,
    pieces: list[tuple[datetime, datetime, Decimal, str]],
    origins: dict[str, tuple[str, str, str]],
) -> list[tuple[datetime, datetime]]:
    """The maintenance of ``[start, end)`` read as the agreement's ``plan`` says: the work
    that is downtime (not announced in time, outside its window, beyond the allowance, or
    all of it when counted as down) added to ``pieces`` (with its reasons' ``origins``), and
    the spans excused (excluded from the window, or counted as up) returned, not merged."""
    removed: list[tuple[datetime, datetime]] = []
    allowance = plan.allowance.time if plan.allowance is not None else None
    allowed_left = allowance
    for work in sorted(maintenance, key=lambda m: m.start):
        clipped = _clip(work.start, work.end, start, end)
        if clipped is None:
            continue
        on = work.recorded_on or (work.service if named else "")
        what = _named("maintenance", work.id, on)
        origin = (work.id, "maintenance", on or service)
        for suffix in (" not announced in time", " outside its window", " beyond the allowance"):
            origins[what + suffix] = origin
        origins[f"{what} (counted as down)"] = origin
        announced = plan.notice is None or (
            work.announced_at is not None
            and plan.notice.time is not None
            and work.start - work.announced_at >= plan.notice.time
        )
        if not announced:
            pieces.append((*clipped, Decimal(1), f"{what} not announced in time"))
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
                    pieces.append((cursor, a, Decimal(1), f"{what} outside its window"))
                cursor = max(cursor, b)
        for part in parts:
            inside = window.elapsed(*part)
            if allowed_left is not None and inside > allowed_left:
                # the allowance runs out inside this part: the rest is ordinary downtime
                cut = window.add(part[0], allowed_left) if allowed_left > _ZERO else part[0]
                pieces.append((cut, part[1], Decimal(1), f"{what} beyond the allowance"))
                part = (part[0], cut)
                allowed_left = _ZERO
            elif allowed_left is not None:
                allowed_left -= inside
            if part[1] <= part[0]:
                continue
            if plan.counts_as == "down":
                pieces.append((*part, Decimal(1), f"{what} (counted as down)"))
            else:
                removed.append(part)
    return removed


@dataclass(frozen=True)
class OutageIndex:
    """Outages with their instants as columns (UTC µs; an open one ends never), to pick those
    overlapping a span in one numpy pass instead of a Python test per record: what judging
    many spans of the same evidence (a trend's months, burn windows, a year to date) needs."""

    outages: tuple[Outage, ...]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]

    @classmethod
    def of(cls, outages: Sequence[Outage]) -> OutageIndex:
        never = np.iinfo(np.int64).max
        count = len(outages)
        return cls(
            tuple(outages),
            np.fromiter((to_micros(o.start) for o in outages), np.int64, count),
            np.fromiter(
                (never if o.end is None else to_micros(o.end) for o in outages), np.int64, count
            ),
        )

    def over(self, start: datetime, end: datetime) -> tuple[Outage, ...]:
        """The outages overlapping ``[start, end)``, in their order."""
        hits = np.flatnonzero((self.starts < to_micros(end)) & (self.ends > to_micros(start)))
        return tuple(self.outages[i] for i in hits.tolist())


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


def _named(what: str, record: str, recorded_on: str) -> str:
    """``outage INC-1``, or ``outage INC-1 on storage`` when it counts for a composed service."""
    named = f"{what} {record}" if record else what
    return f"{named} on {recorded_on}" if recorded_on else named


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
        if not _counts(weight):
            continue
        if result and result[-1][1] == a and result[-1][2] == weight and result[-1][3] == reason:
            result[-1] = (result[-1][0], b, weight, reason)
        else:
            result.append((a, b, weight, reason))
    return result


def _counts(weight: Decimal) -> bool:
    """Whether downtime of that weight counts: a stretch whose heaviest weight is 0 is never
    downtime (the reference, :func:`_heaviest`, skips it), so the sweeps in columns drop such
    pieces before anything is sorted (one could only win a stretch that then counts for
    nothing; in thousandths, ``weight_milli > 0``)."""
    return weight > 0


def heaviest_swept(
    pieces: Sequence[tuple[datetime, datetime, Decimal, str]],
    removed: Sequence[tuple[datetime, datetime]],
    window: BusinessCalendar,
) -> tuple[list[tuple[datetime, datetime, Decimal, str]], list[timedelta]]:
    """``_heaviest`` in columns, with each piece's business time in ``window``.

    The pieces' and removed spans' edges (UTC µs) are sorted once; each piece covers a run of
    the elementary stretches between consecutive edges. Pieces are ranked by (weight, reason),
    the order ``_heaviest`` takes the heaviest by, and the greatest rank covering each stretch
    is a range maximum: each piece writes its rank at two entries of the level of a sparse
    table whose two blocks cover its run exactly, and the levels are pushed down to single
    stretches, a few numpy passes per level. Stretches inside a removed span drop out, and
    neighbours of the same rank merge, as ``_heaviest`` merges them. The business time of
    every piece comes from one calendar lookup per edge (differences on the business clock).
    """
    counted = [p for p in pieces if _counts(p[2])]
    if not counted:
        return [], []
    keys = sorted({(p[2], p[3]) for p in counted})
    rank_of = {key: rank for rank, key in enumerate(keys)}
    begin = np.fromiter((to_micros(p[0]) for p in counted), np.int64, len(counted))
    finish = np.fromiter((to_micros(p[1]) for p in counted), np.int64, len(counted))
    # equal keys may be written differently (weights 0.5 and 0.50): ``_heaviest`` takes the
    # first covering piece in order among equals, and a merged piece the last stretch's; so
    # the rank also prefers the earlier piece, and says which piece won
    count = len(counted)
    rank = np.fromiter((rank_of[p[2], p[3]] for p in counted), np.int64, count) * count
    rank += np.arange(count - 1, -1, -1, dtype=np.int64)
    gone = np.array([[to_micros(a), to_micros(b)] for a, b in removed], dtype=np.int64)
    gone = gone.reshape(-1, 2)
    points = np.unique(np.concatenate([begin, finish, gone.ravel()]))
    stretches = len(points) - 1
    first = np.searchsorted(points, begin)
    after = np.searchsorted(points, finish)
    keep = after > first
    if not keep.any():
        return [], []
    first, after, rank = first[keep], after[keep], rank[keep]
    winner = _range_maximum(first, after, rank, stretches)
    if len(gone):
        depth = np.bincount(np.searchsorted(points, gone[:, 0]), minlength=stretches + 1)
        depth -= np.bincount(np.searchsorted(points, gone[:, 1]), minlength=stretches + 1)
        winner[np.cumsum(depth)[:stretches] > 0] = -1
    valid = winner >= 0
    best = np.where(valid, winner // count, -1)  # the key's rank: equal keys merge
    before = np.concatenate([[-1], best[:-1]])
    next_ = np.concatenate([best[1:], [-1]])
    opens = np.flatnonzero(valid & (before != best))
    closes = np.flatnonzero(valid & (next_ != best))
    edges = np.concatenate([points[opens], points[closes + 1]])
    origin = _EPOCH + int(points[0]) * _US
    clock = window.elapsed_since_many(origin, (edges * 1000).view("datetime64[ns]"))
    on_clock = clock.view(np.int64) // 1000
    business = (on_clock[len(opens) :] - on_clock[: len(opens)]).tolist()
    found = []
    ends = points[closes + 1].tolist()
    last = (count - 1 - winner[closes] % count).tolist()
    for a, b, piece in zip(points[opens].tolist(), ends, last, strict=True):
        _, _, weight, reason = counted[piece]
        found.append((_EPOCH + a * _US, _EPOCH + b * _US, weight, reason))
    return found, [timedelta(microseconds=us) for us in business]


def _range_maximum(
    first: npt.NDArray[np.int64],
    after: npt.NDArray[np.int64],
    rank: npt.NDArray[np.int64],
    size: int,
) -> npt.NDArray[np.int64]:
    """For each of ``size`` slots, the greatest ``rank`` of the runs ``[first, after)`` holding
    it (-1: none). A run of length L is two blocks of 2**k slots (k = floor(log2 L)) written at
    level k; level k's entry x holds the slots [x, x + 2**k), handed down to the two halves."""
    length = after - first
    carry: npt.NDArray[np.int64] | None = None
    for level in range(int(length.max()).bit_length() - 1, -1, -1):
        block = 1 << level
        table = np.full(size, -1, dtype=np.int64)
        here = (length >> level) == 1
        if here.any():
            np.maximum.at(table, first[here], rank[here])
            np.maximum.at(table, after[here] - block, rank[here])
        if carry is not None:
            np.maximum(table, carry, out=table)
            np.maximum(table[block:], carry[: size - block], out=table[block:])
        carry = table
    assert carry is not None
    return carry


@dataclass(frozen=True)
class AvailabilityTable:
    """Per service: business time in the window, weighted downtime and excluded time (µs)."""

    services: list[str]
    window: npt.NDArray[np.int64]
    downtime_milli: npt.NDArray[np.int64]
    excluded: npt.NDArray[np.int64]

    def percent(self, index: int) -> Decimal:
        """Availability of one service in percent, exact."""
        return _percent(int(self.window[index]) * 1000, int(self.downtime_milli[index]))

    def percents(self) -> list[Decimal]:
        """``percent`` of every service, in order."""
        windows = (self.window * 1000).tolist()
        return [
            Decimal((w - d) * 100) / Decimal(w) if w > 0 else _HUNDRED
            for w, d in zip(windows, self.downtime_milli.tolist(), strict=True)
        ]


def _percent(window_milli: int, down_milli: int) -> Decimal:
    """``(window - down) / window * 100``: one division, so one rounding, which is the same
    as ``Availability.percent`` makes (a power of ten moves no significant digit)."""
    if window_milli <= 0:
        return _HUNDRED
    return Decimal((window_milli - down_milli) * 100) / Decimal(window_milli)


def availability_many(
    services: list[str],
    service: npt.NDArray[np.integer[Any]],
    begin: npt.NDArray[np.int64],
    finish: npt.NDArray[np.int64],
    weight_milli: npt.NDArray[np.int64],
    maintenance: npt.NDArray[np.bool_],
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
) -> AvailabilityTable:
    """``availability`` for many services at once, from the columns of one table of intervals:
    service codes (indices into ``services``, of any integer type), start and end (UTC ns), the
    outages' weights in thousandths, and which rows are scheduled maintenance (excluded from
    the window; their weight is ignored). Outages come already filtered by cause, and the
    agreement's notice and allowance rules for maintenance are the scalar function's. Same
    figures as ``availability`` for those inputs (tests compare them). Instants count to the
    microsecond, as ``datetime`` holds them (the nanoseconds below are dropped).

    Every edge is first placed on the window's business clock (the business time from the
    period's start to it, one calendar lookup per edge). That clock never runs backwards, so
    unions, overlaps and the heaviest weight are the same on it as in real time, and their
    lengths on it are business time; intervals that fall wholly in closed time (most, for an
    office-hours window) vanish before anything is sorted. Then a sweep over the remaining
    edges, sorted by service then business time: each edge is +1 or -1 on one channel (a
    weight level, or maintenance); running sums give what covers each elementary segment, the
    heaviest weight wins and maintenance removes the segment from the window. No loop runs per
    service or per interval.
    """
    count = len(services)
    total = window.elapsed(start, end) // _US
    window_us = np.full(count, total, dtype=np.int64)
    downtime = np.zeros(count, dtype=np.int64)
    excluded = np.zeros(count, dtype=np.int64)
    index, begins, ends = _business_spans(window, start, total, begin, finish)
    work = maintenance[index]
    weights = weight_milli[index]
    keep = work | (weights > 0)  # a weight that counts (_counts), or maintenance
    if not keep.all():
        index, begins, ends, weights = (x[keep] for x in (index, begins, ends, weights))
        work = work[keep]
    if len(index) == 0:
        return AvailabilityTable(services, window_us, downtime, excluded)
    counted = weights[~work]
    if len(counted) and int(counted.max()) <= 1_000_000:
        present = np.bincount(counted) > 0  # the weight levels, lightest first
        levels_up = np.flatnonzero(present)
        rank = np.cumsum(present) - 1
        channel = rank[np.where(work, 0, weights)]
    else:
        levels_up = np.unique(counted)
        channel = np.searchsorted(levels_up, weights).astype(np.int64)
    maintenance_channel = len(levels_up)  # the last channel
    channel[work] = maintenance_channel
    channel *= 2  # payload: 2 * channel, plus 1 for an interval's end
    codes = service[index].astype(np.int64, copy=False)
    edges = _Edges.sort(
        [codes, codes],
        [begins, ends],
        [channel, channel + 1],
        count,
        total,
        2 * maintenance_channel + 1,
    )
    # Each service's edges sum to zero on every channel, so nothing covers the segment from one
    # service's last edge to the next one's first: segments across services never count.
    payload = edges.payload
    length = np.diff(edges.instants())
    *covered, in_work = _coverage(payload, maintenance_channel + 1)
    weight = np.zeros(len(length), dtype=np.int64)
    for inside, level in zip(covered, levels_up.tolist(), strict=True):
        weight[inside] = level  # lightest first, so the heaviest wins
    weight[in_work] = 0
    owner = edges.service_codes()[:-1]
    downtime = _sum_by(owner, length * weight, count)
    excluded = _sum_by(owner, np.where(in_work, length, 0), count)
    return AvailabilityTable(services, window_us - excluded, downtime, excluded)


def _business_spans(
    window: BusinessCalendar,
    start: datetime,
    total: int,
    begins: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The spans (UTC ns) with business time inside the period: their indices, and their
    edges on the business clock (µs from ``start``, clipped to ``[0, total]``).

    In cache-sized steps: only the spans kept make arrays as long as the input's.
    """
    found: tuple[list[npt.NDArray[np.int64]], ...] = ([], [], [])
    for at in range(0, len(begins), CHUNK):
        a, b = (
            window.elapsed_since_many(start, edge[at : at + CHUNK].view("datetime64[ns]")).view(
                np.int64
            )
            for edge in (begins, ends)
        )
        for edge in (a, b):  # in place (np.clip is several times slower on integers)
            np.maximum(edge, 0, out=edge)
            np.minimum(edge, total * 1000, out=edge)
        index = np.flatnonzero(b > a)
        found[0].append(index + at)
        # the calendar opens on whole microseconds: dropping the edges' nanoseconds here,
        # after the lookup, gives what dropping them before it would
        found[1].append(a[index] // 1000)
        found[2].append(b[index] // 1000)
    empty = np.zeros(0, dtype=np.int64)
    index, a, b = (np.concatenate(part) if part else empty for part in found)
    return index, a, b


def _coverage(payload: npt.NDArray[np.int64], channels: int) -> list[npt.NDArray[np.bool_]]:
    """For each channel, for each segment between consecutive edges: is it inside an interval
    of that channel? Several channels' counts share one running sum, each in a field wide
    enough for every interval at once (a count is never negative: an interval's end comes
    after its start)."""
    width = max(1, len(payload).bit_length())
    per_sum = max(1, 63 // width)
    mask = (1 << width) - 1
    found: list[npt.NDArray[np.bool_]] = []
    for first in range(0, channels, per_sum):
        group = range(first, min(channels, first + per_sum))
        step = np.zeros(2 * channels, dtype=np.int64)
        for field, channel in enumerate(group):
            step[2 * channel] = 1 << (width * field)
            step[2 * channel + 1] = -(1 << (width * field))
        running = np.cumsum(step[payload])[:-1]
        for field, _ in enumerate(group):
            count = running >> (width * field) if field else running
            found.append((count & mask) != 0 if field + 1 < len(group) else count != 0)
    return found


@dataclass(frozen=True)
class _Edges:
    """Interval edges ordered by service, then time (the order among equal instants does not
    matter: the segments between them are empty).

    When service, time and payload fit in 63 bits, they are packed into one integer and sorted
    as values, several times faster than sorting indices and gathering, and unpacked only where
    needed; otherwise an index sort on time, then a stable one on the service codes.
    """

    payload: npt.NDArray[np.int64]
    key: npt.NDArray[np.int64] | None
    services: npt.NDArray[np.int64] | None
    times: npt.NDArray[np.int64] | None
    shift: int = 0
    payload_bits: int = 0

    @classmethod
    def sort(
        cls,
        services: list[npt.NDArray[np.int64]],
        instants: list[npt.NDArray[np.int64]],
        payloads: list[npt.NDArray[np.int64]],
        count: int,
        largest_instant: int,
        largest_payload: int,
        pack: bool = True,
    ) -> _Edges:
        """Instants are non-negative, at most ``largest_instant``."""
        payload_bits = max(1, largest_payload.bit_length())
        code_bits = max(1, (count - 1).bit_length())
        time_bits = max(1, largest_instant.bit_length())
        if pack and code_bits + time_bits + payload_bits <= 63:
            shift = time_bits + payload_bits
            key = np.concatenate(
                [
                    (s << shift) | (i << payload_bits) | p
                    for s, i, p in zip(services, instants, payloads, strict=True)
                ]
            )
            key.sort(kind="stable")  # a radix sort here, faster than numpy's quicksort
            return cls(key & ((1 << payload_bits) - 1), key, None, None, shift, payload_bits)
        service = np.concatenate(services)
        instant = np.concatenate(instants)
        order = np.argsort(instant)
        small = service[order].astype(np.int32 if count >= 2**15 else np.int16)
        order = order[np.argsort(small, kind="stable")]
        return cls(np.concatenate(payloads)[order], None, service[order], instant[order])

    def instants(self) -> npt.NDArray[np.int64]:
        if self.key is None:
            assert self.times is not None
            return self.times
        mask = (1 << (self.shift - self.payload_bits)) - 1
        return (self.key >> self.payload_bits) & mask

    def service_codes(self) -> npt.NDArray[np.int64]:
        if self.key is None:
            assert self.services is not None
            return self.services
        return self.key >> self.shift


def _sum_by(
    keys: npt.NDArray[np.int64], values: npt.NDArray[np.int64], count: int
) -> npt.NDArray[np.int64]:
    """Exact integer sums of ``values`` per key, the keys sorted (``np.bincount`` would go
    through floats, ``np.add.at`` is several times slower)."""
    running = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=running[1:])
    bounds = np.searchsorted(keys, np.arange(count + 1, dtype=np.int64), side="left")
    return np.diff(running[bounds])
