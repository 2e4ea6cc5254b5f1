"""The Home page's held evidence topped up with what changed, against the page read afresh:
ticket events, outages (some sent again with a change, some late, some of another customer)
and views interleaved at random, on SQLite and PostgreSQL. After every change the view of the
process holding the evidence (topped up, never read again whole) equals the view of a second
engine on the same database that holds nothing."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accord.service import agreements, ingest, reports, standing, tenants
from accord.store import Database, connect
from tests.service.conftest import Clock, Tenant, service_clock
from tests.service.test_standing import NOW, OTHER, STANDING

TICKETS = [f"T{n}" for n in range(6)]
CUSTOMERS = [None, "acme-corp", "globex"]

events = st.tuples(
    st.just("event"),
    st.sampled_from(TICKETS),
    st.sampled_from(["created", "updated", "comment", "resolved", "reopened", "closed"]),
    st.integers(-60 * 24 * 150, 60),  # minutes from the instant of the change
    st.sampled_from(CUSTOMERS),
    st.sampled_from(["New", "Open", "Resolved"]),
)
outages = st.tuples(
    st.just("outage"),
    st.integers(0, 4),  # the outage's id: sent again under it with another span
    st.sampled_from(["api", "web"]),
    st.integers(-60 * 24 * 120, 30),  # its start, minutes from the instant of the change
    st.integers(1, 240),
    st.sampled_from(["acme-corp", "globex"]),
)
views = st.tuples(st.just("view"), st.integers(0, 300))  # minutes later
actions = st.lists(st.one_of(events, outages, views), min_size=1, max_size=14)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    return service_clock(monkeypatch, datetime(2026, 1, 1, tzinfo=UTC), standing)


@pytest.fixture
def second(database: Database) -> Iterator[Database]:
    """Another engine on the same database: what it holds is its own (as another process)."""
    url = database.engine.url.render_as_string(hide_password=False)
    found = connect(url, upgrade=False)
    yield found
    found.dispose()


@pytest.fixture
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The engines and spans for which held evidence was read whole (not topped up)."""
    found: list[Any] = []
    read = reports._read

    def counting(session: Any, span: Any, *args: Any) -> Any:
        found.append((session.get_bind(), span))
        return read(session, span, *args)

    monkeypatch.setattr(reports, "_read", counting)
    return found


_slugs = itertools.count()


def _event(action: tuple[Any, ...], moment: datetime, number: int) -> Any:
    _, ticket, kind, minutes, customer, status = action
    fields = {"status": status} if kind in ("created", "updated", "resolved") else {}
    if customer is not None:
        fields["customer"] = customer
    event: dict[str, Any] = {
        "id": f"{ticket}-{number}",
        "ticket": ticket,
        "at": (moment + timedelta(minutes=minutes)).isoformat(),
        "kind": kind,
        "fields": fields,
    }
    if kind == "comment":
        event["author"] = "agent" if number % 3 else "customer"
    return ingest.EventIn.model_validate_json(json.dumps(event))


def _outage(action: tuple[Any, ...], moment: datetime) -> Any:
    _, number, service, start, minutes, customer = action
    begun = moment + timedelta(minutes=start)
    return ingest.OutageIn.model_validate_json(
        json.dumps(
            {
                "id": f"o{number}",
                "service": service,
                "customer": customer,
                "start": begun.isoformat(),
                "end": (begun + timedelta(minutes=minutes)).isoformat(),
            }
        )
    )


def _start(database: Database, tenant: Tenant, *texts: str) -> None:
    """The agreements, one ticket of ACME's and one outage of its web service."""
    with database.session() as session:
        principal = tenants.authenticate(session, tenant.key)
        for text in texts:
            agreements.upload(session, principal, text)
    _store(database, tenant, ("event", "T0", "created", -60, "acme-corp", "New"), NOW, 0)
    _store(database, tenant, ("outage", 9, "web", -600, 20, "acme-corp"), NOW, 0)


def _store(
    database: Database, tenant: Tenant, action: tuple[Any, ...], moment: datetime, number: int
) -> None:
    with database.session() as session:
        principal = tenants.authenticate(session, tenant.key)
        if action[0] == "event":
            ingest.ingest_events(session, principal, [_event(action, moment, number)])
        else:
            ingest.ingest_records(session, principal, "outage", [_outage(action, moment)])


