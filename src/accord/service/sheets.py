"""Evidence uploaded as a sheet for an agreement: a CSV file or an .xlsx workbook of
measurements (a row per qualified lead, per report delivered...), read as
:mod:`accord.io.sheets` reads it and stored as the agreement's customer's measurement records,
all or nothing; each row once (ids from the rows' content when the sheet has none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from accord.core.agreement import Agreement
from accord.core.clocks import TICKET_METRICS
from accord.io.sheets import read_sheet
from accord.service import agreements as agreement_store
from accord.service.errors import InvalidError
from accord.service.ingest import MeasurementIn, ingest_records
from accord.service.tenants import Principal, now


@dataclass(frozen=True)
class SheetStored:
    """What an uploaded sheet did: its rows, those stored now and those stored before."""

    agreement: str
    customer: str | None
    received: int
    stored: int
    duplicates: int
    sources: tuple[str, ...]
    first: datetime | None
    last: datetime | None


def measured_sources(agreement: Agreement) -> list[str]:
    """The sources the agreement's objectives read measurements from (not ticket clocks, not
    availability), in the order they are written."""
    return list(
        dict.fromkeys(
            o.source
            for o in agreement.objectives
            if o.source and o.metric not in TICKET_METRICS and o.metric != "availability"
        )
    )


def upload_sheet(
    session: Session,
    who: Principal,
    key: str,
    content: bytes,
    name: str,
    *,
    source: str | None = None,
    timezone: str | None = None,
    sheet: str | None = None,
) -> SheetStored:
    """Store a sheet's rows as measurements of agreement ``key``'s customer. ``source``: for
    a sheet without a ``source`` column (default: the one source the agreement's objectives
    read measurements from, when there is one); ``timezone``: of days and times written
    without an offset (default: the agreement's own zone). A sheet with a wrong row is
    refused whole (:class:`accord.io.sheets.SheetError`), and nothing is stored."""
    who.require("ingest")
    row = agreement_store.find(session, who, key)
    moment = now()
    stored = agreement_store.version_in_force(session, row, moment)
    agreement = agreement_store.resolved_version(session, who.organisation_id, stored)
    sources = measured_sources(agreement)
    if source is None:
        source = sources[0] if len(sources) == 1 else None
    zone = timezone or agreement_store.own_zone(session, who.organisation_id, row, moment)
    rows = read_sheet(content, name, source=source, timezone=zone, sheet=sheet)
    unknown = sorted({r.source for r in rows} - set(sources))
    if unknown:  # stored, they would count nowhere: a misspelt source is refused, not kept
        expected = ", ".join(sources) if sources else "none: it measures nothing from sheets"
        raise InvalidError(
            f"{name}: source {', '.join(map(repr, unknown))} is not measured by agreement "
            f"{row.key!r}; expected one of: {expected}",
            "source",
        )
    records = [
        MeasurementIn.model_validate(
            {**r.fields, "id": r.id, "customer": row.customer, "source": r.source, "at": r.at}
        )
        for r in rows
    ]
    result = ingest_records(session, who, "measurement", records)
    return SheetStored(
        agreement=row.key,
        customer=row.customer,
        received=result.received,
        stored=result.stored,
        duplicates=result.duplicates,
        sources=tuple(dict.fromkeys(r.source for r in rows)),
        first=min((r.at for r in rows), default=None),
        last=max((r.at for r in rows), default=None),
    )
