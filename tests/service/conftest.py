"""The store's tests run on SQLite and on PostgreSQL (127.0.0.1:5432, started by `make test`).

PostgreSQL gets a database of its own for this test run, dropped at the end; each test starts
from empty tables. If the server cannot be reached the tests fail: they are never skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from accord.api import create_app
from accord.service import reports, tenants
from accord.settings import Settings
from accord.store import Database, connect
from accord.store.schema import Base
from accord.store.sealing import new_key

POSTGRES = os.environ.get("ACCORD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET_KEYS = new_key()  # seals webhook secrets in the tests' databases (a new one each run)


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (named for this process), dropped after."""
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres("accord_test") as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str) -> Iterator[Database]:
    database = connect(postgres_url)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        found = connect(f"sqlite:///{tmp_path / 'accord.db'}")
        yield found
        found.dispose()
        return
    found = request.getfixturevalue("postgres_database")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with found.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    reports.forget(found.engine)  # counts and ids start over: what was held is not this data
    yield found


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(
        database_url=str(database.engine.url.render_as_string(hide_password=False)),
        demo=False,
        worker=False,
        lease_seconds=30,
        refresh_inline_limit=50,  # the tests see due items at once; test_worker checks 0
        secret_keys=SECRET_KEYS,
    )


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database)) as found:
        yield found


class Tenant:
    """An organisation and its admin key, with helpers for authenticated calls."""

    def __init__(self, database: Database, slug: str) -> None:
        with database.session() as session:
            organisation = tenants.create_organisation(session, slug, slug.title())
            _, self.key = tenants.create_key(session, organisation.id, "admin")
            self.id = organisation.id
        self.slug = slug
        self.database = database

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def key_for(self, role: str, customer: str | None = None) -> dict[str, str]:
        with self.database.session() as session:
            _, key = tenants.create_key(session, self.id, role, customer=customer)
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def acme(database: Database) -> Tenant:
    return Tenant(database, "acme")


@pytest.fixture
def globex(database: Database) -> Tenant:
    return Tenant(database, "globex")
