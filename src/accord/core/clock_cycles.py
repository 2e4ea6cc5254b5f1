"""Every clock rule in columns: a metric's cycles as rows of a table, from flags per event.

The column engine (:mod:`accord.core.clocks_batch`) computes one clock a ticket on a fast path
for the rules most agreements use; this module computes every rule, exactly as the replay of
:mod:`accord.core.clocks` (the reference) does, with vector operations over a whole log:

* per event, the objective whose scope the ticket is in, whether the event stops the clock, may
  start it (the start rule: at creation, once assigned, after the first customer message) or
  reopens it, and the pause reason, are table lookups on the fields' codes, in the rules of the
  agreement version in force at the event;
* whether a cycle is open after each event is a sticky flag: an event that opens one (a customer
  message for next response; the first event that may start the clock, then reopens, for the
  others) sets it, an event out of every scope or stopping the clock clears it (for periodic
  update an agent reply does not: it ends a cycle and opens the next), and the others keep it;
* the first opening is the first event in scope that the start rule allows and that does not
  stop the clock (for first response, only if nothing stopped it before); a ticket whose first
  event in scope stops the clock (created answered or resolved) has a cycle met at once;
* cycles begin at openings, at restarts (a priority change under ``priority_change: restart``,
  an agent reply for periodic update, a reopen under ``reopen: restart``) and for a ticket
  created answered or resolved; a cumulative sum of these beginnings numbers the cycles, so each
  open event's span belongs to one cycle; a reopen under ``continue`` begins none and the last
  cycle goes on (re-judged if the objective changed meanwhile); each cycle's last end (a stop, or
  a cancellation: out of every scope, restarted) gives its state, stop instant and fields;
* each cycle's spans are timed in the calendar in force for them: the objective's, or the one a
  ticket field names (``calendar_from``), grouped by calendar, one call per calendar; a change of
  objective (another priority, or another agreement version) starts a regime with its own
  target, the breach re-judged at the change, as on the fast path;
* an agreement version taking over mid-ticket is a row of its own at that instant (see
  :func:`accord.core.clocks_batch.evaluate`): there the rules in force change, and with them the
  objective (carried over, restarted or cancelled), while the pause and the fields stay.

Tickets not created first, and objectives of one metric under different clock rules or without a
limit (:meth:`MetricRules.unsupported`), stay with the replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import ClockRules, Objective
from accord.core.calendar import BusinessCalendar, to_nanos
from accord.core.clocks import KIND_ORDER, ClockError

if TYPE_CHECKING:
    from accord.core.clocks_batch import _Log

I64 = npt.NDArray[np.int64]
Ints = npt.NDArray[np.signedinteger[Any]]
Flags = npt.NDArray[np.bool_]
NAT = np.iinfo(np.int64).min
STATES = ("not_started", "running", "paused", "met", "breached", "cancelled")
PAUSE_REASONS = ("customer", "third_party", "provider", "other")
TABLE_COLUMNS = (
    "ticket",
    "objective",
    "cycle",
    "state",
    "target",
    "used",
    "started",
    "stopped",
    "breached",
    "deadline",
    "wall",
    "event",
)
_UNKNOWN = -2  # a calendar_from value that names no calendar
_MET_AT_ONCE = ("first_response", "resolution", "time_to_recover")
_REOPENED = ("periodic_update", "resolution", "time_to_recover")


_RULES_TEXTS: dict[int, tuple[ClockRules | None, str]] = {}


def rules_text(objective: Objective) -> str:
    """``str(objective.clock)``, by which objectives' clock rules are compared, made once a
    rules object (a model's text costs more than a batch's other rule checks together): an
    agreement's objectives are frozen and kept (the store's cache of agreements in force)."""
    clock = objective.clock
    found = _RULES_TEXTS.get(id(clock))
    if found is None or found[0] is not clock:  # kept with its object: an id is not reused
        if len(_RULES_TEXTS) > 4096:
            _RULES_TEXTS.clear()
        found = _RULES_TEXTS[id(clock)] = (clock, str(clock))
    return found[1]


@dataclass(frozen=True)
class MetricRules:
    """One metric's objectives over the agreement versions evaluated: the distinct objectives
    (their codes), and for each version its family of objectives as codes, in the agreement's
    order, with the clock rules the family runs on (its first objective's, as in the replay)."""

    metric: str
    objectives: tuple[Objective, ...]
    versions: tuple[tuple[tuple[int, ...], ClockRules], ...]

    @classmethod
    def of(cls, metric: str, versions: Sequence[Sequence[Objective]]) -> MetricRules:
        distinct: list[Objective] = []
        found = []
        for objectives in versions:
            codes = []
            family = [o for o in objectives if o.metric == metric]
            for objective in family:
                code = next((i for i, o in enumerate(distinct) if o == objective), None)
                if code is None:
                    distinct.append(objective)
                    code = len(distinct) - 1
                codes.append(code)
            clock = (family[0].clock if family else None) or ClockRules.model_validate({})
            found.append((tuple(codes), clock))
        return cls(metric, tuple(distinct), tuple(found))

    def unsupported(self) -> list[str]:
        """What of these rules the cycle table does not compute (empty: it does)."""
        found = [f"objective {o.id!r}: no within" for o in self.objectives if o.within is None]
        for codes, _ in self.versions:
            family = [self.objectives[c] for c in codes]
            if len(set(map(rules_text, family))) > 1:
                found.append(
                    f"objectives {', '.join(repr(o.id) for o in family)} (metric "
                    f"{self.metric}): different clock rules within one metric"
                )
        starts = {rules.start for codes, rules in self.versions if codes}
        if len(starts) > 1 and "first_customer_message" in starts:
            found.append(
                f"metric {self.metric}: agreement versions with different start rules, one of "
                "them first_customer_message"
            )
        return found


@dataclass
class _Rows:
    """What the rules in force say of each event."""

    objective: Ints  # the objective code the ticket's fields select, -1: out of every scope
    stop: Flags
    may: Flags | None  # the start rule allows a start (None: always)
    reopen: Flags  # an event that reopens a stopped clock (a reopen, or any under stop fields)
    reason: Ints | None  # the pause rule's reason (PAUSE_REASONS), -1: running; None: never
    calendar: Ints  # the calendar code in force (for events in scope)
    restart: Flags | bool  # priority_change: restart
    resume: Flags | bool  # reopen: continue


class _Calendars:
    """Calendar names as codes, as they are met."""

    def __init__(self, calendars: Mapping[str, BusinessCalendar]) -> None:
        self.calendars = calendars
        self.names: list[str] = []

    def code(self, name: str) -> int:
        if name not in self.calendars:
            return _UNKNOWN
        if name not in self.names:
            self.names.append(name)
        return self.names.index(name)

    def __getitem__(self, code: int) -> BusinessCalendar:
        return self.calendars[self.names[code]]


def _version_rows(
    log: _Log,
    rules: MetricRules,
    version: int,
    real: Flags | None,
    calendars: _Calendars,
) -> _Rows:
    metric = rules.metric
    codes, clock = rules.versions[version]
    family = [rules.objectives[c] for c in codes]
    table = np.array([*codes, -1], dtype=np.int32)
    objective: Ints = table[log.first_match([o.scope for o in family], empty_matches=True)]
    stops, stop = log.stopping(clock, metric)
    if "agent_reply" in stops or metric == "periodic_update":
        stop = stop | log.agent_reply()
    if real is not None:
        stop = stop & real
    may = None
    if clock.start == "assigned":
        assignee, vocabulary = log.filled("assignee")
        may = np.array([bool(v) for v in vocabulary] + [False])[assignee]
    reopen = log.kind == KIND_ORDER["reopened"]
    if clock.stop:
        reopen = np.ones(log.n, dtype=bool)
    reason = None
    if clock.pause:
        reasons = [PAUSE_REASONS.index(rule.reason) for rule in clock.pause]
        reason = np.array([*reasons, -1], dtype=np.int8)[
            log.first_match([rule.when for rule in clock.pause], empty_matches=False)
        ]
    of_objective = np.array(
        [calendars.code(o.calendar) for o in rules.objectives] + [-1], dtype=np.int32
    )
    calendar: Ints = of_objective[objective]
    if clock.calendar_from is not None:
        named, vocabulary = log.filled(clock.calendar_from)
        lookup = np.array([calendars.code(v) for v in vocabulary] + [-1], dtype=np.int32)
        calendar = np.where(named >= 0, lookup[named], calendar)
    return _Rows(
        objective,
        stop,
        may,
        reopen,
        reason,
        calendar,
        clock.priority_change == "restart",
        clock.reopen == "continue",
    )


def _rows(
    log: _Log,
    rules: MetricRules,
    version: Ints | None,
    real: Flags | None,
    calendars: _Calendars,
) -> _Rows:
    """The rules' answers for each event, each in the version in force at it."""
    rows = _version_rows(log, rules, 0, real, calendars)
    if version is not None and len(rules.versions) > 1:
        for k in range(1, len(rules.versions)):
            here = version == k
            if not here.any():
                continue
            other = _version_rows(log, rules, k, real, calendars)
            rows.objective = np.where(here, other.objective, rows.objective)
            rows.stop = np.where(here, other.stop, rows.stop)
            if rows.may is not None or other.may is not None:
                mine = rows.may if rows.may is not None else np.ones(log.n, dtype=bool)
                theirs = other.may if other.may is not None else np.ones(log.n, dtype=bool)
                rows.may = np.where(here, theirs, mine)
            rows.reopen = np.where(here, other.reopen, rows.reopen)
            if rows.reason is not None or other.reason is not None:
                none = np.full(log.n, -1, dtype=np.int8)
                mine_reason = rows.reason if rows.reason is not None else none
                their_reason = other.reason if other.reason is not None else none
                rows.reason = np.where(here, their_reason, mine_reason)
            rows.calendar = np.where(here, other.calendar, rows.calendar)
            rows.restart = np.where(here, other.restart, rows.restart)
            rows.resume = np.where(here, other.resume, rows.resume)
    on_message = [
        k for k, (_, clock) in enumerate(rules.versions) if clock.start == "first_customer_message"
    ]
    if on_message:
        # the clock may start once the customer has written (a message that does not stop it,
        # under the version in force then), in the versions that say so
        wrote = log.take(log.columns.customer_message) & ~rows.stop
        if real is not None:
            wrote &= real
        wrote = wrote[np.maximum.accumulate(log.positions * (wrote | log.first))]
        if version is None or len(on_message) == len(rules.versions):
            rows.may = wrote
        else:
            here = np.isin(version, on_message)
            rows.may = np.where(here, wrote, True if rows.may is None else rows.may)
    return rows


def _shifted(values: npt.NDArray[Any], first: Flags, fill: Any) -> npt.NDArray[Any]:
    """Each event's value at the event before it in its ticket (``fill`` for the first)."""
    before = np.empty_like(values)
    if len(values):
        before[1:] = values[:-1]
        before[first] = fill
    return before


def cycle_clocks(
    log: _Log,
    rules: MetricRules,
    calendars: Mapping[str, BusinessCalendar],
    moments: I64,
    version: Ints | None = None,
    virtual: Flags | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """The clocks of one metric, one row a cycle, as columns (:data:`TABLE_COLUMNS`, objectives
    as codes into ``rules.objectives``, and "paused:" and a reason). Every ticket of the log
    starts with its creation. ``moments`` is the instant each ticket is judged at; ``version``
    the agreement version in force at each event; ``virtual`` marks the rows where a version
    takes over (they change nothing else)."""
    metric = rules.metric
    n, pos, first, starts, lasts = log.n, log.positions, log.first, log.starts, log.lasts
    group = log.group()
    at = log.at
    real = None if virtual is None else ~virtual
    named = _Calendars(calendars)
    rows = _rows(log, rules, version, real, named)
    objective, stop = rows.objective, rows.stop
    in_scope = objective >= 0
    agent_reply = log.agent_reply()
    nothing = np.zeros(n, dtype=bool)
    none = n  # "no such event" among the first events of tickets

    def first_of(flag: Flags) -> Ints:
        found: Ints = np.minimum.reduceat(np.where(flag, pos, none), starts)
        return found

    # the sticky flag: open after each event
    may_start = in_scope & ~stop
    if rows.may is not None:
        may_start &= rows.may
    if real is not None:
        may_start &= real
    once = nothing  # a cycle met at once (a ticket created answered or resolved)
    if metric == "next_response":
        sets = may_start & log.take(log.columns.customer_message)
    elif metric == "first_response":  # once, unless something stopped it before
        begin, stopped_first = first_of(may_start), first_of(stop)
        fresh = begin < stopped_first
        sets = (pos == begin[group]) & fresh[group]
        met_first = first_of(stop & in_scope)
        once = (pos == met_first[group]) & (~fresh & (met_first < none))[group]
    else:  # the first event that may start it, then the events that reopen it
        begin = first_of(may_start)
        if metric == "periodic_update":
            fresh = begin < none
        else:
            met_first = first_of(stop & in_scope)
            fresh = begin < met_first
            once = (pos == met_first[group]) & (met_first < begin)[group]
        sets = may_start & (rows.reopen | ((pos == begin[group]) & fresh[group]))
    keep = in_scope & ~stop
    if metric == "periodic_update":
        keep |= in_scope & agent_reply
    open_ = sets[np.maximum.accumulate(pos * (sets | ~keep | first))]
    was_open = _shifted(open_, first, False)

    # where cycles begin and end
    opening = sets & ~was_open
    resume = recancel = nothing
    if metric in _REOPENED:
        began = first_of(opening | once)
        done = pos > began[group]
        resume = opening & done & rows.resume
        # a reopen under 'continue' out of every scope: the last cycle resumes and is cancelled
        recancel = ~was_open & done & rows.resume & rows.reopen & ~stop & ~in_scope
        if rows.may is not None:
            recancel &= rows.may
        if real is not None:
            recancel &= real
    new = opening & ~resume
    changed = was_open & in_scope & (objective != _shifted(objective, first, -1))
    restart_change = changed & rows.restart
    stop_end = was_open & in_scope & stop
    again = stop_end & agent_reply if metric == "periodic_update" else nothing
    active = open_ | stop_end | once
    latest = np.maximum.accumulate(pos * (active | first))
    in_force = np.where(active[latest], objective[latest], -1)
    resume_change = resume & (objective != _shifted(in_force, first, -1))
    resume_restart = resume_change & rows.restart
    begins = new.astype(np.int64)
    for flag in (once, restart_change, resume_restart, again):
        begins += flag
    number = np.cumsum(begins)
    cycles = int(number[-1]) if n else 0
    out: dict[str, npt.NDArray[Any]] = {
        name: np.zeros(cycles, dtype=np.int64) for name in TABLE_COLUMNS
    }
    reasons = {
        PAUSE_REASONS.index(rule.reason) for _, clock in rules.versions for rule in clock.pause
    }
    out.update({f"paused:{PAUSE_REASONS[r]}": np.zeros(cycles, dtype=np.int64) for r in reasons})
    if not cycles:
        return out
    before = number - begins  # the cycles begun before each event (in the log)
    calendar = rows.calendar
    needed = open_ | once | changed | recancel
    if bool((needed & (calendar == _UNKNOWN)).any()):
        _unknown_calendar(log, rules, version, needed & (calendar == _UNKNOWN), calendars)

    # each cycle's last end: cancelled (out of scope, restarted, re-cancelled) or stopped
    cancel = (was_open & ~in_scope) | restart_change | resume_restart | recancel
    cancel_rows, stop_rows, once_rows = (np.flatnonzero(f) for f in (cancel, stop_end, once))
    end_rows = np.concatenate((cancel_rows, stop_rows, once_rows))
    end_cycle = np.concatenate(
        (before[cancel_rows], before[stop_rows] + restart_change[stop_rows], number[once_rows])
    )
    end_cancelled = np.zeros(len(end_rows), dtype=bool)
    end_cancelled[: len(cancel_rows)] = True
    order = np.lexsort((end_rows, end_cycle))
    sorted_cycle = end_cycle[order]
    last = np.ones(len(sorted_cycle), dtype=bool)
    last[:-1] = sorted_cycle[1:] != sorted_cycle[:-1]
    final_end = np.full(cycles + 1, -1, dtype=np.int64)
    final_end[sorted_cycle[last]] = end_rows[order][last]
    final_cancelled = np.zeros(cycles + 1, dtype=bool)
    final_cancelled[sorted_cycle[last]] = end_cancelled[order][last]
    open_at_end = open_[lasts]
    final_end[number[lasts][open_at_end]] = -1
    final_end, final_cancelled = final_end[1:], final_cancelled[1:]
    begin_rows = np.repeat(np.flatnonzero(begins), begins[begins > 0])

    # the events of each cycle: its open spans, and the event that stopped it
    ends_here = stop_end | once
    count = ends_here.astype(np.int64) + open_
    pair_row = np.repeat(pos, count)
    offsets = np.cumsum(count) - count
    is_end = ends_here[pair_row] & (np.arange(len(pair_row)) == offsets[pair_row])
    ending_cycle = np.where(stop_end, before + restart_change, number)
    pair_cycle = np.where(is_end, ending_cycle[pair_row], number[pair_row]) - 1
    pairs = len(pair_row)
    cycle_start = np.flatnonzero(np.diff(pair_cycle, prepend=-1))
    assert len(cycle_start) == cycles
    cycle_last = np.append(cycle_start[1:], pairs) - 1
    pair_calendar = calendar[pair_row]
    spans = np.flatnonzero(~is_end)
    business = np.zeros(pairs, dtype=np.int64)
    business[spans] = _span_business(log, pair_row[spans], pair_calendar[spans], named)
    reason = rows.reason
    if reason is not None and real is not None:
        # where a version takes over, the pause stays as it was (unless the clock restarts)
        source = real | restart_change
        reason = reason[np.maximum.accumulate(pos * (source | first))]
    paused = np.zeros(pairs, dtype=bool)
    if reason is not None:
        pair_reason = reason[pair_row]
        paused = (pair_reason >= 0) & ~is_end
    run = np.where(paused | is_end, 0, business)
    used = np.add.reduceat(run, cycle_start)
    total = np.cumsum(run)
    before_pair = total - run - (total - run)[cycle_start][pair_cycle]
    started = at[begin_rows]

    # regimes: stretches of a cycle under one objective, each with its target
    pair_objective = objective[pair_row]
    regime_flag = np.ones(pairs, dtype=bool)
    regime_flag[1:] = (pair_objective[1:] != pair_objective[:-1]) | (
        pair_cycle[1:] != pair_cycle[:-1]
    )
    regime_start = np.flatnonzero(regime_flag)
    regime_cycle = pair_cycle[regime_start]
    regime_objective = pair_objective[regime_start]
    target = _targets(
        rules.objectives,
        named,
        regime_objective,
        pair_calendar[regime_start],
        started[regime_cycle],
    )
    regime_of = np.cumsum(regime_flag) - 1
    used_at_start = before_pair[regime_start]
    over = before_pair + run > target[regime_of]
    first_over = np.minimum.reduceat(np.where(over, np.arange(pairs), pairs), regime_start)
    crossing = np.flatnonzero((first_over < pairs) & (used_at_start <= target))
    cross_at = np.full(len(regime_start), NAT, dtype=np.int64)
    if len(crossing):
        p = first_over[crossing]
        cross_at[crossing] = _add(
            pair_calendar[p], at[pair_row[p]], target[crossing] - before_pair[p], named
        )
    regimes = len(regime_start)
    first_regime = np.flatnonzero(np.diff(regime_cycle, prepend=-1))
    if regimes == cycles:
        breached = cross_at
        final_regime = np.arange(cycles)
    else:
        # a change of target re-judges the breach: over the new target, breached at the change
        # (or earlier, if already); under it, not breached until it crosses the new target
        rank = np.arange(regimes) - first_regime[regime_cycle]
        breached = cross_at[rank == 0]
        for k in range(1, int(rank.max()) + 1):
            these = np.flatnonzero(rank == k)
            owners = regime_cycle[these]
            over_now = used_at_start[these] > target[these]
            change_at = at[pair_row[regime_start[these]]]
            kept = np.where(breached[owners] != NAT, breached[owners], change_at)
            breached[owners] = np.where(over_now, kept, cross_at[these])
        final_regime = np.append(first_regime[1:], regimes) - 1
    target = target[final_regime]
    ticket_of = group[begin_rows]
    moment = moments[ticket_of]
    closed = final_end >= 0
    over_target = used > target
    paused_now = paused[cycle_last] & ~closed
    state = np.where(
        closed,
        np.where(
            final_cancelled,
            STATES.index("cancelled"),
            np.where(over_target, STATES.index("breached"), STATES.index("met")),
        ),
        np.where(
            over_target,
            STATES.index("breached"),
            np.where(paused_now, STATES.index("paused"), STATES.index("running")),
        ),
    )
    stopped = np.where(closed, at[np.maximum(final_end, 0)], NAT)
    running = ~closed & ~paused_now
    deadline = np.where(running, breached, NAT)
    due = np.flatnonzero(running & (breached == NAT))
    if len(due):
        deadline[due] = _add(
            pair_calendar[cycle_last[due]], moment[due], target[due] - used[due], named
        )
    out["ticket"][:] = log.ticket[begin_rows]
    out["objective"][:] = regime_objective[final_regime]
    out["cycle"][:] = np.arange(1, cycles + 1) - before[starts][ticket_of]
    out["state"][:] = state
    out["target"][:] = target
    out["used"][:] = used
    out["started"][:] = started
    out["stopped"][:] = stopped
    out["breached"][:] = breached
    out["deadline"][:] = deadline
    out["wall"][:] = np.where(closed, stopped, moment) - started
    out["event"][:] = log.column_rows(np.where(closed, final_end, lasts[ticket_of]))
    if reason is not None and reasons:  # business time paused, by reason, summed per cycle
        here = np.flatnonzero(paused)
        for r in reasons:
            these = here[pair_reason[here] == r]
            if len(these):
                owners = pair_cycle[these]
                runs = np.flatnonzero(np.diff(owners, prepend=-1))
                out[f"paused:{PAUSE_REASONS[r]}"][owners[runs]] = np.add.reduceat(
                    business[these], runs
                )
    return out


def distinct_codes(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``np.unique(values)`` of integers: the distinct values, in order, without numpy's check
    whether the array is masked, whose first call imports ``numpy.ma`` (12 ms of a report's
    CPU)."""
    ordered = np.sort(values, axis=None)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _span_business(log: _Log, rows: Ints, calendar: Ints, named: _Calendars) -> I64:
    """The business time of the span each row opens (to the next event of its ticket, or the
    instant judged at), in the calendar given for it."""
    found = np.zeros(len(rows), dtype=np.int64)
    for code in distinct_codes(calendar).tolist():
        here = np.flatnonzero(calendar == code)
        these = rows[here]
        name = named.names[code]
        if len(these) * 4 >= log.n:  # most of the log: the log's own, shared with other metrics
            found[here] = log.business(name)[these]
            continue
        following = np.minimum(these + 1, max(log.n - 1, 0))
        last = (these + 1 >= log.n) | log.first[following]
        start = log.at[these]
        end_of_log = start if log.as_of is None else np.int64(to_nanos(log.as_of))
        end = np.where(last, end_of_log, log.at[following])
        found[here] = (
            named[code]
            .elapsed_many(start.view("datetime64[ns]"), end.view("datetime64[ns]"))
            .view(np.int64)
        )
    return found


def _add(calendar: Ints, starts: I64, durations: I64, named: _Calendars) -> I64:
    """Each start plus its business duration, in its calendar."""
    found = np.empty(len(starts), dtype=np.int64)
    for code in distinct_codes(calendar).tolist():
        here = np.flatnonzero(calendar == code)
        found[here] = (
            named[code]
            .add_many(starts[here].view("datetime64[ns]"), durations[here].view("timedelta64[ns]"))
            .view(np.int64)
        )
    return found


def _targets(
    objectives: Sequence[Objective],
    named: _Calendars,
    objective: Ints,
    calendar: Ints,
    opened: I64,
) -> I64:
    """Each regime's target in nanoseconds of business time: the objective's limit, or for "N
    business days" the business time from the cycle's start to the N-th open day after it, in
    the calendar in force where the regime begins."""
    target = np.empty(len(objective), dtype=np.int64)
    for index, item in enumerate(objectives):
        here = objective == index
        if not here.any():
            continue
        within = item.within
        assert within is not None
        if within.time is not None:
            target[here] = within.time // timedelta(microseconds=1) * 1000
            continue
        assert within.business_days is not None
        for code in distinct_codes(calendar[here]).tolist():
            these = np.flatnonzero(here & (calendar == code))
            cal = named[code]
            starts = opened[these].view("datetime64[ns]")
            ends = cal.add_days_many(starts, within.business_days)
            target[these] = cal.elapsed_many(starts, ends).view(np.int64)
    return target


def _unknown_calendar(
    log: _Log,
    rules: MetricRules,
    version: Ints | None,
    bad: Flags,
    calendars: Mapping[str, BusinessCalendar],
) -> None:
    """Raise the replay's error for the first event whose calendar_from value names no
    calendar."""
    row = int(np.flatnonzero(bad)[0])
    k = int(version[row]) if version is not None else 0
    field = rules.versions[k][1].calendar_from
    assert field is not None
    codes, vocabulary = log.filled(field)
    ticket = log.columns.tickets[int(log.ticket[row])]
    raise ClockError(
        f"ticket {ticket!r}: field {field!r} (the clock's calendar_from) is "
        f"{vocabulary[int(codes[row])]!r}, which names no calendar; expected one of "
        f"{', '.join(sorted(calendars))}"
    )