def _replayed(
    database: Database,
    tenant: Tenant,
    clock: Clock,
    steps: list[tuple[Any, ...]],
    moment: datetime,
) -> Iterator[tuple[int, tuple[Any, ...], datetime]]:
    """Each step done a minute after the last (a view: that many minutes later, nothing
    stored): its number, itself and the instant to view at."""
    for number, action in enumerate(steps, start=1):
        clock.moment = moment = moment + timedelta(minutes=1)
        if action[0] == "view":
            moment += timedelta(minutes=action[1])
        else:
            _store(database, tenant, action, moment, number)
        yield number, action, moment


def _view(database: Database, key: str, moment: datetime) -> standing.Standing:
    with database.session() as session:
        return standing.standing(session, tenants.authenticate(session, key), moment)


def _afresh(second: Database, key: str, moment: datetime) -> standing.Standing:
    """The view of the second engine, holding nothing: everything read whole."""
    reports.forget(second.engine)
    return _view(second, key, moment)


EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
"""Stores and views in random order, on a database per test: a dozen sequences."""


@EXAMPLES
@given(steps=actions)
# the first instant observed moved earlier by an outage long before, then later again by the
# same outage sent again with another span (it is asked again whole)
@example(
    steps=[
        ("outage", 1, "api", -60 * 24 * 100, 40, "acme-corp"),
        ("outage", 1, "api", -10, 5, "acme-corp"),
    ]
)
def test_a_view_topped_up_with_what_changed_is_the_view_read_afresh(
    database: Database,
    second: Database,
    clock: Clock,
    whole_reads: list[Any],
    steps: list[tuple[Any, ...]],
) -> None:
    tenant = Tenant(database, f"topup{next(_slugs)}")  # an organisation per example
    with database.session() as session:
        _, key = tenants.create_key(session, tenant.id, "read", customer="acme-corp")
    clock.moment = datetime(2026, 11, 25, tzinfo=UTC)
    _start(database, tenant, STANDING, OTHER)
    moment = clock.moment = NOW
    assert _view(database, key, moment) == _afresh(second, key, moment)
    for number, action, moment in _replayed(database, tenant, clock, steps, NOW):
        topped_up = _view(database, key, moment)
        assert topped_up == _afresh(second, key, moment), f"after step {number}: {action}"
    # the first engine read each span's evidence whole once (a later day: 90 other days), then
    # topped it up
    spans = [span for engine, span in whole_reads if engine is database.engine]
    assert len(spans) == len(set(spans))


def test_a_ticket_opened_and_resolved_and_an_outage_show_at_the_next_views(
    database: Database, second: Database, clock: Clock, whole_reads: list[Any]
) -> None:
    tenant = Tenant(database, "acme")
    with database.session() as session:
        _, key = tenants.create_key(session, tenant.id, "read", customer="acme-corp")
    _start(database, tenant, STANDING)
    moment = clock.moment = NOW
    views = [_view(database, key, moment)]
    changes = [
        ("event", "T1", "created", -30, None, "New"),  # no customer yet: not ACME's
        ("event", "T1", "updated", -20, "acme-corp", "Open"),  # now ACME's, open
        ("event", "T1", "resolved", -10, None, "Resolved"),
        ("outage", 1, "api", -100, 40, "acme-corp"),
        ("outage", 1, "api", -60 * 24 * 200, 40, "acme-corp"),  # sent again, long before
    ]
    for number, action in enumerate(changes, start=1):
        clock.moment = moment = moment + timedelta(minutes=1)
        _store(database, tenant, action, moment, number)
        views.append(_view(database, key, moment))
        assert views[-1] == _afresh(second, key, moment), f"after {action}"
    resolution = [{o.objective: o for o in v.agreements[0].objectives}["resolution"] for v in views]
    assert [r.open_tickets for r in resolution] == [1, 1, 2, 1, 1, 1]
    availability = [
        {o.objective: o for o in v.agreements[0].objectives}["availability"] for v in views
    ]
    assert [a.downtime for a in availability] == [timedelta(minutes=20)] * 4 + [
        timedelta(minutes=60),
        timedelta(minutes=20),
    ]
    assert [span for engine, span in whole_reads if engine is database.engine] == [
        span for engine, span in whole_reads[:2]
    ]
