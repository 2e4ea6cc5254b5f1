"""One objective judged over a span: the figure, met or missed, and what the figure stands on.

Every figure a report prints comes from :func:`judge_objective`, which first decides whether
there is anything to judge (the rules are in the README, "How a figure is decided"):

* **not in force**: the span lies outside the agreement's effective dates (a span partly inside
  is judged over its part inside);
* **no data**: nothing in scope was measured: the span begins after the instant judged at, the
  evidence does not reach into it, or no ticket, measurement or probe in scope falls in it;
* **to date**: the span is not over at the instant judged at; it is judged up to that instant;
* **final**: judged over the whole span.

Ticket objectives count a ticket in the period its verdict was reached (``count_in: resolved``,
the ITIL convention: met when its clock stopped, breached when the deadline passed, even if the
ticket is still open), or in the period its clock started (``count_in: created``). Tickets open
at the span's end are reported beside the figure, not in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import numpy.typing as npt

from accord.core.agreement.model import Agreement, Objective, Service
from accord.core.agreement.units import Bound, format_target, format_timedelta
from accord.core.availability import (
    Engine,
    Incidents,
    Outage,
    OutageIndex,
    excused_maintenance,
)
from accord.core.calendar import BusinessCalendar, to_nanos
from accord.core.clock_cycles import STATES, distinct_codes
from accord.core.clock_engines import ClockEvaluation, evaluate_clocks
from accord.core.clocks import (
    TICKET_METRICS,
    Clock,
    TicketEvent,
    calendars_of,
    require_fields,
    rule_fields,
    ticket_clocks,
)
from accord.core.clocks_batch import (
    BatchResult,
    EventColumns,
    open_rows,
    uncovered,
)
from accord.core.composition import ServiceAvailability, members, service_availability
from accord.core.errors import AccordError
from accord.core.escalation import levels_for, share_of
from accord.core.evidence import Data, Measurement, carried_fields
from accord.core.explaining import EXPLAINED as EXPLAINED
from accord.core.periods import enclosing, in_force_span, period_label
from accord.core.slices import SliceAvailability, occurrences, ratio_slices, slice_availability
from accord.core.timer import at_risk_count, of_clock

if TYPE_CHECKING:
    from accord.core.burn import BurnAlert

_HUNDRED = Decimal(100)
_MICROSECOND = timedelta(microseconds=1)
AT_RISK_SHARE = Decimal("0.75")
"""The share of its target a clock has used when it is at risk, unless the agreement's
escalation names an earlier warning for the objective."""

Status = Literal["final", "to date", "no data", "not in force"]
_INDEXED = 256
"""Evidence with more outages than this has them indexed by their instants to judge a span."""


class JudgingError(AccordError, ValueError):
    """Evidence that cannot be judged as the agreement asks (naming the record and field)."""


EXPLAINED_FIELDS = ("status", "team", "assignee")
"""The ticket fields a ticket breach's time is told by: which statuses, teams and assignees
the running clock consumed its business time under."""


@dataclass(frozen=True)
class Consumed:
    """Business time a ticket's clock used (or spent paused) under one value: a status, a
    team, an assignee while it ran, or a pause reason while it was paused."""

    kind: Literal["status", "team", "assignee", "paused"]
    value: str
    """The field's value ("" when the ticket had none then); for ``paused``, the reason."""
    business: timedelta


@dataclass(frozen=True)
class Breach:
    """One breach of an objective: a stretch of downtime, or a ticket past its deadline, with
    the prose that explains it (``text``)."""

    objective: str
    start: datetime
    end: datetime | None
    """None: still going on (a ticket still open) at the instant judged at."""
    text: str
    item: str = ""
    """The ticket, or the outage or maintenance window's id."""
    service: str = ""
    cause: str = ""
    """For downtime: provider, customer, third_party, force_majeure or maintenance."""
    weight: Decimal = Decimal(1)
    business: timedelta | None = None
    """Business time of it: in the window (downtime), or used on the clock (a ticket)."""
    breached_at: datetime | None = None
    """For a ticket: when its deadline passed."""
    allowed: timedelta | None = None
    """For a ticket: the business time its clock allowed."""
    allowed_text: str = ""
    """For a ticket: that limit as the agreement writes it (``3 business days``)."""
    explained: bool = False
    """For a ticket: whether ``consumed`` was worked out (a report explains each objective's
    costliest breaches unless asked for all, see :func:`explained`)."""
    consumed: tuple[Consumed, ...] = ()
    """For a ticket: where its clock's time went (:func:`consumption`), each kind most
    expensive first; empty for downtime, whose own interval is its explanation."""

    def __str__(self) -> str:
        return self.text


class Breaches(Sequence[Breach]):
    """Breaches made when first read: those of a ticket objective judged in columns (a
    trend's months print their figures, not each breached ticket). Counted without being
    made; otherwise the tuple of them: equal to it, hashed and printed as it.

    Given ``costs`` (each breach's business time in microseconds, weighted, in their order)
    and ``pick`` (the breaches at the places given, made alone), the costliest are found and
    a breach read by its place is made without making the others (a report for people shows
    ten of thousands: :func:`costliest`); iterating, slicing or comparing makes them all."""

    __slots__ = ("_costs", "_count", "_found", "_make", "_pick", "_picked")

    def __init__(
        self,
        count: int,
        make: Callable[[], tuple[Breach, ...]],
        costs: Callable[[], Any] | None = None,
        pick: Callable[[list[int]], list[Breach]] | None = None,
    ) -> None:
        self._count = count
        self._make: Callable[[], tuple[Breach, ...]] | None = make
        self._found: tuple[Breach, ...] | None = None
        self._costs = costs
        self._pick = pick
        self._picked: dict[int, Breach] = {}

    def made(self) -> tuple[Breach, ...]:
        if self._found is None:
            assert self._make is not None
            self._found, self._make = self._make(), None
            assert len(self._found) == self._count
        return self._found

    @property
    def costs(self) -> Callable[[], Any] | None:
        """Each breach's weighted business time in microseconds, in their order, when given."""
        return self._costs

    def costliest(self, count: int) -> list[int] | None:
        """:func:`costliest` from the costs alone, without making a breach (None: no costs
        given, or made already)."""
        if self._costs is None or self._found is not None:
            return None
        costs = np.asarray(self._costs(), dtype=np.int64)
        # most costly first, ties by place (as sorting (cost, -place) in reverse has them)
        ranked = np.lexsort((np.arange(len(costs)), -costs))
        return sorted(ranked[:count].tolist())

    def picked(self, places: list[int]) -> list[Breach]:
        """The breaches at ``places`` (each in ``range(len(self))``), made alone when they
        can be."""
        if self._pick is None or self._found is not None:
            found = self.made()
            return [found[place] for place in places]
        wanted = sorted({p for p in places if p not in self._picked})
        if wanted:
            self._picked.update(zip(wanted, self._pick(wanted), strict=True))
        return [self._picked[place] for place in places]

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    @overload
    def __getitem__(self, index: int) -> Breach: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Breach, ...]: ...
    def __getitem__(self, index: int | slice) -> Breach | tuple[Breach, ...]:
        if isinstance(index, slice):
            return self.made()[index]
        return self.picked([range(self._count)[index]])[0]

    def __iter__(self) -> Iterator[Breach]:
        return iter(self.made())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Breaches):
            return self.made() == other.made()
        if isinstance(other, tuple):
            return self.made() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.made())

    def __repr__(self) -> str:
        return repr(self.made())


@dataclass(frozen=True)
class TicketCounts:
    """How the tickets of a ticket objective were counted in a span."""

    count_in: Literal["resolved", "created"]
    met: int
    breached: int
    open: int
    """Clocks running or paused at ``open_at`` (``resolved``), or not yet stopped at the
    instant judged at among those started in the span (``created``)."""
    open_breached: int
    """Of the open ones, already past their deadline (counted as breached where it passed)."""
    open_at_risk: int
    """Of the open ones, not breached but past the objective's warning share of the target."""
    open_at: datetime
    at_risk_share: Decimal

    @property
    def counted(self) -> int:
        return self.met + self.breached


@dataclass(frozen=True)
class ObjectiveResult:
    """One objective over the period."""

    objective: str
    name: str
    metric: str
    target: str
    actual: Decimal | None
    met: bool | None
    margin: Decimal | None
    detail: str
    breaches: Sequence[Breach] = ()
    """A tuple, or :class:`Breaches` (made when first read) that equals the tuple."""
    budget: timedelta | None = None
    """Downtime the target allows over the span judged (``judged_from`` to ``judged_until``:
    the error budget), for availability with a percent target; the whole period's, for a
    period still running, is ``period_budget``."""
    downtime: timedelta | None = None
    """Downtime counted against the budget (weighted), for time-based availability."""
    burn_rate: Decimal | None = None
    """How fast the error budget went over the period: (100 - actual) / (100 - target), actual
    over the part judged (``pace`` when there is one); 1 is
    exactly the budget, 2 twice it. For availability objectives with a percent target."""
    burn_alerts: tuple[BurnAlert, ...] = ()
    """The SRE workbook's multi-window burn-rate alerts as of the span's end
    (:class:`accord.core.burn.BurnAlert`)."""
    incidents: int | None = None
    """Runs of downtime in the window, for time-based availability."""
    time_to_recover: timedelta | None = None
    """Mean business time an incident lasted (None without incidents)."""
    time_between_failures: timedelta | None = None
    """Mean up time in the window per incident (None without incidents)."""
    status: Status = "final"
    judged_from: datetime | None = None
    """The part of the period judged: from here (the agreement's start, if later) ..."""
    judged_until: datetime | None = None
    """... to here (the instant judged at, or the agreement's end, if earlier)."""
    tickets: TicketCounts | None = None
    pace: Decimal | None = None
    """Availability in time or by probes of an open period judged to date: the figure over the
    part elapsed, the pace the burn rate and the projection go by. ``actual`` is then the least the
    period ends at (its downtime so far over the whole period's window: downtime only grows),
    and ``met``, ``margin`` and the credits to date are of that (docs/standing.md)."""
    period_budget: timedelta | None = None
    """Availability in time or by probes of an open period judged to date (with ``pace``): the
    downtime the target allows over the whole period (its window to the period's end, the
    maintenance known so far left out), the budget the floor ``actual`` is judged against.
    None otherwise: a period judged whole has it as ``budget``."""

    @property
    def elapsed_actual(self) -> Decimal | None:
        """The figure over the span judged (``judged_from`` to ``judged_until``): ``pace``
        for an open period of time-based availability (whose ``actual`` is the least the whole
        period ends at), ``actual`` otherwise. What a burn rate and a forecast go by."""
        return self.pace if self.pace is not None else self.actual

    @property
    def verdict_budget(self) -> timedelta | None:
        """The budget ``actual``, ``met`` and ``margin`` are judged against: the whole
        period's (``period_budget``) for an open period's floor, else the span judged's."""
        return self.period_budget if self.period_budget is not None else self.budget

    @property
    def budget_left(self) -> timedelta | None:
        """:attr:`verdict_budget` minus downtime: negative once the budget is spent."""
        budget = self.verdict_budget
        if budget is None or self.downtime is None:
            return None
        return budget - self.downtime

    @property
    def judged(self) -> bool:
        """Whether there is a figure (final or to date) that remedies may count."""
        return self.status in ("final", "to date") and self.actual is not None


