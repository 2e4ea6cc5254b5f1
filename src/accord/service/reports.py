"""Reports from stored data: the same ``evaluate`` as ``accord report``, over the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
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
from accord.store.schema import AgreementRow, EventRow, RecordRow, TicketRow

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
    events = [
        event
        for ticket in sorted(set(session.scalars(tickets_query).all()))
        for event in ticket_events(session, org, ticket)
        if event.at <= as_of
    ]
    return Data(
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
    period not over is judged to date; ``to_date`` asks for one, refusing a period not begun)."""
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
    data = stored_data(session, principal.organisation_id, row.customer, since, end, moment)
    evidence = watched(data, row, moment)
    return evaluate(agreement, evidence, start, end, tier, as_of=moment, strict=False)
