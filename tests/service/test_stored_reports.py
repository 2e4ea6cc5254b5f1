"""Closed periods' reports kept between views (docs/stored-reports.md), on SQLite and
PostgreSQL: a kept report is served as a fresh computation would answer, late data and a new
agreement version make it be judged again, and a view of years of history judges only the
period still open."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.service import ingest, reports, tenants
from accord.store import Database
from accord.store.schema import PeriodResult
from tests.service.agreements import DESK, DESK_V2, UPTIME
from tests.service.conftest import Clock, Tenant, months_judged, service_clock

YAML = {"Content-Type": "application/yaml"}
START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return service_clock(monkeypatch, START)


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The periods evaluated (by their first day), in order."""
    return months_judged(monkeypatch)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def upload(client: TestClient, tenant: Tenant, text: str, **params: Any) -> None:
    response = client.post(
        "/v1/agreements", content=text, headers={**tenant.headers, **YAML}, params=params
    )
    assert response.status_code == 201, response.text


def resolved_ticket(name: str, opened: datetime, hours: float) -> list[dict[str, Any]]:
    """A ticket answered after 10 minutes and resolved ``hours`` after it was opened."""
    return [
        {
            "id": f"{name}-1",
            "ticket": name,
            "at": iso(opened),
            "kind": "created",
            "fields": {"status": "New", "customer": "acme-corp"},
        },
        {
            "id": f"{name}-2",
            "ticket": name,
            "at": iso(opened + timedelta(minutes=10)),
            "kind": "comment",
            "author": "agent",
        },
        {
            "id": f"{name}-3",
            "ticket": name,
            "at": iso(opened + timedelta(hours=hours)),
            "kind": "resolved",
            "fields": {"status": "Resolved"},
        },
    ]


def send(client: TestClient, tenant: Tenant, events: list[dict[str, Any]]) -> None:
    response = client.post("/v1/events", json=events, headers=tenant.headers)
    assert response.status_code == 200, response.text


def view(client: TestClient, tenant: Tenant, key: str, period: str, **params: Any) -> Any:
    response = client.get(
        f"/v1/agreements/{key}/reports/{period}", headers=tenant.headers, params=params
    )
    assert response.status_code == 200, response.text
    return response


def fresh(
    client: TestClient,
    tenant: Tenant,
    key: str,
    period: str,
    monkeypatch: pytest.MonkeyPatch,
    **params: Any,
) -> Any:
    """The same view judged from scratch: no kept result read (nor written)."""
    with monkeypatch.context() as patched:
        patched.setattr(reports, "_kept", lambda session, slot: None)
        patched.setattr(reports, "_keep", lambda *args: None)
        return view(client, tenant, key, period, **params)


def actual(document: dict[str, Any], objective: str) -> Any:
    return next(o for o in document["objectives"] if o["objective"] == objective)["actual"]


