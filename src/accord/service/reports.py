"""Reports from stored data: the same ``evaluate`` as ``accord report``, over the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.availability import MaintenanceWindow, Outage
from accord.core.errors import AccordError
from accord.core.periods import period_bounds
from accord.core.report import (
    Data,
    Measurement,
    Probe,
    Report,
    Requests,
    evaluate,
    evidence_since,
)
from accord.io.data import read_record
from accord.service import agreements as agreement_store
from accord.service.errors import InvalidError
from accord.service.tenants import Principal, now
from accord.service.tracking import ticket_events
from accord.store.schema import EventRow, RecordRow, TicketRow

TICKET_LOOKBACK = timedelta(days=120)  # tickets opened this long before a period still count


def stored_data(
    session: Session, organisation_id: int, customer: str | None, start: datetime, end: datetime
) -> Data:
    """What happened in ``[start, end)`` for a customer (and data not tied to a customer);
    outages and maintenance from any time before ``end``, tickets with an event in the span."""
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
    events = [
        event
        for ticket in sorted(set(session.scalars(tickets_query).all()))
        for event in ticket_events(session, org, ticket)
        if event.at < end
    ]
    return Data(
        outages=tuple(v for v in values.get("outage", ()) if isinstance(v, Outage)),
        maintenance=tuple(
            v for v in values.get("maintenance", ()) if isinstance(v, MaintenanceWindow)
        ),
        tickets=tuple(events),
        measurements=tuple(v for v in values.get("measurement", ()) if isinstance(v, Measurement)),
        probes=tuple(v for v in values.get("probe", ()) if isinstance(v, Probe)),
        requests=tuple(v for v in values.get("requests", ()) if isinstance(v, Requests)),
    )


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
    """The report of one agreement over a period (``to_date``: from its start until now)."""
    row = agreement_store.find(session, principal, key)
    try:
        start, end = period_bounds(period, timezone)
    except AccordError as error:
        raise InvalidError(str(error), "period") from None
    if not 1970 < start.year < 2200:
        raise InvalidError(f"period {period}: expected a period between 1970 and 2200", "period")
    if to_date:
        end = min(end, now())
        if end <= start:
            raise InvalidError(f"period {period} has not started yet", "period")
    stored = agreement_store.version_in_force(session, row, start)
    agreement = agreement_store.resolved_version(session, principal.organisation_id, stored)
    if tier is not None and tier not in {t.id for t in agreement.tiers}:
        known = ", ".join(t.id for t in agreement.tiers) or "none"
        raise InvalidError(f"tier {tier!r}: agreement {key!r} has tiers {known}", "tier")
    since = evidence_since(agreement, start, end)
    data = stored_data(session, principal.organisation_id, row.customer, since, end)
    return evaluate(agreement, data, start, end, tier)
