"""Live tracking: a ticket's clocks now, the clocks at risk or breached, and the due items.

``refresh`` recomputes one ticket from its stored events under every agreement that applies
to it: its clock rows (for the at-risk lists) and its due items (the escalation moments).
It runs right after ingest for small batches, and in workers for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.orm import Session

from accord.core.agreement import Agreement
from accord.core.agreement.model import Objective
from accord.core.calendar import BusinessCalendar
from accord.core.clock_engines import evaluate_clocks
from accord.core.clocks import TICKET_METRICS, Clock, TicketEvent, calendars_of, ticket_clocks
from accord.core.errors import AccordError
from accord.core.escalation import Due, escalation_moments, review_reminders, walks_intervals
from accord.core.horizon import within_horizon
from accord.service import agreements as agreement_store
from accord.service.errors import InvalidError, NotFoundError
from accord.service.notify import REVIEW
from accord.service.tenants import Principal, now
from accord.store.schema import ClockRow, DueItem, EventRow, TicketRow

STATUS_AGREEMENTS_AGE = 2.0  # seconds a status answer may lag behind a new agreement version
_calendar_cache: dict[int, tuple[Agreement, dict[str, BusinessCalendar]]] = {}


def calendars(agreement: Agreement) -> dict[str, BusinessCalendar]:
    """The agreement's calendars, built once per resolved agreement."""
    cached = _calendar_cache.get(id(agreement))
    if cached is None or cached[0] is not agreement:
        cached = (agreement, calendars_of(agreement))
        if len(_calendar_cache) > 1024:
            _calendar_cache.clear()
        _calendar_cache[id(agreement)] = cached
    return cached[1]


def _has_ticket_objectives(agreement: Agreement) -> bool:
    return any(o.metric in TICKET_METRICS for o in agreement.objectives)


def stored_event(
    row_number: int,
    event_id: str,
    ticket: str,
    at: datetime,
    kind: str,
    fields: dict[str, str],
    author: str | None,
    public: bool,
) -> TicketEvent:
    """A stored event row as the core's event, positioned by the row's number (the order of
    arrival, which orders events at one instant)."""
    return TicketEvent(
        id=event_id,
        ticket=ticket,
        at=at,
        kind=kind,  # type: ignore[arg-type]  # written by ingest from the same Literal
        fields=fields,
        author=author,  # type: ignore[arg-type]
        public=public,
        position=row_number,
    )


def ticket_events(session: Session, organisation_id: int, ticket: str) -> list[TicketEvent]:
    return _events_and_customer(session, organisation_id, ticket)[0]


# built once: building a SELECT costs more than running this one (about 0.5 ms of Python)
_EVENTS_AND_CUSTOMER = (
    select(
        EventRow.id,
        EventRow.event_id,
        EventRow.at,
        EventRow.kind,
        EventRow.fields,
        EventRow.author,
        EventRow.public,
        TicketRow.customer,
    )
    .join(
        TicketRow,
        (TicketRow.organisation_id == EventRow.organisation_id)
        & (TicketRow.ticket == EventRow.ticket),
    )
    .where(
        EventRow.organisation_id == bindparam("organisation"),
        EventRow.ticket == bindparam("ticket"),
    )
)


def _events_and_customer(
    session: Session, organisation_id: int, ticket: str
) -> tuple[list[TicketEvent], str | None, bool]:
    """A ticket's events and its customer in one query; False when the ticket is unknown.

    Events at one instant are applied in the order they arrived (the row's number, given in the
    order of each batch), as a file's events are in its rows' order."""
    rows = session.execute(
        _EVENTS_AND_CUSTOMER, {"organisation": organisation_id, "ticket": ticket}
    ).all()
    events = [
        stored_event(row_number, event_id, ticket, at, kind, fields, author, public)
        for row_number, event_id, at, kind, fields, author, public, _ in rows
    ]
    return events, (rows[0][-1] if rows else None), bool(rows)


@dataclass(frozen=True)
class AgreementClocks:
    agreement: str
    version: str
    clocks: list[Clock]
    due: list[Due]


