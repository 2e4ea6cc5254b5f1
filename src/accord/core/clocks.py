"""Ticket SLA clocks: a ticket's events in, one clock per objective and cycle out.

A clock starts, pauses and stops on the ticket's events, in the objective's business calendar, and
says how much time is used and left, the deadline, and whether it was met. The agreement's clock
rules give the user's own statuses their meaning. Pure: "now" is the ``as_of`` parameter.

Rules held here (each is tested by name):

* events are a set: duplicates (same id) count once, and order of arrival does not matter;
  events at one instant are applied creation first, then in their source's order (a log's
  ``order`` column or row number, the service's order of arrival), see :func:`ordered`;
* business time is counted only while the clock runs; paused time is kept by reason, over every
  pause, in business time, beside the wall time the customer experienced;
* first response fires once; next response opens a cycle at each customer message (while none is
  open) and closes it at the next public agent reply; periodic update expects an agent update
  within the limit after the previous one; resolution runs from creation to resolved;
* a reopen continues the resolution clock (used time kept) or restarts it, as the agreement says;
  a continued clock resumes under the objective it ended under, and a change since (another
  priority, another agreement version in force) is judged at the reopen as while running;
* a priority change that moves the ticket to another objective of the same metric carries the used
  time over to the new target (default) or restarts it; nothing accumulated is lost: the earlier
  cycle stays in the result;
* the calendar can come from a ticket field (``clock.calendar_from``), switching at the event that
  changes it; a value naming no calendar is an error, and so is a rule reading a field that no
  event of the log carries (:func:`require_fields`);
* "3 business days" is a deadline on the calendar's days (same wall time on the third open day),
  converted to business time when the cycle starts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from accord.core.agreement.model import Agreement, ClockRules, Objective
from accord.core.calendar import BusinessCalendar
from accord.core.calendar.named import named_calendars
from accord.core.errors import AccordError

EventKind = Literal["created", "updated", "comment", "resolved", "reopened", "closed"]
Role = Literal["agent", "customer", "third_party"]
State = Literal["not_started", "running", "paused", "met", "breached", "cancelled"]
_ZERO = timedelta(0)
KIND_ORDER = {"created": 0, "updated": 1, "comment": 2, "resolved": 3, "closed": 4, "reopened": 5}
DEFAULT_STOPS: dict[str, frozenset[str]] = {
    "first_response": frozenset({"agent_reply", "resolved", "closed"}),
    "next_response": frozenset({"agent_reply", "resolved", "closed"}),
    "periodic_update": frozenset({"resolved", "closed"}),
    "resolution": frozenset({"resolved", "closed"}),
    "time_to_recover": frozenset({"resolved", "closed"}),
}


class ClockError(AccordError, ValueError):
    """Events that cannot describe one ticket's history (naming the event)."""


@dataclass(frozen=True)
class TicketEvent:
    """Something that happened to a ticket: created (with its fields), fields updated, a comment
    (with its author's role), resolved, reopened or closed."""

    id: str
    ticket: str
    at: datetime
    kind: EventKind
    fields: Mapping[str, str] = field(default_factory=dict)
    author: Role | None = None
    public: bool = True
    position: int | None = field(default=None, compare=False)
    """Its place in its source (a log's ``order`` column, else its row; the service's order of
    arrival): it orders events at one instant, and is no part of what the event is."""

    def __post_init__(self) -> None:
        # one zone for every instant: comparing or subtracting aware datetimes that share a
        # tzinfo uses their wall times, which is wrong across a DST change
        if self.at.tzinfo is UTC:  # already so (readers and the store give UTC): no copy
            return
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ClockError(
                f"event {self.id!r}: naive instant {self.at.isoformat()}; "
                "expected an aware datetime"
            )
        object.__setattr__(self, "at", self.at.astimezone(UTC))

    @property
    def is_agent_reply(self) -> bool:
        return self.kind == "comment" and self.author == "agent" and self.public

    @property
    def is_customer_message(self) -> bool:
        return self.kind == "comment" and self.author == "customer"


@dataclass(frozen=True)
class Interval:
    """A stretch of a cycle, running or paused, with the ticket's fields during it."""

    start: datetime
    end: datetime
    running: bool
    reason: str | None
    business: timedelta
    fields: Mapping[str, str]