@dataclass
class ClockCache:
    """Ticket columns and clock evaluations shared by several reports judged on the same
    evidence (the months of a trend): the log's columns are built once, and the clocks at an
    instant evaluated once for all the reports that judge at it; an objective judged over a
    span is judged once too (a trend's month is judged again by the next months' termination
    clause). Entries are keyed by the identity of the ticket log (events or columns), of the
    evidence and of the agreement, which the cache holds (so that a key is never reused by
    another object); evidence as known at an instant is kept the same way."""

    _known: dict[tuple[int, datetime], tuple[Data, Data]] = field(default_factory=dict)
    _within: dict[tuple[int, tuple[datetime, datetime]], tuple[Data, Data]] = field(
        default_factory=dict
    )
    _availability: dict[tuple[object, ...], tuple[tuple[object, ...], ServiceAvailability]] = field(
        default_factory=dict
    )
    _outages: dict[int, OutageIndex] = field(default_factory=dict)
    _checked: dict[tuple[int, int], tuple[Agreement, Data]] = field(default_factory=dict)
    _columns: dict[int, tuple[tuple[TicketEvent, ...], EventColumns]] = field(default_factory=dict)
    _evaluations: dict[
        tuple[int, int, datetime, str, bool, datetime | None],
        tuple[tuple[object, Agreement], ClockEvaluation],
    ] = field(default_factory=dict)
    _calendars: dict[int, tuple[Agreement, Mapping[str, BusinessCalendar]]] = field(
        default_factory=dict
    )
    _judged: dict[
        tuple[object, ...],
        tuple[tuple[object, ...], ObjectiveResult, dict[datetime, ClockEvaluation]],
    ] = field(default_factory=dict)
    objective_clocks: dict[tuple[int, str], tuple[ClockEvaluation, _ObjectiveClocks]] = field(
        default_factory=dict
    )
    """Each objective's clocks in an evaluation's table (see :func:`_in_columns`)."""

    def calendars(self, agreement: Agreement) -> Mapping[str, BusinessCalendar]:
        """The agreement's calendars (:func:`accord.core.clocks.calendars_of`), built once."""
        found = self._calendars.get(id(agreement))
        if found is None or found[0] is not agreement:
            found = (agreement, calendars_of(agreement))
            self._calendars[id(agreement)] = found
        return found[1]

    def judged(
        self,
        judging: Judging,
        objective: Objective,
        start: datetime,
        end: datetime,
        breaches: bool = True,
    ) -> ObjectiveResult:
        """``judge_objective`` of the objective over ``[start, end)``, judged once for the same
        judging (its agreement, calendars, evidence, tier, instant and engine); a result with
        its breaches serves a caller that does not need them. The clocks a result stands on
        are the judging's as if judged there (its account of the clocks names them)."""
        holders = (judging.agreement, judging.calendars, judging.data, judging.whole, objective)
        key = (
            *map(id, holders),
            judging.tier,
            judging.as_of,
            judging.engine,
            judging.strict,
            start,
            end,
        )
        for wanted in (True, False) if not breaches else (True,):
            found = self._judged.get((*key, wanted))
            if found is not None and all(a is b for a, b in zip(found[0], holders, strict=True)):
                for moment, evaluation in found[2].items():
                    judging.evaluations.setdefault(moment, evaluation)
                    judging.asked.add(moment)
                return found[1]
        outer, judging.asked = judging.asked, set()
        result = _judge_objective(judging, objective, start, end, breaches)
        used = {moment: judging.evaluations[moment] for moment in judging.asked}
        judging.asked = outer | judging.asked
        self._judged[(*key, breaches)] = (holders, result, used)
        return result

    def checked(
        self, agreement: Agreement, data: Data, check: Callable[[Agreement, Data], None]
    ) -> None:
        """``check(agreement, data)`` (it raises, or returns nothing), once for the same
        agreement and evidence: a trend's months check the fields of one log once."""
        found = self._checked.get((id(agreement), id(data)))
        if found is not None and found[0] is agreement and found[1] is data:
            return
        check(agreement, data)
        self._checked[(id(agreement), id(data))] = (agreement, data)

    def known_at(self, data: Data, instant: datetime) -> Data:
        """``data.known_at(instant)``, the same object for the same evidence and instant."""
        found = self._known.get((id(data), instant))
        if found is None or found[0] is not data:
            found = (data, data.known_at(instant))
            self._known[(id(data), instant)] = found
        return found[1]

    def within(
        self, data: Data, span: tuple[datetime, datetime], cut: Callable[[Data], Data]
    ) -> Data:
        """``cut(data)``: the evidence cut to ``span``, the same object for the same evidence
        and span (a trend's months then share what is judged on it)."""
        found = self._within.get((id(data), span))
        if found is None or found[0] is not data:
            found = (data, cut(data))
            self._within[(id(data), span)] = found
        return found[1]

    def availability(
        self,
        judging: Judging,
        objective: Objective,
        start: datetime,
        end: datetime,
        window_only: bool = False,
    ) -> ServiceAvailability:
        """:meth:`Judging.availability` (``window_only``: its window, see
        :meth:`Judging.availability_window`), once for the same agreement, calendars,
        evidence, objective, engine and span (a trend's months judge the year to date again
        and again for a yearly penalty)."""
        holders = (judging.agreement, judging.calendars, judging.data, objective)
        key = (*map(id, holders), judging.availability_engine, start, end, window_only)
        found = self._availability.get(key)
        if found is None or not all(a is b for a, b in zip(found[0], holders, strict=True)):
            measured = judging.availability_measured(objective, start, end, window_only)
            found = (holders, measured)
            self._availability[key] = found
        return found[1]

    def outages(self, outages: tuple[Outage, ...]) -> OutageIndex:
        """The outages indexed by their instants (:class:`OutageIndex`), once."""
        found = self._outages.get(id(outages))
        if found is None or found.outages is not outages:
            found = OutageIndex.of(outages)
            self._outages[id(outages)] = found
        return found

    def columns(self, tickets: tuple[TicketEvent, ...]) -> EventColumns:
        found = self._columns.get(id(tickets))
        if found is None or found[0] is not tickets:
            found = (tickets, EventColumns.from_events(tickets))
            self._columns[id(tickets)] = found
        return found[1]

    def evaluation(
        self, judging: Judging, moment: datetime, open_from: datetime | None = None
    ) -> ClockEvaluation:
        """The clocks as of ``moment`` (with ``open_from``: of the tickets that may be open
        then, judged from the clocks at that instant; see :meth:`Judging.open_evaluation`)."""
        tickets = judging.data.ticket_log
        key = (
            id(tickets),
            id(judging.agreement),
            moment,
            judging.engine,
            judging.strict,
            open_from,
        )
        found = self._evaluations.get(key)
        if found is None or found[0][0] is not tickets or found[0][1] is not judging.agreement:
            found = (
                (tickets, judging.agreement),
                judging.evaluate_clocks(moment)
                if open_from is None
                else judging.evaluate_open(moment, open_from),
            )
            self._evaluations[key] = found
        return found[1]


