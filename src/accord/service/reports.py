"""Reports from stored data: the same ``evaluate`` as ``accord report``, over the database."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import numpy as np
from sqlalchemy import CompoundSelect, Float, Select, func, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from accord.core.agreement import Agreement, as_if_in_force
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.calendar import to_nanos
from accord.core.clocks_batch import EventColumns
from accord.core.credits import Settlement
from accord.core.errors import AccordError
from accord.core.periods import enclosing, months_before, period_bounds, period_holding
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
from accord.io.data import RECORD_KINDS, read_record
from accord.service import agreements as agreement_store
from accord.service.errors import InvalidError
from accord.service.tenants import Principal, now
from accord.service.tracking import event_columns
from accord.store import codec
from accord.store.schema import (
    SPAN_KINDS,
    AgreementRow,
    EventRow,
    Instant,
    PeriodResult,
    RecordRow,
    TicketRow,
)

log = logging.getLogger(__name__)

TICKET_LOOKBACK = timedelta(days=120)  # tickets opened this long before a period still count


def stored_data(
    session: Session,
    organisation_id: int,
    customer: str | None,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
    *,
    tickets: bool = True,
) -> Data:
    """What happened in ``[start, end)`` for a customer (and data not tied to a customer):
    records of an instant in it, outages and maintenance overlapping it (begun before ``end``,
    not ended by ``start``), tickets with an event in the span (or the ticket look-back
    before it) with all their events up to ``as_of`` (default ``end``); no ticket at all when
    ``tickets`` is false (the watch judges no ticket clock). ``start`` is where the judging
    reads from (``evidence_since``, ``watch_since``). The evidence is observed from the first
    record the organisation stored (for the customer) up to ``as_of``: the service is live,
    so a month without an outage stored is a month without an outage."""
    return _gathered(session, organisation_id, customer, start, end, as_of, tickets=tickets)[0]


def _gathered(
    session: Session,
    organisation_id: int,
    customer: str | None,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
    *,
    tickets: bool = True,
    every_span: bool = False,
) -> tuple[Data, bool]:
    """:func:`stored_data`, and whether a ticket event stored was left out for being later
    than ``as_of`` (it will count once that instant has passed). ``every_span`` reads every
    outage and maintenance window begun before ``end``, however long ago it ended (the tests'
    reference: the judging must not tell the difference)."""
    as_of = end if as_of is None else as_of
    org = organisation_id
    records = _read_records(session, org, customer, start, end, every_span)
    columns, later = _ticket_columns(session, org, customer, start, end, as_of, tickets)
    data = replace(
        _records_data(records),
        observed=_observed(session, org, customer, as_of),
        ticket_columns=columns,
    )
    return data, later


def _read_records(
    session: Session,
    org: int,
    customer: str | None,
    start: datetime,
    end: datetime,
    every_span: bool = False,
) -> dict[int, _Record]:
    """The records :func:`_gathered` reads, by their rows' ids."""
    query = select(
        RecordRow.kind, RecordRow.record_id, RecordRow.payload, RecordRow.at, RecordRow.id
    ).where(RecordRow.organisation_id == org)
    if customer is not None:
        query = query.where((RecordRow.customer == customer) | RecordRow.customer.is_(None))
    if every_span:
        spans: Select[Any] | CompoundSelect[Any] = query.where(
            RecordRow.kind.in_(SPAN_KINDS), RecordRow.at < end
        )
    else:  # two ranges of ix_records_spans: the spans ended after ``start``, and those not
        # ended (an OR of the two would read every span of the organisation on SQLite)
        begun = query.where(RecordRow.starts_at.is_not(None), RecordRow.starts_at < end)
        spans = union_all(
            begun.where(RecordRow.ends_at > start), begun.where(RecordRow.ends_at.is_(None))
        )
    points = query.where(
        RecordRow.kind.in_(("probe", "requests", "measurement")),
        RecordRow.at >= start,
        RecordRow.at < end,
    )
    return {
        row.id: _Record(row.kind, row.at, _value(row))
        for statement in (spans, points)
        for row in session.execute(statement)
    }


def _value(row: Any) -> object:
    return read_record(row.kind, row.payload, f"{row.kind} {row.record_id}")


@dataclass(frozen=True)
class _Record:
    """A record read, by its row's id: its kind, its instant (a span's start) and its value."""

    kind: str
    at: datetime
    value: object


def _records_data(records: dict[int, _Record]) -> Data:
    """The records as evidence, each kind in the order of their instants (spans in the order
    they began, and arrived: maintenance allowances are used in order), then of their rows."""
    values: dict[str, list[object]] = {}
    for _, record in sorted(records.items(), key=lambda item: (item[1].at, item[0])):
        values.setdefault(record.kind, []).append(record.value)
    return Data(
        outages=tuple(v for v in values.get("outage", ()) if isinstance(v, Outage)),
        maintenance=tuple(
            v for v in values.get("maintenance", ()) if isinstance(v, MaintenanceWindow)
        ),
        measurements=tuple(v for v in values.get("measurement", ()) if isinstance(v, Measurement)),
        probes=tuple(v for v in values.get("probe", ()) if isinstance(v, Probe)),
        requests=tuple(v for v in values.get("requests", ()) if isinstance(v, Requests)),
    )


def _ticket_columns(
    session: Session,
    organisation_id: int,
    customer: str | None,
    start: datetime,
    end: datetime,
    as_of: datetime,
    tickets: bool = True,
) -> tuple[EventColumns | None, bool]:
    """The events of the window's tickets (:func:`_window_tickets`) up to ``as_of``, as
    columns for the column engine (as ``accord report`` reads a log): no event object per row.
    Each ticket's events at one instant are ordered as they arrived, as
    :func:`accord.service.tracking.ticket_events` orders one ticket's. And whether an event
    was left out for being later than ``as_of`` (it will count once that instant has passed).
    None: no ticket read (``tickets`` false, or no ticket in the window)."""
    names = _window_tickets(session, organisation_id, customer, start, end) if tickets else []
    if not names:
        return None, False
    columns = event_columns(session, organisation_id, names)
    known = columns.at <= to_nanos(as_of)
    if bool(known.all()):
        return columns, False
    return columns.of_rows(np.flatnonzero(known)), True


