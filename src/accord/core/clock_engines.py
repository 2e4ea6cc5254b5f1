"""Which engine evaluates a log's ticket clocks, and an account of what it did.

Two engines compute the same clocks: the rule-by-rule replay (:mod:`accord.core.clocks`, the
reference) and the column engine (:mod:`accord.core.clocks_batch`, for whole logs, for every
clock rule). The column engine hands what it does not cover to the replay: objectives of one
metric under different clock rules, or without a limit, and tickets it cannot take (not created
first). Every caller that prints clocks says which engine ran, how many tickets fell back to the
replay, and the one instant every ticket was judged at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Literal

import numpy as np

from accord.core.agreement.model import Objective
from accord.core.calendar import BusinessCalendar
from accord.core.clocks import Clock, TicketEvent, all_clocks
from accord.core.clocks_batch import METRICS, BatchResult, EventColumns, uncovered
from accord.core.clocks_batch import evaluate as evaluate_columns
from accord.core.errors import AccordError

Engine = Literal["columns", "replay"]
ENGINES: tuple[str, ...] = ("auto", "columns", "replay")


class EngineError(AccordError, ValueError):
    """An engine asked for that cannot evaluate the agreement's rules."""


def engine_account(engine: str, fell_back_tickets: int, tickets: int) -> str:
    """One line: which engine ran (``replay`` or ``columns``), and how many of the tickets
    fell back to the replay."""
    if engine == "replay":
        return "engine: replay (rule by rule, every ticket)"
    return f"engine: columns ({fell_back_tickets} of {tickets} tickets fell back to the replay)"


@dataclass(frozen=True)
class ClockEvaluation:
    """A log's clocks (by ticket, metric and cycle), the engine that computed them, the
    (ticket, metric) pairs the column engine handed to the replay, and the instant every ticket
    was judged at (None: an empty log judged at no instant). The column engine's clocks stay
    in columns (``batch``) until ``clocks`` asks for them as objects."""

    engine: Engine
    fell_back: frozenset[tuple[str, str]]
    as_of: datetime | None
    tickets: int
    batch: BatchResult | None = None
    """The column engine's result: its clocks in columns, and those it replayed."""
    replayed: Sequence[Clock] = ()
    """The replay's clocks (when the replay ran)."""

    @cached_property
    def clocks(self) -> Sequence[Clock]:
        """Every clock as an object, by ticket, metric and cycle (built on first use)."""
        found = self.batch.clocks() if self.batch is not None else list(self.replayed)
        return sorted(found, key=lambda c: (c.ticket, METRICS.index(c.metric), c.cycle))

    @property
    def fell_back_tickets(self) -> int:
        """Tickets the column engine handed to the replay, for at least one metric."""
        return len({ticket for ticket, _ in self.fell_back})

    def evaluated_by(self, clock: Clock) -> Engine:
        """The engine that computed this clock."""
        if self.engine == "columns" and (clock.ticket, clock.metric) not in self.fell_back:
            return "columns"
        return "replay"

    def account(self) -> str:
        """One line: which engine ran, and how many tickets fell back to the replay."""
        return engine_account(self.engine, self.fell_back_tickets, self.tickets)


def evaluate_clocks(
    log: Sequence[TicketEvent] | EventColumns,
    objectives: Sequence[Objective],
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime | None = None,
    engine: Literal["auto", "columns", "replay"] = "auto",
    changes: Sequence[tuple[datetime, Sequence[Objective]]] = (),
    *,
    require: bool = True,
) -> ClockEvaluation:
    """Every clock of a log as of one instant for all tickets: ``as_of``, or the end of the log
    (its latest event) when None.

    ``engine``: ``auto`` takes the column engine when it covers every ticket objective's rules,
    else the replay; ``columns`` refuses rules it does not cover (an error naming each, with its
    objective), and still hands the tickets it cannot take to the replay (counted in the
    result); ``replay`` replays every ticket. ``changes`` are later agreement versions, each in
    force from its instant (see :func:`accord.core.clocks.ticket_clocks`). ``require``: a field
    the clock rules read that no event carries is an error (see
    :func:`accord.core.clocks.require_fields`); without it (a log still arriving), such rules
    match nothing.
    """
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    moment = as_of.astimezone(UTC) if as_of is not None else _end(log)
    missing = uncovered(objectives, changes)
    chosen: Engine = "replay" if engine == "replay" or (engine == "auto" and missing) else "columns"
    if chosen == "columns" and missing:
        raise EngineError(
            "the column engine does not cover "
            + "; ".join(missing)
            + " (use the replay, or the automatic choice)"
        )
    if chosen == "columns":
        columns = log if isinstance(log, EventColumns) else EventColumns.from_events(log)
        result = evaluate_columns(
            columns, objectives, calendars, moment, changes=changes, require=require
        )
        return ClockEvaluation(
            "columns", result.replayed_for, moment, _ticket_count(columns), batch=result
        )
    else:
        events = (
            log.events_of(np.arange(len(log.at))) if isinstance(log, EventColumns) else list(log)
        )
        found = all_clocks(events, objectives, calendars, moment, changes, require=require)
        tickets = len({e.ticket for e in events})
    return ClockEvaluation(chosen, frozenset(), moment, tickets, replayed=found)


def _ticket_count(columns: EventColumns) -> int:
    """The tickets with a row in the columns (some rows of a log keep its tickets' names)."""
    if not len(columns.ticket):
        return 0
    seen = np.zeros(len(columns.tickets), dtype=bool)
    seen[columns.ticket] = True
    return int(np.count_nonzero(seen))


def _end(log: Sequence[TicketEvent] | EventColumns) -> datetime | None:
    """The latest instant of the log (None: empty)."""
    if isinstance(log, EventColumns):
        if not len(log.at):
            return None
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(log.at.max()) // 1000)
    return max((e.at for e in log), default=None)