def test_a_kept_report_answers_as_a_fresh_one_and_only_the_open_period_is_judged(
    client: TestClient,
    acme: Tenant,
    clock: Clock,
    judged: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload(client, acme, DESK, in_force_from="2026-01-01T00:00:00+00:00")
    events = [
        *resolved_ticket("A", datetime(2026, 10, 3, 9, tzinfo=UTC), 2),
        *resolved_ticket("B", datetime(2026, 10, 20, 9, tzinfo=UTC), 7),  # breached
        # opened in October, resolved in November: judged where its verdict falls
        *resolved_ticket("C", datetime(2026, 10, 31, 22, tzinfo=UTC), 3),
        *resolved_ticket("D", datetime(2026, 11, 12, 9, tzinfo=UTC), 1),
        *resolved_ticket("E", datetime(2026, 12, 2, 9, tzinfo=UTC), 5),
    ]
    send(client, acme, events)
    periods = ["2026-10", "2026-11", "2026-12", "2026-Q4"]
    clock.advance(timedelta(hours=1))
    first = {p: view(client, acme, "desk", p) for p in periods}
    assert judged == ["2026-10", "2026-11", "2026-12", "2026-10"]  # Q4 starts in October
    clock.advance(timedelta(hours=1))
    judged.clear()
    again = {p: view(client, acme, "desk", p) for p in periods}
    csv = {p: view(client, acme, "desk", p, format="csv").text for p in periods}
    # the months over are served as kept; December and the quarter are still to date
    assert judged == ["2026-12", "2026-10", "2026-12", "2026-10"]
    for period in periods:
        expected = fresh(client, acme, "desk", period, monkeypatch)
        assert again[period].json() == expected.json()
        assert csv[period] == fresh(client, acme, "desk", period, monkeypatch, format="csv").text
        assert again[period].json()["as_of"] == iso(clock.moment)
    assert actual(again["2026-10"].json(), "resolution") == "50"
    assert first["2026-10"].json()["as_of"] != again["2026-10"].json()["as_of"]


def test_a_late_ticket_event_changes_the_kept_report(
    client: TestClient,
    acme: Tenant,
    clock: Clock,
    judged: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload(client, acme, DESK, in_force_from="2026-01-01T00:00:00+00:00")
    send(client, acme, resolved_ticket("A", datetime(2026, 10, 3, 9, tzinfo=UTC), 2))
    clock.advance(timedelta(hours=1))
    before = view(client, acme, "desk", "2026-10").json()
    assert actual(before, "resolution") == "100"
    clock.advance(timedelta(days=1))
    judged.clear()
    assert view(client, acme, "desk", "2026-10").json()["objectives"] == before["objectives"]
    assert judged == []  # kept: nothing new for October
    # a ticket of October arrives a month late: resolved in 6 hours, over the 4 promised
    send(client, acme, resolved_ticket("LATE", datetime(2026, 10, 14, 9, tzinfo=UTC), 6))
    clock.advance(timedelta(hours=1))
    after = view(client, acme, "desk", "2026-10").json()
    assert judged == ["2026-10"]
    assert actual(after, "resolution") == "50"
    assert after == fresh(client, acme, "desk", "2026-10", monkeypatch).json()
    # and the new figure is kept in turn
    clock.advance(timedelta(hours=1))
    judged.clear()
    assert view(client, acme, "desk", "2026-10").json()["objectives"] == after["objectives"]
    assert judged == []


def test_a_late_event_of_an_older_ticket_reopens_the_period_it_was_judged_in(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    """An event sent today for a ticket of October (a resolution at its real time, sent
    late) is late data for October even though November's report was the one in view."""
    upload(client, acme, DESK, in_force_from="2026-01-01T00:00:00+00:00")
    opened = datetime(2026, 10, 20, 9, tzinfo=UTC)
    send(client, acme, resolved_ticket("A", opened, 1)[:2])  # answered, not yet resolved
    clock.advance(timedelta(hours=1))
    before = view(client, acme, "desk", "2026-10").json()
    assert actual(before, "resolution") == "0"  # its deadline passed in October, breached
    clock.advance(timedelta(days=1))
    send(client, acme, resolved_ticket("A", opened, 2)[2:])  # resolved in time, after all
    clock.advance(timedelta(hours=1))
    judged.clear()
    after = view(client, acme, "desk", "2026-10").json()
    assert judged == ["2026-10"]
    assert actual(after, "resolution") == "100"


def test_a_late_outage_end_changes_the_kept_report(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    upload(client, acme, UPTIME, in_force_from="2026-01-01T00:00:00+00:00")
    outage = {"id": "o1", "service": "api", "start": "2026-10-05T10:00:00+00:00"}
    assert client.post("/v1/data/outages", json=[outage], headers=acme.headers).status_code == 200
    clock.advance(timedelta(hours=1))
    before = view(client, acme, "uptime", "2026-10").json()
    clock.advance(timedelta(days=1))
    # the same outage, sent again with its end: an update of a record stored weeks ago
    closed = {**outage, "end": "2026-10-05T10:30:00+00:00"}
    assert client.post("/v1/data/outages", json=[closed], headers=acme.headers).status_code == 200
    clock.advance(timedelta(hours=1))
    judged.clear()
    after = view(client, acme, "uptime", "2026-10").json()
    assert judged == ["2026-10"]
    assert actual(after, "availability") != actual(before, "availability")
    assert float(actual(after, "availability")) > 99.9


def test_data_of_another_period_or_customer_leave_the_kept_report(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    upload(client, acme, DESK, in_force_from="2026-01-01T00:00:00+00:00")
    send(client, acme, resolved_ticket("A", datetime(2026, 6, 3, 9, tzinfo=UTC), 2))
    clock.advance(timedelta(hours=1))
    view(client, acme, "desk", "2026-06")
    clock.advance(timedelta(days=1))
    send(client, acme, resolved_ticket("NOW", clock.moment - timedelta(hours=5), 1))
    other = resolved_ticket("GLOBEX", datetime(2026, 6, 10, 9, tzinfo=UTC), 1)
    for event in other:
        event.setdefault("fields", {})["customer"] = "globex-retail"
    send(client, acme, other)
    clock.advance(timedelta(hours=1))
    judged.clear()
    view(client, acme, "desk", "2026-06")
    assert judged == []


def test_a_new_version_in_force_for_the_period_is_judged_anew(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    upload(client, acme, DESK, in_force_from="2026-01-01T00:00:00+00:00")
    send(client, acme, resolved_ticket("A", datetime(2026, 10, 3, 9, tzinfo=UTC), 6))
    clock.advance(timedelta(hours=1))
    before = view(client, acme, "desk", "2026-10").json()
    assert (before["version"], actual(before, "resolution")) == ("1", "0")
    clock.advance(timedelta(days=1))
    # a version taking over from now on leaves October as it was judged
    upload(client, acme, DESK_V2)
    clock.advance(timedelta(hours=1))
    judged.clear()
    assert view(client, acme, "desk", "2026-10").json()["version"] == "1"
    # one in force from before October replaces its terms (8 hours to resolve)
    upload(
        client,
        acme,
        DESK_V2.replace('version: "2"', 'version: "3"'),
        in_force_from=iso(datetime(2026, 9, 1, tzinfo=UTC)),
    )
    clock.advance(timedelta(hours=1))
    after = view(client, acme, "desk", "2026-10").json()
    assert (after["version"], actual(after, "resolution")) == ("3", "100")
    assert "2026-10" in judged


def test_a_period_is_kept_only_once_over_for_the_margin(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    """Just after a period's end, a write begun before it may not be visible yet: the
    period is judged on every view until the margin has passed."""
    upload(client, acme, DESK, in_force_from="2026-01-01T00:00:00+00:00")
    clock.moment = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    view(client, acme, "desk", "2026-11")
    view(client, acme, "desk", "2026-11")
    assert judged == ["2026-11", "2026-11"]
    clock.moment = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    view(client, acme, "desk", "2026-11")
    view(client, acme, "desk", "2026-11")
    assert judged == ["2026-11", "2026-11", "2026-11"]


def test_years_of_history_cost_the_open_period_only(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    upload(client, acme, DESK, in_force_from="2024-01-01T00:00:00+00:00")
    months = [datetime(2024 + m // 12, m % 12 + 1, 1, tzinfo=UTC) for m in range(36)]
    events = [
        event
        for n, month in enumerate(months)
        for event in resolved_ticket(f"T{n}", month + timedelta(days=9), 2 + n % 4)
    ]
    send(client, acme, events)
    labels = [f"{m:%Y-%m}" for m in months]
    clock.advance(timedelta(hours=1))
    first = [view(client, acme, "desk", label).json() for label in labels]
    assert judged == labels
    clock.advance(timedelta(hours=1))
    judged.clear()
    again = [view(client, acme, "desk", label).json() for label in labels]
    assert judged == ["2026-12"]  # the open month; 35 closed months served as kept
    # the closed months as first judged (December's figures stand at a later instant)
    assert [d["objectives"] for d in again[:-1]] == [d["objectives"] for d in first[:-1]]


def test_a_period_counting_tickets_by_creation_is_not_kept_while_one_is_open(
    client: TestClient, acme: Tenant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticket opened in October and still open is counted in October once its deadline
    passes, with no new event: October is judged on each view until its tickets are closed."""
    slow = DESK.replace("within: 4h", "within: 1200h\n    count_in: created")
    upload(client, acme, slow, in_force_from="2026-01-01T00:00:00+00:00")
    send(client, acme, resolved_ticket("A", datetime(2026, 10, 20, 9, tzinfo=UTC), 1)[:2])
    clock.advance(timedelta(hours=1))
    before = view(client, acme, "desk", "2026-10").json()
    resolution = next(o for o in before["objectives"] if o["objective"] == "resolution")
    assert resolution["tickets"]["open"] == 1
    assert resolution["actual"] is None
    clock.moment = datetime(2026, 12, 31, tzinfo=UTC)  # 1,200 hours after October 20 passed
    after = view(client, acme, "desk", "2026-10").json()
    assert actual(after, "resolution") == "0"
    assert after == fresh(client, acme, "desk", "2026-10", monkeypatch).json()


def test_an_ingest_not_yet_committed_when_a_period_was_kept_makes_it_stale(
    client: TestClient,
    acme: Tenant,
    database: Database,
    clock: Clock,
    judged: list[str],
) -> None:
    """A view judging while a late ingest is still open does not see its events, and the
    ingest's rows are stamped with an instant before the view: the margin makes the next view
    judge the period again. (PostgreSQL: SQLite lets one writer at a time, so there the view
    waits for the ingest.)"""
    if database.engine.dialect.name != "postgresql":
        assert database.engine.dialect.name == "sqlite"
        return
    upload(client, acme, DESK, in_force_from="2026-01-01T00:00:00+00:00")
    send(client, acme, resolved_ticket("A", datetime(2026, 10, 3, 9, tzinfo=UTC), 2))
    clock.advance(timedelta(hours=1))
    late = resolved_ticket("LATE", datetime(2026, 10, 14, 9, tzinfo=UTC), 6)
    with database.session() as session:
        principal = tenants.authenticate(session, acme.key)
        ingest.ingest_events(
            session, principal, [ingest.EventIn.model_validate_json(json.dumps(e)) for e in late]
        )
        clock.advance(timedelta(minutes=2))  # the ingest is slow to commit
        during = view(client, acme, "desk", "2026-10").json()
    assert actual(during, "resolution") == "100"  # judged without the late ticket, and kept
    clock.advance(timedelta(hours=1))
    judged.clear()
    after = view(client, acme, "desk", "2026-10").json()
    assert judged == ["2026-10"]
    assert actual(after, "resolution") == "50"


@pytest.mark.parametrize(
    "written",
    [
        pickle.dumps({"a": "pickle"}, protocol=0).decode(),  # a pickle in text form
        '{"agreement": "desk", "objectives": 3}',  # JSON that is not a report
    ],
    ids=["pickle", "not-a-report"],
)
def test_a_kept_result_that_is_not_a_report_is_judged_anew_never_run_or_served(
    client: TestClient,
    acme: Tenant,
    database: Database,
    clock: Clock,
    judged: list[str],
    monkeypatch: pytest.MonkeyPatch,
    written: str,
) -> None:
    """The table holds JSON read back through the report's types (accord.store.codec): a row
    written by anyone else is not served, and it is replaced by a sound one."""
    upload(client, acme, DESK, in_force_from="2026-01-01T00:00:00+00:00")
    send(client, acme, resolved_ticket("A", datetime(2026, 10, 3, 9, tzinfo=UTC), 7))
    clock.advance(timedelta(hours=1))
    kept = view(client, acme, "desk", "2026-10").json()
    with database.session() as session:
        row = session.scalars(select(PeriodResult)).one()
        assert json.loads(row.result)["agreement"] == "desk"  # JSON, readable by anyone
        row.result = written
    clock.advance(timedelta(hours=1))
    judged.clear()
    again = view(client, acme, "desk", "2026-10").json()
    assert judged == ["2026-10"]
    assert again == fresh(client, acme, "desk", "2026-10", monkeypatch).json()
    assert {k: v for k, v in again.items() if k != "as_of"} == {
        k: v for k, v in kept.items() if k != "as_of"
    }
    judged.clear()
    view(client, acme, "desk", "2026-10")
    assert judged == []  # kept again, soundly
