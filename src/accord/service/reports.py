"""Reports from stored data: the same ``evaluate`` as ``accord report``, over the database."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.core.availability import MaintenanceWindow, Outage
from accord.core.errors import AccordError
from accord.core.periods import period_bounds
from accord.core.report import (
    Data,
    Measurement,
    Probe,
    Report,
    ReportError,
    Requests,
    chosen_tier,
    evaluate,
    evidence_since,
)
from accord.io.data import read_record
from accord.service import agreements as agreement_store
from accord.service.errors import InvalidError
from accord.service.tenants import Principal, now
from accord.service.tracking import ticket_events
from accord.store import codec
from accord.store.schema import AgreementRow, EventRow, PeriodResult, RecordRow, TicketRow

log = logging.getLogger(__name__)

TICKET_LOOKBACK = timedelta(days=120)  # tickets opened this long before a period still count


def stored_data(
    session: Session,
    organisation_id: int,
    customer: str | None,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
) -> Data:
    """What happened in ``[start, end)`` for a customer (and data not tied to a customer);
    outages and maintenance from any time before ``end``, tickets with an event in the span
    with all their events up to ``as_of`` (default ``end``). The evidence is observed from the
    first record the organisation stored (for the customer) up to ``as_of``: the service is
    live, so a month without an outage stored is a month without an outage."""
    return _gathered(session, organisation_id, customer, start, end, as_of)[0]


def _gathered(
    session: Session,
    organisation_id: int,
    customer: str | None,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
) -> tuple[Data, bool]:
    """:func:`stored_data`, and whether a ticket event stored was left out for being later
    than ``as_of`` (it will count once that instant has passed)."""
    as_of = end if as_of is None else as_of
    org = organisation_id
    query = select(RecordRow).where(RecordRow.organisation_id == org, RecordRow.at < end)
    if customer is not None:
        query = query.where((RecordRow.customer == customer) | RecordRow.customer.is_(None))
    spans = query.where(RecordRow.kind.in_(("outage", "maintenance")))
    points = query.where(
        RecordRow.kind.in_(("probe", "requests", "measurement")), RecordRow.at >= start
    )
    values: dict[str, list[object]] = {}
    for row in [*session.scalars(spans).all(), *session.scalars(points).all()]:
        value = read_record(row.kind, row.payload, f"{row.kind} {row.record_id}")
        values.setdefault(row.kind, []).append(value)
    tickets_query = select(EventRow.ticket).where(
        EventRow.organisation_id == org,
        EventRow.at >= start - TICKET_LOOKBACK,
        EventRow.at < end,
    )
    if customer is not None:  # the ticket's customer, whichever of its events named it
        tickets_query = tickets_query.join(
            TicketRow,
            (TicketRow.organisation_id == EventRow.organisation_id)
            & (TicketRow.ticket == EventRow.ticket),
        ).where(TicketRow.customer == customer)
    every = [
        event
        for ticket in sorted(set(session.scalars(tickets_query).all()))
        for event in ticket_events(session, org, ticket)
    ]
    events = [event for event in every if event.at <= as_of]
    data = Data(
        observed=_observed(session, org, customer, as_of),
        outages=tuple(v for v in values.get("outage", ()) if isinstance(v, Outage)),
        maintenance=tuple(
            v for v in values.get("maintenance", ()) if isinstance(v, MaintenanceWindow)
        ),
        tickets=tuple(events),
        measurements=tuple(v for v in values.get("measurement", ()) if isinstance(v, Measurement)),
        probes=tuple(v for v in values.get("probe", ()) if isinstance(v, Probe)),
        requests=tuple(v for v in values.get("requests", ()) if isinstance(v, Requests)),
    )
    return data, len(events) < len(every)


def watched(data: Data, row: AgreementRow, moment: datetime) -> Data:
    """The evidence as the live service watched it for an agreement, up to ``moment``: from
    its upload, when everything was recorded as it happened; records from before the upload
    are a backfill, taken to cover whole months, so then from the start of the (UTC) month of
    the first record. The first record itself is not the start: a backfilled outage log
    usually begins with an outage, after up time nobody recorded."""
    uploaded = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    first = uploaded
    if data.observed is not None and data.observed[0] < uploaded:
        earliest = data.observed[0].astimezone(UTC)
        first = earliest.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return replace(data, observed=(first, max(first, moment)))


def _observed(
    session: Session, organisation_id: int, customer: str | None, as_of: datetime
) -> tuple[datetime, datetime] | None:
    """From the first record or ticket event stored (for the customer, or for no customer) to
    ``as_of``; None when nothing is stored."""
    records = select(func.min(RecordRow.at)).where(RecordRow.organisation_id == organisation_id)
    events = select(func.min(EventRow.at)).where(EventRow.organisation_id == organisation_id)
    if customer is not None:
        records = records.where((RecordRow.customer == customer) | RecordRow.customer.is_(None))
        events = events.join(
            TicketRow,
            (TicketRow.organisation_id == EventRow.organisation_id)
            & (TicketRow.ticket == EventRow.ticket),
        ).where(TicketRow.customer == customer)
    found = [
        moment for moment in (session.scalar(records), session.scalar(events)) if moment is not None
    ]
    if not found:
        return None
    first = min(m if m.tzinfo else m.replace(tzinfo=UTC) for m in found)
    return (first, max(first, as_of))


def report(
    session: Session,
    principal: Principal,
    key: str,
    period: str,
    *,
    timezone: str = "UTC",
    tier: str | None = None,
    to_date: bool = False,
) -> Report:
    """The report of one agreement over a period, judged now with the evidence stored now (a
    period not over is judged to date; ``to_date`` asks for one, refusing a period not begun).

    A closed period's final report is kept (:class:`PeriodResult`) and served again while
    nothing it was computed from has changed; see docs/stored-reports.md."""
    row = agreement_store.find(session, principal, key)
    try:
        start, end = period_bounds(period, timezone)
    except AccordError as error:
        raise InvalidError(str(error), "period") from None
    moment = now()
    if to_date and moment <= start:
        raise InvalidError(f"period {period} has not started yet", "period")
    stored = agreement_store.version_in_force(session, row, start)
    agreement = agreement_store.resolved_version(session, principal.organisation_id, stored)
    try:
        chosen_tier(agreement, tier)
    except ReportError as error:
        raise InvalidError(str(error), "tier") from None
    since = evidence_since(agreement, start, min(end, moment))
    slot = Slot(
        principal.organisation_id,
        row.id,
        row.customer,
        period,
        timezone,
        tier or "",
        agreement_store.fingerprint(session, principal.organisation_id, stored),
        since - TICKET_LOOKBACK,
        end,
    )
    closed = end + LATE_MARGIN <= moment
    if closed:
        kept = _kept(session, slot)
        if kept is not None:
            return replace(kept, as_of=moment)
    data, later = _gathered(session, principal.organisation_id, row.customer, since, end, moment)
    evidence = watched(data, row, moment)
    found = evaluate(agreement, evidence, start, end, tier, as_of=moment, strict=False)
    if closed and not later and _storable(found):
        _keep(session, slot, found, moment, data.observed[0] if data.observed else None)
    return found


LATE_MARGIN = timedelta(minutes=15)
"""How long before a result's computation data must have been received for the result to be
reused: covers a write transaction still open when the result was computed (its rows are
stamped with the instant it began, and were not yet visible) and clocks of several service
processes drifting apart. A period is stored once it has been over this long."""

RESULT_FORMAT = 2  # 2: JSON (accord.store.codec) instead of a pickle
"""Bumped when :class:`Report` changes shape: results kept by another format are recomputed."""


@dataclass(frozen=True)
class Slot:
    """Where a period's result is kept, and what it depends on."""

    organisation_id: int
    agreement_id: int
    customer: str | None
    period: str
    timezone: str
    tier: str
    agreement_hash: str
    window_start: datetime
    end: datetime