def _window_tickets(
    session: Session,
    organisation_id: int,
    customer: str | None,
    start: datetime,
    end: datetime,
) -> list[str]:
    """The tickets (of the customer) with an event from ``start`` less the ticket look-back to
    ``end``, in order of their names."""
    query = (
        select(EventRow.ticket)
        .where(
            EventRow.organisation_id == organisation_id,
            EventRow.at >= start - TICKET_LOOKBACK,
            EventRow.at < end,
        )
        .distinct()
    )
    if customer is not None:  # the ticket's customer, whichever of its events named it
        # the window's tickets first, then which are the customer's: not a join of every
        # event of the window to its ticket (on PostgreSQL about half the time with
        # statistics, and a third without: BENCHMARKS.md)
        query = select(TicketRow.ticket).where(
            TicketRow.organisation_id == organisation_id,
            TicketRow.customer == customer,
            TicketRow.ticket.in_(query),
        )
    return sorted(set(session.scalars(query).all()))


_AMONG = 500  # tickets named in one query (SQLite's limit on parameters)


def watched(data: Data, row: AgreementRow, moment: datetime, zone: tzinfo = UTC) -> Data:
    """The evidence as the live service watched it for an agreement, up to ``moment``: from
    its upload, when everything was recorded as it happened; records from before the upload
    are a backfill, taken to cover whole months, so then from the start of the month (in
    ``zone``, that the periods are reckoned in) of the first record. The first record itself
    is not the start: a backfilled outage log usually begins with an outage, after up time
    nobody recorded. Watched up to ``moment`` and at it: what is stored for that very instant
    is known then (a span half-open as every span is, ending a microsecond after it)."""
    uploaded = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    first = uploaded
    if data.observed is not None and data.observed[0] < uploaded:
        first = enclosing(data.observed[0].astimezone(zone), "month")[0]
    return replace(data, observed=(first, max(first, moment + timedelta(microseconds=1))))


def _observed(
    session: Session, organisation_id: int, customer: str | None, as_of: datetime
) -> tuple[datetime, datetime] | None:
    """From the first record or ticket event stored (for the customer, or for no customer) to
    ``as_of``; None when nothing is stored. One query: the first record of each kind (each
    the first entry of an index, ``ix_records_lookup``) and the first ticket event
    (``ix_ticket_events_at``), not a scan of the history."""
    firsts = []
    for kind in RECORD_KINDS:
        records = select(func.min(RecordRow.at)).where(
            RecordRow.organisation_id == organisation_id, RecordRow.kind == kind
        )
        if customer is not None:
            records = records.where((RecordRow.customer == customer) | RecordRow.customer.is_(None))
        firsts.append(records.scalar_subquery())
    # the first event in time whose ticket is the customer's (not the least instant of the
    # customer's events, which a planner would take by joining every event to its ticket)
    events = select(EventRow.at).where(EventRow.organisation_id == organisation_id)
    if customer is not None:
        events = events.join(
            TicketRow,
            (TicketRow.organisation_id == EventRow.organisation_id)
            & (TicketRow.ticket == EventRow.ticket),
        ).where(TicketRow.customer == customer)
    firsts.append(events.order_by(EventRow.at).limit(1).scalar_subquery())
    found = [moment for moment in session.execute(select(*firsts)).one() if moment is not None]
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
    timezone: str | None = None,
    tier: str | None = None,
    to_date: bool = False,
    moment: datetime | None = None,
    held: tuple[Any, ...] | None = None,
) -> Report:
    """The report of one agreement over a period, judged now (or at ``moment``, an instant
    the caller read once for several reports) with the evidence stored now (a period not
    over is judged to date; ``to_date`` asks for one, refusing a period not begun).
    ``held``: a period not closed judged on the evidence this process holds while nothing was
    stored since, the organisation's :func:`data_mark` as read by the caller
    (:func:`held_data`). The period is reckoned in ``timezone``, else in the agreement's own
    zone (:func:`accord.service.agreements.own_zone`).

    A closed period's final report is kept (:class:`PeriodResult`) and served again while
    nothing it was computed from has changed; see docs/stored-reports.md."""
    row = agreement_store.find(session, principal, key)
    moment = now() if moment is None else moment
    zone = _zone(session, principal, row, timezone, moment)
    try:
        start, end = period_bounds(period, zone)
    except AccordError as error:
        raise InvalidError(str(error), "period") from None
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
        zone,
        tier or "",
        agreement_store.terminated_fingerprint(
            session, principal.organisation_id, row, stored, end
        ),
        since - TICKET_LOOKBACK,
        end,
    )
    closed = end + LATE_MARGIN <= moment
    if closed:
        kept = _kept(session, slot)
        if kept is not None:
            return replace(kept, as_of=moment)
    if held is not None and not closed:
        data = held_data(
            session, principal.organisation_id, row.customer, since, end, moment, mark=held
        )
        later = False  # read only for a closed period's keeping
    else:
        data, later = _gathered(
            session, principal.organisation_id, row.customer, since, end, moment
        )
    evidence = watched(data, row, moment, start.tzinfo or UTC)
    found = evaluate(agreement, evidence, start, end, tier, as_of=moment, strict=False)
    if closed and not later and _storable(found):
        _keep(session, slot, found, moment, data.observed[0] if data.observed else None)
    return found


