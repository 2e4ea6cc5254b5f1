"""The OpenAPI document is the API's contract, on SQLite and PostgreSQL: it is valid OpenAPI
whose every reference resolves; it declares the key where one is needed; every error, whatever
raised it, is RFC 9457 problem details; what the service answers validates against what the
document says, the large report included; its examples are accepted as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
import yaml
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from tests.service.agreements import DESK, PROBED, UPTIME
from tests.service.conftest import Tenant

YAML = {"Content-Type": "application/yaml"}
PROBLEM = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "field", "errors"}


def document(client: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/openapi.json").json()
    return found


def conforms(value: Any, schema: dict[str, Any], openapi: dict[str, Any]) -> None:
    """Validate ``value`` against a schema of the document (its references resolved there)."""
    jsonschema.Draft202012Validator(
        {**schema, "components": openapi["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    ).validate(value)


def answer_schema(openapi: dict[str, Any], method: str, path: str, status: str) -> Any:
    content = openapi["paths"][path][method]["responses"][status]["content"]
    return next(iter(content.values()))["schema"]


def references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(references(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(references(v) for v in node))
    return set()


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
    ]


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert set(body) == PROBLEM_KEYS
    assert (body["type"], body["status"]) == ("about:blank", status)
    assert body["detail"]
    return body


def test_the_document_is_valid_openapi_and_every_reference_resolves(client: TestClient) -> None:
    openapi = document(client)
    validate(openapi)
    schemas = openapi["components"]["schemas"]
    for reference in references(openapi):
        assert reference.startswith("#/components/schemas/"), reference
        assert reference.rsplit("/", 1)[1] in schemas, f"{reference} is not in components"


def test_the_ingest_bodies_are_the_models_that_validate_them(client: TestClient) -> None:
    openapi = document(client)
    events = openapi["paths"]["/v1/events"]["post"]["requestBody"]["content"]
    item = {"$ref": "#/components/schemas/EventIn"}
    assert events["application/json"]["schema"]["oneOf"][0] == item
    assert set(openapi["components"]["schemas"]["EventIn"]["required"]) == {
        "id",
        "ticket",
        "at",
        "kind",
    }
    for path, model in (
        ("/v1/data/outages", "OutageIn"),
        ("/v1/data/maintenance", "MaintenanceIn"),
        ("/v1/data/probes", "ProbeIn"),
        ("/v1/data/requests", "RequestsIn"),
        ("/v1/data/measurements", "MeasurementIn"),
    ):
        body = openapi["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["oneOf"][0] == {"$ref": f"#/components/schemas/{model}"}


def test_every_operation_that_needs_a_key_declares_it_and_refuses_without_one(
    client: TestClient,
) -> None:
    openapi = document(client)
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearer"]["description"],
    }
    open_to_all = []
    for method, path, operation in operations(openapi):
        if "security" not in operation:
            open_to_all.append((method, path))
            continue
        assert {"bearer": []} in operation["security"], (method, path)
        assert "401" in operation["responses"], (method, path)
        concrete = path.replace("{key}", "desk").replace("{period}", "2026-10")
        concrete = concrete.replace("{ticket}", "T1").replace("{number}", "1")
        concrete = concrete.replace("{key_id}", "1").replace("{hook_id}", "1")
        response = client.request(method, concrete, json={})
        body = is_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert body["instance"] == concrete
    assert open_to_all == [("get", "/health"), ("get", "/ready")]


def test_the_conflict_and_busy_answers_are_documented_where_they_are_answered(
    client: TestClient, acme: Tenant
) -> None:
    openapi = document(client)
    revoke = openapi["paths"]["/v1/keys/{key_id}"]["delete"]["responses"]
    (only,) = client.get("/v1/keys", headers=acme.headers).json()
    refused = client.delete(f"/v1/keys/{only['id']}", headers=acme.headers)
    conforms(
        is_problem(refused, 409),
        answer_schema(openapi, "delete", "/v1/keys/{key_id}", "409"),
        openapi,
    )
    assert "409" in revoke
    writing = [
        (method, path)
        for method, path, operation in operations(openapi)
        if "security" in operation and not path.startswith(("/v1/tickets", "/v1/clocks"))
    ]
    # ingest (7: a sheet of evidence for an agreement too), agreements (5), reports (6: a
    # proposal tried too), standing (3), claims (5), keys and webhooks (6),
    # invitations and people (6), escalations and deliveries (3), lifecycle (10: the state,
    # propose, accept, reject, withdraw, comment, terminate, history, its verification,
    # proposals)
    assert len(writing) == 51
    for method, path in writing:
        busy = openapi["paths"][path][method]["responses"]["503"]
        assert "Retry-After" in busy["headers"], (method, path)
        assert busy["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "503" in openapi["paths"]["/ready"]["get"]["responses"]


def test_unknown_routes_and_wrong_methods_answer_problem_details(
    client: TestClient, acme: Tenant
) -> None:
    missing = client.get("/v1/nothing-here", headers=acme.headers)
    assert is_problem(missing, 404)["instance"] == "/v1/nothing-here"
    wrong = client.delete("/v1/agreements", headers=acme.headers)
    is_problem(wrong, 405)
    assert {m.strip() for m in wrong.headers["allow"].split(",")} >= {"GET", "POST"}
    assert is_problem(client.put("/health"), 405)["instance"] == "/health"


def test_an_invalid_event_is_a_problem_naming_the_field(client: TestClient, acme: Tenant) -> None:
    event = {"id": "e1", "ticket": "T1", "at": "yesterday", "kind": "created"}
    body = is_problem(client.post("/v1/events", json=[event], headers=acme.headers), 422)
    assert body["field"] == "0.at"
    assert body["detail"].startswith("0.at: ")
    assert body["errors"][0]["field"] == "0.at"
    assert body["errors"][0]["code"] == "datetime_parsing"
    number = {**event, "at": "2026-10-05T09:30:00+00:00", "public": "yes"}
    body = is_problem(client.post("/v1/events", json=number, headers=acme.headers), 422)
    assert body["field"] == "public"


def test_an_invalid_agreement_is_a_problem_with_lines(client: TestClient, acme: Tenant) -> None:
    broken = DESK.replace("within: 1h", "within: 1 fortnight")
    response = client.post("/v1/agreements", content=broken, headers={**acme.headers, **YAML})
    body = is_problem(response, 422)
    assert body["errors"][0]["line"] == 12
    assert body["field"] == body["errors"][0]["field"] == "objectives.0.within"


def test_inputs_the_store_cannot_hold_are_refused_not_a_server_error(
    client: TestClient, acme: Tenant
) -> None:
    """Found by schemathesis once it could read the ingest bodies (PostgreSQL said 500)."""
    client.post("/v1/agreements", content=DESK, headers={**acme.headers, **YAML})
    long_customer = "c" * 65
    outage = {"id": "o1", "service": "api", "start": "2026-10-05T10:00:00+00:00"}
    cases = [
        ("post", "/v1/data/outages", {**outage, "customer": long_customer}, "customer"),
        (
            "post",
            "/v1/events",
            {
                "id": "e1",
                "ticket": "T1",
                "at": "2026-10-05T10:00:00+00:00",
                "kind": "created",
                "fields": {"customer": long_customer},
            },
            "fields",
        ),
        ("get", "/v1/agreements/desk/versions/2147483648", None, "number"),
        ("get", "/v1/agreements/desk/diff?from=1&to=2147483648", None, "to"),
        ("get", "/v1/clocks/at-risk?within=1000000000d", None, "within"),
        ("get", "/v1/clocks/breached?objective=a&objective=b", None, "objective"),
        ("get", "/v1/clocks/breached?objective=", None, "objective"),
    ]
    for method, path, body, field in cases:
        response = client.request(method, path, json=body, headers=acme.headers)
        assert is_problem(response, 422)["field"].endswith(field), path
    far_east = {"id": "e2", "ticket": "T2", "at": "2026-10-05T00:00:00+16:00", "kind": "created"}
    stored = client.post("/v1/events", json=far_east, headers=acme.headers)
    assert stored.json() == {"received": 1, "stored": 1, "duplicates": 0}, stored.text
    far = DESK.replace("- {at: 50%", "- {at: breach + 40000d")
    response = client.post("/v1/agreements", content=far, headers={**acme.headers, **YAML})
    assert "longest duration Accord handles" in is_problem(response, 422)["detail"]


def test_a_body_over_the_limit_is_413(
    client: TestClient, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("accord.api.deps.MAX_BODY", 100)
    event = {"id": "e1", "ticket": "T1", "at": "2026-10-05T10:00:00+00:00", "kind": "created"}
    response = client.post("/v1/events", json=[event] * 3, headers=acme.headers)
    assert "at most 100" in is_problem(response, 413)["detail"]
    assert "413" in document(client)["paths"]["/v1/events"]["post"]["responses"]


def test_the_documented_examples_are_accepted(client: TestClient, acme: Tenant) -> None:
    openapi = document(client)
    upload = openapi["paths"]["/v1/agreements"]["post"]["requestBody"]["content"]
    example = upload["application/yaml"]["example"]
    created = client.post(
        "/v1/agreements", content=yaml.safe_dump(example), headers={**acme.headers, **YAML}
    )
    assert created.status_code == 201, created.text
    (event,) = openapi["components"]["schemas"]["EventIn"]["examples"]
    stored = client.post("/v1/events", json=event, headers=acme.headers)
    assert stored.json() == {"received": 1, "stored": 1, "duplicates": 0}


def test_what_is_served_validates_against_the_document(client: TestClient, acme: Tenant) -> None:
    """The report (the largest document), the ticket status and the lists, each filled in:
    breaches, credits-free termination counts, clocks running and breached."""
    for text in (DESK, PROBED, UPTIME):
        client.post("/v1/agreements", content=text, headers={**acme.headers, **YAML})
    opened = datetime.now(UTC) - timedelta(hours=6)
    events = [
        {
            "id": f"{name}-1",
            "ticket": name,
            "at": (opened + timedelta(minutes=minutes)).isoformat(),
            "kind": "created",
            "fields": {"status": "New", "customer": "acme-corp"},
        }
        for name, minutes in (("T1", 0), ("T2", 350))
    ]
    assert client.post("/v1/events", json=events, headers=acme.headers).status_code == 200
    probes = [
        {"id": f"p{m}", "service": "api", "ok": m % 3 != 0}
        | {"at": datetime(2026, 10, 5, 10, m, tzinfo=UTC).isoformat()}
        for m in range(6)
    ]
    assert client.post("/v1/data/probes", json=probes, headers=acme.headers).status_code == 200
    outage = {"id": "o1", "service": "api", "start": "2026-10-05T10:00:00+00:00"}
    outage["end"] = "2026-10-05T10:45:00+00:00"
    assert client.post("/v1/data/outages", json=outage, headers=acme.headers).status_code == 200
    openapi = document(client)
    month = opened.strftime("%Y-%m")
    served = [
        ("get", "/v1/agreements/{key}/reports/{period}", "/v1/agreements/probed/reports/2026-10"),
        ("get", "/v1/agreements/{key}/reports/{period}", f"/v1/agreements/desk/reports/{month}"),
        ("get", "/v1/agreements/{key}/reports/{period}", "/v1/agreements/uptime/reports/2026-10"),
        ("get", "/v1/agreements/{key}/attainment", "/v1/agreements/desk/attainment"),
        ("get", "/v1/tickets/{ticket}", "/v1/tickets/T1"),
        ("get", "/v1/clocks/at-risk", "/v1/clocks/at-risk?within=366d"),
        ("get", "/v1/clocks/breached", "/v1/clocks/breached"),
        ("get", "/v1/agreements", "/v1/agreements"),
        ("get", "/v1/agreements/{key}", "/v1/agreements/desk"),
        ("get", "/v1/keys", "/v1/keys"),
    ]
    for method, template, path in served:
        assert "$ref" in str(answer_schema(openapi, method, template, "200")), template
        response = client.request(method, path, headers=acme.headers)
        assert response.status_code == 200, (path, response.text)
        conforms(response.json(), answer_schema(openapi, method, template, "200"), openapi)
    report = answer_schema(openapi, "get", "/v1/agreements/{key}/reports/{period}", "200")
    assert report == {"$ref": "#/components/schemas/ReportDocument"}
    probed = client.get("/v1/agreements/probed/reports/2026-10", headers=acme.headers).json()
    assert probed["termination"], "the report has termination counts to check"
    uptime = client.get("/v1/agreements/uptime/reports/2026-10", headers=acme.headers).json()
    assert uptime["objectives"][0]["breaches"], "the report has breaches to check"
    assert client.get("/v1/clocks/breached", headers=acme.headers).json(), "a clock is breached"
