"""The REST API end to end, on SQLite and PostgreSQL: agreements, ingest, live, reports."""

from __future__ import annotations

from csv import DictReader
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.store import Database
from accord.store.schema import EventRow
from tests.service.agreements import DESK, DESK_V2, PROBED
from tests.service.conftest import Tenant

YAML = {"Content-Type": "application/yaml"}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def upload(client: TestClient, tenant: Tenant, text: str = DESK, **params: Any) -> Any:
    response = client.post(
        "/v1/agreements", content=text, headers={**tenant.headers, **YAML}, params=params
    )
    return response


def ticket(name: str, opened: datetime, customer: str = "acme-corp") -> list[dict[str, Any]]:
    return [
        {
            "id": f"{name}-1",
            "ticket": name,
            "at": iso(opened),
            "kind": "created",
            "fields": {"status": "New", "customer": customer},
        }
    ]


def stored_events(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(EventRow)) or 0


def test_upload_validates_versions_and_diffs(client: TestClient, acme: Tenant) -> None:
    first = upload(client, acme)
    assert first.status_code == 201, first.text
    assert first.json() | {"changes": []} == {
        "agreement": "desk",
        "number": 1,
        "version": "1",
        "created": True,
        "changes": [],
        "warnings": [],  # what validate warns of: nothing here (24x7 only)
    }
    again = upload(client, acme)
    assert again.json()["created"] is False
    assert again.json()["number"] == 1
    second = upload(client, acme, DESK_V2)
    assert second.json()["number"] == 2
    listed = client.get("/v1/agreements", headers=acme.headers).json()
    assert [(a["agreement"], a["versions"], a["customer"]) for a in listed] == [
        ("desk", 2, "acme-corp")
    ]
    text = client.get("/v1/agreements/desk/versions/1", headers=acme.headers)
    assert text.text == DESK
    diff = client.get("/v1/agreements/desk/diff?from=1&to=2", headers=acme.headers).json()
    assert [(c["section"], c["item"], c["field"], c["before"], c["after"]) for c in diff] == [
        ("objectives", "resolution", "within", "4h", "8h")
    ]
    assert second.json()["changes"] == diff


def test_invalid_agreement_names_line_and_field_and_stores_nothing(
    client: TestClient, acme: Tenant
) -> None:
    broken = DESK.replace(
        "target: 90%\n    calendar: 24x7\n  - id: resolution",
        "target: 190%\n    calendar: 24x7\n  - id: resolution",
    )
    response = upload(client, acme, broken)
    assert response.status_code == 422
    problem = response.json()["errors"][0]
    assert problem["line"] == 13
    assert "target" in problem["field"]
    assert client.get("/v1/agreements", headers=acme.headers).json() == []
    garbage = upload(client, acme, "id: [unclosed")
    assert garbage.status_code == 422
    assert garbage.json()["errors"][0]["line"] == 1


@pytest.mark.parametrize(
    ("field", "written", "longer"),
    [
        ("version", 'version: "1"', f'version: "{"1" * 101}"'),
        ("id", "id: desk", f"id: {'d' * 65}"),
    ],
)
def test_a_value_longer_than_the_store_keeps_is_refused_by_name_and_stores_nothing(
    client: TestClient, acme: Tenant, field: str, written: str, longer: str
) -> None:
    assert written in DESK
    response = upload(client, acme, DESK.replace(written, longer, 1))
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert "at most" in response.json()["detail"]
    assert client.get("/v1/agreements", headers=acme.headers).json() == []