def _zone(
    session: Session,
    principal: Principal,
    row: AgreementRow,
    timezone: str | None,
    moment: datetime,
) -> str:
    """The zone a period of ``row`` is reckoned in: ``timezone`` when asked, else the
    agreement's own at ``moment``."""
    if timezone is not None:
        return timezone
    return agreement_store.own_zone(session, principal.organisation_id, row, moment)


def attainment(
    session: Session,
    principal: Principal,
    key: str,
    period: str | None = None,
    *,
    timezone: str | None = None,
) -> Report:
    """The report of ``period`` to date (default: the month holding now), reckoned in
    ``timezone``, else in the agreement's own zone; a period not begun is refused."""
    moment = now()
    row = agreement_store.find(session, principal, key)
    zone = _zone(session, principal, row, timezone, moment)
    if period is None:
        try:
            period = period_holding(moment, "month", zone)
        except AccordError as error:
            raise InvalidError(str(error), "timezone") from None
    return report(session, principal, key, period, timezone=zone, to_date=True, moment=moment)


def closed_reports(
    session: Session,
    principal: Principal,
    key: str,
    periods: list[str],
    *,
    timezone: str | None = None,
    moment: datetime | None = None,
    held: tuple[Any, ...] | None = None,
) -> list[Report]:
    """:func:`report` of each period (in ``timezone``, else the agreement's own zone, as
    :func:`report` reckons it; the default tier), the kept results of the
    closed ones read with one query and checked together: when nothing the union of their
    evidence reads was received since the earliest of them was computed (less the margin),
    every one of them is still valid (two queries for all, not two each). Otherwise, and
    for a period not kept (or not closed), as :func:`report` serves it. ``held``: the
    organisation's :func:`data_mark` as read by the caller; the check is not made again while
    it has not moved since one found nothing late (:func:`_late_data_held`)."""
    moment = now() if moment is None else moment

    def read(text: str) -> Report:
        return replace(_decoded(text), as_of=moment)

    return _closed(session, principal, key, periods, timezone, moment, held, read, _itself)


def _itself(found: Report) -> Report:
    return found


def _closed(
    session: Session,
    principal: Principal,
    key: str,
    periods: list[str],
    timezone: str | None,
    moment: datetime,
    held: tuple[Any, ...] | None,
    read: Callable[[str], _T],
    judged: Callable[[Report], _T],
) -> list[_T]:
    """For each period, ``read`` of its kept result's text when valid (:func:`_valid_kept`),
    else ``judged`` of its :func:`report` (a text that cannot be read: judged again)."""
    zone, kept = _valid_kept(session, principal, key, periods, timezone, moment, held)
    found: dict[str, _T] = {}
    for period, text in kept.items():
        try:
            found[period] = read(text)
        except codec.CodecError:
            log.warning("period %s of agreement %s: kept result unreadable", period, key)
    return [
        found[p]
        if p in found
        else judged(report(session, principal, key, p, timezone=zone, moment=moment))
        for p in periods
    ]


_T = TypeVar("_T")


@dataclass(frozen=True)
class Totals:
    """What a list of periods shows of a period's report: the credits owed, what it owes in
    all (:attr:`Report.owed`, with its parts and a bonus shown beside) and whether they are
    final, and the claim deadline."""

    settlement: Settlement | None
    final: bool
    claim_deadline: datetime | None
    owed: tuple[Decimal, str] | None = None
    owing: tuple[tuple[str, Decimal], ...] = ()
    bonus_beside: Decimal | None = None
    """A bonus owed to the provider and not netted against the credits (None: none)."""

    @classmethod
    def of(cls, found: Report) -> Totals:
        beside = found.bonus.amount if found.bonus and not found.bonus.net else None
        return cls(
            found.settlement,
            found.final,
            found.claim_deadline,
            found.owed,
            found.owing,
            beside or None,
        )


def closed_totals(
    session: Session,
    principal: Principal,
    key: str,
    periods: list[str],
    *,
    timezone: str | None = None,
    moment: datetime | None = None,
    held: tuple[Any, ...] | None = None,
) -> list[Totals]:
    """The :class:`Totals` of :func:`closed_reports`, the same reports checked the same way,
    with only the fields they need read from a kept result's text (the Home page lists 12
    months' credits: decoding each whole report, its objectives and breaches, is most of a
    new process's first view)."""
    moment = now() if moment is None else moment

    def read(text: str) -> Totals:
        return _decoded_totals(text, moment)

    return _closed(session, principal, key, periods, timezone, moment, held, read, Totals.of)


def _valid_kept(
    session: Session,
    principal: Principal,
    key: str,
    periods: list[str],
    timezone: str | None,
    moment: datetime,
    held: tuple[Any, ...] | None,
) -> tuple[str, dict[str, str]]:
    """The zone the periods are reckoned in, and the kept results' texts of those closed
    and still valid, checked together (see :func:`closed_reports`)."""
    row = agreement_store.find(session, principal, key)
    zone = _zone(session, principal, row, timezone, moment)
    slots: dict[str, Slot] = {}
    for period in periods:
        try:
            start, end = period_bounds(period, zone)
        except AccordError as error:
            raise InvalidError(str(error), "period") from None
        if end + LATE_MARGIN > moment:
            continue
        stored = agreement_store.version_in_force(session, row, start)
        agreement = agreement_store.resolved_version(session, principal.organisation_id, stored)
        since = evidence_since(agreement, start, end)
        fingerprint = agreement_store.terminated_fingerprint(
            session, principal.organisation_id, row, stored, end
        )
        slots[period] = Slot(
            principal.organisation_id,
            row.id,
            row.customer,
            period,
            zone,
            "",
            fingerprint,
            since - TICKET_LOOKBACK,
            end,
        )
    rows = session.scalars(
        select(PeriodResult).where(
            PeriodResult.agreement_id == row.id,
            PeriodResult.period.in_(sorted(slots)),
            PeriodResult.timezone == zone,
            PeriodResult.tier == "",
        )
    ).all()
    kept = {r.period: r for r in rows if r.agreement_hash == _hash(slots[r.period])}
    if not kept:
        return zone, {}
    union = Slot(
        principal.organisation_id,
        row.id,
        row.customer,
        "",
        zone,
        "",
        "",
        min(slots[p].window_start for p in kept),
        max(slots[p].end for p in kept),
    )
    since = min(r.computed_at for r in kept.values()) - LATE_MARGIN
    observed = max(
        slots[p].end if r.observed_from is None else r.observed_from for p, r in kept.items()
    )
    if _late_data_held(session, union, since, observed, held):
        return zone, {}
    return zone, {period: result.result for period, result in kept.items()}