@dataclass
class Judging:
    """What judging needs besides the objective and span: the agreement, its evidence and
    calendars, the tier, the instant judged at (None: each span at its own end, with all the
    evidence) and the clock engine. Clocks are computed once per instant and reused.

    ``whole`` is all the evidence when ``data`` is one provider's part of it: what the evidence
    covers, and which kinds of record it holds at all, are the whole evidence's. ``strict``:
    a field the clock rules read that no ticket carries is an error (files); the live service,
    whose evidence is still arriving, judges such tickets out of scope."""

    agreement: Agreement
    data: Data
    calendars: Mapping[str, BusinessCalendar]
    tier: str | None = None
    as_of: datetime | None = None
    engine: Literal["auto", "columns", "replay"] = "auto"
    whole: Data | None = None
    strict: bool = True
    evaluations: dict[datetime, ClockEvaluation] = field(default_factory=dict)
    open_evaluations: dict[tuple[datetime, datetime], ClockEvaluation] = field(default_factory=dict)
    cache: ClockCache | None = None
    """Shared with other reports on the same evidence (see :class:`ClockCache`)."""
    objective_clocks: dict[tuple[int, str], tuple[ClockEvaluation, _ObjectiveClocks]] = field(
        default_factory=dict
    )
    """As :attr:`ClockCache.objective_clocks`, without a cache."""
    asked: set[datetime] = field(default_factory=set)
    """The instants whose clocks were asked for (see :meth:`ClockCache.judged`)."""
    _span: tuple[datetime, datetime] | bool | None = False
    _columns: EventColumns | None = None
    _by_ticket: dict[str, list[TicketEvent]] | None = None
    _replayed: dict[tuple[str, str, datetime], list[Clock]] = field(default_factory=dict)
    _outage_index: OutageIndex | None = None

    def replayed(self, ticket: str, metric: str, moment: datetime) -> list[Clock]:
        """One ticket's clocks of one metric as of ``moment``, by the replay (which keeps each
        clock's stretches), once per ticket, metric and instant: a ticket late on several
        objectives of a metric, or judged in several spans, is replayed once."""
        key = (ticket, metric, moment)
        found = self._replayed.get(key)
        if found is None:
            family = [o for o in self.agreement.objectives if o.metric == metric]
            found = ticket_clocks(self.events_of(ticket), family, self.calendars, moment)
            self._replayed[key] = found
        return found

    def events_of(self, ticket: str) -> list[TicketEvent]:
        """The events of one ticket: a log of events grouped once, when a breach is first
        explained; a log of columns made into events for the tickets asked for only
        (:meth:`fetch`)."""
        self.fetch((ticket,))
        assert self._by_ticket is not None
        return self._by_ticket.get(ticket, [])

    def fetch(self, tickets: Collection[str]) -> None:
        """Have the events of ``tickets`` at hand for :meth:`events_of`: from columns, those
        not fetched yet, made in one pass."""
        if self._by_ticket is None:
            self._by_ticket = {}
            if self.data.ticket_columns is None:
                for event in self.data.tickets:
                    self._by_ticket.setdefault(event.ticket, []).append(event)
                return
        if self.data.ticket_columns is None:
            return
        missing = {t for t in tickets if t not in self._by_ticket}
        if not missing:
            return
        for ticket in missing:
            self._by_ticket[ticket] = []
        for event in self.data.events_of(missing):
            self._by_ticket[event.ticket].append(event)

    def availability(
        self, objective: Objective, start: datetime, end: datetime
    ) -> ServiceAvailability:
        """Time-based availability of the objective over ``[start, end)`` on this judging's
        evidence (:func:`availability_of`, by :attr:`availability_engine`), measured once per
        span for the reports sharing the cache."""
        if self.cache is None:
            return self.availability_measured(objective, start, end)
        return self.cache.availability(self, objective, start, end)

    def availability_window(self, objective: Objective, start: datetime, end: datetime) -> Decimal:
        """The business time (µs) of the objective's window over ``[start, end)``, the
        maintenance excluded as the agreement says: the ``window`` of :meth:`availability`,
        which outages play no part in, measured without them (once per span for the reports
        sharing the cache)."""
        if self.cache is None:
            return self.availability_measured(objective, start, end, window_only=True).window
        return self.cache.availability(self, objective, start, end, window_only=True).window

    def availability_measured(
        self, objective: Objective, start: datetime, end: datetime, window_only: bool = False
    ) -> ServiceAvailability:
        """:meth:`availability` measured (``window_only``: without the outages, see
        :meth:`availability_window`)."""
        outages: Sequence[Outage] | OutageIndex = (
            () if window_only else self.outage_index() or self.data.outages
        )
        return availability_of(
            self.agreement,
            objective,
            self.data,
            self.calendars,
            start,
            end,
            self.availability_engine,
            outages=outages,
        )

    def outage_index(self) -> OutageIndex | None:
        """The evidence's outages indexed by their instants, when there are enough of them for
        picking a span's in columns to pay (None otherwise): built once, and kept in one
        place, the cache when there is one (shared by the reports on the same evidence), else
        this judging."""
        outages = self.data.outages
        if len(outages) <= _INDEXED:
            return None
        if self.cache is not None:
            return self.cache.outages(outages)
        if self._outage_index is None or self._outage_index.outages is not outages:
            self._outage_index = OutageIndex.of(outages)
        return self._outage_index

    @property
    def availability_engine(self) -> Engine:
        """Availability from outages by its reference engine when the clocks are replayed
        (``engine="replay"``: the reference engines throughout), in columns otherwise."""
        return "scalar" if self.engine == "replay" else "columns"

    @property
    def all_evidence(self) -> Data:
        return self.data if self.whole is None else self.whole

    def evidence(self) -> tuple[datetime, datetime] | None:
        if self._span is False:
            self._span = self.all_evidence.span()
        assert self._span is not True
        return self._span

    def reaches(self, start: datetime, end: datetime, through: bool = False) -> bool:
        """Whether the evidence covers any of ``[start, end)`` (``through``: of ``[start,
        end]``, ``end`` being the instant judged at, known then): a declared span is half-open
        like a period; one inferred from the records holds its last record."""
        span = self.evidence()
        if span is None:
            return False
        first, last = span
        began = first <= end if through else first < end
        return began and (last > start if self.data.observed else last >= start)

    def clocks(self, metric: str, moment: datetime) -> list[Clock]:
        """Every clock of the metric's objectives, as of ``moment`` (all ticket objectives are
        evaluated at once, by the engine asked for, and kept for the other metrics)."""
        return [c for c in self.evaluation(moment).clocks if c.metric == metric]

    def evaluation(self, moment: datetime) -> ClockEvaluation:
        """The clocks of every ticket objective as of ``moment``, evaluated once."""
        self.asked.add(moment)
        if moment not in self.evaluations:
            self.evaluations[moment] = (
                self.evaluate_clocks(moment)
                if self.cache is None
                else self.cache.evaluation(self, moment)
            )
        return self.evaluations[moment]

    def open_evaluation(self, instant: datetime, moment: datetime) -> ClockEvaluation:
        """The clocks as of ``instant`` of the tickets that may have one open then, judged from
        the clocks as of ``moment`` (see :func:`accord.core.clocks_batch.open_tickets`): what
        counting the tickets still open at a span's end needs, without evaluating the others.
        Every clock open at ``instant`` is there, as the whole log gives it."""
        key = (instant, moment)
        if key not in self.open_evaluations:
            self.open_evaluations[key] = (
                self.evaluate_open(instant, moment)
                if self.cache is None
                else self.cache.evaluation(self, instant, moment)
            )
        return self.open_evaluations[key]

    def evaluate_open(self, instant: datetime, moment: datetime) -> ClockEvaluation:
        log = self._log()
        base = self.evaluation(moment).batch
        if base is None or base.replayed or not isinstance(log, EventColumns):
            return self.evaluation(instant)  # every ticket, as the clock objects need
        rows = open_rows(log, base.table, to_nanos(instant), to_nanos(moment), base.memo)
        return evaluate_clocks(
            log.of_rows(rows),
            self.agreement.objectives,
            self.calendars,
            instant,
            self.engine,
            require=self.strict,
        )

    def evaluate_clocks(self, moment: datetime) -> ClockEvaluation:
        columns = self.data.ticket_columns
        if columns is not None and self.strict and len(columns.at):
            # the fields the rules read, carried by a row of these columns (as they would be by
            # an event of the log as events); the columns of a log cut at an instant keep
            # the names and values of the rows cut away
            objectives = self.agreement.objectives
            needed = rule_fields(objectives)
            if carried_fields(columns, needed) != set(needed):
                require_fields(objectives, carried_fields(columns))
        return evaluate_clocks(
            self._log(),
            self.agreement.objectives,
            self.calendars,
            moment,
            self.engine,
            require=self.strict,
        )

    def _log(self) -> Sequence[TicketEvent] | EventColumns:
        """The ticket log, as columns built once when the column engine will take it (a report
        evaluates clocks at more than one instant); columns given are taken as they are."""
        if self.data.ticket_columns is not None:
            return self.data.ticket_columns
        if self.engine == "replay" or uncovered(self.agreement.objectives):
            return self.data.tickets
        if self._columns is None:
            self._columns = (
                EventColumns.from_events(self.data.tickets)
                if self.cache is None
                else self.cache.columns(self.data.tickets)
            )
        return self._columns

    def of(self, data: Data) -> Judging:
        """The same judging over one provider's part of the evidence."""
        return Judging(
            self.agreement,
            data,
            self.calendars,
            self.tier,
            self.as_of,
            self.engine,
            self.all_evidence,
            self.strict,
            cache=self.cache,
        )


def target_of(objective: Objective, tier: str | None) -> Decimal | Bound:
    """The objective's target, or its tier's when the tier sets one."""
    override = objective.tiers.get(tier or "")
    if override is not None and override.target is not None:
        return override.target
    return objective.target


def judge_objective(
    judging: Judging,
    objective: Objective,
    start: datetime,
    end: datetime,
    *,
    breaches: bool = True,
) -> ObjectiveResult:
    """The objective over ``[start, end)``: its figure, or why there is none (judged once for
    the reports sharing the judging's cache). ``breaches=False``: for a caller that counts
    misses only (the figure, status and verdict are the same; a ticket objective judged in
    columns may then leave its breaches out)."""
    if judging.cache is not None:
        return judging.cache.judged(judging, objective, start, end, breaches)
    return _judge_objective(judging, objective, start, end, breaches)


def _judge_objective(
    judging: Judging, objective: Objective, start: datetime, end: datetime, with_breaches: bool
) -> ObjectiveResult:
    agreement, tier = judging.agreement, judging.tier
    target = target_of(objective, tier)
    shown = format_target(target)
    name = objective.name or objective.id
    blank = ObjectiveResult(objective.id, name, objective.metric, shown, None, None, None, "")
    first, last = in_force_span(agreement, start, end)
    if last <= first:
        ended = agreement.terminated
        return replace(
            blank,
            status="not in force",
            detail=f"the agreement is not in force from {start:%Y-%m-%d} to {end:%Y-%m-%d}"
            + (
                f": it was terminated at {ended.isoformat()}"
                if ended is not None and ended <= start
                else ""
            ),
        )
    moment = judging.as_of
    if moment is not None and moment < first:
        return replace(
            blank,
            status="no data",
            detail=f"nothing known of it: judged at {moment.isoformat()}, before it begins "
            f"({first.isoformat()})",
        )
    cut = last if moment is None else min(last, moment)
    # judged to date at an instant inside the span: what happened at that very instant is
    # known then (a ticket resolved at it is resolved, as ``accord clocks --as-of`` has it);
    # a span over by then stays half-open, its end instant belonging to the next span
    through = moment is not None and cut == moment < last
    evidence = judging.evidence()
    if not judging.reaches(first, cut, through):
        covered = (
            "there is no evidence at all"
            if evidence is None
            else f"the evidence covers {evidence[0].isoformat()} to {evidence[1].isoformat()}"
        )
        return replace(
            blank,
            status="no data",
            detail=f"no data from {first.isoformat()} to {cut.isoformat()}: {covered}",
            judged_from=first,
            judged_until=cut,
        )
    notes = []
    if first > start:
        notes.append(f"in force from {first:%Y-%m-%d}")
    observed = judging.data.observed
    if observed is not None:  # a declared span: nothing outside it was watched
        if observed[0] > first:
            first = observed[0]
            notes.append(f"observed from {first.isoformat()}")
        if observed[1] < cut:
            cut = observed[1]
            through = False
            notes.append(f"observed until {cut.isoformat()}")
    result = _measure(
        judging,
        objective,
        target,
        replace(blank, judged_from=first),
        first,
        cut,
        (start, last),
        with_breaches,
        through,
    )
    if cut < end and cut == last:
        notes.append(f"in force until {last:%Y-%m-%d}")
    elif cut < last and moment is not None and cut == moment:
        notes.append(f"to date: judged until {cut.isoformat()}")
    status: Status = "to date" if cut < last or result.status == "to date" else "final"
    if result.actual is None and result.status != "to date":
        status = "no data"
    detail = result.detail + (f" ({'; '.join(notes)})" if notes else "")
    return replace(result, status=status, detail=detail, judged_from=first, judged_until=cut)


