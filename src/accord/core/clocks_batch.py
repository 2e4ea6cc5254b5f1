"""Ticket clocks for a whole event log at once, in numpy, for every clock rule.

The per-event replay of :mod:`accord.core.clocks` is the reference; this module computes the same
clocks column-wise:

* on a fast path, one clock a ticket, for first response, resolution and time to recover under
  the rules most agreements use (start at creation, reopen ``continue``, priority change
  ``carry_over``, the objective's own calendar), for tickets in some objective's scope at every
  event (a priority change moves the clock to another objective, carrying its used time over; a
  change on the event that stops the clock is judged at the new level, as the replay does);
* in the cycle table of :mod:`accord.core.clock_cycles`, every other rule (next response,
  periodic update, restarts, start rules, a calendar from a ticket field, agreement versions
  taking over mid-ticket: ``changes``), and the fast path's tickets that leave every scope;
* by the replay, tickets whose first event is not their creation, and objectives of one metric
  under different clock rules or without a limit (:func:`uncovered`).

Which engine runs, and the account of it, is decided in :mod:`accord.core.clock_engines`.

How (the fast path): events in order by ticket and time (a log grouped by ticket, as exports
usually are, is checked in a few passes and only its tickets with events out of time order are
sorted; duplicates of one event count once), evaluated in chunks of whole tickets (about a
million events) so that the working arrays stay in cache and their memory is reused. Each field
is forward-filled within its ticket; per event, the objective, the pause reason and whether the
clock is stopped (a sticky flag: set by a stop, cleared by a reopen) are table lookups on the
fields' codes and a few vector operations; each event opens a span to the next event of its
ticket. The business time of all spans is one ``elapsed_since_many`` call per calendar (business
time from ``as_of`` to every event; a span's is the difference of its ends), shared by metrics
scoped alike; breach instants (searched only in tickets over their lowest target) and deadlines
are one ``add_many`` call each. Results are columns (:class:`ClockTable`, one row a clock and
cycle), convertible to :class:`Clock` values, and equal to the replay's (tests prove it on
random logs under random rules, in any row order, with ties, duplicates and chunks of a few
events).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import chain, compress, repeat
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import ClockRules, Objective
from accord.core.calendar import BusinessCalendar, to_nanos
from accord.core.clock_cycles import (
    NAT,
    PAUSE_REASONS,
    STATES,
    TABLE_COLUMNS,
    MetricRules,
    cycle_clocks,
    distinct_codes,
    rules_text,
)
from accord.core.clocks import (
    DEFAULT_STOPS,
    KIND_ORDER,
    Clock,
    TicketEvent,
    distinct,
    require_fields,
    rule_fields,
    ticket_clocks,
    tie_order,
)

I64 = npt.NDArray[np.int64]
Ints = npt.NDArray[np.signedinteger[Any]]  # codes and row numbers: int32 or int64
Flags = npt.NDArray[np.bool_]
KINDS = tuple(sorted(KIND_ORDER, key=KIND_ORDER.__getitem__))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_NAT = NAT
BATCH_METRICS = ("first_response", "resolution", "time_to_recover")


_ID = attrgetter("id")
_POSITION = attrgetter("position")
_TICKET = attrgetter("ticket")
_KIND = attrgetter("kind")
_AUTHOR = attrgetter("author")
_PUBLIC = attrgetter("public")
_FIELDS = attrgetter("fields")


def _distinct(events: Iterable[TicketEvent]) -> list[TicketEvent]:
    """:func:`accord.core.clocks.distinct`, quicker when no id comes twice."""
    rows = list(events)
    if len(set(map(_ID, rows))) == len(rows):  # no id twice: nothing to check
        return rows
    return distinct(rows)


def _by_place(positions: list[int | None]) -> Ints | None:
    """The events in the order of their places in the source (as :func:`tie_order` sorts
    them), when each has a place of its own; None when some have none or share one."""
    if None in positions:
        return None
    try:
        where = np.array(positions, dtype=np.int64)
    except OverflowError:
        return None
    order: Ints = np.argsort(where, kind="stable")
    if len(where) > 1 and bool((np.diff(where[order]) == 0).any()):
        return None
    return order


def _moment(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ns // 1000)


@dataclass(frozen=True)
class EventColumns:
    """An event log as columns. Fields are integer codes into a vocabulary (-1: not set).

    ``at`` is in nanoseconds since the epoch; ``rank`` orders the events of a ticket at one
    instant as the replay does (:func:`accord.core.clocks.tie_order`: the source's order), and
    equal ranks are the same event twice. A log already in order by ticket, time (creation
    first) and rank needs no sort (see :func:`arrange`); a reader that has checked the order
    passes the answer on in ``arranged`` (computed with ``rank``, or without it when no two
    events of a ticket tie).
    """

    tickets: Sequence[str]
    ticket: Ints
    at: I64
    kind: Ints
    rank: Ints
    agent_reply: Flags
    customer_message: Flags
    fields: Mapping[str, tuple[Ints, Sequence[str]]]
    arranged: tuple[Ints | None, bool] | None = None  # arrange() of these rows, when known

    @classmethod
    def from_events(cls, events: Iterable[TicketEvent]) -> EventColumns:
        """Columns of distinct events (by id), any order. The rows come in evaluation order (by
        ticket, time, creation first, then the source's order: ``rank``), so that evaluating
        them at any instant needs no sort."""
        rows = _distinct(events)
        n = len(rows)
        positions = list(map(_POSITION, rows))
        by_place = _by_place(positions)
        if by_place is None:  # ties (rare) by kind and id, as tie_order has them
            rows.sort(key=tie_order)
        else:
            rows = [rows[i] for i in by_place.tolist()]
        names = list(map(_TICKET, rows))
        tickets = sorted(set(names))
        code = {t: i for i, t in enumerate(tickets)}
        ticket = np.fromiter(map(code.__getitem__, names), dtype=np.int64, count=n)
        try:  # to_nanos inline, for speed; a naive instant fails there with its message
            at_list = [(e.at - _EPOCH) // _US * 1000 for e in rows]
        except TypeError:
            at_list = [to_nanos(e.at) for e in rows]
        return cls.from_rows(
            tickets,
            ticket,
            np.array(at_list, dtype=np.int64),
            list(map(_KIND, rows)),
            list(map(_AUTHOR, rows)),
            list(map(_PUBLIC, rows)),
            list(map(_FIELDS, rows)),
            np.arange(n, dtype=np.int64),
        )

    @classmethod
    def from_rows(
        cls,
        tickets: Sequence[str],
        ticket: Ints,
        at: I64,
        kinds: Sequence[str],
        authors: Sequence[str | None],
        public: Sequence[bool],
        fields: list[Mapping[str, str]],
        rank: Ints,
    ) -> EventColumns:
        """Columns of distinct events given column by column, in any order: each row's ticket
        (a code into ``tickets``), instant (nanoseconds since the epoch), kind, author, whether
        it is public, fields, and ``rank``, a number of its own that orders a ticket's events at
        one instant (the source's order). Without an event object per row (a store's rows)."""
        n = len(at)
        kind = np.fromiter(map(KIND_ORDER.__getitem__, kinds), np.int64, count=n)
        comment = kind == KIND_ORDER["comment"]
        author = np.array(authors, dtype=object)
        shown = np.fromiter(public, dtype=bool, count=n)
        agent_reply = comment & (author == "agent") & shown if n else comment
        customer_message = comment & (author == "customer") if n else comment
        return cls.from_codes(
            tickets, ticket, at, kind, agent_reply, customer_message, fields, rank
        )

    @classmethod
    def from_codes(
        cls,
        tickets: Sequence[str],
        ticket: Ints,
        at: I64,
        kind: Ints,
        agent_reply: Flags,
        customer_message: Flags,
        fields: list[Mapping[str, str]] | Mapping[str, tuple[Ints, Sequence[str]]],
        rank: Ints,
    ) -> EventColumns:
        """:meth:`from_rows` of rows whose kinds are given as codes (:data:`KINDS`), and
        whether each is an agent's public reply or a customer's message as flags (as a
        store may compute them where it reads the rows). The fields are each row's mapping,
        or already coded: each field's codes (-1: not set) into its vocabulary, sorted, as
        :class:`EventColumns` holds them (as a reader of columns makes them)."""
        order, tied = arrange(ticket, at, kind, rank)
        if order is not None:  # into evaluation order (the fields' rows: as each is decoded)
            ticket, at, kind, rank = ticket[order], at[order], kind[order], rank[order]
            agent_reply, customer_message = agent_reply[order], customer_message[order]
            if not isinstance(fields, list):  # coded: each field's codes put in order
                fields = {name: (codes[order], texts) for name, (codes, texts) in fields.items()}
        return cls(
            tickets=tickets,
            ticket=ticket,
            at=at,
            kind=kind,
            rank=rank,
            agent_reply=np.asarray(agent_reply, dtype=bool),
            customer_message=np.asarray(customer_message, dtype=bool),
            fields=_Decoded(fields, order) if isinstance(fields, list) else fields,
            arranged=(None, tied),
        )

    def of_tickets(self, kept: Flags) -> EventColumns:
        """The rows of the tickets kept (a flag per ticket code), as columns of their own: the
        same tickets and vocabularies, each field's rows taken when first asked for. Evaluated
        at any instant, a ticket's clocks are those the whole log gives it."""
        return self.of_rows(np.flatnonzero(kept[self.ticket]))

    def of_rows(self, rows: Ints) -> EventColumns:
        """The given rows (ascending), as columns of their own: the same tickets and
        vocabularies, each field's rows taken when first asked for."""
        in_order = self.arranged is not None and self.arranged[0] is None
        return EventColumns(
            tickets=self.tickets,
            ticket=self.ticket[rows],
            at=self.at[rows],
            kind=self.kind[rows],
            rank=self.rank[rows],
            agent_reply=self.agent_reply[rows],
            customer_message=self.customer_message[rows],
            fields=_Derived(self.fields, partial(_taken, rows)),
            # rows in evaluation order stay so; a duplicate stays a duplicate
            arranged=self.arranged if in_order else None,
        )

    def replaced(self, dropped: Iterable[str], fresh: EventColumns | None) -> EventColumns:
        """These columns with the rows of the tickets ``dropped`` and of ``fresh``'s tickets
        taken out, and ``fresh``'s rows (its tickets' events read again, whole) put in: row for
        row the columns :meth:`from_rows` makes of the rows kept and ``fresh``'s together,
        without decoding the rows kept again (each field merged when first asked for). The
        tickets are those left with a row, in order of their names, as a store reads them; a
        field's vocabulary holds the values its rows set, in order."""
        gone = set(dropped) | (set(fresh.tickets) if fresh is not None else set())
        parts: list[tuple[EventColumns, Ints]] = []
        if gone.isdisjoint(self.tickets):
            parts.append((self, np.arange(len(self.at))))
        else:
            keep = np.fromiter((t not in gone for t in self.tickets), bool, len(self.tickets))
            parts.append((self, np.flatnonzero(keep[self.ticket])))
        if fresh is not None:
            parts.append((fresh, np.arange(len(fresh.at))))
        present = [np.unique(part.ticket[rows]) for part, rows in parts]
        tickets = sorted(
            {
                part.tickets[c]
                for (part, _), codes in zip(parts, present, strict=True)
                for c in codes
            }
        )
        code = {t: i for i, t in enumerate(tickets)}
        ticket = np.concatenate(
            [
                np.fromiter((code.get(t, -1) for t in part.tickets), np.int64, len(part.tickets))[
                    part.ticket[rows]
                ]
                for part, rows in parts
            ]
        )
        at = np.concatenate([part.at[rows] for part, rows in parts]).astype(np.int64)
        kind = np.concatenate([part.kind[rows] for part, rows in parts])
        rank = np.concatenate([part.rank[rows] for part, rows in parts])
        order, tied = arrange(ticket, at, kind, rank)
        if order is None:
            order = np.arange(len(at))

        def joined(flag: str) -> Flags:
            return np.concatenate([getattr(part, flag)[rows] for part, rows in parts])[order]

        return EventColumns(
            tickets=tickets,
            ticket=ticket[order],
            at=at[order],
            kind=kind[order],
            rank=rank[order],
            agent_reply=joined("agent_reply"),
            customer_message=joined("customer_message"),
            fields=_Merged(parts, order),
            arranged=(None, tied),
        )

    def events_of(self, rows: Ints) -> list[TicketEvent]:
        """The given rows as events again (for the replay of tickets the batch does not cover)."""
        found = []
        decoded = self.fields if isinstance(self.fields, _Decoded) else None
        for row in rows.tolist():
            fields = (
                decoded.given(row)
                if decoded is not None
                else {
                    name: vocabulary[codes[row]]
                    for name, (codes, vocabulary) in self.fields.items()
                    if codes[row] >= 0
                }
            )
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
                    position=int(self.rank[row]),
                )
            )
        return found