def _in_force(
    session: Session, principal: Principal, key: str, moment: datetime
) -> tuple[AgreementRow, Agreement]:
    """The agreement ``key`` and its version in force at ``moment``, resolved."""
    row = agreement_store.find(session, principal, key)
    stored = agreement_store.version_in_force(session, row, moment)
    return row, agreement_store.resolved_version(session, principal.organisation_id, stored)


def judged_on(
    session: Session, principal: Principal, key: str, found: Report
) -> tuple[Agreement, Data]:
    """The agreement version and the evidence a report of ``key`` (made by :func:`report`)
    was judged on, as that judgement read them: what its pictures draw. Read again for a
    report kept, whose evidence was not read to serve it."""
    row, agreement = _in_force(session, principal, key, found.start)
    moment = now() if found.as_of is None else found.as_of
    since = evidence_since(agreement, found.start, min(found.end, moment))
    data, _ = _gathered(session, principal.organisation_id, row.customer, since, found.end, moment)
    return agreement, watched(data, row, moment, found.start.tzinfo or UTC)


MAX_MONTHS = 120
"""The longest trend served, in months (ten years): each month is a report, kept once over."""


def months(first: str, last: str, timezone: str = "UTC") -> list[str]:
    """The months from ``first`` to ``last`` (``2026-01``, both included), at most
    :data:`MAX_MONTHS`; InvalidError naming ``from`` or ``to`` when one is not a month Accord
    handles, or the span is backwards or too long."""
    bounds = []
    for field, text in (("from", first), ("to", last)):
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
            raise InvalidError(f"{field}: expected a month such as 2026-01, got {text!r}", field)
        try:
            bounds.append(period_bounds(text, timezone)[0])
        except AccordError as error:
            field = "timezone" if "time zone" in str(error) else field
            raise InvalidError(f"{field}: {error}", field) from None
    count = (bounds[1].year - bounds[0].year) * 12 + bounds[1].month - bounds[0].month + 1
    if count < 1:
        raise InvalidError(f"to: {last} is before from, {first}", "to")
    if count > MAX_MONTHS:
        raise InvalidError(
            f"to: {count} months from {first} to {last}; at most {MAX_MONTHS} in one trend", "to"
        )
    year, month = bounds[0].year, bounds[0].month
    return [
        f"{year + (month - 1 + n) // 12:04d}-{(month - 1 + n) % 12 + 1:02d}" for n in range(count)
    ]


def history(
    session: Session, principal: Principal, key: str, *, moment: datetime | None = None
) -> list[Report]:
    """The report of each closed month of the agreement (reckoned in its own zone, the
    default tier, as ``GET /v1/agreements/{key}/reports/{month}`` serves it when no
    ``timezone`` is asked), newest first: from the month
    its version in force now takes effect (``effective.start``; else the month its first
    version was uploaded), at most :data:`MAX_MONTHS`, to the last month over. Kept results
    are read together (:func:`closed_reports`), so a history of years judges nothing again."""
    moment = now() if moment is None else moment
    row, agreement = _in_force(session, principal, key, moment)
    zone = _zone(session, principal, row, None, moment)
    first = agreement.effective.start if agreement.effective is not None else row.created_at
    labels = [p for p in months_before(moment, MAX_MONTHS, zone) if p >= f"{first:%Y-%m}"]
    labels = [p for p in labels if period_bounds(p, zone)[1] + LATE_MARGIN <= moment]
    return closed_reports(session, principal, key, labels, timezone=zone, moment=moment)


def trend(
    session: Session,
    principal: Principal,
    key: str,
    first: str,
    last: str,
    *,
    timezone: str | None = None,
    tier: str | None = None,
) -> list[Report]:
    """The agreement's report of each month from ``first`` to ``last``, as :func:`report`
    serves each: a closed month's kept result when nothing it stands on changed, so a trend
    over years judges the open month only (once each closed month has been viewed). Every
    month in ``timezone``, else in the agreement's own zone."""
    row = agreement_store.find(session, principal, key)
    labels = months(first, last, timezone or "UTC")
    zone = _zone(session, principal, row, timezone, now())
    return [report(session, principal, key, m, timezone=zone, tier=tier) for m in labels]


@dataclass(frozen=True)
class Tried:
    """A proposed version tried on the stored history (:func:`tried`)."""

    current: list[Report]
    proposed: list[Report]
    in_force: Agreement
    """The version in force now (what the proposal's changes are counted from)."""
    proposal: Agreement


