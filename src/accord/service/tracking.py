"""Live tracking: a ticket's clocks now, the clocks at risk or breached, and the due items.

``refresh`` recomputes one ticket from its stored events under every agreement that applies
to it: its clock rows (for the at-risk lists) and its due items (the escalation moments).
It runs right after ingest for small batches, and in workers for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from accord.core.agreement import Agreement
from accord.core.calendar import BusinessCalendar
from accord.core.clocks import TICKET_METRICS, Clock, TicketEvent, calendars_of, ticket_clocks
from accord.core.errors import AccordError
from accord.core.escalation import Due, escalation_moments, review_reminders
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
        TicketEvent(
            id=event_id,
            ticket=ticket,
            at=at,
            kind=kind,
            fields=fields,
            author=author,
            public=public,
            position=row_number,
        )
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
    named = next((e.fields.get("agreement") for e in events if "agreement" in e.fields), None)
    found = []
    for agreement in agreement_store.in_force(
        session, organisation_id, customer, agreements_max_age
    ):
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
        clocks = ticket_clocks(
            events,
            first.objectives,
            merged,
            as_of,
            [(at, later.objectives) for at, later in changes],
        )
        due = [d for c in clocks for d in escalation_moments(c, current, merged, as_of)]
        found.append(AgreementClocks(agreement.key, current.version, clocks, due))
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