@dataclass(frozen=True)
class ClockTable:
    """One row per clock: columns of codes and nanoseconds (NaT as int64 min)."""

    ticket: I64
    objective: I64
    metric: list[str]
    cycle: I64
    state: I64
    target: I64
    used: I64
    started: I64
    stopped: I64
    breached: I64
    deadline: I64
    wall: I64
    event: I64  # the row (of the columns) as of which the clock's ticket fields are taken
    paused: Mapping[str, I64]

    def __len__(self) -> int:
        return len(self.ticket)


@dataclass(frozen=True)
class BatchResult:
    """Clocks of a log: a table for the tickets the batch covered, replayed clocks for the rest."""

    table: ClockTable
    replayed: list[Clock]
    tickets: Sequence[str]
    objectives: Sequence[Objective]
    columns: EventColumns | None = None
    order: Ints | None = None
    replayed_for: frozenset[tuple[str, str]] = frozenset()  # (ticket, metric) replayed
    filled: dict[str, tuple[Ints, Sequence[str]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What questions on this result keep for the next (see :func:`open_tickets`)."""

    def clocks(self, fields: Mapping[str, Mapping[str, str]] | None = None) -> list[Clock]:
        """Every clock as a :class:`Clock` (batch rows carry no intervals). Each carries its
        ticket's fields as the replay's does (as of the event that stopped it, or the last one
        evaluated), or those given by ticket in ``fields``."""
        t = self.table
        found = list(self.replayed)
        found_fields = self._fields() if fields is None else None
        for i in range(len(t)):
            target = int(t.target[i])
            found.append(
                Clock(
                    ticket=self.tickets[t.ticket[i]],
                    objective=self.objectives[t.objective[i]].id,
                    metric=t.metric[i],
                    cycle=int(t.cycle[i]),
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
                    fields=found_fields[i]
                    if found_fields is not None
                    else dict((fields or {}).get(self.tickets[t.ticket[i]], {})),
                )
            )
        return found

    def _positions(self, columns: EventColumns) -> Ints:
        """Each batch clock's ``event`` row, as a position in the log's time order."""
        rows = self.table.event
        if self.order is None:
            return rows
        where = np.full(len(columns.at), -1, dtype=np.int64)
        where[self.order] = np.arange(len(self.order))
        found: Ints = where[rows]
        return found

    def field_of(self, name: str, rows: Ints) -> list[str | None]:
        """One ticket field of the given batch clocks (rows of the table), as ``clocks`` gives
        it in each clock's ``fields`` (None: not set)."""
        columns = self.columns
        if columns is None or name not in columns.fields:
            return [None] * len(rows)
        if name not in self.filled:  # each clock's value (kept: a report asks per objective)
            codes, vocabulary = _Log(columns, self.order, None, {}).filled(name)
            self.filled[name] = (codes[self._positions(columns)], vocabulary)
        codes, vocabulary = self.filled[name]
        picked = codes[rows].tolist()
        return [vocabulary[code] if code >= 0 else None for code in picked]

    def _fields(self) -> list[dict[str, str]]:
        """Each batch clock's ticket fields as of its ``event`` row."""
        found: list[dict[str, str]] = [{} for _ in range(len(self.table))]
        for name, (codes, vocabulary) in self.field_codes().items():
            for i, code in enumerate(codes.tolist()):
                if code >= 0:
                    found[i][name] = vocabulary[code]
        return found

    def field_codes(
        self, names: Sequence[str] | None = None
    ) -> dict[str, tuple[Ints, Sequence[str]]]:
        """Each batch clock's ticket field (of ``names``, default all) as of its ``event`` row,
        as codes into the field's vocabulary (-1: not set), without a Python object per clock;
        a name the log does not carry is absent."""
        columns = self.columns
        if columns is None:
            return {}
        log = _Log(columns, self.order, None, {})
        positions = self._positions(columns)
        found: dict[str, tuple[Ints, Sequence[str]]] = {}
        for name in columns.fields if names is None else names:
            if name in columns.fields:
                codes, vocabulary = log.filled(name)
                found[name] = (codes[positions], vocabulary)
        return found


def _maybe(ns: np.int64) -> datetime | None:
    return None if int(ns) == _NAT else _moment(int(ns))


def _beyond_fast_path(objective: Objective) -> bool:
    """Whether an objective's rules need more than one clock a ticket started at creation, in
    the objective's own calendar (the fast path's rules)."""
    rules = objective.clock or ClockRules.model_validate({})
    return (
        objective.metric not in BATCH_METRICS
        or rules.start != "created"
        or rules.reopen != "continue"
        or rules.priority_change != "carry_over"
        or rules.calendar_from is not None
        or objective.within is None
    )


def _fast(family: Sequence[Objective]) -> bool:
    """Whether a metric's objectives (of one agreement version) take the fast path."""
    return not any(_beyond_fast_path(o) for o in family) and len(set(map(rules_text, family))) < 2


Changes = Sequence[tuple[datetime, Sequence[Objective]]]


def _versions(objectives: Sequence[Objective], changes: Changes) -> list[Sequence[Objective]]:
    return [objectives, *(later for _, later in sorted(changes, key=lambda change: change[0]))]


def uncovered(objectives: Sequence[Objective], changes: Changes = ()) -> list[str]:
    """The rules of ticket objectives that the column engine does not compute itself, each
    naming its objective (empty: it covers them all); ``changes`` are later agreement versions,
    as :func:`accord.core.clocks.ticket_clocks` takes them."""
    versions = _versions(objectives, changes)
    return [
        reason
        for metric in METRICS
        if any(o.metric == metric for version in versions for o in version)
        for reason in MetricRules.of(metric, versions).unsupported()
    ]


def covers(objectives: Sequence[Objective], changes: Changes = ()) -> bool:
    """Whether the column engine computes the clocks of every ticket objective itself: each
    metric's objectives have a limit and share one set of clock rules. (Tickets not created
    first are replayed even then.)"""
    return not uncovered(objectives, changes)


METRICS = ("first_response", "next_response", "periodic_update", "resolution", "time_to_recover")


def sort_key(at: I64, kind: Ints) -> I64:
    """Time (to the microsecond, as ``datetime``) and creation first, in one integer key (what
    orders events at one instant further is their rank)."""
    key: I64 = (at // 1000) * 2 + (kind != KIND_ORDER["created"])
    return key


def arrange(
    ticket: Ints, at: I64, kind: Ints, rank: Ints | None = None
) -> tuple[Ints | None, bool]:
    """The rows in evaluation order, by ticket, then time (creation first) and ``rank`` (None:
    the rows are in that order already), and whether two rows of one ticket tie on time (and
    creation): their ranks order them, or they are the same event twice.

    Without ``rank``, such rows keep their order. Tickets in ascending runs (each ticket's
    events together, as exports write them) are checked block by block, and only the tickets
    with an event out of order are sorted (see :func:`moves`)."""
    rows, sources, tied = moves(ticket, at, kind, rank)
    if rows is None or sources is None:
        return None, tied
    n = len(at)
    order: Ints = np.arange(n, dtype=np.int32 if n < 2**31 - 1 else np.int64)
    order[rows] = sources
    return order, tied


_BLOCK = 1 << 20  # rows checked at a time, in buffers reused from block to block


def moves(
    ticket: Ints, at: I64, kind: Ints, rank: Ints | None = None
) -> tuple[Ints | None, Ints | None, bool]:
    """What :func:`arrange` does, as moves: the rows whose content changes and the rows they
    take it from (``values[rows] = values[sources]`` puts a column in order; None, None: in
    order already), and whether two rows of one ticket tie. Checking a log in order costs a few
    passes over small reused buffers, and no array as long as the log."""
    n = len(at)
    if n < 2:
        return None, None, False
    created = KIND_ORDER["created"]
    wrong: list[Ints] = []
    tied = False
    size = min(_BLOCK, n - 1)
    step = np.empty(size, dtype=np.int64)
    key = np.empty(size + 1, dtype=np.int64)
    key_step = np.empty(size, dtype=np.int64)
    same = np.empty(size, dtype=bool)
    flag = np.empty(size, dtype=bool)
    tie = np.empty(size, dtype=bool)
    for begin in range(0, n - 1, size):
        m = min(size, n - 1 - begin)  # pairs (i, i + 1) for i in [begin, begin + m)
        np.subtract(ticket[begin + 1 : begin + m + 1], ticket[begin : begin + m], out=step[:m])
        if bool((step[:m] < 0).any()):  # not in ascending runs of tickets: sort everything
            order = np.lexsort(
                (sort_key(at, kind),) if rank is None else (rank, sort_key(at, kind))
            )
            order = order[np.argsort(ticket[order], kind="stable")]
            return np.arange(n), order, _tied(ticket[order], sort_key(at[order], kind[order]))
        np.floor_divide(at[begin : begin + m + 1], 1000, out=key[: m + 1])
        key[: m + 1] *= 2
        key[: m + 1] += kind[begin : begin + m + 1] != created
        np.subtract(key[1 : m + 1], key[:m], out=key_step[:m])
        np.equal(step[:m], 0, out=same[:m])
        np.less(key_step[:m], 0, out=flag[:m])  # a pair out of time order
        flag[:m] &= same[:m]
        np.equal(key_step[:m], 0, out=tie[:m])
        tie[:m] &= same[:m]
        if bool(tie[:m].any()):
            tied = True
            if rank is not None:  # a tied pair out of rank order
                pairs = np.flatnonzero(tie[:m])
                flag[pairs] |= rank[pairs + begin + 1] < rank[pairs + begin]
        found = np.flatnonzero(flag[:m]) + begin
        if len(found):
            wrong.append(found)
    if not wrong:
        return None, None, tied
    # the rows of the tickets with a row out of order: tickets ascend, so a binary search finds
    # each one's rows
    late = ticket[np.concatenate(wrong) + 1]  # ascending: its distinct tickets without a sort
    unsorted = late[np.flatnonzero(np.diff(late, prepend=-1))]
    low = np.searchsorted(ticket, unsorted, side="left")
    rows = _ranges(low, np.searchsorted(ticket, unsorted, side="right") - low)
    row_keys = sort_key(at[rows], kind[rows])
    keys = (row_keys, ticket[rows]) if rank is None else (rank[rows], row_keys, ticket[rows])
    sources = rows[np.lexsort(keys)]
    return rows, sources, tied or _tied(ticket[sources], sort_key(at[sources], kind[sources]))


def _tied(ticket: Ints, key: I64) -> bool:
    return bool(((ticket[1:] == ticket[:-1]) & (key[1:] == key[:-1])).any())


def _order(columns: EventColumns, moment: int | None) -> Ints | None:
    """The rows to evaluate, in order (None: all, as they are): rows after ``moment`` left out,
    and of rows that are the same event (one ticket, instant and rank) the first only."""
    at, ticket, rank = columns.at, columns.ticket, columns.rank
    arranged = columns.arranged or arrange(ticket, at, columns.kind, rank)
    order, tied = arranged
    if tied:
        rows = np.arange(len(at)) if order is None else order
        t, k, r = ticket[rows], sort_key(at[rows], columns.kind[rows]), rank[rows]
        again = (t[1:] == t[:-1]) & (k[1:] == k[:-1]) & (r[1:] == r[:-1])
        if bool(again.any()):
            order = rows[np.concatenate(([True], ~again))]
    keep = at <= moment if moment is not None else np.ones(len(at), dtype=bool)
    if not bool(keep.all()):
        order = np.flatnonzero(keep) if order is None else order[keep[order]]
    return order


class _Log:
    """The events to evaluate, in order, with what every metric shares: ticket boundaries,
    forward-filled fields and, per calendar, the business time of the span each event opens (to
    the next event of its ticket, or ``as_of``). ``subset`` keeps whole tickets."""

    def __init__(
        self,
        columns: EventColumns,
        rows: Ints | slice | None,
        as_of: datetime | None,
        calendars: Mapping[str, BusinessCalendar],
        parent: _Log | None = None,
        within_parent: Ints | None = None,
    ) -> None:
        self.columns, self.rows, self.as_of, self.calendars = columns, rows, as_of, calendars
        self.parent, self.within_parent = parent, within_parent
        self.ticket = self.take(columns.ticket)
        self.at = self.take(columns.at)
        self.kind = self.take(columns.kind)
        n = self.n = len(self.at)
        self.positions: Ints = np.arange(n, dtype=np.int32 if n < 2**31 - 1 else np.int64)
        first = np.empty(n, dtype=bool)
        if n:
            first[0] = True
            np.not_equal(self.ticket[1:], self.ticket[:-1], out=first[1:])
        self.first = first
        self.starts = np.flatnonzero(first)
        self.lasts = np.append(self.starts[1:] - 1, n - 1) if n else self.starts
        self.lengths = self.lasts - self.starts + 1
        self._filled: dict[str, tuple[Ints, Sequence[str]]] = {}
        self._business: dict[str, I64] = {}
        self._matched: dict[object, Ints] = {}
        self._group: Ints | None = None

    def take(self, column: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return column if self.rows is None else column[self.rows]

    def subset(self, rows: Ints) -> _Log:
        """These rows (whole tickets) as a log of their own."""
        return _Log(self.columns, self.column_rows(rows), self.as_of, self.calendars, self, rows)

    def column_rows(self, rows: Ints) -> Ints:
        """The rows of the columns that these rows of the log are."""
        if self.rows is None:
            return rows
        if isinstance(self.rows, slice):
            return rows + (self.rows.start or 0)
        found: Ints = self.rows[rows]
        return found

    def group(self) -> Ints:
        """Each event's ticket as the number of its run (0, 1, ...)."""
        if self._group is None:
            self._group = np.cumsum(self.first, dtype=self.positions.dtype) - 1
        return self._group

    def stopping(self, rules: ClockRules, metric: str) -> tuple[frozenset[str], Flags]:
        """The kinds of event that stop a ``metric`` clock under ``rules`` (``stop_on``, else the
        metric's default), and the events that stop it by their statuses or kinds; an agent's
        reply (``agent_reply``) is left to the caller."""
        stops = frozenset(rules.stop_on) or DEFAULT_STOPS[metric]
        stop = self.matches(rules.stop)
        by_kind = np.zeros(len(KIND_ORDER), dtype=bool)
        by_kind[[KIND_ORDER[name] for name in stops if name != "agent_reply"]] = True
        if by_kind.any():
            stop = stop | by_kind[self.kind]
        return stops, stop

    def agent_reply(self) -> Flags:
        return self.take(self.columns.agent_reply)

    def filled(self, name: str) -> tuple[Ints, Sequence[str]]:
        """A field's code at each event: the latest value set at or before it in its ticket."""
        if name not in self._filled:
            if self.parent is not None and self.within_parent is not None:
                codes, vocabulary = self.parent.filled(name)
                self._filled[name] = (codes[self.within_parent], vocabulary)
            elif name not in self.columns.fields:
                self._filled[name] = (np.full(self.n, -1, dtype=np.int32), [])
            else:
                codes, vocabulary = self.columns.fields[name]
                codes = self.take(codes)
                # the latest row that sets the field, or the ticket's first row (which may not)
                marked = codes >= 0
                marked |= self.first
                latest = np.maximum.accumulate(self.positions * marked)
                self._filled[name] = (codes[latest], vocabulary)
        return self._filled[name]

    def first_match(
        self, conditions: Sequence[Mapping[str, Sequence[str]]], *, empty_matches: bool
    ) -> Ints:
        """For each event, the index of the first condition its fields meet (-1: none). An empty
        condition is met by every event or by none, as ``empty_matches`` says. (Kept for the
        metrics asking again: not to be changed in place.)"""
        key = (tuple(tuple(sorted(c.items())) for c in conditions), empty_matches)
        if key not in self._matched:
            parent = self.parent
            if parent is not None and self.within_parent is not None and key in parent._matched:
                self._matched[key] = parent._matched[key][self.within_parent]
            else:
                self._matched[key] = self._first_match(conditions, empty_matches)
        return self._matched[key]

    def in_scope(self, rules: MetricRules) -> _Log:
        """The tickets of this log that some event puts in the scope of one of the metric's
        objectives (under any agreement version), as a log of their own when they are clearly
        fewer: a ticket never in scope has no clock of the metric."""
        inside: Flags | None = None
        for codes, _ in rules.versions:
            if codes:
                scopes = [rules.objectives[c].scope for c in codes]
                found = self.first_match(scopes, empty_matches=True) >= 0
                inside = found if inside is None else inside | found
        if inside is None or not self.n:
            return self
        kept = np.flatnonzero(np.logical_or.reduceat(inside, self.starts))
        if len(kept) == len(self.starts):
            return self
        rows = _ranges(self.starts[kept], self.lengths[kept])
        return self if len(rows) * 5 > self.n * 4 else self.subset(rows)

    def _first_match(
        self, conditions: Sequence[Mapping[str, Sequence[str]]], empty_matches: bool
    ) -> Ints:
        names = {name for condition in conditions for name in condition}
        if len(names) > 1:
            joint = self._joint_match(conditions, empty_matches, sorted(names))
            if joint is not None:
                return joint
        if len(names) > 1:  # conditions on several fields, too many values: one mask each
            found: Ints = np.full(self.n, -1, dtype=np.int32)
            for index in range(len(conditions) - 1, -1, -1):
                condition = conditions[index]
                met = self.matches(condition) if condition else np.full(self.n, empty_matches)
                found = np.where(met, index, found)
            return found
        # one field (or none): a table from the field's code to the answer
        name = next(iter(names), None)
        codes, vocabulary = self.filled(name) if name is not None else (None, [])
        table = np.full(len(vocabulary) + 1, -1, dtype=np.int32)  # the last entry answers -1
        for index in range(len(conditions) - 1, -1, -1):
            condition = conditions[index]
            if not condition:
                if empty_matches:
                    table[:] = index
                continue
            assert name is not None
            wanted = set(condition[name])
            table[[i for i, v in enumerate(vocabulary) if v in wanted]] = index
        if codes is None:
            return np.full(self.n, table[-1], dtype=np.int32)
        return table[codes]

    def _joint_match(
        self,
        conditions: Sequence[Mapping[str, Sequence[str]]],
        empty_matches: bool,
        names: Sequence[str],
    ) -> Ints | None:
        """:meth:`_first_match` of conditions on several fields in one table lookup: the
        fields' codes combined into one code (each value, or unset, of each field), and the
        answer for every combination worked out on the table; None when the combinations are
        too many for a table (then a mask per condition)."""
        filled = [self.filled(name) for name in names]
        sizes = [len(vocabulary) + 1 for _, vocabulary in filled]  # 0: unset, i + 1: value i
        if int(np.prod(sizes, dtype=np.float64)) > _JOINT_TABLE:
            return None
        table = np.full(sizes, -1, dtype=np.int32)
        for index in range(len(conditions) - 1, -1, -1):
            condition = conditions[index]
            if not condition:
                if empty_matches:
                    table[...] = index
                continue
            met = np.ones(sizes, dtype=bool)
            for axis, (name, (_, vocabulary)) in enumerate(zip(names, filled, strict=True)):
                if name not in condition:
                    continue
                wanted = set(condition[name])
                allowed = np.array([False] + [v in wanted for v in vocabulary], dtype=bool)
                shape = [1] * len(names)
                shape[axis] = sizes[axis]
                met &= allowed.reshape(shape)
            table[met] = index
        joint = np.add(filled[0][0], 1, dtype=np.int32)  # a new array: codes stay as they are
        for (codes, _), size in zip(filled[1:], sizes[1:], strict=True):
            joint *= size
            joint += codes
            joint += 1
        found: Ints = table.reshape(-1)[joint]
        return found

    def matches(self, condition: Mapping[str, Sequence[str]]) -> Flags:
        """Whether each event's fields meet every part of a condition (an empty one: never)."""
        result: Flags | None = None
        for name, values in condition.items():
            codes, vocabulary = self.filled(name)
            table = np.zeros(len(vocabulary) + 1, dtype=bool)  # the last entry answers -1
            wanted = set(values)
            table[[i for i, v in enumerate(vocabulary) if v in wanted]] = True
            result = table[codes] if result is None else result & table[codes]
        return result if result is not None else np.zeros(self.n, dtype=bool)

    def business(self, name: str) -> I64:
        """The business time of every event's span in one calendar."""
        if name not in self._business:
            if self.parent is not None and self.within_parent is not None:
                self._business[name] = self.parent.business(name)[self.within_parent]
            else:
                calendar = self.calendars[name]
                # from as_of (or any instant) to each event: a span is the difference of its ends
                origin = self.as_of or _moment(int(self.at[0]) if self.n else 0)
                if calendar.spec.always_open:  # business time is real time
                    since_ns = self.at - to_nanos(origin)
                else:
                    since = calendar.elapsed_since_many(origin, self.at.view("datetime64[ns]"))
                    since_ns = since.view(np.int64)
                business = np.empty(self.n, dtype=np.int64)
                if self.n:
                    np.subtract(since_ns[1:], since_ns[:-1], out=business[:-1])
                    # the last event's span ends at as_of (without one: at the last event)
                    business[self.lasts] = -since_ns[self.lasts] if self.as_of else 0
                self._business[name] = business
        return self._business[name]


def evaluate(
    columns: EventColumns,
    objectives: Sequence[Objective],
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime | None,
    *,
    workers: int = 1,
    changes: Changes = (),
    require: bool = True,
) -> BatchResult:
    """Every clock of every ticket in the log as of ``as_of`` (None: as of each ticket's last
    event, as :func:`accord.core.clocks.ticket_clocks` by default). ``changes`` are later
    agreement versions, each in force from its instant (as ``ticket_clocks`` takes them). With
    ``workers`` above one, chunks of the log are evaluated on that many threads (the same
    result). The fields the clock rules read must be carried by some event (see
    :func:`accord.core.clocks.require_fields`).

    A metric whose rules allow it takes the fast path (one clock a ticket); the other metrics,
    and the fast path's tickets that leave every objective's scope, the cycle table
    (:func:`accord.core.clock_cycles.cycle_clocks`); tickets not created first, and rules the
    engine does not cover (:func:`uncovered`), the replay.
    """
    versions = _versions(objectives, changes)
    if len(columns.at) and require:
        every = [o for version in versions for o in version]
        needed = rule_fields(every)
        require_fields(
            every,
            {n for n in columns.fields if n not in needed or len(columns.fields[n][1])},
        )
    moment = to_nanos(as_of) if as_of is not None else None
    order = _order(columns, moment)
    real_rows = len(columns.at)
    switches = sorted(changes, key=lambda change: change[0])
    version_of: Ints | None = None
    virtual_column: Flags | None = None
    if switches:  # a row of its own where each version takes over, in each ticket it changes
        columns, order, version_of = _switched(
            columns, order, moment, [to_nanos(at) for at, _ in switches]
        )
        virtual_column = np.arange(len(columns.at)) >= real_rows
    n = len(columns.at) if order is None else len(order)
    ticket = columns.ticket if order is None else columns.ticket[order]
    starts = np.flatnonzero(ticket[1:] != ticket[:-1]) + 1 if n else np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], starts)) if n else starts
    tickets = len(starts)
    del ticket
    created = KIND_ORDER["created"]
    every_objective = list(objectives)
    for version in versions[1:]:
        every_objective += [o for o in version if not any(o == e for e in every_objective)]
    families = {
        metric: MetricRules.of(metric, versions)
        for metric in METRICS
        if any(o.metric == metric for version in versions for o in version)
    }
    replayed_metrics = [m for m, rules in families.items() if rules.unsupported()]
    fast = [
        (m, [o for o in objectives if o.metric == m])
        for m, rules in families.items()
        if not switches and m not in replayed_metrics and _fast(rules.objectives)
    ]
    in_cycles = [
        rules for m, rules in families.items() if m not in replayed_metrics and m not in dict(fast)
    ]
    replay_rows: dict[str, list[Ints]] = {m: [] for m in families}
    for metric in replayed_metrics:
        replay_rows[metric].append(np.arange(n))
    global_index = {
        metric: np.array(
            [next(j for j, o in enumerate(every_objective) if o == d) for d in rules.objectives],
            dtype=np.int64,
        )
        for metric, rules in families.items()
    }
    # the business time paused, by the reasons some pause rule gives (the others are zero)
    reasons = [
        name
        for name in PAUSE_REASONS
        if any(
            rule.reason == name
            for o in every_objective
            for rule in (o.clock.pause if o.clock else ())
        )
    ]
    # chunks of whole tickets, about a million events each: the working arrays stay in cache
    # and the memory of a chunk is reused by the next
    cuts = distinct_codes(np.searchsorted(starts, np.arange(0, n, _CHUNK)))
    cuts = cuts[cuts < tickets].tolist()
    chunks = [
        (int(starts[c]), int(starts[d]) if d < tickets else n, c)
        for c, d in zip(cuts, [*cuts[1:], tickets][: len(cuts)], strict=True)
    ]

    def moments_of(view: _Log) -> I64:
        if moment is None:
            found: I64 = view.at[view.lasts]
            return found
        return np.full(len(view.starts), moment, dtype=np.int64)

    def in_cycles_of(view: _Log, rules: MetricRules) -> _Table:
        version = virtual = None
        if version_of is not None and virtual_column is not None:
            version, virtual = view.take(version_of), view.take(virtual_column)
        found = cycle_clocks(view, rules, calendars, moments_of(view), version, virtual)
        found["objective"] = global_index[rules.metric][found["objective"]]
        return rules.metric, found

    def chunk_clocks(chunk: tuple[int, int, int]) -> tuple[Ints, list[_Columns], list[_Table]]:
        """The clocks of a chunk's tickets: the rows of its tickets not created first (to
        replay); for each metric of the fast path, its clocks (one row a ticket it takes); the
        cycle table's clocks."""
        begin, end, _ = chunk
        rows = slice(begin, end) if order is None else order[begin:end]
        log = _Log(columns, rows, as_of, calendars)
        odd_rows, clean = log.positions[:0], log
        odd = log.kind[log.starts] != created
        if bool(odd.any()):
            odd_row = np.repeat(odd, log.lengths)
            odd_rows = np.flatnonzero(odd_row)
            clean = log.subset(np.flatnonzero(~odd_row))
        shared: dict[object, tuple[_Log, Ints, I64, Ints]] = {}
        written: list[_Columns] = []
        tables = []
        for metric, family in fast:
            # families scoped and calendared alike (e.g. response and resolution by priority)
            # share each event's objective and the business time of its span
            layout = tuple((tuple(sorted(o.scope.items())), o.calendar) for o in family)
            if layout not in shared:
                shared[layout] = _objectives_and_business(clean, family)
            view, objective_of, business, out_of_scope = shared[layout]
            count = len(view.starts)
            if len(out_of_scope):  # tickets leaving every scope: their cycles end and begin
                tables.append(in_cycles_of(clean.subset(out_of_scope), families[metric]))
            # this chunk's rows of the metric (small: they stay in cache and reuse memory);
            # the table is put together once, at the end
            out = {name: np.empty(count, dtype=np.int64) for name in TABLE_COLUMNS}
            out.update({f"paused:{name}": np.zeros(count, dtype=np.int64) for name in reasons})
            if count:
                _clocks(
                    view, family, metric, objective_of, business, calendars, moments_of(view), out
                )
                out["objective"][:] = global_index[metric][out["objective"]]
            out["cycle"][:] = 1
            written.append(out)
        if clean.n:
            tables.extend(in_cycles_of(clean.in_scope(rules), rules) for rules in in_cycles)
        return odd_rows + begin, written, tables

    if workers > 1 and len(chunks) > 1:  # numpy lets go of the GIL in its array loops
        # the fields the rules read, decoded once here rather than by every thread
        for name in rule_fields([o for version in versions for o in version]):
            if name in columns.fields:
                columns.fields[name]
        with ThreadPoolExecutor(min(workers, len(chunks))) as pool:
            results = list(pool.map(chunk_clocks, chunks))
    else:
        results = [chunk_clocks(chunk) for chunk in chunks]
    used: list[list[_Columns]] = [[] for _ in fast]
    pieces: list[_Table] = []
    for odd_rows, outs, tables in results:
        for k, out in enumerate(outs):
            used[k].append(out)
        if len(odd_rows):
            for metric in families:
                if metric not in replayed_metrics:
                    replay_rows[metric].append(odd_rows)
        pieces.extend(tables)
    # the table in one piece: the fast path's clocks metric by metric (chunk after chunk),
    # then the cycle table's; each column made once, in memory of its own
    parts: list[_Columns] = [out for outs in used for out in outs]
    parts.extend(table for _, table in pieces)
    metrics: list[str] = []
    for (metric, _), outs in zip(fast, used, strict=True):
        metrics.extend([metric] * sum(len(out["ticket"]) for out in outs))
    for metric, table in pieces:
        metrics.extend([metric] * len(table["ticket"]))
    columns_out = {name: _joined([part[name] for part in parts]) for name in TABLE_COLUMNS}
    paused = {
        name: _joined(
            [
                part.get(f"paused:{name}", np.zeros(len(part["ticket"]), dtype=np.int64))
                for part in parts
            ]
        )
        for name in reasons
    }
    clock_table = ClockTable(**columns_out, metric=metrics, paused=paused)
    replayed: list[Clock] = []
    replayed_for: set[tuple[str, str]] = set()
    for metric, replay_parts in replay_rows.items():
        if not replay_parts:
            continue
        family_rows = np.concatenate(replay_parts)
        rows = family_rows if order is None else order[family_rows]
        rows = rows[rows < real_rows]  # not the rows where a version takes over
        family = [o for o in objectives if o.metric == metric]
        later = [(at, [o for o in version if o.metric == metric]) for at, version in switches]
        by_ticket: dict[str, list[TicketEvent]] = {}
        for event in columns.events_of(rows):
            by_ticket.setdefault(event.ticket, []).append(event)
        for name, history in by_ticket.items():
            replayed.extend(ticket_clocks(history, family, calendars, as_of, later))
            replayed_for.add((name, metric))
    return BatchResult(
        clock_table,
        replayed,
        columns.tickets,
        every_objective,
        columns,
        order,
        frozenset(replayed_for),
    )


_Columns = dict[str, npt.NDArray[Any]]  # clocks as columns (TABLE_COLUMNS, "paused:" a reason)
_Table = tuple[str, _Columns]  # a metric's clocks from the cycle table


def _joined(parts: Sequence[npt.NDArray[Any]]) -> I64:
    """Columns of int64 one after the other, in one new array (an empty one without parts)."""
    if not parts:
        return np.zeros(0, dtype=np.int64)
    found: I64 = np.concatenate(parts).astype(np.int64, copy=False)
    return found


def _switched(
    columns: EventColumns, order: Ints | None, moment: int | None, switches: Sequence[int]
) -> tuple[EventColumns, Ints, Ints]:
    """The log with a row where each agreement version takes over, in each ticket that has an
    event before that instant and is judged at or after it: appended to the columns (an update
    that sets no field) and placed in the order before the ticket's events at or after it; and
    the version in force at each row of the columns."""
    n = len(columns.at)
    rows = np.arange(n) if order is None else order
    ticket, at = columns.ticket[rows], columns.at[rows] // 1000  # a datetime's instants: us
    starts = np.flatnonzero(np.diff(ticket, prepend=-1)) if len(rows) else rows[:0]
    lasts = np.append(starts[1:], len(rows)) - 1
    end = at[lasts] if moment is None else np.full(len(starts), moment // 1000)
    places, owners, instants, versions = [], [], [], []
    for k, instant in enumerate(switches):
        earlier = np.add.reduceat(at < instant // 1000, starts) if len(starts) else starts
        these = np.flatnonzero((earlier > 0) & (instant // 1000 <= end))
        places.append(starts[these] + earlier[these])
        owners.append(ticket[starts[these]])
        instants.append(np.full(len(these), instant, dtype=np.int64))
        versions.append(np.full(len(these), k + 1, dtype=np.int64))
    extra = sum(len(p) for p in places)
    version_of = np.concatenate(
        [np.searchsorted(np.array(switches) // 1000, columns.at // 1000, side="right"), *versions]
    )
    order = np.insert(rows, np.concatenate(places).astype(np.int64), np.arange(n, n + extra))
    none = np.zeros(extra, dtype=bool)
    widened = EventColumns(
        tickets=columns.tickets,
        ticket=np.concatenate([columns.ticket, *owners]),
        at=np.concatenate([columns.at, *instants]),
        kind=np.concatenate([columns.kind, np.full(extra, KIND_ORDER["updated"])]),
        rank=np.concatenate([columns.rank, np.zeros(extra, dtype=columns.rank.dtype)]),
        agent_reply=np.concatenate([columns.agent_reply, none]),
        customer_message=np.concatenate([columns.customer_message, none]),
        fields=_Derived(columns.fields, partial(_unset_after, extra)),
    )
    return widened, order, version_of


def open_tickets(
    columns: EventColumns,
    table: ClockTable,
    instant: int,
    moment: int,
    memo: dict[str, Any] | None = None,
) -> Flags:
    """For each ticket (by code), whether it may have a clock open (not stopped) as of
    ``instant`` (in nanoseconds), judged from ``table``, the clocks :func:`evaluate` gives the
    columns as of ``moment``: a ticket without an event at or before ``instant`` has no clock
    then; one whose every clock as of ``moment`` had stopped by ``instant`` had them stopped
    then too (a clock stops at an event, and the stop in force began after the last event that
    left it open; events after ``instant`` cannot undo a stop before it); one without a clock
    as of ``moment`` had none at ``instant`` either (a clock begins at an event, and once begun
    stays in the table, if only as cancelled, e.g. a ticket out of every scope); both unless
    ``instant`` is after ``moment`` and the ticket has events in between. Any other ticket may
    be open.

    ``memo`` (a dict kept with the table, e.g. :attr:`BatchResult.memo`) keeps what does not
    depend on ``instant`` (each ticket's first and last instants, its latest stop) for the
    next instant asked about on the same columns and table: the months of a trend."""
    spans = _ticket_spans(columns, table, memo)
    first_at, last_at, settled_by = spans["first"], spans["last"], spans["settled"]
    settled = settled_by <= instant  # every clock stopped by then, or no clock at all
    if instant > moment:
        settled &= last_at <= moment
    found: Flags = (first_at <= instant) & ~settled
    return found


def open_rows(
    columns: EventColumns,
    table: ClockTable,
    instant: int,
    moment: int,
    memo: dict[str, Any] | None = None,
) -> Ints:
    """The rows (ascending) of the tickets :func:`open_tickets` keeps."""
    kept = open_tickets(columns, table, instant, moment, memo)
    spans = _ticket_spans(columns, table, memo)
    starts = spans["starts"]
    if starts is None:
        return np.flatnonzero(kept[columns.ticket])
    # each ticket's rows together, tickets ascending: the kept tickets' runs
    owners = columns.ticket[starts] if len(starts) else starts
    chosen = np.flatnonzero(kept[owners])
    ends = np.append(starts[1:], len(columns.at))
    return _ranges(starts[chosen], (ends - starts)[chosen])


def _ticket_spans(
    columns: EventColumns, table: ClockTable, memo: dict[str, Any] | None
) -> dict[str, Any]:
    """Each ticket's first and last instants, the instant by which its every clock in
    ``table`` had stopped (int64 max: some clock open; int64 min: no clock at all), the first
    rows of the tickets' runs when the columns are in evaluation order (else None)."""
    if memo is not None and memo.get("spans") is not None and memo["spans"][0] is columns:
        found: dict[str, Any] = memo["spans"][1]
        return found
    count = len(columns.tickets)
    top, bottom = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    first_at = np.full(count, top, dtype=np.int64)
    last_at = np.full(count, bottom, dtype=np.int64)
    in_order = columns.arranged is not None and columns.arranged[0] is None
    starts = None
    if in_order and len(columns.at):  # each ticket's rows together, its earliest first
        starts = np.flatnonzero(np.diff(columns.ticket, prepend=-1) != 0)
        first_at[columns.ticket[starts]] = columns.at[starts]
        lasts = np.append(starts[1:], len(columns.at)) - 1
        last_at[columns.ticket[lasts]] = columns.at[lasts]
    elif len(columns.at):
        np.minimum.at(first_at, columns.ticket, columns.at)
        np.maximum.at(last_at, columns.ticket, columns.at)
    settled_by = np.full(count, bottom, dtype=np.int64)
    stopped = np.where(table.stopped == _NAT, top, table.stopped)
    np.maximum.at(settled_by, table.ticket, stopped)
    found = {"first": first_at, "last": last_at, "settled": settled_by, "starts": starts}
    if memo is not None:
        memo["spans"] = (columns, found)
    return found


class _Fields(Mapping[str, tuple[Ints, Sequence[str]]]):
    """Fields of events by name (``names``, in order), each its codes and vocabulary."""

    names: list[str]

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


class _Decoded(_Fields):
    """The fields of events (their mappings, row by row) as codes into each field's sorted
    vocabulary (-1: not set there), each field decoded when first asked for: evaluating clocks
    reads the few fields the rules name. ``order``: row ``i`` of the columns is mapping
    ``order[i]`` (None: mapping ``i``), so that the mappings need not be put in order one by
    one: a field's codes are, once decoded."""

    def __init__(self, rows: list[Mapping[str, str]], order: Ints | None = None) -> None:
        self.n = len(rows)
        self.order = order
        setting = np.fromiter(map(bool, rows), dtype=bool, count=self.n)
        self.setting = np.flatnonzero(setting)  # the mappings that set some field
        self.rows = list(compress(rows, setting.tolist()))
        self.names = sorted(set(chain.from_iterable(self.rows)))
        self.found: dict[str, tuple[Ints, Sequence[str]]] = {}

    def given(self, row: int) -> dict[str, str]:
        """The fields of one row as given (what the codes of every field there say, without
        decoding a field over all rows)."""
        source = row if self.order is None else int(self.order[row])
        at = int(np.searchsorted(self.setting, source))
        if at < len(self.setting) and int(self.setting[at]) == source:
            return dict(self.rows[at])
        return {}

    def __getitem__(self, name: str) -> tuple[Ints, Sequence[str]]:
        if name not in self.found:
            if name not in self.names:
                raise KeyError(name)
            try:  # dict.get called by map: no Python statement a row (most rows are dicts)
                values: list[object] = list(
                    map(dict.get, self.rows, repeat(name), repeat(_UNSET))  # type: ignore[arg-type]
                )
            except TypeError:  # a mapping other than a dict
                values = [row.get(name, _UNSET) for row in self.rows]
            vocabulary: list[str] = sorted({*values} - {_UNSET})  # type: ignore[arg-type]
            index: dict[object, int] = {v: i for i, v in enumerate(vocabulary)}
            index[_UNSET] = -1
            codes = np.full(self.n, -1, dtype=np.int64)
            codes[self.setting] = np.fromiter(
                map(index.__getitem__, values), np.int64, count=len(values)
            )
            self.found[name] = (codes if self.order is None else codes[self.order], vocabulary)
        return self.found[name]


_UNSET = object()


class _Derived(Mapping[str, tuple[Ints, Sequence[str]]]):
    """Fields of other columns, each field's codes changed by ``change`` (rows taken, rows
    appended) when first asked for; the vocabularies stay."""

    def __init__(
        self, fields: Mapping[str, tuple[Ints, Sequence[str]]], change: Callable[[Ints], Ints]
    ) -> None:
        self.fields, self.change = fields, change
        self.found: dict[str, tuple[Ints, Sequence[str]]] = {}

    def __getitem__(self, name: str) -> tuple[Ints, Sequence[str]]:
        if name not in self.found:
            codes, vocabulary = self.fields[name]
            self.found[name] = (self.change(codes), vocabulary)
        return self.found[name]

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)


class _Merged(_Fields):
    """The fields of rows of several columns put together (:meth:`EventColumns.replaced`):
    each field's codes into the vocabulary of the values set, in the rows' new ``order``,
    merged when first asked for."""

    def __init__(self, parts: list[tuple[EventColumns, Ints]], order: Ints) -> None:
        self.parts, self.order = parts, order
        self.names = sorted({name for part, _ in parts for name in part.fields})
        self.found: dict[str, tuple[Ints, Sequence[str]]] = {}

    def __getitem__(self, name: str) -> tuple[Ints, Sequence[str]]:
        if name not in self.found:
            if name not in self.names:
                raise KeyError(name)
            taken: list[tuple[Ints, Sequence[str]]] = []
            for part, rows in self.parts:
                if name in part.fields:
                    codes, vocabulary = part.fields[name]
                    taken.append((codes[rows], vocabulary))
                else:
                    taken.append((np.full(len(rows), -1, dtype=np.int64), ()))
            values = sorted(
                {
                    vocabulary[c]
                    for codes, vocabulary in taken
                    for c in distinct_codes(codes[codes >= 0]).tolist()
                }
            )
            index = {value: i for i, value in enumerate(values)}
            pieces = []
            for codes, vocabulary in taken:
                # each old code's new one, -1 (not set) at the end of the table
                table = np.array([*(index.get(v, -1) for v in vocabulary), -1], dtype=np.int64)
                pieces.append(table[codes])
            self.found[name] = (np.concatenate(pieces)[self.order], values)
        return self.found[name]


def _taken(rows: Ints, codes: Ints) -> Ints:
    """The codes of ``rows`` only."""
    return codes[rows]


def _unset_after(extra: int, codes: Ints) -> Ints:
    """The codes with ``extra`` rows that set nothing appended."""
    return np.concatenate([codes, np.full(extra, -1, dtype=codes.dtype)])


def _objectives_and_business(
    log: _Log, family: Sequence[Objective]
) -> tuple[_Log, Ints, I64, Ints]:
    """The tickets the fast path takes for a family (in some objective's scope at every event)
    as a log, each event's objective and the business time of its span in that objective's
    calendar; and the rows of the other tickets."""
    objective_of = log.first_match([o.scope for o in family], empty_matches=True)
    bad = objective_of < 0
    view, bad_rows = log, log.positions[:0]
    if bool(bad.any()):
        bad_row = np.repeat(np.logical_or.reduceat(bad, log.starts), log.lengths)
        bad_rows = np.flatnonzero(bad_row)
        covered = np.flatnonzero(~bad_row)
        view = log.subset(covered)
        objective_of = objective_of[covered]
    names = [o.calendar for o in family]
    distinct = sorted(set(names))
    business = view.business(distinct[-1])
    if len(distinct) > 1:
        calendar_of = np.array([distinct.index(c) for c in names], dtype=np.int8)[objective_of]
        for index in range(len(distinct) - 2, -1, -1):
            business = np.where(calendar_of == index, view.business(distinct[index]), business)
    return view, objective_of, business, bad_rows


_CHUNK = 1 << 20  # events
_JOINT_TABLE = 1 << 16  # the most combinations of field values looked up in one table


def _ranges(begins: Ints, lengths: Ints) -> Ints:
    """The rows of the given runs (their first rows and lengths), run after run."""
    offsets: Ints = begins - (np.cumsum(lengths) - lengths)
    rows: Ints = np.arange(int(lengths.sum())) + np.repeat(offsets, lengths)
    return rows


def _clocks(
    log: _Log,
    family: Sequence[Objective],
    metric: str,
    objective_of: Ints,
    business: I64,
    calendars: Mapping[str, BusinessCalendar],
    moments: I64,
    out: Mapping[str, I64],
) -> None:
    """The clocks of one metric on a log whose every ticket the batch covers, one row a ticket,
    written into ``out`` (the table's columns, and "paused:" and a reason, zero on entry).
    ``business`` is each event's span in the calendar of its objective; ``moments`` the instant
    each ticket is evaluated at."""
    rules = family[0].clock or ClockRules.model_validate({})
    n, starts, lasts, at = log.n, log.starts, log.lasts, log.at
    positions = log.positions
    stopped, reason, paused_row, pausing, running = _states(log, rules, metric)
    open_ = ~stopped
    names = [o.calendar for o in family]
    run_business = business * running
    used = np.add.reduceat(run_business, starts)
    tickets = len(starts)
    regime = _regimes(log, objective_of, open_)
    regime_starts, regime_ticket, regime_objective = regime
    regimes = len(regime_starts)
    regime_ends = np.append(regime_starts[1:], n)
    opened = at[starts]
    regime_target = _targets(family, calendars, regime_objective, opened[regime_ticket])
    if regimes == tickets:
        used_at_start = np.zeros(regimes, dtype=np.int64)
        lowest_target = regime_target
        first_regime = np.arange(tickets)
    else:  # business time used in the ticket before each regime
        regime_used = np.add.reduceat(run_business, regime_starts)
        total = np.cumsum(regime_used)
        first_regime = np.flatnonzero(np.diff(regime_ticket, prepend=-1))
        before_ticket = (total - regime_used)[first_regime]
        used_at_start = total - regime_used - before_ticket[regime_ticket]
        lowest_target = np.minimum.reduceat(regime_target, first_regime)
    counts = np.diff(np.append(first_regime, regimes))
    # the breach of each regime: the first event whose running span takes the business time
    # used in the ticket past the regime's target (a regime already over it at its start is
    # judged below, not here); only a ticket that used more than its lowest target has one
    cross_at = np.full(regimes, _NAT, dtype=np.int64)
    candidates = np.flatnonzero(used > lowest_target)
    if len(candidates):
        lengths = log.lengths[candidates]
        rows = _ranges(starts[candidates], lengths)
        spans = run_business[rows]
        running_total = np.cumsum(spans)
        begins = np.cumsum(lengths) - lengths
        used_after = running_total - np.repeat(running_total[begins] - spans[begins], lengths)
        if regimes == tickets:
            regime_of = np.repeat(candidates, lengths)
        else:
            regime_of = np.searchsorted(regime_starts, rows, side="right") - 1
        over = np.flatnonzero(used_after > regime_target[regime_of])
        if len(over):
            over_rows = rows[over]
            # the regimes of the candidate tickets
            if regimes == tickets:
                judged = candidates
            else:
                judged = _ranges(first_regime[candidates], counts[candidates])
            found = np.searchsorted(over_rows, regime_starts[judged])
            pick = np.minimum(found, len(over) - 1)
            k = over_rows[pick]
            crossing = (found < len(over)) & (k < regime_ends[judged])
            crossing &= used_at_start[judged] <= regime_target[judged]
            for calendar_name in set(names):
                here = crossing & _member(
                    regime_objective[judged],
                    [i for i, c in enumerate(names) if c == calendar_name],
                )
                if here.any():
                    k_here = k[here]
                    used_before = used_after[over[pick[here]]] - run_business[k_here]
                    regimes_here = judged[here]
                    left = regime_target[regimes_here] - used_before
                    cross_at[regimes_here] = (
                        calendars[calendar_name]
                        .add_many(at[k_here].view("datetime64[ns]"), left.view("timedelta64[ns]"))
                        .view(np.int64)
                    )
    if regimes == tickets:
        breached = cross_at
        final_regime = np.arange(tickets)
    else:
        # regime by regime: a change of target re-judges the breach (over the new target:
        # breached at the change, or earlier if already; under it: not breached yet)
        regime_rank = np.arange(regimes) - first_regime[regime_ticket]
        breached = cross_at[regime_rank == 0]
        for rank in range(1, int(regime_rank.max(initial=0)) + 1):
            these = np.flatnonzero(regime_rank == rank)
            owners = regime_ticket[these]
            over_now = used_at_start[these] > regime_target[these]
            kept = np.where(breached[owners] != _NAT, breached[owners], at[regime_starts[these]])
            breached[owners] = np.where(over_now, kept, cross_at[these])
        final_regime = np.append(np.flatnonzero(np.diff(regime_ticket)), regimes - 1)
    has_cross = breached != _NAT
    target = regime_target[final_regime]
    obj = regime_objective[final_regime]
    final_stopped = stopped[lasts]
    stopped_at = np.full(tickets, _NAT, dtype=np.int64)
    run_row = lasts
    if bool(final_stopped.any()):
        # the stop in force began after the ticket's last event with the clock not stopped
        after_open = np.maximum.reduceat((positions + 1) * open_, starts)
        run_row = np.minimum(np.maximum(after_open, starts), lasts)
        stopped_at = np.where(final_stopped, at[run_row], _NAT)
    final_paused = paused_row[lasts] if rules.pause else np.zeros(len(lasts), dtype=bool)
    over_target = used > target
    state = np.where(
        final_stopped,
        np.where(over_target, STATES.index("breached"), STATES.index("met")),
        np.where(
            over_target,
            STATES.index("breached"),
            np.where(final_paused, STATES.index("paused"), STATES.index("running")),
        ),
    )
    open_running = ~final_stopped & ~final_paused
    deadline = np.where(open_running & has_cross, breached, _NAT)
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
                    moments[here].view("datetime64[ns]"),
                    (target[here] - used[here]).view("timedelta64[ns]"),
                )
                .view(np.int64)
            )
    wall = np.where(final_stopped, stopped_at, moments) - opened
    # the fields a clock carries: as of the event that stopped it, or of the last one
    fields_row = np.where(final_stopped, run_row, lasts)
    out["event"][:] = log.column_rows(fields_row)
    out["ticket"][:] = log.ticket[starts]
    out["objective"][:] = obj
    out["state"][:] = state
    out["target"][:] = target
    out["used"][:] = used
    out["started"][:] = opened
    out["stopped"][:] = stopped_at
    out["breached"][:] = breached
    out["deadline"][:] = deadline
    out["wall"][:] = wall
    used_reasons = {PAUSE_REASONS.index(rule.reason) for rule in rules.pause}
    paused_rows = np.flatnonzero(pausing) if used_reasons else log.positions[:0]
    if len(paused_rows):  # business time paused, by reason, summed per ticket
        paused_business = business[paused_rows]
        paused_ticket = log.group()[paused_rows]
        paused_reason = reason[paused_rows]
        for index in used_reasons:
            these = np.flatnonzero(paused_reason == index)
            if not len(these):
                continue
            owners = paused_ticket[these]
            runs = np.flatnonzero(np.diff(owners, prepend=-1))
            out[f"paused:{PAUSE_REASONS[index]}"][owners[runs]] = np.add.reduceat(
                paused_business[these], runs
            )


def _states(log: _Log, rules: ClockRules, metric: str) -> tuple[Flags, Ints, Flags, Flags, Flags]:
    """At each event of a fast-path clock's ticket: whether the clock is stopped, the pause
    rule that holds (-1: none), whether one holds, whether the clock is paused, and whether it
    runs (for a clock that never pauses, the pause arrays are empty)."""
    first, positions = log.first, log.positions
    stops, stop = log.stopping(rules, metric)
    if "agent_reply" in stops:
        stop = stop | log.agent_reply()
    # stopped: a sticky flag, set by a stop and cleared by a reopen (never, for first response)
    if metric != "first_response" and rules.stop:
        # an event that does not stop the clock leaves the stop statuses, which reopens it:
        # every event sets or clears the flag
        stopped = stop
    else:
        marked = stop | first
        if metric != "first_response":
            marked |= log.kind == KIND_ORDER["reopened"]
        stopped = stop[np.maximum.accumulate(positions * marked)]
    open_ = ~stopped
    if rules.pause:
        reason = log.first_match([rule.when for rule in rules.pause], empty_matches=False)
        paused_row = reason >= 0
        pausing = open_ & paused_row
        running = open_ & ~paused_row
    else:  # a clock that never pauses
        reason = paused_row = pausing = np.zeros(0, dtype=bool)
        running = open_
    return stopped, reason, paused_row, pausing, running


def _regimes(log: _Log, objective_of: Ints, open_: Flags) -> tuple[Ints, Ints, Ints]:
    """Stretches of each ticket under one objective (a priority change starts one): their first
    rows, tickets and objectives. The objective in force follows the ticket while the clock
    runs or is paused, including at the event that stops it (judged against the level in force
    then), and stays as it was while the clock is stopped (a change then counts from the
    reopen)."""
    first, starts = log.first, log.starts
    changes = objective_of[1:] != objective_of[:-1]
    changes &= ~first[1:]
    change_rows = np.flatnonzero(changes) + 1
    if not len(change_rows):
        return starts, np.arange(len(starts)), objective_of[starts]
    # only the tickets whose objective changes at some event
    changed = log.group()[change_rows]
    changed = changed[np.diff(changed, prepend=-1) != 0]
    rows = _ranges(starts[changed], log.lengths[changed])
    sub_first = first[rows]
    active = open_[rows] | sub_first
    active[1:] |= open_[rows[:-1]]  # the event that stops a running or paused clock
    in_force = objective_of[rows][
        np.maximum.accumulate(np.arange(len(rows), dtype=log.positions.dtype) * active)
    ]
    begins = np.ones(len(rows), dtype=bool)
    begins[1:] = (in_force[1:] != in_force[:-1]) | sub_first[1:]
    sub_begins = np.flatnonzero(begins)
    regime_start = first.copy()
    regime_start[rows[sub_begins]] = True
    regime_starts = np.flatnonzero(regime_start)
    counts = np.ones(len(starts), dtype=np.int64)
    counts[changed] = np.add.reduceat(begins, np.flatnonzero(sub_first))
    regime_ticket = np.repeat(np.arange(len(starts)), counts)
    regime_objective = objective_of[regime_starts]
    regime_objective[np.searchsorted(regime_starts, rows[sub_begins])] = in_force[sub_begins]
    return regime_starts, regime_ticket, regime_objective


def _member(codes: Ints, wanted: Sequence[int]) -> Flags:
    """``np.isin`` for small non-negative codes (-1 allowed), by table lookup."""
    size = max([*wanted, int(codes.max(initial=0))]) + 2
    table = np.zeros(size, dtype=bool)
    table[list(wanted)] = True
    return table[codes]


def _targets(
    family: Sequence[Objective],
    calendars: Mapping[str, BusinessCalendar],
    objective: Ints,
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
    rows: list[Ints], families: list[Objective], objectives: Sequence[Objective]
) -> list[tuple[Ints, list[Objective]]]:
    """Rows to replay, grouped with the objective family (one metric) they are replayed for."""
    grouped: list[tuple[Ints, list[Objective]]] = []
    metrics = []
    for objective in families:
        if objective.metric not in metrics:
            metrics.append(objective.metric)
    for part, metric in zip(rows, metrics, strict=True):
        if len(part):
            grouped.append((part, [o for o in objectives if o.metric == metric]))
    return grouped


def crossings(
    result: BatchResult,
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime,
    clocks: Ints,
    thresholds: I64,
) -> I64:
    """When each of these clocks (rows of the result's table, evaluated as of ``as_of`` with
    no later agreement version) had used ``thresholds`` of business time (microseconds, each
    above zero and at most the time the clock used), as the escalation of the replay's clock
    finds it by walking its running intervals (:func:`accord.core.escalation._crossed`): the
    first span of the ticket after which the time used is at least the threshold, and the rest
    of the threshold added from the span's start in the clock's calendar (and no later than
    the span's end). A clock whose ticket changed to an objective with another calendar
    counts each span's time in the calendar of its objective then, and adds the rest in the
    clock's own (its objective's as evaluated), as the replay's intervals and escalation do.
    In nanoseconds; NaT for a clock that is not on the fast path as evaluated here (its ticket
    left every scope): the caller asks the replay."""
    table, columns = result.table, result.columns
    found = np.full(len(clocks), _NAT, dtype=np.int64)
    if columns is None or not len(clocks):
        return found
    moment = to_nanos(as_of)
    metric_of = np.array(table.metric, dtype=object)[clocks]
    for metric in sorted(set(metric_of.tolist())):
        family = [o for o in result.objectives if o.metric == metric]
        if metric not in BATCH_METRICS or not _fast(family):
            continue
        mine = np.flatnonzero(metric_of == metric)
        owners = table.ticket[clocks[mine]]
        rows = np.arange(len(columns.at)) if result.order is None else result.order
        rows = rows[np.isin(columns.ticket[rows], owners)]
        rows = rows[columns.at[rows] <= moment]
        log = _Log(columns, rows, as_of, calendars)
        view, _, business, _ = _objectives_and_business(log, family)
        if not view.n:
            continue
        rules = family[0].clock or ClockRules.model_validate({})
        running = _states(view, rules, metric)[4]
        run = business * running
        used = np.cumsum(run)
        # a change of objective keeps the time used, counted in the calendar of the objective
        # then (``business``); the level's instant is added in the clock's calendar
        codes = view.ticket[view.starts]
        at = np.searchsorted(codes, owners)
        inside = at < len(codes)
        inside[inside] &= codes[at[inside]] == owners[inside]
        which, place = np.flatnonzero(inside), at[inside]
        before = (used - run)[view.starts[place]]
        goal = before + thresholds[mine[which]] * 1000
        k = np.searchsorted(used, goal, side="left")
        within = k <= view.lasts[place]
        which, place, goal, k = which[within], place[within], goal[within], k[within]
        left = goal - (used[k] - run[k])
        ends = np.where(k < view.lasts[place], view.at[np.minimum(k + 1, view.n - 1)], moment)
        own = np.array([o.calendar for o in result.objectives], dtype=object)
        calendar_of = own[table.objective[clocks[mine[which]]]]
        instants = np.empty(len(k), dtype=np.int64)
        for calendar_name in set(calendar_of.tolist()):
            here = calendar_of == calendar_name
            if here.any():
                instants[here] = (
                    calendars[calendar_name]
                    .add_many(
                        view.at[k[here]].view("datetime64[ns]"), left[here].view("timedelta64[ns]")
                    )
                    .view(np.int64)
                )
        found[mine[which]] = np.minimum(instants, ends)
    return found