@dataclass(frozen=True)
class Clock:
    """One objective's clock on one ticket, for one cycle, as of an instant."""

    ticket: str
    objective: str
    metric: str
    cycle: int
    state: State
    target: timedelta | None
    used: timedelta
    started_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    deadline: datetime | None
    paused_by: Mapping[str, timedelta]
    wall: timedelta
    intervals: tuple[Interval, ...]
    fields: Mapping[str, str]

    @property
    def left(self) -> timedelta | None:
        """Business time left before the breach (negative once breached)."""
        return None if self.target is None else self.target - self.used

    @property
    def consumed(self) -> float | None:
        """Share of the target used (1.0 at the breach)."""
        if self.target is None or self.target <= _ZERO:
            return None
        return self.used / self.target

    def why(self) -> list[Interval]:
        """The running intervals that consumed the time, most expensive first."""
        return sorted((i for i in self.intervals if i.running), key=lambda i: -i.business)


def distinct(events: Iterable[TicketEvent]) -> list[TicketEvent]:
    """Each event once: the same id twice must be the same event (two different events under one
    id are an error) and keeps its earliest place in the source."""
    found: dict[str, TicketEvent] = {}
    for event in events:
        seen = found.get(event.id)
        if seen is None:
            found[event.id] = event
        elif seen != event:
            raise ClockError(
                f"event {event.id!r}: two different events share this id "
                f"({seen.kind} at {seen.at.isoformat()} and {event.kind} at {event.at.isoformat()})"
            )
        elif event.position is not None and (
            seen.position is None or event.position < seen.position
        ):
            found[event.id] = event
    return list(found.values())


def tie_order(event: TicketEvent) -> tuple[bool, int, int, str]:
    """How events of a ticket at one instant (after its creation) are ordered: by their place in
    the source, compared as numbers; events without one after those with one, by kind and id."""
    return (event.position is None, event.position or 0, KIND_ORDER[event.kind], event.id)


def ordered(events: Iterable[TicketEvent]) -> list[TicketEvent]:
    """The distinct events (see :func:`distinct`) in the order they happened; at one instant, the
    creation first, then by :func:`tie_order` (the source's own order)."""
    return sorted(distinct(events), key=lambda e: (e.at, e.kind != "created", tie_order(e)))


def fields_through(
    events: Iterable[TicketEvent], last: int | None = None, as_of: datetime | None = None
) -> dict[str, str]:
    """A ticket's fields as a clock carries them (``Clock.fields``): its events' fields
    merged in the order they happened (:func:`ordered`), through the event whose ``position``
    is ``last`` (a stopped clock's: the event it stopped at), or, without one, through its
    last event at or before ``as_of`` (a clock still open, as of that instant; None: all)."""
    found: dict[str, str] = {}
    for event in ordered(events):
        if last is None and as_of is not None and event.at > as_of:
            break
        found.update(event.fields)
        if last is not None and event.position == last:
            break
    return found


def fields_event(
    events: Iterable[TicketEvent], clock: Clock, as_of: datetime
) -> tuple[bool, int | None]:
    """How :func:`fields_through` finds a clock's fields again from its ticket's events:
    (True, None) for a clock still open whose fields are those as of ``as_of``; (True, the
    position of an event) for a stopped one, the last event at or before its stop through
    which they are; (False, None) when neither gives them (the caller keeps a copy)."""
    history = ordered(events)
    if clock.stopped_at is None:
        return fields_through(history, None, as_of) == clock.fields, None
    merged: dict[str, str] = {}
    found: int | None = None
    for event in history:
        if event.at > clock.stopped_at:
            break
        merged.update(event.fields)
        if event.position is not None and merged == clock.fields:
            found = event.position
    return found is not None, found


def _matches(fields: Mapping[str, str], condition: Mapping[str, Sequence[str]]) -> bool:
    return bool(condition) and all(fields.get(k) in values for k, values in condition.items())


def _in_scope(fields: Mapping[str, str], objective: Objective) -> bool:
    return all(fields.get(k) in values for k, values in objective.scope.items())


@dataclass
class _Cycle:
    """The mutable state of one running cycle while the events are replayed."""

    objective: Objective
    calendar: BusinessCalendar
    target: timedelta
    number: int
    started_at: datetime
    since: datetime
    running: bool = True
    reason: str | None = None
    used: timedelta = _ZERO
    breached_at: datetime | None = None
    paused_by: dict[str, timedelta] = field(default_factory=dict)
    intervals: list[Interval] = field(default_factory=list)

    def advance(self, until: datetime, fields: Mapping[str, str]) -> None:
        """Count the time from the last event up to ``until``."""
        if until <= self.since:
            return
        business = self.calendar.elapsed(self.since, until)
        if self.running:
            if self.breached_at is None and self.used + business > self.target:
                self.breached_at = self.calendar.add(self.since, self.target - self.used)
            self.used += business
        elif business:
            reason = self.reason or "other"
            self.paused_by[reason] = self.paused_by.get(reason, _ZERO) + business
        self.intervals.append(
            Interval(self.since, until, self.running, self.reason, business, dict(fields))
        )
        self.since = until


