"""The data series a report's pictures draw, derived from what the engines compute.

Pure computation, no drawing (that is :mod:`accord.render.pictures`):

* :func:`daily_availability`: one service's availability day by day: the business time of the
  agreement's window in each local day, the downtime counted in it (weighted by impact, as the
  availability engine counts it) and the maintenance kept apart (excluded from the window, or
  counted as up). The period is judged once by :func:`accord.core.judging.availability_of`
  (so a maintenance allowance runs out over the period, not each day) and its downtime and
  maintenance are cut at midnight: the days add up to the period's figures exactly.
* :func:`budget_burn`: the error budget of a time-based availability objective spent over the
  judged span, from the downtime intervals the report holds (its breaches).
* :func:`verdicts`, :func:`ticket_weeks` and :func:`used_shares`: the clocks a ticket
  objective counted (read from the column engine's table when it has them), per week (met,
  breached) and by the share of the target each used.
* :func:`clock_timeline`: where a clock's business time went: its stretches merged by status,
  team, assignee and pause reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import Agreement, Objective
from accord.core.availability import Downtime, _union
from accord.core.burn import whole_budget
from accord.core.calendar import BusinessCalendar, to_micros
from accord.core.clock_cycles import NAT, STATES
from accord.core.clock_engines import ClockEvaluation
from accord.core.clocks import Clock
from accord.core.composition import ServiceAvailability
from accord.core.evidence import Data
from accord.core.judging import (
    ObjectiveResult,
    _kept,
    availability_of,
    measured_availability,
    verdict_at,
)

__all__ = [
    "Burn",
    "Day",
    "DayLevel",
    "MeasuredDay",
    "Segment",
    "Verdicts",
    "Week",
    "budget_burn",
    "clock_timeline",
    "daily_availability",
    "day_bounds",
    "day_level",
    "ticket_weeks",
    "used_shares",
    "verdicts",
]

_HUNDRED = Decimal(100)
_US = timedelta(microseconds=1)
TEAM_FIELDS = ("team", "assignment_group")
"""The ticket fields that name the team working a ticket (the canonical one first)."""


@dataclass(frozen=True)
class Day:
    """One local day of one service's availability, figures in exact microseconds."""

    start: datetime
    end: datetime
    known: bool
    """False: the day lies after the instant judged at (or outside the span judged)."""
    window: Decimal = Decimal(0)
    """Business time of the agreement's window in the day (before maintenance), µs."""
    counted: Decimal = Decimal(0)
    """The part of the window that counts (the window less excluded maintenance), µs."""
    down: Decimal = Decimal(0)
    """Downtime counted in the day, weighted by impact, µs."""
    maintenance: Decimal = Decimal(0)
    """Maintenance in the window kept apart from downtime (excluded, or counted as up), µs."""
    items: tuple[str, ...] = ()
    """The outages and maintenance windows with downtime in the day (their ids or reasons)."""

    @property
    def uptime(self) -> Decimal | None:
        """Up share of the counted window, percent (None: nothing of the window counted)."""
        if not self.known or self.counted <= 0:
            return None
        return (self.counted - self.down) / self.counted * _HUNDRED

    @property
    def downtime(self) -> timedelta:
        return timedelta(microseconds=int(self.down))

    @property
    def maintained(self) -> timedelta:
        return timedelta(microseconds=int(self.maintenance))


DayLevel = Literal["up", "minor", "major", "unknown"]


def day_level(day: Day, target: Decimal | None) -> DayLevel:
    """How a day's bar is drawn: ``up`` without downtime, ``minor`` with downtime within the
    day's share of the error budget (the counted window times 100% less the ``target``,
    percent), ``major`` beyond it (or any downtime without a percent target), ``unknown``
    when nothing of the day was judged or counted."""
    if not day.known or day.counted <= 0:
        return "unknown"
    if day.down <= 0:
        return "up"
    if target is not None and day.down <= day.counted * (_HUNDRED - target) / _HUNDRED:
        return "minor"
    return "major"