def _storable(found: Report) -> bool:
    """A report whose figures can no longer change without new data: the period (or the
    agreement) over and observed to its end, no objective to date, and no ticket counted by
    creation still open (its verdict would come later without any new event)."""
    if not found.final:
        return False
    for objective in found.objectives:
        if objective.status == "to date":
            return False
        counts = objective.tickets
        if counts is not None and counts.count_in == "created" and counts.open:
            return False
    return True


def _hash(slot: Slot) -> str:
    """The agreement's digest and the format of the kept result, in one digest."""
    return hashlib.sha256(f"{RESULT_FORMAT}:{slot.agreement_hash}".encode()).hexdigest()


def _kept(session: Session, slot: Slot) -> Report | None:
    """The report kept for the slot, when still valid: same agreement text, and no record or
    ticket of its evidence received or changed since it was computed (less the margin)."""
    kept = session.scalar(
        select(PeriodResult).where(
            PeriodResult.agreement_id == slot.agreement_id,
            PeriodResult.period == slot.period,
            PeriodResult.timezone == slot.timezone,
            PeriodResult.tier == slot.tier,
        )
    )
    if kept is None or kept.agreement_hash != _hash(slot):
        return None
    if _late_data(session, slot, kept.computed_at - LATE_MARGIN, kept.observed_from):
        return None
    try:  # written by this service (_keep); one it cannot read is recomputed, never served
        return codec.loads(kept.result, Report)
    except codec.CodecError:
        log.warning(
            "period %s of agreement %s: kept result unreadable", slot.period, slot.agreement_id
        )
        return None


