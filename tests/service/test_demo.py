"""The demo organisation `make run` starts with."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from accord.api import create_app
from accord.service.demo import load_demo
from accord.settings import Settings
from accord.store import Database


def test_demo_loads_once_into_an_empty_database_and_answers(database: Database) -> None:
    with database.session() as session:
        key = load_demo(session, datetime.now(UTC))
    assert key is not None
    with database.session() as session:
        assert load_demo(session, datetime.now(UTC)) is None  # never twice
    settings = Settings(database_url="unused", demo=False, worker=False)
    with TestClient(create_app(settings, database)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        listed = client.get("/v1/agreements", headers=headers).json()
        assert {a["agreement"] for a in listed} == {"it-service-desk", "cloudnote-saas"}
        ticket = client.get("/v1/tickets/INC00001", headers=headers).json()
        assert ticket["agreements"][0]["clocks"]
        report = client.get("/v1/agreements/cloudnote-saas/reports/2026-10", headers=headers)
        availability = next(
            o for o in report.json()["objectives"] if o["objective"] == "availability"
        )
        assert availability["met"] is False  # the October example data misses 99.9%
