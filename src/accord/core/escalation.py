"""Escalation moments: when each level of an agreement's escalation falls due for a clock.

A level is written as a share of the target (``75%``), the breach (``breach``, the same as
``100%``) or a business-time delay after it (``breach + 2h``, in the clock's calendar). The
moment is exact even when the share was crossed in the past: it is found by walking the
running intervals of the clock. A paused clock's future moments are unknown (``held``) until it
runs again; a stopped clock's future moments are ``cancelled``. A level that holds to a
calendar (``respect_calendar``) moves to that calendar's next opening.

Availability objectives escalate on their error budget's burn rate instead
(``burn 14.4x over 1h/5m``): such a level has no moment known ahead; it is checked as time goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import Agreement, EscalationLevel
from accord.core.agreement.units import parse_duration
from accord.core.calendar import BusinessCalendar
from accord.core.clock_cycles import STATES
from accord.core.clocks import Clock, clock_calendar
from accord.core.clocks_batch import BatchResult

DueState = Literal["pending", "held", "cancelled"]
_BREACH_DELAY = re.compile(r"^breach\s*\+\s*(.+)$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BURN = re.compile(r"^burn\s+(\d+(?:\.\d+)?)x?\s+over\s+(\S+)\s*/\s*(\S+)$")


@dataclass(frozen=True)
class BurnLevel:
    """A level that fires when the burn rate over both windows reaches the threshold."""

    threshold: Decimal
    long: timedelta
    short: timedelta


def burn_level(level: EscalationLevel) -> BurnLevel | None:
    """The burn-rate condition of a level written ``burn 14.4x over 1h/5m``; None for a level
    of a ticket clock (``75%``, ``breach``, ``breach + 2h``)."""
    match = _BURN.match(level.at.strip())
    if match is None:
        return None
    long, short = (parse_duration(match.group(i)).time for i in (2, 3))
    assert long is not None  # the pattern admits only d, h, m: never business days
    assert short is not None
    return BurnLevel(Decimal(match.group(1)), long, short)


@dataclass(frozen=True)
class Due:
    """One escalation level of one clock cycle, and when it falls due."""

    objective: str
    cycle: int
    level: int
    at: str
    state: DueState
    due: datetime | None
    notify: tuple[str, ...]
    channels: tuple[str, ...]


def levels_for(agreement: Agreement, objective: str) -> list[tuple[int, EscalationLevel]]:
    """The escalation levels that apply to an objective, each with a stable number.

    Numbers are ``100 * block + position`` so that adding a level to one block of the
    agreement does not renumber the levels of another.
    """
    found = []
    for block_number, block in enumerate(agreement.escalation):
        if block.objectives and objective not in block.objectives:
            continue
        for position, level in enumerate(block.levels):
            found.append((100 * block_number + position, level))
    return found


def share_of(level: EscalationLevel) -> tuple[Decimal, timedelta] | None:
    """A level written as a share of the target, and the delay after it: ``75%`` is
    (0.75, 0), ``breach`` (1, 0), ``breach + 2h`` (1, 2 h); None for a burn-rate level."""
    return _share_of(level.at)


@cache
def _share_of(written: str) -> tuple[Decimal, timedelta] | None:
    text = written.strip()
    if text.endswith("%"):
        return Decimal(text[:-1]) / 100, timedelta(0)
    if not text.startswith("breach"):
        return None
    delay = timedelta(0)
    match = _BREACH_DELAY.match(text)
    if match is not None:
        spoken = parse_duration(match.group(1).replace(" ", ""))
        if spoken.time is not None:
            delay = spoken.time
    return Decimal(1), delay


def hold(
    level: EscalationLevel, calendars: Mapping[str, BusinessCalendar], due: datetime
) -> datetime:
    """When a level's notification may go: ``due``, or the next opening of the calendar the
    level holds to (``respect_calendar``) when that is closed then."""
    quiet = calendars.get(level.respect_calendar) if level.respect_calendar else None
    if quiet is not None and not quiet.is_open(due):
        return quiet.next_open(due)
    return due


def _threshold(level: EscalationLevel, target: timedelta) -> tuple[timedelta, timedelta]:
    """The business time used at which the level is reached, and the delay after it."""
    found = share_of(level)
    assert found is not None  # burn-rate levels never reach a ticket clock
    share, delay = found
    micros = int(Decimal(target // timedelta(microseconds=1)) * share)
    return timedelta(microseconds=micros), delay


def _crossed(clock: Clock, calendar: BusinessCalendar, threshold: timedelta) -> datetime | None:
    """The instant the clock's used time reached ``threshold``, if it has."""
    if clock.used < threshold or clock.started_at is None:
        return None
    if threshold <= timedelta(0):
        return clock.started_at
    counted = timedelta(0)
    for interval in clock.intervals:
        if not interval.running:
            continue
        if counted + interval.business >= threshold:
            moment = calendar.add(interval.start, threshold - counted)
            return min(moment, interval.end)
        counted += interval.business
    return None  # the time was used after the last interval: not yet reached as of the clock