def compute(
    session: Session,
    organisation_id: int,
    ticket: str,
    customer: str | None,
    as_of: datetime,
    agreements_max_age: float = 0.0,
    events: list[TicketEvent] | None = None,
) -> list[AgreementClocks]:
    """Every clock of a ticket as of an instant, under each agreement that applies to it
    (a reader may accept the agreements as they were up to ``agreements_max_age`` seconds
    ago; recomputations that store results never do)."""
    if events is None:
        events = ticket_events(session, organisation_id, ticket)
    if not events:
        return []
    found = []
    for governing in _governing(
        agreement_store.in_force(session, organisation_id, customer, agreements_max_age),
        _named(events),
        as_of,
    ):
        clocks = ticket_clocks(
            events, governing.first.objectives, governing.calendars, as_of, governing.changes
        )
        found.append(governing.result(clocks, as_of))
    return found


def _named(events: Sequence[TicketEvent]) -> str | None:
    """The agreement a ticket's events name, if any."""
    return next((e.fields.get("agreement") for e in events if "agreement" in e.fields), None)


@dataclass(frozen=True)
class _Governing:
    """An agreement in force over a ticket, as its clocks are computed under it."""

    key: str
    first: Agreement
    current: Agreement  # the version in force at the instant computed
    calendars: dict[str, BusinessCalendar]
    changes: list[tuple[datetime, Sequence[Objective]]]

    def result(self, clocks: list[Clock], as_of: datetime) -> AgreementClocks:
        due = [
            d for c in clocks for d in escalation_moments(c, self.current, self.calendars, as_of)
        ]
        return AgreementClocks(self.key, self.current.version, clocks, due)


def _governing(
    in_force: Sequence[agreement_store.InForce], named: str | None, as_of: datetime
) -> list[_Governing]:
    """The agreements (of those in force for the ticket's customer) that govern its clocks."""
    found = []
    for agreement in in_force:
        if named is not None and agreement.key != named:
            continue
        first, changes = agreement.first, agreement.changes
        current = first
        for at, later in changes:
            if at <= as_of:
                current = later
        if not _has_ticket_objectives(current) and not _has_ticket_objectives(first):
            continue
        merged = dict(calendars(first))
        for _, later in changes:
            merged.update(calendars(later))
        found.append(
            _Governing(
                agreement.key,
                first,
                current,
                merged,
                [(at, later.objectives) for at, later in changes],
            )
        )
    return found


def refresh(session: Session, organisation_id: int, ticket: str, moment: datetime) -> int:
    """Recompute a ticket's clock rows and due items; returns the number of clocks.

    The ticket's row is locked first (PostgreSQL), then its clocks and due items: every writer
    of them takes the locks in that order, so a request and a worker refreshing the same
    ticket wait for each other instead of deadlocking."""
    row = session.scalar(
        select(TicketRow)
        .where(TicketRow.organisation_id == organisation_id, TicketRow.ticket == ticket)
        .with_for_update()
    )
    customer = row.customer if row is not None else None
    computed = compute(session, organisation_id, ticket, customer, moment)
    session.execute(
        delete(ClockRow).where(
            ClockRow.organisation_id == organisation_id, ClockRow.ticket == ticket
        )
    )
    count = 0
    for result in computed:
        for clock in result.clocks:
            count += 1
            session.add(
                ClockRow(
                    organisation_id=organisation_id,
                    ticket=ticket,
                    customer=customer,
                    agreement=result.agreement,
                    objective=clock.objective,
                    metric=clock.metric,
                    cycle=clock.cycle,
                    state=clock.state,
                    target_seconds=clock.target.total_seconds() if clock.target else None,
                    used_seconds=clock.used.total_seconds(),
                    deadline=clock.deadline,
                    breached_at=clock.breached_at,
                    fields=dict(clock.fields),
                    computed_at=moment,
                )
            )
    _store_due(session, organisation_id, ticket, customer, computed, moment)
    if row is not None:
        row.dirty = False
        row.refreshed_at = moment
    session.flush()
    return count