def _measure(
    judging: Judging,
    objective: Objective,
    target: Decimal | Bound,
    blank: ObjectiveResult,
    start: datetime,
    end: datetime,
    period: tuple[datetime, datetime],
    with_breaches: bool = True,
    through: bool = False,
) -> ObjectiveResult:
    """The figure over ``[start, end)``, a span the agreement is in force over and the
    evidence reaches into (``period``: the report's span, from its start to where it would end
    were it judged whole; ``with_breaches``: see :func:`judge_objective`). ``through``: ``end``
    is the instant judged at, inside the period: records at that very instant (a ticket's
    verdict or start, a measurement) count, as they are known then; time is still measured
    up to ``end``."""
    # records at an instant are counted in [start, counted_until): to the microsecond, as
    # every instant is, [start, end] when ``through``
    counted_until = end + _MICROSECOND if through else end
    agreement, data, calendars = judging.agreement, judging.data, judging.calendars
    metric = objective.metric
    whole = judging.all_evidence
    if metric == "availability" and end <= start:
        # judged at the span's very first instant: events at it are known, but no time of it
        # has passed, and a share of no time is no figure (not 100%)
        return replace(blank, detail=f"no time of it has passed at {end.isoformat()}")
    if metric == "availability" and objective.method == "slices" and not whole.probes:
        return replace(blank, detail="no probe in the evidence: availability by probes unknown")
    unwatched = whole.observed is None and not whole.outages and not whole.maintenance
    if metric == "availability" and objective.method == "time" and unwatched:
        # without a declared span, no outage log at all is not a log without outages
        return replace(
            blank,
            detail="no outage or maintenance record in the evidence; declare the span it "
            "covers (a data folder's coverage.yaml) to say the services were watched",
        )
    if metric == "availability" and objective.method != "time":
        actual, detail, sliced = _measured(agreement, objective, data, calendars, start, end)
        if actual is None:
            return replace(blank, detail=detail)
        judged = _percent_result(blank, target, actual, detail, ())
        if sliced is not None and isinstance(target, Decimal):
            # the budget in slices: the share of counted slices the target lets go down
            allowed = Decimal(sliced.counted) * (_HUNDRED - target) / _HUNDRED
            judged = replace(
                judged,
                budget=timedelta(microseconds=int(allowed * (sliced.slice // _MICROSECOND))),
                downtime=sliced.downtime,
            )
            if end < period[1] and end == judging.as_of:
                judged = _probed_at_least(
                    judging, objective, target, judged, sliced, start, end, period[1]
                )
        return judged
    if metric == "availability":
        result = judging.availability(objective, start, end)
        breaches = tuple(
            Breach(
                objective.id,
                d.start,
                d.end,
                f"{d.start.isoformat()} - {d.end.isoformat()}: {d.reason}"
                + (f" (weight {d.weight})" if d.weight != 1 else "")
                + (
                    f" ({format_timedelta(d.business)} of it in the window)"
                    if d.business != d.end - d.start
                    else ""
                ),
                item=d.item,
                service=d.service,
                cause=d.cause,
                weight=d.weight,
                business=d.business,
            )
            for d in result.intervals
            if d.business > timedelta(0)  # outside the window it breaches nothing
        )
        downtime = span_of(result.downtime)
        detail = (
            f"{format_timedelta(span_of(result.window))} in window, "
            f"{format_timedelta(downtime)} down, "
            f"{format_timedelta(span_of(result.excluded))} excluded"
            + _incidents_text(result.incidents)
            + (f"; {result.how}" if result.how else "")
        )
        judged = _percent_result(blank, target, result.percent, detail, breaches)
        runs = result.incidents
        judged = replace(
            judged,
            incidents=runs.count,
            time_to_recover=runs.time_to_recover,
            time_between_failures=runs.time_between_failures,
        )
        if isinstance(target, Decimal):
            allowed = result.window * (_HUNDRED - target) / _HUNDRED
            judged = replace(judged, budget=span_of(allowed), downtime=downtime)
            if end < period[1] and end == judging.as_of:
                judged = _at_least(judging, objective, target, judged, result, start, period[1])
        return judged
    if metric in TICKET_METRICS:
        return _tickets(judging, objective, target, blank, start, end, with_breaches, through)
    source = objective.source or objective.id
    whole = judging.all_evidence
    if whole.observed is None and not any(m.source == source for m in whole.measurements):
        # without a declared span, a source absent from the evidence was not recorded at all
        sources = ", ".join(sorted({m.source for m in whole.measurements})) or "none"
        return replace(
            blank, detail=f"no measurement of {source} in the evidence (sources there: {sources})"
        )
    if metric == "count" and objective.period.kind != "rolling":
        return _counts(judging, objective, target, blank, start, counted_until, period)
    if metric == "deliverable":
        return _deliverable(judging, objective, target, blank, start, end, period)
    found = measured(objective, data, start, counted_until)
    if metric == "count":
        actual = Decimal(len(found))
        met = target.holds(actual) if isinstance(target, Bound) else None
        detail = f"{len(found)} {objective.source or 'items'} in the period"
        return replace(blank, actual=actual, met=met, detail=detail)
    if metric == "throughput":
        values = sorted(
            _number(m, objective.field, source)
            for m in found
            if objective.field and m.fields.get(objective.field) not in (None, "")
        )
        if not values:
            return replace(blank, detail="no measurement this period")
        actual = _statistic(values, objective.statistic or "mean")
        met = target.holds(actual) if isinstance(target, Bound) else None
        detail = f"{objective.statistic} of {len(values)} measurements"
        return replace(blank, actual=actual, met=met, detail=detail)
    # first-contact resolution
    key = objective.field or "first_contact"
    resolved = [m for m in found if key in m.fields]
    if not resolved:
        return replace(blank, detail="no contact this period")
    first = sum(1 for m in resolved if _yes(m, key, source))
    actual = Decimal(first) / Decimal(len(resolved)) * _HUNDRED
    detail = f"{first} of {len(resolved)} resolved at first contact"
    return _percent_result(blank, target, actual, detail, ())


def _at_least(
    judging: Judging,
    objective: Objective,
    target: Decimal,
    judged: ObjectiveResult,
    found: ServiceAvailability,
    start: datetime,
    end: datetime,
) -> ObjectiveResult:
    """An open period of time-based availability judged to date (``judged``, ``found``: over
    its elapsed part, from ``start``; ``end``: where the period ends): downtime only grows, so
    the period ends at least at its downtime so far over the whole period's window (the
    maintenance known so far left out); the verdict and the margin are of that floor, the
    figure over the elapsed part kept as the pace, and the whole period's budget beside the
    elapsed part's. A miss to date is then certain, and a credit to date can only grow."""
    whole = judging.availability_window(objective, start, end)
    # the rest of the period only adds window (maintenance excluded in it lies in it too); a
    # whole window below the elapsed one would print a floor above the figure: refuse it,
    # whatever the interpreter's flags (an assert is gone under python -O)
    if whole < found.window:
        raise JudgingError(
            f"objective {objective.id!r}: the window of the whole period from {start.isoformat()}"
            f" to {end.isoformat()} ({format_timedelta(span_of(whole))}) is shorter than that"
            f" of its part elapsed ({format_timedelta(span_of(found.window))}); the floor to"
            " date cannot be judged"
        )
    return _floored(judged, target, whole, found.downtime, found.percent)


def _floored(
    judged: ObjectiveResult, target: Decimal, whole: Decimal, downtime: Decimal, pace: Decimal
) -> ObjectiveResult:
    """``judged`` to date judged by the least its period ends at: ``downtime`` so far (µs)
    over ``whole``, the whole period's window (µs); ``pace``: the figure over the part
    elapsed. Unchanged without a window."""
    if whole <= 0:
        return judged
    least = (whole - downtime) / whole * _HUNDRED
    note = (
        f"; to date: at least {least:.3f}% by the period's end if nothing else goes down "
        f"({pace:.3f}% over the part elapsed)"
    )
    return replace(
        judged,
        actual=least,
        met=least >= target,
        margin=least - target,
        pace=pace,
        period_budget=span_of(whole * (_HUNDRED - target) / _HUNDRED),
        detail=judged.detail + note,
    )


def _probed_at_least(
    judging: Judging,
    objective: Objective,
    target: Decimal,
    judged: ObjectiveResult,
    sliced: SliceAvailability,
    start: datetime,
    end: datetime,
    period_end: datetime,
) -> ObjectiveResult:
    """:func:`_at_least` for an open period judged by probes (``sliced``: its slices from
    ``start`` to ``end``, the instant judged at; ``period_end``: where the period ends). The
    whole period's window is the slices counted so far and the objective's window from the
    end of the last of them to the period's end, the maintenance known so far left out as by
    time (the slices so far leave out those in excused maintenance, and the maintenance
    announced for the rest of the period does not count towards the budget); the downtime so
    far (the down slices) over it is the least the period ends at, the whole period's budget
    the target's share of it, the figure over the slices so far the pace. As by time, what is
    left to spare is then the whole period's. The rest's window is the whole period's less
    the part's so far, both from ``start``: the maintenance allowance the slices so far used
    is not granted again for the rest."""
    step = sliced.slice // _MICROSECOND
    slices_end = start + sliced.slice * -(-(end - start) // sliced.slice)
    rest = (
        judging.availability_window(objective, start, period_end)
        - judging.availability_window(objective, start, slices_end)
        if slices_end < period_end
        else Decimal(0)
    )
    whole = Decimal(sliced.counted * step) + rest
    elapsed = judged.actual
    assert elapsed is not None
    return _floored(judged, target, whole, Decimal(sliced.down * step), elapsed)


_YES = ("true", "yes", "y", "t", "1")
_NO = ("false", "no", "n", "f", "0")


def _yes(measurement: Measurement, key: str, source: str) -> bool:
    """A yes/no field of a measurement; any other value is an error naming it."""
    value = measurement.fields[key].strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise JudgingError(
        f"measurement of {source} at {measurement.at.isoformat()}: field {key!r} is "
        f"{measurement.fields[key]!r}; expected one of {', '.join(_YES)} or {', '.join(_NO)}"
    )


def measured(objective: Objective, data: Data, start: datetime, end: datetime) -> list[Measurement]:
    """The measurements of the objective's source in ``[start, end)`` that its ``where``
    filters and its ``scope`` (field values, e.g. a service) keep."""
    source = objective.source or objective.id
    return [
        m
        for m in data.measurements
        if m.source == source
        and start <= m.at < end
        and all(
            _condition(m.fields.get(k), v, f"measurement of {source} at {m.at.isoformat()}: {k}")
            for k, v in objective.where.items()
        )
        and all(m.fields.get(k) in values for k, values in objective.scope.items())
    ]


def _number(measurement: Measurement, key: str, source: str) -> Decimal:
    """A measured number; any other value is an error naming the record and field."""
    text = measurement.fields[key]
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise JudgingError(
            f"measurement of {source} at {measurement.at.isoformat()}: field {key!r} is "
            f"{text!r}; expected a number"
        )
    return value


def reads_from(objective: Objective, start: datetime) -> datetime:
    """The earliest instant :func:`judge_objective` reads evidence from when it judges the
    objective over a span beginning at ``start`` (a store loads evidence from there): the
    span itself, but a count promised per period counts the whole period holding ``start``,
    and a deliverable's first period takes deliveries from the previous period's due day.
    Outages and maintenance are read where they overlap the span: one that began earlier is
    clipped to it."""
    if objective.metric == "count" and objective.period.kind != "rolling":
        return enclosing(start, objective.period.kind)[0]
    if objective.metric == "deliverable":
        kind = "month" if objective.period.kind == "rolling" else objective.period.kind
        return enclosing(enclosing(start, kind)[0] - _MICROSECOND, kind)[0]
    return start


def _own_periods(kind: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The objective's own calendar periods that end in ``(start, end]``, whole."""
    found = []
    first = enclosing(start, kind)[0]
    while first < end:
        after = enclosing(first, kind)[1]
        if start < after <= end:
            found.append((first, after))
        first = after
    return found


def _counts(
    judging: Judging,
    objective: Objective,
    target: Decimal | Bound,
    blank: ObjectiveResult,
    start: datetime,
    end: datetime,
    period: tuple[datetime, datetime],
) -> ObjectiveResult:
    """A count promised per period (a month, a week, a quarter), judged over its own whole
    periods that end in the report: each on its own; met when every one is; the figure is the
    binding period's count (the lowest against an 'at least', the highest against an 'at most',
    the first one missed against 'exactly'). A period only partly observed, or partly in force,
    is not judged; one not over at the instant judged at is counted so far (to date); one that
    ends after the report is counted so far and judged in the report holding its end."""
    assert isinstance(target, Bound)
    kind = objective.period.kind
    data = judging.data
    whole = _own_periods(kind, period[0], period[1])
    if not whole:  # the report lies inside one of the objective's periods
        first, after = enclosing(period[1] - _MICROSECOND, kind)
        so_far = len(measured(objective, data, max(first, start), end))
        return replace(
            blank,
            status="to date",
            detail=f"counted per {kind}: {period_label(first, kind)} ends {after.isoformat()}, "
            f"judged in the report holding its end; {so_far} so far",
        )
    counts: list[tuple[datetime, Decimal]] = []
    lines, pending = [], False
    observed = judging.all_evidence.observed
    for first, after in whole:
        begins = in_force_span(judging.agreement, first, after)[0]
        if begins > first or (observed is not None and observed[0] > first):
            lines.append(f"{period_label(first, kind)}: not wholly observed or in force")
            continue
        number = Decimal(len(measured(objective, data, first, min(after, end))))
        if after > end:
            pending = True
            lines.append(f"{period_label(first, kind)}: {number} so far")
        else:
            lines.append(f"{period_label(first, kind)}: {number}")
        counts.append((first, number))
    detail = "; ".join(lines)
    if not counts:
        return replace(blank, detail=detail)
    missed = [(a, c) for a, c in counts if not target.holds(c)]
    if target.comparator == "==":
        binding = missed[0] if missed else counts[0]
    else:
        pick = max if target.comparator in ("<", "<=") else min
        binding = pick(counts, key=lambda item: item[1])
    if len(counts) > 1:
        detail = (
            f"{len(counts) - len(missed)} of {len(counts)} {kind}s met; the binding one "
            f"{period_label(binding[0], kind)} with {binding[1]} ({detail})"
        )
    else:
        detail = f"{binding[1]} {objective.source or 'items'} in the {kind}" + (
            " so far" if pending else ""
        )
    result = replace(blank, actual=binding[1], met=not missed, detail=detail)
    return replace(result, status="to date") if pending else result


def _due(calendar: BusinessCalendar, period_start: datetime, day: int) -> datetime:
    """The end of the N-th business day from a period's start: the close of its business
    hours, or its local midnight when it is open till then (an always-open calendar)."""
    opening = calendar.next_open(period_start)
    due_day = calendar.add_days(opening, day - 1) if day > 1 else opening
    local = due_day.astimezone(calendar.zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), calendar.zone)
    close = calendar.next_close(due_day)
    return midnight if close is None else min(close, midnight)


def _deliverable(
    judging: Judging,
    objective: Objective,
    target: Decimal | Bound,
    blank: ObjectiveResult,
    start: datetime,
    end: datetime,
    period: tuple[datetime, datetime],
) -> ObjectiveResult:
    """Delivered by the N-th business day of each of the objective's periods that begins in
    the report: a delivery counts for the period whose window (after the previous period's due
    instant, up to its own) holds it, even when the due instant comes after the period's end;
    a due instant not yet passed at the instant judged at (or past the end of the evidence) is
    pending, one outside the agreement's dates or the evidence's span is not judged. The figure
    is the share of periods delivered on time."""
    calendar = judging.calendars[objective.calendar]
    day = int(re.match(r"\d+", objective.due or "1").group(0))  # type: ignore[union-attr]
    kind = "month" if objective.period.kind == "rolling" else objective.period.kind
    evidence = judging.evidence()
    known = [m for m in (judging.as_of, evidence[1] if evidence else None) if m is not None]
    moment = min(known) if known else None
    in_force_end = in_force_span(judging.agreement, start, datetime.max.replace(tzinfo=UTC))[1]
    judged: list[bool] = []
    pending, lines = 0, []
    first = enclosing(period[0], kind)[0]
    while first < period[1]:
        following = enclosing(first, kind)[1]
        if first < period[0]:  # it began before the report: judged in the report it began in
            first = following
            continue
        due = _due(calendar, first, day)
        label = f"{period_label(first, kind)} due {due.isoformat()}"
        if not start <= due < in_force_end:
            lines.append(f"{label}: not judged, outside the agreement's dates or the evidence")
        else:
            earlier = _due(calendar, enclosing(first - _MICROSECOND, kind)[0], day)
            window = measured(objective, judging.data, earlier + _MICROSECOND, due + _MICROSECOND)
            if window:
                judged.append(True)
                lines.append(f"{label}: delivered {window[0].at.isoformat()}")
            elif moment is not None and due > moment:
                pending += 1
                lines.append(f"{label}: not delivered yet")
            else:
                judged.append(False)
                lines.append(f"{label}: not delivered by then")
        first = following
    detail = "; ".join(lines) or "no due day in the span judged"
    if not judged:
        return replace(blank, status="to date" if pending else "no data", detail=detail)
    actual = Decimal(sum(judged)) / Decimal(len(judged)) * _HUNDRED
    result = _percent_result(blank, target, actual, detail, ())
    return replace(result, status="to date") if pending else result


def verdict_at(clock: Clock) -> datetime | None:
    """When a clock's verdict was reached: met when it stopped in time, breached when its
    deadline passed (stopped or not); None while it is open and in time."""
    if clock.state == "breached":
        return clock.breached_at or clock.stopped_at
    if clock.state == "met":
        return clock.stopped_at
    return None


def _tickets(
    judging: Judging,
    objective: Objective,
    target: Decimal | Bound,
    blank: ObjectiveResult,
    start: datetime,
    end: datetime,
    with_breaches: bool = True,
    through: bool = False,
) -> ObjectiveResult:
    """A ticket objective over ``[start, end)``: the clocks whose verdict falls in it (or that
    started in it, with ``count_in: created``), judged as of the instant judged at (without
    ``with_breaches``, in columns: the same figure, its breaches left out). ``through``:
    ``end`` is that instant, and a verdict (or start) at it counts too."""
    moment = judging.as_of if judging.as_of is not None else end
    counted_until = end + _MICROSECOND if through else end
    in_columns = _in_columns(judging, objective, moment)
    at_end_columns = in_columns
    if moment != end and in_columns is not None and objective.count_in == "resolved":
        # the tickets open at the end: evaluated there, only those that may be open then
        at_end_columns = _in_columns(judging, objective, end, open_from=moment)
    if in_columns is not None and (objective.count_in == "created" or at_end_columns is not None):
        return _tickets_in_columns(
            judging,
            objective,
            target,
            blank,
            start,
            end,
            moment,
            in_columns,
            at_end_columns,
            with_breaches,
            counted_until,
        )
    mine = [
        c
        for c in judging.clocks(objective.metric, moment)
        if c.objective == objective.id and _kept(c, objective)
    ]
    if objective.count_in == "created":
        started = [
            c for c in mine if c.started_at is not None and start <= c.started_at < counted_until
        ]
        counted = [c for c in started if c.state in ("met", "breached")]
        still_open = [c for c in started if c.stopped_at is None and c.state != "cancelled"]
        open_at = moment
    else:
        counted = [
            c for c in mine if (v := verdict_at(c)) is not None and start <= v < counted_until
        ]
        at_end = mine if moment == end else judging.clocks(objective.metric, end)
        still_open = [
            c
            for c in at_end
            if c.objective == objective.id
            and _kept(c, objective)
            and c.stopped_at is None
            and c.state in ("running", "paused", "breached")
        ]
        open_at = end
    share = warning_share(judging.agreement, objective)
    at_risk = [c for c in still_open if of_clock(c, share).at_risk]
    met = sum(1 for c in counted if c.state == "met")
    breached = len(counted) - met
    counts = TicketCounts(
        objective.count_in,
        met,
        breached,
        len(still_open),
        sum(1 for c in still_open if c.state == "breached"),
        len(at_risk),
        open_at,
        share,
    )
    if not counted:
        return _no_ticket_counted(judging, objective, blank, counts, bool(mine))
    breaches = tuple(
        _ticket_breach(
            objective,
            c.ticket,
            c.used,
            c.target,
            (c.started_at, c.stopped_at, c.breached_at),
            c.fields.get("service", ""),
            end,
        )
        for c in counted
        if c.state == "breached"
    )
    return _tickets_counted(blank, target, counts, breaches)


_NAT = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STATE = {name: code for code, name in enumerate(STATES)}


_SPANS_BY_MASK = 16
"""Spans counted on one objective's clocks by a mask over them before they are sorted by
instant (a mask is cheaper than a sort for the months of a year's trend)."""


@dataclass
class _ObjectiveClocks:
    """One objective's clocks in a column evaluation's table (its rows), with the instant of
    each one's verdict (or start), worked out once and kept for every span counted on the same
    evaluation (a report's termination months, a trend's months): the clocks counted in a
    span are picked by a mask over those instants, or, once many spans have been asked for, a
    slice of them sorted."""

    batch: BatchResult
    rows: npt.NDArray[np.int64]
    _by: dict[str, list[Any]] = field(default_factory=dict)

    def within(self, key: Literal["verdict", "started"], start: datetime, end: datetime) -> Any:
        """The rows whose verdict (``key``: or start) falls in ``[start, end)``, to the
        microsecond as a clock's instants are (in the order of the table or of that instant:
        counting and the breaches, sorted by ticket, do not depend on it)."""
        if key not in self._by:
            table, rows = self.batch.table, self.rows
            if key == "started":
                instant = table.started[rows]
            else:  # met when stopped in time, breached when the deadline passed
                state, stopped, breached_at = (
                    table.state[rows],
                    table.stopped[rows],
                    table.breached[rows],
                )
                instant = np.where(
                    state == _STATE["breached"],
                    np.where(breached_at != _NAT, breached_at, stopped),
                    np.where(state == _STATE["met"], stopped, _NAT),
                )
            some = instant != _NAT
            self._by[key] = [rows[some], instant[some] // 1000, False, 0]
        entry = self._by[key]
        low, high = to_nanos(start) // 1000, to_nanos(end) // 1000
        entry[3] += 1
        if not entry[2] and entry[3] > _SPANS_BY_MASK:
            order = np.argsort(entry[1], kind="stable")
            entry[:3] = [entry[0][order], entry[1][order], True]
        found_rows, micros, in_order = entry[0], entry[1], entry[2]
        if in_order:
            first, last = np.searchsorted(micros, [low, high])
            return found_rows[first:last]
        return found_rows[(micros >= low) & (micros < high)]


def _in_columns(
    judging: Judging, objective: Objective, moment: datetime, open_from: datetime | None = None
) -> _ObjectiveClocks | None:
    """The objective's clocks as of ``moment`` as rows of the column engine's table; None when
    they are not all there (the replay ran, or replayed some clocks of the metric) or the
    objective filters tickets with ``where`` (judged clock by clock). With ``open_from`` (an
    instant the clocks were evaluated at): only those of the tickets that may be open at
    ``moment`` (see :meth:`Judging.open_evaluation`), enough to count the open ones."""
    if objective.where:
        return None
    evaluation = (
        judging.evaluation(moment)
        if open_from is None
        else judging.open_evaluation(moment, open_from)
    )
    batch = evaluation.batch
    if batch is None or any(c.metric == objective.metric for c in batch.replayed):
        return None
    kept = judging.objective_clocks if judging.cache is None else judging.cache.objective_clocks
    found = kept.get((id(evaluation), objective.id))
    if found is None or found[0] is not evaluation:
        codes = [i for i, o in enumerate(batch.objectives) if o.id == objective.id]
        rows = np.flatnonzero(np.isin(batch.table.objective, codes)).astype(np.int64)
        found = (evaluation, _ObjectiveClocks(batch, rows))
        kept[(id(evaluation), objective.id)] = found
    return found[1]


def _tickets_in_columns(
    judging: Judging,
    objective: Objective,
    target: Decimal | Bound,
    blank: ObjectiveResult,
    start: datetime,
    end: datetime,
    moment: datetime,
    mine: _ObjectiveClocks,
    at_end: _ObjectiveClocks | None,
    with_breaches: bool = True,
    counted_until: datetime | None = None,
) -> ObjectiveResult:
    """:func:`_tickets` on the column engine's table: the same counts, figure and breaches,
    with a Python object only for each breach and each clock still open (verdicts and starts
    counted in ``[start, counted_until)``, by default ``[start, end)``)."""
    counted_until = end if counted_until is None else counted_until
    batch = mine.batch
    table = batch.table
    met_code, breached_code = _STATE["met"], _STATE["breached"]
    if objective.count_in == "created":
        began = mine.within("started", start, counted_until)
        state = table.state[began]
        counted = began[(state == met_code) | (state == breached_code)]
        open_batch = batch
        open_rows = began[(table.stopped[began] == _NAT) & (state != _STATE["cancelled"])]
        open_at = moment
    else:
        counted = mine.within("verdict", start, counted_until)
        assert at_end is not None
        open_batch, end_rows = at_end.batch, at_end.rows
        open_table = open_batch.table
        running = [_STATE["running"], _STATE["paused"], breached_code]
        open_rows = end_rows[
            (open_table.stopped[end_rows] == _NAT) & np.isin(open_table.state[end_rows], running)
        ]
        open_at = end
    share = warning_share(judging.agreement, objective)
    open_state = open_batch.table.state[open_rows]
    at_risk = at_risk_count(
        np.isin(open_state, [met_code, breached_code, _STATE["cancelled"]]),
        open_batch.table.used[open_rows],
        open_batch.table.target[open_rows],
        share,
    )
    counted_state = table.state[counted]
    met = int(np.count_nonzero(counted_state == met_code))
    total = len(counted)
    counts = TicketCounts(
        objective.count_in,
        met,
        total - met,
        len(open_rows),
        int(np.count_nonzero(open_state == breached_code)),
        at_risk,
        open_at,
        share,
    )
    if not total:
        return _no_ticket_counted(judging, objective, blank, counts, bool(len(mine.rows)))
    if not with_breaches:
        return _tickets_counted(blank, target, counts, ())
    missed = counted[counted_state == breached_code]
    return _tickets_counted(blank, target, counts, _lazy_breaches(objective, batch, missed, end))


def _lazy_breaches(
    objective: Objective, batch: BatchResult, missed: Any, end: datetime
) -> Breaches:
    """The breaches of the given rows of the table, by ticket and cycle, made when first read
    (from the rows' own columns, taken now: the table is not kept for them)."""
    table = batch.table
    columns = [
        column[missed]
        for column in (
            table.ticket,
            table.cycle,
            table.used,
            table.target,
            table.started,
            table.stopped,
            table.breached,
        )
    ]
    batch.field_of("service", missed[:0])  # each clock's service, worked out once a table
    service = batch.filled.get("service")
    services = None if service is None else (service[0][missed], service[1])
    tickets = batch.tickets
    arranged: list[tuple[list[str], list[int]]] = []

    def order() -> tuple[list[str], list[int]]:
        """The breaches' names and rows, by ticket and cycle."""
        if not arranged:
            names = _names(tickets, columns[0].tolist())
            keys = list(zip(names, columns[1].tolist(), strict=True))
            rows = sorted(range(len(names)), key=keys.__getitem__)
            arranged.append(([names[i] for i in rows], rows))
        return arranged[0]

    def pick(places: list[int]) -> list[Breach]:
        names, rows = order()
        taken = [rows[p] for p in places]
        used, limit, started, stopped, passed = (column[taken] for column in columns[2:])
        return list(
            _ticket_breaches(
                objective,
                [names[p] for p in places],
                used,
                limit,
                started,
                stopped,
                passed,
                _services(services, taken),
                end,
            )
        )

    def make() -> tuple[Breach, ...]:
        return tuple(pick(list(range(len(missed)))))

    def costs() -> Any:  # a clock's breach: its business time used, weight 1
        return columns[2][order()[1]] // 1000

    return Breaches(len(missed), make, costs, pick)


def _names(tickets: Sequence[str], codes: list[int]) -> list[str]:
    """The tickets of the given codes (all at once when the names offer it: a reader's
    names not yet made Python strings)."""
    taken = getattr(tickets, "taken", None)
    return list(taken(codes)) if taken is not None else [tickets[code] for code in codes]


def _services(services: tuple[Any, Sequence[str]] | None, order: list[int]) -> list[str | None]:
    """The services (codes into a vocabulary; None: the log has no service field) in the order
    given (None: not set)."""
    if services is None:
        return [None] * len(order)
    codes, vocabulary = services
    return [vocabulary[code] if code >= 0 else None for code in codes[order].tolist()]


def _ticket_breaches(
    objective: Objective,
    names: list[str],
    used_ns: Any,
    limit_ns: Any,
    started_ns: Any,
    stopped_ns: Any,
    passed_ns: Any,
    services: list[str | None],
    end: datetime,
) -> tuple[Breach, ...]:
    """:func:`_ticket_breach` of each breached clock of a column table (its columns given, row
    by row), a column at a time: the same breaches, each value made by numpy where it can."""
    used = used_ns // 1000
    limits = {
        limit: _limit(objective, timedelta(microseconds=limit))
        for limit in distinct_codes(limit_ns // 1000).tolist()
    }
    limit_texts = [limits[limit] for limit in (limit_ns // 1000).tolist()]
    started, stopped, passed = (_moments(c) for c in (started_ns, stopped_ns, passed_ns))
    return tuple(
        Breach(
            objective.id,
            began or deadline or end,
            stop,
            _breach_text(name, used_text, limit_text, deadline, stop),
            item=name,
            service=service or "",
            business=span,
            breached_at=deadline,
            allowed=allowed,
            allowed_text=limit_text,
        )
        for name, span, used_text, allowed, limit_text, began, stop, deadline, service in zip(
            names,
            _spans(used),
            _durations(used),
            _spans(limit_ns // 1000),
            limit_texts,
            started,
            stopped,
            passed,
            services,
            strict=True,
        )
    )


def _spans(micros: Any) -> list[timedelta]:
    """Microseconds as durations (made by numpy)."""
    found: list[timedelta] = micros.astype("timedelta64[us]").astype(object).tolist()
    return found


def _moments(nanos: Any) -> list[datetime | None]:
    """A table's nanoseconds as the clocks' instants (UTC, to the microsecond; None: NaT)."""
    some = nanos != _NAT
    moments = list(map(_EPOCH.__add__, _spans(nanos[some] // 1000)))
    if bool(some.all()):
        return list(moments)
    found: list[datetime | None] = [None] * len(nanos)
    for row, moment in zip(np.flatnonzero(some).tolist(), moments, strict=True):
        found[row] = moment
    return found


def _durations(micros: Any) -> list[str]:
    """:func:`format_timedelta` of each duration in microseconds (hours, minutes, seconds of
    the whole seconds toward zero), the arithmetic in numpy."""
    seconds = np.where(micros < 0, -(-micros // 1_000_000), micros // 1_000_000)
    hours, rest = np.divmod(seconds, 3600)
    minutes, rest = np.divmod(rest, 60)
    return [
        ((f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s else "")) or "0m"
        for h, m, s in zip(hours.tolist(), minutes.tolist(), rest.tolist(), strict=True)
    ]


_KINDS = {"status": 0, "team": 1, "assignee": 2, "paused": 3}


def consumption(clock: Clock) -> tuple[Consumed, ...]:
    """Where a clock's time went: its running business time by status, team and assignee
    (each field some stretch of the clock carries), and its paused business time by reason;
    by kind, most expensive first."""
    carried = {name for i in clock.intervals for name in i.fields if name in EXPLAINED_FIELDS}
    found: dict[tuple[str, str], timedelta] = {}
    for interval in clock.why():
        for name in carried:
            key = (name, interval.fields.get(name, ""))
            found[key] = found.get(key, timedelta(0)) + interval.business
    for reason, spent in clock.paused_by.items():
        found[("paused", reason)] = found.get(("paused", reason), timedelta(0)) + spent
    ranked = sorted(found.items(), key=lambda item: (_KINDS[item[0][0]], -item[1], item[0][1]))
    return tuple(
        Consumed(kind, value, spent)  # type: ignore[arg-type]
        for (kind, value), spent in ranked
        if spent > timedelta(0)
    )


def costliest(breaches: Sequence[Breach], count: int) -> list[int]:
    """The places of the ``count`` breaches that cost most business time (weighted), in
    their order; all of them when there are no more than ``count``."""
    if len(breaches) <= count:
        return list(range(len(breaches)))
    if isinstance(breaches, Breaches):
        found = breaches.costliest(count)
        if found is not None:
            return found

    def cost(index: int) -> tuple[timedelta, int]:
        b = breaches[index]
        spent = b.business or timedelta(0)
        return (spent * float(b.weight) if b.weight != 1 else spent), -index

    return sorted(sorted(range(len(breaches)), key=cost, reverse=True)[:count])


def explained(
    judging: Judging, result: ObjectiveResult, moment: datetime, count: int | None = EXPLAINED
) -> ObjectiveResult:
    """A ticket objective's result with its costliest ``count`` breaches (None: every one)
    saying where their clocks' time went (:func:`consumption`), their clocks as of ``moment``
    (the instant they were judged at). The column engine keeps no stretches of a clock: each
    breached ticket is replayed, once per metric and instant."""
    if result.metric not in TICKET_METRICS or not result.breaches:
        return result
    breaches = result.breaches
    chosen: list[set[int]] = []

    def explain(breach: Breach) -> Breach:
        replayed = [
            c
            for c in judging.replayed(breach.item, result.metric, moment)
            if c.objective == breach.objective and c.state == "breached"
        ]
        clock = next((c for c in replayed if c.started_at == breach.start), None)
        if clock is None and replayed:
            clock = max(replayed, key=lambda c: c.used)
        if clock is None:
            return breach
        return replace(breach, consumed=consumption(clock), explained=True)

    def pick(places: list[int]) -> list[Breach]:
        if not chosen:  # the costliest, their tickets' events fetched at once
            chosen.append(set(costliest(breaches, len(breaches) if count is None else count)))
            some = sorted(chosen[0])
            found = (
                breaches.picked(some)
                if isinstance(breaches, Breaches)
                else [breaches[index] for index in some]
            )
            judging.fetch({breach.item for breach in found})
        if isinstance(breaches, Breaches):
            found = breaches.picked(places)
        else:
            found = [breaches[place] for place in places]
        return [
            explain(breach) if place in chosen[0] else breach
            for place, breach in zip(places, found, strict=True)
        ]

    def made() -> tuple[Breach, ...]:
        return tuple(pick(list(range(len(breaches)))))

    costs = breaches.costs if isinstance(breaches, Breaches) else None  # (explaining keeps them)
    # explained when first read, as the breaches themselves are made (:class:`Breaches`): a
    # trend's months print their figures, not their breaches
    return replace(result, breaches=Breaches(len(breaches), made, costs, pick))


def _opened(counts: TicketCounts) -> str:
    """The tickets still open, as the detail's last words (nothing when none is)."""
    if not counts.open:
        return ""
    return (
        f"; {counts.open} still open at {counts.open_at.isoformat()} "
        f"({counts.open_breached} breached, {counts.open_at_risk} at risk)"
    )


def _where(counts: TicketCounts) -> str:
    return "judged" if counts.count_in == "resolved" else "created"


def _no_ticket_counted(
    judging: Judging,
    objective: Objective,
    blank: ObjectiveResult,
    counts: TicketCounts,
    in_scope: bool,
) -> ObjectiveResult:
    """No verdict in the span: the open tickets, and when no ticket is in the objective's scope
    at all, the values the tickets have (a misspelt scope shows)."""
    unmatched = "" if in_scope else _scope_values(judging.data, objective)
    detail = f"no ticket {_where(counts)} this period{_opened(counts)}{unmatched}"
    return replace(blank, detail=detail, tickets=counts)


def _tickets_counted(
    blank: ObjectiveResult,
    target: Decimal | Bound,
    counts: TicketCounts,
    breaches: Sequence[Breach],
) -> ObjectiveResult:
    """The share of counted tickets met, against the target."""
    detail = (
        f"{counts.counted} tickets {_where(counts)} this period: {counts.met} met, "
        f"{counts.breached} breached{_opened(counts)}"
    )
    actual = Decimal(counts.met * 100) / Decimal(counts.counted)
    return replace(_percent_result(blank, target, actual, detail, breaches), tickets=counts)


def _ticket_breach(
    objective: Objective,
    ticket: str,
    used: timedelta,
    limit: timedelta | None,
    instants: tuple[datetime | None, datetime | None, datetime | None],
    service: str,
    end: datetime,
) -> Breach:
    """A breached ticket clock as a breach (``instants``: started, stopped, deadline passed),
    its instants in UTC whichever engine computed the clock (the replay gives a deadline in
    its calendar's zone, the column engine in UTC)."""
    started, stopped, passed = (None if i is None else i.astimezone(UTC) for i in instants)
    return Breach(
        objective.id,
        started or passed or end,
        stopped,
        _breach_text(ticket, format_timedelta(used), _limit(objective, limit), passed, stopped),
        item=ticket,
        service=service,
        business=used,
        breached_at=passed,
        allowed=limit,
        allowed_text=_limit(objective, limit),
    )


def _breach_text(
    ticket: str, used: str, limit: str, passed: datetime | None, stopped: datetime | None
) -> str:
    """A breached ticket clock's description: the time it used of its limit, when its deadline
    passed, and whether it is still open."""
    return (
        f"ticket {ticket}: {used} used of {limit}"
        + (f" (deadline passed {passed.isoformat()})" if passed else "")
        + ("" if stopped else ", still open")
    )


def _kept(clock: Clock, objective: Objective) -> bool:
    """Whether the objective's ``where`` filters keep a clock's ticket (its fields as of the
    clock's last event: a lead scored 80 at contact)."""
    return all(
        _condition(clock.fields.get(k), v, f"ticket {clock.ticket}: {k}")
        for k, v in objective.where.items()
    )


def _scope_values(data: Data, objective: Objective, shown: int = 8) -> str:
    """Why no ticket of the evidence is in an objective's scope: the values its scope fields
    take there (a scope of P1 against tickets saying "1 - Critical")."""
    if not data.has_tickets or not objective.scope:
        return ""
    parts = []
    for name, wanted in objective.scope.items():
        seen = sorted(_values_of(data, name))
        listed = ", ".join(seen[:shown]) + (", ..." if len(seen) > shown else "")
        parts.append(f"{name} is {' or '.join(wanted)} in its scope, {listed} on the tickets")
    return "; no ticket of the evidence is in its scope: " + "; ".join(parts)


def _values_of(data: Data, name: str) -> set[str]:
    """The values a ticket field takes on the events of the evidence."""
    columns = data.ticket_columns
    if columns is None:
        return {e.fields[name] for e in data.tickets if name in e.fields}
    if name not in columns.fields:
        return set()
    codes, vocabulary = columns.fields[name]
    return {vocabulary[code] for code in distinct_codes(codes[codes >= 0]).tolist()}


def _limit(objective: Objective, limit: timedelta | None) -> str:
    """A clock's limit as the agreement writes it; business days with the business time they
    came to from the clock's start."""
    within = objective.within
    target = format_timedelta(limit or timedelta(0))
    if within is not None and within.business_days is not None:
        return f"{within} ({target} of business time from its start)"
    return target


def warning_share(agreement: Agreement, objective: Objective) -> Decimal:
    """The earliest share of the target at which the agreement warns about this objective's
    clocks (75% when it names none before the breach)."""
    shares = [
        found[0]
        for _, level in levels_for(agreement, objective.id)
        if (found := share_of(level)) is not None and found[0] < 1
    ]
    return min(shares, default=AT_RISK_SHARE)


def _percent_result(
    blank: ObjectiveResult,
    target: Decimal | Bound,
    actual: Decimal,
    detail: str,
    breaches: Sequence[Breach],
) -> ObjectiveResult:
    if isinstance(target, Decimal):
        return replace(
            blank,
            actual=actual,
            met=actual >= target,
            margin=actual - target,
            detail=detail,
            breaches=_kept_breaches(breaches),
        )
    return replace(
        blank,
        actual=actual,
        met=target.holds(actual),
        detail=detail,
        breaches=_kept_breaches(breaches),
    )


def _kept_breaches(breaches: Sequence[Breach]) -> Sequence[Breach]:
    """Breaches as a result keeps them: a tuple, or breaches not made yet as they are."""
    return breaches if isinstance(breaches, Breaches) else tuple(breaches)


def availability_of(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    start: datetime,
    end: datetime,
    engine: Engine = "columns",
    outages: Sequence[Outage] | OutageIndex | None = None,
) -> ServiceAvailability:
    """Time-based availability of the objective's services (all must be up), each composed of
    its components as the agreement says (``engine``: see
    :func:`accord.core.availability.availability`; ``outages``: in place of the evidence's,
    e.g. indexed, see :func:`accord.core.composition.service_availability`)."""
    target = objective.target if isinstance(objective.target, Decimal) else None
    plan = agreement.exclusions.maintenance if agreement.exclusions else None
    allowed = calendars.get(plan.window) if plan is not None and plan.window else None
    return service_availability(
        {s.id: s for s in agreement.services},
        objective.scope.get("service", ()),
        calendars[objective.calendar],
        start,
        end,
        data.outages if outages is None else outages,
        data.maintenance,
        agreement.exclusions,
        target,
        allowed,
        engine,
    )


_Measured = tuple[Decimal | None, str, SliceAvailability | None]


def measured_availability(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    start: datetime,
    end: datetime,
    maintenance_since: datetime | None = None,
) -> tuple[Decimal | None, str]:
    """Availability by probes or request counts (the objective's ``method``) over
    ``[start, end)`` judged on its own, and how it was reached in words; None without data.
    ``maintenance_since``: where the maintenance allowance is counted from (the period's
    start, for a day of it; default ``start``)."""
    percent, detail, _ = _measured(
        agreement, objective, data, calendars, start, end, maintenance_since
    )
    return percent, detail


def _measured(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    start: datetime,
    end: datetime,
    maintenance_since: datetime | None = None,
) -> _Measured:
    """Availability by probes or request counts (the objective's ``method``), in its window,
    with the slices when measured by probes; services composed as the agreement says (a
    weighted service is the blend of its components', measured each on its own; with ``all``,
    a component's probes and requests are the service's). By probes, the maintenance the
    agreement excuses is left out (or counted as up) as in time: that of every service the
    slices are judged on (counted from ``maintenance_since``, default ``start``)."""
    services = {s.id: s for s in agreement.services}
    window = calendars[objective.calendar]
    plan = agreement.exclusions.maintenance if agreement.exclusions else None
    allowed = calendars.get(plan.window) if plan is not None and plan.window else None
    since = start if maintenance_since is None else min(maintenance_since, start)

    def excused(names: list[str] | None) -> tuple[tuple[datetime, datetime], ...]:
        """The maintenance excused for ``names`` (None: every service), as in time."""
        if objective.method != "slices":
            return ()
        works = [
            m
            for m in data.maintenance
            if (names is None or m.service in names) and m.start < end and m.end > since
        ]
        return excused_maintenance(window, since, end, works, agreement.exclusions, allowed)

    def measure(names: tuple[str, ...], inherited: frozenset[str]) -> _Measured:
        spec = services.get(names[0]) if len(names) == 1 else None
        weighs = spec is not None and spec.composition == "weighted" and spec.components
        if spec is not None and weighs and spec.id not in inherited:  # (a cycle stops here)
            parts = [
                (c, spec.weights.get(c, Decimal(0)), measure((c,), inherited | {spec.id}))
                for c in spec.components
            ]
            return _blend(parts)
        counted = set(inherited)
        for name in names:
            counted.update(members(services, name))
        # a composed service's own probes count if it has any; its components must have them
        composed = {n for n in counted if n in inherited or _has_components(services, n)}
        scope = sorted(counted) if names else None
        return _measured_services(
            agreement, objective, data, window, start, end, scope, composed, excused(scope)
        )

    return measure(tuple(objective.scope.get("service", ())), frozenset())


def _has_components(services: Mapping[str, Service], name: str) -> bool:
    spec = services.get(name)
    return spec is not None and bool(spec.components)


def _blend(parts: Sequence[tuple[str, Decimal, _Measured]]) -> _Measured:
    """The weighted blend of components measured each on its own: down share
    ``sum(w * down) / sum(w * counted)`` over slices, ``sum(w * percent)`` over requests."""
    missing = [name for name, _, (percent, _, _) in parts if percent is None]
    if missing:
        return None, f"weighted: no data for {', '.join(missing)}", None
    window, down = Decimal(0), Decimal(0)
    for _, weight, (percent, _, sliced) in parts:
        assert percent is not None
        if sliced is not None:
            window += weight * sliced.counted
            down += weight * sliced.down
        else:
            window += weight * _HUNDRED
            down += weight * (_HUNDRED - percent)
    actual = _HUNDRED if window <= 0 else (window - down) / window * _HUNDRED
    how = " + ".join(f"{w} x {name} {p:.4f}%" for name, w, (p, _, _) in parts)
    details = "; ".join(f"{name}: {detail}" for name, _, (_, detail, _) in parts)
    return actual, f"weighted: {how} ({details})", None


def _measured_services(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
    services: list[str] | None,
    optional: set[str],
    maintenance: Sequence[tuple[datetime, datetime]] = (),
) -> _Measured:
    """Probes or requests of ``services`` (None: of every service), all of which must be up;
    by probes, those of ``optional`` only if they have any this period, and the slices
    starting in ``maintenance`` (the spans excused) left out or counted as up, as the
    agreement says."""

    def in_scope(service: str) -> bool:
        return services is None or service in services

    if objective.method == "slices":
        probes = [p for p in data.probes if in_scope(p.service) and start <= p.at < end]
        if services is not None:
            probed = {p.service for p in probes}
            services = [s for s in services if s not in optional or s in probed]
        several = services is not None and len(services) > 1
        codes = None
        if several:
            assert services is not None
            code = {name: index for index, name in enumerate(services)}
            codes = np.array([code[p.service] for p in probes], dtype=np.int64)
        unknown = agreement.exclusions.unknown_data if agreement.exclusions else "excluded"
        plan = agreement.exclusions.maintenance if agreement.exclusions else None
        found = slice_availability(
            np.array([to_nanos(p.at) for p in probes], dtype=np.int64).view("datetime64[ns]"),
            np.array([p.ok for p in probes], dtype=bool),
            start,
            end,
            window,
            slice_length=(
                objective.slice.time
                if objective.slice and objective.slice.time
                else timedelta(minutes=1)
            ),
            threshold=objective.slice_threshold
            if objective.slice_threshold is not None
            else Decimal(100),
            unknown=unknown,
            bad_run=objective.bad_run,
            services=codes,
            service_count=len(services) if services is not None else 1,
            maintenance=maintenance,
            maintenance_counts="up" if plan is not None and plan.counts_as == "up" else "excluded",
        )
        excused = (
            f"; {found.maintenance} in announced maintenance ("
            + ("counted as up" if plan is not None and plan.counts_as == "up" else "left out")
            + ")"
            if found.maintenance
            else ""
        )
        if found.counted == 0 and (found.unknown or not found.maintenance):
            # (every slice in excused maintenance: no time to judge, 100% as in time)
            return None, f"no slice counted: {found.unknown} slices without data{excused}", None
        judged = (
            f" (each slice judged on every one of {', '.join(services)})"
            if several and services is not None
            else ""
        )
        return (
            found.percent,
            (
                f"{found.counted} slices counted: {found.good} good, {found.bad} bad, "
                f"{found.unknown} without data (counted as {unknown}){excused}; "
                f"{found.down} down{judged}"
            ),
            found,
        )
    rows = [
        r
        for r in data.requests
        if in_scope(r.service) and start <= r.at < end and window.is_open(r.at)
    ]
    if not rows:
        return None, "no request counts this period", None
    if objective.method == "occurrences":
        good, total = sum(r.good for r in rows), sum(r.total for r in rows)
        return occurrences(good, total), f"{good} good of {total} requests", None
    return (
        ratio_slices([r.good for r in rows], [r.total for r in rows]),
        f"mean success of {len(rows)} slices",
        None,
    )


def _incidents_text(found: Incidents) -> str:
    if not found.count:
        return "; no incident"
    recover, between = found.time_to_recover, found.time_between_failures
    assert recover is not None
    assert between is not None
    return (
        f"; {found.count} incident{'s' if found.count > 1 else ''}, mean time to recover "
        f"{format_timedelta(_whole_seconds(recover))}, mean time between failures "
        f"{format_timedelta(_whole_seconds(between))}"
    )


def _whole_seconds(span: timedelta) -> timedelta:
    return timedelta(seconds=span // timedelta(seconds=1))


def span_of(microseconds: Decimal) -> timedelta:
    """Exact microseconds as a duration (to the whole microsecond, toward zero)."""
    return timedelta(microseconds=int(microseconds))


def provider_name(agreement: Agreement, provider: str) -> str:
    parties = agreement.parties.all_providers if agreement.parties else ()
    return next((p.name for p in parties if p.id == provider), provider)


def for_provider(agreement: Agreement, data: Data, provider: str) -> Data:
    """The evidence of one provider: its services' outages, probes and requests, the tickets and
    measurements of its services (or marked with its id in a ``provider`` field)."""
    services = {s.id for s in agreement.services if s.provider == provider}

    def mine(fields: Mapping[str, str]) -> bool:
        return fields.get("provider") == provider or fields.get("service") in services

    tickets = {e.ticket for e in data.tickets if mine(e.fields)}
    columns = data.ticket_columns
    return Data(
        outages=tuple(o for o in data.outages if o.service in services),
        maintenance=tuple(m for m in data.maintenance if m.service in services),
        tickets=tuple(e for e in data.tickets if e.ticket in tickets),
        ticket_columns=None if columns is None else _provider_columns(columns, provider, services),
        measurements=tuple(m for m in data.measurements if mine(m.fields)),
        probes=tuple(p for p in data.probes if p.service in services),
        requests=tuple(r for r in data.requests if r.service in services),
        observed=data.observed,
        kept_until=data.kept_until,
    )


def _provider_columns(columns: EventColumns, provider: str, services: set[str]) -> EventColumns:
    """:func:`for_provider` on columns: the rows of the tickets with a row marked with the
    provider's id in a ``provider`` field, or setting one of its services."""
    mine = np.zeros(len(columns.at), dtype=bool)
    for name, wanted in (("provider", {provider}), ("service", services)):
        if name in columns.fields:
            codes, vocabulary = columns.fields[name]
            table = np.zeros(len(vocabulary) + 1, dtype=bool)  # the last entry answers -1
            table[[i for i, v in enumerate(vocabulary) if v in wanted]] = True
            mine |= table[codes]
    kept = np.zeros(len(columns.tickets), dtype=bool)
    kept[columns.ticket[mine]] = True
    return columns.of_tickets(kept)


def _condition(value: str | None, wanted: Bound | str, where: str) -> bool:
    """Whether a field's value passes a ``where`` filter; a value that is not a number, tested
    against a bound, is an error naming it (not a silent "no")."""
    if value is None:
        return False
    if isinstance(wanted, Bound):
        try:
            number = Decimal(value.strip())
        except ArithmeticError:
            number = Decimal("NaN")
        if not number.is_finite():
            raise JudgingError(f"{where}: {value!r} is tested against {wanted}; expected a number")
        return wanted.holds(number)
    return value == wanted


def _statistic(values: Sequence[Decimal], statistic: str) -> Decimal:
    if statistic.startswith("p"):
        rank = max(1, -(-int(Decimal(statistic[1:]) * len(values)) // 100))
        return values[min(rank, len(values)) - 1]
    if statistic == "median":
        return _statistic(values, "p50")
    if statistic == "mean":
        return sum(values, Decimal(0)) / Decimal(len(values))
    if statistic == "sum":
        return sum(values, Decimal(0))
    return values[0] if statistic == "min" else values[-1]
