"""Tenants kept apart: another organisation's or customer's ids answer 404, never data."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.service.agreements import DESK, OTHER
from tests.service.conftest import Tenant
from tests.service.test_api import YAML, ticket, upload

# every read endpoint that names one of acme's things
ACME_THINGS = [
    "/v1/agreements/desk",
    "/v1/agreements/desk/versions/1",
    "/v1/agreements/desk/diff?from=1&to=1",
    "/v1/agreements/desk/reports/2026-10",
    "/v1/agreements/desk/attainment",
    "/v1/tickets/A1",
]


@pytest.fixture
def two_tenants(client: TestClient, acme: Tenant, globex: Tenant) -> tuple[Tenant, Tenant]:
    assert upload(client, acme).status_code == 201
    assert upload(client, globex, OTHER).status_code == 201
    opened = datetime.now(UTC) - timedelta(minutes=5)
    client.post("/v1/events", json=ticket("A1", opened), headers=acme.headers)
    client.post("/v1/events", json=ticket("G1", opened, "globex-retail"), headers=globex.headers)
    return acme, globex


@pytest.mark.parametrize("path", ACME_THINGS)
def test_another_organisation_gets_404(
    client: TestClient, two_tenants: tuple[Tenant, Tenant], path: str
) -> None:
    acme, globex = two_tenants
    assert client.get(path, headers=acme.headers).status_code == 200
    response = client.get(path, headers=globex.headers)
    assert response.status_code == 404
    assert "acme" not in response.text.lower()


def test_lists_show_only_the_callers_own(
    client: TestClient, two_tenants: tuple[Tenant, Tenant]
) -> None:
    _, globex = two_tenants
    assert [
        a["agreement"] for a in client.get("/v1/agreements", headers=globex.headers).json()
    ] == ["globex-desk"]
    for path in ("/v1/clocks/at-risk?within=8h", "/v1/clocks/breached", "/v1/keys", "/v1/webhooks"):
        body = client.get(path, headers=globex.headers).json()
        assert "A1" not in str(body), path
        assert "acme" not in str(body).lower(), path


def test_the_same_event_id_in_two_organisations_is_two_events(
    client: TestClient, two_tenants: tuple[Tenant, Tenant]
) -> None:
    acme, globex = two_tenants
    same = ticket("A1", datetime.now(UTC), "globex-retail")
    assert client.post("/v1/events", json=same, headers=globex.headers).json()["stored"] == 1
    assert client.get("/v1/tickets/A1", headers=acme.headers).json()["customer"] == "acme-corp"


def test_roles(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    reader = acme.key_for("read")
    ingester = acme.key_for("ingest")
    event = ticket("R1", datetime.now(UTC))
    assert client.post("/v1/events", json=event, headers=reader).status_code == 403
    assert client.post("/v1/events", json=event, headers=ingester).status_code == 200
    assert client.get("/v1/tickets/R1", headers=reader).status_code == 200
    assert (
        client.post("/v1/agreements", content=DESK, headers={**ingester, **YAML}).status_code == 403
    )
    assert client.post("/v1/keys", json={"role": "read"}, headers=ingester).status_code == 403
    assert client.get("/v1/keys", headers=reader).status_code == 403


def test_keys_are_shown_once_stored_hashed_and_revocable(
    client: TestClient, acme: Tenant, database: object
) -> None:
    created = client.post(
        "/v1/keys", json={"role": "read", "name": "grafana"}, headers=acme.headers
    )
    assert created.status_code == 201
    key = created.json()["key"]
    listed = client.get("/v1/keys", headers=acme.headers).json()
    assert key not in str(listed)
    assert {k["name"] for k in listed} == {"", "grafana"}
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/agreements", headers=headers).status_code == 200
    assert (
        client.delete(f"/v1/keys/{created.json()['id']}", headers=acme.headers).status_code == 204
    )
    assert client.get("/v1/agreements", headers=headers).status_code == 401
    for bad in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": f"Bearer {key[:-2]}xx"},
    ):
        response = client.get("/v1/agreements", headers=bad)
        assert response.status_code == 401
        assert response.json()["detail"]


def test_another_organisations_key_cannot_be_revoked(
    client: TestClient, two_tenants: tuple[Tenant, Tenant]
) -> None:
    acme, globex = two_tenants
    acme_keys = client.get("/v1/keys", headers=acme.headers).json()
    response = client.delete(f"/v1/keys/{acme_keys[0]['id']}", headers=globex.headers)
    assert response.status_code == 404
    assert client.get("/v1/agreements", headers=acme.headers).status_code == 200


def test_customer_scoped_key_sees_only_its_customer(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    upload(client, acme, OTHER)  # the same provider serves another customer too
    opened = datetime.now(UTC) - timedelta(minutes=5)
    client.post(
        "/v1/events",
        json=[*ticket("C1", opened), *ticket("C2", opened, "globex-retail")],
        headers=acme.headers,
    )
    customer = acme.key_for("read", customer="globex-retail")
    assert [a["agreement"] for a in client.get("/v1/agreements", headers=customer).json()] == [
        "globex-desk"
    ]
    assert client.get("/v1/tickets/C2", headers=customer).status_code == 200
    assert client.get("/v1/tickets/C1", headers=customer).status_code == 404
    assert client.get("/v1/agreements/desk/reports/2026-10", headers=customer).status_code == 404
    breached = client.get("/v1/clocks/at-risk?within=8h", headers=customer).json()
    assert {c["ticket"] for c in breached} == {"C2"}


def test_customer_scoped_ingest_cannot_write_for_another_customer(
    client: TestClient, acme: Tenant
) -> None:
    upload(client, acme)
    opened = datetime.now(UTC)
    client.post("/v1/events", json=ticket("X1", opened), headers=acme.headers)
    theirs = acme.key_for("ingest", customer="globex-retail")
    wrong = client.post("/v1/events", json=ticket("X2", opened, "acme-corp"), headers=theirs)
    assert wrong.status_code == 422
    hijack = [{"id": "X1-9", "ticket": "X1", "at": opened.isoformat(), "kind": "resolved"}]
    assert client.post("/v1/events", json=hijack, headers=theirs).status_code == 404
    own = client.post("/v1/events", json=ticket("X3", opened, "globex-retail"), headers=theirs)
    assert own.json()["stored"] == 1


def test_a_ticket_gets_its_customer_from_a_later_event(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    opened = datetime.now(UTC) - timedelta(minutes=5)
    first = {"id": "L1-1", "ticket": "L1", "at": opened.isoformat(), "kind": "created"}
    client.post("/v1/events", json=[first], headers=acme.headers)
    customer = acme.key_for("read", customer="acme-corp")
    assert client.get("/v1/tickets/L1", headers=customer).status_code == 404
    later = {
        "id": "L1-2",
        "ticket": "L1",
        "at": (opened + timedelta(minutes=1)).isoformat(),
        "kind": "updated",
        "fields": {"customer": "acme-corp"},
    }
    client.post("/v1/events", json=[later], headers=acme.headers)
    assert client.get("/v1/tickets/L1", headers=customer).json()["customer"] == "acme-corp"
    many = [
        {"id": f"M{n}", "ticket": f"M{n}", "at": opened.isoformat(), "kind": "created"}
        for n in range(300)
    ]  # large enough for PostgreSQL's COPY path
    client.post("/v1/events", json=many, headers=acme.headers)
    named = [{**e, "id": f"{e['id']}-2", "fields": {"customer": "acme-corp"}} for e in many]
    client.post("/v1/events", json=named, headers=acme.headers)
    assert client.get("/v1/tickets/M299", headers=customer).json()["customer"] == "acme-corp"


def test_webhooks_belong_to_their_organisation(
    client: TestClient, two_tenants: tuple[Tenant, Tenant]
) -> None:
    acme, globex = two_tenants
    created = client.post(
        "/v1/webhooks", json={"url": "https://hooks.acme.example/sla"}, headers=acme.headers
    )
    assert created.status_code == 201
    assert len(created.json()["secret"]) >= 32
    hook = created.json()["id"]
    assert client.get("/v1/webhooks", headers=globex.headers).json() == []
    assert client.delete(f"/v1/webhooks/{hook}", headers=globex.headers).status_code == 404
    assert [h["id"] for h in client.get("/v1/webhooks", headers=acme.headers).json()] == [hook]
    reader = acme.key_for("read")
    assert client.get("/v1/webhooks", headers=reader).status_code == 403
    bad = client.post("/v1/webhooks", json={"url": "not a url"}, headers=acme.headers)
    assert bad.status_code == 422
    assert bad.json()["field"] == "url"
    assert client.delete(f"/v1/webhooks/{hook}", headers=acme.headers).status_code == 204


def _admin_key(client: TestClient, by: dict[str, str]) -> tuple[int, dict[str, str]]:
    made = client.post("/v1/keys", json={"role": "admin"}, headers=by).json()
    return made["id"], {"Authorization": f"Bearer {made['key']}"}


def test_the_last_admin_key_cannot_be_revoked_and_says_how_to_proceed(
    client: TestClient, acme: Tenant
) -> None:
    (first,) = client.get("/v1/keys", headers=acme.headers).json()
    refused = client.delete(f"/v1/keys/{first['id']}", headers=acme.headers)
    assert refused.status_code == 409
    message = refused.json()["detail"]
    assert "last active admin key" in message
    assert "create another admin key first" in message
    assert client.get("/v1/agreements", headers=acme.headers).status_code == 200
    second, second_headers = _admin_key(client, acme.headers)
    assert client.delete(f"/v1/keys/{first['id']}", headers=second_headers).status_code == 204
    assert client.get("/v1/agreements", headers=acme.headers).status_code == 401
    assert client.delete(f"/v1/keys/{second}", headers=second_headers).status_code == 409
    reader = client.post("/v1/keys", json={"role": "read"}, headers=second_headers).json()
    assert client.delete(f"/v1/keys/{reader['id']}", headers=second_headers).status_code == 204


def _revoke_at_once(client: TestClient, revocations: list[tuple[int, dict[str, str]]]) -> list[int]:
    start = threading.Barrier(len(revocations))
    answers: list[int] = []

    def revoke(key: int, headers: dict[str, str]) -> None:
        start.wait()
        answers.append(client.delete(f"/v1/keys/{key}", headers=headers).status_code)

    threads = [threading.Thread(target=revoke, args=pair) for pair in revocations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_two_admin_keys_revoking_each_other_at_once_leave_one_standing(
    client: TestClient, acme: Tenant
) -> None:
    """Each request alone sees another admin key; together they must not revoke both."""
    (first,) = client.get("/v1/keys", headers=acme.headers).json()
    keys = [(first["id"], acme.headers)]
    for _ in range(5):
        keys.append(_admin_key(client, keys[-1][1]))
        (mine, my_headers), (theirs, their_headers) = keys[-2], keys[-1]
        for headers in (my_headers, their_headers):  # both keys known: no lookup in the race
            assert client.get("/v1/keys", headers=headers).status_code == 200
        answers = _revoke_at_once(client, [(theirs, my_headers), (mine, their_headers)])
        assert sorted(answers) in ([204, 401], [204, 409]), answers
        (listed,) = [
            answer.json()
            for answer in (client.get("/v1/keys", headers=h) for h in (my_headers, their_headers))
            if answer.status_code == 200
        ]
        standing = {k["id"] for k in listed if k["role"] == "admin" and k["revoked_at"] is None}
        assert len(standing) == 1
        keys = [k for k in keys if k[0] in standing]


@pytest.mark.parametrize(
    "authorization", ["am|N~DB1iu", "", "Bearer", "Bearer  ", "Basic {key}", "{key}"]
)
@pytest.mark.parametrize(
    "path", ["/v1/clocks/breached?objective=null", "/v1/agreements", "/v1/keys"]
)
def test_a_malformed_authorization_is_refused_even_beside_a_valid_api_key(
    client: TestClient, acme: Tenant, authorization: str, path: str
) -> None:
    """A client sending Authorization meant its key to be there: one that is not
    ``Bearer <key>`` is refused as such (401, saying what was expected), not answered with
    the X-API-Key beside it, nor called a missing key."""
    sent = {"Authorization": authorization.format(key=acme.key), "X-API-Key": acme.key}
    answer = client.get(path, headers=sent)
    assert answer.status_code == 401, answer.text
    assert "Authorization: expected 'Bearer <key>'" in answer.json()["detail"]
    # the same key alone in X-API-Key, or as Bearer, is accepted
    assert client.get(path, headers={"X-API-Key": acme.key}).status_code == 200
    assert client.get(path, headers=acme.headers).status_code == 200
