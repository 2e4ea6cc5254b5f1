"""Each request has an id: the client's `X-Request-ID` when sensible, else a new one; the
response returns it, and every log line written while answering carries it; with
ACCORD_ACCESS_LOG on, one line a request."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from accord.api import create_app
from accord.logs import RequestIdFilter
from accord.service import tenants
from accord.service.errors import UnauthorizedError
from accord.settings import Settings
from accord.store import Database
from tests.service.conftest import Tenant

FRESH = re.compile(r"^[0-9a-f]{32}$")


def test_a_response_returns_the_clients_request_id_or_a_new_one(
    client: TestClient, acme: Tenant
) -> None:
    assert FRESH.match(client.get("/health").headers["x-request-id"])
    sent = {"X-Request-ID": "trace-4bf92f35:77"}
    assert client.get("/health", headers=sent).headers["x-request-id"] == "trace-4bf92f35:77"
    refused = client.get("/v1/agreements", headers=sent)  # errors carry it too
    assert (refused.status_code, refused.headers["x-request-id"]) == (401, "trace-4bf92f35:77")
    for odd in ("a" * 129, "two words", "line\tbreak", ""):
        given = client.get("/health", headers={"X-Request-ID": odd}).headers["x-request-id"]
        assert FRESH.match(given), odd


def test_lines_logged_while_answering_carry_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> tenants.Principal:
        logging.getLogger("accord.test").warning("checking a key")  # in a worker thread
        raise UnauthorizedError("unknown or revoked API key")

    monkeypatch.setattr(tenants, "authenticate", refuse)
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    answer = client.get("/v1/agreements", headers={"Authorization": "Bearer acc_x_y"})
    assert answer.status_code == 401
    lines = [r for r in caplog.records if r.name == "accord.test"]
    assert [r.request_id for r in lines] == [answer.headers["x-request-id"]]


def test_an_unhandled_error_is_logged_with_the_request_id_and_answered_in_problem_details(
    client: TestClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> tenants.Principal:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(tenants, "authenticate", broken)
    caplog.handler.addFilter(RequestIdFilter())
    answer = client.get("/v1/agreements", headers={"Authorization": "Bearer acc_x_z"})
    assert answer.status_code == 500
    rid = answer.headers["x-request-id"]
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 500
    assert rid in answer.json()["detail"]
    (logged,) = [r for r in caplog.records if r.name == "accord.api"]
    assert logged.request_id == rid
    assert "the disk is on fire" in caplog.text


def test_the_access_log_is_off_unless_switched_on(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="accord.access")
    with TestClient(create_app(settings, database)) as quiet:
        quiet.get("/health")
    assert [r for r in caplog.records if r.name == "accord.access"] == []
    on = settings.model_copy(update={"access_log": True})
    with TestClient(create_app(on, database)) as client:
        answer = client.get("/health?probe=1", headers={"X-Request-ID": "lb-check"})
        client.get("/nowhere")
    lines = [r for r in caplog.records if r.name == "accord.access"]
    assert [(r.method, r.path, r.status) for r in lines] == [
        ("GET", "/health", 200),
        ("GET", "/nowhere", 404),
    ]
    assert lines[0].getMessage().startswith("GET /health 200 ")
    assert lines[0].duration_ms >= 0
    assert answer.headers["x-request-id"] == "lb-check"
