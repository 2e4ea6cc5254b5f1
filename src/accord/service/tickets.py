"""A person's tickets and their clocks now: the tickets page's list (filtered, a page at a
time) and one ticket's clocks with where their time went.

The list is chosen from the clocks as the service last computed them (``ticket_clocks``, at
most a few seconds behind the events), then each ticket shown is computed from its events at
this instant, as ``GET /v1/tickets/{ticket}`` computes it: the timers are never stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from accord.core.agreement import Agreement, Objective
from accord.core.clocks import TICKET_METRICS, Clock, TicketEvent
from accord.core.judging import AT_RISK_SHARE, warning_share
from accord.core.timer import Judgement, of_clock
from accord.service import agreements as agreement_store
from accord.service import tracking
from accord.service.errors import InvalidError, NotFoundError
from accord.service.tenants import Principal, now
from accord.store.schema import AgreementRow, ClockRow, TicketRow

STATES = {
    "running": "running",
    "paused": "paused",
    "at_risk": "at risk",
    "breached": "breached",
    "met": "met",
}
"""The states a list may be filtered by, and their names for people."""
PER_PAGE = 25
"""Tickets on one page of the list."""
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to (None: everything)."""

    agreement: str | None = None
    objective: str | None = None
    state: str | None = None
    customer: str | None = None
    """Only for the provider's staff: a customer's person sees their own customer's only."""


@dataclass(frozen=True)
class LiveClock:
    """One objective's clock on a ticket now, with the objective's name and its judgement
    (at risk: past the agreement's warning share of its target, not yet breached)."""

    agreement: str
    objective: str
    name: str
    clock: Clock
    judged: Judgement

    @property
    def at_risk(self) -> bool:
        return self.judged.at_risk


@dataclass(frozen=True)
class TicketClocks:
    ticket: str
    customer: str | None
    changed_at: datetime
    clocks: tuple[LiveClock, ...]


@dataclass(frozen=True)
class Listing:
    as_of: datetime
    filters: Filters
    page: int
    pages: int
    total: int
    """Tickets matching the filters, on every page."""
    tickets: tuple[TicketClocks, ...]
    agreements: tuple[tuple[str, str], ...]
    """The agreements the person may see (key, title), for the filter."""
    objectives: tuple[tuple[str, str], ...]
    """Their ticket objectives (id, name)."""
    customers: tuple[str, ...]
    """The customers (for the provider's staff; empty for a customer's people)."""
    zones: dict[str, str]
    """Each agreement's own zone (by key), which its clocks' times are told in."""

    @property
    def zone(self) -> str:
        """The zone the page's own times are told in: its agreements' when they share one,
        else UTC."""
        return agreement_store.shared_zone(self.zones.values())


def _current(found: agreement_store.InForce, moment: datetime) -> Agreement:
    current = found.first
    for at, later in found.changes:
        if at <= moment:
            current = later
    return current


def _state_condition(
    state: str, moment: datetime, running_late: Sequence[int] = ()
) -> ColumnElement[bool]:
    """The clocks in ``state`` at ``moment``. ``running_late``: the running clocks whose
    deadline is not ahead of ``moment`` but which are not breached then, as judged one by one
    (:func:`_late_clocks`). A clock is breached only once past its target (``used >
    target``, as :mod:`accord.core.timer` judges it), so at its very deadline it is still
    running."""
    breached = or_(
        ClockRow.state == "breached",
        ClockRow.breached_at.is_not(None),
        and_(
            ClockRow.state == "running",
            ClockRow.deadline <= moment,
            ClockRow.id.not_in(running_late),
        ),
    )
    if state == "breached":
        return breached
    if state == "met":
        return and_(ClockRow.state == "met", ClockRow.breached_at.is_(None))
    if state == "paused":
        return ClockRow.state == "paused"
    if state == "running":
        return and_(
            ClockRow.state == "running",
            ClockRow.breached_at.is_(None),
            or_(
                ClockRow.deadline.is_(None),
                ClockRow.deadline > moment,
                ClockRow.id.in_(running_late),
            ),
        )
    # at risk: open clocks with a target, judged one by one afterwards (a deadline passed
    # with no business time since is still at risk: the clock breaches past its target)
    return and_(
        ClockRow.state.in_(("running", "paused")),
        ClockRow.target_seconds.is_not(None),
        ClockRow.breached_at.is_(None),
    )