def tried(
    session: Session,
    principal: Principal,
    key: str,
    text: str,
    first: str,
    last: str,
    *,
    timezone: str | None = None,
    tier: str | None = None,
) -> Tried:
    """A proposed version (YAML ``text``, validated as an upload is; nothing is stored) judged
    on each month from ``first`` to ``last`` beside the version in force then, on the same
    stored evidence, as if it had been in force then (its effective dates are that version's).
    Each month's report under the version in force is the one :func:`trend` serves. Any of
    the provider's keys or staff may try (nothing is stored); a customer's may not."""
    checked = agreement_store.check(session, principal, text, source="<proposal>", publishing=False)
    row = agreement_store.find(session, principal, key)
    if checked.key != row.key:
        raise InvalidError(
            f"the proposed agreement is {checked.key!r}, not {row.key!r}: a proposal is "
            "tried against a version of the same agreement",
            "body",
        )
    current = trend(session, principal, key, first, last, timezone=timezone, tier=tier)
    proposed = []
    for found in current:
        agreement, evidence = judged_on(session, principal, key, found)
        proposal = as_if_in_force(checked.resolved, agreement)
        try:
            chosen_tier(proposal, tier)
        except ReportError as error:
            raise InvalidError(f"the proposal: {error}", "tier") from None
        proposed.append(
            evaluate(
                proposal, evidence, found.start, found.end, tier, as_of=found.as_of, strict=False
            )
        )
    _, in_force = _in_force(session, principal, key, now())
    return Tried(current, proposed, in_force, checked.resolved)


def family(session: Session, principal: Principal, key: str) -> list[AgreementRow]:
    """The agreement and those refining it, directly or not (``parent``), that the key may
    see: the agreement first, then level by level, each level in the order of their ids (as
    ``accord report --roll-up`` reads them from a folder)."""
    root = agreement_store.find(session, principal, key)
    rows = session.scalars(
        select(AgreementRow).where(AgreementRow.organisation_id == principal.organisation_id)
    ).all()
    children: dict[str, list[AgreementRow]] = {}
    for row in rows:
        if row.parent is not None:
            children.setdefault(row.parent, []).append(row)
    found, frontier, seen = [root], [root], {root.key}
    while frontier:
        level = sorted(
            (c for p in frontier for c in children.get(p.key, ()) if c.key not in seen),
            key=lambda row: row.key,
        )
        seen.update(row.key for row in level)
        found.extend(level)
        frontier = level
    # one the key may not see is left out; those under it are still its caller's, if seen
    return [row for row in found if principal.sees(row.customer)]


def rollup(
    session: Session,
    principal: Principal,
    key: str,
    period: str,
    *,
    timezone: str | None = None,
    tier: str | None = None,
) -> list[Report]:
    """The report over ``period`` of the agreement and of each agreement refining it that the
    key may see (:func:`family`), each on its own customer's evidence; all reckoned in
    ``timezone``, else in the zone of the agreement asked about (so that they cover the same
    span)."""
    rows = family(session, principal, key)
    zone = _zone(session, principal, rows[0], timezone, now())
    return [report(session, principal, row.key, period, timezone=zone, tier=tier) for row in rows]


def compared(
    session: Session,
    principal: Principal,
    key: str,
    first: str,
    last: str,
    *,
    timezone: str | None = None,
    tier: str | None = None,
) -> tuple[list[Report], dict[str, str]]:
    """The monthly reports of :func:`trend`, and the agreement's providers (party id -> name,
    in the order the agreement names them, as the version in force at the last month's start
    names them)."""
    found = trend(session, principal, key, first, last, timezone=timezone, tier=tier)
    _, agreement = _in_force(session, principal, key, found[-1].start)
    parties = agreement.parties
    named = {} if parties is None else {p.id: p.name for p in parties.all_providers}
    return found, named


LATE_MARGIN = timedelta(minutes=15)
"""How long before a result's computation data must have been received for the result to be
reused: covers a write transaction still open when the result was computed (its rows are
stamped with the instant it began, and were not yet visible) and clocks of several service
processes drifting apart. A period is stored once it has been over this long."""

RESULT_FORMAT = 9  # 2: JSON (accord.store.codec) instead of a pickle; 3: billing cycles of
# a claim deadline counted in the tier's billing period (a quarter, a year), not always months;
# 4: limits across remedies cover the at-risk pool, a report keeps its penalties' currency;
# 5: an agreement renewing automatically is in force past its end (kept "not in force" months);
# 6: one as-of rule (events at the instant judged at are known then; a ticket resolved at a
# period's end instant is not "still open" in it); 7: caveats (calendars lacking public
# holidays) as values naming the objectives they concern, not sentences; 8: a caveat holds its
# HolidayGap (country, subdivision, years) instead of copies of its fields; 9: availability by
# probes leaves out the slices in maintenance the agreement excuses (they counted as measured)
"""Bumped when :class:`Report` changes shape or its figures' rule changes: results kept by
another format are recomputed."""


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
    session: Session,
    slot: Slot,
    since: datetime,
    observed_from: datetime | None,
    tickets_since: datetime | None = None,
) -> bool:
    """Whether anything the slot's report reads was received (records) or changed (tickets)
    after ``since``: a record of the scope from before the period's end (an outage may have
    begun long before), a ticket of the scope with an event in the window read, or one with
    an event before the first evidence the report saw (the observed span moves).
    ``tickets_since``: the tickets changed after that instant instead."""
    org = slot.organisation_id
    tickets_since = since if tickets_since is None else tickets_since
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
    at = _Unindexed(EventRow.at)  # see below
    # in the window, or before the first evidence the report saw (the observed span moves)
    earlier = at < (slot.end if observed_from is None else observed_from)
    reaches = ((at >= slot.window_start) & (at < slot.end)) | earlier
    # the tickets changed since (ix_tickets_changed: the late data), then each one's events
    # (ix_ticket_events_ticket); never the events of the window first, which are the history
    reached = select(EventRow.id).where(
        EventRow.organisation_id == TicketRow.organisation_id,
        EventRow.ticket == TicketRow.ticket,
        reaches,
    )
    tickets = select(TicketRow.id).where(
        TicketRow.organisation_id == org, TicketRow.changed_at > tickets_since, reached.exists()
    )
    if slot.customer is not None:
        tickets = tickets.where(TicketRow.customer == slot.customer)
    return session.scalar(tickets.limit(1)) is not None