def clock_calendar(
    objective: Objective,
    fields: Mapping[str, str],
    calendars: Mapping[str, BusinessCalendar],
    calendar_from: str | None = None,
    ticket: str = "",
) -> BusinessCalendar:
    """The calendar a clock runs in: the objective's, or the one a ticket field names (the
    customer's or team's location) when the clock rules say ``calendar_from``. A ticket that
    does not carry the field (yet) runs on the objective's calendar; a value that names no
    calendar is an error naming the ticket, the value and the calendars there are."""
    if calendar_from is None or calendar_from not in fields:
        return calendars[objective.calendar]
    name = fields[calendar_from]
    if name not in calendars:
        raise ClockError(
            f"ticket {ticket!r}: field {calendar_from!r} (the clock's calendar_from) is {name!r},"
            f" which names no calendar; expected one of {', '.join(sorted(calendars))}"
        )
    return calendars[name]


def rule_fields(objectives: Sequence[Objective]) -> dict[str, list[str]]:
    """The ticket fields the rules of ticket objectives read (scope, pauses, stop,
    calendar_from, and ``assignee`` for a clock that starts once assigned), each with the places
    that read it."""
    found: dict[str, list[str]] = {}
    for objective in objectives:
        if objective.metric not in TICKET_METRICS:
            continue
        rules = objective.clock or ClockRules.model_validate({})
        where = f"objective {objective.id!r}"
        named = [(name, f"{where} scope") for name in objective.scope]
        named += [(name, f"{where} clock.pause") for rule in rules.pause for name in rule.when]
        named += [(name, f"{where} clock.stop") for name in rules.stop]
        if rules.start == "assigned":
            named.append(("assignee", f"{where} clock.start: assigned"))
        if rules.calendar_from is not None:
            named.append((rules.calendar_from, f"{where} clock.calendar_from"))
        for name, place in named:
            places = found.setdefault(name, [])
            if place not in places:
                places.append(place)
    return found


def require_fields(objectives: Sequence[Objective], carried: Collection[str]) -> None:
    """Every field the clock rules read is carried by some event of the log: a field no event
    carries (a misspelt rule or column mapping) would otherwise put every ticket out of scope,
    never pause or stop a clock, or run every clock on the objective's own calendar, silently."""
    for name, places in rule_fields(objectives).items():
        if name not in carried:
            raise ClockError(
                f"{'; '.join(places)}: field {name!r} is carried by no event of the log; "
                f"the log's fields: {', '.join(sorted(carried)) or 'none'}"
            )