def walks_intervals(clock: Clock, agreement: Agreement) -> bool:
    """Whether :func:`escalation_moments` needs the clock's running intervals: some level of
    its objective was already reached after the clock started (the instant it was reached is
    found by walking them). A clock without intervals (the column engine's) is exact otherwise.
    """
    if clock.target is None or clock.started_at is None:
        return False
    for _, level in levels_for(agreement, clock.objective):
        if burn_level(level) is not None:
            continue
        threshold, _ = _threshold(level, clock.target)
        if timedelta(0) < threshold <= clock.used:
            return True
    return False


def escalation_moments(
    clock: Clock,
    agreement: Agreement,
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime,
) -> list[Due]:
    """When each escalation level of the clock's objective falls due, as of ``as_of``."""
    levels = levels_for(agreement, clock.objective)
    if not levels or clock.target is None:
        return []
    try:
        objective = agreement.objective(clock.objective)
    except KeyError:
        return []
    rules = objective.clock
    calendar = clock_calendar(
        objective, clock.fields, calendars, rules.calendar_from if rules else None, clock.ticket
    )
    found = []
    for number, level in levels:
        if burn_level(level) is not None:
            continue  # a level of availability objectives: the worker checks it
        threshold, delay = _threshold(level, clock.target)
        reached = _crossed(clock, calendar, threshold)
        state: DueState = "pending"
        due: datetime | None = None
        if reached is not None:
            due = calendar.add(reached, delay) if delay else reached
        elif clock.state == "running":
            due = calendar.add(as_of, threshold - clock.used)
            if delay:
                due = calendar.add(due, delay)
        elif clock.state == "paused":
            state = "held"
        else:
            state = "cancelled"
        if (
            due is not None
            and clock.state in ("met", "cancelled")
            and due > (clock.stopped_at or as_of)
        ):
            state, due = "cancelled", None
        if due is not None:
            due = hold(level, calendars, due)
        found.append(
            Due(
                objective=clock.objective,
                cycle=clock.cycle,
                level=number,
                at=level.at,
                state=state,
                due=due,
                notify=level.notify,
                channels=level.channels,
            )
        )
    return found


DUE_STATES: tuple[DueState, ...] = ("pending", "held", "cancelled")
_NAT = int(np.iinfo(np.int64).min)
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DueColumns:
    """Escalation moments of clocks given in columns (:func:`escalation_columns`), one row a
    clock and level: the clock (its row in the input), the level's number and its written
    level (an index into ``levels``), the state (an index into :data:`DUE_STATES`) and the
    moment due (nanoseconds since the epoch; NaT as int64 min when none)."""

    clock: I64
    number: I64
    level: I64
    state: I64
    due: I64
    levels: Sequence[EscalationLevel]

    def __len__(self) -> int:
        return len(self.clock)