def _late_data(
    session: Session, slot: Slot, since: datetime, observed_from: datetime | None
) -> bool:
    """Whether anything the slot's report reads was received (records) or changed (tickets)
    after ``since``: a record of the scope from before the period's end (an outage may have
    begun long before), a ticket of the scope with an event in the window read, or one with
    an event before the first evidence the report saw (the observed span moves)."""
    org = slot.organisation_id
    records = select(RecordRow.id).where(
        RecordRow.organisation_id == org,
        RecordRow.received_at > since,
        RecordRow.at < slot.end,
    )
    if slot.customer is not None:
        records = records.where(
            (RecordRow.customer == slot.customer) | RecordRow.customer.is_(None)
        )
    if session.scalar(records.limit(1)) is not None:
        return True
    reaches = (EventRow.at >= slot.window_start) & (EventRow.at < slot.end)
    if observed_from is None:
        reaches = reaches | (EventRow.at < slot.end)
    else:
        reaches = reaches | (EventRow.at < observed_from)
    tickets = (
        select(TicketRow.id)
        .join(
            EventRow,
            (EventRow.organisation_id == TicketRow.organisation_id)
            & (EventRow.ticket == TicketRow.ticket),
        )
        .where(TicketRow.organisation_id == org, TicketRow.changed_at > since, reaches)
    )
    if slot.customer is not None:
        tickets = tickets.where(TicketRow.customer == slot.customer)
    return session.scalar(tickets.limit(1)) is not None


def _keep(
    session: Session,
    slot: Slot,
    found: Report,
    moment: datetime,
    observed_from: datetime | None,
) -> None:
    """Keep (or replace) the slot's result; a concurrent view keeping it first wins."""
    values = {
        "organisation_id": slot.organisation_id,
        "agreement_id": slot.agreement_id,
        "customer": slot.customer,
        "period": slot.period,
        "timezone": slot.timezone,
        "tier": slot.tier,
        "agreement_hash": _hash(slot),
        "start": found.start,
        "end": slot.end,
        "window_start": slot.window_start,
        "observed_from": observed_from,
        "computed_at": moment,
        "result": codec.dumps(found),
    }
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(PeriodResult).values(values)
    keys = ["agreement_id", "period", "timezone", "tier"]
    changing = {k: v for k, v in values.items() if k not in keys}
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changing))