def _store_due(
    session: Session,
    organisation_id: int,
    ticket: str,
    customer: str | None,
    computed: Sequence[AgreementClocks],
    moment: datetime,
) -> None:
    existing = {
        (d.agreement, d.objective, d.cycle, d.level): d
        for d in session.scalars(
            select(DueItem)
            .where(DueItem.organisation_id == organisation_id, DueItem.subject == ticket)
            .with_for_update()  # PostgreSQL: a worker firing one of them waits, or we do
        ).all()
    }
    seen = set()
    for result in computed:
        for due in result.due:
            key = (result.agreement, due.objective, due.cycle, due.level)
            seen.add(key)
            item = existing.get(key)
            if item is None:
                item = DueItem(
                    organisation_id=organisation_id,
                    subject=ticket,
                    customer=customer,
                    agreement=result.agreement,
                    objective=due.objective,
                    cycle=due.cycle,
                    level=due.level,
                    fired_at=None,
                )
                session.add(item)
            elif item.status == "fired":
                continue  # notified once; nothing moves it again
            elif _unchanged(item.at, item.status, item.due_at, item.notify, item.channels, due):
                continue  # its updated_at stays when it last changed
            item.at = due.at
            item.status = due.state
            item.due_at = due.due
            item.notify = list(due.notify)
            item.channels = list(due.channels)
            item.updated_at = moment
    for key, item in existing.items():
        if key not in seen and item.status in ("pending", "held"):
            item.status = "cancelled"
            item.due_at = None
            item.updated_at = moment


def _unchanged(
    at: str, state: str, due_at: datetime | None, notify: Any, channels: Any, due: Due
) -> bool:
    """Whether a stored due item already says what the recomputation found."""
    return (
        at == due.at
        and state == due.state
        and due_at == due.due
        and notify == list(due.notify)
        and channels == list(due.channels)
    )


# chunks of tickets in one IN list: well under SQLite's limit on bound parameters
_CHUNK = 500


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def events_of_tickets(
    session: Session, organisation_id: int, tickets: Sequence[str]
) -> dict[str, list[TicketEvent]]:
    """The events of many tickets, with one query a chunk of tickets (as
    :func:`ticket_events` reads those of one: positioned by their row's number, which orders
    events at one instant), each ticket's in the order they arrived."""
    found: dict[str, list[TicketEvent]] = {ticket: [] for ticket in tickets}
    for chunk in _chunks(tickets):
        rows = sorted(  # in SQL, ORDER BY id might tempt a planner to scan by id
            session.execute(
                _EVENTS_OF_TICKETS, {"organisation": organisation_id, "tickets": list(chunk)}
            ).all(),
            key=lambda row: int(row[0]),
        )
        for row in rows:
            found[row[2]].append(stored_event(*row))
    return found


_EVENTS_OF_TICKETS = select(
    EventRow.id,
    EventRow.event_id,
    EventRow.ticket,
    EventRow.at,
    EventRow.kind,
    EventRow.fields,
    EventRow.author,
    EventRow.public,
).where(
    EventRow.organisation_id == bindparam("organisation"),
    EventRow.ticket.in_(bindparam("tickets", expanding=True)),
)


def compute_many(
    session: Session,
    organisation_id: int,
    customers: Mapping[str, str | None],
    as_of: datetime,
    events: Mapping[str, list[TicketEvent]],
) -> dict[str, list[AgreementClocks]]:
    """What :func:`compute` gives for each ticket (``customers``: ticket to customer), with
    the clocks of all tickets under one agreement evaluated together by the column engine
    (which hands the rules and tickets it does not cover to the replay). A clock whose
    escalation moments need its running intervals (a level already reached) is replayed: the
    column engine keeps no intervals."""
    in_force: dict[str | None, list[agreement_store.InForce]] = {}
    by_agreement: dict[tuple[str, int], tuple[_Governing, list[str]]] = {}
    plans: dict[str, list[tuple[str, int]]] = {}
    for ticket, customer in customers.items():
        mine = events.get(ticket)
        if not mine:
            continue
        if customer not in in_force:
            in_force[customer] = agreement_store.in_force(session, organisation_id, customer)
        plan = []
        for governing in _governing(in_force[customer], _named(mine), as_of):
            place = (governing.key, id(governing.first))
            by_agreement.setdefault(place, (governing, []))[1].append(ticket)
            plan.append(place)
        plans[ticket] = plan
    clocks: dict[tuple[str, int], dict[str, list[Clock]]] = {}
    for place, (governing, tickets) in by_agreement.items():
        evaluation = evaluate_clocks(
            [e for ticket in tickets for e in events[ticket]],
            governing.first.objectives,
            governing.calendars,
            as_of,
            changes=governing.changes,
            require=False,
        )
        found: dict[str, list[Clock]] = {ticket: [] for ticket in tickets}
        for clock in evaluation.clocks:
            found[clock.ticket].append(clock)
        for ticket, theirs in found.items():
            if any(not c.intervals and walks_intervals(c, governing.current) for c in theirs):
                found[ticket] = ticket_clocks(
                    events[ticket],
                    governing.first.objectives,
                    governing.calendars,
                    as_of,
                    governing.changes,
                )
        clocks[place] = found
    return {
        ticket: [by_agreement[place][0].result(clocks[place][ticket], as_of) for place in plan]
        for ticket, plan in plans.items()
    }