def _late_clocks(
    session: Session,
    conditions: list[ColumnElement[bool]],
    joined: ColumnElement[bool],
    in_force: dict[str, agreement_store.InForce],
    moment: datetime,
) -> list[int]:
    """The running clocks not yet found breached whose deadline is not ahead of ``moment``
    (as last computed), judged by :func:`tracking.judged_row` as Home judges them: the ids
    of those not breached at ``moment`` (at their very deadline, or with their calendar
    closed since it: few, the deadline being the first instant the target is all used)."""
    rows = session.execute(
        select(ClockRow, TicketRow.refreshed_at, TicketRow.changed_at)
        .join(TicketRow, joined)
        .where(
            *conditions,
            ClockRow.state == "running",
            ClockRow.breached_at.is_(None),
            ClockRow.deadline <= moment,
        )
    )
    objectives = _objectives(in_force, moment)
    running: list[int] = []
    for clock, refreshed, changed in rows:
        found = objectives.get((clock.agreement, clock.objective))
        if found is not None:
            agreement, objective = found
            since = _aware(refreshed or changed)
            late = tracking.judged_row(clock, since, agreement, objective, moment).breached
        else:  # an objective the version in force no longer has: past its deadline
            late = clock.deadline is not None and _aware(clock.deadline) < moment
        if not late:
            running.append(clock.id)
    return running


