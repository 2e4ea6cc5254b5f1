"""Live tracking: a ticket's clocks now, the clocks at risk or breached, and the due items.

``refresh`` recomputes one ticket from its stored events under every agreement that applies
to it: its clock rows (for the at-risk lists) and its due items (the escalation moments).
It runs right after ingest for small batches, and in workers for the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Row, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.orm import Session

from accord.core.agreement import Agreement
from accord.core.agreement.model import Objective
from accord.core.calendar import BusinessCalendar, to_nanos
from accord.core.clock_cycles import STATES
from accord.core.clock_engines import evaluate_clocks
from accord.core.clocks import (
    TICKET_METRICS,
    Clock,
    TicketEvent,
    calendars_of,
    fields_event,
    fields_through,
    ticket_clocks,
)
from accord.core.clocks_batch import KINDS, BatchResult, EventColumns, crossings
from accord.core.errors import AccordError
from accord.core.escalation import (
    DUE_STATES,
    Due,
    DueColumns,
    batch_escalation,
    escalation_moments,
    walks_intervals,
)
from accord.core.horizon import within_horizon
from accord.core.judging import warning_share
from accord.core.reminders import TERMINATION_LEVELS, date_reminders, notice_by, term_end
from accord.core.timer import Judgement, judge
from accord.service import agreements as agreement_store
from accord.service.errors import InvalidError, NotFoundError
from accord.service.ingest import wake_workers
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


def judged_row(
    clock: ClockRow,
    computed_at: datetime,
    agreement: Agreement,
    objective: Objective,
    moment: datetime,
) -> Judgement:
    """A stored clock (as computed at its ticket's last recomputation, ``computed_at``)
    judged at ``moment`` by :func:`accord.core.timer.judge`: a clock counting time (one with
    a deadline) advanced on its objective's calendar, against the agreement's warning share
    of its target. The one judgement of Home, the console and the Tickets page."""
    target = None if clock.target_seconds is None else timedelta(seconds=clock.target_seconds)
    return judge(
        clock.state,
        timedelta(seconds=clock.used_seconds),
        target,
        warning_share(agreement, objective),
        moment,
        running=clock.state in ("running", "breached") and clock.deadline is not None,
        computed_at=computed_at if computed_at.tzinfo else computed_at.replace(tzinfo=UTC),
        calendar=calendars(agreement)[objective.calendar],
    )


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
    order of each batch), as a file's events are in its rows' order; the list is in that order
    too (as :func:`events_of_tickets` gives it): :func:`_named` takes the agreement the first
    of them to arrive names, and without ORDER BY PostgreSQL returns the rows in the order of
    whatever it read them by (an index by instant, or the order they lie on disk)."""
    rows = sorted(  # in SQL, ORDER BY id might tempt a planner to scan by id
        session.execute(
            _EVENTS_AND_CUSTOMER, {"organisation": organisation_id, "ticket": ticket}
        ).all(),
        key=lambda row: int(row[0]),
    )
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
    """The agreement a ticket's events name, if any: the first of them (in the order they
    arrived, as :func:`ticket_events` and :func:`events_of_tickets` list them) naming one."""
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
    events = ticket_events(session, organisation_id, ticket)
    computed = compute(session, organisation_id, ticket, customer, moment, events=events)
    session.execute(
        delete(ClockRow).where(
            ClockRow.organisation_id == organisation_id, ClockRow.ticket == ticket
        )
    )
    count = 0
    for result in computed:
        for clock in result.clocks:
            count += 1
            derived, event = fields_event(events, clock, moment)
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
                    fields=None if derived else dict(clock.fields),
                    fields_event=event,
                    used_at=moment,
                )
            )
    _store_due(session, organisation_id, ticket, customer, computed, moment)
    if row is not None:
        row.dirty = False
        row.refreshed_at = moment
        # written here without fingerprints: the next batch recomputation rewrites it fully
        row.clocks_hash = row.due_hash = row.lease_until = None
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
            elif item.customer == customer and _unchanged(
                item.at, item.status, item.due_at, item.notify, item.channels, due
            ):
                continue  # its updated_at stays when it last changed
            item.customer = customer  # the ticket's customer may be known only since
            item.at = due.at
            item.status = due.state
            item.due_at = due.due
            item.notify = list(due.notify)
            item.channels = list(due.channels)
            item.updated_at = moment
            item.row_hash = None  # no longer what a batch wrote: compared in full next time
    for key, item in existing.items():
        if key not in seen and item.status in ("pending", "held"):
            item.status = "cancelled"
            item.due_at = None
            item.updated_at = moment
            item.row_hash = None


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


class _Marked(Protocol):
    """A ticket row to recompute: a :class:`TicketRow`, or a row of its columns."""

    organisation_id: int
    ticket: str
    customer: str | None


_MARKED = ("organisation_id", "ticket", "customer")


def _marked(rows: Sequence[_Marked]) -> Iterator[tuple[int, str, str | None]]:
    """Each row's organisation, ticket and customer. Rows of one query's result (as the
    worker claims them) are read by position: a result row's three attributes cost eight
    times as much (1.4 us a row against 0.2: 2.5 ms of a batch of 2,000)."""
    if rows and isinstance(rows[0], Row):
        fields = rows[0]._fields
        if all(name in fields for name in _MARKED):
            return map(itemgetter(*map(fields.index, _MARKED)), rows)  # type: ignore[arg-type]
    return map(attrgetter(*_MARKED), rows)


def refresh_many(
    session: Session, rows: Sequence[_Marked], moment: datetime, claim: str | None = None
) -> int:
    """What :func:`refresh` does for each of these ticket rows, in columns: one query for
    their events, read into columns (no event object per row); the clocks of the tickets
    under one agreement evaluated together by the column engine, their stored rows and
    escalation moments taken from its table
    (:func:`accord.core.escalation.escalation_columns`), except for the clocks the engine
    replays and the tickets with a clock whose escalation needs its running intervals
    (replayed, as :func:`compute` does); bulk statements for the clock rows, the due items
    (compared with those stored in SQL, on PostgreSQL) and the tickets. Returns the number of
    clocks.

    Only what changed is written: a ticket's clock rows (and, apart, its due items) are
    fingerprinted, and a ticket whose fingerprint is the one stored on its row keeps its rows
    untouched. The ticket rows are locked (in the order ingest locks them) only once the
    results are computed, just before they are written, so ingest waits for the writes at
    most, not for the reads and the computation.

    ``claim`` (PostgreSQL): the transaction that leased these tickets (see
    :meth:`accord.worker.Worker.refresh_dirty`); a ticket whose row changed since (ingest
    marked it again, or someone else recomputed it) stays or is marked again, to be
    recomputed with its newest events. Without it, every
    ticket is unmarked (its row must be locked by the caller)."""
    by_organisation: dict[int, dict[str, str | None]] = {}
    for organisation_id, ticket, customer in _marked(rows):
        by_organisation.setdefault(organisation_id, {})[ticket] = customer
    postgresql = session.get_bind().dialect.name == "postgresql"
    count = 0
    for organisation_id, customers in by_organisation.items():
        tickets = sorted(customers)
        literal = _text_array(tickets) if postgresql else None  # made once, passed thrice
        columns = event_columns(session, organisation_id, tickets, literal)
        found = _Found(columns.tickets, customers, moment)
        _compute_columns(session, organisation_id, customers, moment, columns, found)
        count += found.clocks
        clocks_hash = found.clock_fingerprints()
        due_hash = found.due_fingerprints()
        stored = _lock_stored(session, organisation_id, tickets, postgresql, literal)
        new_clocks = [t for t in tickets if stored.get(t, (None, None))[0] != clocks_hash[t]]
        new_due = [t for t in tickets if stored.get(t, (None, None))[1] != due_hash[t]]
        if postgresql:
            marks = {  # the arrays the statements unnest (SQLite updates row by row below)
                "organisation": organisation_id,
                "tickets": literal,
                "clocks": _int_array([clocks_hash[t] for t in tickets]),
                "due": _int_array([due_hash[t] for t in tickets]),
                "at": moment,
            }
            if new_clocks:
                gone, written = found.changed_clocks(session, organisation_id, new_clocks)
                if gone:
                    session.execute(_DELETE_CLOCKS, {"ids": _int_array(gone)})
                found.copy_clocks(session, organisation_id, found.clock_lines(written))
            if new_due:
                found.write_due(session, organisation_id, new_due)
            if claim is None:
                session.execute(_REFRESHED, marks)
            else:
                session.execute(_REFRESHED_CLAIMED, {**marks, "claim": claim})
            continue
        gone, written = found.changed_clocks(session, organisation_id, new_clocks)
        for start in range(0, len(gone), _CHUNK):
            session.execute(delete(ClockRow).where(ClockRow.id.in_(gone[start : start + _CHUNK])))
        _insert_many(session, ClockRow, found.clock_rows(organisation_id, written))
        if new_due:
            _store_due_many(
                session,
                organisation_id,
                {t: customers[t] for t in new_due},
                found.due_rows(set(new_due)),
                moment,
            )
        table = TicketRow.__table__
        session.execute(
            update(table)  # type: ignore[arg-type]
            .where(table.c.organisation_id == organisation_id, table.c.ticket == bindparam("name"))
            .values(
                dirty=False,
                refreshed_at=moment,
                lease_until=None,
                clocks_hash=bindparam("clocks"),
                due_hash=bindparam("due"),
            ),
            [{"name": t, "clocks": clocks_hash[t], "due": due_hash[t]} for t in tickets],
        )
    return count