def refresh_many(session: Session, rows: Sequence[TicketRow], moment: datetime) -> int:
    """What :func:`refresh` does for each of these ticket rows (already locked by the caller,
    on PostgreSQL), with one query a chunk of tickets for their events, the clocks evaluated
    together (:func:`compute_many`) and bulk statements for the clock rows, due items and the
    tickets themselves. Returns the number of clocks."""
    by_organisation: dict[int, dict[str, str | None]] = {}
    for row in rows:
        by_organisation.setdefault(row.organisation_id, {})[row.ticket] = row.customer
    count = 0
    for organisation_id, customers in by_organisation.items():
        tickets = sorted(customers)
        events = events_of_tickets(session, organisation_id, tickets)
        computed = compute_many(session, organisation_id, customers, moment, events)
        clock_rows = [
            {
                "organisation_id": organisation_id,
                "ticket": ticket,
                "customer": customers[ticket],
                "agreement": result.agreement,
                "objective": clock.objective,
                "metric": clock.metric,
                "cycle": clock.cycle,
                "state": clock.state,
                "target_seconds": clock.target.total_seconds() if clock.target else None,
                "used_seconds": clock.used.total_seconds(),
                "deadline": clock.deadline,
                "breached_at": clock.breached_at,
                "fields": dict(clock.fields),
                "computed_at": moment,
            }
            for ticket in tickets
            for result in computed.get(ticket, ())
            for clock in result.clocks
        ]
        for chunk in _chunks(tickets):
            session.execute(
                delete(ClockRow).where(
                    ClockRow.organisation_id == organisation_id, ClockRow.ticket.in_(chunk)
                )
            )
        _insert_many(session, ClockRow, clock_rows)
        count += len(clock_rows)
        _store_due_many(session, organisation_id, customers, computed, moment)
        for chunk in _chunks(tickets):
            session.execute(
                update(TicketRow)
                .where(TicketRow.organisation_id == organisation_id, TicketRow.ticket.in_(chunk))
                .values(dirty=False, refreshed_at=moment)
                .execution_options(synchronize_session=False)
            )
    return count


def _store_due_many(
    session: Session,
    organisation_id: int,
    customers: Mapping[str, str | None],
    computed: Mapping[str, Sequence[AgreementClocks]],
    moment: datetime,
) -> None:
    """:func:`_store_due` for many tickets: the same items inserted, moved and cancelled
    (a fired item never changes), with bulk statements."""
    existing: dict[tuple[str, str, str, int, int], tuple[Any, ...]] = {}
    for chunk in _chunks(sorted(customers)):
        for item_id, subject, agreement, objective, cycle, level, *stored in session.execute(
            select(
                DueItem.id,
                DueItem.subject,
                DueItem.agreement,
                DueItem.objective,
                DueItem.cycle,
                DueItem.level,
                DueItem.at,
                DueItem.status,
                DueItem.due_at,
                DueItem.notify,
                DueItem.channels,
            )
            .where(DueItem.organisation_id == organisation_id, DueItem.subject.in_(chunk))
            .order_by(DueItem.id)
            .with_for_update()  # PostgreSQL: a worker firing one of them waits, or we do
        ):
            existing[(subject, agreement, objective, cycle, level)] = (item_id, *stored)
    seen = set()
    added: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    for ticket, results in computed.items():
        for result in results:
            for due in result.due:
                key = (ticket, result.agreement, due.objective, due.cycle, due.level)
                seen.add(key)
                values = {
                    "at": due.at,
                    "status": due.state,
                    "due_at": due.due,
                    "notify": list(due.notify),
                    "channels": list(due.channels),
                    "updated_at": moment,
                }
                found = existing.get(key)
                if found is None:
                    added.append(
                        {
                            "organisation_id": organisation_id,
                            "subject": ticket,
                            "customer": customers[ticket],
                            "agreement": result.agreement,
                            "objective": due.objective,
                            "cycle": due.cycle,
                            "level": due.level,
                            "fired_at": None,
                            **values,
                        }
                    )
                    continue
                item_id, at, state, due_at, notify, channels = found
                if state != "fired" and not _unchanged(at, state, due_at, notify, channels, due):
                    moved.append({"id": item_id, **values})  # fired: notified once, kept
    cancelled = [
        {"id": item_id, "status": "cancelled", "due_at": None, "updated_at": moment}
        for key, (item_id, _, state, *_) in existing.items()
        if key not in seen and state in ("pending", "held")
    ]
    _insert_many(session, DueItem, added)
    _update_due(session, moved + cancelled)


