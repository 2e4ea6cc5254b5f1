"""Holes found in review, each pinned: ids that collide across kinds and customers, tickets of
no customer, instants and periods out of range, versions in force, fired items that stay fired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.api import create_app
from accord.settings import Settings
from accord.store import Database
from accord.store.schema import Delivery
from accord.worker import Worker
from tests.io.yaml_bombs import BILLION_LAUGHS
from tests.service.agreements import DESK, DESK_V2, OTHER
from tests.service.conftest import Tenant
from tests.service.receiver import Receiver
from tests.service.test_api import ticket, upload
from tests.service.test_worker import (  # noqa: F401 - fixtures
    LOCAL_RECEIVERS,
    drain,
    due_items,
    hook,
    receiver,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Some of these tests deliver to a receiver on this machine: allowed, as on premises."""
    return settings.model_copy(update={"webhook_allow_hosts": LOCAL_RECEIVERS})


def test_a_ticket_named_review_leaves_review_reminders_alone(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    upload(client, acme)
    before = [(r.at, r.status) for r in due_items(database, "")]
    assert before == [("review - 30d", "pending"), ("review", "pending")]
    client.post("/v1/events", json=ticket("review", datetime.now(UTC)), headers=acme.headers)
    assert [(r.at, r.status) for r in due_items(database, "")] == before


def test_a_customer_key_cannot_claim_a_ticket_of_no_customer(
    client: TestClient, acme: Tenant
) -> None:
    upload(client, acme)
    opened = datetime.now(UTC)
    orphan = {"id": "H1-1", "ticket": "H1", "at": opened.isoformat(), "kind": "created"}
    client.post("/v1/events", json=[orphan], headers=acme.headers)
    theirs = acme.key_for("ingest", customer="globex-retail")
    comment = {"id": "H1-2", "ticket": "H1", "at": opened.isoformat(), "kind": "comment"}
    assert client.post("/v1/events", json=[comment], headers=theirs).status_code == 404
    assert client.get("/v1/tickets/H1", headers=theirs).status_code == 404


def test_a_ticket_of_no_customer_falls_only_under_agreements_for_no_one_customer(
    client: TestClient, acme: Tenant
) -> None:
    upload(client, acme)
    upload(client, acme, OTHER)
    orphan = {"id": "U1-1", "ticket": "U1", "at": datetime.now(UTC).isoformat(), "kind": "created"}
    client.post("/v1/events", json=[orphan], headers=acme.headers)
    assert client.get("/v1/tickets/U1", headers=acme.headers).json()["agreements"] == []


def test_instants_ids_and_spans_out_of_range_are_refused(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    (good,) = ticket("R1", datetime.now(UTC))
    cases = [
        ({**good, "at": "0001-01-01T00:00:00+14:00"}, "at"),
        ({**good, "at": "2999-01-01T00:00:00+00:00"}, "at"),
        ({**good, "id": "nul\x00"}, "id"),
        ({**good, "fields": {"status": "a\x00b"}}, "fields.status"),
    ]
    for payload, field in cases:
        response = client.post("/v1/events", json=payload, headers=acme.headers)
        assert response.status_code == 422, payload
        assert response.json()["field"] == field
    outage = {"id": "o\x00", "service": "api", "start": "2026-10-05T10:00:00+00:00"}
    assert client.post("/v1/data/outages", json=outage, headers=acme.headers).status_code == 422
    ancient = {"id": "o1", "service": "api", "start": "0001-01-01T00:00:00+14:00"}
    assert client.post("/v1/data/outages", json=ancient, headers=acme.headers).status_code == 422
    for path in (
        "/v1/agreements/desk/reports/0001",
        "/v1/agreements/desk/attainment?period=0001",
        "/v1/clocks/at-risk?within=999999999d",
    ):
        response = client.get(path, headers=acme.headers)
        assert response.status_code == 422, path
        assert response.json()["detail"]


def test_a_report_uses_the_version_in_force_in_its_period(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    upload(client, acme, DESK_V2, in_force_from="2030-01-01T00:00:00+00:00")
    now = client.get("/v1/agreements/desk/reports/2026-10", headers=acme.headers).json()
    later = client.get("/v1/agreements/desk/reports/2030-02", headers=acme.headers).json()
    assert (now["version"], later["version"]) == ("1", "2")


def test_a_fired_item_stays_fired_when_a_late_event_pauses_the_clock(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,  # noqa: F811 - the fixture
    hook: str,  # noqa: F811 - the fixture
) -> None:
    upload(client, acme)
    opened = datetime.now(UTC) - timedelta(hours=3)
    client.post("/v1/events", json=ticket("F1", opened), headers=acme.headers)
    worker = Worker(database, settings)
    drain(worker)  # 50% (2h) fired
    late_pause = {
        "id": "F1-2",
        "ticket": "F1",
        "at": (opened + timedelta(minutes=30)).isoformat(),
        "kind": "updated",
        "fields": {"status": "Waiting on customer"},
    }
    client.post("/v1/events", json=[late_pause], headers=acme.headers)
    resume = {**late_pause, "id": "F1-3", "at": datetime.now(UTC).isoformat()}
    resume["fields"] = {"status": "In progress"}
    client.post("/v1/events", json=[resume], headers=acme.headers)
    drain(worker)
    items = {i.at: i.status for i in due_items(database, "F1")}
    assert items["50%"] == "fired"
    with database.session() as session:
        assert len(session.scalars(select(Delivery)).all()) == 1
    assert len(receiver.received) == 1


def test_deleting_a_webhook_fails_what_waited_for_it(
    client: TestClient,
    acme: Tenant,
    globex: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,  # noqa: F811 - the fixture
) -> None:
    upload(client, acme)
    made = client.post("/v1/webhooks", json={"url": receiver.url}, headers=acme.headers).json()
    receiver.status = 500
    client.post(
        "/v1/events",
        json=ticket("W1", datetime.now(UTC) - timedelta(hours=3)),
        headers=acme.headers,
    )
    Worker(database, settings).run_once()
    assert client.delete(f"/v1/webhooks/{made['id']}", headers=acme.headers).status_code == 204
    client.post("/v1/webhooks", json={"url": receiver.url}, headers=globex.headers)
    receiver.status = 200
    drain(Worker(database, settings), datetime.now(UTC) + timedelta(minutes=5))
    with database.session() as session:
        (delivery,) = session.scalars(select(Delivery).where(Delivery.channel == "webhook")).all()
    assert (delivery.status, delivery.last_error) == ("failed", "webhook removed")
    assert len(receiver.received) == 1  # the first, failed try; nothing went to globex


def test_a_nul_character_anywhere_is_refused_by_name_and_writes_nothing(
    client: TestClient, acme: Tenant
) -> None:
    """PostgreSQL cannot keep or compare text with a NUL; schemathesis found the key name."""
    upload(client, acme)
    queries = {
        "/v1/agreements/desk%00": "key",
        "/v1/tickets/T%00": "ticket",
        "/v1/agreements/desk/reports/2026-10%00": "period",
        "/v1/agreements/desk/reports/2026-10?tier=a%00": "tier",
        "/v1/agreements/desk/attainment?timezone=UTC%00": "timezone",
        "/v1/clocks/breached?agreement=%00": "agreement",
        "/v1/clocks/at-risk?objective=x%00": "objective",
    }
    for path, field in queries.items():
        response = client.get(path, headers=acme.headers)
        assert response.status_code == 422, path
        assert response.json()["field"].endswith(field), path
    keys_before = client.get("/v1/keys", headers=acme.headers).json()
    for payload, field in (
        ({"role": "read", "name": "\x00"}, "name"),
        ({"role": "read", "customer": "a\x00"}, "customer"),
    ):
        response = client.post("/v1/keys", json=payload, headers=acme.headers)
        assert response.status_code == 422
        assert response.json()["field"] == field
    assert client.get("/v1/keys", headers=acme.headers).json() == keys_before
    webhook = {"url": "http://127.0.0.1:9/hook", "secret": "s" * 16 + "\x00"}
    response = client.post("/v1/webhooks", json=webhook, headers=acme.headers)
    assert (response.status_code, response.json()["field"]) == (422, "secret")
    assert client.get("/v1/webhooks", headers=acme.headers).json() == []
    titled = DESK_V2.replace("Support desk", '"Support\\0desk"')
    assert titled != DESK_V2
    response = upload(client, acme, titled)
    assert response.status_code == 422
    assert "NUL character" in response.json()["detail"]
    versions = client.get("/v1/agreements/desk", headers=acme.headers).json()["versions"]
    assert len(versions) == 1


def test_an_agreement_that_is_not_utf8_is_refused_naming_the_byte(
    client: TestClient, acme: Tenant
) -> None:
    latin_1 = ("# Société\n" + DESK_V2).encode("latin-1")
    response = client.post(
        "/v1/agreements",
        content=latin_1,
        headers={**acme.headers, "Content-Type": "application/yaml"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "agreement:1:7: not UTF-8 text: byte 0xE9 at byte offset 6; save the file as UTF-8"
    )


def test_periods_and_instants_beyond_the_years_accord_handles_are_422_naming_them(
    client: TestClient, acme: Tenant
) -> None:
    """9999-12 used to overflow into a 500; so did instants a time zone pushes past the year
    9999 or before the year 1, and durations longer than Python's timedelta."""
    upload(client, acme)
    client.post("/v1/events", json=ticket("Y1", datetime.now(UTC)), headers=acme.headers)
    periods = {
        "/v1/agreements/desk/reports/9999-12": "9999-12",
        "/v1/agreements/desk/reports/9999": "9999",
        "/v1/agreements/desk/reports/9999-Q4": "9999-Q4",
        "/v1/agreements/desk/reports/0000-01": "0000-01",
        "/v1/agreements/desk/attainment?period=9999-12": "9999-12",
        "/v1/agreements/desk/attainment?period=0000-Q1": "0000-Q1",
    }
    for path, period in periods.items():
        response = client.get(path, headers=acme.headers)
        assert response.status_code == 422, path
        error = response.json()
        assert error["field"] == "period", path
        assert f"period '{period}'" in error["detail"], path
        assert "1970 to 2199" in error["detail"], path
    for path, field in (
        ("/v1/tickets/Y1?as_of=9999-12-31T23:59:59-12:00", "as_of"),
        ("/v1/tickets/Y1?as_of=0001-01-01T00:00:00%2B14:00", "as_of"),
        ("/v1/tickets/Y1?as_of=2200-01-01T00:00:00%2B00:00", "as_of"),
        ("/v1/clocks/at-risk?within=99999999999999999999d", "within"),
    ):
        response = client.get(path, headers=acme.headers)
        assert response.status_code == 422, path
        assert response.json()["field"] == field, path
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        response = upload(client, acme, DESK_V2, in_force_from=moment)
        assert response.status_code == 422, moment
        assert response.json()["field"] == "in_force_from"
    response = upload(client, acme, DESK_V2.replace("within: 8h", "within: 99999999999999999999d"))
    assert response.status_code == 422
    assert "longest duration" in response.json()["detail"]
    forever = DESK_V2.replace("{start: 2026-01-01,", "{start: 2026-01-01, end: 9999-12-31,")
    response = upload(client, acme, forever)
    assert response.status_code == 422
    assert response.json()["field"] == "effective.end"
    report = client.get("/v1/agreements/desk/reports/2026-10", headers=acme.headers)
    assert report.status_code == 200


def test_periods_at_the_edges_of_the_years_accord_handles_are_reported_in_any_time_zone(
    client: TestClient, acme: Tenant
) -> None:
    widest = DESK.replace("{start: 2026-01-01,", "{start: 1970-01-01, end: 2199-12-31,")
    assert upload(client, acme, widest).status_code == 201
    for period in ("1970-01", "1970", "2199-12", "2199-Q4"):
        for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
            path = f"/v1/agreements/desk/reports/{period}"
            response = client.get(path, params={"timezone": zone}, headers=acme.headers)
            assert response.status_code == 200, (path, zone, response.text)


def test_billion_laughs_uploaded_as_an_agreement_is_refused_at_the_alias_limit(
    client: TestClient, acme: Tenant, yaml_work: dict[str, int]
) -> None:
    """342 bytes that stand for 387 million strings used to cost 14-21 s of CPU before a 422."""
    response = upload(client, acme, BILLION_LAUGHS)
    assert response.status_code == 422
    error = response.json()
    assert error["detail"].startswith("<upload>:6:8: refused: with the alias *e")
    assert "(the alias limit)" in error["detail"]
    assert (error["errors"][0]["line"], error["errors"][0]["column"]) == (6, 8)
    assert yaml_work["composed"] < 100
    assert yaml_work["constructed"] == 0
    assert client.get("/v1/agreements", headers=acme.headers).json() == []


def test_the_benchmark_floor_exists_only_when_the_benchmark_setting_is_on(
    settings: Settings, database: Database
) -> None:
    event = ticket("N1", datetime.now(UTC))
    with TestClient(create_app(settings, database)) as production:
        assert production.post("/noop", json=event).status_code == 404
        assert "/noop" not in production.get("/openapi.json").text
    bench = settings.model_copy(update={"benchmark": True})
    with TestClient(create_app(bench, database)) as benchmarked:
        answer = benchmarked.post("/noop", json=event)
        assert (answer.status_code, answer.json()["received"]) == (200, 1)
