"""Schemathesis against the published OpenAPI document: no request it makes from the schema,
valid or not, gets a 5xx (it found an integer overflow in `offset` on its first run)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from accord.api import create_app
from accord.service import tenants
from accord.settings import Settings
from accord.store import connect
from tests.service.agreements import DESK

_state: dict[str, Any] = {}


def _app() -> Any:
    """One app on a fresh SQLite file with an organisation, its agreement and a ticket."""
    folder = Path(tempfile.mkdtemp(prefix="accord-openapi-"))
    database = connect(f"sqlite:///{folder / 'accord.db'}")
    with database.session() as session:
        organisation = tenants.create_organisation(session, "acme", "ACME")
        _, key = tenants.create_key(session, organisation.id, "admin")
    _state["key"] = key
    app = create_app(Settings(database_url="unused", demo=False, worker=False), database)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {key}"}
        client.post(
            "/v1/agreements", content=DESK, headers={**headers, "Content-Type": "application/yaml"}
        )
        opened = datetime.now(UTC) - timedelta(hours=1)
        client.post(
            "/v1/events",
            json={"id": "e1", "ticket": "T1", "at": opened.isoformat(), "kind": "created"},
            headers=headers,
        )
    return app


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {_state['key']}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