class _Machine:
    """Replays one ticket's events for the objectives of one metric."""

    def __init__(
        self,
        metric: str,
        objectives: Sequence[Objective],
        calendars: Mapping[str, BusinessCalendar],
    ) -> None:
        self.metric = metric
        self.calendars = calendars
        self._use(objectives)
        self.fields: dict[str, str] = {}
        self.cycle: _Cycle | None = None
        self.done: list[Clock] = []
        self.cycles = 0
        self.answered = False  # first response: an agent has replied (it never fires twice)
        self.customer_wrote = False
        self.ticket = ""
        self.ended_under: Objective | None = None  # the objective the last cycle ended under

    def _use(self, objectives: Sequence[Objective]) -> None:
        self.objectives = objectives
        rules = (objectives[0].clock if objectives else None) or ClockRules.model_validate({})
        self.rules = rules
        self.stops = frozenset(rules.stop_on) or DEFAULT_STOPS.get(self.metric, frozenset())

    def switch(self, at: datetime, objectives: Sequence[Objective]) -> None:
        """Another agreement version in force from ``at``."""
        if self.cycle is not None:
            self.cycle.advance(at, self.fields)
        self._use(objectives)
        if self.cycle is not None:
            self._rescope(at)

    # -- helpers

    def _objective(self) -> Objective | None:
        return next((o for o in self.objectives if _in_scope(self.fields, o)), None)

    def _calendar(self, objective: Objective) -> BusinessCalendar:
        return clock_calendar(
            objective, self.fields, self.calendars, self.rules.calendar_from, self.ticket
        )

    def _target(self, objective: Objective, calendar: BusinessCalendar, at: datetime) -> timedelta:
        within = objective.within
        if within is None:
            raise ClockError(f"objective {objective.id!r} has no 'within' limit")
        if within.business_days is not None:
            return calendar.elapsed(at, calendar.add_days(at, within.business_days))
        assert within.time is not None
        return within.time

    def _pause(self) -> tuple[bool, str | None]:
        for rule in self.rules.pause:
            if _matches(self.fields, rule.when):
                return False, rule.reason
        return True, None

    def _start(self, at: datetime) -> None:
        objective = self._objective()
        if objective is None:
            return
        calendar = self._calendar(objective)
        self.cycles += 1
        running, reason = self._pause()
        self.cycle = _Cycle(
            objective,
            calendar,
            self._target(objective, calendar, at),
            self.cycles,
            at,
            at,
            running,
            reason,
        )

    def _finish(self, at: datetime, state: State) -> None:
        cycle = self.cycle
        assert cycle is not None
        if state != "cancelled":
            state = "breached" if cycle.used > cycle.target else "met"
        self.done.append(self._clock(cycle, state, at, stopped=True))
        self.ended_under = cycle.objective
        self.cycle = None

    def _clock(self, cycle: _Cycle, state: State, at: datetime, *, stopped: bool) -> Clock:
        deadline = None
        if not stopped and cycle.running:
            left = cycle.target - cycle.used
            deadline = cycle.breached_at or cycle.calendar.add(at, left)
        return Clock(
            ticket=self.ticket,
            objective=cycle.objective.id,
            metric=self.metric,
            cycle=cycle.number,
            state=state,
            target=cycle.target,
            used=cycle.used,
            started_at=cycle.started_at,
            stopped_at=at if stopped else None,
            breached_at=cycle.breached_at,
            deadline=deadline,
            paused_by=dict(cycle.paused_by),
            wall=at - cycle.started_at,
            intervals=tuple(cycle.intervals),
            fields=dict(self.fields),
        )

    # -- the replay

    def step(self, event: TicketEvent) -> None:
        self.ticket = event.ticket
        if self.cycle is not None:
            self.cycle.advance(event.at, self.fields)
        self.fields.update(event.fields)
        stop = self._stops(event)
        if self.cycle is not None:
            self._rescope(event.at)
        if self.cycle is not None and stop:
            self.answered = True
            self._finish(event.at, "met")
            if self.metric == "periodic_update" and event.is_agent_reply:
                self._start(event.at)
            return
        if self.cycle is None:
            self._maybe_start(event, stop)
        if self.cycle is not None:
            self.cycle.running, self.cycle.reason = self._pause()
            if self.rules.calendar_from is not None:
                self.cycle.calendar = self._calendar(self.cycle.objective)

    def _stops(self, event: TicketEvent) -> bool:
        if self.metric == "periodic_update" and event.is_agent_reply:
            return True
        kind = "agent_reply" if event.is_agent_reply else event.kind
        return kind in self.stops or _matches(self.fields, self.rules.stop)

    def _maybe_start(self, event: TicketEvent, stop: bool) -> None:
        metric = self.metric
        if stop:
            if self.cycles == 0 and metric in ("first_response", "resolution", "time_to_recover"):
                # created already answered or resolved: met at once, with nothing used
                self._start(event.at)
                if self.cycle is not None:
                    self._finish(event.at, "met")
            self.answered = self.answered or metric == "first_response"
            return
        if event.is_customer_message:
            self.customer_wrote = True
        if not self._may_start():
            return
        if metric == "first_response":
            if not self.answered and not self.done:
                self._start(event.at)
        elif metric == "next_response":
            if event.is_customer_message:
                self._start(event.at)
        elif not self.done or event.kind == "reopened" or self._reopened():
            if self.done and self.rules.reopen == "continue":
                self._resume(event.at)
            else:
                self._start(event.at)

    def _may_start(self) -> bool:
        """The agreement's start rule: at creation, once assigned, or at the first customer
        message (next response always starts at a customer message)."""
        start = self.rules.start
        if start == "assigned":
            return bool(self.fields.get("assignee"))
        if start == "first_customer_message":
            return self.customer_wrote
        return True

    def _reopened(self) -> bool:
        """A stopped resolution clock whose ticket left the stopping state (a reopen by status)."""
        return (
            bool(self.done) and bool(self.rules.stop) and not _matches(self.fields, self.rules.stop)
        )

    def _resume(self, at: datetime) -> None:
        """Reopen with 'continue': the last cycle runs on with its used time (its result is
        replaced by the resumed one), under the objective it ended under; a change since (of
        priority, or another agreement version in force) is then judged as while running."""
        objective = self.ended_under
        assert objective is not None  # a cycle has ended
        last = self.done.pop()
        calendar = self._calendar(objective)
        running, reason = self._pause()
        self.cycle = _Cycle(
            objective,
            calendar,
            last.target or _ZERO,
            last.cycle,
            last.started_at or at,
            at,
            running,
            reason,
            last.used,
            last.breached_at,
            dict(last.paused_by),
            list(last.intervals),
        )
        self._rescope(at)  # the ticket may have changed priority while it was resolved

    def _rescope(self, at: datetime) -> None:
        """A change of the fields that select the objective (priority...)."""
        cycle = self.cycle
        assert cycle is not None
        objective = self._objective()
        if objective is None:
            self._finish(at, "cancelled")
            return
        if objective == cycle.objective:
            return
        if self.rules.priority_change == "restart":
            self._finish(at, "cancelled")
            self._start(at)
            return
        calendar = self._calendar(objective)
        cycle.objective, cycle.calendar = objective, calendar
        cycle.target = self._target(objective, calendar, cycle.started_at)
        # judged against the new target from now on: breached at the change if already over it
        # (or at the earlier breach, if over both), not breached if the new target is looser
        if cycle.used > cycle.target:
            cycle.breached_at = cycle.breached_at or at
        else:
            cycle.breached_at = None

    def result(self, as_of: datetime) -> list[Clock]:
        clocks = list(self.done)
        cycle = self.cycle
        if cycle is not None:
            cycle.advance(as_of, self.fields)
            state: State = "running" if cycle.running else "paused"
            if cycle.used > cycle.target:
                state = "breached"
            clocks.append(self._clock(cycle, state, as_of, stopped=False))
        return clocks


