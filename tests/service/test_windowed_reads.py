"""The reports and the watch read from the store only the outages and maintenance that overlap
the span their judging reads (``evidence_since``, ``watch_since``) and the records of an
instant in it, and the events of the window's tickets in one query a chunk: what they judge is
what they judged reading every outage and maintenance window ever stored, and every ticket's
events one ticket at a time."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from accord.core.availability import MaintenanceWindow, Outage
from accord.core.evidence import Data
from accord.core.periods import period_bounds
from accord.core.report import Report
from accord.core.watch import Watched
from accord.io.data import read_record
from accord.service import agreements, ingest, reports, tenants, tracking
from accord.service import watch as service_watch
from accord.store import Database
from accord.store.schema import SPAN_KINDS, AgreementRow, RecordRow
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
        together = reports._ticket_events(session, acme.id, None, start, end)
        one_by_one = [
            event
            for ticket in sorted({e["ticket"] for e in events})
            for event in tracking.ticket_events(session, acme.id, ticket)
        ]
    # the same events, numbered alike (the number orders events at one instant); ticket by
    # ticket, each's in the order they arrived (one ticket's read comes in no set order)
    arrived = sorted(((e, e.position) for e in one_by_one), key=lambda p: (p[0].ticket, p[1]))
    assert [(e, e.position) for e in together] == arrived
    assert len(together) == len(events)
    ties = [e for e in together if e.at == at]
    assert len({e.ticket for e in ties}) > 10  # many tickets have events at one instant
    assert any(a.id > b.id for a, b in itertools.pairwise(together) if a.ticket == b.ticket)


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