class _Unindexed(FunctionElement[datetime]):
    """A column compared without its index: on SQLite (no statistics, so no idea how selective
    an index is) a range over ``ticket_events.at`` would be read through
    ``ix_ticket_events_at``, every event of the window, rather than a changed ticket's few
    events by ``ix_ticket_events_ticket``; a unary plus keeps the instants out of the choice.
    Elsewhere the column itself (PostgreSQL's planner has statistics)."""

    inherit_cache = True
    type = Instant()


@compiles(_Unindexed)
def _column(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_Unindexed, "sqlite")
def _unary_plus(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


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


# The evidence of the views asked again and again (the portal's Home: the open month judged
# to date, 90 days of uptime), held per process while nothing was stored since; and the kept
# results already decoded. See docs/standing.md.

HELD_ENTRIES = 24
"""Entries held per database engine (evidence of a span, a check, a first instant observed:
each customer's Home view uses up to four), the least recently used let go first."""
DECODED_ENTRIES = 512
"""Kept results held decoded per process, by the digest of their text."""


TOP_UP_TICKETS = 5_000
"""Tickets changed since the evidence was held beyond which it is read again whole rather
than topped up."""
HELD_EVENTS = 1_000_000
"""Ticket events held per database engine in all (about 280 bytes each with their fields,
docs/standing.md): beyond it the least recently used evidence is let go, whatever the count
of entries."""


@dataclass(frozen=True)
class _Held:
    mark: tuple[Any, ...]
    data: Data
    """The records read and the first instant observed (tickets not included)."""
    columns: EventColumns | None
    """Every stored event of the tickets read, later than the instant asked or not."""
    records: dict[int, _Record] = dataclasses.field(default_factory=dict)
    """The records of ``data`` by their row's id (to top them up)."""

    @property
    def events(self) -> int:
        return 0 if self.columns is None else len(self.columns.at)


_held: WeakKeyDictionary[Any, OrderedDict[tuple[Any, ...], _Held]] = WeakKeyDictionary()
_decoded_results: OrderedDict[str, Report] = OrderedDict()
_lock = threading.Lock()


def data_mark(session: Session, organisation_id: int) -> tuple[Any, ...]:
    """What moves whenever the organisation's evidence changes, by its indexes (two queries,
    not a count of the history): the latest record and ticket event stored (their ids), the
    latest instant a record was received or a ticket changed, and how many records were
    received and tickets changed in the :data:`LATE_MARGIN` before that latest instant, with
    the sum of those instants. A record stored moves the latest id; a span received again
    moves its ``received_at``, a ticket's new events or customer its ``changed_at`` (into the
    window, or within it: the sum moves); a transaction that committed after a later one, as
    long as it lasted less than the margin (what the kept results assume), lands in the
    window too. Two parts: the records' (what the uptime bars read), then the tickets'."""
    org = organisation_id
    latest = session.execute(
        select(
            select(func.max(RecordRow.id))
            .where(RecordRow.organisation_id == org)
            .scalar_subquery(),
            select(func.max(RecordRow.received_at))
            .where(RecordRow.organisation_id == org)
            .scalar_subquery(),
            select(func.max(EventRow.id)).where(EventRow.organisation_id == org).scalar_subquery(),
            select(func.max(TicketRow.changed_at))
            .where(TicketRow.organisation_id == org)
            .scalar_subquery(),
        )
    ).one()
    parts = []
    for table, column, last in (
        (RecordRow, RecordRow.received_at, latest[1]),
        (TicketRow, TicketRow.changed_at, latest[3]),
    ):
        # nothing stored yet: a window after every instant, empty
        since = (last if last is not None else datetime.max.replace(tzinfo=UTC)) - LATE_MARGIN
        window = (table.organisation_id == org, column > since)
        parts.append(select(func.count()).where(*window).scalar_subquery())
        parts.append(select(func.sum(_Epoch(column))).where(*window).scalar_subquery())
    recent = tuple(session.execute(select(*parts)).one())
    # the records' part first: what moves when a record is stored (the uptime bars read no
    # ticket), then the tickets'
    return ((*latest[:2], *recent[:2]), (*latest[2:], *recent[2:]))


class _Epoch(FunctionElement[float]):
    """An instant as a number (seconds on PostgreSQL, days on SQLite), to sum."""

    inherit_cache = True
    type = Float()


@compiles(_Epoch)
def _epoch_seconds(element: _Epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"extract(epoch from {compiler.process(element.clauses, **kw)})"


@compiles(_Epoch, "sqlite")
def _julian_day(element: _Epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


def held_data(
    session: Session,
    organisation_id: int,
    customer: str | None,
    start: datetime,
    end: datetime,
    as_of: datetime,
    *,
    tickets: bool = True,
    until: datetime | None = None,
    mark: tuple[Any, ...] | None = None,
) -> Data:
    """What :func:`_gathered` reads (:func:`stored_data` without tickets),
    from what this process read for the same span while :func:`data_mark` has not moved
    since: only the mark is queried then. The ticket events later than ``as_of`` are left
    out, as reading them again would; ``until``: the records of an instant from then on too
    (as reading up to ``until`` instead of ``end`` would). ``mark``: the mark as the caller
    read it in this transaction (read here when not given)."""
    engine = session.get_bind()
    key = (organisation_id, customer, start, end, tickets)
    mark = data_mark(session, organisation_id) if mark is None else mark
    with _lock:
        entries = _held.setdefault(engine, OrderedDict())
        entry = entries.get(key)
        if entry is not None:
            entries.move_to_end(key)
    if entry is None or entry.mark != mark:
        span = _Span(organisation_id, customer, start, end, tickets)
        found = None if entry is None else _topped_up(session, span, entry, mark)
        entry = found if found is not None else _read(session, span, mark, as_of)
        with _lock:
            entries[key] = entry
            entries.move_to_end(key)
            _bound(entries)
    data = entry.data
    if until is not None:
        data = replace(
            data,
            outages=tuple(v for v in data.outages if v.start < until),
            maintenance=tuple(v for v in data.maintenance if v.start < until),
            measurements=tuple(v for v in data.measurements if v.at < until),
            probes=tuple(v for v in data.probes if v.at < until),
            requests=tuple(v for v in data.requests if v.at < until),
        )
    observed = None
    if data.observed is not None:
        first = data.observed[0]
        observed = (first, max(first, as_of))
    log = None
    if entry.columns is not None:  # as _ticket_columns leaves out the later events
        known = entry.columns.at <= to_nanos(as_of)
        log = entry.columns if bool(known.all()) else entry.columns.of_rows(np.flatnonzero(known))
    return replace(data, observed=observed, ticket_columns=log)


@dataclass(frozen=True)
class _Span:
    """What :func:`held_data` holds evidence for."""

    organisation_id: int
    customer: str | None
    start: datetime
    end: datetime
    tickets: bool


def _read(session: Session, span: _Span, mark: tuple[Any, ...], as_of: datetime) -> _Held:
    """The span's evidence read whole, to hold from ``mark`` on."""
    org, customer = span.organisation_id, span.customer
    records = _read_records(session, org, customer, span.start, span.end)
    observed = _observed_held(session, org, customer, as_of, mark)
    data = replace(_records_data(records), observed=observed)
    names = _window_tickets(session, org, customer, span.start, span.end) if span.tickets else []
    columns = event_columns(session, org, names) if names else None
    return _Held(mark, data, columns, records)


def _topped_up(session: Session, span: _Span, held: _Held, mark: tuple[Any, ...]) -> _Held | None:
    """The evidence ``held`` brought up to ``mark`` with what changed since its own mark: the
    records received since (less :data:`LATE_MARGIN`: a transaction committing late), put in
    or taken out by their rows' ids; the events of the tickets changed since, read again whole
    and put in place of those held (:meth:`EventColumns.replaced`); the first instant observed
    asked again. None: read it whole instead (nothing was stored when it was held, or too many
    tickets changed since)."""
    org, customer = span.organisation_id, span.customer
    old_records = held.mark[0]
    records, data = held.records, held.data
    # the first instant observed, from the one held and what was stored since (None: asked
    # again whole, for a record sent again that may have been the first)
    first = held.data.observed[0] if held.data.observed is not None else None
    if old_records != mark[0]:
        if old_records[1] is None:
            return None
        records = dict(records)
        query = select(
            RecordRow.kind,
            RecordRow.record_id,
            RecordRow.payload,
            RecordRow.at,
            RecordRow.id,
            RecordRow.starts_at,
            RecordRow.ends_at,
        ).where(
            RecordRow.organisation_id == org, RecordRow.received_at > old_records[1] - LATE_MARGIN
        )
        if customer is not None:
            query = query.where((RecordRow.customer == customer) | RecordRow.customer.is_(None))
        for row in session.execute(query):
            first = _earlier(first, row, held, old_records[0])
            if _in_span(row.kind, row.at, row.starts_at, row.ends_at, span):
                records[row.id] = _Record(row.kind, row.at, _value(row))
            else:  # sent again, now out of the span
                records.pop(row.id, None)
        data = _records_data(records)
    columns = held.columns
    if held.mark[1] != mark[1]:
        if held.mark[1][1] is None:
            return None
        owners = session.execute(
            select(TicketRow.ticket, TicketRow.customer).where(
                TicketRow.organisation_id == org,
                TicketRow.changed_at > held.mark[1][1] - LATE_MARGIN,
            )
        ).all()
        if len(owners) > TOP_UP_TICKETS:
            return None
        changed = [ticket for ticket, _ in owners]
        # the customer's (of any customer for None): a ticket's customer, once set, stays
        mine = sorted(t for t, c in owners if customer is None or c == customer)
        found = None  # the first event of those tickets
        if span.tickets:
            every = event_columns(session, org, mine) if mine else None
            fresh = None if every is None else _in_window(every, span)
            if every is not None and len(every.at):
                found = _instant_of(int(every.at.min()))
            if columns is None:
                columns = fresh
            else:
                columns = columns.replaced(changed, fresh)
                if not len(columns.at):
                    columns = None
        elif first is not None:
            found = _first_event(session, org, mine)
        if first is not None:  # events are only added: the first can only come earlier
            first = first if found is None or found >= first else found
    if first is None:
        observed = _observed_held(session, org, customer, span.end, mark)
    else:
        observed = (first, max(first, span.end))
    return _Held(mark, replace(data, observed=observed), columns, records)


def _observed_held(
    session: Session,
    organisation_id: int,
    customer: str | None,
    as_of: datetime,
    mark: tuple[Any, ...],
) -> tuple[datetime, datetime] | None:
    """:func:`_observed`, asked once per ``mark``: a view reading two spans whole (the open
    month and the 90 days) asks it once."""
    engine = session.get_bind()
    key = ("observed", organisation_id, customer)
    with _lock:
        entries = _held.setdefault(engine, OrderedDict())
        entry = entries.get(key)
        if entry is not None:
            entries.move_to_end(key)
    if entry is not None and entry.mark == mark:
        found = entry.data.observed
    else:
        found = _observed(session, organisation_id, customer, as_of)
        with _lock:
            entries[key] = _Held(mark, Data(observed=found), None)
            _bound(entries)
    if found is None:
        return None
    return (found[0], max(found[0], as_of))


def _earlier(first: datetime | None, row: Any, held: _Held, last_id: int | None) -> datetime | None:
    """The first instant observed with a record received since ``held`` (``row``, of the
    customer or of none): the earlier of the two, or None (ask again whole) when the record
    was stored before (its row's id at most ``last_id``) and not held with the same instant,
    so that it may have been the first and been moved later."""
    if first is None:
        return None
    if last_id is not None and row.id <= last_id:
        kept = held.records.get(row.id)
        if kept is None or kept.at != row.at:
            return None
    at = _aware(row.at)
    return at if at < first else first


def _first_event(session: Session, organisation_id: int, tickets: Sequence[str]) -> datetime | None:
    """The first event of these tickets, by ``ix_ticket_events_ticket``."""
    found: list[datetime] = []
    for start in range(0, len(tickets), _AMONG):
        moment = session.scalar(
            select(func.min(EventRow.at)).where(
                EventRow.organisation_id == organisation_id,
                EventRow.ticket.in_(list(tickets[start : start + _AMONG])),
            )
        )
        if moment is not None:
            found.append(_aware(moment))
    return min(found, default=None)


def _in_window(columns: EventColumns, span: _Span) -> EventColumns | None:
    """The rows of the tickets with an event in the span's window (from its start less the
    ticket look-back to its end), as :func:`_window_tickets` chooses them; None: no such
    ticket."""
    inside = (columns.at >= to_nanos(span.start - TICKET_LOOKBACK)) & (
        columns.at < to_nanos(span.end)
    )
    kept = np.zeros(len(columns.tickets), dtype=bool)
    kept[columns.ticket[inside]] = True
    return columns.of_tickets(kept) if kept.any() else None


def _instant_of(nanos: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanos // 1000)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _in_span(
    kind: str, at: datetime, starts: datetime | None, ends: datetime | None, span: _Span
) -> bool:
    """Whether :func:`_gathered` reads this record for the span."""
    if kind in SPAN_KINDS:
        return starts is not None and starts < span.end and (ends is None or ends > span.start)
    return kind in ("probe", "requests", "measurement") and span.start <= at < span.end


def _bound(entries: OrderedDict[tuple[Any, ...], _Held]) -> None:
    """Let the least recently used entries go, beyond :data:`HELD_ENTRIES` or
    :data:`HELD_EVENTS` events in all (the one used last always stays)."""
    events = sum(entry.events for entry in entries.values())
    while len(entries) > 1 and (len(entries) > HELD_ENTRIES or events > HELD_EVENTS):
        _, gone = entries.popitem(last=False)
        events -= gone.events


def _late_data_held(
    session: Session,
    slot: Slot,
    since: datetime,
    observed_from: datetime | None,
    mark: tuple[Any, ...] | None,
) -> bool:
    """:func:`_late_data`, not asked again while the organisation's mark has not moved since
    it found nothing late for the same question (nothing was stored since); once it moved,
    asked only of what was received or changed since that mark's latest instants (less
    :data:`LATE_MARGIN`, as the top-up: a transaction committing late), the rest having
    been found not late then."""
    if mark is None:
        return _late_data(session, slot, since, observed_from)
    engine = session.get_bind()
    key = ("late", slot, since, observed_from)
    with _lock:
        entries = _held.setdefault(engine, OrderedDict())
        clean = entries.get(key)
        if clean is not None:
            entries.move_to_end(key)
    if clean is not None and clean.mark == mark:
        return False
    records_since = tickets_since = since
    if clean is not None:  # found nothing late at an earlier mark
        (_, received, *_), (_, changed, *_) = clean.mark
        if received is not None:
            records_since = max(since, _aware(received) - LATE_MARGIN)
        if changed is not None:
            tickets_since = max(since, _aware(changed) - LATE_MARGIN)
    if _late_data(session, slot, records_since, observed_from, tickets_since):
        return True
    with _lock:
        entries[key] = _Held(mark, Data(), None)
        entries.move_to_end(key)
        _bound(entries)
    return False


def forget(engine: Any) -> None:
    """Let go of the evidence held for a database: for its tables emptied and filled again
    under a running process (the tests do), when counts and ids start over and the mark
    could come back to an earlier value."""
    with _lock:
        _held.pop(engine, None)


def _decoded_totals(text: str, moment: datetime) -> Totals:
    """:class:`Totals` of a kept result as of ``moment`` (CodecError when unreadable): only
    the fields they need decoded (:func:`accord.store.codec.loads_fields`), held by the
    digest of the text as :func:`_decoded` holds whole reports."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    with _lock:
        fields = _decoded_fields.get(digest)
        if fields is not None:
            _decoded_fields.move_to_end(digest)
    if fields is None:
        fields = codec.loads_fields(text, Report, _TOTALS_READ)
        with _lock:
            _decoded_fields[digest] = fields
            while len(_decoded_fields) > DECODED_ENTRIES:
                _decoded_fields.popitem(last=False)
    # the report itself, its objectives and other lists left empty: its ``final`` says it
    found = Report(**{**_TOTALS_EMPTY, **fields, "as_of": moment})
    return Totals.of(found)


_TOTALS_READ = (
    "start",
    "end",
    "settlement",
    "claim_deadline",
    "in_force_until",
    "observed_until",
    "penalties",
    "limits",
    "pool",
    "bonus",
    "penalty_currency",
)
_TOTALS_EMPTY: dict[str, Any] = {
    "agreement": "",
    "version": "",
    "title": "",
    "tier": None,
    "objectives": (),
}
_decoded_fields: OrderedDict[str, dict[str, Any]] = OrderedDict()


def _decoded(text: str) -> Report:
    """A kept result's report (CodecError when unreadable), decoded once per process: held
    by the digest of its text, so a result kept again is decoded again."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    with _lock:
        found = _decoded_results.get(digest)
        if found is not None:
            _decoded_results.move_to_end(digest)
            return found
    found = codec.loads(text, Report)
    with _lock:
        _decoded_results[digest] = found
        while len(_decoded_results) > DECODED_ENTRIES:
            _decoded_results.popitem(last=False)
    return found