TICKET_METRICS = (
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
    "time_to_recover",
)


def _utc(at: datetime) -> datetime:
    """An agreement version's instant in UTC (naive instants are refused, as events' are)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ClockError(
            f"agreement version in force from a naive instant {at.isoformat()}; "
            "expected an aware datetime"
        )
    return at.astimezone(UTC)


def ticket_clocks(
    events: Iterable[TicketEvent],
    objectives: Sequence[Objective],
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime | None = None,
    changes: Sequence[tuple[datetime, Sequence[Objective]]] = (),
) -> list[Clock]:
    """Every clock of one ticket as of ``as_of`` (default: its last event).

    ``objectives`` are the agreement's objectives (others than ticket metrics are ignored);
    objectives of the same metric form one family among which a priority change moves the clock.
    ``calendars`` maps calendar names (including "24x7") to calendars. ``changes`` are later
    agreement versions, each in force from its instant: a running clock moves to the new
    version's objective at that instant, carrying its used time over or restarting as the new
    version's clock rules say.
    """
    history = ordered(events)
    if not history:
        return []
    tickets = {e.ticket for e in history}
    if len(tickets) > 1:
        raise ClockError(f"events of several tickets given together: {', '.join(sorted(tickets))}")
    moment = as_of.astimezone(UTC) if as_of is not None else history[-1].at
    created = next((e.at for e in history if e.kind == "created"), None)
    # instants in UTC: a clock's times are, and a local time that a change of clocks skips
    # (02:00 on a spring-forward night) never compares equal to any other zone's instant
    versions = sorted(((_utc(at), later) for at, later in changes), key=lambda change: change[0])
    every = [objectives, *(later for _, later in versions)]
    clocks: list[Clock] = []
    for metric in TICKET_METRICS:
        families = [[o for o in version if o.metric == metric] for version in every]
        if not any(families):
            continue
        machine = _Machine(metric, families[0], calendars)
        pending = [(at, family) for (at, _), family in zip(versions, families[1:], strict=True)]
        for event in history:
            if event.at > moment:
                break
            while pending and pending[0][0] <= event.at:
                machine.switch(*pending.pop(0))
            if created is not None and event.at < created:
                # an update stamped before the ticket's creation (clock skew in an export):
                # its fields count, but no clock starts before the ticket exists
                machine.fields.update(event.fields)
                continue
            machine.step(event)
        while pending and pending[0][0] <= moment:
            machine.switch(*pending.pop(0))
        clocks.extend(machine.result(moment))
    return clocks


def calendars_of(agreement: Agreement) -> dict[str, BusinessCalendar]:
    """The agreement's named calendars, plus the built-in "24x7"."""
    return named_calendars(agreement.calendars)