def _text_array(values: Sequence[str]) -> str:
    """A PostgreSQL array literal of these texts, to be cast to ``text[]``: psycopg adapts a
    list element by element in Python, 10-20x slower for the thousands a batch passes."""
    if not values:
        return "{}"
    joined = '","'.join(values)
    # the usual case, no name with a quote or a backslash (the separators hold two quotes
    # each): nothing to escape, one join
    if "\\" not in joined and joined.count('"') == 2 * (len(values) - 1):
        return '{"' + joined + '"}'
    return (
        "{"
        + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        + "}"
    )


def _int_array(values: Sequence[int]) -> str:
    """A PostgreSQL array literal of these integers, to be cast to ``bigint[]``."""
    return "{" + ",".join(map(str, values)) + "}"


def _lock_stored(
    session: Session,
    organisation_id: int,
    tickets: Sequence[str],
    postgresql: bool,
    literal: str | None = None,
) -> dict[str, tuple[int | None, int | None]]:
    """The fingerprints stored on these tickets' rows, read under a lock of the rows on
    PostgreSQL (taken in the order ingest takes them, so neither waits on the other in a
    cycle), which the transaction then holds until its writes are committed. ``literal``:
    the tickets' array literal (:func:`_text_array`), when made already."""
    if postgresql:
        driver = session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(_LOCK_STORED, (organisation_id, literal or _text_array(tickets)))
            return {ticket: (clocks, due) for ticket, clocks, due in cursor.fetchall()}
    return {
        ticket: (clocks, due)
        for chunk in _chunks(tickets)
        for ticket, clocks, due in session.execute(
            select(TicketRow.ticket, TicketRow.clocks_hash, TicketRow.due_hash).where(
                TicketRow.organisation_id == organisation_id, TicketRow.ticket.in_(chunk)
            )
        )
    }


_LOCK_STORED = (  # run on the driver's cursor: 2,000 rows without SQLAlchemy's row objects
    "SELECT ticket, clocks_hash, due_hash FROM tickets "
    "WHERE organisation_id = %s AND ticket = ANY(CAST(%s AS text[])) "
    'ORDER BY ticket COLLATE "C" FOR UPDATE'
)
_DELETE_CLOCKS = text("DELETE FROM ticket_clocks WHERE id = ANY(CAST(:ids AS bigint[]))")
_MARKS = (
    "FROM unnest(CAST(:tickets AS text[]), CAST(:clocks AS bigint[]), CAST(:due AS bigint[])) "
    "AS x(ticket, clocks, due) "
    "WHERE tickets.organisation_id = :organisation AND tickets.ticket = x.ticket"
)
_REFRESHED = text(
    "UPDATE tickets SET dirty = false, refreshed_at = :at, lease_until = NULL, "
    "clocks_hash = x.clocks, due_hash = x.due " + _MARKS
)
# unmarked if the ticket row is as the claim left it (its version's transaction); if anyone
# wrote it since (ingest marking it, a request recomputing it with newer events, another
# worker after the lease ran out), marked: what was written here may be older than theirs
_REFRESHED_CLAIMED = text(
    "UPDATE tickets SET dirty = tickets.xmin <> CAST(:claim AS xid), "
    "refreshed_at = :at, lease_until = NULL, clocks_hash = x.clocks, due_hash = x.due " + _MARKS
)
# one row, a column each (in the same order of events: one pass of the aggregates): the
# numbers as one binary string each (their binary forms, as PostgreSQL sends them: no text
# made or parsed, no numeric conversion of the instants), read by numpy, the fields as one
# JSON text decoded by one orjson.loads: no row object an event. A ticket comes as its place in
# the array asked for (its code), an instant as microseconds since 2000-01-01 UTC (what
# ``timestamptz_send`` writes), a kind as its code in KINDS, the author as a flag: 1 an
# agent's public reply, 2 a customer's message. Each ticket's events are found with its
# index (ix_ticket_events_ticket, one lookup a ticket: OFFSET 0 keeps the lookup apart), so
# the cost does not grow with the organisation's history: joined, the planner scanned and
# hashed the organisation's events
_EVENT_COLUMNS = (
    "SELECT string_agg(int4send(CAST(x.code - 1 AS integer)), ''), "
    "string_agg(timestamptz_send(e.at), ''), "
    "string_agg(int4send(array_position(CAST(%(kinds)s AS text[]), CAST(e.kind AS text)) - 1), "
    "''), "
    "string_agg(CASE WHEN e.kind = 'comment' AND e.author = 'agent' AND e.public THEN '1' "
    "WHEN e.kind = 'comment' AND e.author = 'customer' THEN '2' ELSE '0' END, ''), "
    "string_agg(int8send(e.id), ''), string_agg(CAST(e.fields AS text), ',') "
    "FROM unnest(CAST(%(tickets)s AS text[])) WITH ORDINALITY AS x(ticket, code) "
    "CROSS JOIN LATERAL (SELECT e.id, e.at, e.kind, e.author, e.public, e.fields "
    "FROM ticket_events e "
    "WHERE e.organisation_id = %(organisation)s AND e.ticket = x.ticket OFFSET 0) AS e"
)
# timestamptz_send's origin, in microseconds since 1970-01-01 UTC
_PG_EPOCH_MICROS = 946_684_800_000_000
_KINDS = "{" + ",".join(KINDS) + "}"


def _binary(joined: bytes | None, size: int) -> npt.NDArray[np.int64]:
    """Integers of ``size`` bytes in PostgreSQL's binary form (big-endian), one after the
    other (as ``string_agg`` of ``int4send``/``int8send`` joins them), as an array."""
    if not joined:
        return np.zeros(0, dtype=np.int64)
    return np.frombuffer(joined, dtype=f">i{size}").astype(np.int64)