def test_events_are_idempotent_by_id_and_accepted_out_of_order(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    upload(client, acme)
    opened = datetime.now(UTC) - timedelta(minutes=30)
    events = [
        {
            "id": "T1-2",
            "ticket": "T1",
            "at": iso(opened + timedelta(minutes=10)),
            "kind": "comment",
            "author": "agent",
        },
        *ticket("T1", opened),
    ]
    first = client.post("/v1/events", json=events, headers=acme.headers).json()
    assert first == {"received": 2, "stored": 2, "duplicates": 0}
    retried = client.post("/v1/events", json=[*events, events[0]], headers=acme.headers).json()
    assert retried == {"received": 3, "stored": 0, "duplicates": 3}
    assert stored_events(database) == 2
    status = client.get("/v1/tickets/T1", headers=acme.headers).json()
    (desk,) = status["agreements"]
    clocks = {c["objective"]: c for c in desk["clocks"]}
    assert clocks["response"]["state"] == "met"
    assert clocks["response"]["used_seconds"] == 600
    assert clocks["resolution"]["state"] == "running"
    assert 29 * 60 < clocks["resolution"]["used_seconds"] < 31 * 60


@pytest.mark.parametrize("others", [0, 250])  # 250: PostgreSQL copies the batch in
def test_events_at_one_instant_are_applied_in_the_order_they_were_sent(
    client: TestClient, acme: Tenant, others: int
) -> None:
    """Resolved and reopened in the same second, in that order (their ids sort the other way):
    the clock runs on until the final resolution, 3 hours, not 1."""
    upload(client, acme)
    opened = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    ten = iso(opened + timedelta(hours=1))
    events = [
        *ticket("T3", opened),
        {"id": "T3-b", "ticket": "T3", "at": ten, "kind": "updated",
         "fields": {"status": "Resolved"}},
        {"id": "T3-a", "ticket": "T3", "at": ten, "kind": "updated",
         "fields": {"status": "Active"}},
        {"id": "T3-c", "ticket": "T3", "at": iso(opened + timedelta(hours=3)), "kind": "updated",
         "fields": {"status": "Resolved"}},
    ]  # fmt: skip
    events += [event for n in range(others) for event in ticket(f"X{n}", opened)]
    assert client.post("/v1/events", json=events, headers=acme.headers).json()["stored"] == len(
        events
    )
    status = client.get(
        "/v1/tickets/T3", params={"as_of": iso(opened + timedelta(hours=5))}, headers=acme.headers
    ).json()
    clocks = {c["objective"]: c for c in status["agreements"][0]["clocks"]}
    assert (clocks["resolution"]["state"], clocks["resolution"]["used_seconds"]) == ("met", 10800)


def test_single_event_and_as_of(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    opened = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    (created,) = ticket("T2", opened)
    assert client.post("/v1/events", json=created, headers=acme.headers).json()["stored"] == 1
    then = client.get(
        "/v1/tickets/T2", params={"as_of": iso(opened + timedelta(hours=1))}, headers=acme.headers
    ).json()
    clocks = {c["objective"]: c for c in then["agreements"][0]["clocks"]}
    assert clocks["resolution"]["used_seconds"] == 3600
    assert clocks["resolution"]["deadline"] == "2026-11-02T13:00:00Z"


def test_malformed_and_hostile_payloads_get_4xx_and_change_nothing(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    upload(client, acme)
    opened = datetime.now(UTC)
    good = ticket("T3", opened)[0]
    cases = [
        ([good, {**good, "id": "x", "at": "2026-11-02T09:00:00"}], "1.at"),  # naive instant
        ([good, {**good, "id": "y", "kind": "exploded"}], "1.kind"),
        ([good, {**good, "id": "z", "unknown": 1}], "1.unknown"),
        ([good, {**good, "id": "h" * 10_000}], "1.id"),
        ([good, {**good, "id": "w", "fields": {"status": 5}}], "1.fields.status"),
        ([good, {**good, "id": "q", "fields": {"k": "v" * 100_000}}], "1.fields.k"),
    ]
    for payload, field in cases:
        response = client.post("/v1/events", json=payload, headers=acme.headers)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["field"] == field
    for raw in (b"not json", b"{", b"[1, 2]", b"null", b'"text"'):
        response = client.post("/v1/events", content=raw, headers=acme.headers)
        assert response.status_code == 422, raw
        assert response.json()["detail"]
    assert stored_events(database) == 0
    bad_zone = client.get(
        "/v1/agreements/desk/reports/2026-10?timezone=Mars/Base", headers=acme.headers
    )
    assert bad_zone.status_code == 422
    assert "Mars/Base" in bad_zone.json()["detail"]
    bad_period = client.get("/v1/agreements/desk/reports/October", headers=acme.headers)
    assert bad_period.status_code == 422
    assert bad_period.json()["field"] == "period"


def test_outage_resent_with_its_end_updates_it(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    outage = {"id": "o1", "service": "api", "start": "2026-10-05T10:00:00+00:00"}
    assert client.post("/v1/data/outages", json=outage, headers=acme.headers).json()["stored"] == 1
    closed = {**outage, "end": "2026-10-05T11:00:00+00:00"}
    assert client.post("/v1/data/outages", json=[closed], headers=acme.headers).status_code == 200
    probes = [
        {"id": f"p{i}", "service": "api", "at": "2026-10-05T10:00:00+00:00", "ok": True}
        for i in range(3)
    ]
    first = client.post("/v1/data/probes", json=probes, headers=acme.headers).json()
    assert first == {"received": 3, "stored": 3, "duplicates": 0}
    again = client.post("/v1/data/probes", json=probes, headers=acme.headers).json()
    assert again == {"received": 3, "stored": 0, "duplicates": 3}
    wrong = client.post(
        "/v1/data/outages",
        json={
            "id": "o2",
            "service": "api",
            "start": "2026-10-05T10:00:00+00:00",
            "cause": "aliens",
        },
        headers=acme.headers,
    )
    assert wrong.status_code == 422
    assert "cause" in wrong.json()["detail"]


def test_at_risk_and_breached_lists(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    now = datetime.now(UTC)
    events = [
        *ticket("SOON", now - timedelta(minutes=50)),  # response due in 10 minutes
        *ticket("LATE", now - timedelta(hours=5)),  # response and resolution breached
        *ticket("FRESH", now - timedelta(minutes=1)),
    ]
    client.post("/v1/events", json=events, headers=acme.headers)
    risky = client.get("/v1/clocks/at-risk?within=15m", headers=acme.headers).json()
    assert [(c["ticket"], c["objective"]) for c in risky] == [("SOON", "response")]
    late = client.get("/v1/clocks/breached", headers=acme.headers).json()
    assert {(c["ticket"], c["objective"]) for c in late} == {
        ("LATE", "response"),
        ("LATE", "resolution"),
    }
    wide = client.get("/v1/clocks/at-risk?within=4h&objective=resolution", headers=acme.headers)
    assert {c["ticket"] for c in wide.json()} == {"SOON", "FRESH"}
    assert client.get("/v1/clocks/at-risk?within=soon", headers=acme.headers).status_code == 422


def test_the_clock_lists_show_each_clocks_ticket_fields_then(
    client: TestClient, acme: Tenant
) -> None:
    """A clock stopped shows its ticket's fields as of the event that stopped it; one still
    open, its ticket's latest: the rows keep no copy of them (migration 0015), the lists
    derive them from the ticket's events."""
    upload(client, acme)
    now = datetime.now(UTC)
    opened = now - timedelta(hours=5)
    events = [
        *ticket("LATE", opened),
        {  # the first response, two hours late: breached, stopped with these fields
            "id": "LATE-2",
            "ticket": "LATE",
            "at": iso(opened + timedelta(hours=3)),
            "kind": "updated",
            "fields": {"status": "Active", "team": "desk"},
        },
        {
            "id": "LATE-3",
            "ticket": "LATE",
            "at": iso(opened + timedelta(hours=3)),
            "kind": "comment",
            "author": "agent",
        },
        {  # later: the resolution clock, still running, carries these
            "id": "LATE-4",
            "ticket": "LATE",
            "at": iso(opened + timedelta(hours=4)),
            "kind": "updated",
            "fields": {"team": "network", "priority": "P2"},
        },
    ]
    assert client.post("/v1/events", json=events, headers=acme.headers).status_code == 200
    late = client.get("/v1/clocks/breached", headers=acme.headers).json()
    assert {c["objective"]: (c["state"], c["fields"]) for c in late} == {
        "response": (
            "breached",
            {"status": "Active", "team": "desk", "customer": "acme-corp"},
        ),
        "resolution": (  # over its target, still running
            "breached",
            {"status": "Active", "team": "network", "priority": "P2", "customer": "acme-corp"},
        ),
    }


def test_report_json_and_csv(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    opened = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
    events = [
        *ticket("R1", opened),
        {
            "id": "R1-2",
            "ticket": "R1",
            "at": iso(opened + timedelta(minutes=20)),
            "kind": "comment",
            "author": "agent",
        },
        {
            "id": "R1-3",
            "ticket": "R1",
            "at": iso(opened + timedelta(hours=2)),
            "kind": "resolved",
            "fields": {"status": "Resolved"},
        },
        *ticket("R2", opened + timedelta(days=1)),
        {
            "id": "R2-2",
            "ticket": "R2",
            "at": iso(opened + timedelta(days=1, hours=3)),
            "kind": "comment",
            "author": "agent",
        },
        {
            "id": "R2-3",
            "ticket": "R2",
            "at": iso(opened + timedelta(days=1, hours=9)),
            "kind": "resolved",
            "fields": {"status": "Resolved"},
        },
    ]
    client.post("/v1/events", json=events, headers=acme.headers)
    report = client.get("/v1/agreements/desk/reports/2026-10", headers=acme.headers)
    assert report.status_code == 200, report.text
    objectives = {o["objective"]: o for o in report.json()["objectives"]}
    assert objectives["response"]["actual"] == "50"
    assert objectives["response"]["met"] is False
    assert objectives["resolution"]["actual"] == "50"
    csv = client.get("/v1/agreements/desk/reports/2026-10?format=csv", headers=acme.headers)
    assert csv.headers["content-type"].startswith("text/csv")
    rows = {row["objective"]: row for row in DictReader(StringIO(csv.text))}
    assert (rows["response"]["actual"], rows["response"]["met"]) == ("50", "false")


def test_a_report_reads_the_evidence_its_remedies_and_alerts_look_back_on(
    client: TestClient, acme: Tenant
) -> None:
    """September's probes count toward October's termination clause, and the last minutes of
    October toward its burn-rate alerts."""
    assert upload(client, acme, PROBED).status_code == 201
    probes = [
        {"id": f"{month}-{minute}", "service": "api", "ok": minute == 0}
        | {"at": iso(datetime(2026, month, 5, 10, minute, tzinfo=UTC))}
        for month in (9, 10)
        for minute in range(2)
    ] + [
        {"id": "last", "service": "api", "ok": False}
        | {"at": iso(datetime(2026, 10, 31, 23, 59, tzinfo=UTC))}
    ]
    stored = client.post("/v1/data/probes", json=probes, headers=acme.headers).json()
    assert stored["stored"] == 5
    report = client.get("/v1/agreements/probed/reports/2026-10", headers=acme.headers).json()
    [right] = report["termination"]
    assert right["misses"] == ["availability 2026-09", "availability 2026-10"]
    assert right["triggered"] is True
    [availability] = report["objectives"]
    assert [a["firing"] for a in availability["burn_alerts"]] == [True, True, True]