def _insert_many(
    session: Session, table: type[ClockRow | DueItem], rows: list[dict[str, Any]]
) -> None:
    """Insert rows that conflict with none (their tickets are locked): COPY on PostgreSQL
    (several times faster than multi-row INSERTs for thousands of rows)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table.__table__), rows)  # type: ignore[arg-type]
        return
    names = list(rows[0])
    columns = table.__table__.columns
    encode = [isinstance(columns[n].type, JSON) for n in names]
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        statement = f"COPY {table.__tablename__} ({', '.join(names)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[n]) if coded else row[n]
                        for n, coded in zip(names, encode, strict=True)
                    ]
                )


_MOVE_DUE = text(
    """
    UPDATE due_items SET at = COALESCE(x.at, due_items.at), status = x.status,
        due_at = x.due_at, notify = COALESCE(CAST(x.notify AS json), due_items.notify),
        channels = COALESCE(CAST(x.channels AS json), due_items.channels),
        updated_at = x.updated_at
    FROM unnest(
        CAST(:ids AS bigint[]), CAST(:ats AS text[]), CAST(:statuses AS text[]),
        CAST(:due_ats AS timestamptz[]), CAST(:notifies AS text[]), CAST(:channels AS text[]),
        CAST(:updated_ats AS timestamptz[])
    ) AS x(id, at, status, due_at, notify, channels, updated_at)
    WHERE due_items.id = x.id
    """
)


def _update_due(session: Session, changes: list[dict[str, Any]]) -> None:
    """Due items moved or cancelled, by their row number: one statement on PostgreSQL."""
    if not changes:
        return
    if session.get_bind().dialect.name != "postgresql":
        table = DueItem.__table__
        for names in {tuple(sorted(c)) for c in changes}:  # the moved, the cancelled
            alike = [c for c in changes if tuple(sorted(c)) == names]
            session.execute(
                update(table)  # type: ignore[arg-type]
                .where(table.c.id == bindparam("item"))
                .values({n: bindparam(n) for n in names if n != "id"}),
                [{**c, "item": c["id"]} for c in alike],
            )
        return

    def encoded(change: dict[str, Any], name: str) -> str | None:
        return json.dumps(change[name]) if name in change else None

    session.execute(
        _MOVE_DUE,
        {
            "ids": [c["id"] for c in changes],
            "ats": [c.get("at") for c in changes],
            "statuses": [c["status"] for c in changes],
            "due_ats": [c["due_at"] for c in changes],
            "notifies": [encoded(c, "notify") for c in changes],
            "channels": [encoded(c, "channels") for c in changes],
            "updated_ats": [c["updated_at"] for c in changes],
        },
    )


def visible_ticket(session: Session, principal: Principal, ticket: str) -> TicketRow:
    row = session.scalar(
        select(TicketRow).where(
            TicketRow.organisation_id == principal.organisation_id, TicketRow.ticket == ticket
        )
    )
    if row is None or not principal.sees(row.customer):
        raise NotFoundError(f"no ticket {ticket!r}", "ticket")
    return row


def clock_json(clock: Clock) -> dict[str, Any]:
    def seconds(span: timedelta | None) -> float | None:
        return None if span is None else span.total_seconds()

    def instant(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(UTC)

    return {
        "objective": clock.objective,
        "metric": clock.metric,
        "cycle": clock.cycle,
        "state": clock.state,
        "target_seconds": seconds(clock.target),
        "used_seconds": seconds(clock.used),
        "left_seconds": seconds(clock.left),
        "consumed": clock.consumed,
        "started_at": instant(clock.started_at),
        "stopped_at": instant(clock.stopped_at),
        "deadline": instant(clock.deadline),
        "breached_at": instant(clock.breached_at),
        "paused_seconds": {k: v.total_seconds() for k, v in clock.paused_by.items()},
        "wall_seconds": clock.wall.total_seconds(),
        "fields": dict(clock.fields),
    }


def status(
    session: Session, principal: Principal, ticket: str, as_of: datetime | None = None
) -> dict[str, Any]:
    """Where a ticket stands: every clock, computed from its events as of now (or ``as_of``)."""
    if as_of is not None:
        try:
            within_horizon(as_of, "as_of")
        except AccordError as error:
            raise InvalidError(str(error), "as_of") from None
    events, customer, known = _events_and_customer(session, principal.organisation_id, ticket)
    if not known or not principal.sees(customer):
        raise NotFoundError(f"no ticket {ticket!r}", "ticket")
    moment = as_of or now()
    computed = compute(
        session,
        principal.organisation_id,
        ticket,
        customer,
        moment,
        STATUS_AGREEMENTS_AGE,
        events,
    )
    return {
        "ticket": ticket,
        "customer": customer,
        "as_of": moment,
        "agreements": [
            {
                "agreement": result.agreement,
                "version": result.version,
                "clocks": [clock_json(c) for c in result.clocks],
                "escalations": [
                    {
                        "objective": d.objective,
                        "cycle": d.cycle,
                        "level": d.level,
                        "at": d.at,
                        "state": d.state,
                        "due": d.due,
                    }
                    for d in result.due
                ],
            }
            for result in computed
        ],
    }


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
) -> list[ClockRow]:
    """Running clocks whose deadline falls within ``within`` (or, with ``breached``, every
    clock already past its deadline), soonest first."""
    moment = now()
    query = select(ClockRow).where(ClockRow.organisation_id == principal.organisation_id)
    if principal.customer is not None:
        query = query.where(ClockRow.customer == principal.customer)
    if agreement is not None:
        query = query.where(ClockRow.agreement == agreement)
    if objective is not None:
        query = query.where(ClockRow.objective == objective)
    if breached:
        query = query.where(
            or_(
                ClockRow.state == "breached",
                ClockRow.breached_at.is_not(None),
                (ClockRow.state == "running") & (ClockRow.deadline <= moment),
            )
        )
    else:
        query = query.where(
            ClockRow.state == "running",
            ClockRow.deadline > moment,
            ClockRow.deadline <= moment + within,
        )
    query = query.order_by(ClockRow.deadline, ClockRow.ticket).limit(limit).offset(offset)
    return list(session.scalars(query).all())


def after_upload(session: Session, organisation_id: int, key: str, agreement: Agreement) -> int:
    """A new agreement version: its review reminders are scheduled and every ticket it may
    govern is marked for recomputation (its due items move; fired ones stay as they were).
    Returns the number of tickets marked."""
    moment = now()
    existing = {
        d.level: d
        for d in session.scalars(
            select(DueItem).where(
                DueItem.organisation_id == organisation_id,
                DueItem.subject == REVIEW,
                DueItem.objective == "",  # burn-rate episodes have no ticket either
                DueItem.agreement == key,
            )
        ).all()
    }
    customer = agreement.parties.customer.id if agreement.parties else None
    reminders = review_reminders(agreement)
    for due in reminders:
        item = existing.get(due.level)
        if item is not None and item.status == "fired" and item.due_at == due.due:
            continue
        if item is None:
            item = DueItem(
                organisation_id=organisation_id,
                subject=REVIEW,
                customer=customer,
                agreement=key,
                objective="",
                cycle=0,
                level=due.level,
            )
            session.add(item)
        item.at, item.status, item.due_at = due.at, "pending", due.due
        item.notify, item.channels = list(due.notify), list(due.channels)
        item.fired_at, item.updated_at = None, moment
    for level, item in existing.items():
        if level >= len(reminders) and item.status == "pending":
            item.status = "cancelled"
    governed = select(TicketRow.id).where(TicketRow.organisation_id == organisation_id)
    if customer is not None:
        governed = governed.where(or_(TicketRow.customer == customer, TicketRow.customer.is_(None)))
    # locked in the order of their names, the order ingest marks tickets in (PostgreSQL)
    locked = governed.order_by(TicketRow.ticket.collate("C")).with_for_update()
    if session.get_bind().dialect.name != "postgresql":
        locked = governed  # one writer at a time: nothing to order
    marked = session.execute(
        update(TicketRow)
        .where(TicketRow.id.in_(locked.scalar_subquery()))
        .values(dirty=True, changed_at=moment)
    )
    return int(marked.rowcount)  # type: ignore[attr-defined]