def escalation_columns(
    agreement: Agreement,
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime,
    objectives: Sequence[str],
    objective: I64,
    state: I64,
    state_names: Sequence[str],
    target: I64,
    used: I64,
    started: I64,
    stopped: I64,
    crossed: Callable[[I64, I64], I64] | None = None,
) -> tuple[DueColumns, npt.NDArray[np.bool_]]:
    """What :func:`escalation_moments` gives for many clocks at once, from their columns: each
    clock's objective (a code into ``objectives``), state (a code into ``state_names``),
    target, used business time, start and stop (nanoseconds; NaT as int64 min), every clock
    with a target.

    A level reached after the clock started was reached when its used time came to the
    level's threshold: ``crossed`` gives that instant for clocks (rows of the input) and
    thresholds (microseconds), as :func:`escalation_moments` finds it by walking the clock's
    running intervals (which columns do not keep), or NaT when it cannot tell.

    Also which clocks it leaves out, for :func:`escalation_moments` to judge one by one: those
    with a level reached after they started whose instant ``crossed`` does not give, and those
    whose calendar is taken from a ticket field (``calendar_from``). The others' due rows come
    in the order of the clocks, level by level, as :func:`escalation_moments` lists them."""
    count = len(objective)
    left_out = np.zeros(count, dtype=bool)
    moment = (as_of - _EPOCH) // timedelta(microseconds=1) * 1000
    target_us, used_us = target // 1000, used // 1000
    table = np.array([*state_names, ""])

    def having(*names: str) -> npt.NDArray[np.bool_]:
        found: npt.NDArray[np.bool_] = np.isin(table, names)[state]
        return found

    running, paused, stopping = having("running"), having("paused"), having("met", "cancelled")
    # the thresholds of every objective's levels, and the clocks that reached one after they
    # started (their instants asked of ``crossed`` at once: one walk for the whole batch)
    objectives_found = []
    asked: list[tuple[I64, I64]] = []
    for code, name in enumerate(objectives):
        mine = np.flatnonzero(objective == code)
        if not len(mine):
            continue
        levels = [(n, lv) for n, lv in levels_for(agreement, name) if burn_level(lv) is None]
        if not levels:
            continue
        try:
            found = agreement.objective(name)
        except KeyError:
            continue
        if found.clock is not None and found.clock.calendar_from is not None:
            left_out[mine] = True
            continue
        per_level = []
        began = started[mine] != _NAT
        used_here = used_us[mine]
        for number, level in levels:
            share = share_of(level)
            assert share is not None
            numerator, denominator = share[0].as_integer_ratio()
            tu = target_us[mine]
            # as _threshold has it (a Decimal product, truncated); in int64 when that is exact
            if numerator < 0 or (tu.size and int(np.abs(tu).max()) * numerator >= 2**62):
                threshold = np.array(
                    [int(Decimal(int(t)) * share[0]) for t in tu.tolist()], dtype=np.int64
                )
            else:
                threshold = tu * numerator // denominator
            crossing = np.where(threshold <= 0, started[mine], _NAT)
            walked = np.flatnonzero((threshold > 0) & (threshold <= used_here) & began)
            asked.append((mine[walked], threshold[walked]))
            per_level.append((number, level, threshold, share[1], crossing, walked))
        objectives_found.append((mine, calendars[found.calendar], began, used_here, per_level))
    if asked and crossed is not None:
        clocks_asked = np.concatenate([clocks for clocks, _ in asked])
        instants = (
            crossed(clocks_asked, np.concatenate([t for _, t in asked]))
            if len(clocks_asked)
            else clocks_asked
        )
    else:
        instants = np.full(sum(len(c) for c, _ in asked), _NAT, dtype=np.int64)
    offset = 0
    for mine, _, _, _, per_level in objectives_found:
        for _, _, _, _, crossing, walked in per_level:
            crossing[walked] = instants[offset : offset + len(walked)]
            offset += len(walked)
            left_out[mine[walked[crossing[walked] == _NAT]]] = True
    parts: list[tuple[I64, int, int, I64, I64]] = []
    written: list[EscalationLevel] = []
    for mine, calendar, began_all, used_all, per_level in objectives_found:
        keep = ~left_out[mine]
        clocks = mine[keep]
        used_here, began = used_all[keep], began_all[keep]
        for number, level, threshold_all, delay, crossing, _ in per_level:
            threshold = threshold_all[keep]
            due = np.where(began, crossing[keep], _NAT)
            reached = due != _NAT
            due_state = np.full(len(clocks), DUE_STATES.index("pending"), dtype=np.int64)
            ahead = ~reached & running[clocks]
            if ahead.any():
                due[ahead] = calendar.add_many(
                    np.full(int(ahead.sum()), moment, dtype=np.int64).view("datetime64[ns]"),
                    ((threshold[ahead] - used_here[ahead]) * 1000).view("timedelta64[ns]"),
                ).view(np.int64)
            if delay:
                late = due != _NAT
                if late.any():
                    due[late] = calendar.add_many(
                        due[late].view("datetime64[ns]"),
                        np.timedelta64(delay // timedelta(microseconds=1), "us"),
                    ).view(np.int64)
            due_state[~reached & paused[clocks]] = DUE_STATES.index("held")
            due_state[~reached & ~running[clocks] & ~paused[clocks]] = DUE_STATES.index("cancelled")
            end = np.where(stopped[clocks] != _NAT, stopped[clocks], moment)
            over = (due != _NAT) & stopping[clocks] & (due > end)
            due_state[over] = DUE_STATES.index("cancelled")
            due[over] = _NAT
            quiet = calendars.get(level.respect_calendar) if level.respect_calendar else None
            if quiet is not None:
                due = _held_to(quiet, due)
            written.append(level)
            parts.append((clocks, number, len(written) - 1, due_state, due))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return DueColumns(empty, empty, empty, empty, empty, written), left_out
    clock = np.concatenate([p[0] for p in parts])
    numbers = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int64) for p in parts])
    level_index = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int64) for p in parts])
    # clock by clock, level by level (each objective's levels come in their order)
    order = np.lexsort((np.arange(len(clock)), clock))
    return (
        DueColumns(
            clock[order],
            numbers[order],
            level_index[order],
            np.concatenate([p[3] for p in parts])[order],
            np.concatenate([p[4] for p in parts])[order],
            written,
        ),
        left_out,
    )


def batch_escalation(
    agreement: Agreement,
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime,
    batch: BatchResult,
    crossed: Callable[[I64, I64], I64] | None = None,
) -> tuple[DueColumns, npt.NDArray[np.bool_]]:
    """:func:`escalation_columns` of the clocks the column engine computed (``batch.table``)."""
    table = batch.table
    return escalation_columns(
        agreement,
        calendars,
        as_of,
        [o.id for o in batch.objectives],
        table.objective,
        table.state,
        STATES,
        table.target,
        table.used,
        table.started,
        table.stopped,
        crossed,
    )


def _held_to(calendar: BusinessCalendar, due: I64) -> I64:
    """:func:`hold` over instants (µs-aligned nanoseconds; NaT stays): each one at which the
    calendar is closed moves to its next opening. One nanosecond of business time added takes
    an open instant one nanosecond on, and a closed one to one nanosecond past the opening."""
    found = due.copy()
    some = found != _NAT
    if some.any():
        moved = calendar.add_many(found[some].view("datetime64[ns]"), np.timedelta64(1, "ns"))
        found[some] = moved.view(np.int64) - 1
    return found
