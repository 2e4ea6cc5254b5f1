"""The reports and the watch read from the store only the outages and maintenance that overlap
the span their judging reads (``evidence_since``, ``watch_since``) and the records of an
instant in it, and the events of the window's tickets in one query a chunk: what they judge is
what they judged reading every outage and maintenance window ever stored, and every ticket's
events one ticket at a time."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from accord import load_agreement
from accord.core.availability import MaintenanceWindow, Outage
from accord.core.clocks import TicketEvent
from accord.core.evidence import Data
from accord.core.periods import period_bounds
from accord.core.report import Report, evaluate
from accord.core.watch import Watched
from accord.io.data import read_record
from accord.service import agreements, ingest, reports, tenants, tracking
from accord.service import watch as service_watch
from accord.store import Database
from accord.store.schema import SPAN_KINDS, AgreementRow, RecordRow
from tests.service.agreements import DESK
from tests.service.conftest import Tenant
from tests.spans import FIRST, LAST, agreement_text, evidence

CUSTOMERS = (None, None, "acme-corp", "globex")


def _in(model: type[Any], value: dict[str, Any]) -> Any:
    """A body as the API takes it: JSON."""
    return model.model_validate_json(json.dumps(value))


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _store(database: Database, tenant: Tenant, data: Data, rng: random.Random) -> None:
    """The evidence through ingest, each record for a random customer (or none); some outages
    and maintenance sent first with an end an hour after their start, then again as they
    are (the upsert that brings an outage's end)."""
    customer = {id(r): rng.choice(CUSTOMERS) for r in (*data.outages, *data.maintenance)}

    def span(record: Outage | MaintenanceWindow, end: datetime | None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": record.id,
            "service": record.service,
            "start": record.start.isoformat(),
            "end": _instant(end),
            "customer": customer[id(record)],
        }
        if isinstance(record, Outage):
            found.update(impact=float(record.impact), cause=record.cause)
        elif record.announced_at is not None:
            found["announced_at"] = record.announced_at.isoformat()
        return {k: v for k, v in found.items() if v is not None}

    resent = [r for r in (*data.outages, *data.maintenance) if rng.random() < 0.3]
    early = {
        "outage": [
            _in(ingest.OutageIn, span(r, r.start + timedelta(hours=1)))
            for r in resent
            if isinstance(r, Outage)
        ],
        "maintenance": [
            _in(ingest.MaintenanceIn, span(r, r.start + timedelta(hours=1)))
            for r in resent
            if isinstance(r, MaintenanceWindow)
        ],
    }
    final = {
        "outage": [_in(ingest.OutageIn, span(o, o.end)) for o in data.outages],
        "maintenance": [_in(ingest.MaintenanceIn, span(m, m.end)) for m in data.maintenance],
        "probe": [
            _in(
                ingest.ProbeIn,
                {"id": f"p{n}", "service": p.service, "at": p.at.isoformat(), "ok": p.ok},
            )
            for n, p in enumerate(data.probes)
        ],
        "measurement": [
            _in(
                ingest.MeasurementIn,
                {"id": f"m{n}", "source": m.source, "at": m.at.isoformat(), **m.fields},
            )
            for n, m in enumerate(data.measurements)
        ],
    }
    for batches in (early, final):
        for kind, records in batches.items():
            with database.session() as session:
                principal = tenants.authenticate(session, tenant.key)
                ingest.ingest_records(session, principal, kind, records)


@contextmanager
def _reading(every_span: bool) -> Iterator[list[Data]]:
    """Reports and watch checks within read as they do, or every span ever stored; the
    evidence each read is collected; no report is kept or served kept."""
    read: list[Data] = []
    gathered = reports._gathered

    def collecting(*args: Any, **kwargs: Any) -> tuple[Data, bool]:
        found = gathered(*args, every_span=every_span, **kwargs)
        read.append(found[0])
        return found

    def stored(*args: Any, **kwargs: Any) -> Data:
        return collecting(*args, **kwargs)[0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reports, "_gathered", collecting)
        patch.setattr(service_watch, "stored_data", stored)
        patch.setattr(reports, "_kept", lambda session, slot: None)
        patch.setattr(reports, "_keep", lambda *args: None)
        yield read


def _clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _watch(database: Database, key: str, moment: datetime) -> list[Watched]:
    """What one check of the watch judges for the agreement at ``moment`` (nothing it opens
    is kept)."""
    judged: list[Watched] = []
    core = service_watch.watch

    def capture(*args: Any, **kwargs: Any) -> list[Watched]:
        found = core(*args, **kwargs)
        judged.extend(found)
        return found

    with pytest.MonkeyPatch.context() as patch, database.session() as session:
        patch.setattr(service_watch, "watch", capture)
        row = session.query(AgreementRow).filter_by(key=key).one()
        savepoint = session.begin_nested()
        service_watch._check_agreement(session, row, moment, timedelta(minutes=1))
        savepoint.rollback()
    return judged


def _report(database: Database, tenant: Tenant, key: str, label: str, zone: str) -> Report:
    with database.session() as session:
        principal = tenants.authenticate(session, tenant.key)
        return reports.report(session, principal, key, label, timezone=zone)


@pytest.mark.parametrize("seed", range(3))
def test_reports_and_the_watch_reading_only_their_span_judge_as_reading_everything(
    database: Database, acme: Tenant, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    keys = []
    for n in range(3):
        text = agreement_text(rng).replace("id: spans\n", f"id: spans-{n}\n", 1)
        monkeypatch.setattr(agreements, "now", _clock(FIRST - timedelta(days=10)))
        with database.session() as session:
            principal = tenants.authenticate(session, acme.key)
            keys.append(agreements.upload(session, principal, text).agreement.key)
    monkeypatch.setattr(ingest, "now", _clock(FIRST))
    _store(database, acme, evidence(rng), rng)
    with database.session() as session:  # the span indexed is the one last sent
        rows = session.scalars(select(RecordRow).where(RecordRow.kind.in_(SPAN_KINDS))).all()
        for row in rows:
            value = read_record(row.kind, row.payload, row.record_id)
            assert (row.starts_at, row.ends_at) == (value.start, value.end)  # type: ignore[union-attr]

    compared = smaller = 0
    for key in keys:
        for _ in range(3):
            year = rng.choice([2025, 2026])
            label = rng.choice([f"{year}-{rng.randint(1, 12):02d}", f"{year}-Q{rng.randint(1, 4)}"])
            zone = rng.choice(["UTC", "Europe/Berlin"])
            start, end = period_bounds(label, zone)
            moment = (start + (end - start + timedelta(days=20)) * rng.random()).astimezone(UTC)
            monkeypatch.setattr(reports, "now", _clock(max(moment, start + timedelta(hours=1))))
            with _reading(every_span=True) as whole:
                expected = _report(database, acme, key, label, zone)
            with _reading(every_span=False) as read:
                assert _report(database, acme, key, label, zone) == expected
            compared += 1
            smaller += len(read[0].outages) < len(whole[0].outages)
        for _ in range(3):
            moment = FIRST + timedelta(days=40) + (LAST - FIRST - timedelta(days=60)) * rng.random()
            with _reading(every_span=True) as whole:
                expected_levels = _watch(database, key, moment)
            with _reading(every_span=False) as read:
                assert _watch(database, key, moment) == expected_levels
            assert read[0].tickets == ()  # the watch judges no ticket clock
            compared += 1
            smaller += len(read[0].outages) < len(whole[0].outages)
    assert smaller > compared // 3  # most reads left outages out


def test_the_events_of_a_window_s_tickets_read_together_are_those_read_one_ticket_at_a_time(
    database: Database, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tickets with events at one instant (ties, ordered by arrival), sent in batches in an
    order unlike their ids', more tickets than one query takes."""
    rng = random.Random(7)
    monkeypatch.setattr(tracking, "_CHUNK", 7)
    at = datetime(2026, 10, 5, 9, tzinfo=UTC)
    events = []
    for t in range(30):
        moments = [at + timedelta(minutes=rng.choice([0, 0, 5, 5, 10])) for _ in range(5)]
        for n, moment in enumerate(moments):
            events.append(
                {
                    "id": f"E{rng.randrange(10**6):06d}-{t}-{n}",
                    "ticket": f"T{t:02d}",
                    "at": moment.isoformat(),
                    "kind": "created" if n == 0 else rng.choice(["updated", "comment"]),
                    "fields": {"status": rng.choice(["New", "Open", "Pending"])},
                }
            )
    rng.shuffle(events)
    for first in range(0, len(events), 40):
        with database.session() as session:
            principal = tenants.authenticate(session, acme.key)
            batch = [_in(ingest.EventIn, e) for e in events[first : first + 40]]
            ingest.ingest_events(session, principal, batch)
    start, end = at - timedelta(days=1), at + timedelta(days=1)
    with database.session() as session:
        columns, later = reports._ticket_columns(session, acme.id, None, start, end, end)
        one_by_one = [
            event
            for ticket in sorted({e["ticket"] for e in events})
            for event in tracking.ticket_events(session, acme.id, ticket)
        ]
    assert columns is not None
    assert not later
    together = columns.events_of(np.arange(len(columns.at)))
    # the same events, numbered alike (the number orders events at one instant), in the
    # order the clocks take them: ticket by ticket, in time, a creation first, then as arrived
    arrived = sorted(one_by_one, key=lambda e: (e.ticket, e.at, e.kind != "created", e.position))
    assert [_seen(e) for e in together] == [_seen(e) for e in arrived]
    assert len(together) == len(events)
    ties = [e for e in together if e.at == at]
    assert len({e.ticket for e in ties}) > 10  # many tickets have events at one instant
    # read up to an instant, the events after it are left out, and said to be
    cut = at + timedelta(minutes=5)
    with database.session() as session:
        known, later = reports._ticket_columns(session, acme.id, None, start, end, cut)
    assert known is not None
    assert later
    assert [_seen(e) for e in known.events_of(np.arange(len(known.at)))] == [
        _seen(e) for e in arrived if e.at <= cut
    ]


def _seen(event: TicketEvent) -> tuple[object, ...]:
    """What the clocks read of an event (its id aside: the columns number it instead)."""
    return (
        event.ticket,
        event.at,
        event.kind,
        dict(event.fields),
        event.author if event.kind == "comment" else None,
        event.position,
    )


UPDATES = """
  - id: updates
    metric: periodic_update
    within: 2h
    target: 80%
    calendar: 24x7
"""


@pytest.mark.parametrize("seed", range(2))
def test_a_served_report_judges_the_stored_tickets_in_columns_as_evaluate_judges_their_events(
    database: Database, acme: Tenant, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service reads a report's tickets as columns; its report is the one ``evaluate``
    makes of the same tickets' events (as the service read them one ticket at a time), for
    months judged while open, just over and long over, with events at one instant, events
    after the instant judged at, reopened tickets and another customer's tickets."""
    rng = random.Random(seed)
    text = DESK.replace("escalation:", UPDATES.strip("\n") + "\nescalation:", 1)
    agreement = load_agreement(text)
    monkeypatch.setattr(agreements, "now", _clock(datetime(2026, 1, 1, tzinfo=UTC)))
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        key = agreements.upload(session, principal, text).agreement.key
    statuses = ["New", "Open", "Waiting on customer", "Resolved"]
    events: list[dict[str, Any]] = []
    for t in range(120):
        opened = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=rng.uniform(0, 24 * 90))
        customer = rng.choice(["acme-corp", "acme-corp", "acme-corp", "globex"])
        moment = opened
        events.append(
            {
                "id": f"T{t}-0",
                "ticket": f"T{t:03d}",
                "at": opened.isoformat(),
                "kind": "created",
                "fields": {"status": "New", "customer": customer},
            }
        )
        for n in range(1, rng.randint(2, 8)):
            moment += timedelta(minutes=rng.choice([0, 0, 20, 45, 90, 300, 1500]))
            kind = rng.choice(["updated", "comment", "comment", "reopened"])
            event: dict[str, Any] = {
                "id": f"T{t}-{n}",
                "ticket": f"T{t:03d}",
                "at": moment.isoformat(),
                "kind": kind,
            }
            if kind == "comment":
                event["author"] = rng.choice(["agent", "customer"])
            else:
                event["fields"] = {"status": rng.choice(statuses)}
            events.append(event)
    rng.shuffle(events)
    monkeypatch.setattr(ingest, "now", _clock(datetime(2026, 7, 1, tzinfo=UTC)))
    for first in range(0, len(events), 50):
        with database.session() as session:
            principal = tenants.authenticate(session, acme.key)
            batch = [_in(ingest.EventIn, e) for e in events[first : first + 50]]
            ingest.ingest_events(session, principal, batch)
    for label, moment in [
        ("2026-04", datetime(2026, 4, 17, 13, tzinfo=UTC)),  # open: later events left out
        ("2026-04", datetime(2026, 5, 1, 0, 20, tzinfo=UTC)),
        ("2026-05", datetime(2026, 9, 1, tzinfo=UTC)),
        ("2026-Q2", datetime(2026, 6, 20, tzinfo=UTC)),
    ]:
        monkeypatch.setattr(reports, "now", _clock(moment))
        with _reading(every_span=False) as read:
            served = _report(database, acme, key, label, "UTC")
        columns = read[0].ticket_columns
        assert columns is not None
        assert len(columns.at) > 50  # the tickets were judged in columns
        # the same tickets as events, read one ticket at a time, up to the instant judged at
        with database.session() as session:
            names = sorted({columns.tickets[code] for code in columns.ticket.tolist()})
            tickets = tuple(
                event
                for name in names
                for event in tracking.ticket_events(session, acme.id, name)
                if event.at <= moment
            )
            row = session.query(AgreementRow).filter_by(key=key).one()
            as_events = reports.watched(
                replace(read[0], ticket_columns=None, tickets=tickets), row, moment
            )
        start, end = period_bounds(label, "UTC")
        expected = evaluate(agreement, as_events, start, end, as_of=moment, strict=False)
        assert served == expected
        assert any(o.tickets is not None and o.tickets.met for o in served.objectives)


def test_the_evidence_of_a_customer_is_observed_from_its_first_ticket_event_or_record(
    database: Database, acme: Tenant
) -> None:
    """Another customer's earlier events do not count; a ticket whose customer a later event
    names counts from its first event; a record of no customer counts for every customer."""
    day = datetime(2026, 3, 1, tzinfo=UTC)

    def event(ticket: str, n: int, days: int, customer: str | None) -> dict[str, Any]:
        fields = {"status": "New"} if customer is None else {"customer": customer}
        at = (day + timedelta(days=days)).isoformat()
        return {
            "id": f"{ticket}-{n}",
            "ticket": ticket,
            "at": at,
            "kind": "created",
            "fields": fields,
        }

    sent = [
        event("G1", 1, 0, "globex"),
        event("A1", 1, 5, None),  # named acme-corp's by its second event
        event("A1", 2, 9, "acme-corp"),
        event("A2", 1, 7, "acme-corp"),
    ]
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        ingest.ingest_events(session, principal, [_in(ingest.EventIn, e) for e in sent])
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    with database.session() as session:
        assert reports._observed(session, acme.id, "acme-corp", moment) == (
            day + timedelta(days=5),
            moment,
        )
        assert reports._observed(session, acme.id, None, moment) == (day, moment)
        assert reports._observed(session, acme.id, "initech", moment) is None
    probe = {"id": "p", "service": "api", "at": (day + timedelta(days=2)).isoformat(), "ok": True}
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        ingest.ingest_records(session, principal, "probe", [_in(ingest.ProbeIn, probe)])
    with database.session() as session:
        assert reports._observed(session, acme.id, "acme-corp", moment) == (
            day + timedelta(days=2),
            moment,
        )