def day_bounds(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The local days (in ``start``'s zone) that ``[start, end)`` touches, whole."""
    zone = start.tzinfo
    day = start.astimezone(zone).date()
    days = []
    while True:
        begin = datetime.combine(day, time(), zone)
        if begin >= end:
            break
        after = datetime.combine(day + timedelta(days=1), time(), zone)
        days.append((begin, after))
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class MeasuredDay:
    """One local day of availability measured by probes or request counts, judged on its own
    (a day's slices, or its good and total requests); ``percent`` None: nothing to judge (no
    data that day, or outside the span judged)."""

    start: datetime
    end: datetime
    percent: Decimal | None = None
    detail: str = ""


def _scoped_span(
    objective: Objective,
    service: str | None,
    start: datetime,
    end: datetime,
    judged: tuple[datetime, datetime] | None,
) -> tuple[Objective, datetime, datetime]:
    """The objective narrowed to ``service`` (None: its whole scope), and the part of
    ``[start, end)`` inside ``judged`` (None: all of it; possibly empty)."""
    scoped = objective
    if service is not None:
        scoped = objective.model_copy(update={"scope": {**objective.scope, "service": (service,)}})
    if judged is None:
        return scoped, start, end
    return scoped, max(start, judged[0]), min(end, judged[1])


def daily_measured(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: dict[str, BusinessCalendar],
    service: str | None,
    start: datetime,
    end: datetime,
    judged: tuple[datetime, datetime] | None = None,
) -> list[MeasuredDay]:
    """``service`` (None: the objective's whole scope) measured by the objective's method
    (probes or request counts) over each local day (in ``start``'s zone) of ``[start, end)``,
    each day judged on its own as the engine judges a period; the days outside ``judged`` (the
    span a report judged) have no figure. A run of bad slices across midnight counts in each
    day on its own (with ``bad_run``, a day may forgive the part of a run it holds). By
    probes, the maintenance the agreement excuses is left out as the period leaves it out:
    its allowance counted from the start of the span judged, not afresh each day."""
    scoped, since, cut = _scoped_span(objective, service, start, end, judged)
    days = []
    for begin, after in day_bounds(start, end):
        low, high = max(begin, since), min(after, cut)
        if high <= low:
            days.append(MeasuredDay(begin, after))
            continue
        percent, detail = measured_availability(
            agreement, scoped, data, calendars, low, high, maintenance_since=since
        )
        days.append(MeasuredDay(begin, after, percent, detail))
    return days


def daily_availability(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: dict[str, BusinessCalendar],
    service: str | None,
    start: datetime,
    end: datetime,
    judged: tuple[datetime, datetime] | None = None,
) -> tuple[ServiceAvailability, list[Day]]:
    """``service`` (None: the objective's whole scope) day by day over the local days (in
    ``start``'s zone) of ``[start, end)``, judged as the availability engine judges the part of
    it that is ``judged`` (the span a report judged: from where the agreement is in force or
    the evidence is observed, to the instant judged at; None: all of it); the days outside it
    are unknown. Returns the engine's figures for that span, which the days add up to."""
    scoped, since, cut = _scoped_span(objective, service, start, end, judged)
    cut = max(since, cut)
    window = calendars[objective.calendar]
    found = availability_of(agreement, scoped, data, calendars, since, cut)
    counted = _counted_services(found)
    works = [
        (max(m.start, since), min(m.end, cut))
        for m in data.maintenance
        if (counted is None or m.service in counted) and m.start < cut and m.end > since
    ]
    kept_apart = _minus(_union(works), _union([(d.start, d.end) for d in found.intervals]))
    exclusions = agreement.exclusions
    plan = exclusions.maintenance if exclusions is not None else None
    excluded = plan is None or plan.counts_as != "up"
    days = []
    for begin, after in day_bounds(start, end):
        low, high = max(begin, since), min(after, cut)
        if high <= low:
            days.append(Day(begin, after, known=False))
            continue
        inside = _micros(window.elapsed(low, high))
        maintenance = sum(
            (_micros(window.elapsed(a, b)) for a, b in _clipped(kept_apart, low, high)),
            Decimal(0),
        )
        down, items = _down_in(found.intervals, window, low, high)
        days.append(
            Day(
                begin,
                after,
                known=True,
                window=inside,
                counted=inside - maintenance if excluded else inside,
                down=down,
                maintenance=maintenance,
                items=items,
            )
        )
    return found, days


def _counted_services(found: ServiceAvailability) -> set[str] | None:
    """The services whose records the figures counted (None: every record counted)."""
    if found.parts:
        names: set[str] = set()
        for part in found.parts:
            inner = _counted_services(part.figures)
            if inner is None:
                return None
            names |= inner or {part.service}
        return names
    return set(found.services) if found.services else None


def _down_in(
    intervals: Sequence[Downtime], window: BusinessCalendar, low: datetime, high: datetime
) -> tuple[Decimal, tuple[str, ...]]:
    down = Decimal(0)
    items: list[str] = []
    for piece in intervals:
        a, b = max(piece.start, low), min(piece.end, high)
        if b <= a:
            continue
        business = _micros(window.elapsed(a, b))
        if business <= 0 or piece.weight <= 0:
            continue
        down += business * piece.weight
        name = piece.item or piece.reason
        if name not in items:
            items.append(name)
    return down, tuple(items)


def _micros(span: timedelta) -> Decimal:
    return Decimal(span // _US)


def _minus(
    spans: Sequence[tuple[datetime, datetime]], holes: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """``spans`` less ``holes`` (both sorted and disjoint)."""
    result = []
    for a, b in spans:
        cursor = a
        for h0, h1 in holes:
            if h1 <= cursor or h0 >= b:
                continue
            if h0 > cursor:
                result.append((cursor, h0))
            cursor = max(cursor, h1)
        if cursor < b:
            result.append((cursor, b))
    return result


def _clipped(
    spans: Sequence[tuple[datetime, datetime]], low: datetime, high: datetime
) -> list[tuple[datetime, datetime]]:
    return [(max(a, low), min(b, high)) for a, b in spans if a < high and b > low]


@dataclass(frozen=True)
class Burn:
    """An availability objective's error budget over a period, and how it went."""

    start: datetime
    end: datetime
    """The period's end (or the agreement's, when earlier)."""
    today: datetime
    """The instant judged until."""
    budget: Decimal
    """Downtime the target allows over the whole period, µs (projected from the span judged
    when the period is not over)."""
    used: tuple[tuple[datetime, Decimal], ...]
    """Downtime spent by each instant (µs, cumulative, non-decreasing), from ``start`` to
    ``today``: at each start and end of a downtime interval, exact there."""

    @property
    def left(self) -> Decimal:
        """Budget left at ``today`` (negative once overspent), µs."""
        return self.budget - self.used[-1][1]


def budget_burn(result: ObjectiveResult, window: BusinessCalendar, end: datetime) -> Burn | None:
    """The budget burn of a time-based availability result (None without a budget): its
    downtime intervals (the result's breaches) added up over the span judged. ``end``: where
    the period (or the agreement) ends."""
    if (
        result.budget is None
        or result.downtime is None
        or result.judged_from is None
        or result.judged_until is None
    ):
        return None
    first, last = result.judged_from, result.judged_until
    judged = window.elapsed(first, last) if last < end else timedelta(0)
    whole = window.elapsed(first, end) if last < end else judged
    budget = whole_budget(result, judged, whole)
    steps: list[tuple[datetime, Decimal]] = []
    for breach in result.breaches:
        if breach.business is None or breach.end is None:
            continue
        a, b = max(breach.start, first), min(breach.end, last)
        if b <= a:
            continue
        steps.append((a, Decimal(0)))
        steps.append((b, _micros(breach.business) * breach.weight))
    used = [(first, Decimal(0))]
    total = Decimal(0)
    for at, amount in sorted(steps, key=lambda s: (s[0], s[1])):
        total += amount
        if used[-1][0] == at:
            used[-1] = (at, total)
        else:
            used.append((at, total))
    if used[-1][0] < last:
        used.append((last, total))
    return Burn(first, end, last, budget, tuple(used))


@dataclass(frozen=True)
class Verdicts:
    """The clocks a ticket objective counts in a span, as columns: the instant each counts
    at (its verdict, or its start with ``count_in: created``), whether it was met, the business
    time it used and its target (µs; instants since the epoch, UTC)."""

    at: npt.NDArray[np.int64]
    met: npt.NDArray[np.bool_]
    used: npt.NDArray[np.int64]
    target: npt.NDArray[np.int64]


def counted_clocks(
    clocks: Iterable[Clock], objective: Objective, start: datetime, end: datetime
) -> list[tuple[datetime, Clock]]:
    """The objective's clocks the report counts in ``[start, end)``, each with the instant it
    counts at: its verdict (``count_in: resolved``) or its start (``created``), as
    :func:`accord.core.judging.judge_objective` counts them."""
    found = []
    for clock in clocks:
        if clock.objective != objective.id or not _kept(clock, objective):
            continue
        if clock.state not in ("met", "breached"):
            continue
        at = clock.started_at if objective.count_in == "created" else verdict_at(clock)
        if at is not None and start <= at < end:
            found.append((at, clock))
    return found


def verdicts(
    evaluation: ClockEvaluation,
    objective: Objective,
    start: datetime,
    end: datetime,
    tickets: Collection[str] | None = None,
) -> Verdicts:
    """:func:`counted_clocks` as columns (of ``tickets`` only, when given: one provider's):
    read from the column engine's table when it holds every clock of the objective (none
    replayed, no ``where`` filter), without a Python object per clock; else from the clocks."""
    batch = evaluation.batch
    if (
        objective.where
        or batch is None
        or any(c.metric == objective.metric for c in batch.replayed)
    ):
        clocks = evaluation.clocks
        if tickets is not None:
            clocks = [c for c in clocks if c.ticket in tickets]
        found = counted_clocks(clocks, objective, start, end)
        return Verdicts(
            np.array([to_micros(at) for at, _ in found], dtype=np.int64),
            np.array([c.state == "met" for _, c in found], dtype=np.bool_),
            np.array([c.used // _US for _, c in found], dtype=np.int64),
            np.array([(c.target or timedelta(0)) // _US for _, c in found], dtype=np.int64),
        )
    table = batch.table
    codes = [i for i, o in enumerate(batch.objectives) if o.id == objective.id]
    mine = np.isin(table.objective, codes)
    if tickets is not None:
        chosen_tickets = [i for i, name in enumerate(batch.tickets) if name in tickets]
        mine &= np.isin(table.ticket, chosen_tickets)
    rows = np.flatnonzero(mine)
    state = table.state[rows]
    met, breached = STATES.index("met"), STATES.index("breached")
    if objective.count_in == "created":
        instant = table.started[rows]
    else:
        passed = table.breached[rows]
        instant = np.where(
            state == breached,
            np.where(passed != NAT, passed, table.stopped[rows]),
            np.where(state == met, table.stopped[rows], NAT),
        )
    micros = instant // 1000
    kept = (
        ((state == met) | (state == breached))
        & (instant != NAT)
        & (micros >= to_micros(start))
        & (micros < to_micros(end))
    )
    chosen = rows[kept]
    return Verdicts(
        micros[kept],
        state[kept] == met,
        table.used[chosen] // 1000,
        table.target[chosen] // 1000,
    )


@dataclass(frozen=True)
class Week:
    """One week (from a local Monday) of a ticket objective's verdicts."""

    start: datetime
    met: int
    breached: int


def ticket_weeks(found: Verdicts, start: datetime, end: datetime) -> list[Week]:
    """Met and breached clocks per week: weeks from the local Monday on or before ``start``
    (in ``start``'s zone) to ``end``."""
    zone = start.tzinfo
    monday = start.astimezone(zone).date()
    monday -= timedelta(days=monday.weekday())
    weeks = []
    begin = datetime.combine(monday, time(), zone)
    while begin < end:
        weeks.append(begin)
        begin = datetime.combine(begin.date() + timedelta(days=7), time(), zone)
    edges = np.array([to_micros(w) for w in weeks], dtype=np.int64)
    index = np.searchsorted(edges, found.at, side="right") - 1
    met = np.bincount(index[found.met], minlength=len(weeks))
    breached = np.bincount(index[~found.met], minlength=len(weeks))
    return [Week(w, int(m), int(b)) for w, m, b in zip(weeks, met, breached, strict=True)]


SHARE_QUARTERS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 8)
"""Upper edges of the bins of :func:`used_shares`, in quarters of the target (each closed
above: 25%, 50%, 75%, 100%, 125%, 150%, 200%); the last bin holds everything above 200%."""


def used_shares(found: Verdicts) -> list[tuple[int, int]]:
    """How much of its target each counted clock used, binned by :data:`SHARE_QUARTERS`
    (exactly, in integers): (met, breached) per bin. A clock met uses at most its target; one
    breached, more. Clocks without a target are left out."""
    limited = found.target > 0
    quarters = 4 * found.used[limited]
    target = found.target[limited]
    index = np.full(len(target), len(SHARE_QUARTERS), dtype=np.int64)
    for position, edge in reversed(list(enumerate(SHARE_QUARTERS))):
        index[quarters <= edge * target] = position
    met = found.met[limited]
    bins = len(SHARE_QUARTERS) + 1
    good = np.bincount(index[met], minlength=bins)
    bad = np.bincount(index[~met], minlength=bins)
    return [(int(g), int(b)) for g, b in zip(good, bad, strict=True)]


@dataclass(frozen=True)
class Segment:
    """A stretch of a clock with business time in it: running or paused (and why), and the
    ticket's status, team and assignee then."""

    start: datetime
    end: datetime
    business: timedelta
    running: bool
    reason: str | None
    status: str
    team: str
    assignee: str


def clock_timeline(clock: Clock) -> list[Segment]:
    """Where the clock's business time went: its intervals with business time, in order,
    neighbours with the same status, team, assignee and running state merged."""
    segments: list[Segment] = []
    for interval in clock.intervals:
        if interval.business <= timedelta(0):
            continue
        fields = interval.fields
        team = next((fields[n] for n in TEAM_FIELDS if fields.get(n)), "")
        piece = Segment(
            interval.start,
            interval.end,
            interval.business,
            interval.running,
            None if interval.running else (interval.reason or "other"),
            fields.get("status", ""),
            team,
            fields.get("assignee", ""),
        )
        last = segments[-1] if segments else None
        if last is not None and (
            last.running,
            last.reason,
            last.status,
            last.team,
            last.assignee,
        ) == (piece.running, piece.reason, piece.status, piece.team, piece.assignee):
            segments[-1] = replace(last, end=piece.end, business=last.business + piece.business)
        else:
            segments.append(piece)
    return segments


def breach_offset(segments: Sequence[Segment], target: timedelta) -> timedelta | None:
    """Where on the timeline (business time from its start, running and paused) the running
    time reached ``target``: the breach (None: it never did)."""
    offset, running = timedelta(0), timedelta(0)
    for segment in segments:
        if segment.running and running + segment.business > target:
            return offset + (target - running)
        offset += segment.business
        if segment.running:
            running += segment.business
    return None