def _digits(joined: str | None) -> npt.NDArray[np.int64]:
    """One-digit numbers written one after the other, as an array."""
    if not joined:
        return np.zeros(0, dtype=np.int64)
    return np.frombuffer(joined.encode("ascii"), dtype=np.uint8).astype(np.int64) - ord("0")


def event_columns(
    session: Session, organisation_id: int, tickets: Sequence[str], literal: str | None = None
) -> EventColumns:
    """The events of these tickets as columns for the column engine (``tickets``, in this
    order, are its ticket codes), positioned by their row's number as :func:`ticket_events`
    positions them: one query, and no event object per row (on PostgreSQL no row either:
    each column of numbers comes as one binary string read by numpy, the events' fields as
    one JSON text decoded by one ``orjson.loads``). ``literal``: the tickets' array literal
    (:func:`_text_array`, PostgreSQL), when made already."""
    if session.get_bind().dialect.name == "postgresql":
        driver = session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                _EVENT_COLUMNS,
                {
                    "kinds": _KINDS,
                    "tickets": literal or _text_array(tickets),
                    "organisation": organisation_id,
                },
            )
            found = cursor.fetchone()
        codes, micros, kinds, authors, ids, texts = found if found is not None else (None,) * 6
        flags, kind = _digits(authors), _binary(kinds, 4)
        if len(kind) != len(flags):  # a kind that none of KINDS is (ingest refuses them)
            raise ValueError("an event of an unknown kind is stored")
        return EventColumns.from_codes(
            list(tickets),
            _binary(codes, 4),
            (_binary(micros, 8) + _PG_EPOCH_MICROS) * 1000,
            kind,
            flags == 1,
            flags == 2,
            orjson.loads("[" + texts + "]") if texts else [],  # half json's time
            _binary(ids, 8),
        )
    code = {ticket: index for index, ticket in enumerate(tickets)}
    rows = [
        row
        for chunk in _chunks(tickets)
        for row in session.execute(
            _EVENTS_OF_TICKETS, {"organisation": organisation_id, "tickets": list(chunk)}
        ).all()
    ]
    ids, _, names, instants, kinds, stored, authors, public = (
        zip(*rows, strict=True) if rows else ((),) * 8
    )
    return EventColumns.from_rows(
        list(tickets),
        np.fromiter(map(code.__getitem__, names), dtype=np.int64, count=len(ids)),
        np.array([to_nanos(instant) for instant in instants], dtype=np.int64),
        kinds,
        authors,
        public,
        list(stored),
        np.array(ids, dtype=np.int64),
    )


def _named_in_columns(columns: EventColumns) -> list[str | None]:
    """:func:`_named` for each ticket of the columns (by code): the agreement named by the
    first of its events, in the order they arrived, that names one."""
    found: list[str | None] = [None] * len(columns.tickets)
    if "agreement" not in columns.fields:
        return found
    codes, vocabulary = columns.fields["agreement"]
    rows = np.flatnonzero(codes >= 0)
    rows = rows[np.lexsort((columns.rank[rows], columns.ticket[rows]))]
    owners = columns.ticket[rows]
    firsts = np.flatnonzero(np.diff(owners, prepend=-1))
    for owner, row in zip(owners[firsts].tolist(), rows[firsts].tolist(), strict=True):
        found[owner] = vocabulary[codes[row]]
    return found


def _compute_columns(
    session: Session,
    organisation_id: int,
    customers: Mapping[str, str | None],
    as_of: datetime,
    columns: EventColumns,
    found: _Found,
) -> None:
    """What :func:`compute` gives each ticket of the columns, into ``found``: the tickets
    under one agreement evaluated together by the column engine, their rows and escalation
    moments taken from its table; the clocks the engine replayed, and those of tickets with a
    clock whose escalation needs its running intervals (replayed here), as objects."""
    in_force: dict[str | None, list[agreement_store.InForce]] = {}
    named = _named_in_columns(columns)
    present = np.bincount(columns.ticket, minlength=len(columns.tickets)) > 0
    groups: dict[tuple[str, int], tuple[_Governing, list[npt.NDArray[np.int64]]]] = {}
    # tickets of one customer naming one agreement are governed alike: each such pair's
    # tickets found at once (C loops over the tickets: no Python statement a ticket)
    codes_present = np.flatnonzero(present)
    listed = codes_present.tolist()
    pairs = list(
        zip(
            map(customers.get, map(columns.tickets.__getitem__, listed)),
            map(named.__getitem__, listed),
            strict=True,
        )
    )
    distinct = {pair: number for number, pair in enumerate(dict.fromkeys(pairs))}
    pair_of = np.fromiter(map(distinct.__getitem__, pairs), dtype=np.int64, count=len(pairs))
    # each pair's tickets in one pass (a stable sort keeps them ascending), not a pass over
    # the batch a pair: a batch of many customers costs pairs + tickets, not their product
    by_pair = np.argsort(pair_of, kind="stable")
    cuts = np.searchsorted(pair_of[by_pair], np.arange(1, len(distinct)))
    owned = np.split(codes_present[by_pair], cuts)
    for (customer, name), number in distinct.items():
        if customer not in in_force:
            in_force[customer] = agreement_store.in_force(session, organisation_id, customer)
        mine = codes_present if len(distinct) == 1 else owned[number]
        for governing in _governing(in_force[customer], name, as_of):
            place = (governing.key, id(governing.first))
            groups.setdefault(place, (governing, []))[1].append(mine)
    bounds = np.searchsorted(columns.ticket, np.arange(len(columns.tickets) + 1))
    histories: dict[str, list[TicketEvent]] = {}

    def history(ticket: str) -> list[TicketEvent]:
        """A ticket's events as objects (the few tickets replayed), made once."""
        if ticket not in histories:
            code = found.code[ticket]
            histories[ticket] = columns.events_of(np.arange(bounds[code], bounds[code + 1]))
        return histories[ticket]

    for governing, codes in groups.values():
        kept = np.zeros(len(columns.tickets), dtype=bool)
        for some in codes:
            kept[some] = True
        evaluated = columns if bool(kept[present].all()) else columns.of_tickets(kept)
        evaluation = evaluate_clocks(
            evaluated,
            governing.first.objectives,
            governing.calendars,
            as_of,
            changes=governing.changes,
            require=False,
        )
        batch = evaluation.batch
        if batch is None:  # the replay's clocks
            found.add_clocks(governing, evaluation.clocks, history)
            continue
        table = batch.table
        due, left_out = batch_escalation(
            governing.current,
            governing.calendars,
            as_of,
            batch,
            None if governing.changes else partial(crossings, batch, governing.calendars, as_of),
        )
        replayed = sorted(set(table.ticket[left_out].tolist()))
        again = {batch.tickets[code] for code in replayed}
        objects = [c for c in batch.replayed if c.ticket not in again]
        for code in replayed:
            objects += ticket_clocks(
                history(batch.tickets[code]),
                governing.first.objectives,
                governing.calendars,
                as_of,
                governing.changes,
            )
        kept_rows = ~np.isin(table.ticket, replayed)
        found.add_table(governing, batch, kept_rows, due, len(evaluated.at))
        found.add_clocks(governing, objects, history)


_NAT = int(np.iinfo(np.int64).min)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _ns(moment: datetime | None) -> int:
    return _NAT if moment is None else to_nanos(moment)