def all_clocks(
    events: Iterable[TicketEvent],
    objectives: Sequence[Objective],
    calendars: Mapping[str, BusinessCalendar],
    as_of: datetime | None = None,
    changes: Sequence[tuple[datetime, Sequence[Objective]]] = (),
    *,
    require: bool = True,
) -> list[Clock]:
    """The clocks of every ticket in an event log (grouped by ticket, in ticket order), under
    the agreement versions ``changes`` brings in as :func:`ticket_clocks` does. The fields the
    clock rules of every version read must be carried by some event (see
    :func:`require_fields`), unless ``require`` is False (a log still arriving)."""
    by_ticket: dict[str, list[TicketEvent]] = {}
    carried: set[str] = set()
    for event in events:
        by_ticket.setdefault(event.ticket, []).append(event)
        carried.update(event.fields)
    if by_ticket and require:
        require_fields([*objectives, *(o for _, later in changes for o in later)], carried)
    return [
        clock
        for ticket in sorted(by_ticket)
        for clock in ticket_clocks(by_ticket[ticket], objectives, calendars, as_of, changes)
    ]


@dataclass(frozen=True)
class Attainment:
    """How one objective fared over a set of clocks, overall or for one group of tickets."""

    objective: str
    group: Mapping[str, str]
    in_scope: int
    met: int
    breached: int
    open: int
    attainment: Decimal | None
    target: Decimal | None
    percentiles: Mapping[int, timedelta]

    @property
    def target_met(self) -> bool | None:
        """Whether the share met reaches the target (exact decimal comparison)."""
        if self.attainment is None or self.target is None:
            return None
        return self.attainment >= self.target


def summarize(
    clocks: Iterable[Clock],
    objectives: Sequence[Objective],
    by: Sequence[str] = (),
    percentiles: Sequence[int] = (50, 90, 95),
) -> list[Attainment]:
    """Tickets in scope, met, breached and attainment per objective (and group of ``by`` fields).

    Rows come in the agreement's order of objectives (then by group).
    A clock counts for the objective it ended under (after any priority change); cancelled
    cycles do not count. Attainment is met / (met + breached) in percent, exact; open clocks
    already past their deadline count as breached. Percentiles are of business time used by
    finished clocks (nearest rank). A ``by`` field that no clock's ticket carries is an error
    naming the fields there are (a ticket without it is grouped under "").
    """
    clocks = list(clocks)
    carried = {name for clock in clocks for name in clock.fields}
    for name in by:
        if clocks and name not in carried:
            raise ClockError(
                f"group by {name!r}: no ticket carries this field; "
                f"the tickets' fields: {', '.join(sorted(carried)) or 'none'}"
            )
    targets = {o.id: o.target for o in objectives}
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[Clock]] = {}
    for clock in clocks:
        if clock.state in ("cancelled", "not_started"):
            continue
        key = tuple((name, clock.fields.get(name, "")) for name in by)
        groups.setdefault((clock.objective, key), []).append(clock)
    result = []
    position = {o.id: i for i, o in enumerate(objectives)}

    def agreement_order(
        item: tuple[tuple[str, tuple[tuple[str, str], ...]], list[Clock]],
    ) -> tuple[int, str, tuple[tuple[str, str], ...]]:
        (objective, key), _ = item
        return position.get(objective, len(position)), objective, key

    for (objective, key), members in sorted(groups.items(), key=agreement_order):
        met = sum(1 for c in members if c.state == "met")
        breached = sum(1 for c in members if c.state == "breached")
        finished = sorted(c.used for c in members if c.stopped_at is not None)
        judged = met + breached
        target = targets.get(objective)
        result.append(
            Attainment(
                objective=objective,
                group=dict(key),
                in_scope=len(members),
                met=met,
                breached=breached,
                open=len(members) - judged,
                attainment=Decimal(met * 100) / Decimal(judged) if judged else None,
                target=target if isinstance(target, Decimal) else None,
                percentiles={p: _nearest_rank(finished, p) for p in percentiles if finished},
            )
        )
    return result


def _nearest_rank(ordered_values: Sequence[timedelta], percentile: int) -> timedelta:
    rank = max(1, -(-percentile * len(ordered_values) // 100))
    return ordered_values[rank - 1]
