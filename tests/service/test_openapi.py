"""Schemathesis against the published OpenAPI document: no request it makes from the schema,
valid or not, gets a 5xx, on SQLite and on PostgreSQL (it found an integer overflow in `offset`
on its first run, and a validator crash on keys such as '[')."""

from __future__ import annotations

import atexit
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from accord.api import create_app
from accord.service import tenants
from accord.settings import Settings
from accord.store import connect
from tests.service.agreements import DESK
from tests.service.conftest import POSTGRES

_keys: dict[str, str] = {}


def _postgresql_url() -> str:
    """A database of this module's own, made when the module is collected, dropped at exit."""
    name = f"accord_openapi_{os.getpid()}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


def _app(url: str, label: str) -> Any:
    """One app on a fresh database with an organisation, its agreement and a ticket."""
    database = connect(url)
    atexit.register(database.dispose)  # before the database is dropped (atexit runs in reverse)
    with database.session() as session:
        organisation = tenants.create_organisation(session, "acme", "ACME")
        _, key = tenants.create_key(session, organisation.id, "admin")
    _keys[label] = key
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


_folder = Path(tempfile.mkdtemp(prefix="accord-openapi-"))
on_sqlite = schemathesis.openapi.from_asgi(
    "/openapi.json", _app(f"sqlite:///{_folder / 'accord.db'}", "sqlite")
)
on_postgresql = schemathesis.openapi.from_asgi(
    "/openapi.json", _app(_postgresql_url(), "postgresql")
)


@on_sqlite.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error_on_sqlite(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {_keys['sqlite']}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"


@on_postgresql.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error_on_postgresql(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {_keys['postgresql']}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