def _instant(ns: int) -> datetime | None:
    return None if ns == _NAT else _EPOCH + timedelta(microseconds=ns // 1000)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CLOCK_COLUMNS = (
    "organisation_id, ticket, customer, agreement, objective, metric, cycle, state, "
    "target_seconds, deadline, breached_at, fields, fields_event, used_seconds, row_hash, "
    "used_at"
)


class _Found:
    """A batch's clock rows and due items, gathered column by column (from the column
    engine's table, or from clock objects), written with one COPY each on PostgreSQL."""

    def __init__(
        self, tickets: Sequence[str], customers: Mapping[str, str | None], moment: datetime
    ) -> None:
        self.customers, self.moment = customers, moment
        self.names = np.array(list(tickets), dtype=object)
        self.code = {ticket: code for code, ticket in enumerate(tickets)}
        self.customer_codes: npt.NDArray[np.uint64] | None = None
        self.clock_parts: list[dict[str, Any]] = []
        self.due_parts: list[dict[str, Any]] = []
        self.clocks = 0

    def add_table(
        self,
        governing: _Governing,
        batch: BatchResult,
        kept: npt.NDArray[np.bool_],
        due: DueColumns,
        real: int,
    ) -> None:
        """The engine's clocks (rows of its table) that are ``kept``, and their due rows
        (``real``: the number of rows of the columns evaluated, which the engine may widen
        with rows of its own where an agreement version takes over)."""
        table = batch.table
        rows = np.flatnonzero(kept)
        if not len(rows):
            return
        objectives = np.array([o.id for o in batch.objectives], dtype=object)
        objective_hashes = _text_codes(objectives.tolist())  # a text's hash, once a batch
        metrics = np.array(table.metric, dtype=object)[rows].tolist()
        self.clock_parts.append(
            {
                "owner": table.ticket[rows],
                "ticket": self.names[table.ticket[rows]].tolist(),
                "agreement": governing.key,
                "objective": objectives[table.objective[rows]].tolist(),
                _HASHED + "objective": objective_hashes[table.objective[rows]],
                "metric": metrics,
                "cycle": table.cycle[rows],
                "state": np.array(STATES, dtype=object)[table.state[rows]].tolist(),
                "state_code": table.state[rows],
                "target": table.target[rows] // 1000,
                "used": table.used[rows] // 1000,
                "deadline": table.deadline[rows],
                "breached": table.breached[rows],
                "fields_event": _fields_events(batch, rows, real),
                "fields": None,  # all derived (see ClockRow.fields)
            }
        )
        self.clocks += len(rows)
        taken = np.flatnonzero(kept[due.clock])
        levels = due.levels
        notify = [json.dumps(list(level.notify)) for level in levels]
        channels = [json.dumps(list(level.channels)) for level in levels]
        codes = due.level[taken]
        level = codes.tolist()
        clock = due.clock[taken]
        states = due.state[taken]
        self.due_parts.append(
            {
                "owner": table.ticket[clock],
                "ticket": self.names[table.ticket[clock]].tolist(),
                "agreement": governing.key,
                "objective": objectives[table.objective[clock]].tolist(),
                _HASHED + "objective": objective_hashes[table.objective[clock]],
                "cycle": table.cycle[clock],
                "level": due.number[taken],
                "at": [levels[i].at for i in level],
                _HASHED + "at": _text_codes([lv.at for lv in levels])[codes],
                "state": np.array(DUE_STATES, dtype=object)[states].tolist(),
                _HASHED + "state": _DUE_STATE_HASHES[states],
                "due": due.due[taken],
                "notify": [notify[i] for i in level],
                _HASHED + "notify": _text_codes(notify)[codes],
                "channels": [channels[i] for i in level],
                _HASHED + "channels": _text_codes(channels)[codes],
            }
        )

    def add_clocks(
        self,
        governing: _Governing,
        clocks: Sequence[Clock],
        history: Callable[[str], list[TicketEvent]],
    ) -> None:
        """Clocks as objects, and their escalation moments one clock at a time (``history``:
        a ticket's events, by which their fields are found again)."""
        if not clocks:
            return
        us = timedelta(microseconds=1)
        references = [fields_event(history(c.ticket), c, self.moment) for c in clocks]
        self.clock_parts.append(
            {
                "owner": self._codes([c.ticket for c in clocks]),
                "ticket": [c.ticket for c in clocks],
                "agreement": governing.key,
                "objective": [c.objective for c in clocks],
                "metric": [c.metric for c in clocks],
                "cycle": np.array([c.cycle for c in clocks], dtype=np.int64),
                "state": [c.state for c in clocks],
                "state_code": np.array([STATES.index(c.state) for c in clocks], dtype=np.int64),
                "target": np.array(
                    [_NAT if c.target is None else c.target // us for c in clocks],
                    dtype=np.int64,
                ),
                "used": np.array([c.used // us for c in clocks], dtype=np.int64),
                "deadline": np.array([_ns(c.deadline) for c in clocks], dtype=np.int64),
                "breached": np.array([_ns(c.breached_at) for c in clocks], dtype=np.int64),
                "fields_event": np.array(
                    [-1 if event is None else event for _, event in references], dtype=np.int64
                ),
                "fields": [
                    None if derived else json.dumps(dict(c.fields))
                    for c, (derived, _) in zip(clocks, references, strict=True)
                ],
            }
        )
        self.clocks += len(clocks)
        dues = [
            (clock.ticket, due)
            for clock in clocks
            for due in escalation_moments(
                clock, governing.current, governing.calendars, self.moment
            )
        ]
        if not dues:
            return
        self.due_parts.append(
            {
                "owner": self._codes([ticket for ticket, _ in dues]),
                "ticket": [ticket for ticket, _ in dues],
                "agreement": governing.key,
                "objective": [d.objective for _, d in dues],
                "cycle": np.array([d.cycle for _, d in dues], dtype=np.int64),
                "level": np.array([d.level for _, d in dues], dtype=np.int64),
                "at": [d.at for _, d in dues],
                "state": [d.state for _, d in dues],
                "due": np.array([_ns(d.due) for _, d in dues], dtype=np.int64),
                "notify": [json.dumps(list(d.notify)) for _, d in dues],
                "channels": [json.dumps(list(d.channels)) for _, d in dues],
            }
        )

    def _codes(self, tickets: list[str]) -> npt.NDArray[np.int64]:
        return np.fromiter(map(self.code.__getitem__, tickets), dtype=np.int64, count=len(tickets))

    def clock_fingerprints(self) -> dict[str, int]:
        """Each ticket's fingerprint of its clock rows, from the columns (no text a row): what
        a row holds but for the ticket and ``used_at``, except that a clock running on towards
        a deadline still ahead stands for its used time by that deadline. Such a clock found
        again with the same deadline ran on throughout since its row was written (it would
        have a later deadline had it paused), so its row's used time, advanced on its calendar
        from the row's ``used_at``, is the time used now: the row is kept."""
        ahead = _ns(self.moment)
        running = STATES.index("running")

        def columns(part: dict[str, Any]) -> list[npt.NDArray[np.uint64]]:
            stable = (part["state_code"] == running) & (part["deadline"] > ahead)
            return [
                _hashed(part, "objective"),
                _text_codes(part["metric"]),
                *map(_bits, (part[n] for n in ("cycle", "state_code", "target", "deadline"))),
                _bits(part["breached"]),
                _fields_bits(part),
                np.where(stable, _STABLE, _bits(part["used"])),
            ]

        return self._fingerprints(self.clock_parts, columns)

    def due_fingerprints(self) -> dict[str, int]:
        """Each ticket's fingerprint of its due items, from the columns."""
        return self._fingerprints(
            self.due_parts,
            lambda part: [
                _hashed(part, "objective"),
                _bits(part["cycle"]),
                _bits(part["level"]),
                _hashed(part, "at"),
                _hashed(part, "state"),
                _bits(part["due"]),
                _hashed(part, "notify"),
                _hashed(part, "channels"),
            ],
        )

    def _fingerprints(
        self,
        parts: list[dict[str, Any]],
        columns: Callable[[dict[str, Any]], list[npt.NDArray[np.uint64]]],
    ) -> dict[str, int]:
        """Each ticket's fingerprint of its rows in these parts: each row's customer,
        agreement and ``columns`` hashed together (:func:`_row_hashes`), the hashes of a
        ticket's rows summed (in any order), mixed with their number, as a signed integer for
        a BIGINT column; a ticket without rows has the fingerprint 0."""
        count = len(self.names)
        hashes = [
            _row_hashes(
                len(part["owner"]),
                self._customer_codes(part["owner"]),
                _text_codes([part["agreement"]]),
                *columns(part),
            )
            for part in parts
        ]
        for part, found_hashes in zip(parts, hashes, strict=True):
            part["row_hash"] = found_hashes.view(np.int64)  # each row's, kept with it
        owner = (
            np.concatenate([part["owner"] for part in parts])
            if parts
            else np.zeros(0, dtype=np.int64)
        )
        total = np.zeros(count, dtype=np.uint64)
        if hashes:
            np.add.at(total, owner, np.concatenate(hashes))
        number = np.bincount(owner, minlength=count).astype(np.uint64)
        found = np.where(number > 0, _mixed(total ^ _mixed(number)), np.uint64(0))
        return dict(zip(self.names.tolist(), found.view(np.int64).tolist(), strict=True))

    def _customer_codes(self, owners: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
        """The hash of each row's ticket's customer (none: a text no customer is)."""
        if self.customer_codes is None:
            customers = [self.customers.get(t) for t in self.names.tolist()]
            self.customer_codes = _text_codes(["\0" if c is None else c for c in customers])
        return self.customer_codes[owners]

    def clock_rows(
        self, organisation_id: int, parts: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The clock rows of these parts (see :meth:`changed_clocks`) as the store's rows
        (for SQLite)."""
        return [
            {
                "organisation_id": organisation_id,
                "ticket": ticket,
                "customer": self.customers.get(ticket),
                "agreement": part["agreement"],
                "objective": objective,
                "metric": metric,
                "cycle": cycle,
                "state": state,
                "target_seconds": None if target == _NAT else target / 1e6,
                "used_seconds": used / 1e6,
                "deadline": _instant(deadline),
                "breached_at": _instant(breached),
                "fields": None if fields is None else json.loads(fields),
                "fields_event": None if event < 0 else event,
                "used_at": self.moment,
                "row_hash": row_hash,
            }
            for part in parts
            for ticket, objective, metric, cycle, state, target, used, deadline, breached, fields, event, row_hash in zip(  # noqa: E501
                part["ticket"],
                part["objective"],
                part["metric"],
                part["cycle"].tolist(),
                part["state"],
                part["target"].tolist(),
                part["used"].tolist(),
                part["deadline"].tolist(),
                part["breached"].tolist(),
                part["fields"] or [None] * len(part["ticket"]),
                part["fields_event"].tolist(),
                part["row_hash"].tolist(),
                strict=True,
            )
        ]

    def due_rows(self, tickets: set[str]) -> list[tuple[Any, ...]]:
        """The due items found for these tickets: (ticket, agreement, objective, cycle, level,
        at, state, due, notify, channels)."""
        return [
            (
                *(ticket, part["agreement"], objective, cycle, level, at, state),
                *(_instant(due), json.loads(notify), json.loads(channels)),
            )
            for part in self.due_parts
            for ticket, objective, cycle, level, at, state, due, notify, channels in zip(
                part["ticket"],
                part["objective"],
                part["cycle"].tolist(),
                part["level"].tolist(),
                part["at"],
                part["state"],
                part["due"].tolist(),
                part["notify"],
                part["channels"],
                strict=True,
            )
            if ticket in tickets
        ]

    def changed_clocks(
        self, session: Session, organisation_id: int, tickets: Sequence[str]
    ) -> tuple[list[int], list[dict[str, Any]]]:
        """What to write of these tickets' clock rows (tickets whose fingerprint changed):
        the stored rows to delete (by row number: gone, or changed) and the parts' rows to
        write (new, or changed), compared row by row with the fingerprint each stored row
        keeps (``row_hash``; a row without one is written again). A clock unchanged, or
        running on towards the same deadline, keeps its row."""
        gone, written = self._changed_rows(session, ClockRow, organisation_id, tickets)
        return gone.tolist(), written

    def _changed_rows(
        self,
        session: Session,
        table: type[ClockRow | DueItem],
        organisation_id: int,
        tickets: Sequence[str],
    ) -> tuple[npt.NDArray[np.int64], list[dict[str, Any]]]:
        """These tickets' stored rows (clock rows or due items) that no row found has, by
        their row numbers, and the parts' rows found that no stored row has: compared by
        ticket and fingerprint (``row_hash``: a row's fingerprint covers its key, so a row
        found with its stored fingerprint is that row unchanged; a stored row without one
        matches none)."""
        codes = self._codes(list(tickets))
        stored_codes, ids, hashes = _stored_rows(session, table, organisation_id, tickets)
        stored_codes = np.where(stored_codes >= 0, codes[np.maximum(stored_codes, 0)], -1)
        parts = list(_parts_of(self.due_parts if table is DueItem else self.clock_parts, codes))
        sizes = [len(part["owner"]) for part in parts]
        owners = np.concatenate([p["owner"] for p in parts]) if parts else np.zeros(0, np.int64)
        found = np.concatenate([p["row_hash"] for p in parts]) if parts else np.zeros(0, np.int64)
        stored_kept, found_kept = _shared(stored_codes, hashes, owners, found)
        written = []
        kept_parts = np.split(found_kept, np.cumsum(sizes)[:-1]) if parts else []
        for part, kept in zip(parts, kept_parts, strict=True):
            if not kept.all():
                written.append(_cut(part, ~kept))
        return ids[~stored_kept], written

    def clock_lines(self, parts: Sequence[dict[str, Any]]) -> list[str]:
        """The clock rows of these parts (see :meth:`changed_clocks`) as COPY text lines
        (without the organisation and ``used_at``), built column by column."""
        lines: list[str] = []
        customers: dict[str, str] = {}
        for part in parts:
            names = _copy_texts(part["ticket"])
            for raw in part["ticket"]:
                if raw not in customers:
                    customer = self.customers.get(raw)
                    customers[raw] = "\\N" if customer is None else _copy_text(customer)
            agreement = _copy_text(part["agreement"])
            target = part["target"]
            targets = (target / 1e6).tolist()
            lines.extend(
                "\t".join(row)
                for row in zip(
                    names,
                    [customers[t] for t in part["ticket"]],
                    [agreement] * len(names),
                    _copy_texts(part["objective"]),
                    part["metric"],
                    map(str, part["cycle"].tolist()),
                    part["state"],
                    [
                        "\\N" if t == _NAT else repr(s)
                        for t, s in zip(target.tolist(), targets, strict=True)
                    ],
                    _copy_instants(part["deadline"]),
                    _copy_instants(part["breached"]),
                    _copy_fields(part["fields"], len(names)),
                    ["\\N" if e < 0 else str(e) for e in part["fields_event"].tolist()],
                    map(repr, (part["used"] / 1e6).tolist()),
                    map(str, part["row_hash"].tolist()),
                    strict=True,
                )
            )
        return lines

    def copy_clocks(self, session: Session, organisation_id: int, lines: list[str]) -> None:
        """Clock rows as :meth:`clock_lines` writes them, with one COPY (PostgreSQL), their
        used time as of this batch's instant."""
        organisation = str(organisation_id) + "\t"
        at = "\t" + _copy_instants(np.array([_ns(self.moment)], dtype=np.int64))[0]
        _copy(
            session,
            f"COPY ticket_clocks ({_CLOCK_COLUMNS}) FROM STDIN",
            [organisation + line + at for line in lines],
        )

    def due_lines(self, tickets: Sequence[str]) -> list[str]:
        """The due items found for these tickets as COPY text lines."""
        return self._due_lines(list(_parts_of(self.due_parts, self._codes(list(tickets)))))

    def _due_lines(self, parts: Sequence[dict[str, Any]]) -> list[str]:
        """The due items of these parts as COPY text lines (as ``due_stage`` holds them)."""
        lines: list[str] = []
        customers = {
            ticket: "\\N" if customer is None else _copy_text(customer)
            for ticket, customer in self.customers.items()
        }
        for part in parts:
            tickets_here = part["ticket"]
            agreement = _copy_text(part["agreement"])
            lines.extend(
                "\t".join(row)
                for row in zip(
                    _copy_texts(tickets_here),
                    [customers[t] for t in tickets_here],
                    [agreement] * len(tickets_here),
                    _copy_texts(part["objective"]),
                    map(str, part["cycle"].tolist()),
                    map(str, part["level"].tolist()),
                    _copy_texts(part["at"]),
                    part["state"],
                    _copy_instants(part["due"]),
                    _copy_texts(part["notify"]),
                    _copy_texts(part["channels"]),
                    map(str, part["row_hash"].tolist()),
                    strict=True,
                )
            )
        return lines

    def write_due(self, session: Session, organisation_id: int, tickets: Sequence[str]) -> None:
        """:func:`_store_due_many` on PostgreSQL for these tickets (those whose due items'
        fingerprint changed), per item: the stored items' fingerprints are read (no item
        itself), and only the items found whose fingerprint no stored item has are written,
        copied into a temporary table and inserted, or moved where their key is stored (a
        fired item never changes; one whose moment, state and recipients are as stored keeps
        its ``updated_at``: it was written by someone else, without a fingerprint); stored
        items found in no form any more are cancelled if pending or held. An item unchanged
        is neither written nor locked."""
        gone, written = self._changed_rows(session, DueItem, organisation_id, tickets)
        touched: set[int] = set()
        if written:
            session.execute(_DUE_STAGE)
            _copy(session, "COPY due_stage FROM STDIN", self._due_lines(written))
            values = {"organisation": organisation_id, "at": self.moment}
            touched = set(session.scalars(_UPSERT_STAGED_DUE, values).all())  # one fetch
            session.execute(text("TRUNCATE due_stage"))
        cancelled = [item for item in gone.tolist() if item not in touched]
        if cancelled:
            session.execute(_CANCEL_DUE_ROWS, {"ids": _int_array(cancelled), "at": self.moment})


def _fields_events(
    batch: BatchResult, rows: npt.NDArray[np.int64], real: int
) -> npt.NDArray[np.int64]:
    """For these clocks of the engine's table, the event their fields are as of, by its row
    number (the columns' ``rank``): a stopped clock's stop event; -1 (null) for a clock still
    open, whose fields are its ticket's as of the recomputation. A clock stopped where an
    agreement version took over (a row the engine added, past the ``real`` rows) takes the
    ticket's event before it, whose fields that row carries."""
    table, columns = batch.table, batch.columns
    stopped = table.stopped[rows] != _NAT
    if columns is None or not stopped.any():
        return np.full(len(rows), -1, dtype=np.int64)
    events = table.event[rows]
    virtual = np.flatnonzero(stopped & (events >= real))
    if len(virtual):
        events = events.copy()
        order = np.arange(len(columns.at)) if batch.order is None else batch.order
        place = np.empty(len(columns.at), dtype=np.int64)
        place[order] = np.arange(len(order))
        for i in virtual.tolist():
            position = int(place[events[i]])
            while int(order[position]) >= real:  # the versions' rows set no field
                position -= 1
            events[i] = order[position]
    found: npt.NDArray[np.int64] = np.where(
        stopped, columns.rank[events].astype(np.int64, copy=False), -1
    )
    return found


def _fields_bits(part: dict[str, Any]) -> npt.NDArray[np.uint64]:
    """The fingerprint's column for a clock row's fields: the event they are as of, and
    the copy kept where none gives them."""
    found = _bits(part["fields_event"])
    if part["fields"] is not None and any(f is not None for f in part["fields"]):
        found = found ^ _text_codes(["" if f is None else f for f in part["fields"]])
    return found


def _copy_fields(fields: list[str | None] | None, count: int) -> list[str]:
    """Clock rows' copies of their fields as COPY text (mostly null: derived)."""
    if fields is None:
        return ["\\N"] * count
    return ["\\N" if f is None else _copy_text(f) for f in fields]


_STABLE = np.uint64(2**64 - 1)  # a running clock's used time, by its deadline ahead
_SEED = np.uint64(0x9E3779B97F4A7C15)


def _mixed(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser, element-wise (wrapping arithmetic): every bit of each value
    moves about half the bits of its result."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def _text_codes(values: Sequence[str]) -> npt.NDArray[np.uint64]:
    """64 bits of BLAKE2b of each text (one digest a distinct text): the same in every
    process, unlike ``hash``."""
    digests = {
        value: int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big")
        for value in set(values)
    }
    return np.fromiter(map(digests.__getitem__, values), dtype=np.uint64, count=len(values))


# a part's column of the hashes of a column of texts (:func:`_text_codes`), when made from
# the texts' codes (one hash a distinct text): the part's key is this prefix and the column's
_HASHED = "#"
_DUE_STATE_HASHES = _text_codes(list(DUE_STATES))


def _hashed(part: dict[str, Any], name: str) -> npt.NDArray[np.uint64]:
    """The hashes of a part's column of texts: made already, or made from the texts."""
    found = part.get(_HASHED + name)
    return _text_codes(part[name]) if found is None else found


def _bits(values: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
    return values.astype(np.int64, copy=False).view(np.uint64)


def _row_hashes(count: int, *columns: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each of ``count`` rows of these columns (a column of one value
    holds for every row), in their order."""
    found = np.full(count, _SEED, dtype=np.uint64)
    for column in columns:
        found = _mixed(found ^ column)
    return found


_STORED_ROWS = (  # run on the driver's cursor: one row, a binary string a column
    "SELECT string_agg(int4send(CAST(x.code - 1 AS integer)), ''), string_agg(int8send(r.id), ''), "
    "string_agg(int8send(COALESCE(r.row_hash, 0)), ''), "
    "string_agg(CASE WHEN r.row_hash IS NULL THEN '1' ELSE '0' END, '') "
    "FROM unnest(CAST(%(tickets)s AS text[])) WITH ORDINALITY AS x(ticket, code) "
    # each ticket's rows found with the index that leads with (organisation_id, ticket), as
    # the events are (see _EVENT_COLUMNS)
    "CROSS JOIN LATERAL (SELECT r.id, r.row_hash FROM {table} r "
    "WHERE r.organisation_id = %(organisation)s AND r.{subject} = x.ticket{settled} OFFSET 0) AS r"
)
# due items cancelled (as no longer found) or fired, without a fingerprint: none found matches
# them, and there is nothing to cancel; read, every later batch of their ticket would cancel
# them again. An item found again under such a key is written (moved back; kept if fired), as
# for any item without a fingerprint.
_SETTLED = " AND (r.row_hash IS NOT NULL OR r.status NOT IN ('cancelled', 'fired'))"


def _stored_rows(
    session: Session,
    table: type[ClockRow | DueItem],
    organisation_id: int,
    tickets: Sequence[str],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The stored rows (clock rows or due items) of these tickets as columns: each row's
    ticket (its place in ``tickets``; -1 for a row without a fingerprint, which is to match
    none), row number and fingerprint. PostgreSQL: one row of binary strings read by numpy."""
    subject = table.__table__.c["ticket" if table is ClockRow else "subject"]
    if session.get_bind().dialect.name == "postgresql":
        statement = _STORED_ROWS.format(
            table=table.__tablename__,
            subject=subject.name,
            settled=_SETTLED if table is DueItem else "",
        )
        driver = session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                statement, {"tickets": _text_array(tickets), "organisation": organisation_id}
            )
            found = cursor.fetchone()
        codes, ids, hashes, nulls = found if found is not None else (None,) * 4
        places = _binary(codes, 4)
        return np.where(_digits(nulls) == 1, -1, places), _binary(ids, 8), _binary(hashes, 8)
    place = {ticket: index for index, ticket in enumerate(tickets)}
    rows = [
        (place[name] if row_hash is not None else -1, row_id, row_hash or 0)
        for chunk in _chunks(tickets)
        for row_id, name, row_hash in session.execute(
            select(table.id, subject, table.row_hash).where(
                table.organisation_id == organisation_id, subject.in_(chunk)
            )
        )
    ]
    columns = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return columns[:, 0], columns[:, 1], columns[:, 2]


def _shared(
    codes: npt.NDArray[np.int64],
    hashes: npt.NDArray[np.int64],
    other_codes: npt.NDArray[np.int64],
    other_hashes: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which rows of one side, (ticket code, fingerprint) pairs, the other side has too, and
    which of the other's the first has: exact, by sorting both sides' pairs together."""
    count = len(codes)
    all_codes = np.concatenate([codes, other_codes]).astype(np.int64, copy=False)
    all_hashes = np.concatenate([hashes, other_hashes]).astype(np.int64, copy=False)
    if not len(all_codes):
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    order = np.lexsort((all_codes, all_hashes))
    sorted_codes, sorted_hashes = all_codes[order], all_hashes[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (sorted_codes[1:] != sorted_codes[:-1]) | (sorted_hashes[1:] != sorted_hashes[:-1])
    group = np.cumsum(starts) - 1
    first = order < count
    in_first = np.zeros(int(group[-1]) + 1, dtype=bool)
    in_other = np.zeros_like(in_first)
    in_first[group[first]] = True
    in_other[group[~first]] = True
    shared = np.empty(len(order), dtype=bool)
    shared[order] = (in_first & in_other)[group]
    return shared[:count], shared[count:]


def _parts_of(
    parts: list[dict[str, Any]], codes: npt.NDArray[np.int64]
) -> Iterator[dict[str, Any]]:
    """The parts' rows of the tickets with these codes (each part's columns cut alike)."""
    for part in parts:
        kept = np.isin(part["owner"], codes)
        if kept.all():
            yield part
            continue
        if not kept.any():
            continue
        yield _cut(part, kept)


def _cut(part: dict[str, Any], kept: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """A part's rows kept (each of its columns cut alike)."""
    if kept.all():
        return part
    flags = kept.tolist()
    return {
        name: column[kept]
        if isinstance(column, np.ndarray)
        else (list(compress(column, flags)) if isinstance(column, list) else column)
        for name, column in part.items()
    }


def _copy_text(value: str) -> str:
    """A text value as COPY's text format writes it."""
    return value.translate(_COPY_ESCAPES)


def _copy_texts(values: list[str]) -> list[str]:
    """Text values as COPY's text format writes them (most need nothing: one look at all)."""
    joined = "".join(values)
    if not any(special in joined for special in "\\\t\n\r"):
        return values
    return [value.translate(_COPY_ESCAPES) for value in values]


def _copy_instants(ns: npt.NDArray[np.int64]) -> list[str]:
    """Instants (nanoseconds, NaT as int64 min) as COPY text: ISO in UTC, or null."""
    written = np.datetime_as_string(ns.view("datetime64[ns]"), unit="us").tolist()
    return ["\\N" if value == "NaT" else value + "+00" for value in written]


def _copy(session: Session, statement: str, lines: list[str]) -> None:
    if not lines:
        return
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        copy.write("\n".join(lines) + "\n")


_DUE_STAGE = text(
    """
    CREATE TEMPORARY TABLE IF NOT EXISTS due_stage (
        subject text, customer text, agreement text, objective text, cycle integer,
        level integer, at text, status text, due_at timestamptz, notify text, channels text,
        row_hash bigint
    ) ON COMMIT DELETE ROWS
    """
)
# the items found that no stored item has in this form: inserted, or (their key stored) moved
# unless fired; one whose customer, moment, state and recipients are as stored (stored without
# a fingerprint) keeps its updated_at. RETURNING: the stored items moved (and those inserted)
_UPSERT_STAGED_DUE = text(
    """
    INSERT INTO due_items AS d (organisation_id, subject, customer, agreement, objective, cycle,
        level, at, status, due_at, notify, channels, fired_at, updated_at, row_hash)
    SELECT :organisation, subject, customer, agreement, objective, cycle, level, at, status,
        due_at, CAST(notify AS json), CAST(channels AS json), NULL, :at, row_hash
    FROM due_stage
    ON CONFLICT (organisation_id, subject, agreement, objective, cycle, level) DO UPDATE
    SET customer = excluded.customer, at = excluded.at, status = excluded.status,
        due_at = excluded.due_at, notify = excluded.notify, channels = excluded.channels,
        row_hash = excluded.row_hash,
        updated_at = CASE WHEN d.customer IS NOT DISTINCT FROM excluded.customer
            AND d.at = excluded.at AND d.status = excluded.status
            AND d.due_at IS NOT DISTINCT FROM excluded.due_at
            AND CAST(d.notify AS jsonb) = CAST(excluded.notify AS jsonb)
            AND CAST(d.channels AS jsonb) = CAST(excluded.channels AS jsonb)
            THEN d.updated_at ELSE excluded.updated_at END
    WHERE d.status <> 'fired'
    RETURNING d.id
    """
)
# stored items found in no form any more (their fingerprints forgotten: what they say changed)
_CANCEL_DUE_ROWS = text(
    """
    UPDATE due_items SET status = 'cancelled', due_at = NULL, updated_at = :at, row_hash = NULL
    WHERE id = ANY(CAST(:ids AS bigint[])) AND status IN ('pending', 'held')
    """
)


def _store_due_many(
    session: Session,
    organisation_id: int,
    customers: Mapping[str, str | None],
    found: Sequence[tuple[Any, ...]],
    moment: datetime,
) -> None:
    """:func:`_store_due` for many tickets (SQLite): the same items inserted, moved and
    cancelled (a fired item never changes), with bulk statements. ``found``: the due items
    computed, as (ticket, agreement, objective, cycle, level, at, state, due, notify,
    channels)."""
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
                DueItem.customer,
            )
            .where(DueItem.organisation_id == organisation_id, DueItem.subject.in_(chunk))
            .order_by(DueItem.id)
            .with_for_update()  # PostgreSQL: a worker firing one of them waits, or we do
        ):
            existing[(subject, agreement, objective, cycle, level)] = (item_id, *stored)
    seen = set()
    added: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    for ticket, agreement, objective, cycle, level, at, state, due_at, notify, channels in found:
        key = (ticket, agreement, objective, cycle, level)
        seen.add(key)
        values = {
            "customer": customers[ticket],
            "at": at,
            "status": state,
            "due_at": due_at,
            "notify": notify,
            "channels": channels,
            "updated_at": moment,
        }
        item = existing.get(key)
        if item is None:
            added.append(
                {
                    "organisation_id": organisation_id,
                    "subject": ticket,
                    "agreement": agreement,
                    "objective": objective,
                    "cycle": cycle,
                    "level": level,
                    "fired_at": None,
                    **values,
                }
            )
            continue
        item_id, *before = item
        if before[1] != "fired" and before != [
            at,
            state,
            due_at,
            notify,
            channels,
            values["customer"],
        ]:
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
    """Insert rows that conflict with none (their tickets are locked), with one statement
    (SQLite: PostgreSQL's batches copy theirs)."""
    if rows:
        session.execute(insert(table.__table__), rows)  # type: ignore[arg-type]


def _update_due(session: Session, changes: list[dict[str, Any]]) -> None:
    """Due items moved or cancelled, by their row number (SQLite: PostgreSQL's batches write
    theirs with :meth:`_Found.write_due`)."""
    table = DueItem.__table__
    for names in {tuple(sorted(c)) for c in changes}:  # the moved, the cancelled
        alike = [c for c in changes if tuple(sorted(c)) == names]
        session.execute(
            update(table)  # type: ignore[arg-type]
            .where(table.c.id == bindparam("item"))
            .values({n: bindparam(n) for n in names if n != "id"}),
            [{**c, "item": c["id"]} for c in alike],
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


def as_of(clock: ClockRow, refreshed: datetime | None, changed: datetime) -> datetime:
    """The instant a stored clock row is as of: for a running clock, the instant its used
    time is as of (``used_at``: a recomputation finding it running on towards the same
    deadline keeps its row, whose used time then grows on its calendar); for any other (its
    used time does not move), and for rows written before migration 0011, its ticket's last
    recomputation (``refreshed``; ``changed``: its last event, if never recomputed)."""
    if clock.state == "running" and clock.used_at is not None:
        return clock.used_at
    return refreshed or changed


def clock_fields(
    session: Session, organisation_id: int, clocks: Sequence[ClockRow]
) -> list[dict[str, Any]]:
    """Each stored clock's ticket fields, as the recomputation found them (``Clock.fields``):
    a row's copy if it has one (written before migration 0015, or where no event gives
    them), else derived from its ticket's events (:func:`accord.core.clocks.fields_through`)
    through its ``fields_event`` (a stopped clock), or as of its ticket's last recomputation
    (a clock still open). One read of the events of the tickets that need it."""
    wanted = sorted({c.ticket for c in clocks if c.fields is None})
    events = events_of_tickets(session, organisation_id, wanted) if wanted else {}
    refreshed: dict[str, datetime | None] = {}
    for chunk in _chunks(wanted):
        refreshed.update(
            session.execute(
                select(TicketRow.ticket, TicketRow.refreshed_at).where(
                    TicketRow.organisation_id == organisation_id, TicketRow.ticket.in_(chunk)
                )
            ).all()
        )
    return [
        dict(clock.fields)
        if clock.fields is not None
        else fields_through(
            events[clock.ticket],
            clock.fields_event,
            None if clock.fields_event is not None else refreshed.get(clock.ticket),
        )
        for clock in clocks
    ]


def _dates(agreement: Agreement, today: date) -> dict[str, str | None]:
    """The agreement's dates a reminder's payload states beside the day it announces: the end
    of the term the notice is for (an automatic renewal's current or next term)."""
    effective = agreement.effective
    if effective is None:
        return {}
    deadline = notice_by(effective, today)
    end = term_end(effective, today)
    if deadline is not None and effective.notice is not None and effective.notice.time:
        end = deadline + timedelta(days=effective.notice.time.days)
    return {
        "review": effective.review.next.isoformat() if effective.review.next else None,
        "owner": effective.review.owner,
        "end": end.isoformat() if end else None,
        "renewal": effective.renewal if effective.end else None,
        "notice": str(effective.notice) if effective.notice else None,
        "notice_by": deadline.isoformat() if deadline else None,
    }


def schedule_reminders(
    session: Session,
    organisation_id: int,
    key: str,
    agreement: Agreement,
    moment: datetime,
    *,
    only_moved: bool = False,
) -> bool:
    """The agreement's reminders of its review and of its notice deadline scheduled as of
    ``moment`` (:func:`accord.core.reminders.date_reminders`; a fired one stays fired while its
    moment is unchanged; those no longer due cancelled). ``only_moved``: a reminder whose
    moment is unchanged is left as it is, pending or fired, and none is cancelled (the watch's
    look for an automatic renewal's next term writes nothing else). Returns whether anything
    changed."""
    changed = False
    existing: dict[int, DueItem] = {}  # each level's latest occurrence (``cycle``)
    for d in session.scalars(
        select(DueItem)
        .where(
            DueItem.organisation_id == organisation_id,
            DueItem.subject == REVIEW,
            DueItem.objective == "",  # burn-rate episodes have no ticket either
            DueItem.agreement == key,
            DueItem.level < TERMINATION_LEVELS,  # those open as periods close
        )
        .order_by(DueItem.cycle)
    ).all():
        existing[d.level] = d
    customer = agreement.parties.customer.id if agreement.parties else None
    # a terminated agreement has nothing to review nor to give notice of: pending ones cancelled
    reminders = [] if agreement.terminated is not None else date_reminders(agreement, moment.date())
    for due in reminders:
        item = existing.get(due.level)
        details = {"day": due.day.isoformat(), **_dates(agreement, moment.date())}
        left = ("fired", "pending") if only_moved else ("fired",)
        if item is not None and item.due_at == due.due and item.status in left:
            continue
        changed = True
        if item is None or item.status == "fired":
            # a new occurrence (the next review, a renewed term's deadline): a row of its own,
            # as its deliveries are one per due item, channel and target
            item = DueItem(
                organisation_id=organisation_id,
                subject=REVIEW,
                customer=customer,
                agreement=key,
                objective="",
                cycle=0 if item is None else item.cycle + 1,
                level=due.level,
            )
            session.add(item)
        item.at, item.status, item.due_at = due.at, "pending", due.due
        item.notify, item.channels = list(due.notify), list(due.channels)
        item.fired_at, item.updated_at, item.details = None, moment, details
    if only_moved:  # those already due stay to be sent: the watch only adds what moved on
        return changed
    kept = {due.level for due in reminders}
    for level, item in existing.items():
        if level not in kept and item.status == "pending":
            item.status = "cancelled"
            changed = True
    return changed


def after_upload(session: Session, organisation_id: int, key: str, agreement: Agreement) -> int:
    """A new agreement version: its reminders of the review and of the notice deadline are
    scheduled (:func:`schedule_reminders`) and every ticket it may govern is marked for
    recomputation (its due items move; fired ones stay as they were). Returns the number of
    tickets marked."""
    moment = now()
    schedule_reminders(session, organisation_id, key, agreement, moment)
    customer = agreement.parties.customer.id if agreement.parties else None
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
    wake_workers(session)
    return int(marked.rowcount)  # type: ignore[attr-defined]
