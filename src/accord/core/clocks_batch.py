"""Ticket clocks for a whole event log at once, in numpy, for the common rules.

The per-event replay of :mod:`accord.core.clocks` is the reference; this module computes the same
clocks column-wise for the rules most agreements use, and hands everything else to the replay:

* metrics first response, resolution and time to recover;
* clock rules starting at creation, reopen ``continue``, priority change ``carry_over``, no
  calendar taken from a ticket field;
* tickets whose first event is their creation and whose objective (chosen by scope, e.g.
  priority) stays the same from creation on.

How: events sorted by ticket and time; each field forward-filled within its ticket; per event,
the objective, the pause reason and whether the clock is stopped (a sticky flag: set by a stop,
cleared by a reopen) are vector operations; each event opens a span to the next event of its
ticket; the business time of all spans is one ``elapsed_many`` call per calendar, and breach
instants and deadlines one ``add_many`` call each. Results are columns (:class:`ClockTable`),
convertible to :class:`Clock` values, and equal to the replay's (tests prove it on random logs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import ClockRules, Objective
from accord.core.calendar import BusinessCalendar, to_nanos
from accord.core.clocks import DEFAULT_STOPS, KIND_ORDER, Clock, TicketEvent, ticket_clocks

I64 = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
KINDS = tuple(sorted(KIND_ORDER, key=KIND_ORDER.__getitem__))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAT = np.iinfo(np.int64).min
STATES = ("not_started", "running", "paused", "met", "breached", "cancelled")
BATCH_METRICS = ("first_response", "resolution", "time_to_recover")


def _moment(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ns // 1000)


@dataclass(frozen=True)
class EventColumns:
    """An event log as columns. Fields are integer codes into a vocabulary (-1: not set)."""

    tickets: list[str]
    ticket: I64
    at: I64
    kind: I64
    rank: I64
    agent_reply: Flags
    customer_message: Flags
    fields: Mapping[str, tuple[I64, list[str]]]

    @classmethod
    def from_events(cls, events: Iterable[TicketEvent]) -> EventColumns:
        """Columns of distinct events (by id), any order."""
        distinct = {e.id: e for e in events}
        rows = sorted(distinct.values(), key=lambda e: e.id)
        tickets = sorted({e.ticket for e in rows})
        code = {t: i for i, t in enumerate(tickets)}
        names = sorted({name for e in rows for name in e.fields})
        fields: dict[str, tuple[I64, list[str]]] = {}
        for name in names:
            vocabulary = sorted({e.fields[name] for e in rows if name in e.fields})
            index = {v: i for i, v in enumerate(vocabulary)}
            codes = np.array(
                [index.get(e.fields.get(name, ""), -1) if name in e.fields else -1 for e in rows],
                dtype=np.int64,
            )
            fields[name] = (codes, vocabulary)
        return cls(
            tickets=tickets,
            ticket=np.array([code[e.ticket] for e in rows], dtype=np.int64),
            at=np.array([to_nanos(e.at) for e in rows], dtype=np.int64),
            kind=np.array([KIND_ORDER[e.kind] for e in rows], dtype=np.int64),
            rank=np.arange(len(rows), dtype=np.int64),
            agent_reply=np.array([e.is_agent_reply for e in rows], dtype=bool),
            customer_message=np.array([e.is_customer_message for e in rows], dtype=bool),
            fields=fields,
        )

    def events_of(self, rows: I64) -> list[TicketEvent]:
        """The given rows as events again (for the replay of tickets the batch does not cover)."""
        found = []
        for row in rows.tolist():
            fields = {
                name: vocabulary[codes[row]]
                for name, (codes, vocabulary) in self.fields.items()
                if codes[row] >= 0
            }
            author = (
                "agent"
                if self.agent_reply[row]
                else ("customer" if self.customer_message[row] else None)
            )
            found.append(
                TicketEvent(
                    f"{self.rank[row]:012d}",
                    self.tickets[self.ticket[row]],
                    _moment(int(self.at[row])).astimezone(UTC),
                    KINDS[self.kind[row]],
                    fields,
                    author,  # type: ignore[arg-type]
                )
            )
        return found


@dataclass(frozen=True)
class ClockTable:
    """One row per clock: columns of codes and nanoseconds (NaT as int64 min)."""

    ticket: I64
    objective: I64
    metric: list[str]
    state: I64
    target: I64
    used: I64
    started: I64
    stopped: I64
    breached: I64
    deadline: I64
    wall: I64
    paused: Mapping[str, I64]

    def __len__(self) -> int:
        return len(self.ticket)


@dataclass(frozen=True)
class BatchResult:
    """Clocks of a log: a table for the tickets the batch covered, replayed clocks for the rest."""

    table: ClockTable
    replayed: list[Clock]
    tickets: list[str]
    objectives: Sequence[Objective]

    def clocks(self, fields: Mapping[str, Mapping[str, str]] | None = None) -> list[Clock]:
        """Every clock as a :class:`Clock` (batch rows carry no intervals)."""
        t = self.table
        found = list(self.replayed)
        for i in range(len(t)):
            target = int(t.target[i])
            found.append(
                Clock(
                    ticket=self.tickets[t.ticket[i]],
                    objective=self.objectives[t.objective[i]].id,
                    metric=t.metric[i],
                    cycle=1,
                    state=STATES[t.state[i]],  # type: ignore[arg-type]
                    target=timedelta(microseconds=target // 1000),
                    used=timedelta(microseconds=int(t.used[i]) // 1000),
                    started_at=_maybe(t.started[i]),
                    stopped_at=_maybe(t.stopped[i]),
                    breached_at=_maybe(t.breached[i]),
                    deadline=_maybe(t.deadline[i]),
                    paused_by={
                        r: timedelta(microseconds=int(v[i]) // 1000)
                        for r, v in t.paused.items()
                        if v[i]
                    },
                    wall=timedelta(microseconds=int(t.wall[i]) // 1000),
                    intervals=(),
                    fields=dict((fields or {}).get(self.tickets[t.ticket[i]], {})),
                )
            )
        return found


def _maybe(ns: np.int64) -> datetime | None:
    return None if int(ns) == _NAT else _moment(int(ns))


def _supported(objective: Objective) -> bool:
    rules = objective.clock or ClockRules.model_validate({})
    return (
        objective.metric in BATCH_METRICS
        and rules.start == "created"
        and rules.reopen == "continue"
        and rules.priority_change == "carry_over"
        and rules.calendar_from is None
        and objective.within is not None
    )


def evaluate(
    columns: EventColumns,
    objectives: Sequence[Objective],
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime,
) -> BatchResult:
    """Every clock of every ticket in the log as of ``as_of``."""
    moment = to_nanos(as_of)
    keep = columns.at <= moment
    # by ticket, then time, kind and id: time and kind share one key (datetime resolution is
    # the microsecond, so nothing finer is lost), and two stable sorts replace a 4-key lexsort
    instant_kind = (columns.at // 1000) * 8 + columns.kind
    order = np.lexsort((columns.rank, instant_kind))
    order = order[np.argsort(columns.ticket[order], kind="stable")]
    order = order[keep[order]]
    ticket = columns.ticket[order]
    at = columns.at[order]
    kind = columns.kind[order]
    n = len(order)
    first = np.ones(n, dtype=bool)
    first[1:] = ticket[1:] != ticket[:-1]
    starts = np.flatnonzero(first)
    start_of = np.repeat(starts, np.diff(np.append(starts, n)))
    last = np.zeros(n, dtype=bool)
    last[:-1] = first[1:]
    if n:
        last[-1] = True

    def filled(name: str) -> tuple[I64, list[str]]:
        codes, vocabulary = columns.fields.get(name, (np.full(len(columns.at), -1), []))
        codes = codes[order]
        position = np.where(codes >= 0, np.arange(n), -1)
        latest = np.maximum.accumulate(position) if n else position
        valid = latest >= start_of
        return np.where(valid, codes[np.maximum(latest, 0)], -1), vocabulary

    cache: dict[str, tuple[I64, list[str]]] = {}

    def field_in(name: str, values: Sequence[str]) -> Flags:
        if name not in cache:
            cache[name] = filled(name)
        codes, vocabulary = cache[name]
        table = np.zeros(len(vocabulary) + 1, dtype=bool)  # the last entry answers code -1
        table[[i for i, v in enumerate(vocabulary) if v in values]] = True
        return table[codes]

    def matches(condition: Mapping[str, Sequence[str]]) -> Flags:
        result = np.full(n, bool(condition))
        for name, values in condition.items():
            result &= field_in(name, values)
        return result

    rows: dict[str, list[I64]] = {}
    metrics: list[str] = []
    paused_reasons = ("customer", "third_party", "provider", "other")
    paused_cols: dict[str, list[I64]] = {r: [] for r in paused_reasons}
    replay_rows: list[I64] = []
    replay_objectives: list[Objective] = []
    for metric in (
        "first_response",
        "next_response",
        "periodic_update",
        "resolution",
        "time_to_recover",
    ):
        family = [o for o in objectives if o.metric == metric]
        if not family:
            continue
        if not all(_supported(o) for o in family) or len({str(o.clock) for o in family}) > 1:
            replay_rows.append(np.arange(n))
            replay_objectives.extend(family)
            continue
        rules = family[0].clock or ClockRules.model_validate({})
        objective_of = np.full(n, -1, dtype=np.int64)
        for index in range(len(family) - 1, -1, -1):
            scope = family[index].scope
            in_scope = np.ones(n, dtype=bool)
            for name, values in scope.items():
                in_scope &= field_in(name, values)
            objective_of = np.where(in_scope, index, objective_of)
        # a ticket the batch covers: created first, one objective from creation on
        bad = (objective_of < 0) | (first & (kind != KIND_ORDER["created"]))
        bad_ticket = np.zeros(len(columns.tickets), dtype=bool)
        bad_ticket[ticket[bad]] = True
        covered = ~bad_ticket[ticket]
        replay_rows.append(np.flatnonzero(~covered))
        replay_objectives.extend(family)
        stops = frozenset(rules.stop_on) or DEFAULT_STOPS[metric]
        stop = matches(rules.stop)
        for name in stops:
            if name == "agent_reply":
                stop |= columns.agent_reply[order]
            else:
                stop |= kind == KIND_ORDER[name]
        if metric == "first_response":
            reopen = np.zeros(n, dtype=bool)
        else:
            reopen = kind == KIND_ORDER["reopened"]
            if rules.stop:
                reopen |= ~matches(rules.stop)
        set_at = np.where(stop, np.arange(n), -1)
        clear_at = np.where(~stop & reopen, np.arange(n), -1)
        last_set = np.maximum.accumulate(set_at) if n else set_at
        last_clear = np.maximum.accumulate(clear_at) if n else clear_at
        stopped = (last_set >= start_of) & (last_set > last_clear)
        reason = np.full(n, -1, dtype=np.int64)
        for index in range(len(rules.pause) - 1, -1, -1):
            rule = rules.pause[index]
            reason = np.where(matches(rule.when), paused_reasons.index(rule.reason), reason)
        running = ~stopped & (reason < 0)
        pausing = ~stopped & (reason >= 0)
        end = np.empty(n, dtype=np.int64)
        end[:-1] = at[1:]
        if n:
            end[-1] = moment
        end = np.where(last, moment, end)
        business = np.zeros(n, dtype=np.int64)
        names = [o.calendar for o in family]
        for calendar_name in set(names):
            uses = _member(objective_of, [i for i, c in enumerate(names) if c == calendar_name])
            spans = uses & covered & (running | pausing)
            if spans.any():
                business[spans] = (
                    calendars[calendar_name]
                    .elapsed_many(
                        at[spans].view("datetime64[ns]"), end[spans].view("datetime64[ns]")
                    )
                    .view(np.int64)
                )
        sel = covered
        tickets_sel = starts[covered[starts]]
        if not len(tickets_sel):
            continue
        segment_starts = np.searchsorted(np.flatnonzero(sel), tickets_sel)
        run_business = np.where(running & sel, business, 0)[sel]
        used = np.add.reduceat(run_business, segment_starts)
        lengths = np.diff(np.append(segment_starts, len(run_business)))
        running_total = np.cumsum(run_business)
        offset = running_total[segment_starts] - run_business[segment_starts]
        cum_before = running_total - run_business - np.repeat(offset, lengths)
        rows_sel = np.flatnonzero(sel)
        # the objective in force: it follows the ticket while the clock runs or is paused, and
        # stays as it was while the clock is stopped (a change then counts from the reopen)
        active = ~stopped | first
        position = np.where(active, np.arange(n), -1)
        latest_active = np.maximum.accumulate(position) if n else position
        objective_rows = objective_of[np.maximum(latest_active, 0)][rows_sel]
        # regimes: stretches of a ticket under one objective (a priority change starts one)
        regime_start = np.zeros(len(rows_sel), dtype=bool)
        regime_start[segment_starts] = True
        regime_start[1:] |= objective_rows[1:] != objective_rows[:-1]
        regime_starts = np.flatnonzero(regime_start)
        regime_lengths = np.diff(np.append(regime_starts, len(rows_sel)))
        regime_ticket = np.repeat(np.arange(len(tickets_sel)), lengths)[regime_starts]
        regime_objective = objective_rows[regime_starts]
        opened_ns = at[tickets_sel]
        regime_target = _targets(family, calendars, regime_objective, opened_ns[regime_ticket])
        target_rows = np.repeat(regime_target, regime_lengths)
        crossing = (run_business > 0) & (cum_before + run_business > target_rows)
        index_sel = np.arange(len(run_business))
        regime_cross = np.minimum.reduceat(
            np.where(crossing, index_sel, len(run_business)), regime_starts
        )
        cross_at = np.full(len(regime_starts), _NAT, dtype=np.int64)
        has_regime_cross = regime_cross < len(run_business)
        for calendar_name in set(names):
            here = has_regime_cross & _member(
                regime_objective, [i for i, c in enumerate(names) if c == calendar_name]
            )
            if here.any():
                k = regime_cross[here]
                left = (regime_target[here] - cum_before[k]).view("timedelta64[ns]")
                cross_at[here] = (
                    calendars[calendar_name]
                    .add_many(at[rows_sel[k]].view("datetime64[ns]"), left)
                    .view(np.int64)
                )
        # the breach, regime by regime: a change of target re-judges it (over the new target:
        # breached at the change, or earlier if already; under it: not breached yet)
        regime_rank = np.arange(len(regime_starts)) - np.searchsorted(
            regime_ticket, regime_ticket, side="left"
        )
        breached = np.full(len(tickets_sel), _NAT, dtype=np.int64)
        for rank in range(int(regime_rank.max(initial=-1)) + 1):
            these = np.flatnonzero(regime_rank == rank)
            owners = regime_ticket[these]
            if rank == 0:
                breached[owners] = cross_at[these]
                continue
            begin = regime_starts[these]
            over_now = cum_before[begin] > regime_target[these]
            kept = np.where(breached[owners] != _NAT, breached[owners], at[rows_sel[begin]])
            breached[owners] = np.where(over_now, kept, cross_at[these])
        has_cross = breached != _NAT
        final_regime = np.append(np.flatnonzero(np.diff(regime_ticket)), len(regime_ticket) - 1)
        target = regime_target[final_regime]
        obj = regime_objective[final_regime]
        last_rows = rows_sel[np.append(segment_starts[1:], len(rows_sel)) - 1]
        final_stopped = stopped[last_rows]
        run_start = stopped & ~np.concatenate(([False], stopped[:-1])) | (stopped & first)
        latest_run = np.maximum.reduceat(np.where(run_start[sel], rows_sel, -1), segment_starts)
        stopped_at = np.where(final_stopped, at[np.maximum(latest_run, 0)], _NAT)
        over = used > target
        state = np.where(
            final_stopped,
            np.where(over, STATES.index("breached"), STATES.index("met")),
            np.where(
                over,
                STATES.index("breached"),
                np.where(reason[last_rows] >= 0, STATES.index("paused"), STATES.index("running")),
            ),
        )
        deadline = np.full(len(tickets_sel), _NAT, dtype=np.int64)
        open_running = ~final_stopped & (reason[last_rows] < 0)
        deadline = np.where(open_running & has_cross, breached, deadline)
        for calendar_name in set(names):
            here = (
                open_running
                & ~has_cross
                & _member(obj, [i for i, c in enumerate(names) if c == calendar_name])
            )
            if here.any():
                deadline[here] = (
                    calendars[calendar_name]
                    .add_many(
                        np.full(int(here.sum()), moment).view("datetime64[ns]"),
                        (target[here] - used[here]).view("timedelta64[ns]"),
                    )
                    .view(np.int64)
                )
        opened = at[tickets_sel]
        wall = np.where(final_stopped, stopped_at, moment) - opened
        global_index = np.array(
            [next(j for j, o in enumerate(objectives) if o is f) for f in family], dtype=np.int64
        )
        objective_index = global_index[obj]
        for name, column in (
            ("ticket", ticket[tickets_sel]),
            ("objective", objective_index),
            ("state", state),
            ("target", target),
            ("used", used),
            ("started", opened),
            ("stopped", stopped_at),
            ("breached", breached),
            ("deadline", deadline),
            ("wall", wall),
        ):
            rows.setdefault(name, []).append(column)
        used_reasons = {paused_reasons.index(rule.reason) for rule in rules.pause}
        for index, name in enumerate(paused_reasons):
            if index not in used_reasons:
                paused_cols[name].append(np.zeros(len(tickets_sel), dtype=np.int64))
                continue
            paused_cols[name].append(
                np.add.reduceat(
                    np.where(pausing & (reason == index), business, 0)[sel], segment_starts
                )
            )
        metrics.extend([metric] * len(tickets_sel))

    def joined(parts: list[I64]) -> I64:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    table = ClockTable(
        **{
            name: joined(rows.get(name, []))
            for name in (
                "ticket",
                "objective",
                "state",
                "target",
                "used",
                "started",
                "stopped",
                "breached",
                "deadline",
                "wall",
            )
        },
        metric=metrics,
        paused={r: joined(v) for r, v in paused_cols.items()},
    )
    replayed: list[Clock] = []
    if replay_objectives:
        for family_rows, family in _families(replay_rows, replay_objectives, objectives):
            events = columns.events_of(order[family_rows])
            by_ticket: dict[str, list[TicketEvent]] = {}
            for event in events:
                by_ticket.setdefault(event.ticket, []).append(event)
            for history in by_ticket.values():
                replayed.extend(ticket_clocks(history, family, calendars, as_of))
    return BatchResult(table, replayed, columns.tickets, objectives)


def _member(codes: I64, wanted: Sequence[int]) -> Flags:
    """``np.isin`` for small non-negative codes (-1 allowed), by table lookup."""
    size = max([*wanted, int(codes.max(initial=0))]) + 2
    table = np.zeros(size, dtype=bool)
    table[list(wanted)] = True
    return table[codes]


def _targets(
    family: Sequence[Objective],
    calendars: Mapping[str, BusinessCalendar],
    objective: I64,
    opened: I64,
) -> I64:
    """Each clock's target in nanoseconds of business time: the objective's limit, or for
    "N business days" the business time from the clock's start to the N-th open day after it."""
    target = np.empty(len(objective), dtype=np.int64)
    for index, item in enumerate(family):
        here = objective == index
        if not here.any():
            continue
        within = item.within
        assert within is not None
        if within.time is not None:
            target[here] = within.time // timedelta(microseconds=1) * 1000
            continue
        assert within.business_days is not None
        calendar = calendars[item.calendar]
        starts = opened[here]
        ends = calendar.add_days_many(starts.view("datetime64[ns]"), within.business_days)
        target[here] = calendar.elapsed_many(starts.view("datetime64[ns]"), ends).view(np.int64)
    return target


def _families(
    rows: list[I64], families: list[Objective], objectives: Sequence[Objective]
) -> list[tuple[I64, list[Objective]]]:
    """Rows to replay, grouped with the objective family (one metric) they are replayed for."""
    grouped: list[tuple[I64, list[Objective]]] = []
    metrics = []
    for objective in families:
        if objective.metric not in metrics:
            metrics.append(objective.metric)
    for part, metric in zip(rows, metrics, strict=True):
        if len(part):
            grouped.append((part, [o for o in objectives if o.metric == metric]))
    return grouped