def clocks_at_risk(
    session: Session,
    principal: Principal,
    *,
    within: timedelta,
    breached: bool,
    agreement: str | None = None,
    objective: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[tuple[ClockRow, datetime]]:
    """Running clocks whose deadline falls within ``within`` (or, with ``breached``, every
    clock breached now), soonest first; each with the instant it is as of
    (:func:`tracking.as_of`). Judged as the tickets page and :mod:`accord.core.timer` judge:
    a clock at its very deadline, or past it with its calendar closed since, has used no more
    than its target and is at risk, not breached."""
    moment = now()
    organisation = principal.organisation_id
    conditions: list[ColumnElement[bool]] = [ClockRow.organisation_id == organisation]
    if principal.customer is not None:
        conditions.append(ClockRow.customer == principal.customer)
    if agreement is not None:
        conditions.append(ClockRow.agreement == agreement)
    if objective is not None:
        conditions.append(ClockRow.objective == objective)
    joined = (TicketRow.organisation_id == ClockRow.organisation_id) & (
        TicketRow.ticket == ClockRow.ticket
    )
    customers = {row.customer for row in agreement_store.visible(session, principal)}
    in_force = {
        found.key: found
        for customer in customers
        for found in agreement_store.in_force(session, organisation, customer)
        if found.customer == customer
    }
    late = _late_clocks(session, conditions, joined, in_force, moment)
    if breached:
        conditions.append(_state_condition("breached", moment, late))
    else:
        conditions.append(
            and_(
                ClockRow.state == "running",
                ClockRow.breached_at.is_(None),
                or_(
                    and_(ClockRow.deadline > moment, ClockRow.deadline <= moment + within),
                    ClockRow.id.in_(late),
                ),
            )
        )
    query = (
        select(ClockRow, TicketRow.refreshed_at, TicketRow.changed_at)
        .join(TicketRow, joined)
        .where(*conditions)
        .order_by(ClockRow.deadline, ClockRow.ticket)
        .limit(limit)
        .offset(offset)
    )
    return [
        (clock, tracking.as_of(clock, refreshed, changed))
        for clock, refreshed, changed in session.execute(query)
    ]


def _objectives(
    in_force: dict[str, agreement_store.InForce], moment: datetime
) -> dict[tuple[str, str], tuple[Agreement, Objective]]:
    """Each agreement's version in force at ``moment`` and its objectives, once for a page."""
    return {
        (key, o.id): (agreement, o)
        for key, governing in in_force.items()
        for agreement in (_current(governing, moment),)
        for o in agreement.objectives
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _known(value: str | None, known: Sequence[str], field: str) -> None:
    """A filter naming what the person cannot see, or what does not exist, is refused (the
    same message either way) rather than answered with an empty list that reads as "no
    ticket"."""
    if value is not None and value not in known:
        expected = ", ".join(sorted(known)) or "none"
        raise InvalidError(f"{field} {value!r}: expected one of {expected}", field)


def listing(
    session: Session,
    principal: Principal,
    filters: Filters,
    page: int = 1,
    per_page: int = PER_PAGE,
    moment: datetime | None = None,
) -> Listing:
    """The tickets the person may see that have a clock matching the filters, most recently
    changed first, one page of them; each with its clocks (of the agreement and objective
    filtered on) computed now."""
    if filters.state is not None and filters.state not in STATES:
        raise InvalidError(f"state {filters.state!r}: expected one of {', '.join(STATES)}", "state")
    if page < 1:
        raise InvalidError(f"page {page}: expected 1 or more", "page")
    moment = moment or now()
    organisation = principal.organisation_id
    conditions: list[ColumnElement[bool]] = [ClockRow.organisation_id == organisation]
    if principal.customer is not None:
        conditions.append(ClockRow.customer == principal.customer)
    if filters.customer is not None:
        conditions.append(ClockRow.customer == filters.customer)
    if filters.agreement is not None:
        conditions.append(ClockRow.agreement == filters.agreement)
    if filters.objective is not None:
        conditions.append(ClockRow.objective == filters.objective)
    visible = agreement_store.visible(session, principal)
    in_force = {
        found.key: found
        for customer in {row.customer for row in visible}
        for found in agreement_store.in_force(session, organisation, customer)
        if found.customer == customer
    }
    objectives: dict[str, str] = {}
    for row in visible:
        found = in_force.get(row.key)
        if found is not None:
            for o in _current(found, moment).objectives:
                if o.metric in TICKET_METRICS:
                    objectives.setdefault(o.id, o.name or o.id)
    customers: tuple[str, ...] = ()
    if principal.customer is None:
        customers = tuple(sorted({row.customer for row in visible if row.customer}))
    _known(filters.agreement, [row.key for row in visible], "agreement")
    _known(filters.objective, list(objectives), "objective")
    own = [principal.customer] if principal.customer is not None else list(customers)
    _known(filters.customer, own, "customer")
    joined = (TicketRow.organisation_id == ClockRow.organisation_id) & (
        TicketRow.ticket == ClockRow.ticket
    )
    if filters.state in ("breached", "running"):
        late = _late_clocks(session, conditions, joined, in_force, moment)
        conditions.append(_state_condition(filters.state, moment, late))
    elif filters.state is not None:
        conditions.append(_state_condition(filters.state, moment))
    offset = (page - 1) * per_page
    if filters.state == "at_risk":
        chosen, total = _at_risk_page(session, conditions, joined, in_force, moment)
        shown = chosen[offset : offset + per_page]
    else:
        total = int(
            session.scalar(select(func.count(distinct(ClockRow.ticket))).where(*conditions)) or 0
        )
        last_change = func.max(TicketRow.changed_at)
        shown = [
            (ticket, changed)
            for ticket, changed in session.execute(
                select(ClockRow.ticket, last_change)
                .join(TicketRow, joined)
                .where(*conditions)
                .group_by(ClockRow.ticket)
                .order_by(last_change.desc(), ClockRow.ticket)
                .limit(per_page)
                .offset(offset)
            )
        ]
    tickets = _live(session, principal, shown, in_force, filters, moment)
    return Listing(
        moment,
        filters,
        page,
        max(1, -(-total // per_page)),
        total,
        tuple(tickets),
        tuple((row.key, row.title or row.key) for row in visible),
        tuple(sorted(objectives.items())),
        customers,
        {row.key: agreement_store.own_zone(session, organisation, row, moment) for row in visible},
    )


def _at_risk_page(
    session: Session,
    conditions: list[ColumnElement[bool]],
    joined: ColumnElement[bool],
    in_force: dict[str, agreement_store.InForce],
    moment: datetime,
) -> tuple[list[tuple[str, datetime]], int]:
    """The tickets with a clock at risk at ``moment``: the open clocks (as last computed)
    judged by :func:`tracking.judged_row`, as Home judges them; the open clocks are few
    beside the history, so they are judged here."""
    found: dict[str, datetime] = {}
    rows = session.execute(
        select(ClockRow, TicketRow.refreshed_at, TicketRow.changed_at)
        .join(TicketRow, joined)
        .where(*conditions)
    )
    objectives = _objectives(in_force, moment)
    for clock, refreshed, changed in rows:
        found_objective = objectives.get((clock.agreement, clock.objective))
        if found_objective is None or clock.target_seconds is None:
            continue
        agreement, objective = found_objective
        since = _aware(tracking.as_of(clock, refreshed, changed))
        if tracking.judged_row(clock, since, agreement, objective, moment).at_risk:
            found[clock.ticket] = max(found.get(clock.ticket, since), _aware(changed))
    ordered = sorted(found.items(), key=lambda item: (-item[1].timestamp(), item[0]))
    return ordered, len(ordered)


def _live(
    session: Session,
    principal: Principal,
    shown: Sequence[tuple[str, datetime]],
    in_force: dict[str, agreement_store.InForce],
    filters: Filters,
    moment: datetime,
) -> list[TicketClocks]:
    """Each ticket's clocks computed from its events at ``moment`` (as the API's status);
    what every ticket of a customer shares (the agreements governing it now, their
    objectives' names and warning shares) made once for the page."""
    if not shown:
        return []
    names = [ticket for ticket, _ in shown]
    customers = dict(
        session.execute(
            select(TicketRow.ticket, TicketRow.customer).where(
                TicketRow.organisation_id == principal.organisation_id,
                TicketRow.ticket.in_(names),
            )
        ).all()
    )
    events = tracking.events_of_tickets(session, principal.organisation_id, names)
    terms: dict[str | None, _Terms] = {}
    found = []
    for ticket, changed in shown:
        customer = customers.get(ticket)
        if not principal.sees(customer):
            continue
        if customer not in terms:
            terms[customer] = _terms(session, principal, customer, moment)
        clocks = _clocks_now(
            session, principal, ticket, customer, events[ticket], moment, terms[customer]
        )
        clocks = [
            c
            for c in clocks
            if filters.agreement in (None, c.agreement) and filters.objective in (None, c.objective)
        ]
        found.append(TicketClocks(ticket, customer, _aware(changed), tuple(clocks)))
    return found


_Terms = dict[tuple[str, str], tuple[str, Decimal]]
"""Per agreement and objective: the objective's name and warning share (of the version in
force now)."""


def _terms(
    session: Session, principal: Principal, customer: str | None, moment: datetime
) -> _Terms:
    """What the clocks of a ``customer``'s tickets are shown with, read once per page."""
    found: _Terms = {}
    for governing in agreement_store.in_force(
        session, principal.organisation_id, customer, tracking.STATUS_AGREEMENTS_AGE
    ):
        agreement = _current(governing, moment)
        for objective in agreement.objectives:
            found[governing.key, objective.id] = (
                objective.name or objective.id,
                warning_share(agreement, objective),
            )
    return found


def _clocks_now(
    session: Session,
    principal: Principal,
    ticket: str,
    customer: str | None,
    events: list[TicketEvent],
    moment: datetime,
    terms: _Terms | None = None,
) -> list[LiveClock]:
    """The ticket's clocks at ``moment``, each judged by :func:`accord.core.timer.of_clock`
    (``terms``: the customer's, when the caller read them for several tickets)."""
    computed = tracking.compute(
        session,
        principal.organisation_id,
        ticket,
        customer,
        moment,
        tracking.STATUS_AGREEMENTS_AGE,
        events,
    )
    if terms is None:
        terms = _terms(session, principal, customer, moment)
    clocks = []
    for result in computed:
        for clock in result.clocks:
            name, share = terms.get((result.agreement, clock.objective), (clock.objective, None))
            judged = of_clock(clock, AT_RISK_SHARE if share is None else share)
            clocks.append(LiveClock(result.agreement, clock.objective, name, clock, judged))
    return clocks


@dataclass(frozen=True)
class TicketView:
    ticket: str
    customer: str | None
    as_of: datetime
    clocks: tuple[LiveClock, ...]
    titles: dict[str, str]
    """The agreements' titles by key."""
    zones: dict[str, str]
    """The agreements' own zones by key, which their clocks' times are told in."""

    @property
    def zone(self) -> str:
        """The zone the page's own times are told in: its agreements' when they share one,
        else UTC."""
        return agreement_store.shared_zone(self.zones.values())


def ticket(
    session: Session, principal: Principal, ticket: str, moment: datetime | None = None
) -> TicketView:
    """One ticket's clocks now, every cycle of every objective (another customer's ticket, or
    none, is not found)."""
    moment = moment or now()
    events = tracking.ticket_events(session, principal.organisation_id, ticket)
    row = session.scalar(
        select(TicketRow).where(
            TicketRow.organisation_id == principal.organisation_id, TicketRow.ticket == ticket
        )
    )
    if row is None or not events or not principal.sees(row.customer):
        raise NotFoundError(f"There is no ticket {ticket!r} that you may see.", "ticket")
    clocks = _clocks_now(session, principal, ticket, row.customer, events, moment)
    rows = session.scalars(
        select(AgreementRow).where(
            AgreementRow.organisation_id == principal.organisation_id,
            AgreementRow.key.in_(sorted({c.agreement for c in clocks})),
        )
    ).all()
    return TicketView(
        ticket,
        row.customer,
        moment,
        tuple(clocks),
        {r.key: r.title or r.key for r in rows},
        {
            r.key: agreement_store.own_zone(session, principal.organisation_id, r, moment)
            for r in rows
        },
    )
